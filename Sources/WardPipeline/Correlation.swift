import WardCore
import WardDetect
import WardOutput
import WardRules

/// Sigma correlation rules, compiled against the detection rules they reference: for each reference,
/// where its group-by and value fields come from (a base rule's carried field slots, or an inner
/// correlation's group), and which detection rules only feed correlations.
public struct CorrelationSet: Sendable {
    public struct Input: Sendable {
        public enum Source: Sendable, Equatable { case rule(Int), correlation(Int) }
        public var source: Source
        /// Position of the reference in the correlation's `rules` (temporal conditions and order).
        public var position: Int
        /// Per group-by field: a carried field slot of the base rule, or an index into the inner
        /// correlation's group-by (-1: the inner correlation has no such group field).
        public var groupSlots: [Int]
        /// Per `condition.field`, the same.
        public var valueSlots: [Int]
    }

    public struct Node: Sendable {
        public var rule: CorrelationRule
        public var inputs: [Input]
        public var condition: Condition?
        /// Referenced by another correlation that does not `generate`: its alerts only feed that one.
        public var silent = false
        public var level: AlertLevel
        /// `"rule.id":…,"rule.references":[…]` of the correlation.
        var members: [UInt8]
        /// What `correlation.rules` names per position of `rules`.
        var ruleLabels: [String]
    }

    public private(set) var nodes: [Node] = []
    /// Per detection rule: the (correlation, input) pairs its matches feed.
    public private(set) var byRule: [[(node: Int, input: Int)]]
    /// Per correlation: the (correlation, input) pairs its alerts feed.
    public private(set) var byCorrelation: [[(node: Int, input: Int)]]

    public var isEmpty: Bool { nodes.isEmpty }

    /// Compiles `correlations` (validated by ``RuleLoader``: every reference resolves, no cycles)
    /// against `rules`, the detection rules in engine order, and records in `annotations` the fields
    /// their matches must carry and which rules are silent.
    public init(_ correlations: [CorrelationRule], rules: [SigmaRule], annotations: inout MatchAnnotations) {
        byRule = Array(repeating: [], count: rules.count)
        byCorrelation = Array(repeating: [], count: correlations.count)
        // References resolve by id, then by name (`SIGMA.md` §8.1); correlations after rules.
        var ruleByID: [String: Int] = [:], ruleByName: [String: Int] = [:]
        for (i, rule) in rules.enumerated() {
            if let id = rule.metadata.id, ruleByID[id] == nil { ruleByID[id] = i }
            if let name = rule.metadata.name, ruleByName[name] == nil { ruleByName[name] = i }
        }
        var correlationByID: [String: Int] = [:], correlationByName: [String: Int] = [:]
        for (i, c) in correlations.enumerated() {
            if let id = c.metadata.id, correlationByID[id] == nil { correlationByID[id] = i }
            if let name = c.metadata.name, correlationByName[name] == nil { correlationByName[name] = i }
        }
        func resolve(_ reference: String) -> Input.Source? {
            if let i = ruleByID[reference] { return .rule(i) }
            if let i = correlationByID[reference] { return .correlation(i) }
            if let i = ruleByName[reference] { return .rule(i) }
            if let i = correlationByName[reference] { return .correlation(i) }
            return nil
        }
        var generated = Array(repeating: false, count: rules.count)
        var referenced = Array(repeating: false, count: rules.count)
        var correlationGenerated = Array(repeating: false, count: correlations.count)
        var correlationReferenced = Array(repeating: false, count: correlations.count)
        for (n, c) in correlations.enumerated() {
            var inputs: [Input] = []
            var labels: [String] = []
            for (position, reference) in c.rules.enumerated() {
                guard let source = resolve(reference) else {
                    labels.append(reference)
                    continue
                }
                // The field a group-by or value name means for this reference: its alias, else itself.
                func sigmaName(_ name: String) -> String { c.aliases[name]?[reference] ?? name }
                var input = Input(source: source, position: position, groupSlots: [], valueSlots: [])
                switch source {
                case .rule(let r):
                    let rule = rules[r]
                    labels.append(rule.metadata.id ?? rule.metadata.name ?? rule.metadata.title)
                    input.groupSlots = c.groupBy.map { annotations.slot(rule: r, field: rule.eventField(sigmaName($0))) }
                    input.valueSlots = c.fields.map { annotations.slot(rule: r, field: rule.eventField(sigmaName($0))) }
                    annotations.feedsStages[r] = true
                    referenced[r] = true
                    if c.generate { generated[r] = true }
                    byRule[r].append((n, inputs.count))
                case .correlation(let inner):
                    let innerRule = correlations[inner]
                    labels.append(innerRule.metadata.id ?? innerRule.metadata.name ?? innerRule.metadata.title)
                    input.groupSlots = c.groupBy.map { innerRule.groupBy.firstIndex(of: sigmaName($0)) ?? -1 }
                    input.valueSlots = c.fields.map { innerRule.groupBy.firstIndex(of: sigmaName($0)) ?? -1 }
                    correlationReferenced[inner] = true
                    if c.generate { correlationGenerated[inner] = true }
                    byCorrelation[inner].append((n, inputs.count))
                }
                inputs.append(input)
            }
            nodes.append(Node(rule: c, inputs: inputs, condition: c.parsedTemporalCondition,
                              level: AlertLevel(ruleLevel: c.metadata.level),
                              members: AlertEncoder.ruleMembers(c.metadata), ruleLabels: labels))
        }
        // `generate: false` (the default): a referenced rule writes no alerts of its own, unless some
        // correlation that references it generates them.
        for r in rules.indices where referenced[r] && !generated[r] { annotations.silent[r] = true }
        for n in nodes.indices where correlationReferenced[n] && !correlationGenerated[n] { nodes[n].silent = true }
    }
}

