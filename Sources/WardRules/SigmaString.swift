/// One piece of a Sigma string value.
public enum SigmaToken: Sendable, Equatable, Hashable {
    /// Bytes to match literally.
    case literal([UInt8])
    /// `*`: any sequence of characters, also empty.
    case anyRun
    /// `?`: exactly one character.
    case anyOne
}

/// A Sigma string value: literal bytes and wildcards (spec §2.3).
public struct SigmaString: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var tokens: [SigmaToken]

    public init(tokens: [SigmaToken]) { self.tokens = SigmaString.normalized(tokens) }

    /// A value with no wildcards.
    public init(literal bytes: [UInt8]) { self.tokens = bytes.isEmpty ? [] : [.literal(bytes)] }

    /// Parses a rule value. `*` and `?` are wildcards; a backslash escapes only `*`, `?` and `\`;
    /// before any other character (or at the end) it is a literal backslash. So `C:\Windows\System32`
    /// keeps its backslashes, `C:\Windows\*` ends in a literal star, and `C:\Windows\\*` is
    /// `C:\Windows\` followed by a wildcard. As pySigma's `SigmaString`.
    public init(parsing text: String) {
        var tokens: [SigmaToken] = []
        var literal: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            literal.removeAll()
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\\") {
                if i + 1 < bytes.count, [UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "\\")].contains(bytes[i + 1]) {
                    literal.append(bytes[i + 1])
                    i += 2
                } else {
                    literal.append(b)
                    i += 1
                }
            } else if b == UInt8(ascii: "*") {
                flush()
                tokens.append(.anyRun)
                i += 1
            } else if b == UInt8(ascii: "?") {
                flush()
                tokens.append(.anyOne)
                i += 1
            } else {
                literal.append(b)
                i += 1
            }
        }
        flush()
        self.tokens = SigmaString.normalized(tokens)
    }

    /// Merges adjacent literals and collapses runs of `*`.
    static func normalized(_ tokens: [SigmaToken]) -> [SigmaToken] {
        var out: [SigmaToken] = []
        for token in tokens {
            switch (out.last, token) {
            case (.literal(let a)?, .literal(let b)):
                out[out.count - 1] = .literal(a + b)
            case (.anyRun?, .anyRun):
                continue
            case (_, .literal(let b)) where b.isEmpty:
                continue
            default:
                out.append(token)
            }
        }
        return out
    }

    public var hasWildcards: Bool { tokens.contains { !$0.isLiteral } }

    /// The value's bytes when it has no wildcards.
    public var plainBytes: [UInt8]? {
        if tokens.isEmpty { return [] }
        guard tokens.count == 1, case .literal(let bytes) = tokens[0] else { return nil }
        return bytes
    }

    public func prepending(_ token: SigmaToken) -> SigmaString { SigmaString(tokens: [token] + tokens) }
    public func appending(_ token: SigmaToken) -> SigmaString { SigmaString(tokens: tokens + [token]) }

    /// Applies `transform` to every literal, keeping wildcards (UTF-16 encodings).
    public func mapLiterals(_ transform: ([UInt8]) -> [UInt8]) -> SigmaString {
        SigmaString(tokens: tokens.map { token in
            if case .literal(let bytes) = token { return .literal(transform(bytes)) }
            return token
        })
    }

    /// The text as a rule would write it (escapes restored).
    public var description: String {
        var out = ""
        for token in tokens {
            switch token {
            case .anyRun: out += "*"
            case .anyOne: out += "?"
            case .literal(let bytes):
                for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
                    if scalar == "*" || scalar == "?" || scalar == "\\" { out += "\\" }
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

extension SigmaToken {
    var isLiteral: Bool {
        if case .literal = self { return true }
        return false
    }
}
