import WardCore

/// Cuts a byte stream into chunks of whole lines.
///
/// The chunker reads its source in large blocks into a buffer of `capacity` bytes, finds the last
/// newline with `memrchr`, and hands out everything up to it as one ``Chunk``; the partial line after
/// it is carried to the front of the next buffer. Buffers are swapped, not copied: only the carried
/// tail is moved, and ``next(into:)`` reuses the storage of the chunk it is given, so reading a file
/// allocates nothing after the first two buffers.
///
/// Long lines: a line that fits the buffer but exceeds ``lineLimit`` is left whole in its chunk and
/// cut by ``Chunk/forEachLine(_:)``; a line longer than the whole buffer is delivered as a chunk of
/// its own holding its first `lineLimit` bytes, with ``Chunk/truncatedLineLength`` set to its real
/// length, and the rest of it is skipped up to its newline. Nothing is dropped silently.
public struct LineChunker<Source: ByteSource> {
    public private(set) var source: Source
    public let path: String
    public let sourceIndex: Int
    public let referenceTime: Int64
    public let lineLimit: Int
    /// Buffer size: at least the line limit plus one, so that every line within the limit fits.
    public let capacity: Int

    private var pending: [UInt8]
    private var filled = 0
    private var offset: Int64 = 0  // decompressed offset of pending[0]
    private var nextLine: Int64 = 1
    private var atEnd = false
    private var pendingError: IngestError?

    /// - Parameters:
    ///   - chunkSize: the target chunk size (1 MiB: big enough to amortize per-chunk work, small enough
    ///     to spread over workers; `DESIGN.md`).
    ///   - lineLimit: lines longer than this are cut (default 1 MiB).
    public init(source: Source, path: String, sourceIndex: Int = 0, referenceTime: Int64,
                chunkSize: Int = 1 << 20, lineLimit: Int = 1 << 20) {
        precondition(lineLimit > 0 && chunkSize > 0, "chunk size and line limit must be positive")
        self.source = source
        self.path = path
        self.sourceIndex = sourceIndex
        self.referenceTime = referenceTime
        self.lineLimit = lineLimit
        self.capacity = max(chunkSize, lineLimit + 1)
        self.pending = [UInt8](repeating: 0, count: capacity)
    }

    /// Fills `chunk` with the next lines. Returns `false` at the end of the input.
    ///
    /// A read error ends the input: the lines read before it are delivered first, then the error is
    /// thrown by the following call.
    public mutating func next(into chunk: inout Chunk) throws(IngestError) -> Bool {
        if chunk.storage.count != capacity {
            chunk.storage = [UInt8](repeating: 0, count: capacity)
        }
        while true {
            if filled < capacity && !atEnd { fill() }
            // Whole lines available?
            let lastNewline = pending.withUnsafeBufferPointer { buf in
                ByteScan.lastIndex(of: ASCII.newline, in: buf.baseAddress!, from: 0, to: filled)
            }
            if let last = lastNewline {
                emit(count: last + 1, consumed: last + 1, into: &chunk, truncatedLength: nil)
                return true
            }
            if atEnd {
                if filled > 0 {
                    emit(count: filled, consumed: filled, into: &chunk, truncatedLength: nil)
                    return true
                }
                if let error = pendingError {
                    pendingError = nil
                    throw error
                }
                return false
            }
            if filled == capacity {
                // One line longer than the buffer: keep its head, skip to its end.
                let skipped = skipRestOfLine()
                emitTruncated(fullLength: capacity + skipped.dropped, carry: skipped.carry, into: &chunk)
                return true
            }
        }
    }

    /// Reads until the buffer is full or the source ends.
    private mutating func fill() {
        while filled < capacity {
            let start = filled
            let result = readSource(from: start)
            guard case .success(let n) = result else {
                if case .failure(let error) = result { pendingError = error }
                atEnd = true
                return
            }
            if n == 0 {
                atEnd = true
                return
            }
            filled += n
        }
    }

    /// Reads from the source into `pending[start...]`.
    private mutating func readSource(from start: Int) -> Result<Int, IngestError> {
        pending.withUnsafeMutableBytes { raw in
            Result { () throws(IngestError) -> Int in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
            }
        }
    }

    /// Hands `pending[0..<count]` out as a chunk (by swapping buffers) and carries
    /// `pending[consumed..<filled]` to the front of the next buffer.
    private mutating func emit(count: Int, consumed: Int, into chunk: inout Chunk, truncatedLength: Int?) {
        swap(&pending, &chunk.storage)
        let carry = filled - consumed
        if carry > 0 {
            chunk.storage.withUnsafeBytes { src in
                pending.withUnsafeMutableBytes { dst in
                    dst.baseAddress!.copyMemory(from: src.baseAddress! + consumed, byteCount: carry)
                }
            }
        }
        chunk.count = count
        chunk.lineLimit = lineLimit
        chunk.truncatedLineLength = truncatedLength
        chunk.origin = ChunkOrigin(sourceIndex: sourceIndex, path: path, offset: offset, firstLine: nextLine,
                                   referenceTime: referenceTime)
        let lines = chunk.storage.withUnsafeBufferPointer { buf in
            let newlines = ByteScan.count(of: ASCII.newline, in: buf.baseAddress!, from: 0, to: count)
            return newlines + (count > 0 && buf[count - 1] != ASCII.newline ? 1 : 0)
        }
        chunk.lineCount = truncatedLength == nil ? lines : 1
        nextLine += Int64(chunk.lineCount)
        offset += Int64(truncatedLength.map { $0 + 1 } ?? consumed)
        filled = carry
    }

    /// Reads and discards the rest of an over-long line. The buffer holds the line's first
    /// `capacity` bytes; bytes past `lineLimit` are reused as the read area.
    /// - Returns: how many bytes past the buffer belonged to the line, and how many bytes after its
    ///   newline were read and must be carried (they sit at `pending[lineLimit...]`).
    private mutating func skipRestOfLine() -> (dropped: Int, carry: Int) {
        var dropped = 0
        while true {
            let result = readSource(from: lineLimit)
            guard case .success(let n) = result else {
                if case .failure(let error) = result { pendingError = error }
                atEnd = true
                return (dropped, 0)
            }
            if n == 0 {
                atEnd = true
                return (dropped, 0)
            }
            let newline = pending.withUnsafeBufferPointer { buf in
                ByteScan.firstIndex(of: ASCII.newline, in: buf.baseAddress!, from: lineLimit, to: lineLimit + n)
            }
            if let newline {
                dropped += newline - lineLimit
                // Move the bytes after the newline to right after the kept head.
                let after = lineLimit + n - (newline + 1)
                let limit = lineLimit
                pending.withUnsafeMutableBytes { raw in
                    let base = raw.baseAddress!
                    (base + limit).copyMemory(from: base + newline + 1, byteCount: after)
                }
                return (dropped, after)
            }
            dropped += n
        }
    }

    private mutating func emitTruncated(fullLength: Int, carry: Int, into chunk: inout Chunk) {
        // pending = [head (lineLimit bytes)][carry bytes]
        filled = lineLimit + carry
        emit(count: lineLimit, consumed: lineLimit, into: &chunk, truncatedLength: fullLength)
    }
}
