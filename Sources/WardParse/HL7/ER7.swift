import WardCore

/// The HL7 v2 encoding characters of one message, read from MSH-1 and MSH-2 (or FHS/BHS), never assumed.
///
/// `0` marks a character the message does not declare (MSH-2 may be shorter than four characters).
public struct HL7Delimiters: Sendable, Equatable {
    public var field: UInt8
    public var component: UInt8
    public var repetition: UInt8
    public var escape: UInt8
    public var subcomponent: UInt8

    @inlinable
    public init(field: UInt8, component: UInt8, repetition: UInt8, escape: UInt8, subcomponent: UInt8) {
        self.field = field
        self.component = component
        self.repetition = repetition
        self.escape = escape
        self.subcomponent = subcomponent
    }

    /// `|^~\&`.
    public static let standard = HL7Delimiters(field: 0x7C, component: 0x5E, repetition: 0x7E, escape: 0x5C,
                                               subcomponent: 0x26)

    /// A byte that may serve as a delimiter: printable, not a letter, digit or space.
    @inlinable
    static func isDelimiterByte(_ b: UInt8) -> Bool {
        ASCII.isPrintNoSpace(b) && !ASCII.isLetter(b) && !ASCII.isDigit(b)
    }

    /// Reads the delimiters of the header segment at `p[start..<end]` (`MSH|^~\&|…`).
    /// Returns `nil` when MSH-1 or MSH-2 is not a valid set (letters, repeats, missing).
    @inlinable
    public static func read(_ p: UnsafePointer<UInt8>, start: Int, end: Int) -> HL7Delimiters? {
        guard end - start >= 5 else { return nil }
        let field = p[start + 3]
        guard isDelimiterByte(field) else { return nil }
        var chars: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        var i = start + 4
        var n = 0
        while i < end, p[i] != field, p[i] != ASCII.carriageReturn, p[i] != ASCII.newline {
            let b = p[i]
            // v2.7 adds a fifth (truncation) character; more than five is not an MSH-2.
            guard isDelimiterByte(b), n < 5 else { return nil }
            switch n {
            case 0: chars.0 = b
            case 1: chars.1 = b
            case 2: chars.2 = b
            case 3: chars.3 = b
            default: break
            }
            n += 1
            i += 1
        }
        guard n >= 1 else { return nil }
        // Distinct delimiters, checked on a bit set (no allocation).
        var seen: UInt128 = UInt128(1) << UInt128(field & 0x7F)
        for j in 0..<n {
            let b = p[start + 4 + j]
            let bit = UInt128(1) << UInt128(b & 0x7F)
            guard seen & bit == 0 else { return nil }
            seen |= bit
        }
        return HL7Delimiters(field: field, component: chars.0, repetition: chars.1, escape: chars.2,
                             subcomponent: chars.3)
    }
}

/// Byte-level navigation of ER7 (pipe-encoded) HL7 v2 text: segments, fields, repetitions, components,
/// sub-components, and escape decoding. Nothing is copied: every answer is a range of the input, so a
/// message is decoded only as far as someone asks.
public enum ER7 {
    /// Whether `b` ends a segment: `\r` (the standard), `\n` (files and logs), or an MLLP end byte.
    @inlinable
    public static func endsSegment(_ b: UInt8) -> Bool {
        b == ASCII.carriageReturn || b == ASCII.newline || b == 0x1C || b == 0x0B
    }

    /// The end of the segment that starts at `start`.
    @inlinable
    public static func segmentEnd(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var i = start
        while i < end, !endsSegment(p[i]) { i += 1 }
        return i
    }

    /// Whether `p[start...]` starts a segment ID (three upper-case letters or digits, the first a letter)
    /// followed by `field`, or ends right after the ID.
    @inlinable
    public static func isSegmentStart(_ p: UnsafePointer<UInt8>, at start: Int, end: Int, field: UInt8) -> Bool {
        guard end - start >= 3, ASCII.isUpper(p[start]),
              ASCII.isUpper(p[start + 1]) || ASCII.isDigit(p[start + 1]),
              ASCII.isUpper(p[start + 2]) || ASCII.isDigit(p[start + 2]) else { return false }
        return end - start == 3 || p[start + 3] == field || endsSegment(p[start + 3])
    }

    /// The segment ID at `start` as a 24-bit value (`"PID"` → 0x504944), for cheap comparisons.
    @inlinable
    public static func segmentID(_ p: UnsafePointer<UInt8>, at start: Int) -> UInt32 {
        UInt32(p[start]) << 16 | UInt32(p[start + 1]) << 8 | UInt32(p[start + 2])
    }

