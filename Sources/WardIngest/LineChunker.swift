import WardCore

/// Cuts a byte stream into chunks of whole lines.
///
/// The chunker reads its source in large blocks into one buffer of `capacity` bytes and hands out
/// chunks of about `chunkSize` bytes that end at a line end: the last newline within `chunkSize`
/// (found with `memrchr`), or the first one after it when a single line is longer. The chunk's
/// bytes are copied into the storage of the chunk it is given, which ``next(into:)`` reuses, so
/// reading a file allocates nothing after the first chunk; the copy costs about 2 % of parsing
/// (memcpy runs at over 10 GB/s).
///
/// Long lines: a line that fits the buffer but exceeds ``lineLimit`` is delivered whole and cut by
/// ``Chunk/forEachLine(_:)``; a line longer than the whole buffer arrives as a chunk of its own
/// holding its first `lineLimit` bytes, with ``Chunk/truncatedLineLength`` set to its real length,
/// and the rest of it is skipped up to its newline. Nothing is dropped silently.
public struct LineChunker<Source: ByteSource> {
    public private(set) var source: Source
    public let path: String
    public let sourceIndex: Int
    public let referenceTime: Int64
    public let lineLimit: Int
    public let chunkSize: Int
    /// Buffer size: at least the line limit plus one, so that every line within the limit fits.
    public let capacity: Int
    /// Hand out lines as soon as a read brings a newline, instead of waiting for a full buffer
    /// (stdin and pipes, where the next bytes may take a while).
    public var eager: Bool

    private var pending: [UInt8]
    private var head = 0  // first unconsumed byte of `pending`
    private var filled = 0  // end of valid bytes of `pending`
    private var headOffset: Int64 = 0  // decompressed offset of pending[head]
    private var nextLine: Int64 = 1
    private var atEnd = false
    private var pendingError: IngestError?

    /// - Parameters:
    ///   - chunkSize: the target chunk size (1 MiB: big enough to amortize per-chunk work, small enough
    ///     to spread over workers; `DESIGN.md`).
    ///   - lineLimit: lines longer than this are cut (default 1 MiB).
    public init(source: Source, path: String, sourceIndex: Int = 0, referenceTime: Int64,
                chunkSize: Int = 1 << 20, lineLimit: Int = 1 << 20, eager: Bool = false) {
        precondition(lineLimit > 0 && chunkSize > 0, "chunk size and line limit must be positive")
        self.source = source
        self.path = path
        self.sourceIndex = sourceIndex
        self.referenceTime = referenceTime
        self.lineLimit = lineLimit
        self.chunkSize = chunkSize
        self.capacity = max(chunkSize, lineLimit + 1)
        self.eager = eager
        self.pending = [UInt8](repeating: 0, count: capacity)
    }

    /// Fills `chunk` with the next lines. Returns `false` at the end of the input.
    ///
    /// A read error ends the input: the lines read before it are delivered first (a partial last
    /// line as a line), then the error is thrown by the following call.
    public mutating func next(into chunk: inout Chunk) throws(IngestError) -> Bool {
        while true {
            if let end = chunkEnd() {
                emit(through: end, into: &chunk)
                return true
            }
            if atEnd {
                if head < filled {
                    emit(through: filled, into: &chunk)
                    return true
                }
                if let error = pendingError {
                    pendingError = nil
                    throw error
                }
                return false
            }
            if head == 0 && filled == capacity {
                emitTruncatedLine(into: &chunk)
                return true
            }
            compact()
            fill()
        }
    }

