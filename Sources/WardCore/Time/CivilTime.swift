/// Calendar arithmetic on the proleptic Gregorian calendar, without Foundation.
///
/// The day-count algorithms are Howard Hinnant's `days_from_civil`/`civil_from_days`
/// (http://howardhinnant.github.io/date_algorithms.html): branch-light integer arithmetic, exact for
/// every year, no tables, no allocation — fit for once-per-line use in the parsers.
public enum CivilTime {
    public static let nanosPerSecond: Int64 = 1_000_000_000
    public static let secondsPerDay: Int64 = 86_400
    /// Years whose times fit UTC nanoseconds in 64 bits (1677-09-21 … 2262-04-11), kept whole:
    /// parsers reject a time outside them instead of overflowing.
    public static let representableYears = 1678...2261

    /// Days since 1970-01-01 of the given civil date (month 1...12, day 1...31).
    @inlinable
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    @inlinable
    public static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    @inlinable
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    @inlinable
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// UTC nanoseconds since the epoch of a local civil time at `offsetSeconds` east of UTC.
    @inlinable
    public static func epochNanos(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int,
        nanos: Int64 = 0, offsetSeconds: Int = 0
    ) -> Int64 {
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * secondsPerDay + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return seconds * nanosPerSecond + nanos
    }

    /// The UTC year of a time given in seconds since the epoch.
    @inlinable
    public static func year(ofEpochSeconds seconds: Int64) -> Int {
        // (Reference times come from the clock or file times; far outside the representable years
        // they still give a year, and the parsers reject stamps that fall outside.)
        let days = seconds >= 0 ? seconds / secondsPerDay : (seconds - secondsPerDay + 1) / secondsPerDay
        return civilFromDays(days).year
    }

    /// The year of a year-less timestamp (`Mmm dd hh:mm:ss`, RFC 3164), inferred from a reference time.
    ///
    /// Log files are written forward in time, so no line can be later than the time its file was last
    /// written. The line gets the reference's year unless that would put it more than two days after
    /// the reference (clock skew and time zones), in which case it is from the year before: a December
    /// line in a file last written in January lands in the previous year.
    @inlinable
    public static func inferYear(month: Int, day: Int, hour: Int, minute: Int, second: Int,
                                 offsetSeconds: Int, referenceSeconds: Int64) -> Int {
        let year = Self.year(ofEpochSeconds: referenceSeconds)
        let candidate = epochNanos(year: year, month: month, day: day, hour: hour, minute: minute,
                                   second: second, offsetSeconds: offsetSeconds) / nanosPerSecond
        return candidate > referenceSeconds + 2 * secondsPerDay ? year - 1 : year
    }
}

/// Formats timestamps for output.
public enum TimestampFormat {
    /// Appends `nanos` (UTC nanoseconds since the epoch) as RFC 3339 UTC:
    /// `2026-11-22T08:15:02.123Z`, with 3, 6 or 9 fraction digits as the value needs (at least 3).
    /// - Complexity: O(1); does not allocate beyond `out`'s growth.
    public static func appendRFC3339(_ nanos: Int64, to out: inout [UInt8]) {
        var seconds = nanos / CivilTime.nanosPerSecond
        var fraction = nanos % CivilTime.nanosPerSecond
        if fraction < 0 {
            fraction += CivilTime.nanosPerSecond
            seconds -= 1
        }
        var days = seconds / CivilTime.secondsPerDay
        var secondOfDay = seconds % CivilTime.secondsPerDay
        if secondOfDay < 0 {
            secondOfDay += CivilTime.secondsPerDay
            days -= 1
        }
        let (y, m, d) = CivilTime.civilFromDays(days)
        appendDigits(max(0, min(9999, y)), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(m, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(d, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(Int(secondOfDay / 3600), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(Int(secondOfDay / 60 % 60), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(Int(secondOfDay % 60), width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        if fraction % 1_000_000 == 0 {
            appendDigits(Int(fraction / 1_000_000), width: 3, to: &out)
        } else if fraction % 1_000 == 0 {
            appendDigits(Int(fraction / 1_000), width: 6, to: &out)
        } else {
            appendDigits(Int(fraction), width: 9, to: &out)
        }
        out.append(UInt8(ascii: "Z"))
    }

    /// `nanos` as an RFC 3339 UTC string (tests, messages).
    public static func rfc3339(_ nanos: Int64) -> String {
        var out: [UInt8] = []
        appendRFC3339(nanos, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always)
    static func appendDigits(_ value: Int, width: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: v / divisor) &+ 0x30)
            v %= divisor
            divisor /= 10
        }
    }
}
