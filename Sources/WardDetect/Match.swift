import WardCore

/// One output of detection, as a value: an event of a batch and the rule it matched (or no rule, when
/// every event is output, as `parse` does). Encoding to JSON or text happens later, in the output
/// stage; stages between the ordered merge and the sinks see matches in order and may drop, hold,
/// add or annotate them.
public struct Match: Sendable, Equatable {
    /// Index of the event in its batch.
    public var event: Int32
    /// Index of the rule in the ``RuleSet``; ``Match/noRule`` for an event output without a rule.
    public var rule: Int32
    /// The input the event came from.
    public var sourceIndex: Int32
    /// Which sink the match goes to (one per level with per-level files, else 0).
    public var sink: UInt8
    /// The detection's searches that were true, bit *n* = search *n* of the rule (the first 64).
    public var searches: UInt64
    /// The event's time (UTC nanoseconds), ``EventRecord/noTimestamp`` when it has none.
    public var timestamp: Int64
    /// `log.offset`: the event's byte offset in the decompressed input.
    public var offset: Int64
    /// Where the match's encoded output lies in its batch's ``MatchBatch/encoded`` bytes.
    public var encodedStart: Int32
    public var encodedLength: Int32

    public static let noRule: Int32 = -1

    public init(event: Int32, rule: Int32, sourceIndex: Int32, sink: UInt8 = 0, searches: UInt64 = 0,
                timestamp: Int64, offset: Int64, encodedStart: Int32 = 0, encodedLength: Int32 = 0) {
        self.event = event
        self.rule = rule
        self.sourceIndex = sourceIndex
        self.sink = sink
        self.searches = searches
        self.timestamp = timestamp
        self.offset = offset
        self.encodedStart = encodedStart
        self.encodedLength = encodedLength
    }
}

/// The matches of one chunk, in event order (and rule order within an event), with their encoded
/// output once the encoding stage ran.
public struct MatchBatch: Sendable {
    public var matches: [Match] = []
    public var encoded: [UInt8] = []

    public init() {}

    public mutating func reset() {
        matches.removeAll(keepingCapacity: true)
        encoded.removeAll(keepingCapacity: true)
    }
}