/// Settings of the correlation stage.
public struct CorrelationSettings: Sendable {
    /// Events older than their group's newest event minus this (nanoseconds) are late: counted, ignored.
    public var maxLateness: Int64 = 60_000_000_000
    /// Groups kept across all correlations; past it the stalest are evicted (counted).
    public var maxGroups = 100_000
    /// Events kept per group; past it the oldest are dropped (counted).
    public var maxEventsPerGroup = 10_000
    /// Correlation alerts below this level are not written (they still feed chained correlations).
    public var minimumLevel: AlertLevel = .informational
    /// One sink per level (`--output DIR/`).
    public var perLevel = false
    /// JSON lines, or readable lines (`--format pretty`), as the detection alerts.
    public var style: AlertEncoder.Style = .json

    public init() {}
}

/// What the correlation stage counted: for the summary and the warnings.
public struct CorrelationStatistics: Sendable {
    /// Events of base rules that fed a correlation.
    public var events = 0
    /// Events without a time (they feed no correlation).
    public var untimed = 0
    /// Events whose group-by fields were missing (they belong to no group).
    public var ungrouped = 0
    /// Events older than their group's newest minus --max-lateness.
    public var late = 0
    /// Events of a value correlation without a usable value (missing, or not a number for sums).
    public var withoutValue = 0
    /// Groups evicted at the --max-groups cap while their window was still open.
    public var evictedGroups = 0
    /// Events dropped from groups at the per-group cap.
    public var droppedEvents = 0
    /// Peak number of groups held.
    public var peakGroups = 0
    /// Alerts per correlation (including those not written: silent or below --min-level).
    public var fired: [Int]

    init(correlations: Int) { fired = Array(repeating: 0, count: correlations) }
}

/// Evaluates Sigma correlation rules over the ordered stream of matches: a sliding event-time window
/// per (correlation, group key). See README "Correlations" for the semantics.
public final class CorrelationStage: OrderedStage {
    struct Entry {
        var time: Int64
        var source: Int32
        var offset: Int64
        /// Position of the reference in the correlation's `rules`.
        var position: Int32
        var number: Double
        /// The value of a value_count (empty otherwise).
        var value: [UInt8]
    }

    final class Group {
        let key: [UInt8]
        var values: [String]
        var entries: [Entry] = []
        var head = 0
        var newest = Int64.min
        var firing = false
        /// value_count: distinct values in the window and how often each occurs.
        var distinct: [[UInt8]: Int] = [:]
        /// temporal: events in the window per rule position.
        var perRule: [Int] = []
        var sum = 0.0
        var numbers = 0

        init(key: [UInt8], values: [String], rules: Int) {
            self.key = key
            self.values = values
            perRule = Array(repeating: 0, count: rules)
        }

        var count: Int { entries.count - head }
    }

    public let set: CorrelationSet
    let settings: CorrelationSettings
    let ruleOffset: Int
    var inputNames: [String]
    var groups: [[[UInt8]: Group]]
    var groupCount = 0
    public private(set) var statistics: CorrelationStatistics

    /// `ruleOffset`: the number of detection rules (correlation *n* counts as rule `ruleOffset + n`);
    /// `inputNames`: the inputs' paths, for `correlation.events`.
    public init(_ set: CorrelationSet, ruleOffset: Int, inputNames: [String], settings: CorrelationSettings) {
        self.set = set
        self.settings = settings
        self.ruleOffset = ruleOffset
        self.inputNames = inputNames
        groups = Array(repeating: [:], count: set.nodes.count)
        statistics = CorrelationStatistics(correlations: set.nodes.count)
    }

