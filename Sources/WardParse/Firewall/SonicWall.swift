import WardCore

/// SonicWall (SonicOS) enhanced syslog: `id=<name> sn=<serial> time="…" fw=<ip> pri=6 c=1024 m=537
/// msg="Connection Closed" … src=ip:port:interface[:host] dst=ip:port:interface proto=tcp/https
/// sent=… rcvd=… rule="…" usr="…" fw_action="forward"`.
///
/// Every SonicOS log starts with `id=` (the firewall's name, `firewall` by default) and then `sn=`
/// (its serial number); that pair is the marker, looked for at the start of the text only, so
/// ordinary syslog lines pay one byte comparison.
///
/// Every key becomes `sonicwall.<key>`. ECS fields follow SonicWall's log reference (and Elastic's
/// `sonicwall_firewall` integration for meanings): `src`/`dst` are `ip[:port[:interface[:host]]]`
/// (the interface is the ingress for the source, the egress for the destination; the source's host
/// name is `source.domain`); IPv6 addresses come in `srcV6`/`dstV6`, with `src`/`dst` then starting
/// with `:`. `proto=tcp/https` is `network.transport` and `network.protocol` (a number after the
/// slash is a port, not a protocol); `sent`/`rcvd` are `source.bytes`/`destination.bytes`;
/// `natSrc`/`natDst` (`ip[:port]`, or `natSrcV6`/`natDstV6`) the NAT fields; `m` `event.code`;
/// `msg` `event.reason` (the syslog MSG is already `message`); `usr`/`user` `user.name`; `rule` is
/// `rule.id` when it is a number, else `rule.name` (`"5 (LAN->WAN)"`).
///
/// `fw_action` is `event.action` in wardwatch's vocabulary: `forward` allow, `drop` drop, `mgmt` other;
/// `NA` (most connection logs) says nothing, so message 98 ("Connection Opened") is allow and 537
/// ("Connection Closed") close, as the other vendors' session start/end messages are.
/// `time` is the event's time: `yyyy-MM-dd HH:mm:ss` as UTC unless a zone follows (`UTC`, `GMT`,
/// `+hh:mm`); another zone name (`PST`) cannot be resolved without a table, so the header's time stays.
public enum SonicWallParser {
    /// `id=<value> sn=` at the start of the text.
    /// - Complexity: O(1) for other lines (a two-byte comparison); no allocation.
    public static func matches(_ t: FirewallText) -> Bool {
        guard t.end - t.start > 8, t[t.start] == UInt8(ascii: "i"), t.has("id=", at: t.start) else { return false }
        // The name is a single token (SonicOS forbids spaces in it); `sn=` follows.
        let window = min(t.end, t.start + 72)
        var i = t.start + 3
        if i < window, t[i] == UInt8(ascii: "\"") {
            i += 1
            while i < window, t[i] != UInt8(ascii: "\"") { i += 1 }
            i += 1
        } else {
            while i < window, t[i] != ASCII.space { i += 1 }
        }
        while i < window, t[i] == ASCII.space { i += 1 }
        return t.has("sn=", at: i)
    }

    /// The keys whose ECS fields depend on others (`srcV6` replaces the address of `src`), kept until
    /// every pair is read.
    struct State {
        var src = 0..<0, dst = 0..<0, srcV6 = 0..<0, dstV6 = 0..<0
        var action: StaticString?
        var message = 0..<0
        var time: Int64?
    }

    /// - Returns: the event's time (`time`), if the log states one in a zone wardwatch can resolve.
    public static func parse(_ t: FirewallText, into batch: inout EventBatch) -> Int64? {
        FirewallFields.addVendorIdentity("SonicWall", "SonicOS", into: &batch)
        var state = State()
        FirewallFields.forEachPair(t) { key, value in
            FirewallFields.addVendor(.sonicWallNamespace, t, key: key,
                                     value: ByteRef(start: t.base + value.lowerBound, count: value.count, inScratch: false),
                                     into: &batch)
            ecs(t, key: key, value: value, state: &state, into: &batch)
        }
        endpoint(t, state.src, v6: state.srcV6, ip: .sourceIP, port: .sourcePort, interface: .observerIngressInterface,
                 host: .sourceDomain, into: &batch)
        endpoint(t, state.dst, v6: state.dstV6, ip: .destinationIP, port: .destinationPort,
                 interface: .observerEgressInterface, host: nil, into: &batch)
        if state.action == nil, state.message.count == 2 || state.message.count == 3 {
            if FirewallFields.equals(t, state.message, "98") { state.action = "allow" }
            if FirewallFields.equals(t, state.message, "537") { state.action = "close" }
        }
        if let action = state.action { batch.addField(.eventAction, literal: action) }
        return state.time
    }

