/// UTF-8 well-formedness, byte by byte (Unicode 15, Table 3-7).
public enum UTF8Scan {
    /// The length of the well-formed sequence starting at `p[i]` (1...4), or, if it is ill-formed,
    /// the negated length of its maximal subpart (-1...-3): the bytes that one U+FFFD replaces under
    /// Unicode's recommended practice (the same as Swift's `String(decoding:as:)`).
    /// - Precondition: `i < end`.
    @inlinable
    public static func sequenceLength(_ p: UnsafePointer<UInt8>, at i: Int, end: Int) -> Int {
        let b = p[i]
        if b < 0x80 { return 1 }
        let need: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch b {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; high = 0x9F
        case 0xF0: need = 3; low = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; high = 0x8F
        default: return -1
        }
        for k in 1...need {
            guard i + k < end else { return -k }
            let c = p[i + k]
            if c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xBF) { return -k }
        }
        return need + 1
    }

    /// The index of the first byte that makes `p[from..<to]` ill-formed UTF-8 (the byte at which a
    /// decoder notices), or `nil` if it is well-formed.
    @inlinable
    public static func firstInvalidByte(_ p: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int? {
        var i = from
        while i < end {
            let n = sequenceLength(p, at: i, end: end)
            if n < 0 { return n == -1 && !isLead(p[i]) ? i : i - n }
            i += n
        }
        return nil
    }

    @inlinable
    static func isLead(_ b: UInt8) -> Bool { (0xC2...0xF4).contains(b) }
}
