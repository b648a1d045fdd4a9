import Yams

/// `logsource`: which events a rule is about.
public struct LogSource: Sendable, Hashable, CustomStringConvertible {
    public var category: String?
    public var product: String?
    public var service: String?

    public init(category: String? = nil, product: String? = nil, service: String? = nil) {
        self.category = category
        self.product = product
        self.service = service
    }

    /// `product/category/service` with `-` for what is not given.
    public var description: String { [product, category, service].map { $0 ?? "-" }.joined(separator: "/") }

    var attributes: [(String, String)] {
        [("category", category), ("product", product), ("service", service)].compactMap { key, value in
            value.map { (key, $0) }
        }
    }

    /// Whether every attribute this one names is also `other`'s (fewer attributes = broader).
    public func contains(_ other: LogSource) -> Bool {
        (category == nil || category == other.category) && (product == nil || product == other.product)
            && (service == nil || service == other.service)
    }
}

/// Rule metadata as written.
public struct RuleMetadata: Sendable {
    public var title: String
    public var id: String?
    public var name: String?
    public var status: String?
    public var level: String?
    public var description: String?
    public var author: String?
    public var references: [String] = []
    public var tags: [String] = []
    public var falsepositives: [String] = []
    public var date: String?
    public var modified: String?
    public var related: [(id: String, type: String)] = []
    public var fields: [String] = []
    public var license: String?
    /// `suppress:` (a wardwatch attribute other Sigma tools ignore).
    public var suppress: SuppressionSpec?
}

/// Alert suppression: after an alert of a rule, further alerts with the same values of `fields` are
/// counted instead of written for `seconds` of event time.
public struct SuppressionSpec: Sendable, Equatable {
    /// Field names (a rule's Sigma names, mapped like its detection's; a correlation's group-by names).
    public var fields: [String]
    public var seconds: Int
    /// The duration as written (`10m`).
    public var text: String

    public init(fields: [String], seconds: Int, text: String) {
        self.fields = fields
        self.seconds = seconds
        self.text = text
    }

    /// `--suppress RULE|*:FIELD,FIELD:DURATION` → (rule selector, spec).
    public static func parseOption(_ text: String) -> (rule: String, spec: SuppressionSpec)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, !parts[0].isEmpty else { return nil }
        // Field names hold no ':'; a rule id or name may.
        let duration = parts[parts.count - 1]
        let fields = parts[parts.count - 2].split(separator: ",").map(String.init)
        let rule = parts[0..<(parts.count - 2)].joined(separator: ":")
        guard let seconds = RuleLoader.timespan(duration), !fields.isEmpty else { return nil }
        return (rule, SuppressionSpec(fields: fields, seconds: seconds, text: duration))
    }
}

/// A named search of a rule's `detection`.
public struct NamedSearch: Sendable {
    public var name: String
    public var expression: SearchExpression
    public var location: SourceLocation
}

/// A Sigma detection rule, loaded and compiled: ready to evaluate, no YAML left in it.
public struct SigmaRule: Sendable {
    public var metadata: RuleMetadata
    public var logsource: LogSource
    public var path: String
    /// Where the document starts in its file.
    public var location: SourceLocation
    public var searches: [NamedSearch]
    public var condition: Condition
    /// Filters applied to the rule (their titles), in load order.
    public var appliedFilters: [String] = []
    /// The event sources the rule applies to, from `Rules/mappings` (empty: wardwatch has no events
    /// for this log source, and the rule never matches).
    public var routes: [EventRoute] = []
    /// Sigma field name → event field name, from the mapping of the rule's log source.
    public var fieldMap: [String: String] = [:]

    public var id: String? { metadata.id }

    /// The event field a Sigma field name of this rule means (correlation `group-by`, suppression keys).
    public func eventField(_ name: String) -> FieldRef { FieldRef(fieldMap[name] ?? name) }
    public var title: String { metadata.title }

    /// Evaluates the rule on `event` directly (no prefilter): its routes, then its condition.
    public func matches(_ event: some SigmaEvent, scratch: MatchScratch) -> Bool {
        guard routes.contains(where: { $0.accepts(event) }) else { return false }
        return matchesDetection(event, scratch: scratch)
    }

    /// Evaluates only the detection (tests, and the engine once routing is done).
    public func matchesDetection(_ event: some SigmaEvent, scratch: MatchScratch) -> Bool {
        condition.evaluate { searches[$0].expression.matches(event, scratch: scratch) }
    }
}

/// A Sigma filter document (`filter:` with `rules:`), applied at load time.
public struct SigmaFilter: Sendable {
    public var title: String
    public var id: String?
    public var logsource: LogSource
    /// Rule ids or names; `nil` means every rule (`rules: any` or an empty list).
    public var targets: [String]?
    public var searches: [NamedSearch]
    public var condition: Condition
    public var path: String
    public var location: SourceLocation
}

/// A Sigma correlation rule, validated. Evaluated by the pipeline's correlation stage after the
/// event-time merge.
public struct CorrelationRule: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case eventCount = "event_count", valueCount = "value_count", temporal, temporalOrdered = "temporal_ordered"
        case valueSum = "value_sum", valueAvg = "value_avg", valuePercentile = "value_percentile"
        /// pySigma's extension: percentile 50.
        case valueMedian = "value_median"

        /// Whether the type aggregates `condition.field`.
        public var needsField: Bool { [.valueCount, .valueSum, .valueAvg, .valuePercentile, .valueMedian].contains(self) }
        public var isTemporal: Bool { self == .temporal || self == .temporalOrdered }
    }

    /// A threshold of `condition`: `gt gte lt lte eq neq`.
    public enum Comparison: String, Sendable, CaseIterable {
        case gt, gte, lt, lte, eq, neq

        public func holds(_ value: Double, _ bound: Double) -> Bool {
            switch self {
            case .gt: return value > bound
            case .gte: return value >= bound
            case .lt: return value < bound
            case .lte: return value <= bound
            case .eq: return value == bound
            case .neq: return value != bound
            }
        }
    }

    public var metadata: RuleMetadata
    public var kind: Kind
    /// Referenced rules and correlations, by id or name, as written.
    public var rules: [String]
    public var groupBy: [String]
    public var timespanSeconds: Int
    /// `timespan` as written (`5m`), for alerts.
    public var timespanText: String
    /// Thresholds on the count or value (`gte: 10`; two for a range, all must hold). Empty for a
    /// temporal correlation without a condition: every referenced rule must match.
    public var comparisons: [(Comparison, Double)]
    /// `condition` as a string, for `temporal` (`rule_a and not rule_c`: names of referenced rules).
    public var temporalCondition: String?
    /// `condition.field` for the value types (several: a composite value).
    public var fields: [String]
    /// `condition.percentile` of `value_percentile` (default 95; 50 for `value_median`).
    public var percentile: Double
    /// `aliases`: alias name → (rule name → that rule's field).
    public var aliases: [String: [String: String]]
    public var generate: Bool
    public var path: String
    public var location: SourceLocation
    /// Where `rules` is written (references are reported there).
    public var rulesLocation: SourceLocation
}

extension CorrelationRule {
    /// The string condition of a temporal correlation, its identifiers resolved to indices of ``rules``
    /// (`nil` when there is none; validated at load).
    public var parsedTemporalCondition: Condition? {
        guard let temporalCondition else { return nil }
        var parser = ConditionParser(temporalCondition, identifiers: rules)
        return try? parser.parse()
    }
}
