import Foundation
import Testing
import WardCore
import WardOutput
import WardParse
import WardTestSupport

@Suite struct OutputTests {
    func json(_ bytes: [UInt8]) -> String {
        var writer = JSONWriter()
        bytes.withUnsafeBufferPointer { writer.appendString($0) }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func stringsAreEscapedAndRepairedToValidJSON() throws {
        #expect(json(Array("plain".utf8)) == #""plain""#)
        #expect(json(Array("q\"b\\s/\n\r\t\u{1}\u{7f}".utf8)) == #""q\"b\\s/\n\r\t\u0001\#u{7f}""#)
        #expect(json([0x61, 0x00, 0x62]) == #""a\u0000b""#)
        #expect(json([0xC3, 0xA9, 0xFF, 0xE2, 0x82, 0x41]) == "\"é\u{FFFD}\u{FFFD}A\"")
        // Random bytes always give a document JSONSerialization accepts, with Swift's repair.
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...24)).map { _ in UInt8.random(in: 0...255) }
            let text = json(bytes)
            let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? String
            #expect(decoded == String(decoding: bytes, as: UTF8.self), "\(bytes)")
        }
    }

    @Test func numbersDropLeadingZerosAndNonNumbersBecomeStrings() {
        func number(_ s: String) -> String {
            var writer = JSONWriter()
            Array(s.utf8).withUnsafeBufferPointer { writer.appendNumber($0) }
            return String(decoding: writer.bytes, as: UTF8.self)
        }
        #expect(number("0042") == "42")
        #expect(number("0") == "0")
        #expect(number("-07") == "-7")
        #expect(number("12a") == #""12a""#)
        #expect(number("") == #""""#)
    }

    @Test func eventsEncodeAsOneFlatJSONObjectPerLineInFixedKeyOrder() throws {
        let text = "<86>1 2026-11-22T08:15:02.5+01:00 ehr-app01.example.org ehr-audit 4711 LOGIN [origin ip=\"10.1.2.3\"] \u{FEFF}user dr.house logged in\nplain \u{1} text\n"
        var chunk = Chunk(bytes: Array(text.utf8), origin: testOrigin(path: "/var/log/ehr/audit.log"))
        chunk.origin.offset = 1000
        var batch = EventBatch()
        EventParser().parse(chunk, into: &batch)
        var writer = JSONWriter()
        EventEncoder().encode(batch, chunk: chunk, to: &writer)
        let lines = String(decoding: writer.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines == [
            #"{"@timestamp":"2026-11-22T07:15:02.500Z","event.dataset":"syslog.rfc5424","log.syslog.priority":86,"log.syslog.facility.code":10,"log.syslog.facility.name":"authpriv","log.syslog.severity.code":6,"log.syslog.severity.name":"informational","log.syslog.version":"1","host.hostname":"ehr-app01.example.org","process.name":"ehr-audit","process.pid":4711,"log.syslog.msgid":"LOGIN","log.syslog.structured_data.origin.ip":"10.1.2.3","message":"user dr.house logged in","event.original":"<86>1 2026-11-22T08:15:02.5+01:00 ehr-app01.example.org ehr-audit 4711 LOGIN [origin ip=\"10.1.2.3\"] \#u{FEFF}user dr.house logged in","log.file.path":"/var/log/ehr/audit.log","log.offset":1000}"#,
            #"{"event.dataset":"unparsed","message":"plain \u0001 text","event.original":"plain \u0001 text","log.file.path":"/var/log/ehr/audit.log","log.offset":1127}"#,
        ])
        for line in lines { _ = try JSONSerialization.jsonObject(with: Data(line.utf8)) }
    }
}

@Suite struct NestedJSONTests {
    @Test func dottedKeysBecomeObjectsInOrder() {
        let line = Array(#"{"@timestamp":"2026-11-22T07:36:52Z","rule.id":"a","rule.tags":["x","y"],"event.kind":"alert","rule.name":"N \"q\", {b}","correlation.group":{"source.ip":"10.0.0.1"},"n":1.5}"#.utf8)
        let nested = String(decoding: NestedJSON.rewrite(line), as: UTF8.self)
        #expect(nested == #"{"@timestamp":"2026-11-22T07:36:52Z","rule":{"id":"a","tags":["x","y"],"name":"N \"q\", {b}"},"event":{"kind":"alert"},"correlation":{"group":{"source.ip":"10.0.0.1"}},"n":1.5}"#)
    }

    /// A key that is both a value and a prefix (`hl7.PID.3`, `hl7.PID.3.1`): the later stays a dotted
    /// key at the top level (a plain key: `KEY._value`); nothing is lost and no key repeats.
    @Test func conflictsStayFlat() {
        let line = Array(#"{"a.b":1,"a.b.c":2,"a":{"x":1},"d..e":3}"#.utf8)
        #expect(String(decoding: NestedJSON.rewrite(line + [0x0A] + Array("not json\n".utf8)), as: UTF8.self)
                == #"{"a":{"b":1},"a.b.c":2,"a._value":{"x":1},"d..e":3}"# + "\nnot json\n")
    }
}

extension NestedJSONTests {
    /// A key of 10,000 parts (a log line can hold one) stays dotted instead of nesting 10,000 deep (the
    /// recursion overflowed the stack).
    @Test func aVeryDeepKeyStaysFlat() {
        let key = Array(repeating: "a", count: 10_000).joined(separator: ".")
        let line = Array(("{\"rule.id\":\"x\",\"" + key + "\":1}").utf8)
        #expect(String(decoding: NestedJSON.rewrite(line), as: UTF8.self) == "{\"rule\":{\"id\":\"x\"},\"" + key + "\":1}")
    }
}

@Suite struct CEFTests {
    /// Log content cannot add CEF fields: `=` and `\` are escaped even when a combining mark follows
    /// them (one Swift Character), line ends are escaped, other control characters dropped; the
    /// header's `|` is escaped and a CR LF in a rule title becomes spaces.
    @Test func logContentCannotInjectFields() throws {
        let alert = #"{"@timestamp":"2026-11-22T07:36:52Z","rule.id":"r|1","rule.name":"Title\r\nwith CRLF","rule.level":"critical","message":"x dvchost=\u0301evil suser=\u0301admin end\\\u0301 \u001b[31m\nnext","user.name":"jmiller"}"#
        let cef = try #require(SyslogFormat.cef(Array(alert.utf8)[...], version: "0.1.0"))
        let text = String(decoding: cef, as: UTF8.self)
        #expect(text.hasPrefix("CEF:0|wardwatch|wardwatch|0.1.0|r\\|1|Title  with CRLF|10|rt=1795333012000 "))
        #expect(text.contains("msg=x dvchost\\=\u{301}evil suser\\=\u{301}admin end\\\\\u{301} [31m\\nnext"))
        #expect(!text.contains("\u{1B}") && !text.contains("\r") && !text.contains("\n"))
        #expect(text.components(separatedBy: " dvchost=").count == 1 && text.components(separatedBy: " suser=").count == 2)
    }
}
