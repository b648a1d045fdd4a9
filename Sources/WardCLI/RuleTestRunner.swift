import Foundation
import WardCore
import WardDetect
import WardIngest
import WardOutput
import WardParse
import WardPipeline
import WardRules

/// Runs rule tests: each case's logs through the whole pipeline (parsing, the engine, correlations)
/// with fresh correlation state, then compares the alerts of each rule named with what the case
/// expects. A failure says why: for a detection rule that did not fire, the search that was false
/// and the field's value; for one that fired unexpectedly, the line and the searches that were true.
public final class RuleTestRunner {
    /// The key of the pseudonyms in tests, fixed so that a tests file can name a pseudonym
    /// (`%vip_patients%` cases): `pid:` + the first 16 hex digits of HMAC-SHA256(key, identifier).
    public static let pseudonymKey = "wardwatch-rules-test-key"

    public let collection: RuleCollection
    let ruleSet: RuleSet
    let engine: DetectionEngine
    let titles: [String]
    let ids: [String?]
    let ruleNames: [String?]
    let paths: [String]
    let kinds: [String]

    /// - Parameter collection: the rules; base rules of correlations are made to emit their own
    ///   alerts (`generate: true`) so that tests can name them.
    public init(collection: RuleCollection) {
        var c = collection
        for i in c.correlations.indices { c.correlations[i].generate = true }
        self.collection = c
        ruleSet = RuleSet(c.rules)
        engine = DetectionEngine(ruleSet: ruleSet, resolver: HL7PathResolver())
        titles = c.rules.map(\.metadata.title) + c.correlations.map(\.metadata.title)
        ids = c.rules.map(\.metadata.id) + c.correlations.map(\.metadata.id)
        ruleNames = c.rules.map(\.metadata.name) + c.correlations.map(\.metadata.name)
        paths = c.rules.map(\.path) + c.correlations.map(\.path)
        kinds = c.rules.map { _ in "rule" } + c.correlations.map { $0.kind.rawValue }
    }

    public struct Outcome {
        public var passed: Bool
        /// Why the case failed (one line per unmet expectation), empty when it passed.
        public var reasons: [String]
        public var seconds: Double
    }

    /// Indexes (detection rules, then correlations) of the rule named `name` (id, name or title).
    func indexes(named name: String) -> [Int] {
        titles.indices.filter { ids[$0] == name || ruleNames[$0] == name || titles[$0] == name }
    }

    /// The rules a tests file is about by default: its correlations if it has any, else its rules.
    public func defaultTargets(of file: RuleTestFile) -> [Int] {
        guard let rulePath = file.rulePath else { return [] }
        let own = paths.indices.filter { paths[$0] == rulePath }
        let correlations = own.filter { $0 >= collection.rules.count }
        return correlations.isEmpty ? own : correlations
    }

