import CWardShims
import WardCore

/// FHIR AuditEvent resources (R4 and R5 JSON, and the DSTU shape of the spec's own examples), one per
/// line or inside a Bundle: the same normalized fields as ATNA, the rest under `fhir.*`.
enum FHIRAuditEvent {
    /// Whether the line may hold an AuditEvent (cheap test before any JSON is walked).
    static func mentions(_ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        memmem(p, count, "AuditEvent", 10) != nil
    }

    /// Calls `body` with each AuditEvent of the JSON document `p[document]`: the document itself, or the
    /// `entry[].resource` of a Bundle.
    static func forEachAuditEvent(_ p: UnsafePointer<UInt8>, _ document: Range<Int>, _ body: (Range<Int>) -> Void) {
        let type = JSONNav.scalar(p, JSONNav.member(p, document, "resourceType"))
        if let type, XMLScanner.equals(p, type, "AuditEvent") {
            body(document)
        } else if let type, XMLScanner.equals(p, type, "Bundle") {
            JSONNav.forEachElement(p, JSONNav.member(p, document, "entry")) { entry in
                if let resource = JSONNav.member(p, entry, "resource"),
                   let t = JSONNav.scalar(p, JSONNav.member(p, resource, "resourceType")),
                   XMLScanner.equals(p, t, "AuditEvent") {
                    body(resource)
                }
                return true
            }
        }
    }

    /// The code of a Coding, or of the first coding of a CodeableConcept.
    static func code(_ p: UnsafePointer<UInt8>, _ v: Range<Int>?) -> Range<Int>? {
        guard let v = JSONNav.first(p, v) else { return nil }
        return JSONNav.scalar(p, JSONNav.member(p, v, "code"))
            ?? JSONNav.scalar(p, JSONNav.member(p, JSONNav.first(p, JSONNav.member(p, v, "coding")), "code"))
    }

    /// A Coding: the value itself, or the first coding of a CodeableConcept.
    static func coding(_ p: UnsafePointer<UInt8>, _ v: Range<Int>?) -> Range<Int>? {
        guard let v = JSONNav.first(p, v) else { return nil }
        return JSONNav.first(p, JSONNav.member(p, v, "coding")) ?? v
    }

    static func startsWithPatient(_ p: UnsafePointer<UInt8>, _ r: Range<Int>?) -> Bool {
        guard let r, r.count > 8 else { return false }
        return XMLScanner.equals(p, r.lowerBound..<(r.lowerBound + 8), "Patient/")
    }

    /// A patient's relative or carer (`RelatedPerson/<id>`): personal data as much as the patient's.
    static func startsWithRelatedPerson(_ p: UnsafePointer<UInt8>, _ r: Range<Int>?) -> Bool {
        guard let r, r.count > 14 else { return false }
        return XMLScanner.equals(p, r.lowerBound..<(r.lowerBound + 14), "RelatedPerson/")
    }

    /// The length of the `Patient/` or `RelatedPerson/` prefix of a reference to a person whose data is
    /// protected, if it is one.
    static func personPrefix(_ p: UnsafePointer<UInt8>, _ r: Range<Int>?) -> Int? {
        startsWithPatient(p, r) ? 8 : startsWithRelatedPerson(p, r) ? 14 : nil
    }

    /// The patient's ID in a reference (`Patient/<id>[/_history/<v>]`) or an identifier value (prefix 0).
    static func idPart(_ p: UnsafePointer<UInt8>, _ r: Range<Int>, prefix: Int) -> Range<Int> {
        let start = r.lowerBound + prefix
        guard prefix > 0 else { return r }
        return start..<(ByteScan.firstIndex(of: UInt8(ascii: "/"), in: p, from: start, to: r.upperBound) ?? r.upperBound)
    }

    static func isPatientEntity(_ p: UnsafePointer<UInt8>, _ entity: Range<Int>) -> Bool {
        if startsWithPatient(p, JSONNav.scalar(p, JSONNav.member(p, JSONNav.member(p, entity, "what"), "reference"))) {
            return true
        }
        guard let type = code(p, JSONNav.member(p, entity, "type")), let role = code(p, JSONNav.member(p, entity, "role")) else {
            return false
        }
        return XMLScanner.equals(p, type, "1") && XMLScanner.equals(p, role, "1")
    }

