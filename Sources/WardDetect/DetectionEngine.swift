import WardCore
import WardRegex
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
    /// One stamp per pattern of every field, fields one after the other (``DetectionEngine`` offsets).
    var patternStamp: [UInt32]
    var candidates: [Int32] = []
    public let match = MatchScratch()
    /// Rules whose evaluation met a regular-expression search PCRE2 gave up on (match limit, …),
    /// since the caller last cleared it: the event, the rule, PCRE2's code, and whether the outcome
    /// depended on it (the rule matched only when the search is taken as a match: its hit is then
    /// reported, flagged — better a flagged alert than a miss).
    public var evaluationErrors: [(event: Int, rule: Int32, code: Int32, uncertain: Bool)] = []
    var currentEvent = 0

    public init(engine: DetectionEngine) {
        ruleStamp = [UInt32](repeating: 0, count: engine.ruleSet.rules.count)
        patternStamp = [UInt32](repeating: 0, count: engine.patternTotal)
        candidates.reserveCapacity(engine.ruleSet.rules.count)
    }
}

/// A field's automaton as raw memory owned by the engine: the scan loop reads it without touching a
/// reference count. (Atomic retain/release on tables shared by all workers made two threads slower
/// than one on 20 rules: the cores fought over the same cache lines.)
struct FieldTable {
    var id: FieldID?
    var isOriginal: Bool
    var nameBytes: UnsafeBufferPointer<UInt8>
    var classOf: UnsafePointer<UInt8>
    var next: UnsafePointer<Int32>
    var classCount: Int
    var outputStart: UnsafePointer<Int32>
    var outputs: UnsafePointer<Int32>
    var dictionary: UnsafePointer<Int32>
    /// Rules of pattern p: `patternRules[ruleStart[p] ..< ruleStart[p + 1]]`.
    var ruleStart: UnsafePointer<Int32>
    var patternRules: UnsafePointer<Int32>
    var patternOffset: Int

