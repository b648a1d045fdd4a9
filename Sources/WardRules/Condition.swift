/// A rule's condition, with identifiers resolved to the rule's search expressions.
public indirect enum Condition: Sendable, Equatable {
    case search(Int)
    case and([Condition])
    case or([Condition])
    case not(Condition)
    /// An `x of pattern` that matched no identifier (pySigma drops it; we evaluate it as false).
    case constant(Bool)

    public func evaluate(_ search: (Int) -> Bool) -> Bool {
        switch self {
        case .search(let i): return search(i)
        case .and(let parts): return parts.allSatisfy { $0.evaluate(search) }
        case .or(let parts): return parts.contains { $0.evaluate(search) }
        case .not(let inner): return !inner.evaluate(search)
        case .constant(let value): return value
        }
    }

    /// Renumbers search indices (merging a filter's searches into a rule's).
    func offset(by delta: Int) -> Condition {
        switch self {
        case .search(let i): return .search(i + delta)
        case .and(let parts): return .and(parts.map { $0.offset(by: delta) })
        case .or(let parts): return .or(parts.map { $0.offset(by: delta) })
        case .not(let inner): return .not(inner.offset(by: delta))
        case .constant: return self
        }
    }
}

/// A problem in a condition string: what, and the 0-based character offset in the string.
struct ConditionError: Error, Equatable {
    var offset: Int
    var message: String
}

/// Parses Sigma conditions (`SIGMA.md` §5.1):
///
/// ```
/// or_expr  := and_expr ("or" and_expr)*
/// and_expr := not_expr ("and" not_expr)*
/// not_expr := "not" not_expr | atom
/// atom     := "(" or_expr ")" | ("1" | "any" | "all") "of" (pattern | "them") | identifier
/// ```
///
/// Operators are lower-case words; `them` and patterns (`selection_*`) skip identifiers that start
/// with `_` unless the pattern itself does.
struct ConditionParser {
    enum Token: Equatable {
        case word(String)
        case open, close
    }

    let text: String
    let identifiers: [String]
    private var tokens: [(Token, Int)] = []
    private var position = 0
    /// Parentheses and `not`s open around the current position: the parser recurses once for each,
    /// so a condition of a thousand `(` overflowed the stack (FuzzCondition, 2026-11-29).
    private var depth = 0
    /// Far beyond any real condition (SigmaHQ's deepest nests 4).
    static let maximumDepth = 64
    /// Warnings found while parsing (patterns that match nothing).
    private(set) var warnings: [ConditionError] = []

    init(_ text: String, identifiers: [String]) {
        self.text = text
        self.identifiers = identifiers
    }

    mutating func parse() throws(ConditionError) -> Condition {
        try tokenize()
        guard !tokens.isEmpty else { throw ConditionError(offset: 0, message: "the condition is empty") }
        let condition = try orExpression()
        if position < tokens.count {
            throw ConditionError(offset: tokens[position].1, message: "unexpected '\(describe(tokens[position].0))'")
        }
        return condition
    }

