import Foundation
import Testing
import WardRegex
import WardTestSupport
import Yams

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
            // its required-character check looks ahead; past that, see the next test.
            if size < (1 << 20) {
                let noC = line(size, "ab")
                #expect(noC.withUnsafeBufferPointer { alternation.search($0, scratch: scratch) } == .noMatch, "\(size) bytes")
            }
        }
        #expect(scratch.errors == 0)
    }

    /// `(a|b)+c` on 1 MiB of `abab…` without a `c` backtracks over the rest of the line from every start
    /// position, and PCRE2 restarts its step limit at each one: about 5·10^11 steps, hours. The search
    /// of a long line runs a window of start positions at a time and stops at its time budget, saying so.
    @Test func aQuadraticSearchOfALongLineStopsAtItsTimeBudget() throws {
        let alternation = try RegexProgram("(a|b)+c")
        let scratch = RegexScratch()
        scratch.timeBudgetNanoseconds = 200_000_000
        let noC = line(1 << 20, "ab")
        let started = ContinuousClock.now
        let outcome = noC.withUnsafeBufferPointer { alternation.search($0, scratch: scratch) }
        #expect(outcome == .error(RegexProgram.timeBudgetExceeded))
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(RegexProgram.message(RegexProgram.timeBudgetExceeded) == "the search of a long line ran past its time budget of 1000 ms")
        // The same scratch then searches other lines in full (the window is not left behind).
        let short = line(100, "ab") + Array("c".utf8)
        #expect(short.withUnsafeBufferPointer { alternation.search($0, scratch: scratch) } == .match)
        let long = line(1 << 20, "x") + Array("abc".utf8)
        #expect(long.withUnsafeBufferPointer { alternation.search($0, scratch: scratch) } == .match)
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

/// Every `|re` value of SigmaHQ (217 in ../shared/sigma) on a line it matches, padded to 2 KiB, 64 KiB
/// and 1 MiB (after it, or on both sides): PCRE2 answers what Python's `re` answers, and never gives up.
/// The answers come from `Tests/Tools/sigma_regex_oracle.py` (Python's re.search on the same lines,
/// stored in `Fixtures/sigma-regex-oracle.jsonl`); the patterns are read from ../shared here.
@Suite(.needsShared) struct SigmaRegexOracleTests {
    /// `padding padding …`, 1 MiB: the padding of every line is a prefix of it.
    static let padding: [UInt8] = {
        let word = Array("padding ".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity((1 << 20) + word.count)
        while bytes.count < 1 << 20 { bytes += word }
        return bytes
    }()

    @Test func paddedLinesAgreeWithPythonsRe() throws {
        let rows = try readJSONLines(Paths.root.appendingPathComponent("Tests/WardRulesTests/Fixtures/sigma-regex-oracle.jsonl"))
        #expect(rows.count == 217)
        var documents: [String: [String: Any]] = [:]
        var disagreements: [String] = []
        var subjects = 0
        let scratch = RegexScratch()
        for row in rows {
            let file = row["file"] as! String
            if documents[file] == nil {
                let text = try String(contentsOf: Paths.shared.appendingPathComponent("sigma/" + file), encoding: .utf8)
                documents[file] = try Yams.load(yaml: text) as? [String: Any]
            }
            let detection = documents[file]?["detection"] as? [String: Any]
            let search = detection?[row["search"] as! String]
            let map = (search as? [String: Any]) ?? ((search as? [Any])?[row["map"] as! Int] as? [String: Any])
            let key = row["key"] as! String
            let value = map?[key]
            let values = (value as? [Any]) ?? (value.map { [$0] } ?? [])
            let index = row["index"] as! Int
            guard index < values.count else {
                disagreements.append("\(file) \(key): the value is gone (regenerate the fixture)")
                continue
            }
            let pattern = "\(values[index])"
            var options: RegexProgram.Options = []
            let modifiers = key.split(separator: "|").dropFirst()
            if modifiers.contains("i") { options.insert(.caseInsensitive) }
            if modifiers.contains("m") { options.insert(.multiline) }
            if modifiers.contains("s") { options.insert(.dotAll) }
            let program = try RegexProgram(pattern, options: options)
            let example = Array((row["example"] as! String).utf8)
            for subject in row["subjects"] as! [[Any]] {
                let left = subject[0] as! Int, right = subject[1] as! Int, python = subject[2] as! Bool
                var line: [UInt8] = []
                line.reserveCapacity(left + example.count + right)
                line += Self.padding[0..<left]
                line += example
                line += Self.padding[0..<right]
                let outcome = line.withUnsafeBufferPointer { program.search($0, scratch: scratch) }
                subjects += 1
                let expected: RegexProgram.Outcome = python ? .match : .noMatch
                if outcome != expected {
                    disagreements.append("\(file) \(key)[\(row["index"]!)] on \(line.count) bytes (\(left) before): PCRE2 \(outcome), Python \(python)")
                }
            }
        }
        #expect(subjects == 1302)
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements: \(disagreements.prefix(8).joined(separator: "; "))")
    }
}
