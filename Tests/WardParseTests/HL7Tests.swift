import Foundation
import Testing
import WardCore
import WardParse
import WardTestSupport

/// HL7 v2 against python-hl7's reference parse of every sample, every framing, custom delimiters,
/// on-demand paths, MSH-7 times, and the patient-data policy.
@Suite(.needsShared) struct HL7Tests {
    static let key = PatientDataPolicy(key: Array("wardwatch-test-key-0123456789".utf8), keySource: "file")

    static func parse(_ bytes: [UInt8], policy: PatientDataPolicy = key) -> [ReadEvent] {
        let chunk = Chunk(bytes: bytes, origin: testOrigin(), framing: AuditRecordFraming())
        var batch = EventBatch()
        EventParser(options: ParseOptions(patientData: policy)).parse(chunk, into: &batch)
        return batch.readEvents(in: chunk)
    }

    /// Every sample with a reference parse beside it.
    static func referenceFiles() -> [URL] {
        var files: [URL] = []
        for dir in ["hl7v2_python-hl7", "hl7v2_hapi"] {
            let root = Paths.sample(dir)
            let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
            while let url = walker?.nextObject() as? URL {
                if url.lastPathComponent.hasSuffix(".python-hl7.json") { files.append(url) }
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    /// A python-hl7 value (string, or nested lists) as repetitions → components → sub-components.
    static func normalize(field: Any) -> [[[String]]] {
        let reps = field as! [Any]
        return reps.map { rep -> [[String]] in
            if let s = rep as? String { return [[s]] }
            return (rep as! [Any]).map { comp -> [String] in
                if let s = comp as? String { return [s] }
                return comp as! [String]
            }
        }
    }

    /// Our view of a message: each segment's fields split with ``ER7``, the same nesting.
    static func structure(_ message: [UInt8]) -> [[[[[String]]]]] {
        message.withUnsafeBufferPointer { buf -> [[[[[String]]]]] in
            let p = buf.baseAddress!
            let d = HL7Delimiters.read(p, start: 0, end: ER7.segmentEnd(p, from: 0, to: buf.count))!
            func text(_ r: Range<Int>) -> String { String(decoding: buf[r], as: UTF8.self) }
            func split(_ r: Range<Int>, _ sep: UInt8) -> [Range<Int>] {
                var parts: [Range<Int>] = []
                var n = 1
                while let part = ER7.part(n, of: p, r, separator: sep) { parts.append(part); n += 1 }
                return parts
            }
            var segments: [[[[[String]]]]] = []
            var i = 0
            while i < buf.count {
                while i < buf.count, ER7.endsSegment(p[i]) { i += 1 }
                guard i < buf.count else { break }
                let end = ER7.segmentEnd(p, from: i, to: buf.count)
                var fields: [[[[String]]]] = [[[[text(i..<(i + 3))]]]]
                var n = 1
                while let f = ER7.field(n, of: p, start: i, end: end, delimiters: d) {
                    if ER7.isHeader(ER7.segmentID(p, at: i)) && n <= 2 {
                        fields.append([[[text(f)]]])
                    } else {
                        fields.append(split(f, d.repetition).map { rep in
                            split(rep, d.component).map { comp in split(comp, d.subcomponent).map(text) }
                        })
                    }
                    n += 1
                }
                segments.append(fields)
                i = end
            }
            return segments
        }
    }

    static let expectedErrors = [
        "sample_bad_batch.hl7": "HL7: segment before any message header (MSH) at byte 65 of the line.",
        "sample_bad_file.hl7": "HL7: segment before any message header (MSH) at byte 132 of the line.",
        "sample_bad_file1.hl7": "HL7: second batch header (BHS) before the batch trailer (BTS) at byte 250 of the line.",
    ]

    @Test func everySampleMatchesPythonHL7sReferenceParse() throws {
        let files = Self.referenceFiles()
        #expect(files.count == 16)
        for reference in files {
            let oracle = try JSONSerialization.jsonObject(with: Data(contentsOf: reference)) as! [String: Any]
            let input = reference.deletingLastPathComponent().appendingPathComponent(oracle["input_file"] as! String)
            let events = Self.parse(Array(try Data(contentsOf: input)))
            let name = input.lastPathComponent
            if oracle["error"] != nil {
                // Rejected with its reason, kept as one event, patient data still redacted.
                #expect(events.count == 1, "\(name)")
                #expect(events.first?.dataset == "unparsed")
                #expect(events.first?.fields["error.message"] == Self.expectedErrors[name], "\(name)")
                #expect(events.first?.fields["event.original"]?.contains("pid:") == true, "\(name)")
                continue
            }
            // A file holds batches of messages; a batch or a plain input, messages.
            let messages = (oracle["batches"] as? [[[[Any]]]])?.flatMap { $0 } ?? (oracle["messages"] as! [[[Any]]])
            let parsed = events.filter { $0.dataset == "hl7.v2" }
            #expect(parsed.count == messages.count, "\(name)")
            #expect(events.allSatisfy { $0.dataset == "hl7.v2" || $0.dataset == "hl7.batch" }, "\(name)")
            for (message, event) in zip(messages, parsed) {
                let expected = message.map { segment in segment.map { Self.normalize(field: $0) } }
                let ours = Self.structure(try #require(event.raw["hl7.message"]))
                #expect(ours == expected, "\(name) control \(event.fields["hl7.control_id"] ?? "-")")
            }
        }
    }

    @Test(.needsShared) func normalizedFieldsOfTheNormativeORU() throws {
        let bytes = Array(try Data(contentsOf: Paths.sample("hl7v2_python-hl7/sample_hl7.hl7")))
        let event = try #require(Self.parse(bytes).first)
        var fields = event.fields
        let removedPID = fields.removeValue(forKey: "patient.id")
        fields.removeValue(forKey: "hl7.message")
        let removedOriginal = fields.removeValue(forKey: "event.original")
        let pid = try #require(removedPID)
        let original = try #require(removedOriginal)
        #expect(fields == [
            "hl7.message_type": "ORU^R01", "hl7.trigger_event": "R01", "hl7.control_id": "CNTRL-3456",
            "hl7.processing_id": "P", "hl7.version": "2.4", "hl7.sending_application": "GHH LAB",
            "hl7.sending_facility": "ELAB-3", "hl7.receiving_application": "GHH OE", "hl7.receiving_facility": "BLDG4",
            "hl7.timestamp_precision": "minute",
        ])
        #expect(event.timestamp == referenceNanos("2002-02-15T09:30:00Z"))
        #expect(pid.hasPrefix("pid:") && pid.count == 20)
        #expect(original.hasPrefix("MSH|^~\\&|GHH LAB|ELAB-3|GHH OE|BLDG4|200202150930||ORU^R01|CNTRL-3456|P|2.4\rPID|||\(pid)||[redacted]|[redacted]|[redacted]|F|||[redacted]||[redacted]|[redacted]||||[redacted]||[redacted]\rOBR|1|"))
        // The same patient gives the same token; another key another one.
        #expect(Self.parse(bytes).first?.fields["patient.id"] == pid)
        let other = PatientDataPolicy(key: Array("another-key-0123456789".utf8), keySource: "file")
        #expect(Self.parse(bytes, policy: other).first?.fields["patient.id"] != pid)
        // Revealed: the identifier and the line as read.
        let revealed = PatientDataPolicy(key: Array("wardwatch-test-key-0123456789".utf8), keySource: "file", reveal: true)
        let plain = try #require(Self.parse(bytes, policy: revealed).first)
        #expect(plain.fields["patient.id"] == "555-44-4444")
        #expect(plain.fields["event.original"] == nil)
    }

    @Test func everyFraming() throws {
        let msh = "MSH|^~\\&|LAB|GH|EHR|GH|20261122080000||ORU^R01|"
        // One per line with \r segments; segments on lines; MLLP frames back to back; batch on lines.
        let text = msh + "M1|P|2.5\rPID|||111||DOE^JANE\n"
            + msh + "M2|P|2.5\nPID|||222||ROE^RICK\nOBX|1|TX|||text\n"
            + "\u{0B}" + msh + "M3|P|2.5\rPID|||333\r\u{1C}\r\u{0B}" + msh + "M4|P|2.5\r\u{1C}\r\n"
            + "BHS|^~\\&|LAB|GH\nMSH|^~\\&|LAB|GH|EHR|GH|2026||ADT^A01|M5|P|2.5\nBTS|1\n"
            + "Nov 22 08:00:02 host sshd[1]: after\n"
        let events = Self.parse(Array(text.utf8))
        #expect(events.map(\.dataset) == ["hl7.v2", "hl7.v2", "hl7.v2", "hl7.v2", "hl7.batch", "hl7.v2", "hl7.batch",
                                          "syslog.rfc3164"])
        #expect(events.map { $0.fields["hl7.control_id"] ?? $0.fields["hl7.batch.message_count"] ?? "" }
                == ["M1", "M2", "M3", "M4", "", "M5", "1", ""])
        #expect(events.map(\.lineNumber) == [1, 2, 5, 5, 6, 7, 8, 9])
        #expect(events[1].fields["event.original"]?.hasSuffix("\nOBX|1|TX|||text") == true)
        #expect(events[2].line == Array((msh + "M3|P|2.5\rPID|||333").utf8))
    }

    @Test func messagesAfterASyslogHeaderOrALogPrefix() throws {
        let text = "<134>1 2026-11-22T08:00:00.000Z hl7-engine01 mirth 1777 RECV - MSH|^~\\&|LAB|GH|EHR|GH|20261122075959-0500||ORU^R01|M1|P|2.5\rPID|||12345^^^GH^MR||DOE^JANE||19800101|F\n"
            + "2026-11-22 08:00:01 INFO [channel-3] received: MSH|^~\\&|ADT|GH|EHR|GH|20261122080001||ADT^A01|M2|P|2.5\nEVN|A01|20261122080001|||jdoe\nPID|||67890^^^GH^MR||ROE^RICHARD\n"
        let events = Self.parse(Array(text.utf8))
        #expect(events.count == 2)
        #expect(events[0].dataset == "hl7.v2" && events[0].fields["process.name"] == "mirth")
        #expect(events[0].fields["hl7.control_id"] == "M1")
        #expect(events[0].timestamp == referenceNanos("2026-11-22T12:59:59Z"))
        #expect(events[0].fields["message"]?.contains("DOE") == false)
        #expect(events[0].fields["event.original"]?.hasPrefix("<134>1 2026-11-22T08:00:00.000Z hl7-engine01 mirth 1777 RECV - MSH|") == true)
        #expect(events[1].dataset == "hl7.v2" && events[1].fields["user.name"] == "jdoe")
        #expect(events[1].fields["hl7.control_id"] == "M2")
        for event in events {
            for secret in ["DOE", "JANE", "19800101", "12345", "ROE", "RICHARD", "67890"] {
                // Every field that is written out (hl7.message is internal to rule matching).
                #expect(event.fields.filter { $0.key != "hl7.message" }.values.allSatisfy { !$0.contains(secret) },
                        "\(secret)")
            }
        }
    }

    @Test func customDelimitersAndEscapes() throws {
        // Field #, component $, repetition *, escape @, sub-component !.
        let text = "MSH#$*@!#APP@T@X#FAC#EHR#GH#20260301120000.1234-0500##ADT$A08$ADT_A01#M9#P#2.6\rEVN##2026###op$Smith\rPID###ID@X41@1$$$AUTH!1*ALT###NAME\rPV1##I#WARD 3$ROOM 12"
        let events = Self.parse(Array(text.utf8))
        let event = try #require(events.first)
        #expect(event.dataset == "hl7.v2")
        #expect(event.fields["hl7.sending_application"] == "APP!X")
        #expect(event.fields["hl7.message_type"] == "ADT^A08")
        #expect(event.fields["hl7.message_structure"] == "ADT_A01")
        #expect(event.fields["hl7.evn.operator_id"] == "op")
        #expect(event.fields["hl7.pv1.patient_class"] == "I")
        #expect(event.fields["hl7.pv1.assigned_location"] == "WARD 3$ROOM 12")
        #expect(event.fields["hl7.timestamp_precision"] == "fraction")
        #expect(event.timestamp == referenceNanos("2026-03-01T17:00:00Z") + 123_400_000)
        let revealed = PatientDataPolicy(key: Array("0123456789abcdef".utf8), keySource: "file", reveal: true)
        #expect(Self.parse(Array(text.utf8), policy: revealed).first?.fields["patient.id"] == "IDA1")

        // Paths: first occurrence, first repetition, escapes decoded by the caller.
        let message = try #require(event.raw["hl7.message"])
        message.withUnsafeBufferPointer { buf in
            func value(_ path: String) -> String? {
                let name = Array(path.utf8)
                guard let parsed = name.withUnsafeBufferPointer({ HL7Path(name: $0) }),
                      let (range, d) = parsed.locate(in: buf.baseAddress!, count: buf.count) else { return nil }
                var out: [UInt8] = []
                HL7Parser.appendDecoded(buf.baseAddress!, range, d, to: &out)
                return String(decoding: out, as: UTF8.self)
            }
            #expect(value("MSH.1") == "#")
            #expect(value("MSH.2") == "$*@!")
            #expect(value("MSH.9.2") == "A08")
            #expect(value("PID.3") == "IDA1$$$AUTH!1")
            #expect(value("PID.3.1") == "IDA1")
            #expect(value("PID.3.4.2") == "1")
            #expect(value("PV1.3.2") == "ROOM 12")
            #expect(value("PV1.9") == nil)
            #expect(value("ZZZ.1") == nil)
        }
        for bad in ["pid.3", "PID", "PID.", "PID.x", "PID.0", "PID.1.2.3.4"] {
            #expect(Array(bad.utf8).withUnsafeBufferPointer { HL7Path(name: $0) } == nil, "\(bad)")
        }
    }

    /// HAPI's XML-encoded messages parse to the same fields as ER7 (rewritten as ER7 inside).
    @Test(.needsShared) func xmlEncodedMessagesParse() throws {
        let dir = "hl7v2_hapi/hapi-test/src/test/resources/ca/uhn/hl7v2/parser/"
        let omd = HL7Tests.parse(Array(try Data(contentsOf: Paths.sample(dir + "OMD_O03.xml"))))
        #expect(omd.count == 1)
        #expect(omd[0].dataset == "hl7.v2")
        #expect(omd[0].fields["hl7.message_type"] == "OMD^O03" && omd[0].fields["hl7.message_structure"] == "OMD_O03")
        #expect(omd[0].fields["hl7.sending_application"] == "TestSendingSystem" && omd[0].fields["hl7.version"] == "2.5")
        #expect(omd[0].timestamp == referenceNanos("2007-01-01T15:39:00Z"))
        #expect(omd[0].fields["hl7.message"] == "MSH|^~\\&|TestSendingSystem||||200701011539||OMD^O03^OMD_O03|||2.5|123\rPID|||1^^^hellin^PI||Doe^John\rODS|S|^breakfast|^320\\S\\1/2 HAM SANDWICH\\S\\99FD8")
        let adt = HL7Tests.parse(Array(try Data(contentsOf: Paths.sample(dir + "adt_a17.xml"))))
        #expect(adt.count == 1)
        let a = adt[0]
        #expect(a.fields["hl7.message_type"] == "ADT^A17" && a.fields["hl7.control_id"] == "MENSAJE_EJEMPLO_ADT_A17_1")
        #expect(a.fields["hl7.receiving_application"] == "CUIDADOS" && a.fields["hl7.pv1.patient_class"] == "I")
        #expect(a.fields["hl7.pv1.assigned_location"] == "UE6D^117-^117-1^050101")
        var token: [UInt8] = []
        Array("12345679".utf8).withUnsafeBufferPointer { HL7Tests.key.appendPseudonym($0, to: &token) }
        #expect(a.fields["patient.id"] == String(decoding: token, as: UTF8.self))
        #expect(a.fields["event.original"]?.contains("12345679") == false)
    }

    @Test func brokenMessagesAreKeptWithTheirReason() {
        let cases: [(String, String)] = [
            ("MSH|^~^&|A|B\rPID|||1", "HL7: invalid encoding characters in MSH-1/MSH-2 at byte 3 of the line."),
            ("PID|||123456||DOE^JOHN", "HL7: segment before any message header (MSH) at byte 0 of the line."),
            ("MSH|^~\\&|A\rpid|||1", "HL7: expected a segment ID (three letters or digits) at byte 11 of the line."),
        ]
        for (text, reason) in cases {
            let events = Self.parse(Array(text.utf8))
            #expect(events.count == 1 && events[0].dataset == "unparsed", "\(text)")
            #expect(events[0].fields["error.message"] == reason, "\(text)")
            #expect(events[0].fields.values.allSatisfy { !$0.contains("DOE") && !$0.contains("123456") }, "\(text)")
        }
    }
}

