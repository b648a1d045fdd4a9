import WardCore

/// Juniper SRX (Junos OS) security and system logs.
///
/// Junos writes the same events in two shapes, and hospitals run both:
/// - *structured* (`set security log format sd-syslog`): the event name, then
///   `[junos@2636.1.1.1.2.<model> key="value" …]`, in an RFC 5424 header (the name is the MSGID; the
///   syslog parser hands the bracket on as the message) or after a BSD tag
///   (`RT_FLOW: RT_FLOW_SESSION_CREATE [junos@… …]`); some relays drop the brackets and keep the pairs;
/// - *free text* (the default `syslog` format): `RT_FLOW_SESSION_CREATE: session created
///   A/p->B/p …`, whose fields are positional (``JuniperText``).
///
/// Every key becomes `juniper.<key>` as Junos names it; the addresses, ports, NAT, policy, user,
/// interfaces, bytes and reason are also ECS fields. `event.code` is the event name
/// (`RT_FLOW_SESSION_DENY`, `IDP_ATTACK_LOG_EVENT`, …); `event.action` is the `action` key in
/// wardwatch's vocabulary, else what the name says (`…_CREATE` allow, `…_CLOSE` close, `…_DENY` deny).
/// Values such as `N/A`, `None` and `UNKNOWN` are kept under `juniper.` but give no ECS field.
public enum JuniperSRXParser {
    /// Which shape a line has, and where its payload starts.
    public enum Shape: Equatable {
        /// `[junos@…` at this offset.
        case structured(Int)
        /// `NAME: text` or `NAME key="value" …`: the name's range, and where the text after it starts.
        case text(name: Range<Int>, body: Int)
        /// A firewall-filter log, `FW: <interface> <A|D|R> <protocol> <src> <dst> <sport> <dport>`.
        case filter(name: Range<Int>?, at: Int)
    }

    /// The Junos daemons whose free-text lines are security events (the BSD tag, or the name's prefix).
    static let textPrefixes: [StaticString] = [
        "RT_FLOW", "APPTRACK_", "RT_IDP", "IDP_", "RT_UTM", "WEBFILTER_", "AV_", "ANTISPAM_", "CONTENT_FILTERING_",
        "RT_IDS", "RT_SCREEN", "RT_SECINTEL", "SECINTEL_", "RT_AAMW", "AAMW_",
    ]

    /// Event names (the RFC 5424 MSGID) whose `[junos@…]` structured data is read here: the security
    /// daemons' and the system log's access, VPN and interface events. Other Junos daemons' structured
    /// data (`UI_CHILD_EXITED`, …) stays RFC 5424 structured data.
    static let structuredPrefixes: [StaticString] = textPrefixes + [
        "SRX_", "KMD_", "SSHD_", "SNMPD_AUTH", "SNMP_TRAP_LINK", "DOT1XD_", "RPD_IFD", "UI_LOGIN", "UI_AUTH", "UI_CMDLINE",
        "UI_COMMIT", "LOGIN_",
    ]

    /// Whether the RFC 5424 parser should hand a `[junos@…]` element with this MSGID on as the message.
    @usableFromInline
    static func readsStructuredData(_ line: UnsafePointer<UInt8>, msgID: Range<Int>) -> Bool {
        structuredPrefixes.contains { ByteScan.has($0, in: line, at: msgID.lowerBound, end: msgID.upperBound) }
    }

