import WardCore

/// Palo Alto Networks PAN-OS syslog in its CSV format (PAN-OS 10/11 field positions):
/// `FUTURE_USE,receive_time,serial,type,subtype,…` for `TRAFFIC`, `THREAT`, `SYSTEM`, `CONFIG` and
/// `GLOBALPROTECT`. Fields may be double-quoted and then contain commas (`""` is a quote).
/// Every named position is `panw.<name>`; addresses, ports, NAT, zones' interfaces, users, rule,
/// transport, action and byte counts become ECS fields.
public enum PANOSParser {
    enum LogType { case traffic, threat, system, config, globalprotect }

    /// Names by position for each type (empty: FUTURE_USE or not kept).
    static let trafficNames: [StaticString] = [
        "", "receive_time", "serial", "type", "subtype", "", "time_generated", "src", "dst", "natsrc", "natdst", "rule",
        "srcuser", "dstuser", "app", "vsys", "from", "to", "inbound_if", "outbound_if", "logset", "", "sessionid",
        "repeatcnt", "sport", "dport", "natsport", "natdport", "flags", "proto", "action", "bytes", "bytes_sent",
        "bytes_received", "packets", "start", "elapsed", "category",
    ]
    static let threatNames: [StaticString] = [
        "", "receive_time", "serial", "type", "subtype", "", "time_generated", "src", "dst", "natsrc", "natdst", "rule",
        "srcuser", "dstuser", "app", "vsys", "from", "to", "inbound_if", "outbound_if", "logset", "", "sessionid",
        "repeatcnt", "sport", "dport", "natsport", "natdport", "flags", "proto", "action", "misc", "threatid",
        "category", "severity", "direction",
    ]
    static let systemNames: [StaticString] = [
        "", "receive_time", "serial", "type", "subtype", "", "time_generated", "vsys", "eventid", "object", "", "",
        "module", "severity", "opaque",
    ]
    static let configNames: [StaticString] = [
        "", "receive_time", "serial", "type", "subtype", "", "time_generated", "host", "vsys", "cmd", "admin", "client",
        "result", "path",
    ]
    static let globalProtectNames: [StaticString] = [
        "", "receive_time", "serial", "type", "subtype", "", "time_generated", "vsys", "eventid", "stage",
        "auth_method", "tunnel_type", "srcuser", "srcregion", "machinename", "public_ip", "public_ipv6", "private_ip",
        "private_ipv6", "hostid", "serialnumber", "client_ver", "client_os", "client_os_ver", "repeatcnt", "reason",
        "error", "opaque", "status", "location", "login_duration", "connect_method",
    ]

    /// Splits the CSV (at most 64 fields) and calls `body` with the field ranges (quotes stripped).
    static func fields<R>(_ t: FirewallText, _ body: (UnsafeBufferPointer<Range<Int>>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 64) { out in
            var n = 0
            var i = t.start
            while i <= t.end, n < 64 {
                if i < t.end, t[i] == UInt8(ascii: "\"") {
                    let start = i + 1
                    i += 1
                    while i < t.end {
                        if t[i] == UInt8(ascii: "\"") {
                            if i + 1 < t.end, t[i + 1] == UInt8(ascii: "\"") { i += 2; continue }
                            break
                        }
                        i += 1
                    }
                    out[n] = start..<min(i, t.end)
                    n += 1
                    i += 1  // closing quote
                    while i < t.end, t[i] != UInt8(ascii: ",") { i += 1 }
                    i += 1
                } else {
                    let start = i
                    while i < t.end, t[i] != UInt8(ascii: ",") { i += 1 }
                    out[n] = start..<i
                    n += 1
                    i += 1
                }
            }
            return body(UnsafeBufferPointer(rebasing: out[0..<n]))
        }
    }

    /// The log type, when the text is PAN-OS CSV (`…,YYYY/MM/DD hh:mm:ss,serial,TYPE,…`).
    static func type(_ t: FirewallText, _ f: UnsafeBufferPointer<Range<Int>>) -> LogType? {
        guard f.count >= 14, f[1].count == 19, t[f[1].lowerBound + 4] == UInt8(ascii: "/") else { return nil }
        let r = f[3]
        if FirewallFields.equals(t, r, "traffic") { return .traffic }
        if FirewallFields.equals(t, r, "threat") { return .threat }
        if FirewallFields.equals(t, r, "system") { return .system }
        if FirewallFields.equals(t, r, "config") { return .config }
        if FirewallFields.equals(t, r, "globalprotect") { return .globalprotect }
        return nil
    }

