import WardCore

/// Linux netfilter (iptables/nftables `LOG` target) kernel lines:
/// `[prefix]IN=eth0 OUT= MAC=… SRC=… DST=… LEN=… PROTO=TCP SPT=… DPT=… SYN …`.
///
/// The log prefix is `rule.name`, and its words give the action (`DROP`, `REJECT`, `ACCEPT`, Ubiquiti's
/// `-D`/`-A`/`-R` suffixes). ICMP errors quote the offending packet in brackets (`[SRC=… DST=…]`):
/// only the outer packet's values become ECS fields. Every key is also `netfilter.<KEY>`.
public enum NetfilterParser {
    /// Whether the text looks like a netfilter line.
    public static func matches(_ t: FirewallText) -> Bool {
        guard let inAt = t.find("IN=", from: t.start) else { return false }
        return t.find(" OUT=", from: inAt) != nil && t.find(" SRC=", from: inAt) != nil
    }

    /// - Parameter tag: the syslog tag, which holds the log prefix when the line has no hostname
    ///   (`Jan  8 03:37:09 DENY: IN=eth0 …`).
    public static func parse(_ t: FirewallText, tag: Range<Int>? = nil, into batch: inout EventBatch) {
        guard let inAt = t.find("IN=", from: t.start) else { return }
        FirewallFields.addVendorIdentity("netfilter", "iptables", into: &batch)
        // Prefix: what precedes IN=, without a kernel time "[123.456]", brackets or a colon.
        var p = t.start
        if p < inAt, t[p] == UInt8(ascii: "["), let close = t.find("]", from: p), close < inAt,
           (p + 1..<close).allSatisfy({ ASCII.isDigit(t[$0]) || t[$0] == UInt8(ascii: ".") || t[$0] == ASCII.space }) {
            p = close + 1
        }
        while p < inAt, t[p] == ASCII.space || t[p] == UInt8(ascii: "[") { p += 1 }
        var e = inAt
        while e > p, t[e - 1] == ASCII.space || t[e - 1] == UInt8(ascii: "]") || t[e - 1] == UInt8(ascii: ":") { e -= 1 }
        var prefix = p..<max(p, e)
        if prefix.isEmpty, let tag, !FirewallFields.equals(t, tag, "kernel") { prefix = tag }
        if !prefix.isEmpty {
            FirewallFields.add(.ruleName, t, prefix, into: &batch)
            if let action = prefixAction(t, prefix) { batch.addField(.eventAction, literal: action) }
        }
        // Keys up to the first '[' (the quoted packet of an ICMP error).
        var end = t.end
        if let bracket = t.find("[", from: inAt) { end = bracket }
        let outer = FirewallText(line: t.line, base: t.base, start: inAt, end: end)
        FirewallFields.forEachPair(outer) { key, value in
            let ref = ByteRef(start: t.base + value.lowerBound, count: value.count, inScratch: false)
            FirewallFields.addVendor(.netfilterNamespace, t, key: key, value: ref, into: &batch)
            switch key.count {
            case 2 where FirewallFields.equals(t, key, "in"):
                FirewallFields.add(.observerIngressInterface, t, value, into: &batch)
            case 3 where FirewallFields.equals(t, key, "out"):
                FirewallFields.add(.observerEgressInterface, t, value, into: &batch)
            case 3 where FirewallFields.equals(t, key, "src"):
                FirewallFields.add(.sourceIP, t, value, into: &batch)
            case 3 where FirewallFields.equals(t, key, "dst"):
                FirewallFields.add(.destinationIP, t, value, into: &batch)
            case 3 where FirewallFields.equals(t, key, "spt"):
                FirewallFields.add(.sourcePort, t, value, .number, into: &batch)
            case 3 where FirewallFields.equals(t, key, "dpt"):
                FirewallFields.add(.destinationPort, t, value, .number, into: &batch)
            case 5 where FirewallFields.equals(t, key, "proto"):
                addLowercased(.networkTransport, t, value, into: &batch)
            default:
                break
            }
        }
    }

    static let prefixWords: [(StaticString, StaticString)] = [
        ("DROP", "drop"), ("drop", "drop"), ("REJECT", "deny"), ("reject", "deny"), ("DENY", "deny"), ("deny", "deny"),
        ("DENIED", "deny"), ("denied", "deny"),
        ("BLOCK", "deny"), ("block", "deny"), ("ACCEPT", "allow"), ("accept", "allow"), ("ALLOW", "allow"), ("allow", "allow"),
    ]

