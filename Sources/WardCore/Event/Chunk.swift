/// Where a chunk of records came from.
///
/// `offset` is the byte offset of the chunk's first byte in the *decompressed* input, so that
/// `offset + record start` is the `log.offset` of every record whatever the compression.
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
    /// Which stream of the input the chunk belongs to, when one input multiplexes several (the files
    /// a tail follows); 0 otherwise. Commits name it (``SourceCursor/stream``).
    public var stream: Int
    /// The number of the chunk's name in the run's ``SourceNames`` (for files, `sourceIndex`).
    public var nameIndex: Int
    /// For records received over the network: who sent them and how (events then carry
    /// `log.source.address`, `log.source.port` and `network.transport` instead of a file and offset).
    public var peer: PeerOrigin?

    public init(sourceIndex: Int, path: String, offset: Int64, firstLine: Int64, referenceTime: Int64,
                stream: Int = 0, nameIndex: Int? = nil) {
        self.sourceIndex = sourceIndex
        self.path = path
        self.offset = offset
        self.firstLine = firstLine
        self.referenceTime = referenceTime
        self.stream = stream
        self.nameIndex = nameIndex ?? sourceIndex
    }
}

/// The sender of records received over the network.
public struct PeerOrigin: Sendable, Equatable {
    public var address: String
    public var port: Int
    /// `udp` or `tcp`.
    public var transport: String
    /// Received over TLS.
    public var tls: Bool

    public init(address: String, port: Int, transport: String, tls: Bool) {
        self.address = address
        self.port = port
        self.transport = transport
        self.tls = tls
    }
}

/// A block of whole records read from one input, handed from ingest to the parsers.
///
/// The chunk owns one buffer (`storage`), of which `count` bytes are valid, and the list of its
/// ``records`` — lines, or multi-line HL7 and XML messages — as the source framed them. Every chunk
/// ends at a record boundary, so a worker can parse it without looking at any other chunk. Records
/// cut at the line or record limit say so (``RecordSpan/fullLength``).
///
/// `storage` and `records` are kept between uses (the chunker reuses them), so the steady state
/// allocates nothing per chunk.
public struct Chunk: Sendable {
    public var storage: [UInt8]
    /// Number of valid bytes at the start of `storage`.
    public var count: Int
    public var origin: ChunkOrigin
    /// The records, in input order.
    public var records: [RecordSpan]
    /// Offset in the decompressed stream just after this chunk (skipped bytes of a cut record
    /// included): where a resumed read would continue.
    public var endOffset: Int64

    public init(capacity: Int = 0) {
        self.storage = [UInt8](repeating: 0, count: capacity)
        self.count = 0
        self.origin = ChunkOrigin(sourceIndex: 0, path: "", offset: 0, firstLine: 1, referenceTime: 0)
        self.records = []
        self.endOffset = 0
    }

    /// The bytes, without records (``init(bytes:origin:framing:lineLimit:recordLimit:)`` frames them).
    init(bytes: [UInt8], origin: ChunkOrigin) {
        self.storage = bytes
        self.count = bytes.count
        self.origin = origin
        self.records = []
        self.endOffset = origin.offset + Int64(bytes.count)
    }

    /// Number of records.
    public var recordCount: Int { records.count }

    /// Calls `body` with the valid bytes of the chunk.
    /// - warning: Do not escape the pointer from the closure.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { buf in
            try body(UnsafeBufferPointer(rebasing: buf[0..<count]))
        }
    }
}
