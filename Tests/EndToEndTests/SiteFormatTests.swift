import Foundation
import Testing
import WardTestSupport

/// Site formats (`Rules/formats`, `--formats`): definitions, errors, time layouts, typed fields, `then`
/// chains, patient data and Sigma routing, through the `wardwatch` binary.
@Suite struct SiteFormatTests {
    /// Writes `files` into a fresh folder and returns it.
    func folder(_ files: [String: String]) throws -> URL {
        let dir = try Paths.temporaryDirectory()
        for (name, text) in files {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(name).deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir
    }

    func events(_ run: Run) throws -> [[String: Any]] {
        try run.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test func badDefinitionsAreErrorsWithTheirPlace() throws {
        let dir = try folder([
            "bad.yml": """
            name: one
            pattern: '%{NOSUCH:x} %{INT:y}'
            ---
            name: two
            pattern: '%{INT:y'
            ---
            name: three
            pattern: '%{INT:y:number}'
            ---
            name: four
            regex: '(?<y>[a-z]+'
            ---
            name: five
            pattern: '%{INT:@timestamp}'
            ---
            name: six
            colour: blue
            pattern: '%{INT:y}'
            ---
            name: seven
            pattern: '%{GREEDYDATA:rest}'
            then: {field: rest, parser: eight}
            ---
            name: eight
            pattern: '%{GREEDYDATA:rest}'
            then: {field: rest, parser: seven}
            ---
            name: nine
            patterns: {LOOP: '%{LOOP}x'}
            pattern: '%{LOOP:y}'
            ---
            name: ten
            pattern: '%{INT:y}'
            timestamp: yyyy-QQ-dd
            ---
            name: eleven
            pattern: '%{WORD:event.kind} %{WORD:threat.technique.id}'
            """,
            "s.log": "hi\n",
        ])
        let bad = dir.appendingPathComponent("bad.yml").path
        let run = try wardwatch(["parse", "--formats", bad, dir.appendingPathComponent("s.log").path])
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        let expected = [
            "\(bad):17: format 'six': unknown key 'colour' (constants, contains, description, fields, logsource, name, paths, pattern, patterns, prefix, regex, then, timestamp, zone)",
            "\(bad):2: format 'one': unknown grok pattern 'NOSUCH' (at character 1 of the pattern)",
            "\(bad):5: format 'two': '%{' without its closing '}' (at character 1 of the pattern)",
            "\(bad):8: format 'three': unknown field type 'number' in '%{INT:y:number}' (int, integer, long, float, ip, keyword, string) (at character 1 of the pattern)",
            "\(bad):11: format 'four': the pattern is not a valid regular expression: missing closing parenthesis",
            "\(bad):13: format 'five': the pattern captures '@timestamp': say how to read it with 'timestamp' (a layout such as yyyy-MM-dd HH:mm:ss, epoch_s, rfc3339 or bsd)",
            "\(bad):30: format 'nine': grok pattern 'LOOP' refers to itself (LOOP → LOOP) (at character 1 of the pattern)",
            "\(bad):32: format 'ten': unknown letter 'Q' in the time layout 'yyyy-QQ-dd' (y M d H h m s S a E X Z; quote literal text: 'T')",
            "\(bad):36: format 'eleven': 'event.kind' cannot be captured: wardwatch sets it itself",
            "\(bad):20: 'then' makes a cycle: seven → eight → seven",
            "\(bad):24: 'then' makes a cycle: eight → seven → eight",
            "11 problems in the log format definitions; nothing was read. Fix them or leave the file out of --formats.",
        ]
        #expect(run.stderr == expected.map { "wardwatch: error: \($0)\n" }.joined())
    }

    /// The shipped HealthApp definition on the lines: milliseconds after a colon, unpadded
    /// numbers, `|` separators; a line whose pid is not a number is not the format's (it stays unparsed).
    @Test func healthAppLinesAndWhereAPatternStops() throws {
        let dir = try folder(["HealthApp_sample.log": """
            20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579
            20171224-0:1:2:3|Step_SPUtils|30002312|getTodayTotalDetailSteps = 1514038440000##6993##548365##8661##12266##27164404
            20171223-22:15:29:615|Step_LSC|abc|onExtend:1514038530000 14 0 4

            """])
        let log = dir.appendingPathComponent("HealthApp_sample.log").path
        let parsed = try events(try wardwatch(["parse", log]))
        #expect(parsed.map { $0["event.dataset"] as? String } == ["loghub.healthapp", "loghub.healthapp", "unparsed"])
        #expect(parsed[0]["@timestamp"] as? String == "2017-12-23T22:15:29.606Z")
        #expect(parsed[1]["@timestamp"] as? String == "2017-12-24T00:01:02.300Z")
        #expect(parsed[0]["process.pid"] as? Int == 30002312)
        #expect(parsed[0]["log.logger"] as? String == "Step_LSC")
        #expect(parsed[0]["message"] as? String == "onStandStepChanged 3579")
        let test = try wardwatch(["formats", "test", Paths.root.appendingPathComponent("Rules/formats/loghub/healthapp.yml").path, log])
        #expect(test.status == 1)
        #expect(test.stdout.contains("line 3: no format of \(Paths.root.path)/Rules/formats/loghub/healthapp.yml matched (unparsed)\n  loghub.healthapp: 4 of 7 parts matched, up to byte 31 ('20171223-22:15:29:615|Step_LSC|'); then %{INT:process.pid:integer} did not\n"), "\(test.stdout)")
        #expect(test.stdout.hasSuffix("3 lines: 2 got a format of \(Paths.root.path)/Rules/formats/loghub/healthapp.yml, 1 did not\n"))
    }

    @Test func timeLayoutsZonesAndTypedFields() throws {
        let dir = try folder([
            "formats/app.yml": """
            name: site.iso
            prefix: "ISO "
            pattern: 'ISO %{NOTSPACE:@timestamp} %{NOTSPACE:source.ip:ip} %{NOTSPACE:event.duration:integer} %{NOTSPACE:app.ratio:float}'
            timestamp: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
            ---
            name: site.local
            prefix: "LOCAL "
            pattern: 'LOCAL %{DATA:@timestamp} - %{GREEDYDATA:message}'
            timestamp: dd/MM/yyyy hh:mm:ss a
            zone: "+02:00"
            ---
            name: site.epoch
            prefix: "EPOCH "
            pattern: 'EPOCH %{NUMBER:@timestamp} %{GREEDYDATA:message}'
            timestamp: epoch_ms
            ---
            name: site.http
            prefix: "HTTP "
            pattern: 'HTTP \\[%{HTTPDATE:@timestamp}\\] %{GREEDYDATA:message}'
            timestamp: dd/MMM/yyyy:HH:mm:ss Z
            """,
            "app.log": """
            ISO 2026-03-01T10:00:00.250+01:00 10.1.2.3 42 0.5
            ISO 2026-03-01T10:00:00.5Z 2001:db8::7 -3 7
            ISO 2026-03-01T10:00:00.000Z not-an-ip x1 y
            LOCAL 29/11/2026 01:05:09 PM - shift change
            EPOCH 1764417600123 backup done
            HTTP [29/Nov/2026:13:05:09 -0500] GET /index.html

            """,
        ])
        let run = try wardwatch(["parse", "--formats", dir.appendingPathComponent("formats").path, dir.appendingPathComponent("app.log").path])
        #expect(run.status == 0, "\(run.stderr)")
        let e = try events(run)
        #expect(e.map { $0["@timestamp"] as? String } == ["2026-03-01T09:00:00.250Z", "2026-03-01T10:00:00.500Z", "2026-03-01T10:00:00.000Z",
                                                          "2026-11-29T11:05:09.000Z", "2025-11-29T12:00:00.123Z", "2026-11-29T18:05:09.000Z"])
        #expect(e[0]["source.ip"] as? String == "10.1.2.3")
        #expect(e[0]["event.duration"] as? Int == 42)
        #expect(e[0]["app.ratio"] as? Double == 0.5)
        #expect(e[1]["source.ip"] as? String == "2001:db8::7")
        #expect(e[1]["event.duration"] as? Int == -3)
        // A value that is not of its type: an IP is left out, a number kept as text; the event says why.
        #expect(e[2]["source.ip"] == nil)
        #expect(e[2]["event.duration"] as? String == "x1")
        #expect(e[2]["error.message"] as? String == "format site.iso: a value that should be an IP address is not at byte 29 of the line.")
        #expect(e[3]["message"] as? String == "shift change")
        #expect(e.map { $0["event.dataset"] as? String } == ["site.iso", "site.iso", "site.iso", "site.local", "site.epoch", "site.http"])
    }

