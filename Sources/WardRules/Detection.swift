import Yams
import WardRegex

/// One `field|modifiers: values` entry of a search identifier, compiled.
/// Immutable and shared by reference: the engine walks thousands of these per second.
public final class DetectionItem: Sendable {
    /// The event field after mapping; `nil` for keywords, which search the whole event.
    public let field: FieldRef?
    /// The field name as the rule wrote it.
    public let sigmaField: String?
    public let modifiers: [SigmaModifier]
    /// One group per value in the rule; a group holds that value's expansions (windash,
    /// base64offset, placeholders), which are always OR-ed, even under `all` (pySigma).
    public let groups: [[ValueMatcher]]
    /// `all`: every group must match; otherwise any.
    public let requireAll: Bool
    /// `neq`: the item is true when none of the values matches (also when the field is absent).
    public let negated: Bool
    public let location: SourceLocation

    public init(field: FieldRef?, sigmaField: String?, modifiers: [SigmaModifier], groups: [[ValueMatcher]],
                requireAll: Bool, negated: Bool, location: SourceLocation) {
        self.field = field
        self.sigmaField = sigmaField
        self.modifiers = modifiers
        self.groups = groups
        self.requireAll = requireAll
        self.negated = negated
        self.location = location
    }

    public var isKeyword: Bool { field == nil }

    /// Evaluates the item on `event`.
    public func matches(_ event: some SigmaEvent, scratch: MatchScratch) -> Bool {
        func evaluate(_ value: UnsafeBufferPointer<UInt8>?) -> Bool {
            func hit(_ group: [ValueMatcher]) -> Bool {
                group.contains { $0.matches(value, event: event, scratch: scratch) }
            }
            return requireAll ? groups.allSatisfy(hit) : groups.contains(where: hit)
        }
        let result: Bool
        if let field {
            result = event.withValue(of: field, evaluate)
        } else if requireAll {
            // Keywords with `all`: each in some text (for structured events, values may differ).
            result = groups.allSatisfy { group in
                event.anyKeywordText { text in group.contains { $0.matches(text, event: event, scratch: scratch) } }
            }
        } else {
            result = event.anyKeywordText { evaluate($0) }
        }
        return negated ? !result : result
    }
}

/// The definition of a search identifier: maps are AND, lists are OR.
public indirect enum SearchExpression: Sendable {
    case allOf([DetectionItem])
    case anyOf([SearchExpression])

    public func matches(_ event: some SigmaEvent, scratch: MatchScratch) -> Bool {
        switch self {
        case .allOf(let items): return items.allSatisfy { $0.matches(event, scratch: scratch) }
        case .anyOf(let alternatives): return alternatives.contains { $0.matches(event, scratch: scratch) }
        }
    }

    /// Every item, depth first.
    public var items: [DetectionItem] {
        switch self {
        case .allOf(let items): return items
        case .anyOf(let alternatives): return alternatives.flatMap(\.items)
        }
    }
}

/// Builds detection items from YAML, reporting problems with their positions.
struct DetectionBuilder {
    var fieldMapper: (String) -> FieldRef
    var placeholders: [String: [String]]

    // MARK: - Search identifiers

    func search(_ node: Node, sink: inout DiagnosticSink) -> SearchExpression? {
        switch node {
        case .mapping:
            var items: [DetectionItem] = []
            var ok = true
            for entry in node.entries ?? [] {
                if let item = self.item(key: entry.key, at: entry.keyNode.location, values: entry.value, sink: &sink) {
                    items.append(item)
                } else {
                    ok = false
                }
            }
            if items.isEmpty && ok {
                sink.error(node.location, "a search identifier must not be an empty map")
                return nil
            }
            return ok ? .allOf(items) : nil
        case .sequence(let sequence):
            if sequence.isEmpty {
                sink.error(node.location, "a search identifier must not be an empty list")
                return nil
            }
            if sequence.allSatisfy(\.isScalar) {
                return item(key: "", at: node.location, values: node, sink: &sink).map { .allOf([$0]) }
            }
            var alternatives: [SearchExpression] = []
            var ok = true
            for element in sequence {
                if element.isScalar {
                    if let keyword = item(key: "", at: element.location, values: element, sink: &sink) {
                        alternatives.append(.allOf([keyword]))
                    } else {
                        ok = false
                    }
                } else if let expression = search(element, sink: &sink) {
                    alternatives.append(expression)
                } else {
                    ok = false
                }
            }
            return ok ? .anyOf(alternatives) : nil
        case .scalar:
            return item(key: "", at: node.location, values: node, sink: &sink).map { .allOf([$0]) }
        case .alias:
            sink.error(node.location, "YAML aliases are not supported in detections")
            return nil
        }
    }

