import WardCore

/// The free-text shapes of Juniper SRX logs (Junos's default `syslog` log format), read by position.
///
/// `RT_FLOW` messages list their fields in a fixed order that grew over Junos releases (connection
/// tags and NAT rule types were inserted in 12.1X47), so they are read around anchors that every
/// release has: the `A/p->B/p` pairs (original, then translated), and the first `n(m)` token after
/// them (`user(roles)` when a session starts, `packets(bytes)` when it closes, `protocol(icmp-type)`
/// when it is denied); the protocol, policy, zones and session id stand just before it. Other
/// daemons (IDP, UTM, screens) are read for their `A/p->B/p` (or `A(p)->B(p)`) pair, their action
/// and user. Firewall-filter lines (`FW: ge-0/0/1.0 D tcp …`) are positional throughout.
enum JuniperText {
    /// Tokens per line at most (later ones are not read).
    static let maxTokens = 64

    /// - Returns: the range of the vendor's action word, if the text states one.
    static func parse(_ t: FirewallText, name: Range<Int>, body: Int, into batch: inout EventBatch) -> Range<Int>? {
        withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: maxTokens) { buffer in
            let n = tokenize(t, from: body, into: buffer)
            let tokens = UnsafeBufferPointer(rebasing: buffer[0..<n])
            if JuniperSRXParser.nameHas(t, name, "RT_FLOW_SESSION") || JuniperSRXParser.nameHas(t, name, "APPTRACK_SESSION") {
                flow(t, tokens, into: &batch)
                return nil
            }
            return other(t, tokens, into: &batch)
        }
    }

    static func tokenize(_ t: FirewallText, from: Int, into tokens: UnsafeMutableBufferPointer<Range<Int>>) -> Int {
        var n = 0
        var k = from
        while k < t.end, n < tokens.count {
            while k < t.end, t[k] == ASCII.space { k += 1 }
            let s = k
            while k < t.end, t[k] != ASCII.space { k += 1 }
            if k > s {
                tokens[n] = s..<k
                n += 1
            }
        }
        return n
    }

    static func arrow(_ t: FirewallText, _ r: Range<Int>) -> Int? {
        ByteScan.find("->", in: t.line, from: r.lowerBound, to: r.upperBound)
    }

    /// `A/p->B/p`, `<A/p->B/p>`, `A(p)->B(p)` or `A:p->B:p` (IPv4): adds both endpoints.
    static func addPair(_ t: FirewallText, _ r: Range<Int>, nat: Bool, into batch: inout EventBatch) {
        guard let a = arrow(t, r) else { return }
        var lower = r.lowerBound, upper = r.upperBound
        while lower < a, t[lower] == UInt8(ascii: "<") { lower += 1 }
        while upper > a + 2, t[upper - 1] == UInt8(ascii: ">") || t[upper - 1] == UInt8(ascii: ",") { upper -= 1 }
        addEndpoint(t, lower..<a, ip: nat ? .sourceNATIP : .sourceIP, port: nat ? .sourceNATPort : .sourcePort, into: &batch)
        addEndpoint(t, (a + 2)..<upper, ip: nat ? .destinationNATIP : .destinationIP,
                    port: nat ? .destinationNATPort : .destinationPort, into: &batch)
    }

    static func addEndpoint(_ t: FirewallText, _ r: Range<Int>, ip: FieldID, port: FieldID, into batch: inout EventBatch) {
        guard !r.isEmpty else { return }
        var split = r.upperBound
        var portRange = r.upperBound..<r.upperBound
        if let paren = r.first(where: { t[$0] == UInt8(ascii: "(") }) {
            split = paren
            let close = t[r.upperBound - 1] == UInt8(ascii: ")") ? r.upperBound - 1 : r.upperBound
            portRange = min(paren + 1, close)..<close
        } else if let slash = ByteScan.lastIndex(of: UInt8(ascii: "/"), in: t.line, from: r.lowerBound, to: r.upperBound) {
            split = slash
            portRange = (slash + 1)..<r.upperBound
        } else if let colon = ByteScan.lastIndex(of: UInt8(ascii: ":"), in: t.line, from: r.lowerBound, to: r.upperBound),
                  ByteScan.count(of: UInt8(ascii: ":"), in: t.line, from: r.lowerBound, to: r.upperBound) == 1 {
            split = colon
            portRange = (colon + 1)..<r.upperBound
        }
        FirewallFields.add(ip, t, r.lowerBound..<split, into: &batch)
        if !portRange.isEmpty, portRange.allSatisfy({ ASCII.isDigit(t[$0]) }) {
            FirewallFields.add(port, t, portRange, .number, into: &batch)
        }
    }

    static func isParenToken(_ t: FirewallText, _ r: Range<Int>) -> Bool {
        r.count >= 3 && t[r.upperBound - 1] == UInt8(ascii: ")") && t[r.lowerBound] != UInt8(ascii: "(")
            && ByteScan.firstIndex(of: UInt8(ascii: "("), in: t.line, from: r.lowerBound, to: r.upperBound) != nil
    }

    /// `n(m)`: the ranges before and inside the parenthesis.
    static func parenParts(_ t: FirewallText, _ r: Range<Int>) -> (Range<Int>, Range<Int>) {
        let open = ByteScan.firstIndex(of: UInt8(ascii: "("), in: t.line, from: r.lowerBound, to: r.upperBound) ?? r.upperBound
        return (r.lowerBound..<open, min(open + 1, r.upperBound - 1)..<(r.upperBound - 1))
    }

    static func addIfValue(_ id: FieldID, _ t: FirewallText, _ r: Range<Int>, _ kind: ValueKind = .text,
                           into batch: inout EventBatch) {
        guard !r.isEmpty, !JuniperSRXParser.isPlaceholder(t, r) else { return }
        if kind == .number, !r.allSatisfy({ ASCII.isDigit(t[$0]) }) { return }
        FirewallFields.add(id, t, r, kind, into: &batch)
    }

    /// `session created|closed <reason>:|denied A/p->B/p …`
    static func flow(_ t: FirewallText, _ tokens: UnsafeBufferPointer<Range<Int>>, into batch: inout EventBatch) {
        let n = tokens.count
        var first: Int?
        var second: Int?
        for k in 0..<n where arrow(t, tokens[k]) != nil {
            if first == nil { first = k } else { second = k; break }
        }
        guard let first else { return }
        // "session closed TCP FIN: A/p->B/p": the reason is the words before the pair.
        if first > 2, FirewallFields.equals(t, tokens[1], "closed") {
            var end = tokens[first - 1].upperBound
            if t[end - 1] == UInt8(ascii: ":") { end -= 1 }
            let reason = tokens[2].lowerBound..<end
            FirewallFields.add(.eventReason, t, reason, into: &batch)
            FirewallFields.addVendor(.juniperNamespace, "reason", t, reason, into: &batch)
        }
        addPair(t, tokens[first], nat: false, into: &batch)
        var k = first + 1
        if k < n, t.has("0x", at: tokens[k].lowerBound) { k += 1 }
        if k < n, arrow(t, tokens[k]) == nil {
            FirewallFields.addVendor(.juniperNamespace, "service-name", t, tokens[k], into: &batch)
        }
        if let second { addPair(t, tokens[second], nat: true, into: &batch) }
        var anchor = (second ?? first) + 1
        while anchor < n, !isParenToken(t, tokens[anchor]) { anchor += 1 }
        guard anchor < n else { return }
        let (head, inner) = parenParts(t, tokens[anchor])
        if second == nil {
            // Denied: "<service> <protocol>(<icmp-type>) <policy> <from-zone> <to-zone> <app> <nested> <user>(<roles>) <interface>".
            IANAProtocol.add(t, head, into: &batch)
            FirewallFields.addVendor(.juniperNamespace, "protocol-id", t, head, into: &batch)
            if anchor + 1 < n { addIfValue(.ruleName, t, tokens[anchor + 1], into: &batch) }
            var u = anchor + 1
            while u < n, !isParenToken(t, tokens[u]) { u += 1 }
            if u < n {
                addIfValue(.userName, t, parenParts(t, tokens[u]).0, into: &batch)
                if u + 1 < n { addIfValue(.observerIngressInterface, t, tokens[u + 1], into: &batch) }
            }
            return
        }
        // Created or closed: "<protocol> <policy> <from-zone> <to-zone> <session-id>" precede the anchor.
        if anchor >= 5 {
            IANAProtocol.add(t, tokens[anchor - 5], into: &batch)
            FirewallFields.addVendor(.juniperNamespace, "protocol-id", t, tokens[anchor - 5], into: &batch)
            addIfValue(.ruleName, t, tokens[anchor - 4], into: &batch)
            FirewallFields.addVendor(.juniperNamespace, "policy-name", t, tokens[anchor - 4], into: &batch)
            FirewallFields.addVendor(.juniperNamespace, "source-zone-name", t, tokens[anchor - 3], into: &batch)
            FirewallFields.addVendor(.juniperNamespace, "destination-zone-name", t, tokens[anchor - 2], into: &batch)
            FirewallFields.addVendor(.juniperNamespace, "session-id-32", t, tokens[anchor - 1], into: &batch)
        }
        var user = anchor
        if head.allSatisfy({ ASCII.isDigit(t[$0]) }), anchor + 1 < n, isParenToken(t, tokens[anchor + 1]) {
            // Closed: "<packets>(<bytes>) <packets>(<bytes>) <elapsed> <app> <nested> <user>(<roles>) <interface>".
            addIfValue(.sourceBytes, t, inner, .number, into: &batch)
            addIfValue(.destinationBytes, t, parenParts(t, tokens[anchor + 1]).1, .number, into: &batch)
            user = anchor + 2
            while user < n, !isParenToken(t, tokens[user]) { user += 1 }
        }
        if user < n {
            addIfValue(.userName, t, parenParts(t, tokens[user]).0, into: &batch)
            if user + 1 < n { addIfValue(.observerIngressInterface, t, tokens[user + 1], into: &batch) }
        }
    }

    /// IDP, UTM, screen and other daemons: the endpoint pair, the action and the user.
    static func other(_ t: FirewallText, _ tokens: UnsafeBufferPointer<Range<Int>>, into batch: inout EventBatch) -> Range<Int>? {
        let n = tokens.count
        var action: Range<Int>?
        var pair = false
        var k = 0
        while k < n {
            let r = tokens[k]
            if !pair, arrow(t, r) != nil {
                addPair(t, r, nat: false, into: &batch)
                pair = true
            } else if k + 1 < n, FirewallFields.equals(t, r, "source:") || FirewallFields.equals(t, r, "destination:") {
                let source = r.count == 7
                addEndpoint(t, trimComma(t, tokens[k + 1]), ip: source ? .sourceIP : .destinationIP,
                            port: source ? .sourcePort : .destinationPort, into: &batch)
                k += 1
            } else if k + 1 < n, FirewallFields.equals(t, r, "action:") {
                action = trimComma(t, tokens[k + 1])
                k += 1
            } else if action == nil, t.has("action=", at: r.lowerBound) || t.has("ACTION=", at: r.lowerBound) {
                var value = trimComma(t, (r.lowerBound + 7)..<r.upperBound)
                if !value.isEmpty, t[value.lowerBound] == UInt8(ascii: "\"") {
                    // ACTION="URL Blocked": the quoted words may span tokens.
                    let s = value.lowerBound + 1
                    let close = ByteScan.firstIndex(of: UInt8(ascii: "\""), in: t.line, from: s, to: t.end) ?? t.end
                    value = s..<close
                }
                action = value
            } else if k + 1 < n, FirewallFields.equals(t, r, "username") || FirewallFields.equals(t, r, "user") {
                addIfValue(.userName, t, trimComma(t, tokens[k + 1]), into: &batch)
                k += 1
            } else if k + 2 < n, FirewallFields.equals(t, r, "for"), FirewallFields.equals(t, tokens[k + 2], "protocol") {
                NetfilterParser.addLowercased(.networkTransport, t, tokens[k + 1], into: &batch)
                k += 2
            }
            k += 1
        }
        if let action { FirewallFields.addVendor(.juniperNamespace, "action", t, action, into: &batch) }
        return action
    }

    static func trimComma(_ t: FirewallText, _ r: Range<Int>) -> Range<Int> {
        var upper = r.upperBound
        while upper > r.lowerBound, t[upper - 1] == UInt8(ascii: ",") || t[upper - 1] == UInt8(ascii: ".") { upper -= 1 }
        return r.lowerBound..<upper
    }

    /// `FW: <interface> <A|D|R> <protocol> <source> <destination> <source port> <destination port> (<n> packets)`.
    static func filter(_ t: FirewallText, at: Int, into batch: inout EventBatch) {
        withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 8) { buffer in
            let n = tokenize(t, from: at + 4, into: buffer)
            guard n >= 2 else { return }
            FirewallFields.add(.observerIngressInterface, t, buffer[0], into: &batch)
            FirewallFields.addVendor(.juniperNamespace, "action", t, buffer[1], into: &batch)
            let letter = t[buffer[1].lowerBound]
            let action: StaticString = letter == UInt8(ascii: "A") ? "allow" : letter == UInt8(ascii: "D") ? "drop" : "deny"
            batch.addField(.eventAction, literal: action)
            batch.addField(.eventOutcome, literal: letter == UInt8(ascii: "A") ? "success" : "failure")
            if n > 2 { NetfilterParser.addLowercased(.networkTransport, t, buffer[2], into: &batch) }
            if n > 3 { FirewallFields.add(.sourceIP, t, buffer[3], into: &batch) }
            if n > 4 { FirewallFields.add(.destinationIP, t, buffer[4], into: &batch) }
            if n > 5 { addIfValue(.sourcePort, t, buffer[5], .number, into: &batch) }
            if n > 6 { addIfValue(.destinationPort, t, buffer[6], .number, into: &batch) }
        }
    }
}