    /// Recognises a Juniper line; looks only at the first bytes of the text and at the tag.
    /// - Complexity: O(1) for lines of other vendors (a bounded window); no allocation.
    public static func find(_ t: FirewallText, processName: Range<Int>?) -> Shape? {
        let first = t[t.start]
        if first == UInt8(ascii: "[") {
            return t.has("[junos@", at: t.start) ? .structured(t.start) : nil
        }
        // "NAME [junos@…", "NAME: …" or "NAME key=\"…\"" — NAME is upper-case letters, digits and '_'.
        let window = min(t.end, t.start + 80)
        var i = t.start
        while i < window, isNameByte(t[i]) { i += 1 }
        let name = t.start..<i
        if name.count >= 2, i < t.end, ASCII.isUpper(first) {
            if t[i] == ASCII.space, t.has("[junos@", at: i + 1) { return .structured(i + 1) }
            if name.count == 2, t.has("FW: ", at: t.start), isFilter(t, at: t.start) { return .filter(name: nil, at: t.start) }
            if t.has(": FW: ", at: i), isFilter(t, at: i + 2) { return .filter(name: name, at: i + 2) }
            if name.count >= 3, isEventName(t, name), t[i] == UInt8(ascii: ":") || t[i] == ASCII.space {
                var body = i + (t[i] == UInt8(ascii: ":") ? 1 : 0)
                while body < t.end, t[body] == ASCII.space { body += 1 }
                return .text(name: name, body: body)
            }
        }
        // Without a tag (a header the syslog parsers rejected, such as an RFC 5424 stamp without
        // offset, or no APP-NAME) the marker may come after other words: look a little further.
        // Tagged lines skip these scans (most syslog lines pass here).
        guard processName == nil else { return taggedText(t, processName) }
        if let at = ByteScan.find("[junos@", in: t.line, from: t.start, to: min(t.end, t.start + 160)) {
            return .structured(at)
        }
        // "node1.fpc0 PFE_FW_SYSLOG_IP: FW: …" (the PFE's own prefix before the filter log).
        if let colon = ByteScan.find(": FW: ", in: t.line, from: t.start, to: min(t.end, t.start + 80)),
           isFilter(t, at: colon + 2) {
            var s = colon
            while s > t.start, isNameByte(t[s - 1]) { s -= 1 }
            return .filter(name: s < colon && ASCII.isUpper(t[s]) ? s..<colon : nil, at: colon + 2)
        }
        return nil
    }

    /// "RT_FLOW_SESSION_CREATE: session created …" with the event name as the BSD tag.
    static func taggedText(_ t: FirewallText, _ processName: Range<Int>?) -> Shape? {
        if let tag = processName, tag.count >= 3, isEventName(t, tag), tag.allSatisfy({ isNameByte(t[$0]) }) {
            return .text(name: tag, body: t.start)
        }
        return nil
    }

    static func isNameByte(_ b: UInt8) -> Bool { ASCII.isUpper(b) || ASCII.isDigit(b) || b == UInt8(ascii: "_") }

    /// Whether `name` starts like a Junos security event (``textPrefixes``).
    static func isEventName(_ t: FirewallText, _ name: Range<Int>) -> Bool {
        // Every event name starts with two capitals (most syslog tags do not): the list only after that.
        guard name.count >= 2, ASCII.isUpper(t[name.lowerBound]), ASCII.isUpper(t[name.lowerBound + 1]) else { return false }
        return textPrefixes.contains { ByteScan.has($0, in: t.line, at: name.lowerBound, end: name.upperBound) }
    }

    /// `FW: <interface> <A|D|R> <protocol> …`: the interface, then a one-letter action.
    static func isFilter(_ t: FirewallText, at: Int) -> Bool {
        var i = at + 4
        let s = i
        while i < t.end, t[i] != ASCII.space { i += 1 }
        guard i > s, i + 2 < t.end, t[i + 2] == ASCII.space else { return false }
        let a = t[i + 1]
        return a == UInt8(ascii: "A") || a == UInt8(ascii: "D") || a == UInt8(ascii: "R")
    }

    /// Parses the line in the shape `find` gave. Never fails: a cut line gives what it holds.
    public static func parse(_ t: FirewallText, shape: Shape, into batch: inout EventBatch) {
        FirewallFields.addVendorIdentity("Juniper", "SRX", into: &batch)
        switch shape {
        case .structured(let at):
            let name = nameBefore(t, at)
            addName(t, name, into: &batch)
            var end = at + 1
            while end < t.end, t[end] != ASCII.space { end += 1 }  // the SD-ID
            let action = pairs(t, from: end, into: &batch)
            finishAction(t, name: name, action: action, into: &batch)
        case .text(let name, let body):
            addName(t, name, into: &batch)
            // Some relays keep the pairs without brackets: "NAME source-address="…" …".
            let action: Range<Int>?
            if let eq = ByteScan.firstIndex(of: UInt8(ascii: "="), in: t.line, from: body, to: min(t.end, body + 40)),
               eq + 1 < t.end, t[eq + 1] == UInt8(ascii: "\"") || t[eq + 1] == 0xE2, isKeyRun(t, body..<eq) {
                action = pairs(t, from: body, into: &batch)
            } else {
                action = JuniperText.parse(t, name: name, body: body, into: &batch)
            }
            finishAction(t, name: name, action: action, into: &batch)
        case .filter(let name, let at):
            if let name { addName(t, name, into: &batch) }
            JuniperText.filter(t, at: at, into: &batch)
        }
    }

