import WardCore

/// Key names vendors use for the same thing, and the ECS field each one means.
enum KeyNames {
    static let table: [(key: StaticString, field: FieldID, kind: ValueKind)] = [
        ("src", .sourceIP, .text), ("srcip", .sourceIP, .text), ("src_ip", .sourceIP, .text), ("sip", .sourceIP, .text),
        ("source_ip", .sourceIP, .text), ("src_addr", .sourceIP, .text),
        ("dst", .destinationIP, .text), ("dstip", .destinationIP, .text), ("dst_ip", .destinationIP, .text),
        ("dip", .destinationIP, .text), ("destination_ip", .destinationIP, .text), ("dst_addr", .destinationIP, .text),
        ("spt", .sourcePort, .number), ("sport", .sourcePort, .number), ("srcport", .sourcePort, .number),
        ("src_port", .sourcePort, .number), ("s_port", .sourcePort, .number),
        ("dpt", .destinationPort, .number), ("dport", .destinationPort, .number), ("dstport", .destinationPort, .number),
        ("dst_port", .destinationPort, .number), ("d_port", .destinationPort, .number),
        ("user", .userName, .text), ("usr", .userName, .text), ("username", .userName, .text), ("srcuser", .userName, .text),
        ("user_name", .userName, .text),
        ("policyid", .ruleID, .text), ("rule_id", .ruleID, .text), ("ruleid", .ruleID, .text),
        ("policyname", .ruleName, .text), ("rule", .ruleName, .text), ("rule_name", .ruleName, .text), ("policy", .ruleName, .text),
        ("sentbyte", .sourceBytes, .number), ("sent_bytes", .sourceBytes, .number), ("bytes_sent", .sourceBytes, .number),
        ("rcvdbyte", .destinationBytes, .number), ("rcvd_bytes", .destinationBytes, .number), ("bytes_received", .destinationBytes, .number),
        ("transip", .sourceNATIP, .text), ("nat_src_ip", .sourceNATIP, .text), ("natsrc", .sourceNATIP, .text),
        ("transport", .sourceNATPort, .number),
        ("srcintf", .observerIngressInterface, .text), ("dstintf", .observerEgressInterface, .text),
        ("logid", .eventCode, .text),
    ]

    /// The table's entries by key length, so a key is compared only with names as long as it.
    static let byLength: [[(key: StaticString, field: FieldID, kind: ValueKind)]] = {
        var buckets = [[(key: StaticString, field: FieldID, kind: ValueKind)]](repeating: [], count: 16)
        for entry in table where entry.key.utf8CodeUnitCount < 16 { buckets[entry.key.utf8CodeUnitCount].append(entry) }
        return buckets
    }()

    /// The ECS field a key means, if any.
    static func field(_ t: FirewallText, _ key: Range<Int>) -> (FieldID, ValueKind)? {
        guard key.count < 16 else { return nil }
        for entry in byLength[key.count] where FirewallFields.equals(t, key, entry.key) { return (entry.field, entry.kind) }
        return nil
    }

    static func isAction(_ t: FirewallText, _ key: Range<Int>) -> Bool {
        FirewallFields.equals(t, key, "action") || FirewallFields.equals(t, key, "act") || FirewallFields.equals(t, key, "fw_action")
    }

    static func isTransport(_ t: FirewallText, _ key: Range<Int>) -> Bool {
        FirewallFields.equals(t, key, "proto") || FirewallFields.equals(t, key, "protocol")
    }
}

/// Fortinet FortiGate `key=value` logs (`date=… time=… devname="…" logid="…" type="traffic" …`).
///
/// Quoted values may hold spaces. The event's time is `eventtime` (nanoseconds since FortiOS 6.2,
/// seconds before), else `date`+`time`+`tz`. `proto` is the IANA number (`6` → `tcp`).
public enum FortiGateParser {
    public static func matches(_ t: FirewallText) -> Bool {
        t.find("logid=", from: t.start) != nil && t.find("type=", from: t.start) != nil
            && (t.find("devname=", from: t.start) != nil || t.find("devid=", from: t.start) != nil)
    }