    // MARK: - Items

    /// `key` is `field|mod|mod` (or `|mod` / empty for keywords).
    func item(key: String, at location: SourceLocation, values valueNode: Node, sink: inout DiagnosticSink)
        -> DetectionItem?
    {
        let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let fieldName = parts[0]
        var modifiers: [SigmaModifier] = []
        var ok = true
        for (index, name) in parts.dropFirst().enumerated() {
            guard let modifier = SigmaModifier(rawValue: name) else {
                let hint = SigmaModifier.allCases.map(\.rawValue).min { editDistance($0, name) < editDistance($1, name) }
                let suggestion = hint.map { editDistance($0, name) <= 2 ? " (did you mean '\($0)'?)" : "" } ?? ""
                sink.error(location, "unknown modifier '\(name)'\(suggestion)")
                ok = false
                continue
            }
            if modifier.mustBeFirst && index != 0 {
                sink.error(location, "modifier '\(name)' must come first in the chain")
                ok = false
            }
            if modifier.isRegexFlag && !modifiers.contains(.re) {
                sink.error(location, "regex flag '\(name)' needs 're' before it")
                ok = false
            }
            if modifiers.contains(modifier) && modifier != .base64 {
                sink.warning(location, "modifier '\(name)' is used twice")
            }
            modifiers.append(modifier)
        }
        guard ok else { return nil }

        let valueNodes: [Node]
        if case .sequence(let sequence) = valueNode {
            valueNodes = Array(sequence)
        } else {
            valueNodes = [valueNode]
        }
        if valueNodes.isEmpty {
            sink.error(valueNode.location, "'\(key)' has an empty list of values")
            return nil
        }
        if modifiers.contains(.all) {
            if valueNodes.count == 1 { sink.warning(location, "'all' on a single value has no effect") }
            if modifiers.contains(.windash) { sink.warning(location, "'windash' with 'all' rarely does what is meant") }
            if !fieldName.isEmpty && !modifiers.contains(where: { [.contains, .startswith, .endswith, .re].contains($0) })
                && valueNodes.count > 1 {
                sink.warning(location, "'\(fieldName)|all' without 'contains' requires one field to equal several values")
            }
        }
        if valueNodes.count > 1, valueNodes.contains(where: { $0.scalarKind == .null }) {
            sink.error(valueNode.location, "null cannot be one value of a list; use a separate selection")
            return nil
        }

        let isKeyword = fieldName.isEmpty
        var groups: [[ValueMatcher]] = []
        for node in valueNodes {
            guard let group = matchers(for: node, modifiers: modifiers, keyword: isKeyword, key: key, sink: &sink) else {
                ok = false
                continue
            }
            groups.append(group)
        }
        guard ok else { return nil }
        return DetectionItem(
            field: isKeyword ? nil : fieldMapper(fieldName), sigmaField: isKeyword ? nil : fieldName,
            modifiers: modifiers, groups: groups, requireAll: modifiers.contains(.all),
            negated: modifiers.contains(.neq), location: location)
    }

