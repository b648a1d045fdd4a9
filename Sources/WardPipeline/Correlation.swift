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
        /// `"rule.id":…,"rule.reference":[…],…` of the correlation.
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
    /// `--format pretty` on a terminal: its width (lines are cut to it).
    public var lineWidth: Int?

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

