import WardCore
import WardRules

/// One rule that matched one event of a batch.
public struct RuleHit: Sendable, Equatable {
    public var event: Int
    public var rule: Int

    public init(event: Int, rule: Int) {
        self.event = event
        self.rule = rule
    }
}

/// Per-worker state for ``DetectionEngine`` (no sharing, no locks): rule and literal stamps, the
/// candidate list, regex match data. Reused for every event.
public final class EngineScratch {
    var stamp: UInt32 = 0
    var ruleStamp: [UInt32]
    var patternStamp: [[UInt32]]
    var candidates: [Int32] = []
    public let match = MatchScratch()

    public init(engine: DetectionEngine) {
        ruleStamp = [UInt32](repeating: 0, count: engine.ruleSet.rules.count)
        patternStamp = engine.fields.map { [UInt32](repeating: 0, count: $0.automaton.patternCount) }
        candidates.reserveCapacity(engine.ruleSet.rules.count)
    }
}

/// Matches parsed events against a compiled rule set.
///
/// For each event, every field that some rule's prefilter literals name is scanned once by that
/// field's ``LiteralAutomaton``; only the rules whose literals occurred, plus the few without
/// literals, are evaluated, and only if their log source covers the event's dataset. So throughput
/// stays nearly flat as rules are added (`DESIGN.md`). The prefilter follows ``RuleSet``'s contract,
/// so skipping never loses a match.
public final class DetectionEngine: Sendable {
    public let ruleSet: RuleSet
    /// Fields with literals, each with its automaton and, per pattern, the rules that need it.
    let fields: [(field: FieldRef?, automaton: LiteralAutomaton, patternRules: [[Int32]])]
    /// Rules evaluated whatever the literals (no literal requirement could be derived).
    let alwaysRules: [Int32]
    /// Per rule, the datasets its log source covers (bit = `Dataset.rawValue`); all bits when its
    /// routes do not name datasets. Rules without routes have no bits and are never evaluated.
    let datasetMask: [UInt64]

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
        var masks: [UInt64] = []
        var always: [Int32] = []
        for (index, compiled) in ruleSet.rules.enumerated() {
            var mask: UInt64 = 0
            for route in compiled.rule.routes {
                if let condition = route.conditions.first(where: { $0.field.name == "event.dataset" }) {
                    for (raw, name) in Dataset.names.enumerated() where raw < 64 {
                        if condition.values.contains(Array(name.utf8)) { mask |= 1 << UInt64(raw) }
                    }
                } else {
                    mask = ~0
                }
            }
            masks.append(mask)
            if compiled.requiredAnyOf == nil && mask != 0 { always.append(Int32(index)) }
        }
        var fields: [(FieldRef?, LiteralAutomaton, [[Int32]])] = []
        let grouped = ruleSet.literalsByField.sorted { ($0.key?.name ?? "") < ($1.key?.name ?? "") }
        for (field, entries) in grouped {
            var patternIndex: [[UInt8]: Int] = [:]
            var patterns: [[UInt8]] = []
            var rules: [[Int32]] = []
            for entry in entries where masks[entry.rule] != 0 {
                if let existing = patternIndex[entry.literal] {
                    if rules[existing].last != Int32(entry.rule) { rules[existing].append(Int32(entry.rule)) }
                } else {
                    patternIndex[entry.literal] = patterns.count
                    patterns.append(entry.literal)
                    rules.append([Int32(entry.rule)])
                }
            }
            if !patterns.isEmpty { fields.append((field, LiteralAutomaton(patterns: patterns), rules)) }
        }
        self.fields = fields
        self.alwaysRules = always
        self.datasetMask = masks
    }

    /// Rules that can ever fire (their log source has events).
    public var activeRuleCount: Int { datasetMask.filter { $0 != 0 }.count }

    /// Matches every event of `batch` (parsed from `chunk`, read from `path`), calling `hit` for each
    /// matching rule of each event, in event order and, within an event, in rule order.
    public func match(_ batch: EventBatch, chunk: Chunk, scratch: EngineScratch,
                      include: (EventRecord) -> Bool = { _ in true }, hit: (RuleHit) -> Void) {
        var path = chunk.origin.path
        path.withUTF8 { pathBytes in
            batch.withValues(in: chunk) { values in
                for index in batch.events.indices {
                    let record = batch.events[index]
                    guard include(record) else { continue }
                    let event = BatchEvent(batch: batch, values: values, index: index, path: pathBytes)
                    matchEvent(event, dataset: record.dataset, scratch: scratch) { hit(RuleHit(event: index, rule: $0)) }
                }
            }
        }
    }

    /// Matches one event; calls `hit` with the index of each matching rule, in rule order.
    public func matchEvent(_ event: some SigmaEvent, dataset: Dataset, scratch: EngineScratch, hit: (Int) -> Void) {
        let bit: UInt64 = dataset.rawValue < 64 ? 1 << UInt64(dataset.rawValue) : 0
        scratch.stamp &+= 1
        if scratch.stamp == 0 {  // wrapped: forget old stamps
            for i in scratch.ruleStamp.indices { scratch.ruleStamp[i] = 0 }
            for f in scratch.patternStamp.indices {
                for i in scratch.patternStamp[f].indices { scratch.patternStamp[f][i] = 0 }
            }
            scratch.stamp = 1
        }
        let stamp = scratch.stamp
        scratch.candidates.removeAll(keepingCapacity: true)
        for (f, entry) in fields.enumerated() {
            let scan = { (value: UnsafeBufferPointer<UInt8>?) in
                guard let value else { return }
                entry.automaton.scan(value) { pattern in
                    if scratch.patternStamp[f][Int(pattern)] == stamp { return }
                    scratch.patternStamp[f][Int(pattern)] = stamp
                    for rule in entry.patternRules[Int(pattern)] where scratch.ruleStamp[Int(rule)] != stamp {
                        scratch.ruleStamp[Int(rule)] = stamp
                        if self.datasetMask[Int(rule)] & bit != 0 { scratch.candidates.append(rule) }
                    }
                }
            }
            if let field = entry.field { event.withValue(of: field, scan) } else { event.withOriginal { scan($0) } }
        }
        for rule in alwaysRules where datasetMask[Int(rule)] & bit != 0 { scratch.candidates.append(rule) }
        if scratch.candidates.count > 1 { scratch.candidates.sort() }
        for rule in scratch.candidates {
            if ruleSet.rules[Int(rule)].rule.matches(event, scratch: scratch.match) { hit(Int(rule)) }
        }
    }

    /// The names of the rule's searches that are true for `event` (for the alert's explanation).
    public func matchedSearches(_ rule: Int, _ event: some SigmaEvent, scratch: EngineScratch) -> [String] {
        ruleSet.rules[rule].rule.searches.filter { $0.expression.matches(event, scratch: scratch.match) }.map(\.name)
    }
}