    /// The matchers one rule value turns into.
    func matchers(for node: Node, modifiers: [SigmaModifier], keyword: Bool, key: String,
                  sink: inout DiagnosticSink) -> [ValueMatcher]? {
        let at = node.location
        guard let kind = node.scalarKind else {
            sink.error(at, "a value must be a string, number, boolean or null, not a \(node.isScalar ? "scalar" : "list or map")")
            return nil
        }
        let cased = modifiers.contains(.cased)

        if modifiers.first == .exists {
            guard modifiers.count == 1 else {
                sink.error(at, "'exists' takes no other modifier")
                return nil
            }
            guard case .boolean(let wanted) = kind else {
                sink.error(at, "'exists' needs true or false")
                return nil
            }
            return [.exists(wanted)]
        }
        if kind == .null {
            if keyword {
                sink.error(at, "a keyword cannot be null")
                return nil
            }
            return [.null]
        }
        let text: String
        switch kind {
        case .string(let s), .integer(let s), .float(let s): text = s
        case .boolean(let b): text = b ? "true" : "false"
        case .null: text = ""
        }

        // Placeholders are filled in the raw text, before wildcards are read.
        var texts = [text]
        if modifiers.contains(.expand) {
            guard let expanded = expand(text, at: at, sink: &sink) else { return nil }
            texts = expanded
        }

        if modifiers.first == .re {
            var options: RegexProgram.Options = []
            if modifiers.contains(.i) || modifiers.contains(.ignorecase) { options.insert(.caseInsensitive) }
            if modifiers.contains(.m) || modifiers.contains(.multiline) { options.insert(.multiline) }
            if modifiers.contains(.s) || modifiers.contains(.dotall) { options.insert(.dotAll) }
            let allowed: Set<SigmaModifier> = [.re, .i, .m, .s, .ignorecase, .multiline, .dotall, .all, .expand, .neq,
                                               .contains, .startswith, .endswith, .cased]
            if let other = modifiers.first(where: { !allowed.contains($0) }) {
                sink.error(at, "modifier '\(other.rawValue)' cannot follow 're'")
                return nil
            }
            var result: [ValueMatcher] = []
            for pattern in texts {
                if RegexLint.hasNestedUnboundedQuantifier(pattern) {
                    sink.warning(at, "regular expression repeats a group that itself repeats without bound (like (a+)+): prone to catastrophic backtracking on long lines (ReDoS); PCRE2 gives up at its match limit and the alert is flagged")
                }
                do {
                    result.append(.regex(try RegexProgram(pattern, options: options)))
                } catch {
                    sink.error(at, "invalid regular expression: \(error)")
                    return nil
                }
            }
            return result
        }
        if modifiers.first == .cidr {
            var result: [ValueMatcher] = []
            for t in texts {
                guard let network = CIDRNetwork(t) else {
                    sink.error(at, "'\(t)' is not an IPv4 or IPv6 network (like 10.0.0.0/8 or fe80::/10)")
                    return nil
                }
                result.append(.cidr(network))
            }
            return result
        }
        let comparison = modifiers.first(where: \.isComparison).flatMap { NumericComparison(rawValue: $0.rawValue) }
        if let part = modifiers.first(where: \.isTimePart).flatMap({ TimePart(rawValue: $0.rawValue) }) {
            guard let number = Double(text) else {
                sink.error(at, "'\(part.rawValue)' needs a number, not '\(text)'")
                return nil
            }
            return [.timePart(part, comparison ?? .eq, number)]
        }
        if let comparison {
            guard case .integer = kind, let number = Double(text) else {
                if case .float = kind, let number = Double(text) { return [.numeric(comparison, number)] }
                sink.error(at, "'\(comparison.rawValue)' needs a number, not '\(text)'")
                return nil
            }
            return [.numeric(comparison, number)]
        }
        if modifiers.contains(.fieldref) {
            let leading = modifiers.contains(.contains) || modifiers.contains(.endswith)
            let trailing = modifiers.contains(.contains) || modifiers.contains(.startswith)
            return texts.map { .fieldref(fieldMapper($0), leading: leading, trailing: trailing, caseSensitive: cased) }
        }

        // Strings: wildcards, then the modifiers left to right.
        var variants = texts.map(SigmaString.init(parsing:))
        if keyword {
            variants = variants.map(Self.wrapContains)
        }
        for modifier in modifiers {
            switch modifier {
            case .contains:
                variants = variants.map(Self.wrapContains)
            case .startswith:
                variants = variants.map { $0.tokens.last == .anyRun ? $0 : $0.appending(.anyRun) }
            case .endswith:
                variants = variants.map { $0.tokens.first == .anyRun ? $0 : $0.prepending(.anyRun) }
            case .windash:
                let total = variants.reduce(0) { $0 + ValueEncoding.windashCount($1) }
                if total > Self.maximumExpansions {
                    sink.error(at, "'windash' expands this value to \(total) variants (at most \(Self.maximumExpansions)); split it into several values")
                    return nil
                }
                variants = variants.flatMap(ValueEncoding.windash)
            case .base64, .base64offset:
                var encoded: [SigmaString] = []
                for v in variants {
                    guard let bytes = v.plainBytes else {
                        sink.error(at, "'\(modifier.rawValue)' cannot encode wildcards; put it before 'contains', 'startswith' or 'endswith'")
                        return nil
                    }
                    if modifier == .base64 {
                        encoded.append(SigmaString(literal: ValueEncoding.base64(bytes)))
                    } else {
                        encoded += ValueEncoding.base64Offsets(bytes).map { SigmaString(literal: $0) }
                    }
                }
                variants = encoded
            case .wide, .utf16le:
                variants = variants.map { $0.mapLiterals { ValueEncoding.utf16($0, bigEndian: false) } }
            case .utf16be:
                variants = variants.map { $0.mapLiterals { ValueEncoding.utf16($0, bigEndian: true) } }
            case .utf16:
                variants = variants.map { $0.mapLiterals { ValueEncoding.utf16($0, bigEndian: false) }.prepending(.literal([0xFF, 0xFE])) }
            case .all, .cased, .expand, .neq:
                continue
            case .re, .i, .m, .s, .ignorecase, .multiline, .dotall, .cidr, .exists, .fieldref,
                 .lt, .lte, .gt, .gte, .minute, .hour, .day, .week, .month, .year:
                sink.error(at, "modifier '\(modifier.rawValue)' cannot be used here")
                return nil
            }
        }
        let integer: Int64? = {
            if case .integer(let s) = kind, modifiers.isEmpty { return Int64(s) }
            return nil
        }()
        return variants.map { variant in
            let pattern = CompiledPattern(variant, caseSensitive: cased)
            if let integer { return .integer(integer, pattern) }
            return .pattern(pattern)
        }
    }

