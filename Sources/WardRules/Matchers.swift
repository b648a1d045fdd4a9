import Foundation
import WardCore
import WardRegex

#if canImport(Glibc)
import Glibc
#endif

/// What the evaluator needs from an event: field values by (mapped) name, the whole line, the time.
///
/// The engine implements this over an `EventBatch`; tests implement it over a dictionary.
public protocol SigmaEvent {
    /// Calls `body` with the bytes of `field`, or `nil` when the event has no such field.
    func withValue<R>(of field: FieldRef, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R
    /// Calls `body` with the whole event text.
    func withOriginal<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R
    /// Whether `body` is true for one of the texts a keyword searches: the line for text formats; for
    /// structured events (JSON, Windows) each value, decoded (a keyword with `"` or `\` finds it in
    /// `"-Confirm \"False\""`, which the escaped line does not hold).
    func anyKeywordText(_ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool
    /// The event's time in UTC nanoseconds, if it has one.
    var timestamp: Int64? { get }
}

extension SigmaEvent {
    public func anyKeywordText(_ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool { withOriginal(body) }
}

/// A field as rules refer to it after mapping: the event-side name, and its ``FieldID`` when it is a
/// well-known one (so the engine can look it up without comparing names).
public final class FieldRef: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let id: FieldID?
    /// The name as bytes, for comparing with namespaced slot names without making strings.
    public let nameBytes: [UInt8]

    /// A class, not a struct: rules hold thousands of these and the engine passes them per event;
    /// sharing one reference costs one retain where a struct would copy a string and an array.
    public init(_ name: String) {
        self.name = name
        self.id = FieldID(named: name)
        self.nameBytes = Array(name.utf8)
    }

    public static func == (lhs: FieldRef, rhs: FieldRef) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    public var description: String { name }
}

/// A Sigma string compiled for matching: the shape decides the fast path (hayabusa's `FastMatch`).
public final class CompiledPattern: Sendable {
    public enum Kind: String, Sendable {
        case equals, prefix, suffix, contains, wildcard
    }
    // A class (immutable, shared): matching binds it out of `ValueMatcher` without copying its arrays.

    public let kind: Kind
    /// The literal for `equals`/`prefix`/`suffix`/`contains`, folded to lower case unless case-sensitive.
    public let literal: [UInt8]
    /// Byte-level program for `wildcard`.
    let program: [GlobUnit]
    public let caseSensitive: Bool
    /// The literal has non-ASCII letters: compare with Unicode lower-casing (slow path, rare).
    public let unicode: Bool
    public let source: SigmaString

    enum GlobUnit: Sendable, Hashable {
        case byte(UInt8), one, run
    }

    public init(_ value: SigmaString, caseSensitive: Bool) {
        self.source = value
        self.caseSensitive = caseSensitive
        let hasNonASCII = value.tokens.contains { token in
            if case .literal(let bytes) = token { return bytes.contains { $0 >= 0x80 } }
            return false
        }
        self.unicode = hasNonASCII && !caseSensitive
        func fold(_ bytes: [UInt8]) -> [UInt8] {
            if caseSensitive { return bytes }
            if hasNonASCII { return Array(String(decoding: bytes, as: UTF8.self).lowercased().utf8) }
            return bytes.map { ($0 &- 0x41) < 26 ? $0 | 0x20 : $0 }
        }
        let t = value.tokens
        switch t.count {
        case 0:
            (kind, literal) = (.equals, [])
        case 1 where t[0].isLiteral:
            (kind, literal) = (.equals, fold(t.literalBytes(0)))
        case 1 where t[0] == .anyRun:
            (kind, literal) = (.contains, [])
        case 2 where t[0].isLiteral && t[1] == .anyRun:
            (kind, literal) = (.prefix, fold(t.literalBytes(0)))
        case 2 where t[0] == .anyRun && t[1].isLiteral:
            (kind, literal) = (.suffix, fold(t.literalBytes(1)))
        case 3 where t[0] == .anyRun && t[1].isLiteral && t[2] == .anyRun:
            (kind, literal) = (.contains, fold(t.literalBytes(1)))
        default:
            (kind, literal) = (.wildcard, [])
        }
        var program: [GlobUnit] = []
        if kind == .wildcard {
            for token in t {
                switch token {
                case .anyRun: program.append(.run)
                case .anyOne: program.append(.one)
                case .literal(let bytes): program += fold(bytes).map(GlobUnit.byte)
                }
            }
        }
        self.program = program
    }

    /// Whether `value` matches (whole value; wildcards as compiled).
    public func matches(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        if unicode {
            let lowered = Array(String(decoding: value, as: UTF8.self).lowercased().utf8)
            return lowered.withUnsafeBufferPointer { matchFolded($0, alreadyFolded: true) }
        }
        return matchFolded(value, alreadyFolded: caseSensitive)
    }

    private func matchFolded(_ v: UnsafeBufferPointer<UInt8>, alreadyFolded: Bool) -> Bool {
        @inline(__always) func f(_ b: UInt8) -> UInt8 { alreadyFolded || (b &- 0x41) >= 26 ? b : b | 0x20 }
        let n = literal.count
        switch kind {
        case .equals:
            guard v.count == n else { return false }
            for k in 0..<n where f(v[k]) != literal[k] { return false }
            return true
        case .prefix:
            guard v.count >= n else { return false }
            for k in 0..<n where f(v[k]) != literal[k] { return false }
            return true
        case .suffix:
            guard v.count >= n else { return false }
            let offset = v.count - n
            for k in 0..<n where f(v[offset + k]) != literal[k] { return false }
            return true
        case .contains:
            if n == 0 { return true }
            guard v.count >= n else { return false }
            let first = literal[0]
            var start = 0
            while start <= v.count - n {
                if f(v[start]) == first {
                    var k = 1
                    while k < n && f(v[start + k]) == literal[k] { k += 1 }
                    if k == n { return true }
                }
                start += 1
            }
            return false
        case .wildcard:
            return glob(v, fold: f)
        }
    }

    /// Wildcard match with one backtracking point per `*` (linear for patterns without `*`).
    private func glob(_ v: UnsafeBufferPointer<UInt8>, fold f: (UInt8) -> UInt8) -> Bool {
        var p = 0, s = 0
        var starP = -1, starS = 0
        let units = program
        while s < v.count {
            if p < units.count {
                switch units[p] {
                case .run:
                    starP = p
                    starS = s
                    p += 1
                    continue
                case .one:
                    p += 1
                    s += utf8Length(v[s])
                    continue
                case .byte(let b) where b == f(v[s]):
                    p += 1
                    s += 1
                    continue
                default:
                    break
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starS += 1
            s = starS
        }
        while p < units.count, units[p] == .run { p += 1 }
        return p == units.count && s == v.count || (p == units.count && s >= v.count)
    }

    private func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}

extension Array where Element == SigmaToken {
    func literalBytes(_ i: Int) -> [UInt8] {
        if case .literal(let bytes) = self[i] { return bytes }
        return []
    }
}

/// An IPv4 or IPv6 network (`cidr`).
public struct CIDRNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: [UInt8]  // 4 or 16 bytes
    public let prefixLength: Int
    public let text: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = CIDRNetwork.parseAddress(String(parts[0])) else { return nil }
        let maxPrefix = address.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : maxPrefix
        guard let prefix, prefix >= 0, prefix <= maxPrefix else { return nil }
        self.address = address
        self.prefixLength = prefix
        self.text = text
    }

    public var description: String { text }

    /// 4 bytes for IPv4, 16 for IPv6 (`inet_pton`), or `nil`.
    public static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    public func contains(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard value.count > 0, value.count < 64,
              let address = CIDRNetwork.parseAddress(String(decoding: value, as: UTF8.self)),
              address.count == self.address.count
        else { return false }
        var bits = prefixLength
        var k = 0
        while bits >= 8 {
            if address[k] != self.address[k] { return false }
            bits -= 8
            k += 1
        }
        if bits > 0 {
            let mask = UInt8(0xFF) << (8 - bits)
            if address[k] & mask != self.address[k] & mask { return false }
        }
        return true
    }
}

/// One value of a detection item, compiled.
public enum ValueMatcher: Sendable {
    /// Whole-value match with wildcards (`contains` & co. are wildcard-wrapped patterns).
    case pattern(CompiledPattern)
    /// An integer in the rule: the field's text equals it, or parses as the same number.
    case integer(Int64, CompiledPattern)
    /// `re`: unanchored search.
    case regex(RegexProgram)
    case cidr(CIDRNetwork)
    /// `lt`/`lte`/`gt`/`gte`: the field parsed as a number.
    case numeric(NumericComparison, Double)
    /// Time modifiers: a part of the field's timestamp compared with a number.
    case timePart(TimePart, NumericComparison, Double)
    /// `exists: true|false`.
    case exists(Bool)
    /// `null`: the field is absent.
    case null
    /// `fieldref`: compare with another field's value (wrapped for contains/startswith/endswith).
    case fieldref(FieldRef, leading: Bool, trailing: Bool, caseSensitive: Bool)
}

/// Per-thread state for evaluating rules.
public final class MatchScratch {
    public let regex = RegexScratch()
    public init() {}
}

extension ValueMatcher {
    /// What makes two matchers the same test (the engine evaluates each distinct one once per event).
    public struct Identity: Hashable, Sendable {
        var tag: UInt8
        var text: String = ""
        var source: SigmaString?
        var number: Double = 0
        var flags: Int = 0
    }

    public var identity: Identity {
        switch self {
        case .pattern(let p):
            return Identity(tag: 0, text: p.kind.rawValue, source: p.source, flags: p.caseSensitive ? 1 : 0)
        case .integer(let n, let p):
            return Identity(tag: 1, text: p.kind.rawValue, source: p.source, number: Double(n), flags: p.caseSensitive ? 1 : 0)
        case .regex(let r): return Identity(tag: 2, text: r.pattern, flags: Int(r.options.rawValue))
        case .cidr(let c): return Identity(tag: 3, text: c.text)
        case .numeric(let comparison, let bound): return Identity(tag: 4, text: comparison.rawValue, number: bound)
        case .timePart(let part, let comparison, let bound):
            return Identity(tag: 5, text: part.rawValue + "|" + comparison.rawValue, number: bound)
        case .exists(let wanted): return Identity(tag: 6, flags: wanted ? 1 : 0)
        case .null: return Identity(tag: 7)
        case .fieldref(let other, let leading, let trailing, let caseSensitive):
            return Identity(tag: 8, text: other.name, flags: (leading ? 1 : 0) | (trailing ? 2 : 0) | (caseSensitive ? 4 : 0))
        }
    }

    /// Whether `value` (the field's bytes, or `nil` if absent) satisfies this matcher.
    public func matches(_ value: UnsafeBufferPointer<UInt8>?, event: some SigmaEvent, scratch: MatchScratch) -> Bool {
        switch self {
        case .exists(let wanted):
            return (value != nil) == wanted
        case .null:
            return value == nil
        default:
            break
        }
        guard let value else { return false }
        switch self {
        case .pattern(let pattern):
            return pattern.matches(value)
        case .integer(let number, let pattern):
            return pattern.matches(value) || Self.integer(value) == number
        case .regex(let program):
            return program.matches(value, scratch: scratch.regex)
        case .cidr(let network):
            return network.contains(value)
        case .numeric(let comparison, let bound):
            guard let number = Self.number(value) else { return false }
            return comparison.holds(number, bound)
        case .timePart(let part, let comparison, let bound):
            guard let nanos = Self.timestamp(value) else { return false }
            return comparison.holds(Double(Self.extract(part, from: nanos)), bound)
        case .fieldref(let other, let leading, let trailing, let caseSensitive):
            return event.withValue(of: other) { otherValue -> Bool in
                guard let otherValue else { return false }
                var tokens: [SigmaToken] = [.literal(Array(otherValue))]
                if leading { tokens.insert(.anyRun, at: 0) }
                if trailing { tokens.append(.anyRun) }
                return CompiledPattern(SigmaString(tokens: tokens), caseSensitive: caseSensitive).matches(value)
            }
        case .exists, .null:
            return false
        }
    }

    /// `Int64(text)` of the bytes (an optional sign, then decimal digits), without making a string.
    static func integer(_ v: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var negative = false
        if i < v.count && (v[i] == UInt8(ascii: "+") || v[i] == UInt8(ascii: "-")) {
            negative = v[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < v.count else { return nil }
        var n: Int64 = 0
        while i < v.count {
            let d = v[i] &- 0x30
            guard d < 10 else { return nil }
            let (times, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = negative ? times.subtractingReportingOverflow(Int64(d)) : times.addingReportingOverflow(Int64(d))
            if o1 || o2 { return nil }
            n = sum
            i += 1
        }
        return n
    }

    /// The value as a number, as `Double(text.trimmingCharacters(in: .whitespaces))` reads it; plain
    /// integers (the common case: ports, sizes, counts) without making a string.
    static func number(_ v: UnsafeBufferPointer<UInt8>) -> Double? {
        var start = 0, end = v.count
        while start < end && (v[start] == 0x20 || v[start] == 0x09) { start += 1 }
        while end > start && (v[end - 1] == 0x20 || v[end - 1] == 0x09) { end -= 1 }
        let trimmed = UnsafeBufferPointer(rebasing: v[start..<end])
        if end - start <= 15, let n = integer(trimmed) { return Double(n) }
        if v.contains(where: { $0 >= 0x80 }) {
            // Unicode spaces around the number: Foundation's trimming, as before.
            return Double(String(decoding: v, as: UTF8.self).trimmingCharacters(in: .whitespaces))
        }
        return Double(String(decoding: trimmed, as: UTF8.self))
    }

    static func timestamp(_ value: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let base = value.baseAddress, value.count >= 19 else { return nil }
        let parsed = RFC3339.parse(base, from: 0, to: value.count, strict: false)
        return parsed.errorAt == nil ? parsed.nanos : nil
    }

    static func extract(_ part: TimePart, from nanos: Int64) -> Int {
        let seconds = nanos >= 0 ? nanos / 1_000_000_000 : (nanos - 999_999_999) / 1_000_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (y, m, d) = CivilTime.civilFromDays(days)
        switch part {
        case .minute: return secondOfDay / 60 % 60
        case .hour: return secondOfDay / 3600
        case .day: return d
        case .month: return m
        case .year: return y
        case .week:
            // ISO 8601 week number: the week with the year's first Thursday is week 1.
            let weekday = Int((days + 3) % 7 + 7) % 7 + 1  // Monday = 1
            let thursday = days - Int64(weekday) + 4
            let thursdayYear = CivilTime.civilFromDays(thursday).year
            let jan1 = CivilTime.daysFromCivil(year: thursdayYear, month: 1, day: 1)
            return Int((thursday - jan1) / 7) + 1
        }
    }
}
