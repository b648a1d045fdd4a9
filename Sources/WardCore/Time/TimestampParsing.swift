/// The outcome of parsing a timestamp inside a line.
public struct ParsedTimestamp: Sendable, Equatable {
    /// UTC nanoseconds since the epoch (valid when `errorAt` is `nil`).
    public var nanos: Int64
    /// Index just past the timestamp.
    public var end: Int
    /// Index of the first byte that does not fit the grammar, or the end index for a value that is
    /// well-formed but impossible (e.g. September 31st); `nil` on success.
    public var errorAt: Int?
    /// Whether the failure was a calendar range error (day out of range) rather than syntax.
    public var isRangeError: Bool

    @inlinable
    init(nanos: Int64, end: Int, errorAt: Int?, isRangeError: Bool = false) {
        self.nanos = nanos
        self.end = end
        self.errorAt = errorAt
        self.isRangeError = isRangeError
    }

    @inlinable static func failure(at index: Int) -> ParsedTimestamp {
        ParsedTimestamp(nanos: 0, end: index, errorAt: index)
    }
}

/// RFC 3339 timestamps (`2003-10-11T22:14:15.003Z`, `2016-01-15T00:04:01+00:00`).
public enum RFC3339 {
    /// Parses an RFC 3339 timestamp starting at `start`, stopping at its last byte (the caller checks
    /// what follows).
    ///
    /// With `strict` (RFC 5424 `TIMESTAMP`), `T` and `Z` must be upper case and the fraction has at
    /// most 6 digits; otherwise (rsyslog high-precision stamps, JSON logs) lower case is accepted,
    /// a space may replace `T`, and up to 9 fraction digits are kept. A missing offset is accepted only
    /// when not strict and means `assumedOffsetSeconds`.
    ///
    /// On failure, ``ParsedTimestamp/errorAt`` is the first byte that cannot continue a valid stamp,
    /// digit by digit (month `1` may only be followed by `0`–`2`, and so on), so that error columns
    /// point at the culprit.
    /// - Complexity: O(1); does not allocate.
    @inlinable
    public static func parse(
        _ p: UnsafePointer<UInt8>, from start: Int, to end: Int, strict: Bool, assumedOffsetSeconds: Int = 0
    ) -> ParsedTimestamp {
        var i = start
        @inline(__always) func digit(_ allowed: ClosedRange<UInt8>) -> Int? {
            guard i < end, allowed.contains(p[i]) else { return nil }
            defer { i += 1 }
            return Int(p[i] &- 0x30)
        }
        @inline(__always) func byte(_ b: UInt8) -> Bool {
            guard i < end, p[i] == b else { return false }
            i += 1
            return true
        }
        let d09: ClosedRange<UInt8> = 0x30...0x39
        // Year.
        var year = 0
        for _ in 0..<4 {
            guard let d = digit(d09) else { return .failure(at: i) }
            year = year * 10 + d
        }
        guard byte(UInt8(ascii: "-")) else { return .failure(at: i) }
        // Month: 01-09 | 10-12.
        guard let m1 = digit(0x30...0x31) else { return .failure(at: i) }
        guard let m2 = digit(m1 == 0 ? 0x31...0x39 : 0x30...0x32) else { return .failure(at: i) }
        let month = m1 * 10 + m2
        guard byte(UInt8(ascii: "-")) else { return .failure(at: i) }
        // Day: 01-09 | 10-29 | 30-31.
        guard let dd1 = digit(0x30...0x33) else { return .failure(at: i) }
        guard let dd2 = digit(dd1 == 0 ? 0x31...0x39 : dd1 == 3 ? 0x30...0x31 : d09) else { return .failure(at: i) }
        let day = dd1 * 10 + dd2
        // Separator.
        guard i < end else { return .failure(at: i) }
        let sep = p[i]
        if sep == UInt8(ascii: "T") || (!strict && (sep == UInt8(ascii: "t") || sep == ASCII.space)) {
            i += 1
        } else {
            return .failure(at: i)
        }
        // Time: 00-23 : 00-59 : 00-59.
        guard let h1 = digit(0x30...0x32) else { return .failure(at: i) }
        guard let h2 = digit(h1 == 2 ? 0x30...0x33 : d09) else { return .failure(at: i) }
        guard byte(UInt8(ascii: ":")) else { return .failure(at: i) }
        guard let mi1 = digit(0x30...0x35), let mi2 = digit(d09) else { return .failure(at: i) }
        guard byte(UInt8(ascii: ":")) else { return .failure(at: i) }
        guard let s1 = digit(0x30...0x35), let s2 = digit(d09) else { return .failure(at: i) }
        // Fraction.
        var nanos: Int64 = 0
        if byte(UInt8(ascii: ".")) {
            let maxDigits = strict ? 6 : 9
            var n = 0
            while i < end, ASCII.isDigit(p[i]) {
                if n == maxDigits { return .failure(at: i) }
                nanos = nanos * 10 + Int64(p[i] &- 0x30)
                n += 1
                i += 1
            }
            if n == 0 { return .failure(at: i) }
            for _ in n..<9 { nanos *= 10 }
        }
        // Offset.
        var offset = assumedOffsetSeconds
        if i < end, p[i] == UInt8(ascii: "Z") || (!strict && p[i] == UInt8(ascii: "z")) {
            offset = 0
            i += 1
        } else if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
            let negative = p[i] == UInt8(ascii: "-")
            i += 1
            guard let oh1 = digit(0x30...0x32) else { return .failure(at: i) }
            guard let oh2 = digit(oh1 == 2 ? 0x30...0x33 : d09) else { return .failure(at: i) }
            if !byte(UInt8(ascii: ":")) && strict { return .failure(at: i) }
            guard let om1 = digit(0x30...0x35), let om2 = digit(d09) else { return .failure(at: i) }
            offset = ((oh1 * 10 + oh2) * 60 + om1 * 10 + om2) * 60
            if negative { offset = -offset }
        } else if strict {
            return .failure(at: i)
        }
        if day > CivilTime.daysInMonth(year: year, month: month) || !CivilTime.representableYears.contains(year) {
            return ParsedTimestamp(nanos: 0, end: i, errorAt: i, isRangeError: true)
        }
        let value = CivilTime.epochNanos(
            year: year, month: month, day: day, hour: h1 * 10 + h2, minute: mi1 * 10 + mi2,
            second: s1 * 10 + s2, nanos: nanos, offsetSeconds: offset)
        return ParsedTimestamp(nanos: value, end: i, errorAt: nil)
    }
}