    /// SonicOS keys that are ECS fields (the rest are only `sonicwall.<key>`), by key length.
    static func ecs(_ t: FirewallText, key keyRange: Range<Int>, value: Range<Int>, state: inout State,
                    into batch: inout EventBatch) {
        guard !value.isEmpty else { return }
        func key(_ name: StaticString) -> Bool { FirewallFields.equals(t, keyRange, name) }
        func digits() -> Bool { value.allSatisfy { ASCII.isDigit(t[$0]) } }
        switch keyRange.count {
        case 1:
            if key("m") {
                state.message = value
                FirewallFields.add(.eventCode, t, value, into: &batch)
            }
        case 3:
            if key("src") { state.src = value }
            else if key("dst") { state.dst = value }
            else if key("msg") { FirewallFields.add(.eventReason, t, value, into: &batch) }
            else if key("usr") { addUser(t, value, into: &batch) }
        case 4:
            if key("sent"), digits() { FirewallFields.add(.sourceBytes, t, value, .number, into: &batch) }
            else if key("rcvd"), digits() { FirewallFields.add(.destinationBytes, t, value, .number, into: &batch) }
            else if key("rule") { FirewallFields.add(digits() ? .ruleID : .ruleName, t, value, into: &batch) }
            else if key("user") { addUser(t, value, into: &batch) }
            else if key("time") { state.time = FirewallClock.stamp(t, value) }
        case 5:
            if key("proto") { proto(t, value, into: &batch) }
            else if key("srcv6") { state.srcV6 = value }
            else if key("dstv6") { state.dstV6 = value }
        case 6:
            if key("natsrc") { nat(t, value, ip: .sourceNATIP, port: .sourceNATPort, into: &batch) }
            else if key("natdst") { nat(t, value, ip: .destinationNATIP, port: .destinationNATPort, into: &batch) }
        case 8:
            if key("natsrcv6") { nat(t, value, ip: .sourceNATIP, port: .sourceNATPort, into: &batch) }
            else if key("natdstv6") { nat(t, value, ip: .destinationNATIP, port: .destinationNATPort, into: &batch) }
        case 9:
            if key("fw_action") { state.action = action(t, value) }
        default:
            break
        }
    }

    /// `fw_action` in wardwatch's vocabulary; `nil` for `NA` (not applicable: the message says more).
    static func action(_ t: FirewallText, _ value: Range<Int>) -> StaticString? {
        if FirewallFields.equals(t, value, "na") { return nil }
        if FirewallFields.equals(t, value, "forward") { return "allow" }
        return FirewallFields.normalizedAction(t, value)
    }

    /// `user.name`, unless SonicOS wrote that it does not know the user.
    static func addUser(_ t: FirewallText, _ value: Range<Int>, into batch: inout EventBatch) {
        if FirewallFields.equals(t, value, "unknown") || FirewallFields.equals(t, value, "unknown (sso bypassed)") { return }
        FirewallFields.add(.userName, t, value, into: &batch)
    }

    /// `tcp/https` → transport and protocol; `udp/53` → transport only (the number is a port).
    static func proto(_ t: FirewallText, _ value: Range<Int>, into batch: inout EventBatch) {
        var slash = value.lowerBound
        while slash < value.upperBound, t[slash] != UInt8(ascii: "/") { slash += 1 }
        IANAProtocol.add(t, value.lowerBound..<slash, into: &batch)
        let rest = min(slash + 1, value.upperBound)..<value.upperBound
        if !rest.isEmpty, !rest.allSatisfy({ ASCII.isDigit(t[$0]) }) {
            FirewallFields.add(.networkProtocol, t, rest, into: &batch)
        }
    }

    /// Splits `ip[:port[:interface[:host]]]` (or `[v6]:port:…`, or `:port:…` with the address in
    /// `v6`) into the fields given.
    static func endpoint(_ t: FirewallText, _ value: Range<Int>, v6: Range<Int>, ip ipField: FieldID, port portField: FieldID,
                         interface interfaceField: FieldID, host hostField: FieldID?, into batch: inout EventBatch) {
        var i = value.lowerBound
        let end = value.upperBound
        var ip = i..<i
        if i < end, t[i] == UInt8(ascii: "[") {
            let s = i + 1
            while i < end, t[i] != UInt8(ascii: "]") { i += 1 }
            ip = s..<i
            i = min(end, i + 1)
        } else {
            var colons = 0, double = false
            for k in value where t[k] == UInt8(ascii: ":") {
                colons += 1
                if k > value.lowerBound, t[k - 1] == UInt8(ascii: ":") { double = true }
            }
            if colons > 3 || (double && t[value.lowerBound] != UInt8(ascii: ":")) {
                // A bare IPv6 address: no room left for the other parts.
                ip = value
                i = end
            } else {
                while i < end, t[i] != UInt8(ascii: ":") { i += 1 }
                ip = value.lowerBound..<i
            }
        }
        FirewallFields.add(ipField, t, v6.isEmpty ? ip : v6, into: &batch)
        var part = 1
        while i < end, part <= 3 {
            i += 1  // the ':'
            let s = i
            while i < end, t[i] != UInt8(ascii: ":") { i += 1 }
            let r = s..<i
            switch part {
            case 1: if !r.isEmpty, r.allSatisfy({ ASCII.isDigit(t[$0]) }) { FirewallFields.add(portField, t, r, .number, into: &batch) }
            case 2: FirewallFields.add(interfaceField, t, r, into: &batch)
            default: if let hostField { FirewallFields.add(hostField, t, s..<end, into: &batch) }
            }
            part += 1
        }
    }