    public func process(_ item: StageItem, emit: (StageItem) -> Void) {
        guard case .match(let m, let fields) = item, m.rule >= 0, Int(m.rule) < set.byRule.count,
              !set.byRule[Int(m.rule)].isEmpty
        else {
            emit(item)
            return
        }
        if !m.isSilent { emit(item) }
        guard m.timestamp != EventRecord.noTimestamp else {
            statistics.untimed += 1
            return
        }
        statistics.events += 1
        for (node, input) in set.byRule[Int(m.rule)] {
            let spec = set.nodes[node].inputs[input]
            feed(node, spec, time: m.timestamp, source: m.sourceIndex, offset: m.offset,
                 group: { fields.value(spec.groupSlots[$0]) }, value: { fields.value(spec.valueSlots[$0]) }, emit: emit)
        }
    }

    public func finish(emit: (StageItem) -> Void) {}

    // MARK: - Evaluation

    func feed(_ n: Int, _ input: CorrelationSet.Input, time: Int64, source: Int32, offset: Int64,
              group: (Int) -> ArraySlice<UInt8>?, value: (Int) -> ArraySlice<UInt8>?, emit: (StageItem) -> Void) {
        let node = set.nodes[n]
        let rule = node.rule
        // The group key: each group-by value, length-prefixed.
        var key: [UInt8] = []
        for i in rule.groupBy.indices {
            guard let v = group(i) else {
                statistics.ungrouped += 1
                return
            }
            appendLengthPrefixed(v, to: &key)
        }
        var entry = Entry(time: time, source: source, offset: offset, position: Int32(input.position), number: 0, value: [])
        switch rule.kind {
        case .valueCount:
            for i in rule.fields.indices {
                guard let v = value(i) else {
                    statistics.withoutValue += 1
                    return
                }
                appendLengthPrefixed(v, to: &entry.value)
            }
        case .valueSum, .valueAvg, .valuePercentile, .valueMedian:
            guard let v = value(0), let number = Self.number(v) else {
                statistics.withoutValue += 1
                return
            }
            entry.number = number
        default:
            break
        }
        let g: Group
        if let existing = groups[n][key] {
            g = existing
        } else {
            var values: [String] = []
            for i in rule.groupBy.indices { values.append(String(decoding: group(i)!, as: UTF8.self)) }
            if groupCount >= settings.maxGroups { evict(now: time) }
            g = Group(key: key, values: values, rules: rule.rules.count)
            groups[n][key] = g
            groupCount += 1
            statistics.peakGroups = max(statistics.peakGroups, groupCount)
        }
        if g.newest != .min && time < g.newest &- settings.maxLateness {
            statistics.late += 1
            return
        }
        let span = Int64(rule.timespanSeconds) * 1_000_000_000
        if time > g.newest { g.newest = time }
        // Outside the window that ends at the group's newest event: it can no longer count.
        let start = g.newest &- span
        if time < start { return }
        insert(entry, into: g, kind: rule.kind)
        // Slide: entries older than the window's start leave it (the old edge is inclusive).
        while g.head < g.entries.count && g.entries[g.head].time < start { remove(g.head, from: g, kind: rule.kind) }
        if g.count > settings.maxEventsPerGroup {
            statistics.droppedEvents += 1
            remove(g.head, from: g, kind: rule.kind)
        }
        if g.head > 64 && g.head * 2 > g.entries.count {
            g.entries.removeFirst(g.head)
            g.head = 0
        }
        let (met, aggregate) = evaluate(node, g)
        if met && !g.firing {
            g.firing = true
            fire(n, g, value: aggregate, start: start, end: g.newest, emit: emit)
        } else if !met {
            g.firing = false
        }
    }

    func insert(_ entry: Entry, into g: Group, kind: CorrelationRule.Kind) {
        // Sorted by time; an equal time goes after those already there (arrival order).
        var i = g.entries.count
        while i > g.head && g.entries[i - 1].time > entry.time { i -= 1 }
        if i == g.entries.count { g.entries.append(entry) } else { g.entries.insert(entry, at: i) }
        switch kind {
        case .valueCount: g.distinct[entry.value, default: 0] += 1
        case .valueSum, .valueAvg: g.sum += entry.number
        default: break
        }
        g.perRule[Int(entry.position)] += 1
    }