/// The BSD syslog stamp `Mmm dd hh:mm:ss` (RFC 3164), as it really appears.
public enum BSDTimestamp {
    /// Month number (1...12) of a three-letter English month abbreviation, any case; 0 if none.
    @inlinable
    public static func month(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        // Pack the lower-cased letters into one integer and switch on it.
        let key = (UInt32(a | 0x20) << 16) | (UInt32(b | 0x20) << 8) | UInt32(c | 0x20)
        switch key {
        case 0x6a616e: return 1  // jan
        case 0x666562: return 2  // feb
        case 0x6d6172: return 3  // mar
        case 0x617072: return 4  // apr
        case 0x6d6179: return 5  // may
        case 0x6a756e: return 6  // jun
        case 0x6a756c: return 7  // jul
        case 0x617567: return 8  // aug
        case 0x736570: return 9  // sep
        case 0x6f6374: return 10  // oct
        case 0x6e6f76: return 11  // nov
        case 0x646563: return 12  // dec
        default: return 0
        }
    }

    /// Parses `Mmm dd hh:mm:ss` at `start`, also accepting what real devices write: a day without
    /// padding (`Mar 7`), a year after the day (`Mar 7 2008 19:06:53`, Cisco), and a fraction after
    /// the seconds (`19:06:53.483`). The year, when absent, is `year` if given, else inferred from
    /// `referenceSeconds` (``CivilTime/inferYear(month:day:hour:minute:second:offsetSeconds:referenceSeconds:)``).
    /// - Returns: the parsed time, or `nil` if the bytes are not such a stamp.
    /// - Complexity: O(1); does not allocate.
    @inlinable
    public static func parse(
        _ p: UnsafePointer<UInt8>, from start: Int, to end: Int,
        year fixedYear: Int?, referenceSeconds: Int64, offsetSeconds: Int
    ) -> (nanos: Int64, end: Int)? {
        guard end - start >= 14 else { return nil }
        let month = month(p[start], p[start + 1], p[start + 2])
        guard month != 0, p[start + 3] == ASCII.space else { return nil }
        var i = start + 4
        if p[i] == ASCII.space { i += 1 }
        // Day, one or two digits.
        guard i < end, ASCII.isDigit(p[i]) else { return nil }
        var day = Int(p[i] &- 0x30)
        i += 1
        if i < end, ASCII.isDigit(p[i]) {
            day = day * 10 + Int(p[i] &- 0x30)
            i += 1
        }
        guard i < end, p[i] == ASCII.space, day >= 1, day <= 31 else { return nil }
        i += 1
        // Optional four-digit year followed by a space.
        var year = fixedYear
        if i + 5 <= end, ASCII.isDigit(p[i]), ASCII.isDigit(p[i + 1]), ASCII.isDigit(p[i + 2]),
           ASCII.isDigit(p[i + 3]), p[i + 4] == ASCII.space {
            year = Int(p[i] &- 0x30) * 1000 + Int(p[i + 1] &- 0x30) * 100 + Int(p[i + 2] &- 0x30) * 10
                + Int(p[i + 3] &- 0x30)
            i += 5
        }
        // hh:mm:ss
        guard i + 8 <= end,
              ASCII.isDigit(p[i]), ASCII.isDigit(p[i + 1]), p[i + 2] == UInt8(ascii: ":"),
              ASCII.isDigit(p[i + 3]), ASCII.isDigit(p[i + 4]), p[i + 5] == UInt8(ascii: ":"),
              ASCII.isDigit(p[i + 6]), ASCII.isDigit(p[i + 7])
        else { return nil }
        let hour = Int(p[i] &- 0x30) * 10 + Int(p[i + 1] &- 0x30)
        let minute = Int(p[i + 3] &- 0x30) * 10 + Int(p[i + 4] &- 0x30)
        let second = Int(p[i + 6] &- 0x30) * 10 + Int(p[i + 7] &- 0x30)
        guard hour < 24, minute < 60, second < 61 else { return nil }
        i += 8
        var nanos: Int64 = 0
        if i + 1 < end, p[i] == UInt8(ascii: "."), ASCII.isDigit(p[i + 1]) {
            i += 1
            var n = 0
            while i < end, ASCII.isDigit(p[i]) {
                if n < 9 {
                    nanos = nanos * 10 + Int64(p[i] &- 0x30)
                    n += 1
                }
                i += 1
            }
            for _ in n..<9 { nanos *= 10 }
        }
        let y = year ?? CivilTime.inferYear(month: month, day: day, hour: hour, minute: minute, second: second,
                                            offsetSeconds: offsetSeconds, referenceSeconds: referenceSeconds)
        guard CivilTime.representableYears.contains(y), day <= CivilTime.daysInMonth(year: y, month: month) else { return nil }
        let value = CivilTime.epochNanos(year: y, month: month, day: day, hour: hour, minute: minute,
                                         second: min(second, 59), nanos: nanos, offsetSeconds: offsetSeconds)
        return (value, i)
    }
}
