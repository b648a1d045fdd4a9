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

/// Per-worker state for ``DetectionEngine`` (no sharing, no locks): rule, literal, predicate and
/// field stamps, the candidate list, regex match data. Reused for every event.
public final class EngineScratch {
    var stamp: UInt32 = 0
    let ruleStamp: UnsafeMutableBufferPointer<UInt32>
    /// Four stamps per pattern of every field, fields one after the other (``DetectionEngine``
    /// offsets): the pattern occurred; at the start of the value; at its end; as the whole value.
    /// (Raw memory, like ``ruleStamp``: reaching an array through a class pays an exclusivity check
    /// per access, and the engine reads these for every candidate rule.)
    let patternStamp: UnsafeMutableBufferPointer<UInt32>
    var candidates: [Int32] = []
    public let match = MatchScratch()
    /// Rules whose evaluation met a regular-expression search PCRE2 gave up on (match limit, …),
    /// since the caller last cleared it: the event, the rule, PCRE2's code, and whether the outcome
    /// depended on it (the rule matched only when the search is taken as a match: its hit is then
    /// reported, flagged — better a flagged alert than a miss).
    public var evaluationErrors: [(event: Int, rule: Int32, code: Int32, uncertain: Bool)] = []
    var currentEvent = 0
    /// Per predicate of the engine's ``RuleCircuit``: the event it was evaluated for, its answer, its
    /// PCRE2 error code.
    let predicateStamp: UnsafeMutablePointer<UInt32>
    let predicateValue: UnsafeMutablePointer<UInt8>
    let predicateError: UnsafeMutablePointer<Int32>
    /// The event's ``SlotIndex``.
    let slotOf: UnsafeMutablePointer<Int32>
    let slotStamps: UnsafeMutablePointer<UInt32>
    /// Events matched, events that had at least one candidate rule, and candidate rules evaluated,
    /// since this scratch was made: what `wardwatch bench` reports about the prefilter.
    public internal(set) var prefilter = PrefilterCounts()

    public init(engine: DetectionEngine) {
        ruleStamp = .allocate(capacity: max(1, engine.ruleSet.rules.count))
        ruleStamp.initialize(repeating: 0)
        patternStamp = .allocate(capacity: max(1, engine.patternTotal * 4))
        patternStamp.initialize(repeating: 0)
        candidates.reserveCapacity(engine.ruleSet.rules.count)
        let predicates = max(1, engine.circuit.predicateCount)
        predicateStamp = .allocate(capacity: predicates)
        predicateStamp.initialize(repeating: 0, count: predicates)
        predicateValue = .allocate(capacity: predicates)
        predicateValue.initialize(repeating: 0, count: predicates)
        predicateError = .allocate(capacity: predicates)
        predicateError.initialize(repeating: 0, count: predicates)
        slotOf = .allocate(capacity: SlotIndex.capacity)
        slotOf.initialize(repeating: 0, count: SlotIndex.capacity)
        slotStamps = .allocate(capacity: SlotIndex.capacity)
        slotStamps.initialize(repeating: 0, count: SlotIndex.capacity)
    }

    deinit {
        predicateStamp.deallocate()
        predicateValue.deallocate()
        predicateError.deallocate()
        slotOf.deallocate()
        slotStamps.deallocate()
        ruleStamp.deallocate()
        patternStamp.deallocate()
    }
}

/// What the prefilter let through: events seen, events with a candidate rule, candidate rules, and
/// how the candidates were answered.
public struct PrefilterCounts: Sendable {
    public var events = 0
    public var passed = 0
    public var candidates = 0
    /// Candidates the first pass (literals, and the log source's route) decided to match.
    public var decided = 0
    /// Candidates the second pass answered (their predicates evaluated).
    public var evaluated = 0

