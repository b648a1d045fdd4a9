import WardCore
import WardDetect
import WardOutput

/// A stateless stage: decides from the match alone whether it goes on. The runtime runs filters on
/// the workers, before encoding, since their verdict does not depend on order (`--min-level`,
/// `--since`/`--until`).
public protocol MatchFilter: Sendable {
    func keeps(_ match: Match) -> Bool
}

/// Keeps matches of rules at or above a level. The rules below it are still evaluated (correlations
/// may need them as base rules); only their alerts are dropped.
public struct LevelFilter: MatchFilter {
    let keep: [Bool]
    public init(levels: [AlertLevel], minimum: AlertLevel) { keep = levels.map { $0 >= minimum } }
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
/// runtime), or a record a stage made itself (a correlation alert, a suppression summary), already
/// encoded.
public enum StageItem: Sendable {
    case match(Match)
    case record(rule: Int32, sink: UInt8, timestamp: Int64, bytes: [UInt8])
}

/// A stage after the ordered merge: it sees every item in output order (input order, or event-time
/// order across inputs) and may drop, hold, add or pass items on. Runs on one thread; may keep state.
/// A ``StageItem/match(_:)`` may be passed on only from the `process` call that received it (its
/// encoded bytes belong to its chunk); a stage that holds matches passes them on later as records.
public protocol OrderedStage: AnyObject {
    /// Handles one item; calls `emit` for each item to pass on (none to drop or hold it).
    func process(_ item: StageItem, emit: (StageItem) -> Void)
    /// The input ended: pass on whatever is held.
    func finish(emit: (StageItem) -> Void)
}
