import WardCore

/// Recognises which firewall wrote a line and runs its parser.
///
/// Called on the syslog MSG (any header variant) or on a line without header. Vendors are tried from
/// the most specific marker to the least: `CEF:`, `LEEF:`, `%ASA-`/`%FTD-`, the `filterlog` tag,
/// netfilter's `IN= OUT= SRC=`, FortiGate's `logid=`/`devname=`, PAN-OS CSV, then any `key=value`
/// text naming both a source and a destination.
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