    /// The event name before `[junos@` (the RFC 5424 MSGID, or the BSD message's first word), looking
    /// back in the line when the text starts at the bracket.
    static func nameBefore(_ t: FirewallText, _ bracket: Int) -> Range<Int> {
        var e = bracket
        while e > 0, t[e - 1] == ASCII.space { e -= 1 }
        var s = e
        while s > 0, t[s - 1] != ASCII.space { s -= 1 }
        let r = s..<e
        guard r.count >= 3, r.allSatisfy({ ASCII.isUpper(t[$0]) || ASCII.isDigit(t[$0]) || t[$0] == UInt8(ascii: "_") }),
              ASCII.isUpper(t[s]) else { return e..<e }
        return r
    }

    static func addName(_ t: FirewallText, _ name: Range<Int>, into batch: inout EventBatch) {
        FirewallFields.add(.eventCode, t, name, into: &batch)
    }

    static func isKeyRun(_ t: FirewallText, _ r: Range<Int>) -> Bool {
        !r.isEmpty && r.allSatisfy { ASCII.isLower(t[$0]) || ASCII.isDigit(t[$0]) || t[$0] == UInt8(ascii: "-") || t[$0] == UInt8(ascii: "_") }
    }

    /// Reads `key="value"` pairs from `from` to the closing `]` (or the end): values in ASCII quotes
    /// (escapes kept as written) or in the typographic quotes some Junos releases write (`”…”`).
    /// - Returns: the `action` value's range, if any.
    /// - Complexity: O(*n*); no allocation.
    static func pairs(_ t: FirewallText, from: Int, into batch: inout EventBatch) -> Range<Int>? {
        var action: Range<Int>?
        var i = from
        let end = t.end
        while i < end {
            while i < end, t[i] == ASCII.space { i += 1 }
            guard i < end, t[i] != UInt8(ascii: "]") else { break }
            let keyStart = i
            while i < end, t[i] != UInt8(ascii: "="), t[i] != ASCII.space, t[i] != UInt8(ascii: "]") { i += 1 }
            guard i < end, t[i] == UInt8(ascii: "=") else { continue }
            let key = keyStart..<i
            i += 1
            var value = i..<i
            if let quoted = t.quoted(at: &i, end: end) {
                value = quoted
            } else if i + 2 < end, t[i] == 0xE2, t[i + 1] == 0x80, t[i + 2] == 0x9D || t[i + 2] == 0x9C {
                i += 3
                let s = i
                while i + 2 < end, !(t[i] == 0xE2 && t[i + 1] == 0x80 && (t[i + 2] == 0x9D || t[i + 2] == 0x9C)) { i += 1 }
                if i + 2 >= end { i = end }
                value = s..<i
                i = min(end, i + 3)
            } else {
                let s = i
                while i < end, t[i] != ASCII.space, t[i] != UInt8(ascii: "]") { i += 1 }
                value = s..<i
            }
            FirewallFields.addVendor(.juniperNamespace, t, key: key,
                                     value: ByteRef(start: t.base + value.lowerBound, count: value.count, inScratch: false),
                                     into: &batch)
            if FirewallFields.equals(t, key, "action") {
                action = value
            } else {
                ecs(t, key: key, value: value, into: &batch)
            }
        }
        return action
    }

