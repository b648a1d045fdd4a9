import WardCore

/// IHE ATNA / DICOM audit messages (RFC 3881 and DICOM PS3.15 A.5 `AuditMessage`), read with a byte-level
/// scanner (``XMLScanner``): no DOM, no copies except decoded entities.
///
/// Both spellings are read: RFC 3881 codes (`code`, `displayName`) and DICOM ones (`csd-code`,
/// `originalText`); participant and source properties as attributes or as child elements.
public enum ATNAParser {
    /// Where an `AuditMessage` element starts in `p[from..<to]`, or where an XML declaration that ends
    /// the line starts (the element follows on the next lines, as IHE syslog senders write it).
    static func opening(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
        var i = from
        while let lt = ByteScan.firstIndex(of: UInt8(ascii: "<"), in: p, from: i, to: to) {
            if to - lt >= 13, XMLScanner.equals(p, (lt + 1)..<(lt + 13), "AuditMessage") { return lt }
            // The root of an HL7 v2 message in its XML encoding.
            if lt + 1 < to, ASCII.isUpper(p[lt + 1]),
               HL7XML.mentions(p, from: lt, to: ByteScan.firstIndex(of: UInt8(ascii: ">"), in: p, from: lt, to: to) ?? to) {
                return lt
            }
            if to - lt >= 5, XMLScanner.equals(p, (lt + 1)..<(lt + 5), "?xml") {
                var end = to
                while end > lt, XMLScanner.isSpace(p[end - 1]) { end -= 1 }
                if end - lt >= 2, p[end - 1] == UInt8(ascii: ">"), p[end - 2] == UInt8(ascii: "?") { return lt }
            }
            i = lt + 1
        }
        return nil
    }

    /// Whether `p[0..<count]` holds `</AuditMessage>`.
    static func closes(_ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        var i = 0
        while let lt = ByteScan.firstIndex(of: UInt8(ascii: "<"), in: p, from: i, to: count) {
            if count - lt >= 15, p[lt + 1] == UInt8(ascii: "/"), XMLScanner.equals(p, (lt + 2)..<(lt + 14), "AuditMessage") {
                return true
            }
            i = lt + 1
        }
        return false
    }

    /// Whether a line can be part of an XML document that started above (white space or a tag first).
    static func continues(_ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        guard count > 0 else { return true }
        let b = p[0]
        if b == ASCII.space || b == ASCII.tab { return true }
        // A tag, an end tag or a comment; not a syslog "<PRI>" nor a new "<?xml" declaration.
        return b == UInt8(ascii: "<") && count > 1 && (ASCII.isLetter(p[1]) || p[1] == UInt8(ascii: "/") || p[1] == UInt8(ascii: "!"))
    }

    struct Participant {
        var userID: Range<Int>?
        var alternativeUserID: Range<Int>?
        var userName: Range<Int>?
        var isRequestor: Range<Int>?
        var accessPoint: Range<Int>?
        var accessPointType: Range<Int>?
        var roleCode: Range<Int>?
        var roleDisplay: Range<Int>?
    }

    struct ParticipantObject {
        var id: Range<Int>?
        var typeCode: Range<Int>?
        var role: Range<Int>?
        var idTypeCode: Range<Int>?
        var idTypeDisplay: Range<Int>?
    }

