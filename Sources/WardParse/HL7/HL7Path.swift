import WardCore

/// A rule's path into an HL7 v2 message: `<SEG>.<field>[.<component>[.<subcomponent>]]` after `hl7.`
/// (`PID.3.1`, `MSH.9.2`, `PV1.3`). It names the first occurrence of the segment and the first repetition
/// of the field; numbers are 1-based as in the HL7 standard (MSH-1 is the field separator).
public struct HL7Path: Sendable, Equatable {
    public var segment: UInt32
    public var field: Int
    public var component: Int
    public var subcomponent: Int

    /// Reads `SEG.f[.c[.s]]`; `nil` for anything else.
    public init?(name: UnsafeBufferPointer<UInt8>) {
        guard name.count >= 5, let base = name.baseAddress, ER7.isSegmentStart(base, at: 0, end: 3, field: 0),
              name[3] == UInt8(ascii: ".") else { return nil }
        segment = ER7.segmentID(base, at: 0)
        var numbers = (0, 0, 0)
        var index = 0
        var value = 0
        var digits = 0
        for b in name[4...] {
            if b == UInt8(ascii: ".") {
                guard digits > 0, index < 2 else { return nil }
                if index == 0 { numbers.0 = value } else { numbers.1 = value }
                index += 1
                value = 0
                digits = 0
            } else if ASCII.isDigit(b), digits < 4 {
                value = value * 10 + Int(b &- 0x30)
                digits += 1
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        switch index {
        case 0: numbers.0 = value
        case 1: numbers.1 = value
        default: numbers.2 = value
        }
        guard numbers.0 >= 1 else { return nil }
        field = numbers.0
        component = numbers.1
        subcomponent = numbers.2
    }

    /// The bytes the path names in the message `p[0..<count]` (which starts with its MSH), still
    /// escaped, and the message's delimiters; `nil` when the segment or the part is absent.
    public func locate(in p: UnsafePointer<UInt8>, count: Int) -> (range: Range<Int>, delimiters: HL7Delimiters)? {
        let mshEnd = ER7.segmentEnd(p, from: 0, to: count)
        guard let d = HL7Delimiters.read(p, start: 0, end: mshEnd) else { return nil }
        var i = 0
        while i < count {
            while i < count, ER7.endsSegment(p[i]) { i += 1 }
            guard i < count else { break }
            let segEnd = ER7.segmentEnd(p, from: i, to: count)
            if segEnd - i >= 3, ER7.segmentID(p, at: i) == segment {
                guard let f = ER7.field(field, of: p, start: i, end: segEnd, delimiters: d) else { return nil }
                // MSH-1 and MSH-2 are the delimiters themselves: never split.
                if ER7.isHeader(segment) && field <= 2 { return (f, d) }
                guard let v = ER7.value(of: p, field: f, component: component, subcomponent: subcomponent,
                                        delimiters: d) else { return nil }
                return (v, d)
            }
            i = segEnd
        }
        return nil
    }
}
