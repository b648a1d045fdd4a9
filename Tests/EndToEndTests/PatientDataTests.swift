import Foundation
import Testing
import WardTestSupport

/// No patient name, birth date, address or raw identifier from any HL7, ATNA or FHIR input reaches
/// stdout, stderr or an alert file — unless the operator passes --reveal-phi.
@Suite(.needsShared) struct PatientDataTests {
    /// Every HL7 v2, ATNA and FHIR input: the shared samples and the FHIR fixture.
    static func inputs() -> [String] {
        var paths: [String] = []
        let hapi = Paths.sample("hl7v2_hapi/hapi-test/src/test/resources/ca/uhn/hl7v2")
        for dir in [Paths.sample("hl7v2_python-hl7"), hapi.appendingPathComponent("parser"), hapi.appendingPathComponent("util"),
                    Paths.sample("atna_openhim")] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".hl7") || name.hasSuffix(".txt") || name.hasSuffix(".log")
                || name.hasSuffix(".xml") {
                paths.append(dir.appendingPathComponent(name).path)
            }
        }
        paths.append("Tests/EndToEndTests/Fixtures/fhir/auditevents.jsonl")
        return paths
    }

    /// The personal values of the inputs, collected from the inputs themselves: PID and NK1 names, birth
    /// dates, addresses, phones, national and patient identifiers; ATNA patient object IDs; FHIR patient
    /// references, names and details. Values too short to be telling (`F`, `OH`, `1`) are left out.
    static func secrets(in paths: [String]) throws -> Set<String> {
        var found = Set<String>()
        func keep(_ value: Substring) {
            let v = String(value)
            let digitsOnly = v.allSatisfy(\.isNumber)
            if (digitsOnly && v.count >= 6) || (!digitsOnly && v.count >= 4) { found.insert(v) }
        }
        let personal: [String: [Int]] = ["PID": [2, 3, 4, 5, 6, 7, 9, 11, 13, 14, 19], "NK1": [2, 4, 5, 6]]
        for path in paths {
            let text = try String(contentsOf: URL(fileURLWithPath: path, relativeTo: Paths.root), encoding: .utf8)
            for segment in text.split(whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) {
                let fields = segment.split(separator: "|", omittingEmptySubsequences: false)
                guard let id = fields.first, let wanted = personal[String(id)] else { continue }
                for n in wanted where n < fields.count {
                    for rep in fields[n].split(separator: "~") {
                        let components = rep.split(separator: "^", omittingEmptySubsequences: false)
                        // Identifiers: the ID itself; names, addresses: every part.
                        for component in ([2, 3, 4].contains(n) ? Array(components.prefix(1)) : components) { keep(component) }
                    }
                }
            }
            // HL7 v2 XML: the texts inside PID-3 (its CX.1), PID-5, 6, 7, 11, 13.
            if path.hasSuffix(".xml") {
                for field in ["PID.3", "PID.5", "PID.6", "PID.7", "PID.11", "PID.13"] {
                    for part in text.components(separatedBy: "<\(field)").dropFirst() {
                        guard let body = part.components(separatedBy: "</\(field)>").first else { continue }
                        let leaves = body.components(separatedBy: ">").dropFirst().map { $0.prefix { $0 != "<" } }
                        if field == "PID.3" {
                            for id in body.components(separatedBy: "<CX.1>").dropFirst() { keep(id.prefix { $0 != "<" }) }
                        } else {
                            for leaf in leaves { keep(leaf.trimmingCharacters(in: .whitespacesAndNewlines)[...]) }
                        }
                    }
                }
            }
            // ATNA: ParticipantObjectID of patient objects (type code 1, role 1).
            for tag in text.components(separatedBy: "<ParticipantObjectIdentification ").dropFirst()
            where tag.contains("ParticipantObjectTypeCode=\"1\"") && tag.contains("ParticipantObjectTypeCodeRole=\"1\"") {
                if let id = tag.components(separatedBy: "ParticipantObjectID=\"").dropFirst().first?.split(separator: "^").first {
                    keep(id)
                }
            }
            // FHIR: patient references, entity names and details, patient display names.
            if path.hasSuffix(".jsonl") {
                for rest in text.components(separatedBy: "\"reference\":\"Patient/").dropFirst() {
                    keep(rest.prefix { $0 != "\"" })
                    // The display name beside the reference.
                    if let display = rest.components(separatedBy: "\"display\":\"").dropFirst().first {
                        keep(display.prefix { $0 != "\"" })
                    }
                }
                for line in text.split(separator: "\n") {
                    for key in ["\"entity\":"] {
                        guard let entities = line.components(separatedBy: key).dropFirst().first else { continue }
                        for k in ["\"name\":\"", "\"valueString\":\"", "\"value\":\""] {
                            for rest in entities.components(separatedBy: k).dropFirst() { keep(rest.prefix { $0 != "\"" }) }
                        }
                    }
                }
            }
        }
        // A value that the inputs also hold outside personal data (a patient called RADIOLOGY and a
        // receiving application RADIOLOGY, an insurer in ST LOUIS) cannot show a leak.
        found.subtract(try publicValues(in: paths))
        return found
    }

    /// Every component and sub-component of the segments that carry no personal data, and of IN1's
    /// insurer fields.
    static func publicValues(in paths: [String]) throws -> Set<String> {
        var values = Set<String>()
        let open: Set<String> = ["MSH", "EVN", "MSA", "PV1", "PV2", "ORC", "OBR", "OBX", "NTE", "DG1", "AL1", "PR1", "FT1", "IN1"]
        let insuredFields: Set<Int> = [16, 18, 19, 42, 43, 44, 49]
        for path in paths where !path.hasSuffix(".jsonl") {
            let text = try String(contentsOf: URL(fileURLWithPath: path, relativeTo: Paths.root), encoding: .utf8)
            for segment in text.split(whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) {
                let fields = segment.split(separator: "|", omittingEmptySubsequences: false)
                guard let id = fields.first, open.contains(String(id)) else { continue }
                for (n, field) in fields.enumerated() where !(id == "IN1" && insuredFields.contains(n)) {
                    for part in field.split(whereSeparator: { "~^&".contains($0) }) { values.insert(String(part)) }
                }
            }
        }
        return values
    }

    /// Every string of every JSON line, and the raw text, so that an escaped value is found too.
    static func searchable(_ text: String) -> String {
        var all = text
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            for value in object.values { all += "\n\(value)" }
        }
        return all
    }

    /// A FHIR AuditEvent whose acting agent is the patient (a portal) or a relative: their pseudonym as
    /// user, and neither name, display nor raw id anywhere (the agent's name was written as agent.name).
    @Test func aPatientOrRelativeActingIsNotNamed() throws {
        let event = #"{"resourceType":"AuditEvent","id":"x","type":{"code":"110110"},"action":"R","recorded":"2026-11-24T10:00:00Z","outcome":"0","agent":[{"who":{"reference":"Patient/55501234","display":"Johanna Secretperson"},"name":"Johanna Secretperson","requestor":true},{"who":{"reference":"RelatedPerson/777","display":"Karl Secretrelative"},"name":"Karl Secretrelative","altId":"kr-777","requestor":false}],"source":{"observer":{"display":"portal"}},"entity":[{"what":{"reference":"Patient/55501234"}}]}"#
        let run = try wardwatch(["parse", "-"], stdin: Data((event + "\n").utf8))
        #expect(run.status == 0)
        for secret in ["Secretperson", "Secretrelative", "55501234", "RelatedPerson/777", "kr-777"] {
            #expect(!run.stdout.contains(secret), "\(secret)")
        }
        #expect(run.stdout.contains(#""user.name":"pid:"#))
    }

    /// HL7 NTE comments are free text ("Patient … called back"): redacted like the patient's own fields.
    @Test func hl7CommentsAreRedacted() throws {
        let message = "MSH|^~\\&|LIS|GH|EHR|GH|20261122080240||ORU^R01|L1|P|2.5\rPID|1||123^^^GH^MR||DOE^JANE\rNTE|1|L|Patient Johanna Secretperson called back|RE\r\n"
        let run = try wardwatch(["parse", "-"], stdin: Data(message.utf8))
        #expect(!run.stdout.contains("Secretperson") && !run.stdout.contains("DOE"))
        #expect(run.stdout.contains("NTE|1|L|[redacted]|RE"))
    }

    @Test func noPatientDataInParseOrScanOutputUnlessRevealed() throws {
        let inputs = Self.inputs()
        #expect(inputs.count == 23)
        let secrets = try Self.secrets(in: inputs)
        // The collection itself must find what the samples hold.
        for known in ["EVERYWOMAN", "555-44-4444", "153 FERNWOOD DR.", "196203520", "fc133984036647e", "MRN20481137",
                      "Margarethe Vandersloot", "1947-03-09", "RICHMOND", "NiNa Bonita", "12345679", "19750322"] {
            #expect(secrets.contains(known), "\(known)")
        }
        #expect(secrets.count > 100)

        let parse = try wardwatch(["parse"] + inputs, phiKey: nil)
        let dir = try Paths.temporaryDirectory()
        let alerts = dir.appendingPathComponent("alerts.jsonl")
        let scan = try wardwatch(["scan", "--rules", "Rules", "--rules", "Tests/EndToEndTests/Fixtures/rules-phi",
                                  "--output", alerts.path] + inputs)
        let pretty = try wardwatch(["scan", "--rules", "Tests/EndToEndTests/Fixtures/rules-phi", "--format", "pretty"] + inputs)
        let alertText = try String(contentsOf: alerts, encoding: .utf8)
        // Every HL7/ATNA/FHIR event alerted (the rule matches them all), with its redacted original.
        #expect(alertText.split(separator: "\n").filter { $0.contains("0d7e1f2a-3b4c-4d5e-8f60-718293a4b5c6") }.count == 56)
        #expect(parse.stderr.contains("pseudonymized with a random key"))
        let outputs = [("parse stdout", parse.stdout), ("parse stderr", parse.stderr), ("scan stdout", scan.stdout),
                       ("scan stderr", scan.stderr), ("alert file", alertText), ("pretty", pretty.stdout)]
        for (name, text) in outputs {
            let haystack = Self.searchable(text)
            let leaked = secrets.filter { haystack.contains($0) }.sorted()
            #expect(leaked.isEmpty, "\(name) shows \(leaked)")
        }

        // A forced format is no way around the policy.
        for format in ["raw", "syslog", "rfc5424", "rfc3164", "json"] {
            let forced = try wardwatch(["parse", "--format", format] + inputs)
            let haystack = Self.searchable(forced.stdout + forced.stderr)
            let leaked = secrets.filter { haystack.contains($0) }.sorted()
            #expect(leaked.isEmpty, "--format \(format) shows \(leaked)")
        }

        // Nor is a line cut at the limit (an HL7 message, an ATNA or HL7-XML document broken in two).
        for limit in ["64", "100", "200"] {
            let cut = try wardwatch(["parse", "--max-line-bytes", limit] + inputs)
            #expect(cut.status == 3)  // the cuts are reported
            let haystack = Self.searchable(cut.stdout + cut.stderr)
            let leaked = secrets.filter { haystack.contains($0) }.sorted()
            #expect(leaked.isEmpty, "--max-line-bytes \(limit) shows \(leaked)")
        }

        // With --reveal-phi, the operator sees them.
        let revealed = try wardwatch(["parse", "--reveal-phi"] + inputs)
        let haystack = Self.searchable(revealed.stdout)
        let missing = secrets.filter { !haystack.contains($0) }.sorted()
        #expect(missing.isEmpty, "not shown with --reveal-phi: \(missing)")
    }

    @Test(.needsShared) func pseudonymsAreStableUnderAKeyAndTheKeyIsChecked() throws {
        let dir = try Paths.temporaryDirectory()
        let key = dir.appendingPathComponent("phi.key")
        try Data("correct horse battery staple\n".utf8).write(to: key)
        let input = Paths.sample("hl7v2_python-hl7/sample_hl7.hl7").path
        let first = try wardwatch(["parse", "--phi-key-file", key.path, input], phiKey: nil)
        let second = try wardwatch(["parse", "--phi-key-file", key.path, input], phiKey: nil)
        // The file wins over the environment; the environment's key gives other tokens.
        let withEnvironment = try wardwatch(["parse", "--phi-key-file", key.path, input])
        let environmentOnly = try wardwatch(["parse", input])
        #expect(withEnvironment.stdout == first.stdout && environmentOnly.stdout != first.stdout)
        #expect(environmentOnly.stderr.isEmpty)
        #expect(first.status == 0 && first.stdout == second.stdout)
        #expect(!first.stderr.contains("random key"))
        #expect(first.stdout.contains("\"patient.id\":\"pid:"))
        let short = dir.appendingPathComponent("short.key")
        try Data("tooshort".utf8).write(to: short)
        let bad = try wardwatch(["parse", "--phi-key-file", short.path, input])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("the patient-data key (file) must be at least 16 bytes, not 8."))
        let missing = try wardwatch(["parse", "--phi-key-file", dir.appendingPathComponent("none").path, input])
        #expect(missing.status == 2 && missing.stderr.contains("cannot read the patient-data key file"))
    }
}
