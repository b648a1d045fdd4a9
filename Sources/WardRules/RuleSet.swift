import WardRegex

/// A literal that must occur in a field for a rule to be able to match.
public struct RequiredLiteral: Sendable, Hashable {
    /// The field to search; `nil` means the whole event (keywords).
    public var field: FieldRef?
    /// ASCII-lower-cased bytes.
    public var bytes: [UInt8]
}

/// A rule with what the engine's prefilter needs.
public struct CompiledRule: Sendable {
    public var rule: SigmaRule
    /// The rule can only match an event in which at least one of these literals occurs
    /// (case-insensitively, as a substring of its field). `nil`: no such set could be derived, so the
    /// rule must always be evaluated.
    public var requiredAnyOf: [RequiredLiteral]?
}

/// The compiled, immutable rule set.
///
/// **Prefilter contract.** ``prefilterPasses(_:_:)`` (and any engine built on
/// ``CompiledRule/requiredAnyOf`` or ``literalsByField``) *may pass rules that do not match an event,
/// but never drops a rule that does*: for every rule and event, `rule matches ⇒ prefilter passes`.
/// The literals are derived from the condition so that this holds: an AND needs the literals of any
/// one of its operands, an OR those of all of them, a NOT gives none (the rule is always evaluated).
/// Literals are lower-cased ASCII runs of a value, so a case-sensitive or Unicode value can only make
/// the prefilter more permissive, never stricter.
public struct RuleSet: Sendable {
    public let rules: [CompiledRule]
    /// Per field (`nil` = whole event), the prefilter literals of all rules, with their rule indices:
    /// what the engine loads into one multi-pattern matcher per field.
    public let literalsByField: [FieldRef?: [(literal: [UInt8], rule: Int)]]

    public init(_ rules: [SigmaRule]) {
        var compiled: [CompiledRule] = []
        var byField: [FieldRef?: [(literal: [UInt8], rule: Int)]] = [:]
        for (index, rule) in rules.enumerated() {
            let required = Prefilter.required(rule.condition, rule.searches)
            compiled.append(CompiledRule(rule: rule, requiredAnyOf: required))
            for literal in required ?? [] {
                byField[literal.field, default: []].append((literal.bytes, index))
            }
        }
        self.rules = compiled
        self.literalsByField = byField
    }

    /// Whether `rule` can match `event` according to its required literals (`true` when it has none).
    public func prefilterPasses(_ rule: Int, _ event: some SigmaEvent) -> Bool {
        guard let required = rules[rule].requiredAnyOf else { return true }
        return required.contains { literal in
            let search = { (value: UnsafeBufferPointer<UInt8>?) -> Bool in
                guard let value else { return false }
                return Prefilter.containsFolded(value, literal.bytes)
            }
            return literal.field.map { event.withValue(of: $0, search) } ?? event.anyKeywordText { search($0) }
        }
    }
}

/// Derives the literals a rule needs (see ``RuleSet``'s contract).
enum Prefilter {
    /// Literals shorter than this are not worth prefiltering on (they occur everywhere).
    static let minimumLength = 3

    static func required(_ condition: Condition, _ searches: [NamedSearch]) -> [RequiredLiteral]? {
        switch condition {
        case .search(let i):
            return required(searches[i].expression)
        case .and(let parts):
            return best(parts.map { required($0, searches) })
        case .or(let parts):
            return union(parts.map { required($0, searches) })
        case .not:
            return nil
        case .constant(let value):
            return value ? nil : []
        }
    }

    static func required(_ expression: SearchExpression) -> [RequiredLiteral]? {
        switch expression {
        case .allOf(let items): return best(items.map(required))
        case .anyOf(let alternatives): return union(alternatives.map(required))
        }
    }

