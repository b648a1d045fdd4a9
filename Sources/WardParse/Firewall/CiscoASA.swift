import WardCore

/// Cisco ASA and Firepower Threat Defense syslog: `%ASA-<severity>-<id>: <text>` (also `%FTD-`,
/// `%PIX-`, and `%%ASA-` as some relays write it), after any syslog header, device id or timestamp.
///
/// The message is tokenized once; the connection, deny, NAT and AAA messages are recognised by their
/// shapes, which cover the IDs of the issue (106001/6/7/14/15/21/23, 106100, 302013–16, 302020/21,
/// 305011/12, 313001/4/5, 710003, 113004/5/15, 605004/5, 611101–3, 716039, 722051, FTD 430002/3):
/// `from A to B`, `for faddr F gaddr G laddr L`, `src A dst B`, `iface/A(p) -> iface/B(p)`,
/// `for A (mapped) to B (mapped)`, `user = X`, `Uname: X`, `Group <g> User <u> IP <a>`, and FTD's
/// `Key: Value, …` lists; authentication and VPN messages are read by ``CiscoVPN``. Source and destination follow the connection's initiator, as Elastic's
/// pipeline does (for outbound connections the second address is the source).
public enum CiscoASAParser {
    /// Where `%ASA-`/`%FTD-`/`%PIX-` starts (within the first 96 bytes of the text), and whether it is FTD.
    public static func find(_ t: FirewallText) -> (at: Int, ftd: Bool)? {
        let limit = min(t.end, t.start + 96)
        var i = t.start
        while i + 5 < limit, let hit = ByteScan.firstIndex(of: UInt8(ascii: "%"), in: t.line, from: i, to: limit - 5) {
            var j = hit + 1
            if t[j] == UInt8(ascii: "%") { j += 1 }
            if t.has("ASA-", at: j) || t.has("PIX-", at: j) { return (j, false) }
            if t.has("FTD-", at: j) { return (j, true) }
            i = hit + 1
        }
        return nil
    }