    func remove(_ index: Int, from g: Group, kind: CorrelationRule.Kind) {
        precondition(index == g.head)
        let entry = g.entries[index]
        g.head += 1
        switch kind {
        case .valueCount:
            if let n = g.distinct[entry.value] {
                if n <= 1 { g.distinct[entry.value] = nil } else { g.distinct[entry.value] = n - 1 }
            }
        case .valueSum, .valueAvg: g.sum -= entry.number
        default: break
        }
        g.perRule[Int(entry.position)] -= 1
        if g.count == 0 { g.sum = 0 }
    }

    /// Whether the group's window meets the correlation's condition, and the aggregate it compared.
    func evaluate(_ node: CorrelationSet.Node, _ g: Group) -> (Bool, Double) {
        let rule = node.rule
        let aggregate: Double
        switch rule.kind {
        case .eventCount:
            aggregate = Double(g.count)
        case .valueCount:
            aggregate = Double(g.distinct.count)
        case .valueSum:
            aggregate = g.sum
        case .valueAvg:
            aggregate = g.count > 0 ? g.sum / Double(g.count) : 0
        case .valuePercentile, .valueMedian:
            var values = g.entries[g.head...].map(\.number)
            values.sort()
            // Nearest rank.
            let rank = max(1, Int((rule.percentile / 100 * Double(values.count)).rounded(.up)))
            aggregate = values.isEmpty ? 0 : values[min(values.count, rank) - 1]
        case .temporal:
            let matched = g.perRule.filter { $0 > 0 }.count
            if let condition = node.condition {
                return (condition.evaluate { g.perRule[$0] > 0 }, Double(matched))
            }
            aggregate = Double(matched)
            if rule.comparisons.isEmpty { return (matched == rule.rules.count, aggregate) }
        case .temporalOrdered:
            let steps = orderedSteps(rule.rules.count, g)
            aggregate = Double(steps)
            if rule.comparisons.isEmpty { return (steps == rule.rules.count, aggregate) }
        }
        return (rule.comparisons.allSatisfy { $0.0.holds(aggregate, $0.1) }, aggregate)
    }

    /// How many steps of the rule order the window completes, taking the earliest event for each step
    /// (equal times count as ordered either way).
    func orderedSteps(_ count: Int, _ g: Group) -> Int {
        var step = 0
        var i = g.head
        while i < g.entries.count && step < count {
            // The events at this time.
            var j = i
            while j < g.entries.count && g.entries[j].time == g.entries[i].time { j += 1 }
            var progressed = true
            while progressed && step < count {
                progressed = false
                for k in i..<j where Int(g.entries[k].position) == step {
                    step += 1
                    progressed = true
                    break
                }
            }
            i = j
        }
        return step
    }

    // MARK: - Alerts

    func fire(_ n: Int, _ g: Group, value: Double, start: Int64, end: Int64, emit: (StageItem) -> Void) {
        statistics.fired[n] += 1
        let node = set.nodes[n]
        let rule = node.rule
        let entries = g.entries[g.head...]
        var w = JSONWriter(capacity: 1024)
        if case .pretty(let color) = settings.style {
            // `… HIGH  Brute force  event_count 12 (gte 10) in 5m  source.ip=203.0.113.50  first: auth.log@1024`
            AlertEncoder.prettyPrefix(timestamp: end, level: node.level, title: rule.metadata.title, color: color, to: &w)
            w.append("  ")
            w.bytes += Array("\(rule.kind.rawValue) ".utf8)
            Self.appendNumber(value, to: &w)
            w.bytes += Array(" in \(rule.timespanText)".utf8)
            for (i, name) in rule.groupBy.enumerated() {
                w.append("  ")
                w.bytes += Array(name.utf8)
                w.append("=")
                g.values[i].utf8.withContiguousStorageIfAvailable { w.appendPrintable($0) }
            }
            if let first = entries.first, Int(first.source) < inputNames.count {
                w.bytes += Array("  \(entries.count) events from \(inputNames[Int(first.source)]) byte \(first.offset)".utf8)
            }
            w.append("\n")
        } else {
            encodeJSON(node, g, value: value, start: start, end: end, to: &w)
        }
        let fields = zip(rule.groupBy, g.values).map { ($0, $1) }
        let last = entries.last!
        if !node.silent && node.level >= settings.minimumLevel {
            let sink = settings.perLevel ? UInt8(AlertLevel.allCases.firstIndex(of: node.level)!) : 0
            emit(.record(StageRecord(rule: Int32(ruleOffset + n), sink: sink, timestamp: end, bytes: w.bytes, fields: fields)))
        }
        // Chains: the alert is an event of the correlations that reference this one.
        for (outer, input) in set.byCorrelation[n] {
            let spec = set.nodes[outer].inputs[input]
            func lookup(_ slot: Int) -> ArraySlice<UInt8>? { slot >= 0 ? ArraySlice(g.values[slot].utf8) : nil }
            feed(outer, spec, time: end, source: last.source, offset: last.offset,
                 group: { lookup(spec.groupSlots[$0]) }, value: { lookup(spec.valueSlots[$0]) }, emit: emit)
        }
    }

