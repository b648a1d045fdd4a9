import WardCore

/// A forward-only scanner over XML bytes: tags with their attribute bytes, and the text between them.
/// No tree, no copies; enough for audit messages, whose content sits in attributes and short texts.
public struct XMLScanner {
    public struct Tag {
        /// The element name (without a namespace prefix).
        public var name: Range<Int>
        /// The bytes between the name and `>` (or `/>`).
        public var attributes: Range<Int>
        /// `</name>`.
        public var isClosing: Bool
        /// `<name …/>`.
        public var isEmpty: Bool
        /// The whole tag, `<` to `>`.
        public var range: Range<Int>

        @inlinable
        init(name: Range<Int>, attributes: Range<Int>, isClosing: Bool, isEmpty: Bool, range: Range<Int>) {
            self.name = name
            self.attributes = attributes
            self.isClosing = isClosing
            self.isEmpty = isEmpty
            self.range = range
        }
    }

    public let p: UnsafePointer<UInt8>
    public let end: Int
    public var i: Int

    @inlinable
    public init(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int) {
        self.p = p
        self.i = start
        self.end = end
    }

    /// The next start, empty or end tag, skipping text, comments, processing instructions, CDATA and
    /// DOCTYPE. `nil` at the end or at a tag that never closes.
    @inlinable
    public mutating func next() -> Tag? {
        while true {
            guard let lt = ByteScan.firstIndex(of: UInt8(ascii: "<"), in: p, from: i, to: end),
                  lt + 1 < end else { return nil }
            let c = p[lt + 1]
            if c == UInt8(ascii: "?") || c == UInt8(ascii: "!") {
                // Comment, PI, CDATA or DOCTYPE: skip to the matching '>' (comments to "-->").
                var close = ByteScan.firstIndex(of: UInt8(ascii: ">"), in: p, from: lt + 2, to: end)
                if lt + 3 < end, p[lt + 2] == UInt8(ascii: "-"), p[lt + 3] == UInt8(ascii: "-") {
                    var j = lt + 4
                    close = nil
                    while let gt = ByteScan.firstIndex(of: UInt8(ascii: ">"), in: p, from: j, to: end) {
                        if gt - 2 >= lt + 4, p[gt - 1] == UInt8(ascii: "-"), p[gt - 2] == UInt8(ascii: "-") { close = gt; break }
                        j = gt + 1
                    }
                }
                guard let close else { return nil }
                i = close + 1
                continue
            }
            guard let gt = ByteScan.firstIndex(of: UInt8(ascii: ">"), in: p, from: lt + 1, to: end) else { return nil }
            i = gt + 1
            let closing = c == UInt8(ascii: "/")
            var nameStart = closing ? lt + 2 : lt + 1
            var j = nameStart
            while j < gt, !Self.isSpace(p[j]), p[j] != UInt8(ascii: "/") {
                if p[j] == UInt8(ascii: ":") { nameStart = j + 1 }
                j += 1
            }
            let empty = !closing && p[gt - 1] == UInt8(ascii: "/")
            return Tag(name: nameStart..<j, attributes: j..<(empty ? gt - 1 : gt), isClosing: closing, isEmpty: empty,
                       range: lt..<(gt + 1))
        }
    }

    /// The text from the scanner's position to the next `<`, without surrounding white space.
    @inlinable
    public func text() -> Range<Int> {
        var a = i
        var b = ByteScan.firstIndex(of: UInt8(ascii: "<"), in: p, from: i, to: end) ?? end
        while a < b, Self.isSpace(p[a]) { a += 1 }
        while b > a, Self.isSpace(p[b - 1]) { b -= 1 }
        return a..<b
    }

    @inlinable
    public static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// Whether `p[range]` is exactly `name`.
    @inlinable
    public static func equals(_ p: UnsafePointer<UInt8>, _ range: Range<Int>, _ name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        let n = name.utf8Start
        for k in 0..<range.count where p[range.lowerBound + k] != n[k] { return false }
        return true
    }

    /// The value (between its quotes, still entity-encoded) of attribute `name` in `attributes`.
    @inlinable
    public static func attribute(_ name: StaticString, in p: UnsafePointer<UInt8>, _ attributes: Range<Int>) -> Range<Int>? {
        var j = attributes.lowerBound
        let end = attributes.upperBound
        while j < end {
            while j < end, isSpace(p[j]) { j += 1 }
            let nameStart = j
            while j < end, p[j] != UInt8(ascii: "="), !isSpace(p[j]) { j += 1 }
            let nameRange = nameStart..<j
            while j < end, isSpace(p[j]) { j += 1 }
            guard j < end, p[j] == UInt8(ascii: "=") else { return nil }
            j += 1
            while j < end, isSpace(p[j]) { j += 1 }
            guard j < end, p[j] == UInt8(ascii: "\"") || p[j] == UInt8(ascii: "'") else { return nil }
            let quote = p[j]
            guard let close = ByteScan.firstIndex(of: quote, in: p, from: j + 1, to: end) else { return nil }
            if equals(p, nameRange, name) { return (j + 1)..<close }
            j = close + 1
        }
        return nil
    }

    /// Appends `p[range]` with the five XML entities and character references decoded.
    @inlinable
    public static func appendDecoded(_ p: UnsafePointer<UInt8>, _ range: Range<Int>, to out: inout [UInt8]) {
        var j = range.lowerBound
        while j < range.upperBound {
            let b = p[j]
            guard b == UInt8(ascii: "&"),
                  let semi = ByteScan.firstIndex(of: UInt8(ascii: ";"), in: p, from: j + 1, to: min(range.upperBound, j + 12)) else {
                out.append(b)
                j += 1
                continue
            }
            let entity = (j + 1)..<semi
            if equals(p, entity, "amp") { out.append(UInt8(ascii: "&")) }
            else if equals(p, entity, "lt") { out.append(UInt8(ascii: "<")) }
            else if equals(p, entity, "gt") { out.append(UInt8(ascii: ">")) }
            else if equals(p, entity, "quot") { out.append(UInt8(ascii: "\"")) }
            else if equals(p, entity, "apos") { out.append(UInt8(ascii: "'")) }
            else if entity.count >= 2, p[entity.lowerBound] == UInt8(ascii: "#"), let scalar = Self.characterReference(p, entity) {
                let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                for unit in UTF8.encode(s)! { out.append(unit) }
            } else {
                out.append(b)
                j += 1
                continue
            }
            j = semi + 1
        }
    }

    @inlinable
    static func characterReference(_ p: UnsafePointer<UInt8>, _ entity: Range<Int>) -> UInt32? {
        var k = entity.lowerBound + 1
        var hex = false
        if p[k] == UInt8(ascii: "x") || p[k] == UInt8(ascii: "X") { hex = true; k += 1 }
        guard k < entity.upperBound else { return nil }
        var v: UInt32 = 0
        while k < entity.upperBound {
            let b = p[k]
            let d: UInt32
            if ASCII.isDigit(b) { d = UInt32(b &- 0x30) }
            else if hex, let h = ER7.hex(b) { d = UInt32(h) }
            else { return nil }
            v = v &* (hex ? 16 : 10) &+ d
            guard v <= 0x10FFFF else { return nil }
            k += 1
        }
        return v
    }
}
