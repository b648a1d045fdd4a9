import Foundation
import Testing
import WardCore
import WardParse
import WardTestSupport

/// The influxdata/go-syslog RFC 5424 conformance table and the EasyPost parser's vectors, whole.
@Suite(.needsShared) struct RFC5424VectorTests {
    static let goSyslog = Paths.sample("syslog_vectors/go-syslog_rfc5424_vectors.jsonl")
    static let easypost = Paths.sample("syslog_vectors/easypost_rfc5424_vectors.jsonl")

    /// Every valid vector parses with exactly the fields it states: no field missing, none extra.
    @Test func everyValidGoSyslogVectorParsesWithExactlyItsFields() throws {
        let rows = try readJSONLines(Self.goSyslog).filter { $0["valid"] as? Bool == true }
        #expect(rows.count == 33)
        for row in rows {
            let id = row["id"] as! String
            let expected = row["expected"] as! [String: Any]
            let outcome = parse(vectorLine(row), .rfc5424)
            #expect(outcome.error == nil, "\(id): \(String(describing: outcome.error))")
            let event = outcome.event
            var wanted: [String: [UInt8]] = [:]
            wanted["log.syslog.priority"] = Array("\(expected["priority"] as! Int)".utf8)
            wanted["log.syslog.facility.code"] = Array("\(expected["facility"] as! Int)".utf8)
            wanted["log.syslog.severity.code"] = Array("\(expected["severity"] as! Int)".utf8)
            wanted["log.syslog.version"] = Array("\(expected["version"] as! Int)".utf8)
            if let host = expected["hostname"] as? String { wanted["host.hostname"] = Array(host.utf8) }
            if let app = expected["appname"] as? String { wanted["process.name"] = Array(app.utf8) }
            if let proc = expected["procid"] as? String {
                let numeric = proc.utf8.allSatisfy { (0x30...0x39).contains($0) }
                wanted[numeric ? "process.pid" : "log.syslog.procid"] = Array(proc.utf8)
            }
            if let msgid = expected["msgid"] as? String { wanted["log.syslog.msgid"] = Array(msgid.utf8) }
            if let sd = expected["structured_data"] as? [String: [String: String]] {
                for (element, params) in sd {
                    for (name, value) in params {
                        wanted["log.syslog.structured_data.\(element).\(name)"] = Array(value.utf8)
                    }
                }
            }
            var message: [UInt8]?
            if let text = expected["message"] as? String { message = Array(text.utf8) }
            if let encoded = expected["message"] as? [String: String] {
                message = Array(Data(base64Encoded: encoded["base64"]!)!)
            }
            // Decision: a BOM before MSG marks its encoding (RFC 5424 §6.4); it is not part of the text
            // analysts and rules look at, so `message` starts after it. go-syslog keeps it.
            if var message {
                if message.starts(with: utf8BOM) { message.removeFirst(3) }
                if !message.isEmpty { wanted["message"] = message }
            }
            let got = event.raw.filter { !derivedFieldNames.contains($0.key) }
            #expect(got == wanted, "\(id)")
            if let stamp = expected["timestamp"] as? String {
                #expect(event.timestamp == referenceNanos(stamp), "\(id): \(stamp)")
            } else {
                #expect(event.timestamp == nil, "\(id)")
            }
        }
    }

    /// Every invalid vector is rejected at exactly the column go-syslog reports, and through format
    /// detection it becomes an `unparsed` event that keeps the line and says where it broke.
    @Test func everyInvalidGoSyslogVectorIsRejectedAtItsColumn() throws {
        let rows = try readJSONLines(Self.goSyslog).filter { $0["valid"] as? Bool == false }
        #expect(rows.count == 56)
        for row in rows {
            let id = row["id"] as! String
            let line = vectorLine(row)
            let compliant = (row["parser_options"] as! [String]).contains("WithCompliantMsg")
            let options = ParseOptions(requireUTF8AfterBOM: compliant)
            let expectedColumn = try #require(errorColumn(row["expected_error"] as! String))
            let outcome = parse(line, .rfc5424, options: options)
            #expect(outcome.error?.column == expectedColumn, "\(id): \(String(describing: outcome.error))")

            let detected = parse(line, .detected, options: options)
            #expect(detected.event.dataset == "unparsed", "\(id)")
            #expect(detected.event.raw["message"] ?? [] == line, "\(id)")
            if detected.event.timestamp != nil { Issue.record("\(id): an unparsed event has no timestamp") }
        }
    }