    func encodeJSON(_ node: CorrelationSet.Node, _ g: Group, value: Double, start: Int64, end: Int64, to w: inout JSONWriter) {
        let rule = node.rule
        let entries = g.entries[g.head...]
        w.append("{\"@timestamp\":\"")
        TimestampFormat.appendRFC3339(end, to: &w.bytes)
        w.append("\",")
        w.bytes += node.members
        w.append(",\"correlation.type\":")
        w.appendString(rule.kind.rawValue)
        w.append(",\"correlation.timespan\":")
        w.appendString(rule.timespanText)
        w.append(",\"correlation.group\":{")
        for (i, name) in rule.groupBy.enumerated() {
            if i > 0 { w.append(",") }
            w.appendString(name)
            w.append(":")
            w.appendString(g.values[i])
        }
        w.append("},\"correlation.value\":")
        Self.appendNumber(value, to: &w)
        w.append(",\"correlation.window.start\":\"")
        TimestampFormat.appendRFC3339(start, to: &w.bytes)
        w.append("\",\"correlation.window.end\":\"")
        TimestampFormat.appendRFC3339(end, to: &w.bytes)
        w.append("\",\"correlation.rules\":")
        var positions: [Int32] = []
        for e in entries where !positions.contains(e.position) { positions.append(e.position) }
        AlertEncoder.array(positions.sorted().map { node.ruleLabels[Int($0)] }, &w)
        w.append(",\"correlation.event_count\":")
        w.appendInteger(Int64(entries.count))
        w.append(",\"correlation.events\":[")
        // Up to 10 references: the first five and the last five.
        let picked = entries.count <= 10 ? Array(entries) : Array(entries.prefix(5)) + Array(entries.suffix(5))
        for (i, e) in picked.enumerated() {
            if i > 0 { w.append(",") }
            w.append("{\"@timestamp\":\"")
            TimestampFormat.appendRFC3339(e.time, to: &w.bytes)
            w.append("\",\"log.file.path\":")
            w.appendString(Int(e.source) < inputNames.count ? inputNames[Int(e.source)] : "")
            w.append(",\"log.offset\":")
            w.appendInteger(e.offset)
            w.append("}")
        }
        w.append("]}\n")
    }

    // MARK: - Bounds

    /// Over the group cap: drops groups whose window closed, then the stalest until 90 % of the cap.
    func evict(now: Int64) {
        for n in groups.indices {
            let span = Int64(set.nodes[n].rule.timespanSeconds) * 1_000_000_000
            let before = groups[n].count
            groups[n] = groups[n].filter { $0.value.newest >= now &- span &- settings.maxLateness }
            groupCount -= before - groups[n].count
        }
        let target = settings.maxGroups - max(1, settings.maxGroups / 10)
        guard groupCount > target else { return }
        var all: [(newest: Int64, node: Int, key: [UInt8])] = []
        all.reserveCapacity(groupCount)
        for n in groups.indices { for (key, g) in groups[n] { all.append((g.newest, n, key)) } }
        all.sort { $0.newest < $1.newest }
        for victim in all.prefix(groupCount - target) {
            groups[victim.node][victim.key] = nil
            statistics.evictedGroups += 1
        }
        groupCount = target
    }

    // MARK: - Helpers

    func appendLengthPrefixed(_ v: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let n = UInt32(v.count)
        out.append(UInt8(truncatingIfNeeded: n))
        out.append(UInt8(truncatingIfNeeded: n >> 8))
        out.append(UInt8(truncatingIfNeeded: n >> 16))
        out.append(UInt8(truncatingIfNeeded: n >> 24))
        out += v
    }

    /// A decimal number (`12`, `-3.5`, `1e3`) in a field's bytes.
    static func number(_ bytes: ArraySlice<UInt8>) -> Double? {
        guard !bytes.isEmpty, bytes.count < 64 else { return nil }
        return Double(String(decoding: bytes, as: UTF8.self))
    }

    static func appendNumber(_ value: Double, to w: inout JSONWriter) {
        if value == value.rounded() && abs(value) < 1e15 {
            w.appendInteger(Int64(value))
        } else if value.isFinite {
            w.bytes += Array("\(value)".utf8)
        } else {
            w.append("null")
        }
    }
}