    /// The end (exclusive) of the next chunk in `pending[head..<filled]`, or `nil` if more bytes are needed.
    private func chunkEnd() -> Int? {
        pending.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress!
            let window = min(filled, head + chunkSize)
            // The rest of the input fits: one chunk, last line with or without its newline.
            if atEnd && filled - head <= chunkSize && head < filled { return filled }
            if let last = ByteScan.lastIndex(of: ASCII.newline, in: base, from: head, to: window) {
                // Wait for a full window unless the input is done or this is a live stream.
                if window == head + chunkSize || atEnd || eager { return Self.keepingHL7Together(base, head: head, cut: last + 1, filled: filled) }
                return nil
            }
            if let first = ByteScan.firstIndex(of: ASCII.newline, in: base, from: window, to: filled) {
                return first + 1
            }
            return nil
        }
    }

    /// Moves `cut` back so that an HL7 v2 message written one segment per line (or an ATNA message
    /// written over several lines) is not split between chunks: while the line at the cut is a segment other than a message or batch header
    /// (`PID|…`, `OBX|…`), cut before the line above instead (at most 4,096 lines back).
    static func keepingHL7Together(_ base: UnsafePointer<UInt8>, head: Int, cut: Int, filled: Int) -> Int {
        var c = cut
        var steps = 0
        while c < filled, steps < 4096, isContinuationSegment(base, at: c, end: filled) {
            guard c - 1 > head, let previous = ByteScan.lastIndex(of: ASCII.newline, in: base, from: head, to: c - 1) else {
                return cut
            }
            c = previous + 1
            steps += 1
        }
        return steps == 4096 ? cut : c
    }

    /// A line that continues the record above: an HL7 segment other than MSH/FHS/BHS, an MLLP end byte,
    /// or a line of an XML audit message.
    static func isContinuationSegment(_ p: UnsafePointer<UInt8>, at i: Int, end: Int) -> Bool {
        if i < end, p[i] == 0x1C { return true }
        // The lines of an XML audit message (indented, or a tag that is not a syslog <PRI>).
        if i < end, p[i] == ASCII.space || p[i] == ASCII.tab { return true }
        if end - i >= 2, p[i] == UInt8(ascii: "<"), ASCII.isLetter(p[i + 1]) || p[i + 1] == UInt8(ascii: "/") { return true }
        guard end - i >= 4, ASCII.isUpper(p[i]), ASCII.isUpper(p[i + 1]) || ASCII.isDigit(p[i + 1]),
              ASCII.isUpper(p[i + 2]) || ASCII.isDigit(p[i + 2]) else { return false }
        let d = p[i + 3]
        guard ASCII.isPrintNoSpace(d), !ASCII.isLetter(d), !ASCII.isDigit(d) else { return false }
        let id = (p[i], p[i + 1], p[i + 2])
        let header = id == (0x4D, 0x53, 0x48) || id == (0x46, 0x48, 0x53) || id == (0x42, 0x48, 0x53)
        return !header
    }

    /// Moves the unconsumed bytes to the front of the buffer.
    private mutating func compact() {
        guard head > 0 else { return }
        let count = filled - head
        let from = head
        if count > 0 {
            pending.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + from, byteCount: count)
            }
        }
        head = 0
        filled = count
    }

    /// Reads until the buffer is full, the source ends, or (eager) a read brought a newline.
    private mutating func fill() {
        while filled < capacity {
            let start = filled
            let result = readSource(into: start)
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
            if eager, pending.withUnsafeBufferPointer({
                ByteScan.firstIndex(of: ASCII.newline, in: $0.baseAddress!, from: start, to: start + n) != nil
            }) {
                return
            }
        }
    }

    /// Reads from the source into `pending[start...]`.
    private mutating func readSource(into start: Int) -> Result<Int, IngestError> {
        pending.withUnsafeMutableBytes { raw in
            Result { () throws(IngestError) -> Int in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
            }
        }
    }

    /// Copies `pending[head..<end]` into `chunk` and consumes it.
    private mutating func emit(through end: Int, into chunk: inout Chunk) {
        let count = end - head
        fillChunk(&chunk, from: head, count: count, truncatedLength: nil)
        head = end
        headOffset += Int64(count)
    }

    /// The buffer holds one line longer than itself: hand out its first `lineLimit` bytes, then read
    /// and discard the rest of it up to its newline.
    private mutating func emitTruncatedLine(into chunk: inout Chunk) {
        fillChunk(&chunk, from: 0, count: lineLimit, truncatedLength: nil)
        var length = capacity
        head = 0
        filled = 0
        while true {
            let result = readSource(into: 0)
            guard case .success(let n) = result, n > 0 else {
                if case .failure(let error) = result { pendingError = error }
                atEnd = true
                break
            }
            let newline = pending.withUnsafeBufferPointer {
                ByteScan.firstIndex(of: ASCII.newline, in: $0.baseAddress!, from: 0, to: n)
            }
            if let newline {
                length += newline
                head = newline + 1
                filled = n
                break
            }
            length += n
        }
        chunk.truncatedLineLength = length
        chunk.lineCount = 1
        headOffset += Int64(length + (atEnd && head == 0 ? 0 : 1))
    }

    private mutating func fillChunk(_ chunk: inout Chunk, from start: Int, count: Int, truncatedLength: Int?) {
        if chunk.storage.count < count {
            chunk.storage = [UInt8](repeating: 0, count: max(count, min(capacity, chunkSize * 2)))
        }
        pending.withUnsafeBytes { src in
            chunk.storage.withUnsafeMutableBytes { dst in
                dst.baseAddress!.copyMemory(from: src.baseAddress! + start, byteCount: count)
            }
        }
        chunk.count = count
        chunk.lineLimit = lineLimit
        chunk.truncatedLineLength = truncatedLength
        chunk.origin = ChunkOrigin(sourceIndex: sourceIndex, path: path, offset: headOffset, firstLine: nextLine,
                                   referenceTime: referenceTime)
        let lines = chunk.storage.withUnsafeBufferPointer { buf in
            let newlines = ByteScan.count(of: ASCII.newline, in: buf.baseAddress!, from: 0, to: count)
            return newlines + (count > 0 && buf[count - 1] != ASCII.newline ? 1 : 0)
        }
        chunk.lineCount = truncatedLength == nil ? lines : 1
        nextLine += Int64(chunk.lineCount)
    }
}
