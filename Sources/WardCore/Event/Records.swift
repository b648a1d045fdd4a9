/// What kind of record a span of a chunk is: one line, or several lines that form one message.
///
/// Framing — where one record ends and the next begins — is decided once, by the source's
/// `RecordChunker` applying a ``RecordFraming`` rule; the parsers read ``Chunk/records`` and never
/// look for record boundaries themselves.
public struct RecordKind: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A single line.
    public static let line = RecordKind(rawValue: 0)
    /// A single line that holds an XML audit message (ATNA, HL7 v2 XML) that opens and closes on it.
    public static let auditLine = RecordKind(rawValue: 1)
    /// An HL7 v2 unit: a line that starts with MSH, FHS, BHS or an MLLP start byte, and the segment
    /// lines after it.
    public static let hl7Unit = RecordKind(rawValue: 2)
    /// HL7 segments without a message header (a patient segment on its own, and what follows it).
    public static let strayHL7 = RecordKind(rawValue: 3)
    /// An HL7 message after a log prefix on its first line, its segments on the following lines.
    public static let embeddedHL7 = RecordKind(rawValue: 4)
    /// An XML document (ATNA `AuditMessage`, HL7 v2 XML) over several lines.
    public static let xml = RecordKind(rawValue: 5)

    /// Whether records of this kind can span several lines.
    @inlinable public var isMultiLine: Bool { rawValue >= 2 }
}

/// One record of a chunk.
public struct RecordSpan: Sendable, Equatable {
    /// Start in the chunk.
    public var start: Int32
    /// Bytes kept: without the last line's `\n` or `\r\n`, and at most the line or record limit.
    public var length: Int32
    public var kind: RecordKind
    /// The HL7 field separator of HL7 records (0 for others).
    public var field: UInt8
    /// 1-based number of the record's first line in the input.
    public var line: Int64
    /// Length in the input; larger than `length` when the record was cut at a limit.
    public var fullLength: Int64

    @inlinable
    public init(start: Int, length: Int, line: Int64, kind: RecordKind, field: UInt8 = 0, fullLength: Int64) {
        self.start = Int32(truncatingIfNeeded: start)
        self.length = Int32(truncatingIfNeeded: length)
        self.line = line
        self.kind = kind
        self.field = field
        self.fullLength = fullLength
    }

    @inlinable public var isTruncated: Bool { fullLength > Int64(length) }
}

/// How a multi-line record starts (see ``RecordFraming/opens(_:count:)``).
public struct RecordOpening: Sendable, Equatable {
    public var kind: RecordKind
    public var field: UInt8
    @inlinable public init(kind: RecordKind, field: UInt8 = 0) {
        self.kind = kind
        self.field = field
    }
}

/// The rule that groups lines into records. One rule for a whole run, applied in one place (the
/// source's chunker), so that a record never depends on where a chunk or a read was cut.
///
/// Every line is first offered to ``opens(_:count:)``; a multi-line record then takes each following
/// whole line for which ``continues(_:_:count:)`` holds, and ends after a line for which
/// ``closes(_:_:count:)`` holds, before the first line that does not continue it, or at the end of
/// the input (or after an idle timeout on a live source).
public protocol RecordFraming: Sendable {
    /// What record the whole line `p[0..<count]` starts: a multi-line kind, ``RecordKind/auditLine`` or
    /// ``RecordKind/line``.
    func opens(_ p: UnsafePointer<UInt8>, count: Int) -> RecordOpening
    /// Whether the whole line `p[0..<count]` belongs to the open record.
    func continues(_ record: RecordOpening, _ p: UnsafePointer<UInt8>, count: Int) -> Bool
    /// Whether the line just added ends the open record (an XML document's closing tag).
    func closes(_ record: RecordOpening, _ p: UnsafePointer<UInt8>, count: Int) -> Bool
}

/// Every line is a record of its own.
public struct LineFraming: RecordFraming {
    public init() {}
    @inlinable public func opens(_ p: UnsafePointer<UInt8>, count: Int) -> RecordOpening { RecordOpening(kind: .line) }
    @inlinable public func continues(_ record: RecordOpening, _ p: UnsafePointer<UInt8>, count: Int) -> Bool { false }
    @inlinable public func closes(_ record: RecordOpening, _ p: UnsafePointer<UInt8>, count: Int) -> Bool { true }
}

/// Values an event has that are not stored as fields but derived from one on demand (paths into an
/// HL7 message). The parse stage provides the resolver; detection asks it for names it serves, and so
/// knows no log format.
public protocol DerivedFieldResolver: Sendable {
    /// Whether `name` is a field this resolver serves.
    func serves(_ name: UnsafeBufferPointer<UInt8>) -> Bool
    /// Calls `body` with the value of `name` for the event whose fields are `slots` (`nil` if absent).
    func withValue<R>(_ name: UnsafeBufferPointer<UInt8>, slots: UnsafeBufferPointer<FieldSlot>, values: EventValues,
                      _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R
}