    /// Junos keys that are ECS fields.
    static let keys: [(key: StaticString, field: FieldID, kind: ValueKind)] = [
        ("source-address", .sourceIP, .text), ("destination-address", .destinationIP, .text),
        ("source-port", .sourcePort, .number), ("destination-port", .destinationPort, .number),
        ("nat-source-address", .sourceNATIP, .text), ("nat-source-port", .sourceNATPort, .number),
        ("nat-destination-address", .destinationNATIP, .text), ("nat-destination-port", .destinationNATPort, .number),
        ("client-ip", .sourceIP, .text), ("local-address", .sourceIP, .text), ("remote-address", .destinationIP, .text),
        ("policy-name", .ruleName, .text), ("username", .userName, .text),
        ("packet-incoming-interface", .observerIngressInterface, .text), ("source-interface-name", .observerIngressInterface, .text),
        ("interface-name", .observerIngressInterface, .text), ("destination-interface-name", .observerEgressInterface, .text),
        ("bytes-from-client", .sourceBytes, .number), ("bytes-from-server", .destinationBytes, .number),
        ("reason", .eventReason, .text),
    ]

    static let keysByLength: [[(key: StaticString, field: FieldID, kind: ValueKind)]] = {
        var buckets = [[(key: StaticString, field: FieldID, kind: ValueKind)]](repeating: [], count: 32)
        for entry in keys { buckets[entry.key.utf8CodeUnitCount].append(entry) }
        return buckets
    }()

    static func ecs(_ t: FirewallText, key: Range<Int>, value: Range<Int>, into batch: inout EventBatch) {
        guard !value.isEmpty, !isPlaceholder(t, value) else { return }
        if FirewallFields.equals(t, key, "protocol-id") {
            IANAProtocol.add(t, value, into: &batch)
        } else if FirewallFields.equals(t, key, "protocol-name") {
            NetfilterParser.addLowercased(.networkTransport, t, value, into: &batch)
        } else if FirewallFields.equals(t, key, "protocol") {
            NetfilterParser.addLowercased(.networkProtocol, t, value, into: &batch)
        } else if key.count < 32 {
            for entry in keysByLength[key.count] where FirewallFields.equals(t, key, entry.key) {
                FirewallFields.add(entry.field, t, value, entry.kind, into: &batch)
                return
            }
        }
    }

    /// `N/A`, `None`, `UNKNOWN`, `unknown-user`: Junos's words for "no value".
    static func isPlaceholder(_ t: FirewallText, _ value: Range<Int>) -> Bool {
        switch value.count {
        case 3: return FirewallFields.equals(t, value, "n/a")
        case 4: return FirewallFields.equals(t, value, "none")
        case 7: return FirewallFields.equals(t, value, "unknown")
        case 12: return FirewallFields.equals(t, value, "unknown-user")
        default: return false
        }
    }

    /// `event.action` (and `event.outcome`) from the `action` value, else from the event name.
    static func finishAction(_ t: FirewallText, name: Range<Int>, action: Range<Int>?, into batch: inout EventBatch) {
        var normalized: StaticString = "other"
        if let action, !action.isEmpty {
            normalized = FirewallFields.normalizedAction(t, action)
        }
        if CiscoASAParser.same(normalized, "other") { normalized = nameAction(t, name) }
        batch.addField(.eventAction, literal: normalized)
        if CiscoASAParser.same(normalized, "allow") || CiscoASAParser.same(normalized, "close") {
            batch.addField(.eventOutcome, literal: "success")
        } else if CiscoASAParser.same(normalized, "deny") || CiscoASAParser.same(normalized, "drop")
                    || CiscoASAParser.same(normalized, "reset") || nameHas(t, name, "FAIL") {
            batch.addField(.eventOutcome, literal: "failure")
        }
    }

    /// What an event name says of the traffic: `RT_FLOW_SESSION_CREATE` allow, `…_CLOSE` close, …
    static func nameAction(_ t: FirewallText, _ name: Range<Int>) -> StaticString {
        if nameHas(t, name, "_CREATE") { return "allow" }
        if nameHas(t, name, "_CLOSE") { return "close" }
        if nameHas(t, name, "_DENY") || nameHas(t, name, "_BLOCKED") { return "deny" }
        if nameHas(t, name, "_PERMITTED") { return "allow" }
        if nameHas(t, name, "_DROP") { return "drop" }
        return "other"
    }

    static func nameHas(_ t: FirewallText, _ name: Range<Int>, _ word: StaticString) -> Bool {
        !name.isEmpty && ByteScan.find(word, in: t.line, from: name.lowerBound, to: name.upperBound) != nil
    }
}