    @Test func errorMessageNamesTheColumnForPeople() {
        let outcome = parse(Array("<29>1 2006-01-02T15:04:05z - - - - -".utf8), .detected)
        #expect(outcome.event.fields["error.message"]
            == "RFC 5424: expected an RFC 3339 timestamp or '-' at byte 25 of the line.")
    }

    @Test func everyEasyPostVectorParses() throws {
        let severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
        let facilities = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
                          "authpriv", "ftp", "ntp", "audit", "alert", "clockd", "local0", "local1", "local2",
                          "local3", "local4", "local5", "local6", "local7"]
        let rows = try readJSONLines(Self.easypost)
        #expect(rows.count == 11)
        for row in rows {
            let id = row["id"] as! String
            let line = vectorLine(row)
            guard let expected = row["expected"] as? [String: Any] else {
                // "garbage": not syslog at all.
                let outcome = parse(line, .detected)
                #expect(outcome.event.dataset == "unparsed" && outcome.event.raw["message"] == line, "\(id)")
                continue
            }
            let outcome = parse(line, .rfc5424)
            if expected["facility"] as? String == "unknown" {
                // <409> is outside RFC 5424's 0...191; the RFC conformance table (go-syslog) rejects such
                // PRIs, and so do we, at the digit that overflows. EasyPost accepts it as "unknown".
                #expect(outcome.error?.column == 3, "\(id)")
                continue
            }
            #expect(outcome.error == nil, "\(id): \(String(describing: outcome.error))")
            let f = outcome.event.fields
            #expect(f["log.syslog.severity.code"] == "\(severities.firstIndex(of: expected["severity"] as! String)!)", "\(id)")
            #expect(f["log.syslog.facility.code"] == "\(facilities.firstIndex(of: expected["facility"] as! String)!)", "\(id)")
            #expect(f["log.syslog.version"] == "\(expected["version"] as! Int)", "\(id)")
            for (key, field) in [("hostname", "host.hostname"), ("appname", "process.name")] {
                let value = expected[key] as! String
                #expect(f[field] == (value == "-" ? nil : value), "\(id) \(key)")
            }
            let procid = expected["procid"]
            if let pid = procid as? Int {
                #expect(f["process.pid"] == "\(pid)", "\(id)")
            } else {
                #expect(f["log.syslog.procid"] == procid as? String, "\(id)")
            }
            #expect(f["log.syslog.msgid"] == expected["msgid"] as? String, "\(id)")
            #expect(f["message"] == expected["msg"] as? String, "\(id)")
            let stamp = expected["timestamp"] as! String
            #expect(outcome.event.timestamp == (stamp == "-" ? nil : referenceNanos(stamp)), "\(id)")
            let sd = expected["sd"] as! [String: [String: String]]
            var wantedSD: [String: String] = [:]
            for (element, params) in sd {
                for (name, value) in params { wantedSD["log.syslog.structured_data.\(element).\(name)"] = value }
            }
            #expect(f.filter { $0.key.hasPrefix("log.syslog.structured_data.") } == wantedSD, "\(id)")
        }
    }

    @Test(.needsShared) func vectorParseSyslogExampleParses() throws {
        let rows = try readJSONLines(Paths.sample("syslog_vectors/vrl_function_examples.jsonl"))
            .filter { $0["function"] as? String == "parse_syslog" }
        #expect(rows.count == 1)
        for row in rows {
            let expected = row["expected"] as! [String: Any]
            let outcome = parse(Array((row["input"] as! String).utf8), .detected)
            #expect(outcome.event.dataset == "syslog.rfc5424")
            var wanted: [String: String] = [
                "log.syslog.priority": "13", "log.syslog.facility.code": "1", "log.syslog.severity.code": "5",
                "log.syslog.facility.name": expected["facility"] as! String,
                "log.syslog.severity.name": expected["severity"] as! String,
                "log.syslog.version": "\(expected["version"] as! Int)",
                "host.hostname": expected["hostname"] as! String, "process.name": expected["appname"] as! String,
                "process.pid": "\(expected["procid"] as! Int)", "log.syslog.msgid": expected["msgid"] as! String,
                "message": expected["message"] as! String,
            ]
            for (name, value) in expected["exampleSDID@32473"] as! [String: String] {
                wanted["log.syslog.structured_data.exampleSDID@32473.\(name)"] = value
            }
            #expect(outcome.event.fields == wanted)
            #expect(outcome.event.timestamp == referenceNanos(expected["timestamp"] as! String))
        }
    }

    @Test func structuredDataEscapesAreUndoneAndOtherBackslashesKept() {
        let line = Array(#"<29>1 2016-01-15T01:00:43Z hn S - - [meta a="x\"y" b="c\\d" c="e\]f" d="g\nh"] m"#.utf8)
        let f = parse(line, .rfc5424).event.fields
        #expect(f["log.syslog.structured_data.meta.a"] == #"x"y"#)
        #expect(f["log.syslog.structured_data.meta.b"] == #"c\d"#)
        #expect(f["log.syslog.structured_data.meta.c"] == "e]f")
        #expect(f["log.syslog.structured_data.meta.d"] == #"g\nh"#)
        #expect(f["message"] == "m")
    }
}
