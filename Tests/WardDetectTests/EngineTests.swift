import Foundation
import Testing
import WardCore
import WardDetect
import WardParse
import WardRules
import WardTestSupport

@Suite struct AutomatonTests {
    @Test func findsEveryOccurrenceOfOverlappingPatternsIgnoringCase() {
        let automaton = LiteralAutomaton(patterns: ["he", "she", "his", "hers"].map { Array($0.utf8) })
        var hits: [Int32] = []
        Array("uSHERS his".utf8).withUnsafeBufferPointer { automaton.scan($0) { hits.append($0) } }
        #expect(hits == [1, 0, 3, 2])  // she, he (inside she), hers, his
        var none: [Int32] = []
        Array("xyz".utf8).withUnsafeBufferPointer { automaton.scan($0) { none.append($0) } }
        #expect(none.isEmpty)
    }

    @Test func agreesWithANaiveSearchOnRandomInput() {
        var generator = SeededGenerator(seed: 2027)
        let alphabet = Array("abAB-/ ".utf8)
        for _ in 0..<200 {
            let patterns = (0..<Int.random(in: 1...8, using: &generator)).map { _ in
                (0..<Int.random(in: 1...4, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
                    .map { ($0 &- 0x41) < 26 ? $0 | 0x20 : $0 }
            }
            let text = (0..<40).map { _ in alphabet.randomElement(using: &generator)! }
            let automaton = LiteralAutomaton(patterns: patterns)
            var found = Set<Int32>()
            text.withUnsafeBufferPointer { automaton.scan($0) { found.insert($0) } }
            let folded = text.map { ($0 &- 0x41) < 26 ? $0 | 0x20 : $0 }
            let expected = Set(patterns.indices.filter { i in
                let p = patterns[i]
                return (0...(folded.count - p.count)).contains { Array(folded[$0..<($0 + p.count)]) == p }
            }.map(Int32.init))
            #expect(found == expected, "\(patterns) in \(text)")
        }
    }
}

@Suite struct EngineTests {
    /// The prefiltered engine finds exactly what evaluating every rule on every event finds.
    @Test(.needsShared) func engineHitsEqualBruteForceOnRealLogs() throws {
        let mappings = MappingSet.load(directory: Paths.root.appendingPathComponent("Rules/mappings").path)
        let paths = [Paths.root.appendingPathComponent("Rules").path,
                     Paths.shared.appendingPathComponent("sigma/rules/linux").path,
                     Paths.shared.appendingPathComponent("sigma/rules-emerging-threats").path]
        // The placeholder fixture (SigmaHQ's) and the pack's example values: `name: [a, b]` or a block
        // list of `- value` lines; read without a YAML library.
        var placeholders: [String: [String]] = [:]
        for file in ["Tests/WardRulesTests/Fixtures/placeholders.yml", "Rules/placeholders.example.yml"] {
            let text = try String(contentsOf: Paths.root.appendingPathComponent(file), encoding: .utf8)
            var current: String?
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("- "), let name = current {
                    placeholders[name, default: []].append(trimmed.dropFirst(2).trimmingCharacters(in: CharacterSet(charactersIn: " '")))
                    continue
                }
                let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !line.hasPrefix(" ") else { continue }
                current = String(parts[0])
                placeholders[String(parts[0])] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " []"))
                    .split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " '")) }.filter { !$0.isEmpty }
            }
        }
        let collection = RuleLoader.load(paths: paths, options: RuleLoadOptions(placeholders: placeholders, mappings: mappings))
        #expect(collection.errors.isEmpty)
        let set = RuleSet(collection.rules)
        let engine = DetectionEngine(ruleSet: set)
        let scratch = EngineScratch(engine: engine)
        var total = 0
        for file in ["SampleLogs/linux/auth.log", "SampleLogs/linux/messages", "SampleLogs/ehr/ehr-app.log"] {
            let hits = engineAndBruteForce(engine, set, scratch, name: file,
                                           bytes: Array(try Data(contentsOf: Paths.root.appendingPathComponent(file))))
            #expect(hits.engine == hits.brute, "\(file)")
            total += hits.engine.count
        }
        #expect(total == 28)  // the bundled rules' hits on these three files (correlations' base rules included)
    }
}

/// The hits of `engine` on `bytes` (parsed as the file `name`), and those of evaluating every rule of
/// `set` on every event: what every engine optimisation must leave equal.
func engineAndBruteForce(_ engine: DetectionEngine, _ set: RuleSet, _ scratch: EngineScratch, name: String,
                         bytes: [UInt8]) -> (engine: [RuleHit], brute: [RuleHit]) {
    let chunk = Chunk(bytes: bytes, origin: testOrigin(path: name))
    var batch = EventBatch()
    EventParser(options: ParseOptions(year: 2026)).parse(chunk, into: &batch)
    var engineHits: [RuleHit] = []
    engine.match(batch, chunk: chunk, scratch: scratch) { engineHits.append($0) }
    var bruteHits: [RuleHit] = []
    var path = name
    path.withUTF8 { pathBytes in
        batch.withEventBuffers(in: chunk) { events, fields, values in
            for index in batch.events.indices {
                let event = BatchEvent(events: events, fields: fields, values: values, index: index, path: pathBytes)
                for (r, compiled) in set.rules.enumerated() where compiled.rule.matches(event, scratch: scratch.match) {
                    bruteHits.append(RuleHit(event: index, rule: r))
                }
            }
        }
    }
    return (engineHits, bruteHits)
}