    /// An item needs: (not negated) for each value group, one literal of each of its variants.
    static func required(_ item: DetectionItem) -> [RequiredLiteral]? {
        guard !item.negated else { return nil }
        var groupLiterals: [[RequiredLiteral]] = []
        for group in item.groups {
            var literals: [RequiredLiteral] = []
            for matcher in group {
                guard let bytes = literal(of: matcher) else { return nil }
                literals.append(RequiredLiteral(field: item.field, bytes: bytes))
            }
            groupLiterals.append(literals)
        }
        if item.requireAll {
            // Every group must match: any single group's literals are required.
            return best(groupLiterals.map { Optional($0) })
        }
        return union(groupLiterals.map { Optional($0) })
    }

    /// The longest lower-cased ASCII run of a pattern's literals, if long enough.
    static func literal(of matcher: ValueMatcher) -> [UInt8]? {
        let pattern: CompiledPattern
        switch matcher {
        case .pattern(let p): pattern = p
        case .integer(_, let p): pattern = p
        case .regex(let program): return RegexLiteral.required(in: program.pattern)
        default: return nil
        }
        var bestRun: [UInt8] = []
        for token in pattern.source.tokens {
            guard case .literal(let bytes) = token else { continue }
            var run: [UInt8] = []
            for b in bytes + [0x80] {
                if b < 0x80 {
                    run.append(ASCIIFold.fold(b))
                } else {
                    if run.count > bestRun.count { bestRun = run }
                    run = []
                }
            }
        }
        return bestRun.count >= minimumLength ? bestRun : nil
    }

    /// AND: any one operand's requirement suffices; choose the most selective (fewest alternatives,
    /// then the longest shortest literal).
    static func best(_ options: [[RequiredLiteral]?]) -> [RequiredLiteral]? {
        let known = options.compactMap { $0 }
        return known.min { a, b in
            if a.count != b.count { return a.count < b.count }
            return (a.map(\.bytes.count).min() ?? 0) > (b.map(\.bytes.count).min() ?? 0)
        }
    }

    /// OR: every operand must contribute; if one cannot, there is no requirement.
    static func union(_ options: [[RequiredLiteral]?]) -> [RequiredLiteral]? {
        var all: [RequiredLiteral] = []
        var seen = Set<RequiredLiteral>()
        for option in options {
            guard let option else { return nil }
            for literal in option where seen.insert(literal).inserted { all.append(literal) }
        }
        return all
    }

    static func containsFolded(_ value: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        let n = needle.count
        if n == 0 { return true }
        guard value.count >= n else { return false }
        var i = 0
        while i <= value.count - n {
            var k = 0
            while k < n && ASCIIFold.fold(value[i + k]) == needle[k] { k += 1 }
            if k == n { return true }
            i += 1
        }
        return false
    }
}

/// What the occurrence of a matcher's prefilter literal says about the matcher.
public enum LiteralDecision: Sendable {
    /// Present: the matcher may match (it must be evaluated).
    case maybe
    /// A case-insensitive ASCII `contains` / `startswith` / `endswith` / equality of exactly the
    /// literal: true if and only if the literal occurs anywhere / at the value's start / at its end /
    /// as the whole value.
    case contains, prefix, suffix, equals
}

extension ValueMatcher {
    /// The literal the prefilter would look for to decide this matcher (its longest lower-cased ASCII
    /// run, at least ``Prefilter/minimumLength`` bytes), and what its occurrence decides. Without the
    /// literal the matcher is false in every case.
    public var prefilterLiteral: (bytes: [UInt8], decision: LiteralDecision)? {
        guard let bytes = Prefilter.literal(of: self) else { return nil }
        guard case .pattern(let p) = self, !p.caseSensitive, !p.unicode, p.literal == bytes else { return (bytes, .maybe) }
        switch p.kind {
        case .contains: return (bytes, .contains)
        case .prefix: return (bytes, .prefix)
        case .suffix: return (bytes, .suffix)
        case .equals: return (bytes, .equals)
        case .wildcard: return (bytes, .maybe)
        }
    }
}