    public static func matches(_ t: FirewallText) -> Bool {
        // Cheap check before splitting: a comma early and a known type word.
        guard t.end - t.start > 40, t.find(",", from: t.start).map({ $0 - t.start < 8 }) == true else { return false }
        return fields(t) { type(t, $0) != nil }
    }

    public static func parse(_ t: FirewallText, into batch: inout EventBatch) -> Bool {
        fields(t) { f in
            guard let kind = type(t, f) else { return false }
            batch.addField(.observerVendor, literal: "Palo Alto Networks")
            batch.addField(.observerProduct, literal: "PAN-OS")
            let names: [StaticString]
            switch kind {
            case .traffic: names = trafficNames
            case .threat: names = threatNames
            case .system: names = systemNames
            case .config: names = configNames
            case .globalprotect: names = globalProtectNames
            }
            for (k, name) in names.enumerated() where k < f.count && name.utf8CodeUnitCount > 0 {
                FirewallFields.addVendor(.panwNamespace, name, t, f[k], into: &batch)
            }
            func field(_ k: Int) -> Range<Int> { k < f.count ? f[k] : t.end..<t.end }
            switch kind {
            case .traffic, .threat:
                FirewallFields.add(.sourceIP, t, field(7), into: &batch)
                FirewallFields.add(.destinationIP, t, field(8), into: &batch)
                if !isZeroAddress(t, field(9)) { FirewallFields.add(.sourceNATIP, t, field(9), into: &batch) }
                if !isZeroAddress(t, field(10)) { FirewallFields.add(.destinationNATIP, t, field(10), into: &batch) }
                FirewallFields.add(.ruleName, t, field(11), into: &batch)
                FirewallFields.add(.userName, t, field(12), into: &batch)
                FirewallFields.add(.sourceUserName, t, field(12), into: &batch)
                FirewallFields.add(.destinationUserName, t, field(13), into: &batch)
                FirewallFields.add(.observerIngressInterface, t, field(18), into: &batch)
                FirewallFields.add(.observerEgressInterface, t, field(19), into: &batch)
                FirewallFields.add(.sourcePort, t, field(24), .number, into: &batch)
                FirewallFields.add(.destinationPort, t, field(25), .number, into: &batch)
                if !isZero(t, field(26)) { FirewallFields.add(.sourceNATPort, t, field(26), .number, into: &batch) }
                if !isZero(t, field(27)) { FirewallFields.add(.destinationNATPort, t, field(27), .number, into: &batch) }
                NetfilterParser.addLowercased(.networkTransport, t, field(29), into: &batch)
                let action = field(30)
                if !action.isEmpty { batch.addField(.eventAction, literal: FirewallFields.normalizedAction(t, action)) }
                if kind == .traffic {
                    FirewallFields.add(.sourceBytes, t, field(32), .number, into: &batch)
                    FirewallFields.add(.destinationBytes, t, field(33), .number, into: &batch)
                } else {
                    FirewallFields.add(.eventCode, t, field(32), into: &batch)
                }
            case .system:
                FirewallFields.add(.eventCode, t, field(8), into: &batch)
            case .config:
                FirewallFields.add(.userName, t, field(10), into: &batch)
                FirewallFields.add(.eventAction, t, field(9), into: &batch)
                let result = field(12)
                if FirewallFields.equals(t, result, "succeeded") { batch.addField(.eventOutcome, literal: "success") }
                if FirewallFields.equals(t, result, "failed") { batch.addField(.eventOutcome, literal: "failure") }
            case .globalprotect:
                FirewallFields.add(.eventCode, t, field(8), into: &batch)
                FirewallFields.add(.userName, t, field(12), into: &batch)
                FirewallFields.add(.sourceIP, t, field(15), into: &batch)
                let status = field(28)
                if FirewallFields.equals(t, status, "success") { batch.addField(.eventOutcome, literal: "success") }
                if FirewallFields.equals(t, status, "failure") { batch.addField(.eventOutcome, literal: "failure") }
            }
            return true
        }
    }

    static func isZero(_ t: FirewallText, _ r: Range<Int>) -> Bool { r.count == 1 && t[r.lowerBound] == UInt8(ascii: "0") }
    static func isZeroAddress(_ t: FirewallText, _ r: Range<Int>) -> Bool { FirewallFields.equals(t, r, "0.0.0.0") || r.isEmpty }
}
