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
    /// The number of the event's input in the run's ``SourceNames`` (for files, the input's index;
    /// for a tailed file, the number the tail registered it under).
    public var sourceIndex: Int32
    /// Which sink the match goes to (one per level with per-level files, else 0).
    public var sink: UInt8
    /// ``Match/silent`` and other flags.
    public var flags: UInt8 = 0
    /// The detection's searches that were true, bit *n* = search *n* of the rule (the first 64).
    public var searches: UInt64
    /// The event's time (UTC nanoseconds), ``EventRecord/noTimestamp`` when it has none.
    public var timestamp: Int64
    /// `log.offset`: the event's byte offset in the decompressed input.
    public var offset: Int64
    /// Where the match's encoded output lies in its batch's ``MatchBatch/encoded`` bytes.
    public var encodedStart: Int32
    public var encodedLength: Int32
    /// Where the values of the fields the ordered stages asked for (correlation group-by and value
    /// fields, suppression keys) lie in ``MatchBatch/fields``; -1 when none were asked for.
    public var fieldsStart: Int32 = -1

    public static let noRule: Int32 = -1
    /// Flag: the match feeds the ordered stages (a correlation's base rule) but is not written itself
    /// (its rule does not `generate`, or `--min-level` drops its alerts). It has no encoded output.
    public static let silent: UInt8 = 1
    /// Flag: the rule matched only if a regular-expression search PCRE2 gave up on is taken as a
    /// match (`rule.evaluation_error: true` in the alert).
    public static let evaluationError: UInt8 = 2

    public var isSilent: Bool { flags & Match.silent != 0 }

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
    /// Field values for the ordered stages: per match that has them, for each field its rule asked for,
    /// a 4-byte little-endian length (``MatchFields/missing`` when the event has no such field) and
    /// the bytes.
    public var fields: [UInt8] = []

    public init() {}

    public mutating func reset() {
        matches.removeAll(keepingCapacity: true)
        encoded.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
    }
}

/// The field values a match carries to the ordered stages, in the order its rule's extraction lists
/// them (see ``MatchBatch/fields``).
public struct MatchFields: Sendable {
    public static let missing: UInt32 = 0xFFFF_FFFF
    public let bytes: ArraySlice<UInt8>

    public init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }
    public static let none = MatchFields([])

    /// Value `n` (`nil`: the event has no such field, or fewer values were recorded).
    public func value(_ n: Int) -> ArraySlice<UInt8>? {
        var i = bytes.startIndex
        var k = 0
        while i + 4 <= bytes.endIndex {
            let length = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            i += 4
            if k == n { return length == Self.missing ? nil : bytes[i..<(i + Int(length))] }
            if length != Self.missing { i += Int(length) }
            k += 1
        }
        return nil
    }

    /// Appends one value (or a missing one) to a batch's field bytes.
    public static func append(_ value: UnsafeBufferPointer<UInt8>?, to out: inout [UInt8]) {
        let length = value.map { UInt32($0.count) } ?? missing
        out.append(UInt8(truncatingIfNeeded: length))
        out.append(UInt8(truncatingIfNeeded: length >> 8))
        out.append(UInt8(truncatingIfNeeded: length >> 16))
        out.append(UInt8(truncatingIfNeeded: length >> 24))
        if let value { out.append(contentsOf: value) }
    }
}