    /// `natSrc=ip[:port]` (IPv4) or an IPv6 address; `0.0.0.0` means "not translated".
    static func nat(_ t: FirewallText, _ value: Range<Int>, ip ipField: FieldID, port portField: FieldID,
                    into batch: inout EventBatch) {
        if FirewallFields.equals(t, value, "0.0.0.0") || FirewallFields.equals(t, value, "::") { return }
        var colons = 0
        var colon = value.upperBound
        for k in value where t[k] == UInt8(ascii: ":") {
            colons += 1
            colon = k
        }
        guard colons == 1 else {
            FirewallFields.add(ipField, t, value, into: &batch)
            return
        }
        FirewallFields.add(ipField, t, value.lowerBound..<colon, into: &batch)
        let port = (colon + 1)..<value.upperBound
        if !port.isEmpty, port.allSatisfy({ ASCII.isDigit(t[$0]) }) { FirewallFields.add(portField, t, port, .number, into: &batch) }
    }
}

/// Times as firewalls write them in their own fields (SonicWall's `time`, Sophos's `date`/`time`/
/// `timezone` and `timestamp`): a zone is honoured when it is UTC or a numeric offset; none means UTC,
/// as for FortiGate's `date`/`time` without `tz`.
enum FirewallClock {
    /// `yyyy-MM-dd HH:mm:ss[.fff]` or with `T`, then an attached offset, or a space and a zone.
    static func stamp(_ t: FirewallText, _ value: Range<Int>) -> Int64? {
        guard value.count >= 19 else { return nil }
        let parsed = RFC3339.parse(t.line, from: value.lowerBound, to: value.upperBound, strict: false)
        guard parsed.errorAt == nil else { return nil }
        var rest = parsed.end
        while rest < value.upperBound, t[rest] == ASCII.space { rest += 1 }
        if rest == value.upperBound { return parsed.nanos }
        // A zone after a space: the stamp must not have had its own offset.
        var secondsEnd = value.lowerBound + 19
        if secondsEnd < parsed.end, t[secondsEnd] == UInt8(ascii: ".") {
            secondsEnd += 1
            while secondsEnd < parsed.end, ASCII.isDigit(t[secondsEnd]) { secondsEnd += 1 }
        }
        guard secondsEnd == parsed.end, let offset = zone(t, rest..<value.upperBound) else { return nil }
        return parsed.nanos - Int64(offset) * 1_000_000_000
    }

    /// Seconds east of UTC for `UTC`, `GMT`, `Z`, `+hh`, `+hhmm`, `+hh:mm` (or with `-`); `nil` for
    /// anything else (zone abbreviations are ambiguous: `IST` is India, Ireland or Israel).
    static func zone(_ t: FirewallText, _ range: Range<Int>) -> Int? {
        if range.isEmpty || FirewallFields.equals(t, range, "utc") || FirewallFields.equals(t, range, "gmt")
            || FirewallFields.equals(t, range, "z") { return 0 }
        let sign = t[range.lowerBound]
        guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        var digits = 0, value = 0
        for i in (range.lowerBound + 1)..<range.upperBound {
            if t[i] == UInt8(ascii: ":"), digits == 2 { continue }
            guard ASCII.isDigit(t[i]), digits < 4 else { return nil }
            value = value * 10 + Int(t[i] - 0x30)
            digits += 1
        }
        let (hours, minutes) = digits == 2 ? (value, 0) : digits == 4 ? (value / 100, value % 100) : (99, 99)
        guard hours < 24, minutes < 60 else { return nil }
        let seconds = (hours * 60 + minutes) * 60
        return sign == UInt8(ascii: "-") ? -seconds : seconds
    }

    /// `yyyy-MM-dd` and `HH:mm:ss` given apart, at `offset` seconds east of UTC.
    static func civil(_ t: FirewallText, date: Range<Int>, time: Range<Int>, offset: Int) -> Int64? {
        guard date.count == 10, time.count >= 8, t[date.lowerBound + 4] == UInt8(ascii: "-"),
              t[time.lowerBound + 2] == UInt8(ascii: ":") else { return nil }
        func number(_ at: Int, _ n: Int) -> Int? {
            var v = 0
            for k in at..<(at + n) {
                guard ASCII.isDigit(t[k]) else { return nil }
                v = v * 10 + Int(t[k] - 0x30)
            }
            return v
        }
        let d = date.lowerBound, c = time.lowerBound
        guard let y = number(d, 4), let mo = number(d + 5, 2), let day = number(d + 8, 2), let h = number(c, 2),
              let mi = number(c + 3, 2), let s = number(c + 6, 2), CivilTime.representableYears.contains(y),
              (1...12).contains(mo), day >= 1, day <= CivilTime.daysInMonth(year: y, month: mo), h < 24, mi < 60, s < 61
        else { return nil }
        return CivilTime.epochNanos(year: y, month: mo, day: day, hour: h, minute: mi, second: min(s, 59), offsetSeconds: offset)
    }
}