    static func copy<T>(_ array: [T]) -> UnsafePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, array.count))
        p.initialize(from: array, count: array.count)
        return UnsafePointer(p)
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
    /// Where each field's patterns start in ``EngineScratch``'s flat stamp array.
    let patternOffsets: [Int]
    let patternTotal: Int
    /// The rules, as reference-counted programs: evaluating one costs one retain, not a copy of its
    /// metadata.
    let programs: [RuleProgram]
    /// The same fields as raw tables (see ``FieldTable``), owned by the engine.
    nonisolated(unsafe) let tables: UnsafeMutableBufferPointer<FieldTable>
    nonisolated(unsafe) let masks: UnsafePointer<UInt64>
    /// Rules evaluated whatever the literals (no literal requirement could be derived).
    let alwaysRules: [Int32]
    /// Per rule, the datasets its log source covers (bit = `Dataset.rawValue`); all bits when its
    /// routes do not name datasets. Rules without routes have no bits and are never evaluated.
    let datasetMask: [UInt64]

    /// Fields the parse stage derives on demand (HL7 paths).
    public let resolver: (any DerivedFieldResolver)?

    public init(ruleSet: RuleSet, resolver: (any DerivedFieldResolver)? = nil) {
        self.ruleSet = ruleSet
        self.resolver = resolver
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
        var offsets: [Int] = []
        var total = 0
        for field in fields {
            offsets.append(total)
            total += field.1.patternCount
        }
        self.patternOffsets = offsets
        self.patternTotal = total
        self.alwaysRules = always
        self.datasetMask = masks
        self.programs = ruleSet.rules.map { RuleProgram($0.rule) }
        self.masks = FieldTable.copy(masks)
        self.tables = .allocate(capacity: max(1, fields.count))
        for (f, entry) in fields.enumerated() {
            var ruleStart: [Int32] = [0]
            var flat: [Int32] = []
            for rules in entry.2 {
                flat += rules
                ruleStart.append(Int32(flat.count))
            }
            let a = entry.1
            (tables.baseAddress! + f).initialize(to: FieldTable(
                id: entry.0?.id, isOriginal: entry.0 == nil,
                nameBytes: UnsafeBufferPointer(start: FieldTable.copy(entry.0?.nameBytes ?? []), count: entry.0?.nameBytes.count ?? 0),
                classOf: FieldTable.copy(a.classOf), next: FieldTable.copy(a.next), classCount: a.classCount,
                outputStart: FieldTable.copy(a.outputStart), outputs: FieldTable.copy(a.outputs),
                dictionary: FieldTable.copy(a.dictionary), ruleStart: FieldTable.copy(ruleStart),
                patternRules: FieldTable.copy(flat), patternOffset: offsets[f]))
        }
    }

    deinit {
        for t in UnsafeMutableBufferPointer(rebasing: tables[0..<fields.count]) {
            for p in [UnsafeMutableRawPointer(mutating: t.classOf), UnsafeMutableRawPointer(mutating: t.next),
                      UnsafeMutableRawPointer(mutating: t.outputStart), UnsafeMutableRawPointer(mutating: t.outputs),
                      UnsafeMutableRawPointer(mutating: t.dictionary), UnsafeMutableRawPointer(mutating: t.ruleStart),
                      UnsafeMutableRawPointer(mutating: t.patternRules),
                      UnsafeMutableRawPointer(mutating: t.nameBytes.baseAddress!)] {
                p.deallocate()
            }
        }
        tables.deallocate()
        UnsafeMutableRawPointer(mutating: masks).deallocate()
    }

    /// Rules that can ever fire (their log source has events).
    public var activeRuleCount: Int { datasetMask.filter { $0 != 0 }.count }

    /// Matches every event of `batch` (parsed from `chunk`, read from `path`), calling `hit` for each
    /// matching rule of each event, in event order and, within an event, in rule order.
    public func match(_ batch: EventBatch, chunk: Chunk, scratch: EngineScratch,
                      include: (EventRecord) -> Bool = { _ in true }, hit: (RuleHit) -> Void) {
        var path = chunk.origin.path
        path.withUTF8 { pathBytes in
            batch.withEventBuffers(in: chunk) { events, fields, values in
                for index in events.indices {
                    let record = events[index]
                    guard include(record) else { continue }
                    let event = BatchEvent(events: events, fields: fields, values: values, index: index, path: pathBytes,
                                           resolver: resolver)
                    scratch.currentEvent = index
                    matchEvent(event, dataset: record.dataset, scratch: scratch) { hit(RuleHit(event: index, rule: $0)) }
                }
            }
        }
    }

    /// Matches one event; calls `hit` with the index of each matching rule, in rule order.
    public func matchEvent(_ event: BatchEvent, dataset: Dataset, scratch: EngineScratch, hit: (Int) -> Void) {
        let bit: UInt64 = dataset.rawValue < 64 ? 1 << UInt64(dataset.rawValue) : 0
        scratch.stamp &+= 1
        if scratch.stamp == 0 {  // wrapped: forget old stamps
            for i in scratch.ruleStamp.indices { scratch.ruleStamp[i] = 0 }
            for i in scratch.patternStamp.indices { scratch.patternStamp[i] = 0 }
            scratch.stamp = 1
        }
        let stamp = scratch.stamp
        scratch.candidates.removeAll(keepingCapacity: true)
        scratch.patternStamp.withUnsafeMutableBufferPointer { patternStamp in
            scratch.ruleStamp.withUnsafeMutableBufferPointer { ruleStamp in
                for f in 0..<fields.count {
                    let t = tables[f]
                    func scan(_ value: UnsafeBufferPointer<UInt8>) {
                    var row = 0
                    for b in value {
                        let n = t.next[row &+ Int(t.classOf[Int(b)])]
                        if n >= 0 {
                            row = Int(n)
                            continue
                        }
                        row = Int(~n)
                        // Patterns ending here: own, then along dictionary links.
                        let state = row / t.classCount
                        var r = t.outputStart[state] != t.outputStart[state + 1] ? Int32(state) : t.dictionary[state]
                        while r >= 0 {
                            for k in Int(t.outputStart[Int(r)])..<Int(t.outputStart[Int(r) + 1]) {
                                let pattern = Int(t.outputs[k])
                                let p = t.patternOffset + pattern
                                if patternStamp[p] == stamp { continue }
                                patternStamp[p] = stamp
                                for j in Int(t.ruleStart[pattern])..<Int(t.ruleStart[pattern + 1]) {
                                    let rule = Int(t.patternRules[j])
                                    if ruleStamp[rule] == stamp { continue }
                                    ruleStamp[rule] = stamp
                                    if masks[rule] & bit != 0 { scratch.candidates.append(Int32(rule)) }
                                }
                            }
                            r = t.dictionary[Int(r)]
                        }
                    }
                    }
                    if t.isOriginal && event.keywordsSearchValues {
                        // Keywords of a structured event search its values, each on its own.
                        _ = event.anyKeywordText { value in
                            scan(value)
                            return false
                        }
                    } else {
                        // Values that are not slots (event.dataset, hl7.<SEG>.<n> paths) are served by the closure.
                        event.withBytes(id: t.isOriginal ? .eventOriginal : t.id, name: t.nameBytes) { value in
                            if let value { scan(value) }
                        }
                    }
                }
            }
        }
        for rule in alwaysRules where datasetMask[Int(rule)] & bit != 0 { scratch.candidates.append(rule) }
        if scratch.candidates.count > 1 { scratch.candidates.sort() }
        let regex = scratch.match.regex
        for rule in scratch.candidates {
            let errors = regex.errors
            var matched = programs[Int(rule)].matches(event, scratch: scratch.match)
            if regex.errors != errors {
                // A search gave up and read as "no match": evaluate again reading it as "match".
                regex.errorAnswer = true
                let asMatch = programs[Int(rule)].matches(event, scratch: scratch.match)
                regex.errorAnswer = false
                scratch.evaluationErrors.append((scratch.currentEvent, rule, regex.lastError, asMatch != matched))
                matched = matched || asMatch
            }
            if matched { hit(Int(rule)) }
        }
    }

    /// The searches of `rule` that are true for `event`, as bits (search *n* = bit *n*, the first 64),
    /// for an event the rule matched.
    public func matchedSearchMask(_ rule: Int, _ event: some SigmaEvent, scratch: EngineScratch) -> UInt64 {
        // `condition: selection` with one search: it was true, or the rule would not have matched.
        if programs[rule].isSingleSearch { return 1 }
        var mask: UInt64 = 0
        for (n, search) in programs[rule].searches.enumerated() where n < 64 {
            if search.expression.matches(event, scratch: scratch.match) { mask |= 1 << UInt64(n) }
        }
        return mask
    }
}

/// What evaluating a rule needs, held once by reference.
final class RuleProgram: Sendable {
    let routes: [EventRoute]
    let searches: [NamedSearch]
    let expressions: [SearchExpression]
    let condition: Condition

    /// One search, and the condition is that search: a match means it was true.
    let isSingleSearch: Bool

    init(_ rule: SigmaRule) {
        routes = rule.routes
        searches = rule.searches
        expressions = rule.searches.map(\.expression)
        condition = rule.condition
        isSingleSearch = rule.searches.count == 1 && rule.condition == .search(0)
    }

    func matches(_ event: some SigmaEvent, scratch: MatchScratch) -> Bool {
        guard routes.contains(where: { $0.accepts(event) }) else { return false }
        return condition.evaluate { expressions[$0].matches(event, scratch: scratch) }
    }
}