    public static func parse(_ t: FirewallText, at: Int, ftd: Bool, into batch: inout EventBatch) -> Bool {
        // ASA-6-302020: text
        var i = at + 4
        // FTD may name a facility before the severity: "%FTD-auth-6-113039".
        let suffixStart = i
        while i < t.end, i - suffixStart < 24, ASCII.isLetter(t[i]) || t[i] == UInt8(ascii: "_") { i += 1 }
        let suffix = suffixStart..<i
        if !suffix.isEmpty {
            guard i < t.end, t[i] == UInt8(ascii: "-") else { return false }
            i += 1
        }
        let severity = i
        guard i < t.end, ASCII.isDigit(t[i]) else { return false }
        i += 1
        guard i < t.end, t[i] == UInt8(ascii: "-") else { return false }
        i += 1
        let idStart = i
        while i < t.end, ASCII.isDigit(t[i]) { i += 1 }
        let id = idStart..<i
        // (Some relays drop the colon after the id: "%ASA-4-401004 Shunned packet: …".)
        guard id.count >= 6, i < t.end, t[i] == UInt8(ascii: ":") || t[i] == ASCII.space else { return false }
        batch.addField(.observerVendor, literal: "Cisco")
        batch.addField(.observerProduct, literal: ftd ? "ftd" : "asa")
        FirewallFields.add(.eventCode, t, id, into: &batch)
        FirewallFields.addVendor(.ciscoNamespace, "severity", t, severity..<(severity + 1), into: &batch)
        FirewallFields.addVendor(.ciscoNamespace, "suffix", t, suffix, into: &batch)
        i += 1
        while i < t.end, t[i] == ASCII.space { i += 1 }
        let body = FirewallText(line: t.line, base: t.base, start: i, end: t.end)
        let code = idNumber(t, id)
        if code == 430002 || code == 430003 || code == 430001 || code == 430004 || code == 430005 {
            keyValueList(body, into: &batch)
            return true
        }
        if CiscoVPN.handles(code) {
            CiscoVPN.parse(body, code: code, into: &batch)
            return true
        }
        withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 64) { tokens in
            var n = 0
            var k = body.start
            while k < body.end, n < 64 {
                while k < body.end, body[k] == ASCII.space { k += 1 }
                let s = k
                while k < body.end, body[k] != ASCII.space { k += 1 }
                if k > s {
                    tokens[n] = s..<k
                    n += 1
                }
            }
            analyse(body, tokens: UnsafeBufferPointer(rebasing: tokens[0..<n]), code: code, into: &batch)
        }
        return true
    }

    /// StaticString has no `==`; compare the bytes.
    static func same(_ a: StaticString, _ b: StaticString) -> Bool {
        a.utf8CodeUnitCount == b.utf8CodeUnitCount && (0..<a.utf8CodeUnitCount).allSatisfy { a.utf8Start[$0] == b.utf8Start[$0] }
    }

    static func idNumber(_ t: FirewallText, _ r: Range<Int>) -> Int {
        var v = 0
        for i in r where v < 1_000_000_000 { v = v * 10 + Int(t[i] - 0x30) }
        return v
    }

    static func word(_ t: FirewallText, _ r: Range<Int>, _ w: StaticString) -> Bool { FirewallFields.equals(t, r, w) }

    /// Trims punctuation around a token: quotes, commas, trailing colons, brackets.
    static func trim(_ t: FirewallText, _ r: Range<Int>) -> Range<Int> {
        var a = r.lowerBound, b = r.upperBound
        func opening(_ c: UInt8) -> Bool {
            c == UInt8(ascii: "\"") || c == UInt8(ascii: "(") || c == UInt8(ascii: "<") || c == UInt8(ascii: "[")
        }
        func closing(_ c: UInt8) -> Bool {
            c == UInt8(ascii: "\"") || c == UInt8(ascii: ",") || c == UInt8(ascii: ")") || c == UInt8(ascii: ">")
                || c == UInt8(ascii: "]") || c == UInt8(ascii: ":") || c == UInt8(ascii: ".")
        }
        while a < b, opening(t[a]) { a += 1 }
        while b > a, closing(t[b - 1]) { b -= 1 }
        return a..<b
    }

    static func addEndpoint(_ t: FirewallText, _ token: Range<Int>, source: Bool, into batch: inout EventBatch) {
        let e = FirewallFields.endpoint(t, trim(t, token))
        FirewallFields.add(source ? .sourceIP : .destinationIP, t, e.ip, into: &batch)
        if !e.port.isEmpty, e.port.allSatisfy({ ASCII.isDigit(t[$0]) }) {
            FirewallFields.add(source ? .sourcePort : .destinationPort, t, e.port, .number, into: &batch)
        }
        FirewallFields.add(source ? .observerIngressInterface : .observerEgressInterface, t, e.interface, into: &batch)
    }

    static func analyse(_ t: FirewallText, tokens: UnsafeBufferPointer<Range<Int>>, code: Int, into batch: inout EventBatch) {
        let n = tokens.count
        guard n > 0 else { return }
        func tok(_ k: Int) -> Range<Int> { k < n ? tokens[k] : t.end..<t.end }
        func index(of w: StaticString, from: Int = 0) -> Int? {
            var k = from
            while k < n {
                if word(t, tokens[k], w) { return k }
                k += 1
            }
            return nil
        }
        // Direction and transport.
        var inbound = false, outbound = false
        for k in 0..<min(n, 6) {
            let r = trim(t, tokens[k])
            if word(t, r, "inbound") { inbound = true }
            if word(t, r, "outbound") { outbound = true }
            if word(t, r, "tcp") || word(t, r, "udp") || word(t, r, "icmp") || word(t, r, "icmp6") || word(t, r, "gre") {
                NetfilterParser.addLowercased(.networkTransport, t, r, into: &batch)
                break
            }
        }
        if inbound || outbound { batch.addField(.networkDirection, literal: inbound ? "inbound" : "outbound") }

        // Action.
        let first = trim(t, tok(0))
        var action: StaticString = "other"
        switch code {
        case 106001, 106006, 106007, 106014, 106015, 106021, 106023, 710003, 313001, 313004, 313005, 605004, 113005,
             113015, 611102, 716039, 106010, 106018, 106020:
            action = "deny"
        case 302013, 302015, 302020, 305011, 605005, 113004, 611101, 722051, 302303:
            action = "allow"
        case 302014, 302016, 302021, 305012, 611103:
            action = "close"
        default:
            if word(t, first, "built") { action = "allow" }
            else if word(t, first, "teardown") { action = "close" }
            else if word(t, first, "deny") || word(t, first, "denied") { action = "deny" }
        }
        if code == 106100, let list = index(of: "access-list"), list + 2 < n {
            FirewallFields.add(.ruleName, t, tok(list + 1), into: &batch)
            action = FirewallFields.normalizedAction(t, tok(list + 2))
            if word(t, tok(list + 2), "est-allowed") { action = "allow" }
            FirewallFields.addVendor(.ciscoNamespace, "action", t, tok(list + 2), into: &batch)
        } else {
            FirewallFields.addVendor(.ciscoNamespace, "action", t, first, into: &batch)
        }
        batch.addField(.eventAction, literal: action)
        if same(action, "allow") || same(action, "close") { batch.addField(.eventOutcome, literal: "success") }
        if same(action, "deny") { batch.addField(.eventOutcome, literal: "failure") }

        // Endpoints.
        if let f = index(of: "faddr"), let g = index(of: "gaddr"), let l = index(of: "laddr") {
            let faddr = FirewallFields.endpoint(t, tok(f + 1)), gaddr = FirewallFields.endpoint(t, tok(g + 1)),
                laddr = FirewallFields.endpoint(t, tok(l + 1))
            let mapped = !zip(gaddr.ip, laddr.ip).allSatisfy({ t[$0] == t[$1] }) || gaddr.ip.count != laddr.ip.count
            // A teardown (302021) states no direction: the local address is the source, as in Elastic's pipeline.
            if outbound || (!inbound && code == 302021) {
                FirewallFields.add(.sourceIP, t, laddr.ip, into: &batch)
                FirewallFields.add(.destinationIP, t, faddr.ip, into: &batch)
                if mapped { FirewallFields.add(.sourceNATIP, t, gaddr.ip, into: &batch) }
                FirewallFields.addVendor(.ciscoNamespace, "mapped_source_ip", t, gaddr.ip, into: &batch)
            } else {
                FirewallFields.add(.sourceIP, t, faddr.ip, into: &batch)
                FirewallFields.add(.destinationIP, t, laddr.ip, into: &batch)
                if mapped { FirewallFields.add(.destinationNATIP, t, gaddr.ip, into: &batch) }
                FirewallFields.addVendor(.ciscoNamespace, "mapped_destination_ip", t, gaddr.ip, into: &batch)
            }
        } else if let arrow = index(of: "->"), arrow > 0 {
            // 106100: inside/10.0.0.1(1234) -> outside/10.0.0.2(80)
            for side in 0..<2 {
                let source = side == 0
                let k = source ? arrow - 1 : arrow + 1
                guard k < n else { continue }
                let r = tok(k)
                guard let slash = r.first(where: { t[$0] == UInt8(ascii: "/") }) else { continue }
                // The port's parenthesis after the slash (a `(` before it is part of the interface name).
                let paren = ((slash + 1)..<r.upperBound).first(where: { t[$0] == UInt8(ascii: "(") }) ?? r.upperBound
                FirewallFields.add(source ? .observerIngressInterface : .observerEgressInterface, t, r.lowerBound..<slash, into: &batch)
                FirewallFields.add(source ? .sourceIP : .destinationIP, t, (slash + 1)..<paren, into: &batch)
                if paren + 1 < r.upperBound {
                    let port = (paren + 1)..<(r.upperBound - 1)
                    if !port.isEmpty, port.allSatisfy({ ASCII.isDigit(t[$0]) }) {
                        FirewallFields.add(source ? .sourcePort : .destinationPort, t, port, .number, into: &batch)
                    }
                }
            }
        } else if let src = index(of: "src"), let dst = index(of: "dst", from: src) {
            addEndpoint(t, tok(src + 1), source: true, into: &batch)
            addEndpoint(t, tok(dst + 1), source: false, into: &batch)
        } else if (code >= 302013 && code <= 302016) || code == 302303, let f = index(of: "for"), let to = index(of: "to", from: f) {
            // Built outbound …: the first endpoint is the remote server, the second the initiator.
            let firstIsSource = !outbound
            addEndpoint(t, tok(f + 1), source: firstIsSource, into: &batch)
            addEndpoint(t, tok(to + 1), source: !firstIsSource, into: &batch)
            if to + 2 < n, t[tok(to + 2).lowerBound] == UInt8(ascii: "(") {
                let mapped = FirewallFields.endpoint(t, trim(t, tok(to + 2)))
                FirewallFields.add(outbound ? .sourceNATIP : .destinationNATIP, t, mapped.ip, into: &batch)
            }
        } else if let from = index(of: "from") {
            // "… from IP 10.30.250.10, executed …" (111010): the address follows the word IP.
            addEndpoint(t, tok(word(t, tok(from + 1), "ip") ? from + 2 : from + 1), source: true, into: &batch)
            if let to = index(of: "to", from: from + 1) { addEndpoint(t, tok(to + 1), source: false, into: &batch) }
        }
        // NAT translations (305011): "from inside:A/p to outside:B/p" — the second is the mapped source.
        if code == 305011 || code == 305012, let to = index(of: "to") {
            let mapped = FirewallFields.endpoint(t, trim(t, tok(to + 1)))
            FirewallFields.add(.sourceNATIP, t, mapped.ip, into: &batch)
        }
        // Interfaces and rules.
        if let on = index(of: "interface"), on + 1 < n, on > 0, word(t, tok(on - 1), "on") {
            FirewallFields.add(.observerIngressInterface, t, trim(t, tok(on + 1)), into: &batch)
        }
        if let group = index(of: "access-group"), group + 1 < n { FirewallFields.add(.ruleName, t, trim(t, tok(group + 1)), into: &batch) }
        // Configuration commands (111007–111010): "User 'admin' executed …", "User 'admin', running 'CLI' …".
        if (111007...111010).contains(code), word(t, first, "user"), n > 1 {
            var name = trim(t, tok(1))
            while name.lowerBound < name.upperBound, t[name.lowerBound] == UInt8(ascii: "'") { name = (name.lowerBound + 1)..<name.upperBound }
            while name.upperBound > name.lowerBound, t[name.upperBound - 1] == UInt8(ascii: "'") { name = name.lowerBound..<(name.upperBound - 1) }
            FirewallFields.add(.userName, t, name, into: &batch)
        }
        // Users: user = X | for user "X" | Uname: X | User <X>.
        var u = 0
        while let at = index(of: "user", from: u), at + 1 < n {
            if word(t, tok(at + 1), "="), at + 2 < n {
                FirewallFields.add(.userName, t, trim(t, tok(at + 2)), into: &batch)
                break
            } else if t[tok(at + 1).lowerBound] == UInt8(ascii: "\"") {
                FirewallFields.add(.userName, t, trim(t, tok(at + 1)), into: &batch)
                break
            }
            u = at + 1
        }
        if let u = index(of: "uname:"), u + 1 < n { FirewallFields.add(.userName, t, trim(t, tok(u + 1)), into: &batch) }
        if let u = index(of: "user"), u + 1 < n, t[tok(u + 1).lowerBound] == UInt8(ascii: "<") {
            FirewallFields.add(.userName, t, trim(t, tok(u + 1)), into: &batch)
            if let ip = index(of: "ip", from: u), ip + 1 < n, t[tok(ip + 1).lowerBound] == UInt8(ascii: "<") {
                FirewallFields.add(.sourceIP, t, trim(t, tok(ip + 1)), into: &batch)
            }
        }
        // AAA: "user IP = A", "server = S".
        if let ip = index(of: "ip"), ip > 0, word(t, tok(ip - 1), "user"), ip + 2 < n, word(t, tok(ip + 1), "=") {
            FirewallFields.add(.sourceIP, t, trim(t, tok(ip + 2)), into: &batch)
        }
        if let address = index(of: "address:"), address > 0, word(t, tok(address - 1), "ip"), address + 1 < n {
            FirewallFields.add(.sourceIP, t, trim(t, tok(address + 1)), into: &batch)
        }
        if let duration = index(of: "duration"), duration + 1 < n {
            FirewallFields.addVendor(.ciscoNamespace, "duration", t, tok(duration + 1), into: &batch)
        }
        if let bytes = index(of: "bytes"), bytes + 1 < n, tok(bytes + 1).allSatisfy({ ASCII.isDigit(t[$0]) }) {
            FirewallFields.addVendor(.ciscoNamespace, "bytes", t, tok(bytes + 1), into: &batch)
        }
    }

    /// FTD 430002/430003: `Key: Value, Key: Value, …`.
    static func keyValueList(_ t: FirewallText, into batch: inout EventBatch) {
        var i = t.start
        while i < t.end {
            while i < t.end, t[i] == ASCII.space || t[i] == UInt8(ascii: ",") { i += 1 }
            let keyStart = i
            while i < t.end, t[i] != UInt8(ascii: ":"), t[i] != UInt8(ascii: ",") { i += 1 }
            guard i < t.end, t[i] == UInt8(ascii: ":") else { continue }
            let key = keyStart..<i
            i += 1
            while i < t.end, t[i] == ASCII.space { i += 1 }
            let valueStart = i
            while i < t.end, t[i] != UInt8(ascii: ",") { i += 1 }
            var valueEnd = i
            while valueEnd > valueStart, t[valueEnd - 1] == ASCII.space { valueEnd -= 1 }
            let value = valueStart..<valueEnd
            FirewallFields.addVendor(.ciscoNamespace, t, key: key, value: ByteRef(start: t.base + value.lowerBound, count: value.count, inScratch: false), into: &batch)
            if word(t, key, "srcip") { FirewallFields.add(.sourceIP, t, value, into: &batch) }
            else if word(t, key, "dstip") { FirewallFields.add(.destinationIP, t, value, into: &batch) }
            else if word(t, key, "srcport") { FirewallFields.add(.sourcePort, t, value, .number, into: &batch) }
            else if word(t, key, "dstport") { FirewallFields.add(.destinationPort, t, value, .number, into: &batch) }
            else if word(t, key, "protocol") { NetfilterParser.addLowercased(.networkTransport, t, value, into: &batch) }
            else if word(t, key, "ingressinterface") { FirewallFields.add(.observerIngressInterface, t, value, into: &batch) }
            else if word(t, key, "egressinterface") { FirewallFields.add(.observerEgressInterface, t, value, into: &batch) }
            else if word(t, key, "accesscontrolrulename") { FirewallFields.add(.ruleName, t, value, into: &batch) }
            else if word(t, key, "user") { FirewallFields.add(.userName, t, value, into: &batch) }
            else if word(t, key, "accesscontrolruleaction") {
                batch.addField(.eventAction, literal: FirewallFields.normalizedAction(t, value))
            }
        }
    }
}