    /// Adds the fields of the `AuditMessage` in `p[start..<end]`. Returns `nil` when there is none, else
    /// the `EventDateTime` (``EventRecord/noTimestamp`` when absent or unreadable).
    static func parse(_ p: UnsafePointer<UInt8>, start: Int, end: Int, base: Int, policy: PatientDataPolicy,
                      into batch: inout EventBatch) -> Int64? {
        var s = XMLScanner(p, from: start, to: end)
        var found = false
        var actionCode: Range<Int>?, dateTime: Range<Int>?, outcome: Range<Int>?
        var eventCode: Range<Int>?, eventDisplay: Range<Int>?, eventSystem: Range<Int>?
        var typeCode: Range<Int>?, typeDisplay: Range<Int>?, typeSystem: Range<Int>?
        var sourceID: Range<Int>?, siteID: Range<Int>?, sourceType: Range<Int>?
        var current = Participant()
        var requestor: Participant?
        var destination: Participant?
        var object = ParticipantObject()
        var patient: ParticipantObject?
        var other: ParticipantObject?
        var patients = 0
        var inParticipant = false, inObject = false, inSource = false

        func code(_ tag: XMLScanner.Tag) -> Range<Int>? {
            XMLScanner.attribute("code", in: p, tag.attributes) ?? XMLScanner.attribute("csd-code", in: p, tag.attributes)
        }
        func display(_ tag: XMLScanner.Tag) -> Range<Int>? {
            XMLScanner.attribute("displayName", in: p, tag.attributes)
                ?? XMLScanner.attribute("originalText", in: p, tag.attributes)
        }
        func attr(_ tag: XMLScanner.Tag, _ name: StaticString) -> Range<Int>? {
            XMLScanner.attribute(name, in: p, tag.attributes)
        }
        func finishParticipant() {
            let isRequestor = current.isRequestor.map { XMLScanner.equals(p, $0, "true") || XMLScanner.equals(p, $0, "1") } ?? false
            if isRequestor, requestor == nil { requestor = current }
            else if !isRequestor, destination == nil { destination = current }
            current = Participant()
            inParticipant = false
        }
        func finishObject() {
            let isPatient = object.typeCode.map { XMLScanner.equals(p, $0, "1") } == true
                && object.role.map { XMLScanner.equals(p, $0, "1") } == true
            if isPatient {
                patients += 1
                if patient == nil { patient = object }
            } else if other == nil {
                other = object
            }
            object = ParticipantObject()
            inObject = false
        }

        while let tag = s.next() {
            let n = tag.name
            if !found {
                if !tag.isClosing, XMLScanner.equals(p, n, "AuditMessage") { found = true }
                continue
            }
            if tag.isClosing {
                if XMLScanner.equals(p, n, "AuditMessage") { break }
                if XMLScanner.equals(p, n, "ActiveParticipant") { finishParticipant() }
                else if XMLScanner.equals(p, n, "ParticipantObjectIdentification") { finishObject() }
                else if XMLScanner.equals(p, n, "AuditSourceIdentification") { inSource = false }
                continue
            }
            if XMLScanner.equals(p, n, "EventIdentification") {
                actionCode = attr(tag, "EventActionCode")
                dateTime = attr(tag, "EventDateTime")
                outcome = attr(tag, "EventOutcomeIndicator")
            } else if XMLScanner.equals(p, n, "EventID") {
                eventCode = code(tag); eventDisplay = display(tag); eventSystem = attr(tag, "codeSystemName")
            } else if XMLScanner.equals(p, n, "EventTypeCode"), typeCode == nil {
                typeCode = code(tag); typeDisplay = display(tag); typeSystem = attr(tag, "codeSystemName")
            } else if XMLScanner.equals(p, n, "ActiveParticipant") {
                inParticipant = true
                current.userID = attr(tag, "UserID")
                current.alternativeUserID = attr(tag, "AlternativeUserID")
                current.userName = attr(tag, "UserName")
                current.isRequestor = attr(tag, "UserIsRequestor")
                current.accessPoint = attr(tag, "NetworkAccessPointID")
                current.accessPointType = attr(tag, "NetworkAccessPointTypeCode")
                if tag.isEmpty { finishParticipant() }
            } else if XMLScanner.equals(p, n, "RoleIDCode"), inParticipant, current.roleCode == nil {
                current.roleCode = code(tag); current.roleDisplay = display(tag)
            } else if XMLScanner.equals(p, n, "AuditSourceIdentification") {
                sourceID = attr(tag, "AuditSourceID")
                siteID = attr(tag, "AuditEnterpriseSiteID")
                inSource = !tag.isEmpty
            } else if XMLScanner.equals(p, n, "AuditSourceTypeCode"), sourceType == nil {
                sourceType = code(tag) ?? (tag.isEmpty ? nil : s.text())
            } else if XMLScanner.equals(p, n, "ParticipantObjectIdentification") {
                inObject = true
                object.id = attr(tag, "ParticipantObjectID")
                object.typeCode = attr(tag, "ParticipantObjectTypeCode")
                object.role = attr(tag, "ParticipantObjectTypeCodeRole")
                if tag.isEmpty { finishObject() }
            } else if XMLScanner.equals(p, n, "ParticipantObjectIDTypeCode"), inObject {
                object.idTypeCode = code(tag); object.idTypeDisplay = display(tag)
            } else if !tag.isEmpty {
                // Element spellings: <UserID>…</UserID> inside the element they describe.
                let text = s.text()
                if inParticipant {
                    if XMLScanner.equals(p, n, "UserID") { current.userID = text }
                    else if XMLScanner.equals(p, n, "AlternativeUserID") { current.alternativeUserID = text }
                    else if XMLScanner.equals(p, n, "UserName") { current.userName = text }
                    else if XMLScanner.equals(p, n, "UserIsRequestor") { current.isRequestor = text }
                    else if XMLScanner.equals(p, n, "NetworkAccessPointID") { current.accessPoint = text }
                    else if XMLScanner.equals(p, n, "NetworkAccessPointTypeCode") { current.accessPointType = text }
                } else if inSource {
                    if XMLScanner.equals(p, n, "AuditSourceID") { sourceID = text }
                    else if XMLScanner.equals(p, n, "AuditEnterpriseSiteID") { siteID = text }
                } else if inObject {
                    if XMLScanner.equals(p, n, "ParticipantObjectID") { object.id = text }
                    else if XMLScanner.equals(p, n, "ParticipantObjectTypeCode") { object.typeCode = text }
                    else if XMLScanner.equals(p, n, "ParticipantObjectTypeCodeRole") { object.role = text }
                } else if XMLScanner.equals(p, n, "EventActionCode") { actionCode = text }
                else if XMLScanner.equals(p, n, "EventDateTime") { dateTime = text }
                else if XMLScanner.equals(p, n, "EventOutcomeIndicator") { outcome = text }
            }
        }
        guard found else { return nil }

        func add(_ id: FieldID, _ r: Range<Int>?) { AuditFields.add(id, p, r, base: base, .xml, into: &batch) }
        func add(_ name: StaticString, _ r: Range<Int>?) {
            AuditFields.add(.atnaNamespace, name, p, r, base: base, .xml, into: &batch)
        }

        add(.eventCode, eventCode)
        add("event_id.display", eventDisplay)
        add("event_id.system", eventSystem)
        AuditFields.addAction(p, actionCode, into: &batch)
        add("event_action_code", actionCode)
        AuditFields.addOutcome(p, outcome, into: &batch)
        add("event_outcome_indicator", outcome)
        add("event_type.code", typeCode)
        add("event_type.display", typeDisplay)
        add("event_type.system", typeSystem)
        if let r = requestor {
            add(.userName, r.userID)
            add("requestor.alternative_user_id", r.alternativeUserID)
            add("requestor.user_name", r.userName)
            add("requestor.role.code", r.roleCode)
            add("requestor.role.display", r.roleDisplay)
            add("requestor.network_access_point", r.accessPoint)
            add("requestor.network_access_point_type", r.accessPointType)
            // Type 2 is an IP address.
            if let t = r.accessPointType, XMLScanner.equals(p, t, "2") { add(.sourceIP, r.accessPoint) }
        }
        if let d = destination {
            add("destination.user_id", d.userID)
            add("destination.alternative_user_id", d.alternativeUserID)
            add("destination.network_access_point", d.accessPoint)
            if let t = d.accessPointType, XMLScanner.equals(p, t, "2") { add(.destinationIP, d.accessPoint) }
        }
        add("audit_source.id", sourceID)
        add("audit_source.enterprise_site_id", siteID)
        add("audit_source.type_code", sourceType)
        if let patient, let id = patient.id, !id.isEmpty {
            addPatientPseudonym(p, id, policy, into: &batch)
            add("patient.id_type.code", patient.idTypeCode)
        }
        if patients > 0 { AuditFields.add(.atnaNamespace, "patient_count", count: patients, into: &batch) }
        if let other {
            add("object.id", other.id)
            add("object.type_code", other.typeCode)
            add("object.type_code_role", other.role)
            add("object.id_type.code", other.idTypeCode)
            add("object.id_type.display", other.idTypeDisplay)
        }
        if let dateTime {
            let t = RFC3339.parse(p, from: dateTime.lowerBound, to: dateTime.upperBound, strict: false)
            if t.errorAt == nil, t.end == dateTime.upperBound { return t.nanos }
        }
        return EventRecord.noTimestamp
    }

