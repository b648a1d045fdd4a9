import WardCore

/// Check Point (Security Gateway, Management, SmartConsole audit) logs as the Log Exporter sends them.
///
/// Two families: the *syslog* format, `[key:"value"; key:"value"; …]` (after an RFC 5424 header with
/// APP-NAME `CheckPoint`, whose syslog parser hands the bracket on as the message; a few keys are
/// written `key::"value"`), and the *generic* and *Splunk* formats, `key="value"` pairs separated by
/// spaces or `|`, recognised by the `loguid=` and `origin=` every Check Point log carries. CEF and
/// LEEF exports are read by those parsers.
///
/// Every key becomes `checkpoint.<key>`. ECS fields follow Check Point's field reference: `src`,
/// `dst`, `s_port`, `service` (destination port), `proto` (IANA number), `xlatesrc`/`xlatedst`/
/// `xlatesport`/`xlatedport` (NAT; `0.0.0.0` and port `0` mean "not translated"), `ifdir` (direction,
/// and whether `ifname` is the ingress or egress interface), `rule_name`, `user`/`src_user_name`/
/// `administrator` (user), `client_ip` (source of an administrator's session), `product`
/// (`observer.product`), `audit_status` (outcome), `reason`/`action_reason`. `time` (epoch seconds,
/// milliseconds or RFC 3339) is the event's time.
public enum CheckPointParser {
    public enum Shape: Equatable {
        /// `[key:"value"; …]` (or the same without brackets after a `CheckPoint` tag), from this offset.
        case syslog(Int)
        /// `key="value" …` or `key=value|key=value`.
        case keyValue
    }

    /// The syslog shape: `[` then a key, `:` and a quote. Looks at the first bytes only.
    public static func find(_ t: FirewallText, processName: Range<Int>?) -> Shape? {
        var i = t.start
        if t[i] == UInt8(ascii: "[") {
            i += 1
        } else if !(processName.map { FirewallFields.equals(t, $0, "checkpoint") } ?? false) {
            return nil
        }
        let keyStart = i
        let window = min(t.end, i + 48)
        while i < window, isKeyByte(t[i]) { i += 1 }
        guard i > keyStart, i + 1 < t.end, t[i] == UInt8(ascii: ":"),
              t[i + 1] == UInt8(ascii: "\"") || t[i + 1] == UInt8(ascii: ":") else { return nil }
        return .syslog(t.start)
    }

    /// The generic and Splunk shapes (the caller has seen a `=` in the text).
    /// A log's `loguid` is `{0x…}` (quoted or not): looking for the rare `{` first keeps the many
    /// syslog lines with `=` in them (sudo, PAM) from paying two scans for common letters.
    public static func matchesKeyValue(_ t: FirewallText) -> Bool {
        var i = t.start
        while let brace = ByteScan.firstIndex(of: UInt8(ascii: "{"), in: t.line, from: i, to: t.end) {
            if brace - t.start >= 7, t.has("loguid=", at: brace - 7) || (brace - t.start >= 8 && t.has("loguid=\"", at: brace - 8)) {
                return t.find("origin=", from: t.start) != nil
            }
            i = brace + 1
        }
        return false
    }

