/// A position in a source from which reading can resume: for files, the file and the offset in its
/// decompressed bytes; for streams (later), a sequence number.
///
/// A pipeline *commits* a source's cursor only once everything the source delivered before it has
/// been written and flushed by every sink, so a resumed run never skips output.
public struct SourceCursor: Sendable, Equatable, CustomStringConvertible {
    /// Index of the source in the run's input list.
    public var sourceIndex: Int
    /// The stream within the source (``ChunkOrigin/stream``): a tailed file; 0 for a plain input.
    public var stream: Int
    /// What the source is: the path as given (`-` for stdin).
    public var identity: String
    /// The offset in the decompressed stream just after the last committed record.
    public var offset: Int64

    public init(sourceIndex: Int, stream: Int = 0, identity: String, offset: Int64) {
        self.sourceIndex = sourceIndex
        self.stream = stream
        self.identity = identity
        self.offset = offset
    }

    public var description: String { "\(identity)@\(offset)" }
}