/// IHE ATNA audit messages: OpenHIM's samples with the values its tests assert, both schema spellings.
@Suite(.needsShared) struct ATNATests {
    static func parseFile(_ relative: String) throws -> [ReadEvent] {
        HL7Tests.parse(Array(try Data(contentsOf: Paths.sample(relative))))
    }

    @Test(.needsShared) func openHIMAuditMessageYieldsItsAssertedFields() throws {
        let expected = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Paths.sample("atna_openhim/testAuditMessage.expected.json"))) as! [String: Any]
        let events = try Self.parseFile("atna_openhim/testAuditMessage.rfc5424.log")
        #expect(events.count == 1)
        let e = try #require(events.first)
        #expect(e.dataset == "hl7.atna")
        let syslog = expected["syslog"] as! [String: Any]
        #expect(e.fields["log.syslog.priority"] == "\(syslog["prival"]!)")
        #expect(e.fields["log.syslog.facility.code"] == "\(syslog["facilityID"]!)")
        #expect(e.fields["log.syslog.severity.code"] == "\(syslog["severityID"]!)")
        #expect(e.fields["log.syslog.severity.name"] == syslog["severity"] as? String)
        #expect(e.fields["host.hostname"] == syslog["host"] as? String)
        #expect(e.fields["process.name"] == syslog["appName"] as? String)
        #expect(e.fields["process.pid"] == syslog["pid"] as? String)
        #expect(e.fields["log.syslog.msgid"] == syslog["msgID"] as? String)

        let event = expected["eventIdentification"] as! [String: Any]
        let eventID = event["eventID"] as! [String: String]
        let typeCode = event["eventTypeCode"] as! [String: String]
        #expect(e.fields["event.code"] == eventID["code"])
        #expect(e.fields["atna.event_id.display"] == eventID["displayName"])
        #expect(e.fields["atna.event_id.system"] == eventID["codeSystemName"])
        #expect(e.fields["atna.event_type.code"] == typeCode["code"])
        #expect(e.fields["atna.event_type.display"] == typeCode["displayName"])
        #expect(e.fields["atna.event_action_code"] == event["eventActionCode"] as? String)
        #expect(e.fields["event.action"] == "execute")
        #expect(e.fields["atna.event_outcome_indicator"] == event["eventOutcomeIndicator"] as? String)
        #expect(e.fields["event.outcome"] == "success")
        #expect(e.timestamp == referenceNanos("2015-03-05T10:52:31.356Z"))

        let participants = expected["activeParticipant"] as! [[String: Any]]
        let requestor = participants[0], destination = participants[1]
        #expect(requestor["userIsRequestor"] as? String == "true")
        #expect(e.fields["user.name"] == requestor["userID"] as? String)
        #expect(e.fields["atna.requestor.alternative_user_id"] == requestor["alternativeUserID"] as? String)
        #expect(e.fields["atna.requestor.network_access_point"] == requestor["networkAccessPointID"] as? String)
        #expect(e.fields["atna.requestor.network_access_point_type"] == requestor["networkAccessPointTypeCode"] as? String)
        #expect(e.fields["source.ip"] == "192.168.1.111")
        #expect(e.fields["atna.requestor.role.code"] == (requestor["roleIDCode"] as! [String: String])["code"])
        #expect(e.fields["atna.requestor.role.display"] == (requestor["roleIDCode"] as! [String: String])["displayName"])
        #expect(e.fields["atna.destination.user_id"] == destination["userID"] as? String)
        #expect(e.fields["atna.destination.network_access_point"] == destination["networkAccessPointID"] as? String)
        #expect(e.fields["atna.audit_source.id"] == (expected["auditSourceIdentification"] as! [String: String])["auditSourceID"])

        let objects = expected["participantObjectIdentification"] as! [[String: Any]]
        let patient = objects[0], query = objects[1]
        let rawPatientID = patient["participantObjectID"] as! String
        let pid = try #require(e.fields["patient.id"])
        // The pseudonym of the CX ID part, as HL7's PID-3.1 of the same patient would give.
        var token: [UInt8] = []
        Array(rawPatientID.split(separator: "^")[0].utf8).withUnsafeBufferPointer { HL7Tests.key.appendPseudonym($0, to: &token) }
        #expect(pid == String(decoding: token, as: UTF8.self))
        #expect(e.fields["atna.patient.id_type.code"] == (patient["participantObjectIDTypeCode"] as! [String: String])["code"])
        #expect(e.fields["atna.patient_count"] == "1")
        #expect(e.fields["atna.object.id"] == query["participantObjectID"] as? String)
        #expect(e.fields["atna.object.type_code"] == query["participantObjectTypeCode"] as? String)
        #expect(e.fields["atna.object.type_code_role"] == query["participantObjectTypeCodeRole"] as? String)
        #expect(e.fields["atna.object.id_type.code"] == (query["participantObjectIDTypeCode"] as! [String: String])["code"])
        // Nothing of the patient or the query leaves in clear.
        let original = try #require(e.fields["event.original"])
        for secret in ["fc133984036647e", query["participantObjectQuery"] as! String,
                       (query["participantObjectDetail"] as! [String: String])["value"]!] {
            #expect(e.fields.filter { $0.key != "hl7.message" }.values.allSatisfy { !$0.contains(secret) })
        }
        #expect(original.contains("ParticipantObjectID=\"\(pid)\""))
        #expect(original.contains("<ParticipantObjectQuery>[redacted]</ParticipantObjectQuery>"))
    }

    @Test(.needsShared) func iheWikiExampleAndOpenHIMsOtherLines() throws {
        let events = try Self.parseFile("atna_openhim/testAuditIHERFC3881.rfc5424.log")
        #expect(events.count == 1)
        let e = try #require(events.first)
        #expect(e.dataset == "hl7.atna")
        #expect(e.fields["event.code"] == "110114" && e.fields["atna.event_type.display"] == "Login")
        #expect(e.fields["user.name"] == "fe80::5999:d1ef:63de:a8bb%11")
        #expect(e.fields["source.ip"] == nil)  // type 1: a machine name, even when it reads like an address
        #expect(e.fields["atna.audit_source.enterprise_site_id"] == "End User")
        #expect(e.fields["atna.audit_source.type_code"] == "1")
        #expect(e.timestamp == referenceNanos("2010-12-17T21:12:04.287Z"))

        // OpenHIM's other lines: non-audit payloads stay syslog with their header; garbage is unparsed.
        let lines = try String(contentsOf: Paths.sample("atna_openhim/auditingTest.extra.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(lines.count == 3)
        for row in lines {
            let parsed = HL7Tests.parse(Array((row["line"] as! String).utf8))
            let accepted = (row["expected"] as! [String: Any])["accepted"] as! Bool
            #expect(parsed.count == 1)
            #expect(parsed[0].dataset == (accepted ? "syslog.rfc5424" : "unparsed"), "\(row["line"]!)")
            if accepted { #expect(parsed[0].fields["log.syslog.msgid"] == "IHE+RFC-3881") }
        }
    }

    @Test func dicomSpellingsElementsBOMAndStandalone() throws {
        // DICOM PS3.15 codes (csd-code/originalText), participant properties as elements, a BOM before the
        // XML, one line; then a standalone message over several lines, failure outcome, delete.
        let dicom = "<85>1 2026-11-22T08:00:00Z pacs01 dcm4chee - IHE+DICOM - \u{FEFF}<?xml version=\"1.0\"?><AuditMessage><EventIdentification EventActionCode=\"R\" EventDateTime=\"2026-11-22T07:59:58Z\" EventOutcomeIndicator=\"4\"><EventID csd-code=\"110110\" codeSystemName=\"DCM\" originalText=\"Patient Record\"/></EventIdentification><ActiveParticipant><UserID>jmiller</UserID><UserIsRequestor>true</UserIsRequestor><NetworkAccessPointID>10.30.14.77</NetworkAccessPointID><NetworkAccessPointTypeCode>2</NetworkAccessPointTypeCode></ActiveParticipant><ParticipantObjectIdentification ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\" ParticipantObjectID=\"MRN&amp;7781^^^HOSP\"><ParticipantObjectName>DOE^JANE</ParticipantObjectName></ParticipantObjectIdentification></AuditMessage>\n"
        let standalone = "<?xml version=\"1.0\"?>\n<AuditMessage>\n  <EventIdentification EventActionCode=\"D\" EventDateTime=\"2026-11-22T09:00:00+01:00\" EventOutcomeIndicator=\"8\">\n    <EventID code=\"110106\"/>\n  </EventIdentification>\n</AuditMessage>\nNov 22 08:00:02 host sshd[1]: after\n"
        let events = HL7Tests.parse(Array((dicom + standalone).utf8))
        #expect(events.map(\.dataset) == ["hl7.atna", "hl7.atna", "syslog.rfc3164"])
        let d = events[0]
        #expect(d.fields["event.code"] == "110110" && d.fields["atna.event_id.display"] == "Patient Record")
        #expect(d.fields["event.action"] == "read" && d.fields["event.outcome"] == "failure")
        #expect(d.fields["user.name"] == "jmiller" && d.fields["source.ip"] == "10.30.14.77")
        var token: [UInt8] = []
        Array("MRN&7781".utf8).withUnsafeBufferPointer { HL7Tests.key.appendPseudonym($0, to: &token) }
        #expect(d.fields["patient.id"] == String(decoding: token, as: UTF8.self))
        #expect(d.fields.filter { $0.key != "hl7.message" }.values.allSatisfy { !$0.contains("DOE") && !$0.contains("7781") })
        let s = events[1]
        #expect(s.fields["event.action"] == "delete" && s.fields["event.outcome"] == "failure")
        #expect(s.timestamp == referenceNanos("2026-11-22T08:00:00Z"))
        #expect(s.lineNumber == 2)
        #expect(events[2].lineNumber == 8)
    }
}

/// FHIR AuditEvent: the spec's login example (XML, converted to FHIR JSON here), R4 and R5 resources, Bundles.
@Suite struct FHIRAuditEventTests {
    /// FHIR XML → FHIR JSON: `<x value="v"/>` is `"x": "v"`, an element with children an object, a
    /// repeated element an array.
    static func json(fromFHIRXML bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { buf -> String in
            let p = buf.baseAddress!
            func text(_ r: Range<Int>) -> String { String(decoding: buf[r], as: UTF8.self) }
            func insert(_ dict: inout [String: Any], _ name: String, _ value: Any) {
                if let existing = dict[name] {
                    dict[name] = (existing as? [Any] ?? [existing]) + [value]
                } else {
                    dict[name] = value
                }
            }
            var scanner = XMLScanner(p, from: 0, to: buf.count)
            var stack: [(String, [String: Any])] = []
            var root: [String: Any] = [:]
            while let tag = scanner.next() {
                let name = text(tag.name)
                if tag.isClosing {
                    let (childName, child) = stack.removeLast()
                    if stack.isEmpty { root = child; root["resourceType"] = childName } else { insert(&stack[stack.count - 1].1, childName, child) }
                } else if tag.isEmpty {
                    let value = XMLScanner.attribute("value", in: p, tag.attributes).map(text) ?? ""
                    insert(&stack[stack.count - 1].1, name, value)
                } else {
                    stack.append((name, [:]))
                }
            }
            let data = try! JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    @Test(.needsShared) func theSpecsLoginExampleParses() throws {
        let xml = Array(try Data(contentsOf: Paths.sample("fhir_auditevent/source/auditevent/audit-event-example-login.xml")))
        let line = Self.json(fromFHIRXML: xml)
        let events = HL7Tests.parse(Array((line + "\n").utf8))
        #expect(events.count == 1)
        let e = try #require(events.first)
        #expect(e.dataset == "fhir.auditevent")
        var fields = e.fields
        fields.removeValue(forKey: "event.original")
        #expect(fields == [
            "fhir.id": "example-login", "event.code": "110114", "fhir.type.display": "User Authentication",
            "fhir.type.system": "http://nema.org/dicom/dicm", "fhir.subtype.code": "110122", "fhir.subtype.display": "Login",
            "event.action": "execute", "fhir.action": "E", "event.outcome": "success", "fhir.outcome": "0",
            "user.name": "95", "fhir.agent.alt_id": "601847123", "fhir.agent.name": "Grahame Grieve",
            "fhir.agent.network.address": "127.0.0.1", "fhir.agent.network.type": "2", "source.ip": "127.0.0.1",
            "fhir.source.observer": "hl7connect.healthintersections.com.au", "fhir.source.site": "Cloud",
            "fhir.source.type": "3",
        ])
        #expect(e.timestamp == referenceNanos("2013-06-20T23:41:23Z"))
    }

    static let r4 = #"{"resourceType":"AuditEvent","id":"example-rest","type":{"system":"http://terminology.hl7.org/CodeSystem/audit-event-type","code":"rest","display":"RESTful Operation"},"subtype":[{"code":"vread","display":"vread"}],"action":"R","recorded":"2013-06-20T23:42:24Z","outcome":"0","agent":[{"who":{"display":"server"},"requestor":false},{"type":{"coding":[{"code":"humanuser"}]},"who":{"identifier":{"value":"95"}},"name":"Grahame Grieve","requestor":true,"network":{"address":"127.0.0.1","type":"2"}}],"source":{"site":"Cloud","observer":{"display":"hl7connect"}},"entity":[{"what":{"reference":"Patient/MRN4471/_history/1","display":"Jane Q Doe"},"type":{"code":"1"},"role":{"code":"1"},"name":"Jane Doe"},{"what":{"reference":"DocumentReference/d1"},"type":{"code":"2"},"query":"bXktcXVlcnk=","detail":[{"type":"x","valueString":"Jane's detail"}]}]}"#
    static let bundle = #"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"AuditEvent","code":{"coding":[{"code":"110110"}]},"action":"C","recorded":"2026-11-22T08:00:00+01:00","outcome":{"code":{"code":"8"}},"agent":[{"who":{"display":"dr.who"},"requestor":true,"networkString":"10.1.1.1"}],"patient":{"reference":"Patient/p77","display":"John Roe"}}},{"resource":{"resourceType":"Patient","id":"p77"}},{"resource":{"resourceType":"AuditEvent","type":{"code":"110114"},"action":"E","recorded":"2026-11-22T09:00:00Z","outcome":"4"}}]}"#

    @Test func r4ResourceAndR5BundleGiveTheNormalizedFields() throws {
        let events = HL7Tests.parse(Array((Self.r4 + "\n" + Self.bundle + "\n{\"a\":1}\n").utf8))
        #expect(events.map(\.dataset) == ["fhir.auditevent", "fhir.auditevent", "fhir.auditevent", "json"])
        let r4 = events[0]
        #expect(r4.fields["user.name"] == "95" && r4.fields["source.ip"] == "127.0.0.1")
        #expect(r4.fields["event.action"] == "read" && r4.fields["event.outcome"] == "success")
        #expect(r4.fields["fhir.entity.what"] == "DocumentReference/d1" && r4.fields["fhir.patient_count"] == "1")
        var token: [UInt8] = []
        Array("MRN4471".utf8).withUnsafeBufferPointer { HL7Tests.key.appendPseudonym($0, to: &token) }
        let pid = String(decoding: token, as: UTF8.self)
        #expect(r4.fields["patient.id"] == pid)
        let original = try #require(r4.fields["event.original"])
        #expect(original.contains(#""reference":"Patient/\#(pid)/_history/1","display":"[redacted]""#))
        #expect(original.contains(#""query":"[redacted]""#) && original.contains(#""valueString":"[redacted]""#))
        for secret in ["MRN4471", "Jane", "bXktcXVlcnk="] {
            #expect(r4.fields.values.allSatisfy { !$0.contains(secret) }, "\(secret)")
        }
        // Two AuditEvents of the Bundle (the Patient entry is not one), both with the line's offset.
        #expect(events[1].fields["event.code"] == "110110" && events[1].fields["event.action"] == "create")
        #expect(events[1].fields["event.outcome"] == "failure" && events[1].fields["user.name"] == "dr.who")
        #expect(events[1].timestamp == referenceNanos("2026-11-22T07:00:00Z"))
        #expect(events[1].fields["patient.id"]?.hasPrefix("pid:") == true)
        #expect(events[2].fields["event.code"] == "110114" && events[2].fields["event.outcome"] == "failure")
        #expect(events[1].lineNumber == 2 && events[2].lineNumber == 2)
        for event in events.prefix(3) {
            #expect(event.fields.values.allSatisfy { !$0.contains("John Roe") && !$0.contains("Patient/p77") })
        }
    }

    /// A high surrogate followed by an escape that is not a low one (found by the fuzz test: it trapped
    /// on arithmetic overflow) gives U+FFFD and the second character, in plain JSON and in AuditEvents.
    @Test func unpairedSurrogatesNeverTrap() {
        let events = HL7Tests.parse(Array(#"""
        {"a":"\ud800\u0041","b":"\udbff\ud800x"}
        {"resourceType":"AuditEvent","agent":[{"who":{"display":"\ud800\u0041"},"requestor":true}]}
        """#.utf8))
        #expect(events.map(\.dataset) == ["json", "fhir.auditevent"])
        #expect(events[0].fields["a"] == "\u{FFFD}A")
        #expect(events[0].fields["b"] == "\u{FFFD}\u{FFFD}x")
        #expect(events[1].fields["user.name"] == "\u{FFFD}A")
    }

    @Test func brokenAuditEventIsKeptWithItsReasonAndNothingOfItsContent() {
        let events = HL7Tests.parse(Array(#"{"resourceType":"AuditEvent","entity":[{"name":"Broken Name"}"#.utf8))
        #expect(events.count == 1)
        #expect(events[0].dataset == "unparsed")
        #expect(events[0].fields["error.message"] == "JSON: the array is not closed at byte 61 of the line.")
        #expect(events[0].fields["event.original"] == "[redacted]")
    }
}
