import WardRegex

/// Where a format's pattern stops on a line that it does not match, as grok debuggers show it: the
/// pattern is cut into its top-level parts (`%{…}` references, groups, character classes, literal
/// characters, each with its quantifier), and the longest run of leading parts that still matches
/// the start of the line is found.
public struct PatternStop: Sendable, Equatable {
    /// How many leading parts matched, of how many.
    public var matchedParts: Int
    public var parts: Int
    /// The byte of the line where the matched parts ended.
    public var byte: Int
    /// The first part that did not match (empty when every part matched but the line goes on and the
    /// pattern is anchored at its end).
    public var next: String
}

extension UserFormat {
    /// Why the pattern does not match `line`; `nil` when it does.
    public func stop(on line: [UInt8]) -> PatternStop? {
        let text = definition.pattern ?? definition.regex ?? ""
        let parts = Self.topLevelParts(text)
        let scratch = CaptureScratch(groups: max(1, program.captureCount))
        func matchEnd(_ count: Int) -> Int? {
            let prefix = parts.prefix(count).joined()
            guard let translated = try? Grok.translate(prefix, custom: definition.patterns),
                  let program = try? RegexProgram(translated.regex, options: .anchored) else { return nil }
            let groups = CaptureScratch(groups: max(1, program.captureCount))
            return line.withUnsafeBufferPointer { buf in
                program.match(buf, captures: groups) == .match ? groups.range(0)?.upperBound : nil
            }
        }
        let whole = line.withUnsafeBufferPointer { program.match($0, captures: scratch) }
        if whole == .match { return nil }
        // Binary search is wrong for lazy parts (a prefix may match where a shorter one does not), so walk.
        var best = 0
        var byte = 0
        for k in stride(from: parts.count, through: 1, by: -1) {
            if let end = matchEnd(k) {
                best = k
                byte = end
                break
            }
        }
        return PatternStop(matchedParts: best, parts: parts.count, byte: byte, next: best < parts.count ? parts[best] : "")
    }

    /// The pattern's top-level parts, each with the quantifier that follows it.
    static func topLevelParts(_ pattern: String) -> [String] {
        let s = Array(pattern)
        var parts: [String] = []
        var i = 0
        while i < s.count {
            let start = i
            switch s[i] {
            case "\\":
                i = min(s.count, i + 2)
            case "%" where i + 1 < s.count && s[i + 1] == "{":
                i = (s[i...].firstIndex(of: "}") ?? s.count - 1) + 1
            case "[":
                i += 1
                if i < s.count, s[i] == "^" { i += 1 }
                if i < s.count, s[i] == "]" { i += 1 }
                while i < s.count, s[i] != "]" { i += s[i] == "\\" ? 2 : 1 }
                i = min(s.count, i + 1)
            case "(":
                var depth = 0
                while i < s.count {
                    if s[i] == "\\" { i += 2; continue }
                    if s[i] == "(" { depth += 1 }
                    if s[i] == ")" { depth -= 1; if depth == 0 { i += 1; break } }
                    i += 1
                }
                i = min(i, s.count)
            default:
                i += 1
            }
            // The quantifier that follows belongs to the part.
            if i < s.count, "*+?{".contains(s[i]) {
                if s[i] == "{" {
                    if let close = s[i...].firstIndex(of: "}") { i = close + 1 }
                } else {
                    i += 1
                }
                if i < s.count, s[i] == "?" || s[i] == "+" { i += 1 }
            }
            parts.append(String(s[start..<min(i, s.count)]))
        }
        return parts
    }
}
