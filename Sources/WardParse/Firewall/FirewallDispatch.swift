import WardCore

/// Recognises which firewall wrote a line and runs its parser.
///
/// Called on the syslog MSG (any header variant) or on a line without header. Vendors are tried from
/// the most specific marker to the least: `CEF:`, `LEEF:`, Juniper's `[junos@` and event names
/// (`RT_FLOW_SESSION_CREATE: …`), Check Point's `[key:"value"; …]`, `%ASA-`/`%FTD-`, the `filterlog`
/// tag, netfilter's `IN= OUT= SRC=`, FortiGate's `logid=`/`devname=`, Sophos's `device="SFW"`,
/// SonicWall's `id=… sn=…`, Check Point's `loguid=`/`origin=` pairs, PAN-OS CSV, then any
/// `key=value` text naming both a source and a destination.
public enum FirewallDispatch {
    /// Parses the vendor text into the current event; returns its dataset and, when the log states
    /// it, the event's time. `nil` (with nothing added) when no vendor matched.
    public static func parse(_ t: FirewallText, processName: Range<Int>?, into batch: inout EventBatch) -> (Dataset, Int64?)? {
        guard t.end > t.start else { return nil }
        let mark = batch.mark()
        if let at = CEFParser.start(t) {
            if CEFParser.parse(t, at: at, into: &batch) { return (.cef, nil) }
            batch.rollback(to: mark)
            return nil
        }
        if let at = LEEFParser.start(t) {
            if LEEFParser.parse(t, at: at, into: &batch) { return (.leef, nil) }
            batch.rollback(to: mark)
            return nil
        }
        // Juniper's markers: `[junos@`, an event name or `FW:` (capitals) first, an event name as the tag,
        // or — without a tag — somewhere further on. A lower-case message under a lower-case tag (most
        // syslog) is none of them.
        let first = t[t.start]
        let capitalTag = processName.map { $0.count >= 2 && ASCII.isUpper(t[$0.lowerBound]) && ASCII.isUpper(t[$0.lowerBound + 1]) } ?? true
        if first == UInt8(ascii: "[") || ASCII.isUpper(first) || capitalTag,
           let shape = JuniperSRXParser.find(t, processName: processName) {
            JuniperSRXParser.parse(t, shape: shape, into: &batch)
            return (.juniperSRX, nil)
        }
        if let shape = CheckPointParser.find(t, processName: processName) {
            let time = CheckPointParser.parse(t, shape: shape, into: &batch)
            return (.checkPoint, time)
        }
        // "Feb 19 2024 16:29:38: %FTD-4-113019: …": an RFC 3164 reading takes the message id for the tag.
        if let tag = processName, tag.count > 5, t[tag.lowerBound] == UInt8(ascii: "%"), tag.upperBound <= t.start {
            let whole = FirewallText(line: t.line, base: t.base, start: tag.lowerBound, end: t.end)
            if let found = CiscoASAParser.find(whole) {
                if CiscoASAParser.parse(whole, at: found.at, ftd: found.ftd, into: &batch) { return (found.ftd ? .ciscoFTD : .ciscoASA, nil) }
                batch.rollback(to: mark)
                return nil
            }
        }
        if let found = CiscoASAParser.find(t) {
            if CiscoASAParser.parse(t, at: found.at, ftd: found.ftd, into: &batch) { return (found.ftd ? .ciscoFTD : .ciscoASA, nil) }
            batch.rollback(to: mark)
            return nil
        }
        if let tag = processName, tag.count == 9, FirewallFields.equals(t, tag, "filterlog") {
            if FilterlogParser.parse(t, into: &batch) { return (.filterlog, nil) }
            batch.rollback(to: mark)
            return nil
        }
        // The remaining vendors all log `key=value` or CSV; a line without '=' or ',' is none of them.
        guard let base = Optional(t.line + t.start) else { return nil }
        let length = t.end - t.start
        let hasEquals = ByteScan.firstIndex(of: UInt8(ascii: "="), in: base, from: 0, to: length) != nil
        if hasEquals {
            if NetfilterParser.matches(t) {
                NetfilterParser.parse(t, tag: processName, into: &batch)
                return (.netfilter, nil)
            }
            if FortiGateParser.matches(t) {
                let time = FortiGateParser.parse(t, into: &batch)
                return (.fortigate, time)
            }
            // Both look at the first bytes only (`device=`/`device_name=`, `id=… sn=`).
            if SophosParser.matches(t) {
                let time = SophosParser.parse(t, into: &batch)
                return (.sophos, time)
            }
            if SonicWallParser.matches(t) {
                let time = SonicWallParser.parse(t, into: &batch)
                return (.sonicWall, time)
            }
            if CheckPointParser.matchesKeyValue(t) {
                let time = CheckPointParser.parse(t, shape: .keyValue, into: &batch)
                return (.checkPoint, time)
            }
        }
        if ByteScan.firstIndex(of: UInt8(ascii: ","), in: base, from: 0, to: min(length, 8)) != nil, PANOSParser.matches(t) {
            if PANOSParser.parse(t, into: &batch) { return (.panos, nil) }
            batch.rollback(to: mark)
            return nil
        }
        // The generic parser needs a source and a destination key: look for their stems first
        // (a sudo or PAM line with a few key=value pairs is not worth parsing twice).
        if hasEquals, ByteScan.count(of: UInt8(ascii: "="), in: base, from: 0, to: length) >= 2,
           t.find("src", from: t.start) != nil || t.find("sip=", from: t.start) != nil || t.find("source", from: t.start) != nil,
           t.find("dst", from: t.start) != nil || t.find("dip=", from: t.start) != nil || t.find("destination", from: t.start) != nil {
            if KeyValueFirewallParser.parse(t, into: &batch) { return (.keyValue, nil) }
            batch.rollback(to: mark)
        }
        return nil
    }
}