    /// Adds the fields of the AuditEvent `p[resource]`; returns its time (`recorded`).
    static func parse(_ p: UnsafePointer<UInt8>, _ resource: Range<Int>, base: Int, policy: PatientDataPolicy,
                      into batch: inout EventBatch) -> Int64 {
        func member(_ v: Range<Int>?, _ key: StaticString) -> Range<Int>? { JSONNav.member(p, v, key) }
        func scalar(_ v: Range<Int>?) -> Range<Int>? { JSONNav.scalar(p, v) }
        func add(_ id: FieldID, _ r: Range<Int>?) { AuditFields.add(id, p, r, base: base, .json, into: &batch) }
        func add(_ name: StaticString, _ r: Range<Int>?) {
            AuditFields.add(.fhirNamespace, name, p, r, base: base, .json, into: &batch)
        }
        func addPseudonym(_ id: FieldID, _ r: Range<Int>, prefix: Int) {
            let from = batch.scratch.count
            policy.appendPseudonym(to: &batch.scratch) { JSONNav.appendDecoded(p, idPart(p, r, prefix: prefix), to: &$0) }
            batch.addScratchField(id, from: from)
        }

        add("id", scalar(member(resource, "id")))
        // R4/R5 at the top; the DSTU examples under "event".
        let event = member(resource, "event") ?? resource
        let type = coding(p, member(event, "type")) ?? coding(p, member(resource, "code"))
        add(.eventCode, scalar(member(type, "code")))
        add("type.display", scalar(member(type, "display")))
        add("type.system", scalar(member(type, "system")))
        let subtype = coding(p, member(event, "subtype"))
        add("subtype.code", scalar(member(subtype, "code")))
        add("subtype.display", scalar(member(subtype, "display")))
        AuditFields.addAction(p, scalar(member(event, "action")), into: &batch)
        add("action", scalar(member(event, "action")))
        let outcomeValue = member(event, "outcome")
        let outcome = scalar(outcomeValue) ?? code(p, member(outcomeValue, "code"))
        AuditFields.addOutcome(p, outcome, into: &batch)
        add("outcome", outcome)

        // The requestor agent (R4/R5 "agent", DSTU "participant").
        JSONNav.forEachElement(p, member(resource, "agent") ?? member(resource, "participant")) { agent in
            guard let r = scalar(member(agent, "requestor")), XMLScanner.equals(p, r, "true") else { return true }
            let who = member(agent, "who")
            let reference = scalar(member(who, "reference"))
            // A patient (a portal) or a relative acting: their pseudonym, and no name.
            let person = personPrefix(p, reference)
            if let person, let reference {
                addPseudonym(.userName, reference, prefix: person)
            } else {
                add(.userName, scalar(member(member(who, "identifier"), "value")) ?? scalar(member(who, "display"))
                    ?? reference ?? scalar(member(agent, "userId")))
                add("agent.alt_id", scalar(member(agent, "altId")))
                add("agent.name", scalar(member(agent, "name")))
            }
            add("agent.role", code(p, member(agent, "type")) ?? code(p, member(agent, "role")))
            let network = member(agent, "network")
            let address = scalar(member(network, "address")) ?? scalar(member(network, "identifier"))
                ?? scalar(member(agent, "networkString"))
            add("agent.network.address", address)
            let networkType = scalar(member(network, "type"))
            add("agent.network.type", networkType)
            if let networkType, XMLScanner.equals(p, networkType, "2") { add(.sourceIP, address) }
            return false
        }

        let source = member(resource, "source")
        let observer = member(source, "observer")
        let sourceIdentifier = member(source, "identifier")
        add("source.observer", scalar(member(observer, "display")) ?? scalar(member(member(observer, "identifier"), "value"))
            ?? scalar(member(observer, "reference")) ?? scalar(sourceIdentifier) ?? scalar(member(sourceIdentifier, "value")))
        add("source.site", scalar(member(source, "site")))
        add("source.type", code(p, member(source, "type")))

        var patientDone = false
        var otherDone = false
        var patients = 0
        JSONNav.forEachElement(p, member(resource, "entity")) { entity in
            let what = member(entity, "what")
            let reference = scalar(member(what, "reference"))
            if isPatientEntity(p, entity) {
                patients += 1
                if !patientDone {
                    if startsWithPatient(p, reference), let reference {
                        addPseudonym(.patientID, reference, prefix: 8)
                        patientDone = true
                    } else if let id = scalar(member(member(what, "identifier"), "value")) {
                        addPseudonym(.patientID, id, prefix: 0)
                        patientDone = true
                    }
                }
            } else if !otherDone {
                otherDone = true
                add("entity.what", reference ?? scalar(member(member(what, "identifier"), "value")))
                add("entity.type", code(p, member(entity, "type")))
                add("entity.role", code(p, member(entity, "role")))
            }
            return true
        }
        // R5 names the patient at the top as well.
        if !patientDone, let reference = scalar(member(member(resource, "patient"), "reference")), startsWithPatient(p, reference) {
            addPseudonym(.patientID, reference, prefix: 8)
            patients = max(patients, 1)
        }
        if patients > 0 { AuditFields.add(.fhirNamespace, "patient_count", count: patients, into: &batch) }

        let recorded = scalar(member(resource, "recorded")) ?? scalar(member(event, "dateTime"))
            ?? scalar(member(resource, "occurredDateTime"))
        if let recorded {
            let t = RFC3339.parse(p, from: recorded.lowerBound, to: recorded.upperBound, strict: false)
            if t.errorAt == nil, t.end == recorded.upperBound { return t.nanos }
        }
        return EventRecord.noTimestamp
    }
}