    /// `patient.id`: the pseudonym of the ID part of a CX-formatted ParticipantObjectID (`id^^^&oid&ISO`).
    static func addPatientPseudonym(_ p: UnsafePointer<UInt8>, _ r: Range<Int>, _ policy: PatientDataPolicy,
                                    into batch: inout EventBatch) {
        let from = batch.scratch.count
        appendPseudonym(p, r, policy, to: &batch.scratch)
        batch.addScratchField(.patientID, from: from)
    }

    static func appendPseudonym(_ p: UnsafePointer<UInt8>, _ r: Range<Int>, _ policy: PatientDataPolicy,
                                to out: inout [UInt8]) {
        let idEnd = ByteScan.firstIndex(of: UInt8(ascii: "^"), in: p, from: r.lowerBound, to: r.upperBound) ?? r.upperBound
        policy.appendPseudonym(to: &out) { XMLScanner.appendDecoded(p, r.lowerBound..<idEnd, to: &$0) }
    }
}

extension ATNAParser {
    /// Appends `p[start..<end]` with patient data replaced: the ParticipantObjectID of patient objects
    /// (type code 1, role 1) by its pseudonym; ParticipantObjectName, ParticipantObjectQuery and the values
    /// of ParticipantObjectDetail (base64 that may hold a query or a document) by `[redacted]`.
    public static func appendRedacted(_ p: UnsafePointer<UInt8>, start: Int, xmlStart: Int, end: Int,
                                      policy: PatientDataPolicy, to out: inout [UInt8]) {
        var copied = start
        func copy(to k: Int) {
            if k > copied { out.append(contentsOf: UnsafeBufferPointer(start: p + copied, count: k - copied)) }
            copied = max(copied, k)
        }
        func replace(_ r: Range<Int>, pseudonym: Bool) {
            guard !r.isEmpty, r.lowerBound >= copied else { return }
            copy(to: r.lowerBound)
            if pseudonym {
                appendPseudonym(p, r, policy, to: &out)
            } else {
                PatientDataPolicy.placeholder.withUTF8Buffer { out.append(contentsOf: $0) }
            }
            copied = r.upperBound
        }
        var s = XMLScanner(p, from: xmlStart, to: end)
        while let tag = s.next() {
            guard !tag.isClosing else { continue }
            let n = tag.name
            if XMLScanner.equals(p, n, "ParticipantObjectIdentification") {
                let type = XMLScanner.attribute("ParticipantObjectTypeCode", in: p, tag.attributes)
                let role = XMLScanner.attribute("ParticipantObjectTypeCodeRole", in: p, tag.attributes)
                let isPatient = type.map { XMLScanner.equals(p, $0, "1") } == true && role.map { XMLScanner.equals(p, $0, "1") } == true
                let id = isPatient ? XMLScanner.attribute("ParticipantObjectID", in: p, tag.attributes) : nil
                let name = XMLScanner.attribute("ParticipantObjectName", in: p, tag.attributes)
                // In the order they appear in the tag.
                if let id, let name, name.lowerBound < id.lowerBound {
                    replace(name, pseudonym: false)
                    replace(id, pseudonym: true)
                } else {
                    if let id { replace(id, pseudonym: true) }
                    if let name { replace(name, pseudonym: false) }
                }
            } else if XMLScanner.equals(p, n, "ParticipantObjectDetail") {
                if let value = XMLScanner.attribute("value", in: p, tag.attributes) { replace(value, pseudonym: false) }
                if !tag.isEmpty { replace(s.text(), pseudonym: false) }
            } else if !tag.isEmpty, XMLScanner.equals(p, n, "ParticipantObjectName") || XMLScanner.equals(p, n, "ParticipantObjectQuery") {
                replace(s.text(), pseudonym: false)
            }
        }
        copy(to: end)
    }
}