    /// The action a log prefix names, if any.
    static func prefixAction(_ t: FirewallText, _ r: Range<Int>) -> StaticString? {
        let window = FirewallText(line: t.line, base: t.base, start: r.lowerBound, end: r.upperBound)
        for (word, action) in prefixWords where window.find(word, from: r.lowerBound) != nil { return action }
        // Ubiquiti: "[wan-lan-default-D]" (Drop), "-A" (Accept), "-R" (Reject).
        if r.count >= 2, t[r.upperBound - 2] == UInt8(ascii: "-") {
            switch t[r.upperBound - 1] {
            case UInt8(ascii: "D"): return "drop"
            case UInt8(ascii: "A"): return "allow"
            case UInt8(ascii: "R"): return "deny"
            default: break
            }
        }
        return nil
    }

    /// Adds a field whose value is `range` lower-cased (`TCP` → `tcp`, as ECS writes transports).
    static func addLowercased(_ id: FieldID, _ t: FirewallText, _ range: Range<Int>, into batch: inout EventBatch) {
        guard !range.isEmpty else { return }
        let start = batch.scratch.count
        for i in range { batch.scratch.append(ASCII.lower(t[i])) }
        batch.addScratchField(id, from: start)
    }
}

/// pfSense/OPNsense `filterlog` CSV (after the `filterlog[pid]:` tag), by field position:
/// rule, sub-rule, anchor, tracker, interface, reason, action, direction, IP version, then the IPv4
/// (`tos, ecn, ttl, id, offset, flags, proto-id, proto, length, src, dst`) or IPv6
/// (`class, flow-label, hop-limit, proto, proto-id, length, src, dst`) layout, then ports for TCP/UDP.
public enum FilterlogParser {
    public static func parse(_ t: FirewallText, into batch: inout EventBatch) -> Bool {
        // Up to 32 field boundaries, without allocating.
        return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 40) { fields in
            var n = 0
            var start = t.start
            var i = t.start
            while i <= t.end, n < 40 {
                if i == t.end || t[i] == UInt8(ascii: ",") {
                    fields[n] = start..<i
                    n += 1
                    start = i + 1
                }
                i += 1
            }
            guard n >= 9, !fields[6].isEmpty, !fields[8].isEmpty else { return false }
            FirewallFields.addVendorIdentity("netgate", "pfsense", into: &batch)
            FirewallFields.add(.ruleID, t, fields[3], into: &batch)
            FirewallFields.addVendor(.pfsenseNamespace, "rule", t, fields[0], into: &batch)
            FirewallFields.addVendor(.pfsenseNamespace, "tracker", t, fields[3], into: &batch)
            FirewallFields.addVendor(.pfsenseNamespace, "interface", t, fields[4], into: &batch)
            FirewallFields.addVendor(.pfsenseNamespace, "reason", t, fields[5], into: &batch)
            FirewallFields.addAction(fields[6], t, namespace: .pfsenseNamespace, into: &batch)
            let inbound = FirewallFields.equals(t, fields[7], "in")
            if inbound || FirewallFields.equals(t, fields[7], "out") {
                batch.addField(.networkDirection, literal: inbound ? "inbound" : "outbound")
                batch.addField(inbound ? .observerIngressInterface : .observerEgressInterface, .text,
                               start: t.base + fields[4].lowerBound, count: fields[4].count)
            }
            let version = fields[8]
            var proto = 0..<0, src = 0..<0, dst = 0..<0, next = 0
            if version.count == 1, t[version.lowerBound] == UInt8(ascii: "4"), n >= 20 {
                proto = fields[16]; src = fields[18]; dst = fields[19]; next = 20
            } else if version.count == 1, t[version.lowerBound] == UInt8(ascii: "6"), n >= 17 {
                proto = fields[12]; src = fields[15]; dst = fields[16]; next = 17
            } else {
                return true  // vendor known, layout not: the fields above stay
            }
            NetfilterParser.addLowercased(.networkTransport, t, proto, into: &batch)
            FirewallFields.add(.sourceIP, t, src, into: &batch)
            FirewallFields.add(.destinationIP, t, dst, into: &batch)
            let tcp = FirewallFields.equals(t, proto, "tcp"), udp = FirewallFields.equals(t, proto, "udp")
            if (tcp || udp) && n >= next + 2 {
                FirewallFields.add(.sourcePort, t, fields[next], .number, into: &batch)
                FirewallFields.add(.destinationPort, t, fields[next + 1], .number, into: &batch)
            }
            return true
        }
    }
}
