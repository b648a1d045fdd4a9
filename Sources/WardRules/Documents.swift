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

    public var id: String? { metadata.id }
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

/// A Sigma correlation rule, validated. (Evaluated by the detection engine.)
public struct CorrelationRule: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case eventCount = "event_count", valueCount = "value_count", temporal, temporalOrdered = "temporal_ordered"
        case valueSum = "value_sum", valueAvg = "value_avg", valuePercentile = "value_percentile"
    }

    public var metadata: RuleMetadata
    public var kind: Kind
    public var rules: [String]
    public var groupBy: [String]
    public var timespanSeconds: Int
    /// Comparisons on the count/value (`gte: 10`; two for a range).
    public var comparisons: [(NumericComparison, Double)]
    /// `condition.field` for the value_* types.
    public var fields: [String]
    public var aliases: [String: [String: String]]
    public var generate: Bool
    public var path: String
    public var location: SourceLocation
}
