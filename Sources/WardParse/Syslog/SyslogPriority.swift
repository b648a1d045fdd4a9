import WardCore

/// Facility and severity names of a syslog priority (RFC 5424 §6.2.1), as ECS `log.syslog.*.name`.
public enum SyslogPriority {
    public static let facilityNames: [StaticString] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
        "ftp", "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3",
        "local4", "local5", "local6", "local7",
    ]
    public static let severityNames: [StaticString] = [
        "emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug",
    ]

    /// Adds the ECS priority fields of `pri` (0...191) to the current event.
    @inlinable
    public static func addFields(_ pri: Int, start: Int, count: Int, to batch: inout EventBatch) {
        batch.addField(.syslogPriority, .number, start: start, count: count)
        batch.addField(.syslogFacilityCode, integer: pri >> 3)
        batch.addField(.syslogFacilityName, literal: facilityNames[pri >> 3])
        batch.addField(.syslogSeverityCode, integer: pri & 7)
        batch.addField(.syslogSeverityName, literal: severityNames[pri & 7])
    }

    /// Parses `<PRI>` at `i`: 0, or 1...191 without leading zeros.
    /// - Returns: the value and the index after `>`, or the column of the offending byte.
    @inlinable
    public static func parse(_ p: UnsafePointer<UInt8>, at start: Int, end: Int) -> Result<(value: Int, next: Int), LineParseError> {
        var i = start
        let message: StaticString = "expected a priority value from 0 to 191 in angle brackets"
        guard i < end, p[i] == UInt8(ascii: "<") else { return .failure(LineParseError(column: i, message: message)) }
        i += 1
        guard i < end, ASCII.isDigit(p[i]) else { return .failure(LineParseError(column: i, message: message)) }
        var value = Int(p[i] &- 0x30)
        i += 1
        if value != 0 {
            var digits = 1
            while i < end, ASCII.isDigit(p[i]) {
                let next = value * 10 + Int(p[i] &- 0x30)
                if digits == 3 || next > 191 { return .failure(LineParseError(column: i, message: message)) }
                value = next
                digits += 1
                i += 1
            }
        }
        guard i < end, p[i] == UInt8(ascii: ">") else { return .failure(LineParseError(column: i, message: message)) }
        return .success((value, i + 1))
    }
}
