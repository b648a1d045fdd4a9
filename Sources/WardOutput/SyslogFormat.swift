import Foundation
import WardCore

/// Alerts as syslog messages for a SIEM's collector: RFC 5424 with the JSON alert as MSG, or with a
/// CEF record (ArcSight Common Event Format, rev. 25) made from it.
public enum SyslogFormat {
    /// The syslog severity of an alert of `level` (RFC 5424 §6.2.1).
    public static func severity(_ level: AlertLevel?) -> Int {
        switch level {
        case .critical: return 2
        case .high: return 3
        case .medium: return 4
        case .low: return 5
        case .informational: return 6
        case nil: return 5
        }
    }

    /// CEF's 0–10 severity of an alert of `level`.
    public static func cefSeverity(_ level: AlertLevel?) -> Int {
        switch level {
        case .critical: return 10
        case .high: return 8
        case .medium: return 5
        case .low: return 3
        case .informational: return 1
        case nil: return 5
        }
    }

    /// The level of a JSON alert, flat (`"rule.level":"high"`) or nested (the first `"level":` is the
    /// rule's: rule members come first).
    public static func level(ofAlert line: ArraySlice<UInt8>) -> AlertLevel? {
        for key in ["\"rule.level\":\"", "\"level\":\""] {
            let pattern = Array(key.utf8)
            guard let at = find(pattern, in: line) else { continue }
            var end = at + pattern.count
            while end < line.endIndex && line[end] != UInt8(ascii: "\"") { end += 1 }
            return AlertLevel(rawValue: String(decoding: line[(at + pattern.count)..<end], as: UTF8.self))
        }
        return nil
    }

    static func find(_ pattern: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= pattern.count, let first = pattern.first else { return nil }
        var i = bytes.startIndex
        while i <= bytes.endIndex - pattern.count {
            if bytes[i] == first && bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
            i += 1
        }
        return nil
    }

    /// `<PRI>1 TIMESTAMP HOST wardwatch PID alert - MSG`: one RFC 5424 message (without framing).
    public static func message(_ msg: ArraySlice<UInt8>, level: AlertLevel?, facility: Int, timestamp: String,
                               hostname: String, processID: Int32) -> [UInt8] {
        var out = Array("<\(facility * 8 + severity(level))>1 \(timestamp) \(hostname.isEmpty ? "-" : hostname) wardwatch \(processID) alert - ".utf8)
        out += msg
        return out
    }

    /// The alert (a JSON object, flat or nested) as a CEF record:
    /// `CEF:0|wardwatch|wardwatch|VERSION|RULE ID|RULE NAME|SEVERITY|rt=… dvchost=… …`.
    public static func cef(_ line: ArraySlice<UInt8>, version: String) -> [UInt8]? {
        guard let fields = AlertFields.read(line) else { return nil }
        func text(_ key: String) -> String? {
            switch fields[key] {
            case let s as String: return s
            case let n as NSNumber: return n.stringValue
            case let a as [Any]: return a.map { "\($0)" }.joined(separator: ",")
            default: return nil
            }
        }
        let level = text("rule.level").flatMap(AlertLevel.init(rawValue:))
        var header = ["CEF:0", "wardwatch", "wardwatch", version,
                      text("rule.id") ?? "-", text("rule.name") ?? "wardwatch alert", String(cefSeverity(level))]
        for i in 1..<header.count { header[i] = escapeHeader(header[i]) }
        var extensions: [(String, String)] = []
        if let nanos = AlertFields.nanos(fields["@timestamp"]) { extensions.append(("rt", String(nanos / 1_000_000))) }
        let mapping: [(String, String)] = [
            ("dvchost", "host.hostname"), ("shost", "host.name"), ("suser", "user.name"), ("duser", "user.target.name"),
            ("src", "source.ip"), ("spt", "source.port"), ("dst", "destination.ip"), ("dpt", "destination.port"),
            ("proto", "network.transport"), ("act", "event.action"), ("outcome", "event.outcome"),
            ("sproc", "process.name"), ("spid", "process.pid"), ("fname", "log.file.path"), ("msg", "message"),
            ("externalId", "event.id"), ("cat", "event.dataset"),
        ]
        for (cefKey, field) in mapping {
            if let value = text(field) { extensions.append((cefKey, value)) }
        }
        var custom: [(String, String)] = [("rule.level", text("rule.level") ?? ""), ("rule.tags", text("rule.tags") ?? ""),
                                          ("patient.id", text("patient.id") ?? ""),
                                          ("threat.technique.id", text("threat.technique.id") ?? "")]
        custom = custom.filter { !$0.1.isEmpty }
        for (i, (label, value)) in custom.enumerated() {
            extensions.append(("cs\(i + 1)Label", label))
            extensions.append(("cs\(i + 1)", value))
        }
        let body = extensions.map { "\($0.0)=\(escapeExtension($0.1))" }.joined(separator: " ")
        return Array((header.joined(separator: "|") + "|" + body).utf8)
    }

    /// CEF header fields: `|` and `\` escaped, line ends and other control characters as spaces
    /// (by Unicode scalar: `=` or `\` followed by a combining mark is still escaped).
    static func escapeHeader(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "|": out += "\\|"
            case "\\": out += "\\\\"
            default:
                if c.value < 0x20 || c.value == 0x7F { out += " " } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    /// CEF extension values: `=` and `\` escaped, line ends as `\n` / `\r`, other control characters
    /// dropped (by Unicode scalar, as above).
    static func escapeExtension(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "=": out += "\\="
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if c.value < 0x20 || c.value == 0x7F { continue }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