extension FHIRAuditEvent {
    /// Where patient data sits in a resource being walked.
    struct Context {
        var entity = false
        var patient = false
        var detail = false
        var identifier = false
    }

    /// Appends `p[range]` (a JSON document) with patient data replaced, keeping every other byte: any
    /// `"Patient/<id>"` becomes `"Patient/pid:…"`; in entities, `name`, `query` and detail values become
    /// `[redacted]`; in a patient's entity or reference, `display` is redacted and identifier values
    /// become pseudonyms.
    static func appendRedacted(_ p: UnsafePointer<UInt8>, _ range: Range<Int>, policy: PatientDataPolicy,
                               to out: inout [UInt8]) {
        var copied = range.lowerBound
        func replace(_ string: Range<Int>, pseudonymFrom prefix: Int?) {
            // `string` is the contents between the quotes.
            out.append(contentsOf: UnsafeBufferPointer(start: p + copied, count: string.lowerBound - copied))
            if let prefix {
                out.append(contentsOf: UnsafeBufferPointer(start: p + string.lowerBound, count: prefix))
                let id = idPart(p, string, prefix: prefix)
                policy.appendPseudonym(to: &out) { JSONNav.appendDecoded(p, id, to: &$0) }
                copied = id.upperBound  // "/_history/1" stays
                return
            } else {
                PatientDataPolicy.placeholder.withUTF8Buffer { out.append(contentsOf: $0) }
            }
            copied = string.upperBound
        }
        func walk(_ value: Range<Int>, key: Range<Int>?, _ context: Context, depth: Int) {
            guard depth < JSONNav.maxDepth, !value.isEmpty else { return }
            switch p[value.lowerBound] {
            case UInt8(ascii: "\""):
                let s = (value.lowerBound + 1)..<(value.upperBound - 1)
                if let person = personPrefix(p, s) {
                    replace(s, pseudonymFrom: person)
                } else if let key {
                    if context.identifier && XMLScanner.equals(p, key, "value") {
                        replace(s, pseudonymFrom: 0)
                    } else if context.entity && (XMLScanner.equals(p, key, "name") || XMLScanner.equals(p, key, "query"))
                                || context.patient && (XMLScanner.equals(p, key, "display") || XMLScanner.equals(p, key, "name")
                                                       || XMLScanner.equals(p, key, "altId"))
                                || context.detail && key.count >= 5 && XMLScanner.equals(p, key.lowerBound..<(key.lowerBound + 5), "value") {
                        replace(s, pseudonymFrom: nil)
                    }
                }
            case UInt8(ascii: "{"):
                var own = context
                if personPrefix(p, JSONNav.scalar(p, JSONNav.member(p, value, "reference"))) != nil { own.patient = true }
                // An agent that is a patient or a relative: its name and display are theirs. (Only agents
                // are looked into: one more member search per object would cost every record.)
                if let key, XMLScanner.equals(p, key, "agent") || XMLScanner.equals(p, key, "participant"),
                   personPrefix(p, JSONNav.scalar(p, JSONNav.member(p, JSONNav.member(p, value, "who"), "reference"))) != nil {
                    own.patient = true
                }
                JSONNav.forEachMember(p, value) { k, v in
                    var child = own
                    if XMLScanner.equals(p, k, "entity") {
                        JSONNav.forEachElement(p, v) { e in
                            var c = own
                            c.entity = true
                            c.patient = own.patient || isPatientEntity(p, e)
                            walk(e, key: k, c, depth: depth + 1)
                            return true
                        }
                        return true
                    }
                    if XMLScanner.equals(p, k, "detail") && own.entity { child.detail = true }
                    if XMLScanner.equals(p, k, "identifier") && own.patient { child.identifier = true }
                    walk(v, key: k, child, depth: depth + 1)
                    return true
                }
            case UInt8(ascii: "["):
                JSONNav.forEachElement(p, value) { e in
                    walk(e, key: key, context, depth: depth + 1)
                    return true
                }
            default:
                break
            }
        }
        walk(range, key: nil, Context(), depth: 0)
        out.append(contentsOf: UnsafeBufferPointer(start: p + copied, count: range.upperBound - copied))
    }
}
