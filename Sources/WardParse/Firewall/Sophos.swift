import WardCore

/// Sophos Firewall (XG, SFOS) syslog: `key=value` / `key="value"` pairs, in two generations of names.
///
/// - SFOS 17/18: `device="SFW" date=2024-03-01 time=10:00:00 timezone="CET" device_name="XG230"
///   device_id=… log_id=010101600001 log_type="Firewall" log_component="Firewall Rule"
///   log_subtype="Allowed" status="Allow" … fw_rule_id=5 user_name="…" … src_ip=… dst_ip=…
///   protocol="TCP" src_port=… dst_port=… sent_bytes=… recv_bytes=… src_trans_ip=… …`;
/// - SFOS 19 and later: `device_name="SFW" timestamp="2024-03-01T10:00:00+0100" device_model="XGS2100"
///   device_serial_id=… log_id="…" log_type="Firewall" log_component="Firewall Rule"
///   log_subtype="Allowed" … fw_rule_id="5" fw_rule_name="…" … src_ip="…" src_country="…" …
///   tran_src_ip="…" tran_dst_ip="…" bytes_sent=… bytes_received=…`.
///
/// Both start with `device=` or `device_name=` and carry `log_id=`/`log_type=` near the start: the
/// marker is the first key (one byte comparison for other lines), then a bounded look for the second.
///
/// Every key becomes `sophos.<key>`. ECS fields follow Sophos's log-file reference (and Elastic's
/// `sophos` XG integration for meanings): addresses, ports, NAT (`src_trans_ip`/`tran_src_ip`,
/// `tran_dst_ip`, their ports), `fw_rule_id` (`rule.id`), `fw_rule_name` (`rule.name`), `user_name`
/// (`user.name` and `source.user.name`), bytes, `in_interface`/`out_interface`, `protocol`
/// (`network.transport`, lower-cased), `log_id` (`event.code`), `message` (`event.reason`; the
/// syslog MSG is already `message`). Empty values, `-` and `N/A` give no ECS field.
///
/// `event.action` is `log_subtype` in wardwatch's vocabulary (`Allowed` allow, `Denied` deny, `Drop`
/// drop), else `status` (`Allow`, `Deny`); other subtypes (`Admin`, `System`, …) give none.
/// The event's time is `timestamp` (SFOS 19+, with its offset), else `date` and `time` in `timezone`
/// when that is UTC or a numeric offset (``FirewallClock``); `IST`, `CET` and other abbreviations are
/// ambiguous, so the syslog header's time stays.
public enum SophosParser {
    /// `device=` or `device_name=` first, then `log_id=` or `log_type=` within the first 400 bytes.
    /// - Complexity: O(1) for other lines (one byte comparison); no allocation.
    public static func matches(_ t: FirewallText) -> Bool {
        guard t.end - t.start > 12, t[t.start] == UInt8(ascii: "d"),
              t.has("device=", at: t.start) || t.has("device_name=", at: t.start) else { return false }
        let window = min(t.end, t.start + 400)
        return ByteScan.find("log_id=", in: t.line, from: t.start, to: window) != nil
            || ByteScan.find("log_type=", in: t.line, from: t.start, to: window) != nil
    }

    /// Sophos keys that are ECS fields as they are (the rest are only `sophos.<key>`).
    static let keys: [(key: StaticString, field: FieldID, kind: ValueKind)] = [
        ("src_ip", .sourceIP, .text), ("sourceip", .sourceIP, .text),
        ("dst_ip", .destinationIP, .text), ("destinationip", .destinationIP, .text),
        ("src_port", .sourcePort, .number), ("dst_port", .destinationPort, .number),
        ("src_trans_ip", .sourceNATIP, .text), ("tran_src_ip", .sourceNATIP, .text),
        ("src_trans_port", .sourceNATPort, .number), ("tran_src_port", .sourceNATPort, .number),
        ("dst_trans_ip", .destinationNATIP, .text), ("tran_dst_ip", .destinationNATIP, .text),
        ("dst_trans_port", .destinationNATPort, .number), ("tran_dst_port", .destinationNATPort, .number),
        ("fw_rule_id", .ruleID, .text), ("fw_rule_name", .ruleName, .text),
        ("sent_bytes", .sourceBytes, .number), ("bytes_sent", .sourceBytes, .number),
        ("recv_bytes", .destinationBytes, .number), ("bytes_received", .destinationBytes, .number),
        ("in_interface", .observerIngressInterface, .text), ("out_interface", .observerEgressInterface, .text),
        ("log_id", .eventCode, .text), ("message", .eventReason, .text),
    ]