    static func isKeyByte(_ b: UInt8) -> Bool {
        ASCII.isLetter(b) || ASCII.isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    /// What the parser remembers across pairs (keys may come in any order).
    struct State {
        var ifname = 0..<0
        var inbound: Bool?
        var hasSource = false
        var hasUser = false
        var hasProduct = false
        var hasOutcome = false
        var action: StaticString?
        var time: Int64?
    }

    /// - Returns: the event's time (`time`), if the log states one.
    public static func parse(_ t: FirewallText, shape: Shape, into batch: inout EventBatch) -> Int64? {
        batch.addField(.observerVendor, literal: "Checkpoint")
        var state = State()
        var i = t.start
        if case .syslog = shape, t[i] == UInt8(ascii: "[") { i += 1 }
        let end = t.end
        while i < end {
            while i < end, t[i] == ASCII.space || t[i] == UInt8(ascii: ";") || t[i] == UInt8(ascii: "|") { i += 1 }
            guard i < end, t[i] != UInt8(ascii: "]") else { break }
            let keyStart = i
            while i < end, t[i] != UInt8(ascii: ":"), t[i] != UInt8(ascii: "="), t[i] != ASCII.space,
                  t[i] != UInt8(ascii: ";"), t[i] != UInt8(ascii: "|") { i += 1 }
            guard i < end, t[i] == UInt8(ascii: ":") || t[i] == UInt8(ascii: "=") else { continue }
            let key = keyStart..<i
            while i < end, t[i] == UInt8(ascii: ":") || t[i] == UInt8(ascii: "=") { i += 1 }
            let value: Range<Int>
            if let quoted = t.quoted(at: &i, end: end) {
                value = quoted
            } else {
                let s = i
                while i < end, t[i] != ASCII.space, t[i] != UInt8(ascii: ";"), t[i] != UInt8(ascii: "|"),
                      t[i] != UInt8(ascii: "]") { i += 1 }
                value = s..<i
            }
            FirewallFields.addVendor(.checkPointNamespace, t, key: key,
                                     value: ByteRef(start: t.base + value.lowerBound, count: value.count, inScratch: false),
                                     into: &batch)
            ecs(t, key: key, value: value, state: &state, into: &batch)
        }
        if !state.ifname.isEmpty, let inbound = state.inbound {
            FirewallFields.add(inbound ? .observerIngressInterface : .observerEgressInterface, t, state.ifname, into: &batch)
        }
        if let action = state.action {
            batch.addField(.eventAction, literal: action)
            if !state.hasOutcome {
                if CiscoASAParser.same(action, "allow") { batch.addField(.eventOutcome, literal: "success") }
                if CiscoASAParser.same(action, "deny") || CiscoASAParser.same(action, "drop") {
                    batch.addField(.eventOutcome, literal: "failure")
                }
            }
        }
        return state.time
    }

    /// Check Point's keys that are ECS fields (the rest are only `checkpoint.<key>`).
    static func ecs(_ t: FirewallText, key keyRange: Range<Int>, value: Range<Int>, state: inout State, into batch: inout EventBatch) {
        guard !value.isEmpty else { return }
        func key(_ name: StaticString) -> Bool { FirewallFields.equals(t, keyRange, name) }
        func digits() -> Bool { value.allSatisfy { ASCII.isDigit(t[$0]) } }
        func unspecifiedAddress() -> Bool { FirewallFields.equals(t, value, "0.0.0.0") || FirewallFields.equals(t, value, "::") }
        switch keyRange.count {
        case 3:
            if key("src") {
                FirewallFields.add(.sourceIP, t, value, into: &batch)
                state.hasSource = true
            } else if key("dst") {
                FirewallFields.add(.destinationIP, t, value, into: &batch)
            }
        case 4:
            if key("user") { addUser(t, value, state: &state, into: &batch) }
            else if key("time") { state.time = time(t, value) }
        case 5:
            if key("proto") { IANAProtocol.add(t, value, into: &batch) }
            else if key("ifdir") {
                state.inbound = FirewallFields.equals(t, value, "inbound")
                FirewallFields.add(.networkDirection, t, value, into: &batch)
            }
        case 6:
            if key("s_port"), digits() { FirewallFields.add(.sourcePort, t, value, .number, into: &batch) }
            else if key("ifname") { state.ifname = value }
            else if key("action") { state.action = action(t, value) }
            else if key("reason") { FirewallFields.add(.eventReason, t, value, into: &batch) }
        case 7:
            if key("service"), digits() { FirewallFields.add(.destinationPort, t, value, .number, into: &batch) }
            else if key("product"), !state.hasProduct {
                state.hasProduct = true
                FirewallFields.add(.observerProduct, t, value, into: &batch)
            }
        case 8:
            if key("xlatesrc"), !unspecifiedAddress() { FirewallFields.add(.sourceNATIP, t, value, into: &batch) }
            else if key("xlatedst"), !unspecifiedAddress() { FirewallFields.add(.destinationNATIP, t, value, into: &batch) }
        case 9:
            if key("rule_name") { FirewallFields.add(.ruleName, t, value, into: &batch) }
            else if key("client_ip"), !state.hasSource {
                state.hasSource = true
                FirewallFields.add(.sourceIP, t, value, into: &batch)
            }
        case 10:
            if key("xlatesport"), digits(), !FirewallFields.equals(t, value, "0") {
                FirewallFields.add(.sourceNATPort, t, value, .number, into: &batch)
            } else if key("xlatedport"), digits(), !FirewallFields.equals(t, value, "0") {
                FirewallFields.add(.destinationNATPort, t, value, .number, into: &batch)
            }
        case 12:
            if key("audit_status") {
                state.hasOutcome = true
                if FirewallFields.equals(t, value, "success") { batch.addField(.eventOutcome, literal: "success") }
                else if FirewallFields.equals(t, value, "failure") { batch.addField(.eventOutcome, literal: "failure") }
                else { state.hasOutcome = false }
            }
        case 13:
            if key("src_user_name") {
                FirewallFields.add(.sourceUserName, t, trimmed(t, value), into: &batch)
                addUser(t, value, state: &state, into: &batch)
            } else if key("dst_user_name") {
                FirewallFields.add(.destinationUserName, t, trimmed(t, value), into: &batch)
            } else if key("administrator") {
                addUser(t, value, state: &state, into: &batch)
            } else if key("action_reason") {
                FirewallFields.add(.eventReason, t, value, into: &batch)
            }
        default:
            break
        }
    }

    /// `user.name`, once (the first of `user`, `src_user_name`, `administrator`), without the
    /// trailing spaces some blades write.
    static func addUser(_ t: FirewallText, _ value: Range<Int>, state: inout State, into batch: inout EventBatch) {
        let name = trimmed(t, value)
        guard !state.hasUser, !name.isEmpty else { return }
        state.hasUser = true
        FirewallFields.add(.userName, t, name, into: &batch)
    }

    static func trimmed(_ t: FirewallText, _ r: Range<Int>) -> Range<Int> {
        var a = r.lowerBound, b = r.upperBound
        while a < b, t[a] == ASCII.space { a += 1 }
        while b > a, t[b - 1] == ASCII.space { b -= 1 }
        return a..<b
    }

    /// Check Point's actions in wardwatch's vocabulary (`Prevent` is a blocked threat; `Detect`,
    /// `Decrypt`, `Key Install` and the like are `other`).
    static func action(_ t: FirewallText, _ value: Range<Int>) -> StaticString {
        if FirewallFields.equals(t, value, "prevent") { return "deny" }
        return FirewallFields.normalizedAction(t, value)
    }

    /// `time`: epoch seconds (up to 10 digits), milliseconds (13) or RFC 3339.
    static func time(_ t: FirewallText, _ value: Range<Int>) -> Int64? {
        if value.allSatisfy({ ASCII.isDigit(t[$0]) }) {
            guard value.count <= 13, value.count != 11, value.count != 12 else { return nil }
            var n: Int64 = 0
            for i in value { n = n * 10 + Int64(t[i] - 0x30) }
            return value.count == 13 ? n * 1_000_000 : n * 1_000_000_000
        }
        let stamp = RFC3339.parse(t.line, from: value.lowerBound, to: value.upperBound, strict: false)
        guard stamp.errorAt == nil, stamp.end == value.upperBound else { return nil }
        return stamp.nanos
    }
}
