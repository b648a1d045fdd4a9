import Testing
import WardRegex

/// Long lines are where attackers hide (padding), and where PCRE2's default 32 KiB JIT stack gave up:
/// a search it gave up on used to read as "no match", silently.
@Suite struct RegexLimitTests {
    func line(_ count: Int, _ unit: String = "x") -> [UInt8] {
        Array(String(repeating: unit, count: count / unit.utf8.count).utf8)
    }

    /// SigmaHQ's `proc_creation_lnx_file_and_directory_discovery` pattern and a classic alternation:
    /// they match padded lines of 2 KiB, 64 KiB and 1 MiB.
    @Test func paddedLinesStillMatch() throws {
        let repeated = try RegexProgram("(.){200,}")
        let alternation = try RegexProgram("(a|b)+c")
        let scratch = RegexScratch()
        for size in [2 << 10, 64 << 10, 1 << 20] {
            let padded = line(size)
            #expect(padded.withUnsafeBufferPointer { repeated.search($0, scratch: scratch) } == .match, "\(size) bytes")
            let ab = line(size, "ab") + Array("c".utf8)
            #expect(ab.withUnsafeBufferPointer { alternation.search($0, scratch: scratch) } == .match, "\(size) bytes")
            // Without the `c`: PCRE2 finds no `c` to require and says no at once — up to the distance
            // its required-character check looks ahead; past that, a backtracking search of this
            // pattern is quadratic (as in every backtracking engine), so the 1 MiB case is left out.
            if size < (1 << 20) {
                let noC = line(size, "ab")
                #expect(noC.withUnsafeBufferPointer { alternation.search($0, scratch: scratch) } == .noMatch, "\(size) bytes")
            }
        }
        #expect(scratch.errors == 0)
    }

    /// Nested unbounded quantifiers on a 1 MiB line that almost matches: PCRE2 gives up at the match
    /// limit (bounded time) and says so; `matches` counts it and answers what the engine asks.
    @Test func aPathologicalPatternIsBoundedAndReported() throws {
        let evil = try RegexProgram("^(a+)+$")
        let scratch = RegexScratch()
        let subject = line(1 << 20, "a") + Array("!".utf8)
        let outcome = subject.withUnsafeBufferPointer { evil.search($0, scratch: scratch) }
        guard case .error(let code) = outcome else {
            Issue.record("expected PCRE2 to give up, got \(outcome)")
            return
        }
        #expect(RegexProgram.message(code).contains("limit"))
        #expect(subject.withUnsafeBufferPointer { evil.matches($0, scratch: scratch) } == false)
        #expect(scratch.errors == 1)
        scratch.errorAnswer = true
        #expect(subject.withUnsafeBufferPointer { evil.matches($0, scratch: scratch) } == true)
        #expect(scratch.errors == 2)
    }
}

@Suite struct RegexLintTests {
    @Test func nestedUnboundedQuantifiersAreFlagged() {
        for pattern in ["^(a+)+$", #"(\w+\s*)*x"#, "(?:x|y*){2,}", "((ab)*c)+", #"(\d+)*"#, "([a-z]+)*$"] {
            #expect(RegexLint.hasNestedUnboundedQuantifier(pattern), "\(pattern)")
        }
        for pattern in ["(.){200,}", "(a|b)+c", "(abc)+", #"\(a+\)+"#, "[(a+)]+", "(a{2,5})+", "a+b*c", #"(\+)+"#] {
            #expect(!RegexLint.hasNestedUnboundedQuantifier(pattern), "\(pattern)")
        }
    }
}
