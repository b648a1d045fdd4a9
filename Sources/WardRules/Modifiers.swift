import Foundation

/// Sigma v2.1 value modifiers (spec appendix; `SIGMA.md` §3).
public enum SigmaModifier: String, Sendable, CaseIterable {
    case contains, startswith, endswith, all
    case re, i, m, s, ignorecase, multiline, dotall
    case cidr, base64, base64offset, utf16le, utf16be, utf16, wide, windash
    case exists, cased, neq, fieldref
    case lt, lte, gt, gte
    case expand
    case minute, hour, day, week, month, year

    var isRegexFlag: Bool { [.i, .m, .s, .ignorecase, .multiline, .dotall].contains(self) }
    var isComparison: Bool { [.lt, .lte, .gt, .gte].contains(self) }
    var isTimePart: Bool { [.minute, .hour, .day, .week, .month, .year].contains(self) }
    var isEncoding: Bool { [.utf16le, .utf16be, .utf16, .wide].contains(self) }
    /// Modifiers that must come first in a chain (pySigma).
    var mustBeFirst: Bool { [.re, .cidr, .exists].contains(self) }
}

/// A comparison operator for numeric and time-part modifiers.
public enum NumericComparison: String, Sendable {
    case lt, lte, gt, gte, eq

    func holds(_ lhs: Double, _ rhs: Double) -> Bool {
        switch self {
        case .lt: return lhs < rhs
        case .lte: return lhs <= rhs
        case .gt: return lhs > rhs
        case .gte: return lhs >= rhs
        case .eq: return lhs == rhs
        }
    }
}

/// The part of a timestamp a time modifier extracts.
public enum TimePart: String, Sendable {
    case minute, hour, day, week, month, year
}

/// Value transformations of the modifiers, on bytes.
enum ValueEncoding {
    static func utf16(_ bytes: [UInt8], bigEndian: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for unit in String(decoding: bytes, as: UTF8.self).utf16 {
            if bigEndian {
                out.append(UInt8(unit >> 8))
                out.append(UInt8(unit & 0xFF))
            } else {
                out.append(UInt8(unit & 0xFF))
                out.append(UInt8(unit >> 8))
            }
        }
        return out
    }

    static func base64(_ bytes: [UInt8]) -> [UInt8] { Array(Data(bytes).base64EncodedString().utf8) }

    /// The three Base64 forms of `bytes` at byte offsets 0, 1 and 2 of an enclosing blob, cut to the
    /// characters that do not depend on the neighbours (pySigma's `base64offset`).
    static func base64Offsets(_ bytes: [UInt8]) -> [[UInt8]] {
        let starts = [0, 2, 3]
        let ends: [Int?] = [nil, -3, -2]
        return (0..<3).map { i in
            let encoded = base64([UInt8](repeating: 0x20, count: i) + bytes)
            let end = ends[(bytes.count + i) % 3].map { encoded.count + $0 } ?? encoded.count
            return Array(encoded[starts[i]..<max(starts[i], end)])
        }
    }

    /// `windash`: every `-` or `/` that starts a word (preceded by the start or a non-word character,
    /// followed by a word character) in every combination of `-`, `/`, `–`, `—`, `―`.
    static let dashes: [[UInt8]] = [Array("-".utf8), Array("/".utf8), Array("\u{2013}".utf8),
                                    Array("\u{2014}".utf8), Array("\u{2015}".utf8)]

    /// How many values `windash` makes of `value` (5 to the number of word-starting dashes).
    static func windashCount(_ value: SigmaString) -> Int {
        let (_, positions) = dashPositions(value)
        var count = 1
        for _ in positions {
            count *= dashes.count
            if count > 1_000_000 { break }
        }
        return count
    }

    enum Unit: Equatable { case byte(UInt8), token(SigmaToken) }

    /// The value as units (a byte, or a wildcard, which counts as a non-word character) and the
    /// positions of the dashes `windash` varies.
    static func dashPositions(_ value: SigmaString) -> (units: [Unit], positions: [Int]) {
        var units: [Unit] = []
        for token in value.tokens {
            if case .literal(let bytes) = token { units += bytes.map(Unit.byte) } else { units.append(.token(token)) }
        }
        func isWord(_ unit: Unit?) -> Bool {
            guard case .byte(let b)? = unit else { return false }
            return b >= 0x80 || b == UInt8(ascii: "_") || ASCIIClass.isAlphanumeric(b)
        }
        var positions: [Int] = []
        for (k, unit) in units.enumerated() {
            guard unit == .byte(UInt8(ascii: "-")) || unit == .byte(UInt8(ascii: "/")) else { continue }
            let before = k > 0 ? units[k - 1] : nil
            let after = k + 1 < units.count ? units[k + 1] : nil
            if !isWord(before) && isWord(after) { positions.append(k) }
        }
        return (units, positions)
    }

    static func windash(_ value: SigmaString) -> [SigmaString] {
        let (units, positions) = dashPositions(value)
        guard !positions.isEmpty else { return [value] }
        var results: [SigmaString] = []
        var choice = [Int](repeating: 0, count: positions.count)
        while true {
            var tokens: [SigmaToken] = []
            var literal: [UInt8] = []
            var p = 0
            for (k, unit) in units.enumerated() {
                if p < positions.count, positions[p] == k {
                    literal += dashes[choice[p]]
                    p += 1
                    continue
                }
                switch unit {
                case .byte(let b): literal.append(b)
                case .token(let t):
                    if !literal.isEmpty { tokens.append(.literal(literal)) }
                    literal = []
                    tokens.append(t)
                }
            }
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            results.append(SigmaString(tokens: tokens))
            // Next combination (odometer).
            var d = positions.count - 1
            while d >= 0 {
                choice[d] += 1
                if choice[d] < dashes.count { break }
                choice[d] = 0
                d -= 1
            }
            if d < 0 { break }
        }
        return results
    }
}

enum ASCIIClass {
    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
    }
}