    /// `then`: a prefix before a syslog line (Loghub Thunderbird, shipped), JSON after an application's
    /// header, key=value text, and one format handing on to another.
    @Test func thenHandsOnToBuiltInParsersAndFormats() throws {
        let dir = try folder([
            "formats/chain.yml": """
            name: site.json_after_header
            prefix: "ehr-app "
            pattern: 'ehr-app %{TIMESTAMP_ISO8601:@timestamp} %{LOGLEVEL:log.level} %{GREEDYDATA:_json}'
            timestamp: yyyy-MM-dd HH:mm:ss
            then: {field: _json, parser: json}
            ---
            name: site.kv
            prefix: "pacs "
            pattern: 'pacs %{GREEDYDATA:message}'
            then: {field: message, parser: kv}
            ---
            name: site.outer
            prefix: "lab "
            pattern: 'lab %{WORD:lab.station} %{GREEDYDATA:_inner}'
            then: {field: _inner, parser: site.inner}
            ---
            name: site.inner
            pattern: '%{WORD:event.action} by %{USERNAME:user.name}'
            """,
            "Thunderbird_2k.log": """
            - 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root
            R_HDA_NAR 1131566500 2005.11.09 tn1 Nov 9 12:01:40 tn1/tn1 sshd[1234]: Failed password for invalid user admin from 10.1.2.3 port 4242 ssh2

            """,
            "app.log": """
            ehr-app 2026-11-29 08:00:01 WARN {"user":"jdoe","action":"export","rows":250}
            pacs aet=STORESCU calling="CT 01" bytes=1200
            lab haem1 release by mwong

            """,
        ])
        let formats = dir.appendingPathComponent("formats").path
        let thunder = try events(try wardwatch(["parse", "--year", "2005", dir.appendingPathComponent("Thunderbird_2k.log").path]))
        #expect(thunder.map { $0["event.dataset"] as? String } == ["loghub.thunderbird", "loghub.thunderbird"])
        #expect(thunder[0]["host.hostname"] as? String == "dn228")
        #expect(thunder[0]["process.name"] as? String == "crond(pam_unix)")
        #expect(thunder[0]["process.pid"] as? Int == 2915)
        #expect(thunder[0]["@timestamp"] as? String == "2005-11-09T12:01:01.000Z")
        #expect(thunder[1]["source.ip"] as? String == "10.1.2.3")
        #expect(thunder[1]["user.name"] as? String == "admin")
        #expect(thunder[1]["event.outcome"] as? String == "failure")
        #expect(thunder[1]["supercomputer.label"] as? String == "R_HDA_NAR")
        let app = try events(try wardwatch(["parse", "--formats", formats, dir.appendingPathComponent("app.log").path]))
        #expect(app.map { $0["event.dataset"] as? String } == ["site.json_after_header", "site.kv", "site.outer"])
        #expect(app[0]["user"] as? String == "jdoe")
        #expect(app[0]["rows"] as? Int == 250)
        #expect(app[0]["log.level"] as? String == "WARN")
        #expect(app[0]["_json"] == nil)
        #expect(app[1]["kv.aet"] as? String == "STORESCU")
        #expect(app[1]["kv.calling"] as? String == "CT 01")
        #expect(app[2]["lab.station"] as? String == "haem1")
        #expect(app[2]["event.action"] as? String == "release")
        #expect(app[2]["user.name"] as? String == "mwong")
    }

