/// Where a chunk of lines came from.
///
/// `offset` is the byte offset of the chunk's first byte in the *decompressed* input, so that
/// `offset + line start` is the `log.offset` of every line whatever the compression.
public struct ChunkOrigin: Sendable, Equatable {
    /// Index of the input in the run's input list (stable for ordering and look-ups).
    public var sourceIndex: Int
    /// The path as the user gave it (or as found by the directory walk); `-` for stdin.
    public var path: String
    /// Byte offset of the chunk's first byte in the decompressed stream.
    public var offset: Int64
    /// 1-based line number of the chunk's first line.
    public var firstLine: Int64
    /// The reference time for year-less timestamps (the file's modification time, or the time the
    /// run started for stdin), in seconds since the epoch.
    public var referenceTime: Int64

    public init(sourceIndex: Int, path: String, offset: Int64, firstLine: Int64, referenceTime: Int64) {
        self.sourceIndex = sourceIndex
        self.path = path
        self.offset = offset
        self.firstLine = firstLine
        self.referenceTime = referenceTime
    }
}

/// A block of whole lines read from one input, handed from ingest to the parsers.
///
/// The chunk owns one buffer (`storage`), of which `count` bytes are valid. Every chunk ends at a
/// line end (after its `\n`) or at the end of its input, so a worker can parse it without looking at
/// any other chunk. Lines longer than `lineLimit` are cut by whoever splits the lines (the cut is
/// flagged on the event); a line longer than the whole buffer arrives as a chunk of its own with
/// `truncatedLineLength` set to the line's real length.
///
/// `storage` is kept between uses (`LineChunker.next(into:)` reuses it), so the steady state allocates
/// nothing per chunk.
public struct Chunk: Sendable {
    public var storage: [UInt8]
    /// Number of valid bytes at the start of `storage`.
    public var count: Int
    public var origin: ChunkOrigin
    /// Number of lines in the chunk (a last line without newline counts).
    public var lineCount: Int
    /// Lines longer than this many bytes are cut to it and flagged.
    public var lineLimit: Int
    /// Set when the chunk holds a single line that was cut because it did not fit the read buffer:
    /// the real length of that line in bytes (without its newline). `nil` otherwise.
    public var truncatedLineLength: Int?

    public init(capacity: Int = 0) {
        self.storage = [UInt8](repeating: 0, count: capacity)
        self.count = 0
        self.origin = ChunkOrigin(sourceIndex: 0, path: "", offset: 0, firstLine: 1, referenceTime: 0)
        self.lineCount = 0
        self.lineLimit = Int(Int32.max)
        self.truncatedLineLength = nil
    }

    /// A chunk over the given bytes (tests, stdin snippets, benchmarks).
    public init(bytes: [UInt8], origin: ChunkOrigin, lineLimit: Int = 1 << 20) {
        self.storage = bytes
        self.count = bytes.count
        self.origin = origin
        self.lineCount = 0
        self.lineLimit = lineLimit
        self.truncatedLineLength = nil
        self.lineCount = bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress, !buf.isEmpty else { return 0 }
            let newlines = ByteScan.count(of: ASCII.newline, in: base, from: 0, to: buf.count)
            return newlines + (buf[buf.count - 1] == ASCII.newline ? 0 : 1)
        }
    }

    /// Calls `body` with the valid bytes of the chunk.
    /// - warning: Do not escape the pointer from the closure.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { buf in
            try body(UnsafeBufferPointer(rebasing: buf[0..<count]))
        }
    }
}