    private mutating func tokenize() throws(ConditionError) {
        let chars = Array(text.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                i += 1
            } else if c == "(" {
                tokens.append((.open, i))
                i += 1
            } else if c == ")" {
                tokens.append((.close, i))
                i += 1
            } else if c == "|" {
                throw ConditionError(offset: i, message: "'|' aggregations (count(), near) were removed in Sigma 2.0; rewrite this as a correlation rule")
            } else {
                let start = i
                var word = ""
                while i < chars.count, !" \t\n\r()|".unicodeScalars.contains(chars[i]) {
                    word.unicodeScalars.append(chars[i])
                    i += 1
                }
                tokens.append((.word(word), start))
            }
        }
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case .word(let w): return w
        case .open: return "("
        case .close: return ")"
        }
    }

    private func peekWord() throws(ConditionError) -> String? {
        guard position < tokens.count, case .word(let w) = tokens[position].0 else { return nil }
        if w != w.lowercased(), ["and", "or", "not", "of"].contains(w.lowercased()) {
            throw ConditionError(offset: tokens[position].1, message: "operators are lower case: write '\(w.lowercased())'")
        }
        return w
    }

    private var offset: Int { position < tokens.count ? tokens[position].1 : text.unicodeScalars.count }

    private mutating func orExpression() throws(ConditionError) -> Condition {
        var parts = [try andExpression()]
        while try peekWord() == "or" {
            position += 1
            parts.append(try andExpression())
        }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    private mutating func andExpression() throws(ConditionError) -> Condition {
        var parts = [try notExpression()]
        while try peekWord() == "and" {
            position += 1
            parts.append(try notExpression())
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    private mutating func notExpression() throws(ConditionError) -> Condition {
        if try peekWord() == "not" {
            try enter(at: tokens[position].1)
            defer { depth -= 1 }
            position += 1
            return .not(try notExpression())
        }
        return try atom()
    }

    private mutating func enter(at offset: Int) throws(ConditionError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw ConditionError(offset: offset, message: "the condition nests parentheses and 'not' more than \(Self.maximumDepth) deep")
        }
    }

    private mutating func atom() throws(ConditionError) -> Condition {
        guard position < tokens.count else {
            throw ConditionError(offset: offset, message: "the condition ends where an identifier or '(' was expected")
        }
        let (token, at) = tokens[position]
        switch token {
        case .close:
            throw ConditionError(offset: at, message: "unexpected ')'")
        case .open:
            try enter(at: at)
            defer { depth -= 1 }
            position += 1
            let inner = try orExpression()
            guard position < tokens.count, tokens[position].0 == .close else {
                throw ConditionError(offset: offset, message: "'(' at offset \(at) is not closed")
            }
            position += 1
            return inner
        case .word(let word):
            if ["AND", "OR", "NOT", "And", "Or", "Not"].contains(word) {
                throw ConditionError(offset: at, message: "operators are lower case: write '\(word.lowercased())'")
            }
            if ["and", "or", "of"].contains(word) {
                throw ConditionError(offset: at, message: "'\(word)' needs an identifier before it")
            }
            position += 1
            if ["1", "any", "all"].contains(word), try peekWord() == "of" {
                position += 1
                guard let pattern = try peekWord() else {
                    throw ConditionError(offset: offset, message: "'\(word) of' needs an identifier pattern or 'them'")
                }
                let patternAt = offset
                position += 1
                let matched = identifiersMatching(pattern)
                if matched.isEmpty {
                    warnings.append(ConditionError(offset: patternAt, message: "'\(pattern)' matches no search identifier; '\(word) of \(pattern)' is always false"))
                    return .constant(false)
                }
                let searches = matched.map(Condition.search)
                if searches.count == 1 { return searches[0] }
                return word == "all" ? .and(searches) : .or(searches)
            }
            if word == "them" {
                throw ConditionError(offset: at, message: "'them' needs '1 of', 'any of' or 'all of' before it")
            }
            guard let index = identifiers.firstIndex(of: word) else {
                let hint = identifiers.min { editDistance($0, word) < editDistance($1, word) }
                let suggestion = hint.map { d in
                    let distance = editDistance(d, word)
                    return distance <= 3 && distance < word.count ? " (did you mean '\(d)'?)" : ""
                } ?? ""
                throw ConditionError(offset: at, message: "unknown search identifier '\(word)'\(suggestion)")
            }
            return .search(index)
        }
    }

    /// Identifiers a pattern names, in detection order. `*` matches any run; matching is anchored.
    func identifiersMatching(_ pattern: String) -> [Int] {
        if pattern == "them" {
            return identifiers.indices.filter { !identifiers[$0].hasPrefix("_") }
        }
        let glob = CompiledPattern(SigmaString(parsing: pattern), caseSensitive: true)
        return identifiers.indices.filter { index in
            let name = identifiers[index]
            if name.hasPrefix("_") && !pattern.hasPrefix("_") { return false }
            var copy = name
            return copy.withUTF8 { glob.matches($0) }
        }
    }
}
