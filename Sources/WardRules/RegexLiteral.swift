/// The longest literal every match of a regular expression must contain, for the prefilter: `re`
/// rules are then evaluated only on events holding it (`(?i)session.{0,60}name` needs "session").
///
/// Conservative by construction — a literal is returned only where the pattern's syntax proves it
/// is required: runs of plain characters at the top level (not inside a group, which may be optional
/// or an alternative), a character followed by `?`, `*` or `{` dropped, none at all when the top
/// level has an alternation `|`, when extended mode (`x`) changes what whitespace means, or for
/// `\Q…\E` quoting. The literal is lower-cased ASCII; the prefilter's search ignores case, so a
/// case-sensitive pattern's literal is found whenever the pattern could match.
enum RegexLiteral {
    static func required(in pattern: String) -> [UInt8]? {
        let p = Array(pattern.utf8)
        var best: [UInt8] = []
        var run: [UInt8] = []
        var depth = 0
        var i = 0
        func endRun() {
            if run.count > best.count { best = run }
            run.removeAll(keepingCapacity: true)
        }
        while i < p.count {
            let b = p[i]
            switch b {
            case UInt8(ascii: "\\"):
                guard i + 1 < p.count else { return nil }
                let e = p[i + 1]
                if e == UInt8(ascii: "Q") { return nil }
                let isWord = (e >= 0x30 && e <= 0x39) || ((e | 0x20) >= 0x61 && (e | 0x20) <= 0x7A)
                if !isWord && e < 0x80 && depth == 0 {
                    run.append(ASCIIFold.fold(e))  // an escaped punctuation character is itself
                } else {
                    endRun()  // \d, \w, \x41, \p{…}, \1, …: not a literal byte
                }
                i += 2
                continue
            case UInt8(ascii: "("):
                if i + 2 < p.count, p[i + 1] == UInt8(ascii: "?") {
                    // Inline options (?i) (?x-s:…): extended mode makes whitespace and # syntax.
                    var k = i + 2
                    while k < p.count, (p[k] | 0x20) >= 0x61 && (p[k] | 0x20) <= 0x7A || p[k] == UInt8(ascii: "-") || p[k] == UInt8(ascii: "^") {
                        if p[k] == UInt8(ascii: "x") { return nil }
                        k += 1
                    }
                }
                endRun()
                depth += 1
            case UInt8(ascii: ")"):
                endRun()
                depth = max(0, depth - 1)
            case UInt8(ascii: "["):
                endRun()
                i = skipClass(p, from: i)
                continue
            case UInt8(ascii: "|"):
                if depth == 0 { return nil }
            case UInt8(ascii: "?"), UInt8(ascii: "*"):
                if depth == 0, !run.isEmpty { run.removeLast() }  // the character before is optional
                endRun()
            case UInt8(ascii: "{"):
                // A quantifier {n}, {n,}, {n,m}, {,m}: skip it (the character before may repeat 0 times).
                var k = i + 1
                while k < p.count, (p[k] >= 0x30 && p[k] <= 0x39) || p[k] == UInt8(ascii: ",") || p[k] == UInt8(ascii: " ") { k += 1 }
                guard k < p.count, p[k] == UInt8(ascii: "}") else { return nil }  // a literal '{': give up
                if depth == 0, !run.isEmpty { run.removeLast() }
                endRun()
                i = k + 1
                continue
            case UInt8(ascii: "+"):
                endRun()  // the character before is required (once), but what follows is not adjacent
            case UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
                endRun()
            default:
                if depth == 0 && b < 0x80 { run.append(ASCIIFold.fold(b)) } else { endRun() }
            }
            i += 1
        }
        endRun()
        return best.count >= Prefilter.minimumLength ? best : nil
    }

    /// The index after the character class that starts at `start` (`[`), escapes, a leading `]` or
    /// `^]` and POSIX classes (`[:alpha:]`) included.
    static func skipClass(_ p: [UInt8], from start: Int) -> Int {
        var i = start + 1
        if i < p.count, p[i] == UInt8(ascii: "^") { i += 1 }
        if i < p.count, p[i] == UInt8(ascii: "]") { i += 1 }
        while i < p.count {
            switch p[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "[") where i + 1 < p.count && p[i + 1] == UInt8(ascii: ":"):
                i += 2
                while i + 1 < p.count, !(p[i] == UInt8(ascii: ":") && p[i + 1] == UInt8(ascii: "]")) { i += 1 }
                i += 2
            case UInt8(ascii: "]"): return i + 1
            default: i += 1
            }
        }
        return p.count
    }
}