    @inline(__always) mutating func add(candidates count: Int) {
        events &+= 1
        passed &+= count > 0 ? 1 : 0
        candidates &+= count
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
    /// Per state, every pattern ending there (its own and along its dictionary links), flattened:
    /// `reports[reportStart[s] ..< reportStart[s + 1]]`, as pairs (the field's pattern number, the
    /// pattern's length) — one contiguous read per report, where walking the links missed the cache
    /// at every step.
    var reportStart: UnsafePointer<Int32>
    var reports: UnsafePointer<Int32>
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
/// For each event, every field its log-source lane's rules name is scanned once by that field's
/// ``LiteralAutomaton`` (``EngineLanes``, ``scanLiterals(_:dataset:stamp:scratch:candidates:)``); the
/// rules one of whose required literals occurred, plus the few without literals, are candidates, and
/// each candidate is answered by its compiled ``RuleCircuit``. The prefilter follows ``RuleSet``'s
/// contract and the circuit is exact, so skipping never loses a match (tests compare the engine with
/// evaluating every rule on every event).
public final class DetectionEngine: Sendable {
    public let ruleSet: RuleSet
    /// Where each field's literals start in ``EngineScratch``'s flat stamp array (fields by name).
    let patternOffsets: [Int]
    let patternTotal: Int
    /// Per rule, its searches (for ``matchedSearchMask(_:_:scratch:)``), held by reference: one retain,
    /// not a copy of its metadata.
    let programs: [RuleProgram]
    /// The automata, per log-source lane (``EngineLanes``).
    nonisolated(unsafe) let lanes: EngineLanes
    nonisolated(unsafe) let masks: UnsafePointer<UInt64>
    /// Rules evaluated whatever the literals (no literal requirement could be derived).
    let alwaysRules: [Int32]
    /// Per rule, the datasets its log source covers (bit = `Dataset.rawValue`); all bits when its
    /// routes do not name datasets. Rules without routes have no bits and are never evaluated.
    let datasetMask: [UInt64]
    /// Every rule as flat data: routes and condition over literals and predicates (``RuleCircuit``).
    nonisolated(unsafe) let circuit: CircuitTable

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
        // Per field: the prefilter's required literals (each with the rules it makes candidates), and
        // the other literals the rule circuit reads (only stamped).
        var patternsByField: [FieldRef?: FieldPatterns] = [:]
        func patterns(of field: FieldRef?) -> FieldPatterns {
            if let existing = patternsByField[field] { return existing }
            let made = FieldPatterns()
            patternsByField[field] = made
            return made
        }
        for (field, entries) in ruleSet.literalsByField {
            let entry = patterns(of: field)
            for literal in entries where masks[literal.rule] != 0 { entry.add(literal.literal, rule: Int32(literal.rule), candidate: true) }
        }
        for (index, compiled) in ruleSet.rules.enumerated() where masks[index] != 0 {
            for literal in RuleCircuit.literals(of: compiled.rule) {
                patterns(of: literal.field).add(literal.bytes, rule: Int32(index), candidate: false)
            }
        }
        let fields = patternsByField.sorted { ($0.key?.name ?? "") < ($1.key?.name ?? "") }.filter { !$0.value.patterns.isEmpty }
        var offsets: [Int] = []
        var total = 0
        for field in fields {
            offsets.append(total)
            total += field.value.patterns.count
        }
        self.patternOffsets = offsets
        self.patternTotal = total
        self.alwaysRules = always
        self.datasetMask = masks
        self.programs = ruleSet.rules.map { RuleProgram($0.rule) }
        var circuit = RuleCircuit()
        var fieldOffset: [FieldRef?: Int] = [:]
        for (f, field) in fields.enumerated() { fieldOffset[field.key] = offsets[f] }
        for compiled in ruleSet.rules {
            circuit.add(compiled.rule) { field, literal in
                // Rules with no log source (mask 0) are never evaluated: their literals are not loaded.
                guard let offset = fieldOffset[field], let index = patternsByField[field]?.index[literal] else { return -1 }
                return offset + index
            }
        }
        self.circuit = CircuitTable(circuit)
        self.masks = FieldTable.copy(masks)
        self.lanes = EngineLanes(fields: fields.map { ($0.key, $0.value) }, offsets: offsets, masks: masks)
    }

    deinit {
        lanes.deallocate()
        circuit.deallocate()
        UnsafeMutableRawPointer(mutating: masks).deallocate()
    }

    /// Rules that can ever fire (their log source has events).
    public var activeRuleCount: Int { datasetMask.filter { $0 != 0 }.count }

    /// The prefilter's automata per log-source lane: the lane's datasets, and per field (`nil`:
    /// keywords) its literals, states and table bytes.
    public var automata: [(datasets: [String], automata: [(field: String?, literals: Int, states: Int, bytes: Int)])] {
        lanes.summary.filter { !$0.datasets.isEmpty }
    }

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
            scratch.ruleStamp.update(repeating: 0)
            scratch.patternStamp.update(repeating: 0)
            scratch.predicateStamp.update(repeating: 0, count: max(1, circuit.predicateCount))
            scratch.slotStamps.update(repeating: 0, count: SlotIndex.capacity)
            scratch.stamp = 1
        }
        let stamp = scratch.stamp
        let event = SlotIndex.index(event, slotOf: scratch.slotOf, stamps: scratch.slotStamps, stamp: stamp)
        // Worked on as a local (moved out and back: no copy), not through the class's property: an
        // append to a class's array pays a dynamic exclusivity check.
        var candidates = scratch.candidates
        scratch.candidates = []
        candidates.removeAll(keepingCapacity: true)
        let patternStamp = scratch.patternStamp
        scanLiterals(event, dataset: dataset, stamp: stamp, scratch: scratch, candidates: &candidates)
        for rule in alwaysRules where datasetMask[Int(rule)] & bit != 0 { candidates.append(rule) }
        if candidates.count > 1 { candidates.sort() }
        scratch.prefilter.add(candidates: candidates.count)
        defer { scratch.candidates = candidates }
        var run = CircuitRun(table: circuit, stamps: patternStamp, stamp: stamp, predicateStamp: scratch.predicateStamp,
                             predicateValue: scratch.predicateValue, predicateError: scratch.predicateError,
                             event: event, scratch: scratch.match)
        for rule in candidates {
            var answer = run.answer(Int(rule), full: false)
            if answer == .maybe {
                scratch.prefilter.evaluated &+= 1
                run.error = 0
                answer = run.answer(Int(rule), full: true)
                if run.error != 0 {
                    // A regular expression PCRE2 gave up on: its rule is reported, and when the answer
                    // depended on it ("maybe"), the hit is flagged — better a flagged alert than a miss.
                    scratch.evaluationErrors.append((scratch.currentEvent, rule, run.error, answer == .maybe))
                }
            } else if answer == .yes {
                scratch.prefilter.decided &+= 1
            }
            if answer != .no { hit(Int(rule)) }
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

/// What ``DetectionEngine/matchedSearchMask(_:_:scratch:)`` needs of a rule, held once by reference
/// (matching itself runs on ``RuleCircuit``).
final class RuleProgram: Sendable {
    let searches: [NamedSearch]

    /// One search, and the condition is that search: a match means it was true.
    let isSingleSearch: Bool

    init(_ rule: SigmaRule) {
        searches = rule.searches
        isSingleSearch = rule.searches.count == 1 && rule.condition == .search(0)
    }
}