    public func run(_ testCase: RuleTestFile.Case, of file: RuleTestFile) -> Outcome {
        let started = ContinuousClock.now
        var reasons: [String] = []
        let year = testCase.year ?? Calendar(identifier: .gregorian).component(.year, from: Date())
        let policy = PatientDataPolicy(key: Array(Self.pseudonymKey.utf8), keySource: "rules test")
        let parser = EventParser(options: ParseOptions(year: year, patientData: policy, formats: (try? SiteFormats.current()) ?? UserFormatSet()))
        let name = "\(file.path)#\(testCase.name)"
        let chunks = MemoryRecordSource.chunks(of: Array(testCase.logs.utf8), path: name,
                                               options: IngestOptions(framing: parser.framing), referenceTime: 0)
        let names = SourceNames()
        _ = names.register(name)
        var statistics = RunStatistics(rules: titles.count)
        do {
            let stages = try DetectionStages(rules: collection.rules, correlations: collection.correlations, suppress: [],
                                             names: names, settings: CorrelationSettings())
            var configuration = PipelineConfiguration(inputs: [PipelineInput(name: name) { _, _ in MemoryRecordSource(chunks) }],
                                                      parser: parser, engine: engine, encoding: .none, sinks: nil, threads: 1)
            configuration.order = .input
            stages.install(in: &configuration)
            statistics = Pipeline(configuration).run().statistics
        } catch {
            reasons.append("the rules cannot run: \(error.message)")
        }
        for (rule, expectation) in testCase.expectations {
            let targets = rule.map(indexes(named:)) ?? defaultTargets(of: file)
            guard !targets.isEmpty else {
                reasons.append(rule.map { "no loaded rule has the id or title '\($0)'" }
                               ?? "the tests file has no rule file beside it (\(file.path.replacingOccurrences(of: ".tests.", with: "."))) to name its rules")
                continue
            }
            let count = targets.reduce(0) { $0 + statistics.alertsByRule[$1] }
            guard !expectation.holds(count) else { continue }
            let label = targets.count == 1 ? "'\(titles[targets[0]])'" : targets.map { "'\(titles[$0])'" }.joined(separator: " or ")
            var reason = "expected \(expectation) of \(label), got \(count)"
            let detection = targets.filter { $0 < collection.rules.count }
            if !detection.isEmpty {
                reason += ": " + explain(detection, chunks: chunks, parser: parser, wantedMatch: count < expectationMinimum(expectation))
            } else {
                let bases = targets.flatMap { collection.correlations[$0 - collection.rules.count].rules }
                let fired = bases.map { base in "\(base): \(indexes(named: base).reduce(0) { $0 + statistics.alertsByRule[$1] })" }
                reason += " (events of its rules — \(fired.joined(separator: ", ")); \(statistics.events) events parsed)"
            }
            reasons.append(reason)
        }
        let elapsed = ContinuousClock.now - started
        return Outcome(passed: reasons.isEmpty, reasons: reasons,
                       seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    func expectationMinimum(_ e: RuleTestFile.Expectation) -> Int {
        switch e {
        case .exactly(let n), .atLeast(let n): return n
        case .atMost: return 0
        }
    }

    /// Why detection rules `rules` did (`wantedMatch == false`) or did not fire on the case's events.
    func explain(_ rules: [Int], chunks: [Chunk], parser: EventParser, wantedMatch: Bool) -> String {
        let scratch = EngineScratch(engine: engine)
        var lines: [String] = []
        for chunk in chunks {
            var batch = EventBatch()
            parser.parse(chunk, into: &batch)
            var path = chunk.origin.path
            path.withUTF8 { pathBytes in
                batch.withEventBuffers(in: chunk) { events, fields, values in
                    for index in batch.events.indices where lines.count < 6 {
                        let event = BatchEvent(events: events, fields: fields, values: values, index: index, path: pathBytes,
                                               resolver: HL7PathResolver())
                        let where_ = "line \(events[index].lineNumber) (\(events[index].dataset.name))"
                        for r in rules {
                            let rule = ruleSet.rules[r].rule
                            let matched = rule.matches(event, scratch: scratch.match)
                            if wantedMatch && !matched {
                                lines.append("\(where_): \(Self.whyNot(rule, event, scratch.match))")
                            } else if !wantedMatch && matched {
                                let mask = engine.matchedSearchMask(r, event, scratch: scratch)
                                let true_ = rule.searches.enumerated().filter { $0.offset < 64 && mask & (1 << UInt64($0.offset)) != 0 }.map(\.element.name)
                                lines.append("\(where_) fired '\(rule.metadata.title)' (true: \(true_.joined(separator: ", ")))")
                            }
                        }
                    }
                }
            }
        }
        return lines.isEmpty ? "no event to explain (\(chunks.isEmpty ? "no records" : "nothing parsed"))" : lines.joined(separator: "; ")
    }

    /// The first reason `rule` is false for `event`: no log source applies, or a search is false
    /// because of an item (field, its value, what was wanted).
    static func whyNot(_ rule: SigmaRule, _ event: some SigmaEvent, _ scratch: MatchScratch) -> String {
        guard rule.routes.contains(where: { $0.accepts(event) }) else {
            let wanted = rule.routes.prefix(3).map { route in
                route.conditions.map { "\($0.field.name) \(listed($0.values.map { String(decoding: $0, as: UTF8.self) }))" }.joined(separator: " and ")
            }
            var have: [String] = []
            for field in Set(rule.routes.flatMap { $0.conditions.map(\.field) }).sorted(by: { $0.name < $1.name }) {
                have.append("\(field.name) \(value(of: field, event).map { "'\($0)'" } ?? "absent")")
            }
            return "the log source \(rule.logsource) does not apply (wanted \(wanted.joined(separator: " or ")); the event has \(have.joined(separator: ", ")))"
        }
        var falseSearches: [String] = []
        for search in rule.searches where !search.expression.matches(event, scratch: scratch) {
            var detail = "search '\(search.name)' is false"
            if let item = search.expression.items.first(where: { !$0.matches(event, scratch: scratch) }) {
                if let field = item.field {
                    detail += ": \(item.sigmaField ?? field.name)\(field.name != item.sigmaField ? " (\(field.name))" : "") is "
                        + (value(of: field, event).map { "'\($0)'" } ?? "absent")
                        + (item.modifiers.isEmpty ? "" : ", wanted |\(item.modifiers.map { "\($0)" }.joined(separator: "|"))")
                        + " \(listed(item.groups.flatMap { $0.map(describe) }))"
                } else {
                    detail += ": no keyword \(listed(item.groups.flatMap { $0.map(describe) })) in the event"
                }
            }
            falseSearches.append(detail)
        }
        if falseSearches.isEmpty { return "the condition is false although no search is" }
        return falseSearches.joined(separator: "; ")
    }

    static func value(of field: FieldRef, _ event: some SigmaEvent) -> String? {
        event.withValue(of: field) { bytes in bytes.map { String(decoding: $0.prefix(120), as: UTF8.self) } }
    }

    static func listed(_ values: [String]) -> String {
        let shown = values.prefix(4).map { "'\($0)'" }.joined(separator: ", ")
        return values.count > 4 ? "one of \(shown) … (\(values.count))" : values.count > 1 ? "one of \(shown)" : shown
    }

    static func describe(_ matcher: ValueMatcher) -> String {
        switch matcher {
        case .pattern(let p), .integer(_, let p): return p.source.description
        case .regex: return "(regular expression)"
        case .cidr(let network): return "\(network)"
        case .numeric(let op, let n): return "\(op) \(n)"
        case .timePart(let part, let op, let n): return "\(part) \(op) \(n)"
        case .exists(let e): return e ? "(present)" : "(absent)"
        case .null: return "(absent)"
        case .fieldref(let f, _, _, _): return "the value of \(f.name)"
        }
    }
}
