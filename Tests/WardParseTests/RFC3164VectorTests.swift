import Foundation
import Testing
import WardCore
import WardParse
import WardTestSupport

/// RFC 3164 vectors (go-syslog, rsyslog's parser tests) and Loghub's real /var/log files, whole.
@Suite(.needsShared) struct RFC3164VectorTests {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// UTC nanoseconds of a year-less stamp `Mmm dd hh:mm:ss` in `year`.
    static func nanos(_ stamp: String, year: Int) -> Int64 {
        let parts = stamp.split(separator: " ", omittingEmptySubsequences: true)
        let month = months.firstIndex { $0.lowercased() == parts[0].lowercased() }! + 1
        let day = Int(parts[1])!
        return referenceNanos(String(format: "%04d-%02d-%02dT%@Z", year, month, day, String(parts[2])))
    }

    @Test(.needsShared) func everyGoSyslogVectorParsesWithExactlyItsFields() throws {
        let rows = try readJSONLines(Paths.sample("syslog_vectors/go-syslog_rfc3164_vectors.jsonl"))
        #expect(rows.count == 4)
        for row in rows {
            let id = row["id"] as! String
            let expected = row["expected"] as! [String: Any]
            let outcome = parse(vectorLine(row), .detected, options: ParseOptions(year: 2024))
            #expect(outcome.event.dataset == "syslog.rfc3164", "\(id)")
            var wanted: [String: String] = [
                "log.syslog.priority": "\(expected["priority"] as! Int)",
                "log.syslog.facility.code": "\(expected["facility"] as! Int)",
                "log.syslog.severity.code": "\(expected["severity"] as! Int)",
            ]
            if let host = expected["hostname"] as? String { wanted["host.hostname"] = host }
            if let app = expected["appname"] as? String { wanted["process.name"] = app }
            if let pid = expected["procid"] as? String { wanted["process.pid"] = pid }
            if let message = expected["message"] as? String { wanted["message"] = message }
            // The header's fields; a sudo line's MSG also gives `LinuxAuth`'s (tested in LinuxAuthTests).
            #expect(outcome.event.fields.filter { !derivedFieldNames.contains($0.key) && !linuxAuthFieldNames.contains($0.key) }
                    == wanted, "\(id)")
            #expect(outcome.event.timestamp == Self.nanos(expected["timestamp"] as! String, year: 2024), "\(id)")
        }
    }

    /// rsyslog's own parser tests that use the default parser chain and a one-line-in, one-line-out
    /// template. Where rsyslog's convention differs from the RFC 3164 reading we follow (go-syslog's and
    /// Elastic's: a tag ends with ':' or '[pid]'), the difference is listed here with its reason and our
    /// behaviour is asserted instead.
    static let rsyslogDifferences: [String: String] = [
        "rsyslog/parsertest-parse1#5": "rsyslog takes any first word as the tag; 'tag This msg' has no ':'",
        "rsyslog/parsertest-parse1#11": "rsyslog takes any first word as the tag; this one has no ':'",
        "rsyslog/parsertest-parse1#12": "rsyslog takes '--' of '-- MARK --' as the tag; it has no ':'",
        "rsyslog/parsertest-parse1#13": "rsyslog takes '--' of '-- MARK --' as the tag; it has no ':'",
        "rsyslog/parsertest-parse1#22": "rsyslog takes any first word as the tag; this one has no ':'",
        "rsyslog/parsertest-parse1#27": "rsyslog takes any first word as the tag; this one has no ':'",
        "rsyslog/parsertest-parse1#25": "rsyslog fills in the receiver's own hostname; a file has none",
        "rsyslog/parsertest-parse1#26": "rsyslog fills in the receiver's own hostname; a file has none",
        "rsyslog/parsertest-parse2#1": "rsyslog refuses '#001' as a hostname and makes it the tag; any token not ending in ':' is a hostname to us",
    ]

    @Test(.needsShared) func rsyslogParserTestsAgreeExceptWhereDocumented() throws {
        let rows = try readJSONLines(Paths.sample("syslog_vectors/rsyslog_parser_tests.jsonl"))
        let fullTemplate = #"%PRI%,%syslogfacility-text%,%syslogseverity-text%,%timestamp%,%hostname%,%programname%,%syslogtag%,%msg%\n"#
        let severityNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
        var checked = 0
        for row in rows {
            let id = row["id"] as! String
            guard let text = row["line"] as? String, let output = row["expected_output"] as? String else { continue }
            let template = row["output_template"] as! String
            let config = row["rsyslog_config"] as? String ?? ""
            // Tests of non-default parser settings (8-bit escaping) are about rsyslog's options, not syslog.
            if config.contains("Escape8BitCharactersOnReceive") { continue }
            let outcome = parse(Array(text.utf8), .detected, options: ParseOptions(year: 2024))
            let f = outcome.event.fields
            checked += 1
            if let reason = Self.rsyslogDifferences[id] {
                if id.hasSuffix("parse2#1") {
                    #expect(f["host.hostname"] == "#001", "\(id): \(reason)")
                    #expect(f["process.name"] == nil, "\(id): \(reason)")
                } else if reason.contains("hostname") {
                    #expect(f["host.hostname"] == nil, "\(id): \(reason)")
                } else {
                    #expect(f["process.name"] == nil, "\(id): \(reason)")
                    #expect(f["message"] != nil, "\(id): the words rsyslog calls a tag stay in the message")
                }
                continue
            }
            if template == #"%hostname%\n"# || template == #"-%hostname%-\n"# {
                let host = template.hasPrefix("-") ? String(output.dropFirst().dropLast()) : output
                #expect(f["host.hostname"] == host, "\(id)")
                continue
            }
            if template == #"%msg%---%rawmsg%\n"# {
                // rsyslog keeps JSON as the message; wardwatch parses a JSON object line as JSON lines.
                if text.hasPrefix("{") {
                    #expect(outcome.event.dataset == "json", "\(id)")
                    #expect(f == ["c1": "1"], "\(id)")
                } else {
                    #expect(outcome.event.dataset == "unparsed", "\(id): not an object at the start of the line")
                    #expect(f["message"] == text, "\(id)")
                }
                continue
            }
            guard template == fullTemplate || template.hasPrefix("%PRI%,%syslogfacility-text%,%syslogseverity-text%,%timestamp:::date-rfc3164-buggyday%") else {
                Issue.record("\(id): template not covered: \(template)")
                continue
            }
            let parts = output.split(separator: ",", maxSplits: 7, omittingEmptySubsequences: false).map(String.init)
            if text.hasPrefix("<") {
                #expect(f["log.syslog.priority"] == parts[0], "\(id)")
                #expect(f["log.syslog.severity.code"] == "\(severityNames.firstIndex(of: parts[2])!)", "\(id)")
                #expect(f["log.syslog.facility.name"]?.hasPrefix(parts[1]) == true, "\(id)")
            }
            if outcome.event.dataset == "syslog.rfc3164" {
                // rsyslog prints the stamp without its year; lines that carry one are checked against it.
                // ("Mar 7 2008 19:06:53" carries a year; "22:18:24 2009  host" is a hostname "2009".)
                var year = 2024
                if let r = text.range(of: #" (19|20)[0-9][0-9][ T-][0-9]"#, options: .regularExpression) {
                    year = Int(text[text.index(after: r.lowerBound)...].prefix(4))!
                } else if let r = text.range(of: #">(19|20)[0-9][0-9]-"#, options: .regularExpression) {
                    year = Int(text[text.index(after: r.lowerBound)...].prefix(4))!
                }
                #expect(outcome.event.timestamp == Self.nanos(parts[3], year: year), "\(id)")
            }
            #expect(f["host.hostname"] == (parts[4].isEmpty ? nil : parts[4]), "\(id)")
            #expect(f["process.name"] == (parts[5].isEmpty ? nil : parts[5]), "\(id)")
            // rsyslog's %msg% keeps the space after the tag; ours starts after it.
            let msg = parts[7].hasPrefix(" ") ? String(parts[7].dropFirst()) : parts[7]
            #expect((f["message"] ?? "") == msg, "\(id)")
        }
        #expect(checked >= 36)
    }

    /// Loghub's structured CSV gives month, day, time, host, component, PID and content for each line.
    static func loghubRows(_ path: String) throws -> [[String]] {
        let text = try String(contentsOf: Paths.sample(path), encoding: .utf8)
        // Split on scalars: a "\r\n" would be one Character.
        return text.unicodeScalars.split(separator: "\n").dropFirst().map {
            csvFields(String(String.UnicodeScalarView($0)).trimmingCharacters(in: .newlines))
        }
    }

    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "\"" {
                    quoted = false
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }

    static func parseFile(_ path: String, year: Int) throws -> [ReadEvent] {
        let bytes = Array(try Data(contentsOf: Paths.sample(path)))
        let chunk = Chunk(bytes: bytes, origin: testOrigin(path: path))
        var batch = EventBatch()
        EventParser(options: ParseOptions(year: year)).parse(chunk, into: &batch)
        return batch.readEvents(in: chunk)
    }

    @Test func allLoghubLinuxLinesParseWithTimestampHostAndProcess() throws {
        let events = try Self.parseFile("loghub/Linux/Linux_2k.log", year: 2005)
        let rows = try Self.loghubRows("loghub/Linux/Linux_2k.log_structured.csv")
        #expect(events.count == 2000 && rows.count == 2000)
        for (event, row) in zip(events, rows) {
            // LineId,Month,Date,Time,Level(host),Component,PID,Content,...
            let line = row[0]
            #expect(event.dataset == "syslog.rfc3164", "line \(line)")
            #expect(event.timestamp == Self.nanos("\(row[1]) \(row[2]) \(row[3])", year: 2005), "line \(line)")
            #expect(event.fields["host.hostname"] == row[4], "line \(line)")
            #expect(event.fields["process.name"] == row[5], "line \(line)")
            #expect(event.fields["process.pid"] == (row[6].isEmpty ? nil : row[6]), "line \(line)")
            let message = (event.fields["message"] ?? "").trimmingCharacters(in: .whitespaces)
            #expect(message == row[7].trimmingCharacters(in: .whitespaces), "line \(line)")
        }
    }

    @Test func allLoghubOpenSSHLinesParseWithTimestampHostAndProcess() throws {
        let events = try Self.parseFile("loghub/OpenSSH/OpenSSH_2k.log", year: 2017)
        let rows = try Self.loghubRows("loghub/OpenSSH/OpenSSH_2k.log_structured.csv")
        #expect(events.count == 2000 && rows.count == 2000)
        for (event, row) in zip(events, rows) {
            // LineId,Date(month),Day,Time,Component(host),Pid,Content,...
            let line = row[0]
            #expect(event.dataset == "syslog.rfc3164", "line \(line)")
            #expect(event.timestamp == Self.nanos("\(row[1]) \(row[2]) \(row[3])", year: 2017), "line \(line)")
            #expect(event.fields["host.hostname"] == row[4], "line \(line)")
            #expect(event.fields["process.name"] == "sshd", "line \(line)")
            #expect(event.fields["process.pid"] == row[5], "line \(line)")
            #expect((event.fields["message"] ?? "").trimmingCharacters(in: .whitespaces)
                    == row[6].trimmingCharacters(in: .whitespaces), "line \(line)")
        }
    }

    @Test func yearIsInferredFromTheReferenceTimeAcrossNewYear() {
        // Reference: 2026-01-03T10:00:00Z (a rotated file last written on January 3rd).
        let reference = referenceNanos("2026-01-03T10:00:00Z") / 1_000_000_000
        let december = parse(Array("Dec 31 23:59:58 ehr-app01 sshd[1]: x".utf8), .detected, reference: reference)
        #expect(december.event.timestamp == referenceNanos("2025-12-31T23:59:58Z"))
        let january = parse(Array("Jan  3 09:00:00 ehr-app01 sshd[1]: x".utf8), .detected, reference: reference)
        #expect(january.event.timestamp == referenceNanos("2026-01-03T09:00:00Z"))
    }

    @Test func hostnamesMayBeAddressesOrFQDNsAndMayBeAbsent() {
        let ip = parse(Array("Mar  6 16:57:54 172.20.245.8 %PIX-7-710005: UDP request discarded".utf8), .detected).event
        #expect(ip.fields["host.hostname"] == "172.20.245.8")
        #expect(ip.fields["process.name"] == "%PIX-7-710005")
        let fqdn = parse(Array("<86>Mar  6 16:57:54 pacs01.radiology.example.org sudo: alice : TTY=pts/0".utf8), .detected).event
        #expect(fqdn.fields["host.hostname"] == "pacs01.radiology.example.org")
        #expect(fqdn.fields["message"] == "alice : TTY=pts/0")
        let noHost = parse(Array("Mar  6 16:57:54 kernel: [12.5] eth0: link up".utf8), .detected).event
        #expect(noHost.fields["host.hostname"] == nil)
        #expect(noHost.fields["process.name"] == "kernel")
        #expect(noHost.fields["message"] == "[12.5] eth0: link up")
    }

    @Test func highPrecisionRsyslogStampsReplaceTheBSDOne() {
        let e = parse(Array("2026-11-22T08:15:02.123456+01:00 ehr-db01 postgres[4711]: connection authorized".utf8), .detected).event
        #expect(e.dataset == "syslog.rfc3164")
        #expect(e.timestamp == referenceNanos("2026-11-22T07:15:02.123456Z"))
        #expect(e.fields["process.pid"] == "4711")
    }

    @Test func zonelessStampsUseTheAssumedOffset() {
        let options = ParseOptions(year: 2026, assumedOffsetSeconds: 3600)
        let e = parse(Array("Nov 22 08:15:02 h p: m".utf8), .detected, options: options).event
        #expect(e.timestamp == referenceNanos("2026-11-22T07:15:02Z"))
    }

    @Test func linesThatAreNotSyslogStayWhole() {
        for text in ["", "   ", "[1, 2]", "Hello world", "Mayday 12 nope", "<999>Jan  1 00:00:00 h p: m"] {
            let e = parse(Array(text.utf8), .detected).event
            #expect(e.dataset == "unparsed", "\(text)")
            #expect((e.fields["message"] ?? "") == text)
        }
    }
}
