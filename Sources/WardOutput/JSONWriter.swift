import WardCore

/// Appends JSON to a byte buffer.
///
/// Strings are written from raw bytes: `"` and `\` are escaped, control characters become `\n`,
/// `\t`, `\r` or `\u00XX`, well-formed UTF-8 is copied as is, and each ill-formed sequence becomes
/// one U+FFFD (Unicode's "maximal subpart" practice), so the output is always a valid JSON document
/// whatever the log held: NUL bytes, Latin-1, truncated sequences.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 1 << 20) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @usableFromInline static let hex: StaticString = "0123456789abcdef"

    @inlinable
    public mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func append(byte: UInt8) { bytes.append(byte) }

    /// Appends `value` as a JSON string, quotes included.
    @inlinable
    public mutating func appendString(_ value: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(value)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends the escaped contents of a JSON string, without quotes.
    /// - Complexity: O(*n*); copies runs of plain bytes at once.
    @inlinable
    public mutating func appendEscaped(_ value: UnsafeBufferPointer<UInt8>) {
        guard let p = value.baseAddress else { return }
        let end = value.count
        var runStart = 0
        var i = 0
        while i < end {
            let b = p[i]
            if b >= 0x20 && b < 0x80 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            if b >= 0x80 {
                let n = UTF8Scan.sequenceLength(p, at: i, end: end)
                if n > 0 {
                    i += n
                    continue
                }
                flush(p, runStart, i)
                bytes.append(0xEF)  // U+FFFD
                bytes.append(0xBF)
                bytes.append(0xBD)
                i += -n
                runStart = i
                continue
            }
            flush(p, runStart, i)
            bytes.append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            default:
                bytes.append(UInt8(ascii: "u"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(UInt8(ascii: "0"))
                Self.hex.withUTF8Buffer { h in
                    bytes.append(h[Int(b >> 4)])
                    bytes.append(h[Int(b & 0xF)])
                }
            }
            i += 1
            runStart = i
        }
        flush(p, runStart, end)
    }

    /// Appends text for a terminal: well-formed UTF-8 as is, control characters (escape sequences a
    /// log line could smuggle in) and ill-formed bytes as `?`.
    public mutating func appendPrintable(_ value: UnsafeBufferPointer<UInt8>) {
        guard let p = value.baseAddress else { return }
        var i = 0
        while i < value.count {
            let b = p[i]
            if b >= 0x80 {
                let n = UTF8Scan.sequenceLength(p, at: i, end: value.count)
                if n > 0 {
                    bytes.append(contentsOf: UnsafeBufferPointer(start: p + i, count: n))
                    i += n
                } else {
                    bytes.append(UInt8(ascii: "?"))
                    i += -n
                }
                continue
            }
            bytes.append(b < 0x20 || b == 0x7F ? (b == 0x09 ? 0x20 : UInt8(ascii: "?")) : b)
            i += 1
        }
    }

    @inlinable
    mutating func flush(_ p: UnsafePointer<UInt8>, _ from: Int, _ to: Int) {
        if to > from { bytes.append(contentsOf: UnsafeBufferPointer(start: p + from, count: to - from)) }
    }

    /// Appends a `String` as a JSON string (for names and paths, not per-event data).
    public mutating func appendString(_ value: String) {
        var copy = value
        copy.withUTF8 { appendString($0) }
    }

    /// Appends a decimal integer.
    @inlinable
    public mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var v = value.magnitude
        var divisor: UInt64 = 1
        while v / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(truncatingIfNeeded: v / divisor) &+ 0x30)
            v %= divisor
            divisor /= 10
        }
    }

    /// Appends a JSON number from ASCII digits (``ValueKind/number``): leading zeros are dropped so
    /// that `007` stays a valid number; anything that is not `-?[0-9]+` is written as a string.
    @inlinable
    public mutating func appendNumber(_ value: UnsafeBufferPointer<UInt8>) {
        // JSON's grammar: an optional '-', digits without leading zeros, an optional fraction. A leading
        // '+' is dropped, `.5` gets its `0`; anything else is written as a string.
        var i = 0
        let negative = !value.isEmpty && value[0] == UInt8(ascii: "-")
        if !value.isEmpty, negative || value[0] == UInt8(ascii: "+") { i = 1 }
        var dot = -1
        for k in i..<value.count where !ASCII.isDigit(value[k]) {
            guard value[k] == UInt8(ascii: "."), dot < 0, k + 1 < value.count else {
                appendString(value)
                return
            }
            dot = k
        }
        guard i < value.count else {
            appendString(value)
            return
        }
        if negative { bytes.append(UInt8(ascii: "-")) }
        let integerEnd = dot < 0 ? value.count : dot
        while i < integerEnd - 1, value[i] == UInt8(ascii: "0") { i += 1 }
        if i == integerEnd { bytes.append(UInt8(ascii: "0")) }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: value[i...]))
    }
}
