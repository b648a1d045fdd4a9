import Foundation
import Testing
import Yams
import WardRules
import WardTestSupport

func loadPlaceholders() throws -> [String: [String]] {
    let text = try String(contentsOf: Paths.root.appendingPathComponent("Tests/WardRulesTests/Fixtures/placeholders.yml"),
                          encoding: .utf8)
    return try YAMLDecoder().decode([String: [String]].self, from: text)
}

@Suite struct CorpusTests {
    static let active = ["rules", "rules-emerging-threats", "rules-threat-hunting", "rules-compliance", "rules-placeholder"]

    /// Every active SigmaHQ rule loads: 3,780 rules, no error.
    @Test(.needsShared) func everyActiveSigmaHQRuleLoads() throws {
        let options = RuleLoadOptions(placeholders: try loadPlaceholders())
        let paths = Self.active.map { Paths.shared.appendingPathComponent("sigma/\($0)").path }
        let start = ContinuousClock.now
        let collection = RuleLoader.load(paths: paths, options: options)
        let elapsed = ContinuousClock.now - start
        print("SigmaHQ active corpus: \(collection.files.count) files, \(collection.rules.count) rules loaded, \(collection.errors.count) errors, \(collection.warnings.count) warnings, \(elapsed)")
        for error in collection.errors.prefix(30) { print(error) }
        #expect(collection.files.count == 3780)
        #expect(collection.rules.count == 3780)
        #expect(collection.errors.isEmpty)
    }

    /// Deprecated and unsupported rules load, or are rejected with the construct named; nothing crashes.
    @Test(.needsShared) func deprecatedAndUnsupportedRulesLoadOrAreRejectedWithAReason() throws {
        let options = RuleLoadOptions(placeholders: try loadPlaceholders())
        for folder in ["deprecated", "unsupported", "other"] {
            let collection = RuleLoader.load(paths: [Paths.shared.appendingPathComponent("sigma/\(folder)").path],
                                             options: options)
            print("SigmaHQ \(folder)/: \(collection.files.count) files, \(collection.rules.count) rules loaded, \(collection.rejectedDocuments) documents rejected")
            var reasons: [String: Int] = [:]
            for error in collection.errors {
                let key = error.message.prefix(60)
                reasons[String(key), default: 0] += 1
            }
            for (reason, count) in reasons.sorted(by: { $0.value > $1.value }) { print("  \(count) × \(reason)") }
            // Every rejection names its place and its construct.
            for error in collection.errors {
                #expect(error.line > 0 && error.column > 0, "\(error)")
                #expect(error.message.count > 20, "\(error)")
            }
            #expect(collection.rules.count + collection.rejectedDocuments >= collection.files.count)
        }
    }
}

@Suite struct RuleFuzzTests {
    /// Mutated rule files load or are rejected with positions; nothing crashes.
    @Test func mutatedRulesNeverCrashTheLoader() throws {
        var generator = SeededGenerator(seed: 2027)
        let dir = Paths.root.appendingPathComponent("Rules")
        let texts = try RuleLoader.ruleFiles(in: dir.path).map { try String(contentsOfFile: $0, encoding: .utf8) }
        let pieces = ["|", "|re", "|contains|all", "*", "?", "\\", "'", "\"", ":", "- ", "[", "]", "{", "}", " and ", " or not ",
                      "%x%", "|expand", "|cidr", "|base64offset", "|windash", "\n", "    ", "1 of sel*", "null", "~"]
        var loaded = 0, rejected = 0
        for _ in 0..<1500 {
            var text = Array(texts.randomElement(using: &generator)!)
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let at = Int.random(in: 0...text.count, using: &generator)
                if Bool.random(using: &generator), at < text.count {
                    text.removeSubrange(at..<min(text.count, at + Int.random(in: 1...12, using: &generator)))
                } else {
                    text.insert(contentsOf: pieces.randomElement(using: &generator)!, at: at)
                }
            }
            var collection = RuleCollection()
            RuleLoader.load(yaml: String(text), file: "fuzz.yml", options: RuleLoadOptions(placeholders: ["x": ["a", "b"]]),
                            into: &collection)
            if collection.errors.isEmpty { loaded += 1 } else { rejected += 1 }
            for error in collection.errors { #expect(!error.message.isEmpty) }
        }
        print("rule fuzz: \(loaded) mutated rules loaded, \(rejected) rejected with a reason")
        #expect(loaded + rejected == 1500)
    }
}
