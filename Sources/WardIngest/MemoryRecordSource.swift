import Synchronization
import WardCore

/// Chunks already in memory, handed out in order (benchmarks, tests): a ``RecordSource`` with no I/O.
public final class MemoryRecordSource: RecordSource {
    private let chunks: [Chunk]
    private let nextIndex = Mutex(0)

    public init(_ chunks: [Chunk]) { self.chunks = chunks }

    /// Frames `bytes` as a file of that content would be framed, and keeps the chunks.
    public static func chunks(of bytes: [UInt8], path: String, sourceIndex: Int = 0, options: IngestOptions,
                              referenceTime: Int64) -> [Chunk] {
        var chunker = RecordChunker(source: MemorySource(bytes), path: path, sourceIndex: sourceIndex,
                                    referenceTime: referenceTime, framing: options.framing, chunkSize: options.chunkSize,
                                    lineLimit: options.lineLimit, recordLimit: options.recordLimit)
        // Memory cannot fail to read.
        return try! chunker.readAll()
    }

    public func next(into chunk: inout Chunk, wait: Bool) throws(IngestError) -> Bool? {
        let i = nextIndex.withLock { n in
            defer { n += 1 }
            return n
        }
        guard i < chunks.count else { return false }
        chunk = chunks[i]
        return true
    }

    public var notice: IngestNotice? { nil }
    public func commit(_ cursor: SourceCursor) {}
    public func interrupt() {}
    public func close() {}
}
