import WardCore

/// Cisco ASA/FTD authentication and remote-access VPN messages: AAA (113003–113039), WebVPN and
/// AnyConnect (716xxx, 722xxx) and DAP (734001).
///
/// Their text is not a connection: it names a user, the address the user came from and sometimes
/// the AAA server. They are read as Elastic's `cisco_ftd`/`cisco_asa` pipelines read them, so that
/// the fields agree: `Group <G> User <U> IP <A>` (or without brackets) gives the user and
/// `source.ip`; the AAA lists (`… : server = S : user = U : user IP = A`) give the server as
/// `destination.ip`; 113019's `IP = A` (the session's peer) is `destination.ip`, with its bytes,
/// duration and reason. The user is both `user.name` (what rules match) and `source.user.name`
/// (Elastic's name). `event.action`: logins that succeed or sessions that start are `allow`,
/// rejections `deny`, ends of sessions `close`.
enum CiscoVPN {
    /// Whether `code` is one of the messages this type reads.
    static func handles(_ code: Int) -> Bool {
        (113003...113039).contains(code) || (716001...716999).contains(code) || (722001...722999).contains(code)
            || code == 734001
    }

    static func parse(_ t: FirewallText, code: Int, into batch: inout EventBatch) {
        var sourceIsDestination = code == 113019
        if angleList(t, into: &batch) {
            sourceIsDestination = false
        } else {
            segments(t, peerIsDestination: sourceIsDestination, into: &batch)
        }
        let action = action(t, code)
        batch.addField(.eventAction, literal: action)
        if CiscoASAParser.same(action, "allow") || CiscoASAParser.same(action, "close") {
            batch.addField(.eventOutcome, literal: "success")
        } else if CiscoASAParser.same(action, "deny") {
            batch.addField(.eventOutcome, literal: "failure")
        }
    }

    /// Elastic's outcome lists, in wardwatch's action words; the rest by what the text says.
    static func action(_ t: FirewallText, _ code: Int) -> StaticString {
        switch code {
        case 113004, 113008, 113009, 113012, 113039, 734001, 716001, 722051: return "allow"
        case 113005, 113014, 113015, 113021, 716039: return "deny"
        case 113019, 716002: return "close"
        default:
            if t.find("rejected", from: t.start) != nil || t.find("denied", from: t.start) != nil
                || t.find("failed", from: t.start) != nil { return "deny" }
            if t.find("terminated", from: t.start) != nil || t.find("disconnected", from: t.start) != nil { return "close" }
            return "other"
        }
    }

    static func addUser(_ t: FirewallText, _ r: Range<Int>, into batch: inout EventBatch) {
        guard !r.isEmpty else { return }
        FirewallFields.add(.userName, t, r, into: &batch)
        FirewallFields.add(.sourceUserName, t, r, into: &batch)
    }

    /// `Group <G> User <U> IP <A> …` or `Group G User U IP A …` (names may hold spaces in brackets).
    static func angleList(_ t: FirewallText, into batch: inout EventBatch) -> Bool {
        guard t.has("Group ", at: t.start) else { return false }
        var i = t.start + 6
        func item(_ label: StaticString) -> Range<Int>? {
            if label.utf8CodeUnitCount > 0 {
                guard t.has(label, at: i) else { return nil }
                i += label.utf8CodeUnitCount
            }
            if i < t.end, t[i] == UInt8(ascii: "<") {
                let s = i + 1
                guard let close = ByteScan.firstIndex(of: UInt8(ascii: ">"), in: t.line, from: s, to: t.end) else { return nil }
                i = close + 1
                return s..<close
            }
            let s = i
            while i < t.end, t[i] != ASCII.space, t[i] != UInt8(ascii: ",") { i += 1 }
            return s..<i
        }
        guard let group = item(""), let user = item(" User "), let ip = item(" IP ") else { return false }
        FirewallFields.addVendor(.ciscoNamespace, "group", t, group, into: &batch)
        addUser(t, user, into: &batch)
        FirewallFields.add(.sourceIP, t, ip, into: &batch)
        return true
    }

