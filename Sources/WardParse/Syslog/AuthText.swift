import WardCore

/// The message being read: the line's bytes and the MSG's bounds, with the few searches the
/// patterns need (all `memchr`-based; no allocation).
struct AuthText {
    let p: UnsafePointer<UInt8>
    let start: Int
    let end: Int

    subscript(i: Int) -> UInt8 { p[i] }

    func has(_ literal: StaticString, at i: Int) -> Bool { i >= start && ByteScan.has(literal, in: p, at: i, end: end) }

    func find(_ literal: StaticString, from: Int) -> Int? { ByteScan.find(literal, in: p, from: from, to: end) }

    func contains(_ literal: StaticString) -> Bool { find(literal, from: start) != nil }

    func firstIndex(of byte: UInt8, from: Int) -> Int? { ByteScan.firstIndex(of: byte, in: p, from: from, to: end) }

    func lastIndex(of byte: UInt8, from: Int, to: Int) -> Int? { ByteScan.lastIndex(of: byte, in: p, from: from, to: to) }

    func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        range.count == literal.utf8CodeUnitCount && LinuxAuth.same(p + range.lowerBound, literal)
    }

    /// The value of ` key=` up to the next space (empty when the key has none), or `nil`.
    func value(after key: StaticString) -> Range<Int>? {
        guard let k = find(key, from: start) else { return nil }
        let v = k + key.utf8CodeUnitCount
        return v..<(firstIndex(of: ASCII.space, from: v) ?? end)
    }

    func digitsEnd(from i: Int) -> Int {
        var j = i
        while j < end, ASCII.isDigit(p[j]) { j += 1 }
        return j
    }

    /// Grok's USERNAME: `[a-zA-Z0-9._-]+`.
    func usernameEnd(from i: Int) -> Int {
        var j = i
        while j < end, ASCII.isLetter(p[j]) || ASCII.isDigit(p[j]) || p[j] == UInt8(ascii: ".")
                || p[j] == UInt8(ascii: "_") || p[j] == UInt8(ascii: "-") { j += 1 }
        return j
    }

    /// The end of grok's IPORHOST at `i`: letters, digits, `.`, `-`, `:` and `%`; a `:` ends it unless the
    /// token is an IPv6 address (`10.0.2.2: 11: …` is the address `10.0.2.2`).
    func addressEnd(from i: Int) -> Int {
        var j = i
        var colon = -1
        while j < end {
            let b = p[j]
            guard ASCII.isLetter(b) || ASCII.isDigit(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
                    || b == UInt8(ascii: ":") || b == UInt8(ascii: "%") else { break }
            if b == UInt8(ascii: ":"), colon < 0 { colon = j }
            j += 1
        }
        if colon >= 0, !isIPv6(i..<j) { j = colon }
        while j > i, p[j - 1] == UInt8(ascii: "-") { j -= 1 }
        return j
    }

    func isIP(_ r: Range<Int>) -> Bool { isIPv4(r) || isIPv6(r) }

    func isIPv4(_ r: Range<Int>) -> Bool {
        var parts = 0
        var i = r.lowerBound
        while i < r.upperBound {
            let s = i
            var value = 0
            while i < r.upperBound, ASCII.isDigit(p[i]), i - s < 3 {
                value = value * 10 + Int(p[i] &- 0x30)
                i += 1
            }
            guard i > s, value <= 255 else { return false }
            parts += 1
            if i == r.upperBound { break }
            guard p[i] == UInt8(ascii: "."), parts < 4 else { return false }
            i += 1
            guard i < r.upperBound else { return false }
        }
        return parts == 4
    }

    /// Hex groups separated by `:`, at most one `::`, an optional dotted IPv4 tail and `%zone`.
    func isIPv6(_ r: Range<Int>) -> Bool {
        var e = r.upperBound
        if let pct = ByteScan.firstIndex(of: UInt8(ascii: "%"), in: p, from: r.lowerBound, to: e) {
            guard pct + 1 < e else { return false }
            e = pct
        }
        var i = r.lowerBound
        guard e - i >= 2 else { return false }
        var groups = 0
        var compressed = false
        if p[i] == UInt8(ascii: ":") {
            guard p[i + 1] == UInt8(ascii: ":") else { return false }
            compressed = true
            i += 2
            if i == e { return true }
        }
        while i < e {
            let s = i
            while i < e, i - s < 4, isHex(p[i]) { i += 1 }
            if i < e, p[i] == UInt8(ascii: "."), isIPv4(s..<e) {
                groups += 2
                i = e
                break
            }
            guard i > s else { return false }
            groups += 1
            if i == e { break }
            guard p[i] == UInt8(ascii: ":") else { return false }
            i += 1
            if i < e, p[i] == UInt8(ascii: ":") {
                guard !compressed else { return false }
                compressed = true
                i += 1
                if i == e { break }
            } else if i == e {
                return false
            }
        }
        return compressed ? groups < 8 : groups == 8
    }

    func isHex(_ b: UInt8) -> Bool { ASCII.isDigit(b) || (b | 0x20) &- 0x61 < 6 }

    func isQuote(_ b: UInt8) -> Bool { b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") }

    /// `i`, or past a quote at `i`.
    func skipQuote(_ i: Int) -> Int { i < end && isQuote(p[i]) ? i + 1 : i }

    /// `r` without a closing quote.
    func trimQuote(_ r: Range<Int>) -> Range<Int> {
        r.upperBound > r.lowerBound && isQuote(p[r.upperBound - 1]) ? r.lowerBound..<(r.upperBound - 1) : r
    }

    /// `root(uid=0)` → `root`.
    func withoutUID(_ r: Range<Int>) -> Range<Int> {
        guard r.count > 6, p[r.upperBound - 1] == UInt8(ascii: ")"),
              let open = lastIndex(of: UInt8(ascii: "("), from: r.lowerBound, to: r.upperBound), open > r.lowerBound,
              has("(uid=", at: open) else { return r }
        return r.lowerBound..<open
    }

    /// The text between the quote at `i` and the next one of the same kind (either kind with
    /// `anyQuote`, as Elastic's `%{QUOTE}…%{QUOTE}`), and the index after the closing quote.
    func quoted(at i: Int, anyQuote: Bool = false) -> (Range<Int>, Int)? {
        guard i < end, isQuote(p[i]) else { return nil }
        var j = i + 1
        while j < end {
            if anyQuote ? isQuote(p[j]) : p[j] == p[i] { return ((i + 1)..<j, j + 1) }
            j += 1
        }
        return nil
    }
}
