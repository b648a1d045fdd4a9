import WardCore

/// Read-only navigation of JSON text by byte ranges: skip a value, find a member, walk an array.
/// For documents whose structure matters (FHIR resources), where ``JSONLineParser``'s flattening loses
/// which agent said what. Nesting deeper than ``maxDepth`` counts as malformed (no unbounded recursion).
enum JSONNav {
    static let maxDepth = 64

    static func skipSpace(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        var j = i
        while j < end, p[j] == 0x20 || p[j] == 0x09 || p[j] == 0x0A || p[j] == 0x0D { j += 1 }
        return j
    }

    /// The end (exclusive) of the value that starts at `i`, or `nil` when it is not valid JSON.
    static func skipValue(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int, depth: Int = 0) -> Int? {
        guard i < end, depth < maxDepth else { return nil }
        switch p[i] {
        case UInt8(ascii: "\""):
            var j = i + 1
            while j < end {
                if p[j] == UInt8(ascii: "\\") { j += 2; continue }
                if p[j] == UInt8(ascii: "\"") { return j + 1 }
                j += 1
            }
            return nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let object = p[i] == UInt8(ascii: "{")
            let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
            var j = skipSpace(p, i + 1, end)
            if j < end, p[j] == close { return j + 1 }
            while j < end {
                if object {
                    guard let keyEnd = skipValue(p, j, end, depth: depth + 1), p[j] == UInt8(ascii: "\"") else { return nil }
                    j = skipSpace(p, keyEnd, end)
                    guard j < end, p[j] == UInt8(ascii: ":") else { return nil }
                    j = skipSpace(p, j + 1, end)
                }
                guard let valueEnd = skipValue(p, j, end, depth: depth + 1) else { return nil }
                j = skipSpace(p, valueEnd, end)
                guard j < end else { return nil }
                if p[j] == close { return j + 1 }
                guard p[j] == UInt8(ascii: ",") else { return nil }
                j = skipSpace(p, j + 1, end)
            }
            return nil
        default:
            // Number, true, false, null.
            var j = i
            while j < end, ASCII.isLetter(p[j]) || ASCII.isDigit(p[j]) || p[j] == UInt8(ascii: "-")
                    || p[j] == UInt8(ascii: "+") || p[j] == UInt8(ascii: ".") { j += 1 }
            return j > i ? j : nil
        }
    }

    /// Calls `body(key, value)` for each member of the object `object` (a valid object's range); the key
    /// range is inside the quotes. `body` returns `false` to stop.
    static func forEachMember(_ p: UnsafePointer<UInt8>, _ object: Range<Int>,
                              _ body: (Range<Int>, Range<Int>) -> Bool) {
        guard !object.isEmpty, p[object.lowerBound] == UInt8(ascii: "{") else { return }
        let end = object.upperBound
        var j = skipSpace(p, object.lowerBound + 1, end)
        while j < end, p[j] == UInt8(ascii: "\"") {
            guard let keyEnd = skipValue(p, j, end) else { return }
            let key = (j + 1)..<(keyEnd - 1)
            j = skipSpace(p, keyEnd, end)
            guard j < end, p[j] == UInt8(ascii: ":") else { return }
            j = skipSpace(p, j + 1, end)
            guard let valueEnd = skipValue(p, j, end) else { return }
            if !body(key, j..<valueEnd) { return }
            j = skipSpace(p, valueEnd, end)
            guard j < end, p[j] == UInt8(ascii: ",") else { return }
            j = skipSpace(p, j + 1, end)
        }
    }

    /// The value of member `key` of `object`, if any.
    static func member(_ p: UnsafePointer<UInt8>, _ object: Range<Int>?, _ key: StaticString) -> Range<Int>? {
        guard let object else { return nil }
        var found: Range<Int>?
        forEachMember(p, object) { k, v in
            if XMLScanner.equals(p, k, key) { found = v; return false }
            return true
        }
        return found
    }

    /// Calls `body` for each element of the array `array`; for a value that is not an array, once with it
    /// (FHIR elements that repeat in one version and not in another).
    static func forEachElement(_ p: UnsafePointer<UInt8>, _ value: Range<Int>?, _ body: (Range<Int>) -> Bool) {
        guard let value, !value.isEmpty else { return }
        guard p[value.lowerBound] == UInt8(ascii: "[") else { _ = body(value); return }
        let end = value.upperBound
        var j = skipSpace(p, value.lowerBound + 1, end)
        while j < end, p[j] != UInt8(ascii: "]") {
            guard let e = skipValue(p, j, end) else { return }
            if !body(j..<e) { return }
            j = skipSpace(p, e, end)
            guard j < end, p[j] == UInt8(ascii: ",") else { return }
            j = skipSpace(p, j + 1, end)
        }
    }

    /// The first element of an array value, or the value itself.
    static func first(_ p: UnsafePointer<UInt8>, _ value: Range<Int>?) -> Range<Int>? {
        var found: Range<Int>?
        forEachElement(p, value) { found = $0; return false }
        return found
    }

    /// The contents (between the quotes, still escaped) of a string value; a number or boolean as written.
    static func scalar(_ p: UnsafePointer<UInt8>, _ value: Range<Int>?) -> Range<Int>? {
        guard let value, !value.isEmpty else { return nil }
        let b = p[value.lowerBound]
        if b == UInt8(ascii: "\"") { return (value.lowerBound + 1)..<(value.upperBound - 1) }
        if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") || b == UInt8(ascii: "n") { return nil }
        return value
    }

    /// Appends the decoded contents of a JSON string (`\"`, `\\`, `\n`, `\uXXXX` with surrogate pairs).
    static func appendDecoded(_ p: UnsafePointer<UInt8>, _ r: Range<Int>, to out: inout [UInt8]) {
        var j = r.lowerBound
        while j < r.upperBound {
            let b = p[j]
            guard b == UInt8(ascii: "\\"), j + 1 < r.upperBound else { out.append(b); j += 1; continue }
            let e = p[j + 1]
            j += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(p, j, r.upperBound) else {
                    out.append(0xEF)
                    out.append(0xBF)
                    out.append(0xBD)
                    continue
                }
                j += 4
                if scalar >= 0xD800, scalar < 0xDC00, j + 6 <= r.upperBound, p[j] == UInt8(ascii: "\\"),
                   p[j + 1] == UInt8(ascii: "u"), let low = hex4(p, j + 2, r.upperBound), low >= 0xDC00, low <= 0xDFFF {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    j += 6
                }
                let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                for unit in UTF8.encode(s)! { out.append(unit) }
            default: out.append(e)
            }
        }
    }

    static func hex4(_ p: UnsafePointer<UInt8>, _ j: Int, _ end: Int) -> UInt32? {
        guard end - j >= 4 else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let h = ER7.hex(p[j + k]) else { return nil }
            v = v << 4 | UInt32(h)
        }
        return v
    }
}