    /// The AAA and session lists: segments separated by `, ` or ` : `, each `key = value` or
    /// `key: value`; also `User U did …` (113021) and `… for user U …`.
    static func segments(_ t: FirewallText, peerIsDestination: Bool, into batch: inout EventBatch) {
        var i = t.start
        var hasUser = false
        while i < t.end {
            var e = i
            while e < t.end {
                if t[e] == UInt8(ascii: ","), e + 1 < t.end, t[e + 1] == ASCII.space { break }
                if t[e] == ASCII.space, e + 2 < t.end, t[e + 1] == UInt8(ascii: ":"), t[e + 2] == ASCII.space { break }
                e += 1
            }
            let segment = FirewallText(line: t.line, base: t.base, start: i, end: e)
            if pair(segment, peerIsDestination: peerIsDestination, into: &batch) { hasUser = true }
            i = e + (e < t.end && t[e] == UInt8(ascii: ",") ? 2 : 3)
        }
        guard !hasUser else { return }
        // "Attempted console login failed. User U did NOT …", "AAA group policy for user U is being set".
        if let at = t.find(" User ", from: t.start) ?? t.find("for user ", from: t.start) {
            var s = at + (t[at] == ASCII.space ? 6 : 9)
            if t[s - 1] != ASCII.space { s += 1 }
            var e = s
            while e < t.end, t[e] != ASCII.space, t[e] != UInt8(ascii: ",") { e += 1 }
            if e > s, t[s] != UInt8(ascii: "=") { addUser(t, s..<e, into: &batch) }
        }
        // 734001: "DAP: User U, Addr A, Connection …".
        if let at = t.find(", Addr ", from: t.start) {
            var e = at + 7
            while e < t.end, t[e] != ASCII.space, t[e] != UInt8(ascii: ",") { e += 1 }
            FirewallFields.add(.sourceIP, t, (at + 7)..<e, into: &batch)
        }
    }

    /// One `key = value` or `key: value` segment; returns whether it named the user.
    static func pair(_ s: FirewallText, peerIsDestination: Bool, into batch: inout EventBatch) -> Bool {
        var keyEnd = s.end, valueStart = s.end
        if let eq = ByteScan.firstIndex(of: UInt8(ascii: "="), in: s.line, from: s.start, to: s.end) {
            keyEnd = eq
            valueStart = eq + 1
        } else if let colon = s.find(": ", from: s.start) {
            keyEnd = colon
            valueStart = colon + 2
        } else {
            return false
        }
        let keyRange = CiscoASAParser.trim(s, trimSpaces(s, s.start..<keyEnd))
        var value = trimSpaces(s, valueStart..<s.end)
        // "group = G user = U": a second pair in the segment.
        var named = false
        if let inner = s.find(" user = ", from: valueStart) {
            addUser(s, trimSpaces(s, (inner + 8)..<s.end), into: &batch)
            value = trimSpaces(s, valueStart..<inner)
            named = true
        }
        guard !value.isEmpty else { return named }
        func key(_ name: StaticString) -> Bool { FirewallFields.equals(s, keyRange, name) }
        func keyEnds(_ name: StaticString) -> Bool {
            keyRange.count >= name.utf8CodeUnitCount
                && FirewallFields.equals(s, (keyRange.upperBound - name.utf8CodeUnitCount)..<keyRange.upperBound, name)
        }
        if key("server") {
            FirewallFields.add(.destinationIP, s, value, into: &batch)
        } else if key("user") || key("username") || key("uname") || keyEnds(" for user") {
            addUser(s, value, into: &batch)
            return true
        } else if key("ip") || key("user ip") || key("ip address") || key("addr") {
            FirewallFields.add(peerIsDestination && key("ip") ? .destinationIP : .sourceIP, s, value, into: &batch)
        } else if key("reason") {
            FirewallFields.add(.eventReason, s, value, into: &batch)
        } else if key("group") {
            FirewallFields.addVendor(.ciscoNamespace, "group", s, value, into: &batch)
        } else if keyEnds("session type") {
            FirewallFields.addVendor(.ciscoNamespace, "session_type", s, value, into: &batch)
        } else if key("bytes xmt"), value.allSatisfy({ ASCII.isDigit(s[$0]) }) {
            FirewallFields.add(.sourceBytes, s, value, .number, into: &batch)
        } else if key("bytes rcv"), value.allSatisfy({ ASCII.isDigit(s[$0]) }) {
            FirewallFields.add(.destinationBytes, s, value, .number, into: &batch)
        } else if key("duration") {
            FirewallFields.addVendor(.ciscoNamespace, "duration", s, value, into: &batch)
        }
        return named
    }

    static func trimSpaces(_ t: FirewallText, _ r: Range<Int>) -> Range<Int> {
        var a = r.lowerBound, b = r.upperBound
        while a < b, t[a] == ASCII.space { a += 1 }
        while b > a, t[b - 1] == ASCII.space || t[b - 1] == UInt8(ascii: ".") { b -= 1 }
        return a..<b
    }
}