    /// - Returns: the event time the log states (UTC nanoseconds), if any.
    public static func parse(_ t: FirewallText, into batch: inout EventBatch) -> Int64? {
        FirewallFields.addVendorIdentity("Fortinet", "FortiGate", into: &batch)
        var eventTime: Int64?
        var date = 0..<0, time = 0..<0, tz = 0..<0
        FirewallFields.forEachPair(t) { key, value in
            let ref = ByteRef(start: t.base + value.lowerBound, count: value.count, inScratch: false)
            FirewallFields.addVendor(.fortinetNamespace, t, key: key, value: ref, into: &batch)
            if KeyNames.isAction(t, key) {
                batch.addField(.eventAction, literal: FirewallFields.normalizedAction(t, value))
            } else if FirewallFields.equals(t, key, "proto") {
                IANAProtocol.add(t, value, into: &batch)
            } else if FirewallFields.equals(t, key, "eventtime") {
                var n: Int64 = 0
                for i in value where ASCII.isDigit(t[i]) && n < Int64.max / 10 { n = n * 10 + Int64(t[i] - 0x30) }
                // Nanoseconds as given (16 digits and more), else seconds; a value too large for either
                // is no time (it trapped: FuzzParse, 2026-11-28).
                if value.count >= 16 {
                    eventTime = n
                } else {
                    let (nanos, overflow) = n.multipliedReportingOverflow(by: 1_000_000_000)
                    eventTime = overflow ? nil : nanos
                }
            } else if FirewallFields.equals(t, key, "date") {
                date = value
            } else if FirewallFields.equals(t, key, "time") {
                time = value
            } else if FirewallFields.equals(t, key, "tz") {
                tz = value
            } else if let (field, kind) = KeyNames.field(t, key) {
                FirewallFields.add(field, t, value, kind, into: &batch)
            }
        }
        if eventTime == nil, date.count == 10, time.count >= 8 {
            // 2026-04-02 17:31:09 -0700
            var offset = 0
            if tz.count == 5, t[tz.lowerBound] == UInt8(ascii: "+") || t[tz.lowerBound] == UInt8(ascii: "-") {
                let d = tz.lowerBound + 1
                let digits = (0..<4).map { Int(t[d + $0] &- 0x30) }
                if digits.allSatisfy({ $0 >= 0 && $0 <= 9 }) {
                    offset = (digits[0] * 10 + digits[1]) * 3600 + (digits[2] * 10 + digits[3]) * 60
                    if t[tz.lowerBound] == UInt8(ascii: "-") { offset = -offset }
                }
            }
            let p = t.line + date.lowerBound
            let q = t.line + time.lowerBound
            func num(_ base: UnsafePointer<UInt8>, _ at: Int, _ n: Int) -> Int? {
                var v = 0
                for k in 0..<n {
                    guard ASCII.isDigit(base[at + k]) else { return nil }
                    v = v * 10 + Int(base[at + k] - 0x30)
                }
                return v
            }
            if let y = num(p, 0, 4), let mo = num(p, 5, 2), let d = num(p, 8, 2), let h = num(q, 0, 2),
               let mi = num(q, 3, 2), let s = num(q, 6, 2), CivilTime.representableYears.contains(y),
               (1...12).contains(mo), d >= 1, d <= CivilTime.daysInMonth(year: y, month: mo), h < 24, mi < 60, s < 61 {
                eventTime = CivilTime.epochNanos(year: y, month: mo, day: d, hour: h, minute: mi, second: min(s, 59),
                                                 offsetSeconds: offset)
            }
        }
        return eventTime
    }
}

/// IANA protocol numbers that firewalls log instead of names.
enum IANAProtocol {
    static func add(_ t: FirewallText, _ value: Range<Int>, into batch: inout EventBatch) {
        guard !value.isEmpty else { return }
        if value.allSatisfy({ ASCII.isDigit(t[$0]) }) {
            var n = 0
            for i in value where n < 1000 { n = n * 10 + Int(t[i] - 0x30) }
            let name: StaticString?
            switch n {
            case 1: name = "icmp"
            case 2: name = "igmp"
            case 6: name = "tcp"
            case 17: name = "udp"
            case 47: name = "gre"
            case 50: name = "esp"
            case 51: name = "ah"
            case 58: name = "ipv6-icmp"
            case 132: name = "sctp"
            default: name = nil
            }
            if let name { batch.addField(.networkTransport, literal: name) }
        } else {
            NetfilterParser.addLowercased(.networkTransport, t, value, into: &batch)
        }
    }
}

/// Any other vendor that logs `key=value` (WatchGuard, Barracuda, …): recognised when both a
/// source and a destination key are present, so that ordinary messages with a `user=` are not taken
/// for firewall logs. Every key is `kv.<key>`; the usual names are normalized to ECS.
public enum KeyValueFirewallParser {
    public static func matches(_ t: FirewallText) -> Bool {
        var source = false, destination = false
        FirewallFields.forEachPair(t) { key, _ in
            guard let (field, _) = KeyNames.field(t, key) else { return }
            if field == .sourceIP { source = true }
            if field == .destinationIP { destination = true }
        }
        return source && destination
    }

    /// Parses the pairs; returns whether both a source and a destination were named (if not, the
    /// caller rolls the fields back: the line is no firewall log).
    public static func parse(_ t: FirewallText, into batch: inout EventBatch) -> Bool {
        var source = false, destination = false
        FirewallFields.forEachPair(t) { key, value in
            let ref = ByteRef(start: t.base + value.lowerBound, count: value.count, inScratch: false)
            FirewallFields.addVendor(.keyValueNamespace, t, key: key, value: ref, into: &batch)
            if KeyNames.isAction(t, key) {
                FirewallFields.addAction(value, t, namespace: .keyValueNamespace, into: &batch)
            } else if KeyNames.isTransport(t, key) {
                IANAProtocol.add(t, value, into: &batch)
            } else if let (field, kind) = KeyNames.field(t, key) {
                if field == .sourceIP { source = true }
                if field == .destinationIP { destination = true }
                FirewallFields.add(field, t, value, kind, into: &batch)
            }
        }
        return source && destination
    }
}