    /// Expansions (windash, placeholders) beyond this are an error, not a hang: 5 dash positions give
    /// 3,125 variants, the corpus's largest use has 2.
    static let maximumExpansions = 10_000

    static func wrapContains(_ v: SigmaString) -> SigmaString {
        var out = v
        if out.tokens.first != .anyRun { out = out.prepending(.anyRun) }
        if out.tokens.last != .anyRun { out = out.appending(.anyRun) }
        return out
    }

    /// Replaces `%name%` placeholders (`\%` is a literal percent) with every combination of values.
    func expand(_ text: String, at: SourceLocation, sink: inout DiagnosticSink) -> [String]? {
        var results = [""]
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "%") {
            if open > rest.startIndex, rest[rest.index(before: open)] == "\\" {
                let prefix = rest[..<rest.index(before: open)]
                results = results.map { $0 + prefix + "%" }
                rest = rest[rest.index(after: open)...]
                continue
            }
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "%"), close > afterOpen else {
                results = results.map { $0 + rest }
                rest = rest[rest.endIndex...]
                break
            }
            let name = String(rest[afterOpen..<close])
            guard let values = placeholders[name] else {
                sink.error(at, "placeholder '%\(name)%' has no values; the rule is skipped. Give them with --placeholders FILE (a YAML map like '\(name): [value, …]')")
                return nil
            }
            if values.isEmpty {
                // An empty list is a deliberate answer: the value matches nothing.
                sink.warning(at, "placeholder '%\(name)%' is an empty list: this value matches nothing")
                sink.emptyPlaceholders.append(name)
                return []
            }
            let prefix = rest[..<open]
            guard results.count * values.count <= Self.maximumExpansions else {
                sink.error(at, "placeholders expand this value to more than \(Self.maximumExpansions) values")
                return nil
            }
            results = results.flatMap { head in values.map { head + prefix + $0 } }
            rest = rest[rest.index(after: close)...]
        }
        return results.map { $0 + rest }
    }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
