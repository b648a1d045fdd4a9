/// A reference to bytes of an event: either a range of the chunk the event came from, or a range
/// of its batch's scratch area (values that had to be decoded, unescaped or computed).
public struct ByteRef: Sendable, Equatable {
    public var start: UInt32
    public var count: UInt32
    public var inScratch: Bool

    @inlinable
    public init(start: Int, count: Int, inScratch: Bool) {
        self.start = UInt32(truncatingIfNeeded: start)
        self.count = UInt32(truncatingIfNeeded: count)
        self.inScratch = inScratch
    }

    public static let empty = ByteRef(start: 0, count: 0, inScratch: false)
}

/// How a field's bytes are to be read.
public enum ValueKind: UInt8, Sendable {
    /// Arbitrary bytes, usually UTF-8 text; output as a JSON string.
    case text
    /// ASCII decimal digits with an optional leading `-`; output as a JSON number.
    case number
}

/// One field of one event: which field, and where its value (and, for dynamic fields, its name) lies.
public struct FieldSlot: Sendable {
    public var id: FieldID
    public var kind: ValueKind
    public var value: ByteRef
    /// For a field under a namespace ID (``FieldID/structuredData``), the rest of its name, e.g.
    /// `meta.sequenceId`; ``ByteRef/empty`` for well-known fields.
    public var name: ByteRef

    @inlinable
    public init(id: FieldID, kind: ValueKind, value: ByteRef, name: ByteRef = .empty) {
        self.id = id
        self.kind = kind
        self.value = value
        self.name = name
    }
}

/// Per-event flags.
public struct EventFlags: OptionSet, Sendable {
    public let rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The line was longer than the line limit and was cut (`log.flags: ["truncated"]`).
    public static let truncated = EventFlags(rawValue: 1)
}

/// One event: its line in the chunk, its fields in the batch, and the values every stage needs fast.
public struct EventRecord: Sendable {
    /// Start of the line in the chunk (after framing, without `\r\n`).
    public var lineStart: UInt32
    /// Length of the line as kept (at most the chunk's line limit).
    public var lineLength: UInt32
    /// Length of the line in the input; larger than `lineLength` when the line was cut.
    public var fullLength: Int
    /// 1-based line number in the input.
    public var lineNumber: Int64
    /// First field in ``EventBatch/fields``.
    public var firstField: UInt32
    public var fieldCount: UInt32
    /// Event time in UTC nanoseconds since the epoch; ``EventRecord/noTimestamp`` when the line had none.
    public var timestamp: Int64
    public var dataset: Dataset
    public var flags: EventFlags

    public static let noTimestamp = Int64.min

    @inlinable
    public init(lineStart: UInt32, lineLength: UInt32, fullLength: Int, lineNumber: Int64, firstField: UInt32,
                fieldCount: UInt32, timestamp: Int64, dataset: Dataset, flags: EventFlags) {
        self.lineStart = lineStart
        self.lineLength = lineLength
        self.fullLength = fullLength
        self.lineNumber = lineNumber
        self.firstField = firstField
        self.fieldCount = fieldCount
        self.timestamp = timestamp
        self.dataset = dataset
        self.flags = flags
    }
}

/// The events of one chunk.
///
/// Fields are byte ranges into the chunk or into `scratch`; nothing is a `String`. All arrays keep
/// their capacity across ``reset()``, so parsing chunk after chunk into the same batch allocates
/// nothing per event once the arrays have grown to the chunk's needs.
///
/// The batch does not hold the chunk: pass both together to readers of values
/// (``withValues(in:_:)``). That keeps the chunk's buffer uniquely owned by the reader, which reuses it.
public struct EventBatch: Sendable {
    public var events: [EventRecord] = []
    public var fields: [FieldSlot] = []
    /// Decoded values and dynamic field names.
    public var scratch: [UInt8] = []

    public init() {
        events.reserveCapacity(16_384)
        fields.reserveCapacity(16_384 * 12)
        scratch.reserveCapacity(1 << 20)
    }

    /// Empties the batch, keeping its capacity.
    @inlinable
    public mutating func reset() {
        events.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        scratch.removeAll(keepingCapacity: true)
    }

    // MARK: - Building events (parsers)

    /// Starts a new event for the line at `lineStart..<lineStart+lineLength` of the chunk.
    @inlinable
    public mutating func beginEvent(lineStart: Int, lineLength: Int, fullLength: Int, lineNumber: Int64) {
        events.append(EventRecord(
            lineStart: UInt32(truncatingIfNeeded: lineStart), lineLength: UInt32(truncatingIfNeeded: lineLength),
            fullLength: fullLength, lineNumber: lineNumber,
            firstField: UInt32(truncatingIfNeeded: fields.count), fieldCount: 0,
            timestamp: EventRecord.noTimestamp, dataset: .unparsed,
            flags: fullLength > lineLength ? .truncated : []))
    }

    /// Closes the current event: its fields are those added since ``beginEvent(lineStart:lineLength:fullLength:lineNumber:)``.
    @inlinable
    public mutating func endEvent(dataset: Dataset, timestamp: Int64) {
        let last = events.count - 1
        events[last].dataset = dataset
        events[last].timestamp = timestamp
        events[last].fieldCount = UInt32(truncatingIfNeeded: fields.count) &- events[last].firstField
    }