    /// The table by key length, so that a key is compared only with names as long as it.
    static let keysByLength: [[(key: StaticString, field: FieldID, kind: ValueKind)]] = {
        var buckets = [[(key: StaticString, field: FieldID, kind: ValueKind)]](repeating: [], count: 16)
        for entry in keys { buckets[entry.key.utf8CodeUnitCount].append(entry) }
        return buckets
    }()

    /// What the parser remembers across pairs (keys come in any order).
    struct State {
        var subtype: StaticString?
        var status: StaticString?
        var stamp = 0..<0, date = 0..<0, time = 0..<0, timezone = 0..<0
        var hasTimezone = false
    }

    /// - Returns: the event's time, if the log states one in a zone wardwatch can resolve.
    public static func parse(_ t: FirewallText, into batch: inout EventBatch) -> Int64? {
        FirewallFields.addVendorIdentity("Sophos", "XG", into: &batch)
        var state = State()
        FirewallFields.forEachPair(t) { key, value in
            FirewallFields.addVendor(.sophosNamespace, t, key: key,
                                     value: ByteRef(start: t.base + value.lowerBound, count: value.count, inScratch: false),
                                     into: &batch)
            ecs(t, key: key, value: value, state: &state, into: &batch)
        }
        if let action = state.subtype ?? state.status { batch.addField(.eventAction, literal: action) }
        if !state.stamp.isEmpty, let nanos = FirewallClock.stamp(t, state.stamp) { return nanos }
        guard !state.date.isEmpty, !state.time.isEmpty else { return nil }
        guard let offset = state.hasTimezone ? FirewallClock.zone(t, state.timezone) : 0 else { return nil }
        return FirewallClock.civil(t, date: state.date, time: state.time, offset: offset)
    }

    static func ecs(_ t: FirewallText, key keyRange: Range<Int>, value: Range<Int>, state: inout State,
                    into batch: inout EventBatch) {
        func key(_ name: StaticString) -> Bool { FirewallFields.equals(t, keyRange, name) }
        if keyRange.count == 8, key("timezone") {
            state.hasTimezone = true
            state.timezone = value
            return
        }
        guard !value.isEmpty, !FirewallFields.equals(t, value, "-"), !FirewallFields.equals(t, value, "n/a") else { return }
        if keyRange.count < 16 {
            for entry in keysByLength[keyRange.count] where key(entry.key) {
                if entry.kind == .number {
                    // A port or count that is not a number (or a NAT port of 0: not translated) is no field.
                    guard value.allSatisfy({ ASCII.isDigit(t[$0]) }) else { return }
                    if entry.field == .sourceNATPort || entry.field == .destinationNATPort, FirewallFields.equals(t, value, "0") { return }
                } else if entry.field == .sourceNATIP || entry.field == .destinationNATIP, FirewallFields.equals(t, value, "0.0.0.0") {
                    return
                }
                FirewallFields.add(entry.field, t, value, entry.kind, into: &batch)
                return
            }
        }
        switch keyRange.count {
        case 4:
            if key("date") { state.date = value }
            else if key("time") { state.time = value }
        case 6:
            if key("status") { state.status = action(t, value) }
        case 8:
            if key("protocol") { IANAProtocol.add(t, value, into: &batch) }
        case 9:
            if key("user_name") {
                FirewallFields.add(.userName, t, value, into: &batch)
                FirewallFields.add(.sourceUserName, t, value, into: &batch)
            } else if key("timestamp") {
                state.stamp = value
            }
        case 11:
            if key("log_subtype") { state.subtype = action(t, value) }
        default:
            break
        }
    }

    /// A subtype or status in wardwatch's vocabulary, `nil` when it names no action.
    static func action(_ t: FirewallText, _ value: Range<Int>) -> StaticString? {
        let action = FirewallFields.normalizedAction(t, value)
        return CiscoASAParser.same(action, "other") ? nil : action
    }
}
