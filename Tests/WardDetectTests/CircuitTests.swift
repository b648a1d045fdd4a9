import Foundation
import Testing
import WardCore
import WardDetect
import WardParse
import WardRegex
import WardRules
import WardTestSupport

@Suite struct RegexLiteralTests {
    func literal(_ pattern: String) throws -> String? {
        try ValueMatcher.regex(RegexProgram(pattern)).prefilterLiteral.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// The longest run of plain characters at the top level, lower-cased; optional characters dropped.
    @Test func requiredLiteralsAreTheTopLevelRuns() throws {
        #expect(try literal("(?i)session.{0,60}name") == "session")
        #expect(try literal("Failed password for (invalid user )?root") == "failed password for ")
        #expect(try literal(#"C:\\Windows\\Temp\\[a-z]+\.exe"#) == #"c:\windows\temp\"#)
        #expect(try literal("colou?r scheme") == "r scheme")
        #expect(try literal("abcd*efg") == "abc")
        #expect(try literal("ab{2}cdef") == "cdef")
        #expect(try literal("x+yz[)]wvut") == "wvut")
        #expect(try literal("[[:alpha:]]+matched") == "matched")
        #expect(try literal(#"\d{3}-\d{4} phone"#) == " phone")
    }

    /// Where the syntax does not prove a literal required, there is none: alternation at the top level,
    /// groups, extended mode, quoting, a literal brace, runs shorter than three bytes.
    @Test func noLiteralWhereNoneIsProvablyRequired() throws {
        #expect(try literal("alpha|beta") == nil)
        #expect(try literal("(alpha|beta)") == nil)
        #expect(try literal("(?x) s e s s i o n") == nil)
        #expect(try literal(#"\Qsession\E"#) == nil)
        #expect(try literal("ab{cd}ef") == nil)
        #expect(try literal("a.b.c") == nil)
        #expect(try literal("(?:optional)?xy") == nil)
    }

    /// Every literal really is required: PCRE2 is the oracle. Seeded random patterns over a small
    /// alphabet (runs, `.`, classes, groups with alternatives, every quantifier, escapes) against
    /// random texts over the same alphabet: whenever a pattern matches, the text holds its literal.
    @Test func everyMatchContainsTheLiteral() throws {
        var g = SeededGenerator(seed: 29)
        let atoms = ["a", "b", "c", "A", "ab", "bca", "Cab", ".", "[ab]", "[^a]", "(ab|c)", "(?:bc)", #"\."#, #"\d"#, "x", "-"]
        let quantifiers = ["", "", "", "?", "*", "+", "{2}", "{0,2}", "+?"]
        var withLiteral = 0, matched = 0
        for _ in 0..<3000 {
            var pattern = Bool.random(using: &g) ? "(?i)" : ""
            for _ in 0..<Int.random(in: 3...9, using: &g) {
                pattern += atoms.randomElement(using: &g)! + quantifiers.randomElement(using: &g)!
            }
            guard let program = try? RegexProgram(pattern),
                  let literal = ValueMatcher.regex(program).prefilterLiteral?.bytes else { continue }
            withLiteral += 1
            for _ in 0..<40 {
                let pieces = ["a", "b", "c", "A", "ab", "bca", "Cab", "bc", "x", ".", "-", "1"]
                let text = (0..<Int.random(in: 0...8, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
                guard program.matches(text) else { continue }
                matched += 1
                #expect(Array(text.lowercased().utf8).contains(literal), "\(pattern) matched '\(text)' without '\(String(decoding: literal, as: UTF8.self))'")
            }
        }
        #expect(withLiteral > 500 && matched > 500, "\(withLiteral) patterns with a literal, \(matched) matches")
    }
}

@Suite struct CircuitEquivalenceTests {
    /// The engine (rule circuits, decided candidates, regex literals, lanes) finds exactly what evaluating every
    /// rule on every event finds, on the generated hospital corpus with realistic rules and SigmaHQ's
    /// Linux and network rules, and on Loghub's Linux and OpenSSH logs.
    @Test(.needsShared) func engineEqualsBruteForceOnTheBenchmarkCorpusAndLoghub() throws {
        let mappings = MappingSet.load(directory: Paths.root.appendingPathComponent("Rules/mappings").path)
        let options = RuleLoadOptions(placeholders: [:], mappings: mappings)
        var collection = RuleLoader.load(paths: [Paths.shared.appendingPathComponent("sigma/rules/linux").path,
                                                 Paths.shared.appendingPathComponent("sigma/rules/network").path],
                                         options: options)
        for rule in Synthetic.realisticRules(count: 300) {
            RuleLoader.load(yaml: rule.yaml, file: rule.name, options: options, into: &collection)
        }
        #expect(collection.errors.isEmpty)
        let set = RuleSet(collection.rules)
        let engine = DetectionEngine(ruleSet: set)
        let scratch = EngineScratch(engine: engine)
        let inputs: [(String, [UInt8])] = [
            ("hospital", Synthetic.hospitalCorpus(events: 4000, seed: 5)),
            ("Linux_2k.log", Array(try Data(contentsOf: Paths.shared.appendingPathComponent("samples/loghub/Linux/Linux_2k.log")))),
            ("OpenSSH_2k.log", Array(try Data(contentsOf: Paths.shared.appendingPathComponent("samples/loghub/OpenSSH/OpenSSH_2k.log")))),
        ]
        var totals: [String: Int] = [:]
        for (name, bytes) in inputs {
            let hits = engineAndBruteForce(engine, set, scratch, name: name, bytes: bytes)
            #expect(hits.engine == hits.brute, "\(name)")
            totals[name] = hits.engine.count
        }
        // The circuits decided some candidates outright and ruled many out: the test exercises every path.
        #expect(scratch.prefilter.decided > 0 && scratch.prefilter.evaluated < scratch.prefilter.candidates / 2)
        #expect(totals["hospital"]! > 10)
    }
}