    /// A point to roll back to when a parser gives up half-way through a line.
    public struct Mark: Sendable {
        @usableFromInline var fieldCount: Int
        @usableFromInline var scratchCount: Int
        /// How many fields the batch had at the mark (fields added since start here).
        @inlinable public var fields: Int { fieldCount }
        @inlinable init(fieldCount: Int, scratchCount: Int) {
            self.fieldCount = fieldCount
            self.scratchCount = scratchCount
        }
    }

    @inlinable
    public func mark() -> Mark { Mark(fieldCount: fields.count, scratchCount: scratch.count) }

    /// Drops every field and scratch byte added since `mark`.
    @inlinable
    public mutating func rollback(to mark: Mark) {
        if fields.count > mark.fieldCount { fields.removeSubrange(mark.fieldCount...) }
        if scratch.count > mark.scratchCount { scratch.removeSubrange(mark.scratchCount...) }
    }

    /// Adds a field whose value is `count` bytes of the chunk at `start`.
    @inlinable
    public mutating func addField(_ id: FieldID, _ kind: ValueKind = .text, start: Int, count: Int) {
        fields.append(FieldSlot(id: id, kind: kind, value: ByteRef(start: start, count: count, inScratch: false)))
    }

    /// Adds a field whose value is the scratch bytes from `scratchStart` to the end of scratch.
    @inlinable
    public mutating func addScratchField(_ id: FieldID, _ kind: ValueKind = .text, from scratchStart: Int) {
        fields.append(FieldSlot(
            id: id, kind: kind,
            value: ByteRef(start: scratchStart, count: scratch.count - scratchStart, inScratch: true)))
    }

    /// Adds a field with a static ASCII value (facility names and the like).
    @inlinable
    public mutating func addField(_ id: FieldID, _ kind: ValueKind = .text, literal: StaticString) {
        let start = scratch.count
        literal.withUTF8Buffer { scratch.append(contentsOf: $0) }
        addScratchField(id, kind, from: start)
    }

    /// Adds a field whose value is the decimal representation of `value`.
    @inlinable
    public mutating func addField(_ id: FieldID, integer value: Int) {
        let start = scratch.count
        appendDecimal(value)
        addScratchField(id, .number, from: start)
    }

    /// Adds a field named `namespace.<name>`: `name` and `value` are references made by the parser.
    @inlinable
    public mutating func addNamedField(_ namespace: FieldID, name: ByteRef, value: ByteRef, _ kind: ValueKind = .text) {
        fields.append(FieldSlot(id: namespace, kind: kind, value: value, name: name))
    }

    /// Appends the decimal digits of `value` to scratch.
    @inlinable
    public mutating func appendDecimal(_ value: Int) {
        var v = value
        if v < 0 {
            scratch.append(UInt8(ascii: "-"))
            v = 0 &- v
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
                n += 1
            } while v > 0
            while n > 0 {
                n -= 1
                scratch.append(d[n])
            }
        }
    }

    // MARK: - Reading events (stages downstream)

    /// The fields of event `index`.
    @inlinable
    public func fieldRange(of index: Int) -> Range<Int> {
        let e = events[index]
        return Int(e.firstField)..<Int(e.firstField + e.fieldCount)
    }

    /// The first slot of `id` in event `index`, or `nil`.
    @inlinable
    public func firstField(_ id: FieldID, inEvent index: Int) -> FieldSlot? {
        for i in fieldRange(of: index) where fields[i].id == id { return fields[i] }
        return nil
    }

    /// Calls `body` with a view that resolves ``ByteRef``s against `chunk` and this batch's scratch.
    /// - warning: Do not escape the view or its buffers from the closure.
    @inlinable
    public func withValues<R>(in chunk: Chunk, _ body: (EventValues) throws -> R) rethrows -> R {
        try chunk.withUnsafeBytes { chunkBytes in
            try scratch.withUnsafeBufferPointer { scratchBytes in
                try body(EventValues(chunk: chunkBytes, scratch: scratchBytes))
            }
        }
    }
}

/// Resolves ``ByteRef``s of one batch (valid only inside ``EventBatch/withValues(in:_:)``).
public struct EventValues {
    public let chunk: UnsafeBufferPointer<UInt8>
    public let scratch: UnsafeBufferPointer<UInt8>

    @inlinable
    public init(chunk: UnsafeBufferPointer<UInt8>, scratch: UnsafeBufferPointer<UInt8>) {
        self.chunk = chunk
        self.scratch = scratch
    }

    @inlinable
    public subscript(ref: ByteRef) -> UnsafeBufferPointer<UInt8> {
        let buffer = ref.inScratch ? scratch : chunk
        let start = Int(ref.start)
        return UnsafeBufferPointer(rebasing: buffer[start..<(start + Int(ref.count))])
    }

    /// The line of `event` as kept (cut to the line limit when flagged truncated).
    @inlinable
    public func line(of event: EventRecord) -> UnsafeBufferPointer<UInt8> {
        let start = Int(event.lineStart)
        return UnsafeBufferPointer(rebasing: chunk[start..<(start + Int(event.lineLength))])
    }

    /// A `String` for output or tests (invalid UTF-8 repaired to U+FFFD). Not for the hot path.
    public func string(_ ref: ByteRef) -> String {
        String(decoding: self[ref], as: UTF8.self)
    }
}
