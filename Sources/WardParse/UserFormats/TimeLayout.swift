import WardCore

/// How a site format reads its time: a layout (`yyyyMMdd-HH:mm:ss:SSS`, `EEE MMM dd HH:mm:ss yyyy`),
/// seconds (or milli-, micro-, nanoseconds) since the epoch, or one of wardwatch's stamp parsers
/// (`rfc3339`, `bsd`).
///
/// Layout letters are Java's (`DateTimeFormatter`, Joda, Logstash's `date` filter): `y` year (`yy`:
/// 2000–2069, 1970–1999), `M` month (`MMM` its English name or abbreviation), `d` day, `H` hour,
/// `h` hour 1–12 with `a` (AM/PM), `m` minute, `s` second, `S` fraction (any number of digits),
/// `E` weekday name (read and ignored), `X`/`Z`/`x` zone offset (`Z`, `+01:00`, `+0100`, `+01`);
/// text in single quotes and every other character is literal. A number is read with as many digits
/// as its letters when another number follows without a separator (`yyyyMMdd`), otherwise with one
/// digit or more (`H:m` reads `9:5`). Without a year, the year comes from `--year` or the input's
/// modification time, as for syslog; without a zone, the offset is `--tz-offset` (UTC by default).
public struct TimeLayout: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case layout([Token])
        case epoch(scale: Int64)
        case rfc3339
        case bsd
    }

    enum Token: Sendable, Equatable {
        case year(digits: Int, exact: Bool)
        case month(digits: Int, exact: Bool)
        case monthName
        case day(digits: Int, exact: Bool)
        case hour(digits: Int, exact: Bool)
        case hour12(digits: Int, exact: Bool)
        case minute(digits: Int, exact: Bool)
        case second(digits: Int, exact: Bool)
        case fraction
        case ampm
        case weekday
        case zone
        case literal(UInt8)
    }

    let kind: Kind
    public let text: String

    /// A layout that cannot be used: what is wrong.
    public struct LayoutError: Error, Sendable, Equatable {
        public var message: String
    }

    public init(_ text: String) throws(LayoutError) {
        self.text = text
        switch text.lowercased() {
        case "epoch", "epoch_s", "unix", "unix_s": kind = .epoch(scale: 1_000_000_000); return
        case "epoch_ms", "unix_ms": kind = .epoch(scale: 1_000_000); return
        case "epoch_us", "unix_us": kind = .epoch(scale: 1_000); return
        case "epoch_ns", "unix_ns": kind = .epoch(scale: 1); return
        case "rfc3339", "iso8601": kind = .rfc3339; return
        case "bsd", "rfc3164", "syslog": kind = .bsd; return
        default: break
        }
        var tokens: [Token] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "'") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "'") { tokens.append(.literal(c)); i += 1; continue }
                while i < bytes.count, bytes[i] != UInt8(ascii: "'") { tokens.append(.literal(bytes[i])); i += 1 }
                guard i < bytes.count else { throw LayoutError(message: "a quote in the layout '\(text)' is not closed") }
                i += 1
                continue
            }
            guard ASCII.isLetter(c) else { tokens.append(.literal(c)); i += 1; continue }
            var n = 1
            while i + n < bytes.count, bytes[i + n] == c { n += 1 }
            i += n
            let nextIsNumber = i < bytes.count && "yMdHhmsS".utf8.contains(bytes[i]) && !(bytes[i] == UInt8(ascii: "M") && Self.run(bytes, i) >= 3)
            switch c {
            case UInt8(ascii: "y"), UInt8(ascii: "u"): tokens.append(.year(digits: n == 2 ? 2 : 4, exact: nextIsNumber || n == 2))
            case UInt8(ascii: "M"), UInt8(ascii: "L"): tokens.append(n >= 3 ? .monthName : .month(digits: 2, exact: nextIsNumber))
            case UInt8(ascii: "d"): tokens.append(.day(digits: 2, exact: nextIsNumber))
            case UInt8(ascii: "H"), UInt8(ascii: "k"): tokens.append(.hour(digits: 2, exact: nextIsNumber))
            case UInt8(ascii: "h"), UInt8(ascii: "K"): tokens.append(.hour12(digits: 2, exact: nextIsNumber))
            case UInt8(ascii: "m"): tokens.append(.minute(digits: 2, exact: nextIsNumber))
            case UInt8(ascii: "s"): tokens.append(.second(digits: 2, exact: nextIsNumber))
            case UInt8(ascii: "S"), UInt8(ascii: "n"): tokens.append(.fraction)
            case UInt8(ascii: "a"): tokens.append(.ampm)
            case UInt8(ascii: "E"): tokens.append(.weekday)
            case UInt8(ascii: "X"), UInt8(ascii: "Z"), UInt8(ascii: "x"), UInt8(ascii: "O"): tokens.append(.zone)
            default:
                throw LayoutError(message: "unknown letter '\(String(UnicodeScalar(c)))' in the time layout '\(text)' (y M d H h m s S a E X Z; quote literal text: 'T')")
            }
        }
        guard tokens.contains(where: { if case .hour = $0 { return true }; if case .hour12 = $0 { return true }; return false })
                || tokens.contains(where: { if case .day = $0 { return true }; return false }) else {
            throw LayoutError(message: "the time layout '\(text)' has neither a day (d) nor an hour (H)")
        }
        kind = .layout(tokens)
    }

    private static func run(_ bytes: [UInt8], _ i: Int) -> Int {
        var n = 0
        while i + n < bytes.count, bytes[i + n] == bytes[i] { n += 1 }
        return n
    }

    /// Parses `p[start..<end]` (the whole value must be the time). `nil` when it does not fit.
    /// - Complexity: O(*n*) in the value; does not allocate.
    public func parse(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int, year fixedYear: Int?,
                      referenceSeconds: Int64, offsetSeconds: Int) -> Int64? {
        switch kind {
        case .epoch(let scale):
            var i = start
            var whole: Int64 = 0
            guard i < end, ASCII.isDigit(p[i]) else { return nil }
            while i < end, ASCII.isDigit(p[i]) {
                guard whole < Int64.max / 10 - 10 else { return nil }
                whole = whole * 10 + Int64(p[i] &- 0x30)
                i += 1
            }
            var fraction: Int64 = 0
            var unit = scale
            if i < end, p[i] == UInt8(ascii: "."), scale > 1 {
                i += 1
                while i < end, ASCII.isDigit(p[i]) {
                    if unit >= 10 { unit /= 10; fraction += Int64(p[i] &- 0x30) * unit }
                    i += 1
                }
            }
            guard i == end, whole <= Int64.max / scale else { return nil }
            return whole * scale + fraction
        case .rfc3339:
            let t = RFC3339.parse(p, from: start, to: end, strict: false, assumedOffsetSeconds: offsetSeconds)
            return t.errorAt == nil && t.end == end ? t.nanos : nil
        case .bsd:
            guard let t = BSDTimestamp.parse(p, from: start, to: end, year: fixedYear, referenceSeconds: referenceSeconds,
                                             offsetSeconds: offsetSeconds), t.end == end else { return nil }
            return t.nanos
        case .layout(let tokens):
            return parseLayout(tokens, p, start, end, fixedYear, referenceSeconds, offsetSeconds)
        }
    }

    private func parseLayout(_ tokens: [Token], _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ fixedYear: Int?,
                             _ referenceSeconds: Int64, _ offsetSeconds: Int) -> Int64? {
        var i = start
        var year: Int?
        var month = 1, day = 1, hour = 0, minute = 0, second = 0
        var nanos: Int64 = 0
        var pm: Bool?
        var offset = offsetSeconds
        func number(_ digits: Int, _ exact: Bool) -> Int? {
            var value = 0
            var n = 0
            let limit = exact ? digits : max(digits, 9)
            while n < limit, i < end, ASCII.isDigit(p[i]) {
                value = value * 10 + Int(p[i] &- 0x30)
                n += 1
                i += 1
            }
            return n == 0 || (exact && n != digits) ? nil : value
        }
        for token in tokens {
            switch token {
            case .year(let digits, let exact):
                guard let v = number(digits, exact) else { return nil }
                year = digits == 2 ? (v < 70 ? 2000 + v : 1900 + v) : v
            case .month(let digits, let exact):
                guard let v = number(digits, exact), (1...12).contains(v) else { return nil }
                month = v
            case .monthName:
                guard i + 3 <= end else { return nil }
                let m = BSDTimestamp.month(p[i], p[i + 1], p[i + 2])
                guard m != 0 else { return nil }
                month = m
                i += 3
                while i < end, ASCII.isLetter(p[i]) { i += 1 }
            case .day(let digits, let exact):
                guard let v = number(digits, exact), (1...31).contains(v) else { return nil }
                day = v
            case .hour(let digits, let exact):
                guard let v = number(digits, exact), v < 24 else { return nil }
                hour = v
            case .hour12(let digits, let exact):
                guard let v = number(digits, exact), (1...12).contains(v) else { return nil }
                hour = v % 12
            case .minute(let digits, let exact):
                guard let v = number(digits, exact), v < 60 else { return nil }
                minute = v
            case .second(let digits, let exact):
                guard let v = number(digits, exact), v <= 60 else { return nil }
                second = min(v, 59)
            case .fraction:
                var n = 0
                guard i < end, ASCII.isDigit(p[i]) else { return nil }
                while i < end, ASCII.isDigit(p[i]) {
                    if n < 9 { nanos = nanos * 10 + Int64(p[i] &- 0x30); n += 1 }
                    i += 1
                }
                for _ in n..<9 { nanos *= 10 }
            case .ampm:
                guard i + 2 <= end, p[i + 1] | 0x20 == UInt8(ascii: "m") else { return nil }
                let c = p[i] | 0x20
                guard c == UInt8(ascii: "a") || c == UInt8(ascii: "p") else { return nil }
                pm = c == UInt8(ascii: "p")
                i += 2
            case .weekday:
                let from = i
                while i < end, ASCII.isLetter(p[i]) { i += 1 }
                guard i - from >= 2 else { return nil }
            case .zone:
                guard i < end else { return nil }
                if p[i] == UInt8(ascii: "Z") || p[i] == UInt8(ascii: "z") { offset = 0; i += 1; continue }
                guard p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") else { return nil }
                let sign = p[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let h = number(2, true), h <= 23 else { return nil }
                var m = 0
                if i < end, p[i] == UInt8(ascii: ":") { i += 1 }
                if i < end, ASCII.isDigit(p[i]) {
                    guard let v = number(2, true), v < 60 else { return nil }
                    m = v
                }
                offset = sign * (h * 3600 + m * 60)
            case .literal(let b):
                // A space in the layout also takes the runs of spaces that padded columns write.
                guard i < end, p[i] == b else { return nil }
                i += 1
                if b == ASCII.space { while i < end, p[i] == ASCII.space { i += 1 } }
            }
        }
        guard i == end else { return nil }
        if let pm, pm { hour += 12 }
        let y = year ?? fixedYear ?? CivilTime.inferYear(month: month, day: day, hour: hour, minute: minute, second: second,
                                                         offsetSeconds: offset, referenceSeconds: referenceSeconds)
        guard CivilTime.representableYears.contains(y), day <= CivilTime.daysInMonth(year: y, month: month) else { return nil }
        return CivilTime.epochNanos(year: y, month: month, day: day, hour: hour, minute: minute, second: second,
                                    nanos: nanos, offsetSeconds: offset)
    }
}