    @inlinable
    public static func id(_ s: StaticString) -> UInt32 {
        let b = s.utf8Start
        return UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2])
    }

    public static let msh = id("MSH"), fhs = id("FHS"), bhs = id("BHS"), bts = id("BTS"), fts = id("FTS")

    /// Whether a segment ID is one whose field 1 is the field separator itself (MSH, FHS, BHS).
    @inlinable
    public static func isHeader(_ id: UInt32) -> Bool { id == msh || id == fhs || id == bhs }

    /// Field `n` (1-based, HL7 numbering) of the segment `p[start..<end]`: for MSH/FHS/BHS, field 1 is
    /// the separator and field 2 the encoding characters. `nil` when the segment has fewer fields.
    @inlinable
    public static func field(_ n: Int, of p: UnsafePointer<UInt8>, start: Int, end: Int,
                             delimiters d: HL7Delimiters) -> Range<Int>? {
        guard n >= 1, end - start >= 3 else { return nil }
        var k = n
        if isHeader(segmentID(p, at: start)) {
            if n == 1 { return end - start >= 4 ? (start + 3)..<(start + 4) : nil }
            k = n - 1
        }
        // Field k starts after the k-th separator and runs to the next one.
        var separator = start + 3
        var index = 1
        while true {
            guard separator < end, p[separator] == d.field else { return nil }
            let fieldStart = separator + 1
            let fieldEnd = ByteScan.firstIndex(of: d.field, in: p, from: fieldStart, to: end) ?? end
            if index == k { return fieldStart..<fieldEnd }
            index += 1
            separator = fieldEnd
        }
    }

    /// Part `n` (1-based) of `p[range]` split at `separator`; a separator of 0 (undeclared) leaves one part.
    @inlinable
    public static func part(_ n: Int, of p: UnsafePointer<UInt8>, _ range: Range<Int>, separator: UInt8) -> Range<Int>? {
        guard n >= 1 else { return nil }
        if separator == 0 { return n == 1 ? range : nil }
        var start = range.lowerBound
        var index = 1
        while index < n {
            guard let hit = ByteScan.firstIndex(of: separator, in: p, from: start, to: range.upperBound) else { return nil }
            start = hit + 1
            index += 1
        }
        let stop = ByteScan.firstIndex(of: separator, in: p, from: start, to: range.upperBound) ?? range.upperBound
        return start..<stop
    }

    /// Component `component` (1-based; 0 = the whole repetition) and sub-component `sub` (0 = whole) of
    /// repetition `repetition` of a field.
    @inlinable
    public static func value(of p: UnsafePointer<UInt8>, field: Range<Int>, repetition: Int = 1, component: Int = 0,
                             subcomponent: Int = 0, delimiters d: HL7Delimiters) -> Range<Int>? {
        guard var r = part(repetition, of: p, field, separator: d.repetition) else { return nil }
        if component > 0 {
            guard let c = part(component, of: p, r, separator: d.component) else { return nil }
            r = c
            if subcomponent > 0 {
                guard let s = part(subcomponent, of: p, r, separator: d.subcomponent) else { return nil }
                r = s
            }
        }
        return r
    }

    /// Whether `p[range]` holds the escape character (and so needs ``decode(_:_:delimiters:into:)``).
    @inlinable
    public static func needsDecoding(_ p: UnsafePointer<UInt8>, _ range: Range<Int>, delimiters d: HL7Delimiters) -> Bool {
        d.escape != 0 && ByteScan.firstIndex(of: d.escape, in: p, from: range.lowerBound, to: range.upperBound) != nil
    }

    /// Decodes the escape sequences of `p[range]` into `out`, which must hold `range.count` bytes (decoding
    /// never lengthens). Returns the decoded length. `\F\ \S\ \T\ \R\ \E\` give the delimiters, `\Xhh…\`
    /// the bytes; other sequences (`\H\`, `\.br\`, `\Cxxyy\` …) and an unterminated escape stay as written.
    @inlinable
    public static func decode(_ p: UnsafePointer<UInt8>, _ range: Range<Int>, delimiters d: HL7Delimiters,
                              into out: UnsafeMutablePointer<UInt8>) -> Int {
        var o = 0
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let b = p[i]
            guard b == d.escape, d.escape != 0,
                  let close = ByteScan.firstIndex(of: d.escape, in: p, from: i + 1, to: end), close > i + 1 else {
                out[o] = b
                o += 1
                i += 1
                continue
            }
            var replaced = true
            if close == i + 2 {
                switch p[i + 1] {
                case UInt8(ascii: "F"): out[o] = d.field
                case UInt8(ascii: "S"): out[o] = d.component
                case UInt8(ascii: "T"): out[o] = d.subcomponent
                case UInt8(ascii: "R"): out[o] = d.repetition
                case UInt8(ascii: "E"): out[o] = d.escape
                default: replaced = false
                }
                if replaced { o += 1 }
            } else if p[i + 1] == UInt8(ascii: "X"), (close - i - 2) % 2 == 0 {
                var j = i + 2
                var bytes = 0
                while j < close, let hi = hex(p[j]), let lo = hex(p[j + 1]) {
                    out[o + bytes] = hi << 4 | lo
                    bytes += 1
                    j += 2
                }
                if j == close { o += bytes } else { replaced = false }
            } else {
                replaced = false
            }
            if replaced {
                i = close + 1
            } else {
                // Keep the sequence as written.
                for j in i...close {
                    out[o] = p[j]
                    o += 1
                }
                i = close + 1
            }
        }
        return o
    }

    @inlinable
    static func hex(_ b: UInt8) -> UInt8? {
        if ASCII.isDigit(b) { return b &- 0x30 }
        let l = b | 0x20
        if l >= UInt8(ascii: "a") && l <= UInt8(ascii: "f") { return l &- UInt8(ascii: "a") &+ 10 }
        return nil
    }
}
