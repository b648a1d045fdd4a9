import WardCore
import WardDetect
import WardOutput
import WardRules

/// A stateless stage: decides from the match alone whether it goes on. The runtime runs filters on
/// the workers, before encoding, since their verdict does not depend on order (`--min-level`,
/// `--since`/`--until`).
public protocol MatchFilter: Sendable {
    func keeps(_ match: Match) -> Bool
    /// Whether a match this filter drops is also kept from the ordered stages (`--since`/`--until`:
    /// yes, correlations see only events inside the window; `--min-level`: no, a base rule below the
    /// level still feeds its correlations).
    var gatesStages: Bool { get }
}

extension MatchFilter {
    public var gatesStages: Bool { true }
}

/// Keeps matches of rules at or above a level. The rules below it are still evaluated (correlations
/// may need them as base rules); only their alerts are dropped.
public struct LevelFilter: MatchFilter {
    let keep: [Bool]
    public init(levels: [AlertLevel], minimum: AlertLevel) { keep = levels.map { $0 >= minimum } }
    public var gatesStages: Bool { false }
    public func keeps(_ match: Match) -> Bool { match.rule < 0 || keep[Int(match.rule)] }
}

/// Keeps matches of events at or after `since` and before `until` (UTC nanoseconds); events without
/// a time are outside every window.
public struct TimeWindowFilter: MatchFilter {
    public let since: Int64?
    public let until: Int64?
    public init(since: Int64?, until: Int64?) {
        self.since = since
        self.until = until
    }
    public func keeps(_ match: Match) -> Bool {
        guard match.timestamp != EventRecord.noTimestamp else { return false }
        if let since, match.timestamp < since { return false }
        if let until, match.timestamp >= until { return false }
        return true
    }
}

/// What flows through the ordered stages: a match of a chunk (its encoded output is kept by the
/// runtime; `fields` holds the values its rule's ``MatchAnnotations`` asked for), or a record a stage
/// made itself (a correlation alert, a suppression summary), already encoded.
public enum StageItem: Sendable {
    case match(Match, MatchFields)
    case record(StageRecord)
}

/// A record made by a stage: its encoded line, and what later stages need to know of it.
public struct StageRecord: Sendable {
    /// The rule it counts for in the summary: a detection rule's index, a correlation's
    /// (``RunStatistics/alertsByRule`` lists correlations after the detection rules), or
    /// ``Match/noRule`` for a record that is no alert (a suppression summary).
    public var rule: Int32
    public var sink: UInt8
    public var timestamp: Int64
    public var bytes: [UInt8]
    /// Field name → value, for later stages' keys (a correlation alert's group).
    public var fields: [(String, String)]

    public init(rule: Int32, sink: UInt8 = 0, timestamp: Int64, bytes: [UInt8], fields: [(String, String)] = []) {
        self.rule = rule
        self.sink = sink
        self.timestamp = timestamp
        self.bytes = bytes
        self.fields = fields
    }
}

/// A stage after the ordered merge: it sees every item in output order (input order, or event-time
/// order across inputs) and may drop, hold, add or pass items on. Runs on one thread; may keep state.
/// A ``StageItem/match(_:_:)`` may be passed on only from the `process` call that received it (its
/// encoded bytes belong to its chunk); a stage that holds matches passes them on later as records.
/// A silent match (``Match/isSilent``) must not reach the end of the chain: the stage that consumes
/// it (correlation) drops it.
public protocol OrderedStage: AnyObject {
    /// Handles one item; calls `emit` for each item to pass on (none to drop or hold it).
    func process(_ item: StageItem, emit: (StageItem) -> Void)
    /// The input ended: pass on whatever is held.
    func finish(emit: (StageItem) -> Void)
}

/// What the workers do for the ordered stages, per detection rule: which fields' values to carry with
/// its matches, and whether its matches are written or only feed the stages.
public struct MatchAnnotations: Sendable {
    /// Per rule: the event fields whose values its matches carry (empty: none).
    public var fields: [[FieldRef]]
    /// Per rule: its matches feed a stage but are not written (a correlation's base rule that does
    /// not `generate`).
    public var silent: [Bool]
    /// Per rule: a stage needs its matches even when a ``MatchFilter`` that does not gate stages
    /// (``MatchFilter/gatesStages``) drops its alert.
    public var feedsStages: [Bool]

    public init(rules: Int) {
        fields = Array(repeating: [], count: rules)
        silent = Array(repeating: false, count: rules)
        feedsStages = Array(repeating: false, count: rules)
    }

    /// The slot of `field` among rule `rule`'s carried fields, added when new.
    public mutating func slot(rule: Int, field: FieldRef) -> Int {
        if let i = fields[rule].firstIndex(of: field) { return i }
        fields[rule].append(field)
        return fields[rule].count - 1
    }
}