    /// A site format that carries a patient's name and record number: the name is redacted, the number
    /// pseudonymized (the same token as HL7 gives for that identifier), in the fields and in
    /// `event.original`; `--reveal-phi` shows them.
    @Test func personalFieldsAreRedactedUnlessRevealed() throws {
        let dir = try folder([
            "formats/ehr.yml": """
            name: site.ehr_access
            prefix: "EHRACCESS|"
            pattern: 'EHRACCESS\\|%{USERNAME:user.name}\\|%{DATA:patient.name}\\|%{NOTSPACE:mrn}\\|%{GREEDYDATA:message}'
            fields:
              mrn: {patient_id: true}
            constants: {observer.product: EHR}
            """,
            "ehr.log": "EHRACCESS|nurse.kim|MUSTERMANN^ERIKA|MRN0042|opened chart of MUSTERMANN^ERIKA\n",
        ])
        let formats = dir.appendingPathComponent("formats").path
        let log = dir.appendingPathComponent("ehr.log").path
        let run = try wardwatch(["parse", "--formats", formats, log])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("MUSTERMANN"))
        #expect(!run.stdout.contains("MRN0042"))
        let e = try events(run)[0]
        let token = e["mrn"] as? String ?? ""
        #expect(token.hasPrefix("pid:") && token.count == 20)
        #expect(e["patient.name"] as? String == "[redacted]")
        #expect(e["user.name"] as? String == "nurse.kim")
        #expect(e["observer.product"] as? String == "EHR")
        // The name repeated in the message is redacted there too.
        #expect(e["event.original"] as? String == "EHRACCESS|nurse.kim|[redacted]|\(token)|opened chart of [redacted]")
        #expect(e["message"] as? String == "opened chart of [redacted]")
        let revealed = try events(try wardwatch(["parse", "--reveal-phi", "--formats", formats, log]))[0]
        #expect(revealed["patient.name"] as? String == "MUSTERMANN^ERIKA")
        #expect(revealed["mrn"] as? String == "MRN0042")
    }

    /// A site format that would take every line of a file (selected by its path, or as a fallback) never
    /// takes HL7, ATNA or FHIR content: those lines go to the parsers that redact their patient data.
    @Test func siteFormatsNeverTakeHospitalAuditContent() throws {
        let dir = try folder([
            "formats/greedy.yml": """
            name: site.by_path
            paths: ["*interface-engine*"]
            pattern: '%{GREEDYDATA:message}'
            ---
            name: site.fallback
            pattern: '%{GREEDYDATA:message}'
            """,
            "interface-engine.log": "2026-11-29 08:00:00 INFO routed MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261129080000||ORU^R01|77|P|2.5\rPID|1||MRN0042^^^HOSP||MUSTERMANN^ERIKA||19700101|F\n"
                + "2026-11-29 08:00:01 INFO queue drained\n"
                + "<AuditMessage><ParticipantObjectIdentification ParticipantObjectID=\"MRN0042\" ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\"><ParticipantObjectName>MUSTERMANN^ERIKA</ParticipantObjectName></ParticipantObjectIdentification></AuditMessage>\n",
            "other.log": "<AuditMessage><ParticipantObjectIdentification ParticipantObjectID=\"MRN0042\" ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\"><ParticipantObjectName>MUSTERMANN^ERIKA</ParticipantObjectName></ParticipantObjectIdentification></AuditMessage>\nnothing to see\n",
        ])
        let formats = dir.appendingPathComponent("formats").path
        let run = try wardwatch(["parse", "--formats", formats, dir.appendingPathComponent("interface-engine.log").path,
                                 dir.appendingPathComponent("other.log").path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("MUSTERMANN"))
        #expect(!run.stdout.contains("MRN0042"))
        let e = try events(run)
        #expect(e.map { $0["event.dataset"] as? String } == ["hl7.v2", "site.by_path", "hl7.atna", "hl7.atna", "site.fallback"])
        // `formats test` shows where a pattern stopped, but not the text of an audit line it read.
        let stopping = dir.appendingPathComponent("stopping.yml")
        try "name: site.stopping\npattern: '%{GREEDYDATA:a}NEVER$'\n".write(to: stopping, atomically: true, encoding: .utf8)
        let test = try wardwatch(["formats", "test", stopping.path, dir.appendingPathComponent("interface-engine.log").path])
        #expect(test.stdout.contains("line 1: no format of \(stopping.path) matched (hl7.v2)\n  site.stopping: 2 of 7 parts matched, up to byte 125; then E did not\n"), "\(test.stdout)")
        #expect(!test.stdout.contains("MUSTERMANN"))
        #expect(test.stdout.contains("site.stopping: 2 of 7 parts matched, up to byte 22 ('2026-11-29 08:00:01 IN'); then E did not"))
    }

    /// A rule written for a site format's log source alerts on its events; a format with no path or
    /// line test only takes lines no built-in parser understood.
    @Test func rulesReachASiteFormatsLogSource() throws {
        let dir = try folder([
            "formats/nurse.yml": """
            name: site.nursecall
            pattern: 'NC %{WORD:event.action} room=%{NOTSPACE:nursecall.room} badge=%{NOTSPACE:user.id}'
            logsource: {product: nursecall}
            """,
            "rules/silenced.yml": """
            title: Nurse call silenced from a badge
            id: 7d1c3c52-8f0b-4c1e-9b7e-0b8f1f6a2c11
            status: experimental
            level: medium
            logsource: {product: nursecall}
            detection:
              selection: {event.action: silenced}
              condition: selection
            """,
            "calls.log": """
            NC raised room=3B-12 badge=4711
            NC silenced room=3B-12 badge=4711
            <13>Nov 29 10:00:00 ward3 NC silenced room=3B-14 badge=4712

            """,
        ])
        let run = try wardwatch(["scan", "--year", "2026", "--formats", dir.appendingPathComponent("formats").path,
                                 "--rules", dir.appendingPathComponent("rules").path, dir.appendingPathComponent("calls.log").path])
        #expect(run.status == 0, "\(run.stderr)")
        let alerts = try events(run)
        #expect(alerts.count == 1)
        #expect(alerts.first?["rule.name"] as? String == "Nurse call silenced from a badge")
        #expect(alerts.first?["nursecall.room"] as? String == "3B-12")
        #expect(alerts.first?["log.offset"] as? Int == 32)
        // The syslog line stays syslog: the fallback format only sees lines no parser understood.
        let parsed = try events(try wardwatch(["parse", "--year", "2026", "--formats", dir.appendingPathComponent("formats").path,
                                               dir.appendingPathComponent("calls.log").path]))
        #expect(parsed.map { $0["event.dataset"] as? String } == ["site.nursecall", "site.nursecall", "syslog.rfc3164"])
    }
}
