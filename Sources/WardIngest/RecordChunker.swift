import WardCore

/// Cuts a byte stream into chunks of whole records.
///
/// The chunker reads its source in large blocks into one buffer and feeds every line, in order, to a
/// ``RecordFramer`` — the one place where lines are grouped into records (an HL7 message written one
/// segment per line, a multi-line ATNA document). It hands out chunks of about `chunkSize` bytes that
/// end where the framer has settled every record: a record still open when a chunk fills is carried
/// into the next chunk, so a record is never split, whatever the chunk size or the reads. The chunk's
/// bytes are copied into the storage of the chunk it is given, which ``next(into:)`` reuses, so
/// reading a file allocates nothing after the first chunks (the copy costs about 2 % of parsing).
///
/// The buffer starts at `chunkSize` and grows only when one record needs more, up to the record
/// limit plus the line limit.
///
/// Limits: a line longer than `lineLimit` is cut to it (``RecordSpan/fullLength`` keeps its real
/// length, the rest of it is skipped); a multi-line record longer than `recordLimit` is cut there
/// and the lines still continuing it are skipped. Nothing is dropped silently: the events are
/// flagged and the run reports them.
///
/// A live source (`eager`: stdin, pipes) hands out records as soon as they are closed, and closes a
/// multi-line record that stayed open for `idleMilliseconds` without new bytes (as Vector's multiline
/// aggregation does), so a message's last segment does not wait for the next message.
public struct RecordChunker<Source: ByteSource> {
    public private(set) var source: Source
    public let path: String
    public let sourceIndex: Int
    public let referenceTime: Int64
    public let chunkSize: Int
    public let lineLimit: Int
    public let recordLimit: Int
    public var eager: Bool
    public let idleMilliseconds: Int

    private var framer: RecordFramer
    private var pending: [UInt8]
    private let maxCapacity: Int
    private var head = 0  // first byte of `pending` not yet handed out
    private var scan = 0  // first byte of `pending` not yet fed to the framer
    private var filled = 0
    private var headOffset: Int64 = 0  // stream offset of pending[head]
    private var atEnd = false
    private var pendingError: IngestError?

    /// - Parameters:
    ///   - chunkSize: the target chunk size (1 MiB: big enough to amortize per-chunk work, small enough
    ///     to spread over workers; `DESIGN.md`).
    ///   - lineLimit: lines longer than this are cut (default 1 MiB).
    ///   - recordLimit: multi-line records longer than this are cut (default 16 MiB).
    public init(source: Source, path: String, sourceIndex: Int = 0, referenceTime: Int64,
                framing: any RecordFraming = LineFraming(), chunkSize: Int = 1 << 20, lineLimit: Int = 1 << 20,
                recordLimit: Int = 16 << 20, eager: Bool = false, idleMilliseconds: Int = 1000) {
        precondition(lineLimit > 0 && chunkSize > 0, "chunk size and line limit must be positive")
        self.source = source
        self.path = path
        self.sourceIndex = sourceIndex
        self.referenceTime = referenceTime
        self.chunkSize = chunkSize
        self.lineLimit = lineLimit
        self.recordLimit = max(recordLimit, lineLimit)
        self.eager = eager
        self.idleMilliseconds = idleMilliseconds
        self.framer = RecordFramer(framing: framing, lineLimit: lineLimit, recordLimit: max(recordLimit, lineLimit))
        self.maxCapacity = max(chunkSize, max(recordLimit, lineLimit)) + lineLimit + 4
        self.pending = [UInt8](repeating: 0, count: min(max(chunkSize, 4096) + 1, maxCapacity))
    }

    /// Every remaining chunk (tests, in-memory corpora).
    public mutating func readAll() throws(IngestError) -> [Chunk] {
        var out: [Chunk] = []
        var chunk = Chunk()
        while try next(into: &chunk) {
            out.append(chunk)
            chunk = Chunk()
        }
        return out
    }

    /// Fills `chunk` with the next records. Returns `false` at the end of the input.
    ///
    /// A read error ends the input: the records read before it are delivered first (a partial last
    /// line as a line), then the error is thrown by the following call.
    public mutating func next(into chunk: inout Chunk) throws(IngestError) -> Bool {
        while true {
            if let cut = feedLines() {
                emitCutLine(at: cut, into: &chunk)
                return true
            }
            let settled = Int(framer.settledEnd - headOffset) + head
            if settled - head >= chunkSize {
                emit(through: settled, into: &chunk)
                return true
            }
            if atEnd {
                if scan < filled { feedLast() }
                framer.closeOpenRecord(settlingAt: headOffset + Int64(filled - head))
                if filled > head {
                    emit(through: filled, into: &chunk)
                    return true
                }
                if let error = pendingError {
                    pendingError = nil
                    throw error
                }
                return false
            }
            if eager {
                if settled > head && scan == filled {
                    emit(through: settled, into: &chunk)
                    return true
                }
                if framer.hasOpenRecord, scan == filled, !source.waitForInput(milliseconds: idleMilliseconds) {
                    // Idle: the open record is complete as it is.
                    framer.closeOpenRecord(settlingAt: headOffset + Int64(scan - head))
                    let end = Int(framer.settledEnd - headOffset) + head
                    if end > head {
                        emit(through: end, into: &chunk)
                        return true
                    }
                }
            }
            makeRoom()
            fill()
        }
    }

    /// Feeds the complete lines after `scan` to the framer, until a chunk's worth is settled. Returns
    /// the start of a line longer than the line limit whose end is not in the buffer.
    private mutating func feedLines() -> Int? {
        let base = headOffset - Int64(head)
        return pending.withUnsafeBufferPointer { buf -> Int? in
            let p = buf.baseAddress!
            while scan < filled {
                if Int(framer.settledEnd - base) - head >= chunkSize { return nil }
                guard let newline = ByteScan.firstIndex(of: ASCII.newline, in: p, from: scan, to: min(filled, scan + lineLimit + 2)) else {
                    // No line end within the limit: a cut line, once enough of it is here.
                    return filled - scan > lineLimit + 1 ? scan : nil
                }
                framer.feedLine(p, from: scan, to: newline, next: newline + 1, bufferOffset: base)
                scan = newline + 1
            }
            return nil
        }
    }

    /// The input ended without a line end after the last line: it is a line all the same.
    private mutating func feedLast() {
        let base = headOffset - Int64(head)
        pending.withUnsafeBufferPointer { buf in
            framer.feedLine(buf.baseAddress!, from: scan, to: filled, next: filled, bufferOffset: base)
        }
        scan = filled
    }

    /// A line longer than the line limit starts at `start` and its end is not in the buffer: hand out
    /// the records before it and its first `lineLimit` bytes, then read past the rest of it.
    private mutating func emitCutLine(at start: Int, into chunk: inout Chunk) {
        let base = headOffset - Int64(head)
        pending.withUnsafeBufferPointer { buf in
            framer.feed(buf.baseAddress! + start, count: lineLimit, at: base + Int64(start),
                        next: base + Int64(start + lineLimit), fullLength: Int64(lineLimit) + 1)
        }
        emit(through: start + lineLimit, into: &chunk)
        // Skip to the line's end; the bytes after it stay.
        var length = Int64(lineLimit)
        var at = start + lineLimit
        while true {
            let newline = pending.withUnsafeBufferPointer {
                ByteScan.firstIndex(of: ASCII.newline, in: $0.baseAddress!, from: at, to: filled)
            }
            if let newline {
                var end = newline
                if end > at, pending[end - 1] == ASCII.carriageReturn { end -= 1 }
                length += Int64(end - at)
                at = newline + 1
                break
            }
            length += Int64(filled - at)
            at = filled
            if atEnd { break }
            // Drop what was skipped and read on.
            headOffset += Int64(at - head)
            head = at
            scan = at
            makeRoom()
            at = head
            fill()
            if head == filled && atEnd { break }
        }
        let nextOffset = headOffset + Int64(at - head)
        framer.finishCutLine(fullLength: length, next: nextOffset)
        if !chunk.records.isEmpty { chunk.records[chunk.records.count - 1].fullLength = length }
        chunk.endOffset = nextOffset
        headOffset = nextOffset
        head = at
        scan = at
    }

    /// Moves the bytes not yet handed out to the front of the buffer, or grows it when one record
    /// fills it.
    private mutating func makeRoom() {
        if head > 0 {
            let count = filled - head
            let from = head
            if count > 0 {
                pending.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + from, byteCount: count)
                }
            }
            scan -= head
            head = 0
            filled = count
        }
        if filled == pending.count && pending.count < maxCapacity {
            let grown = min(maxCapacity, pending.count * 2)
            pending.append(contentsOf: repeatElement(0, count: grown - pending.count))
        }
    }

    /// Reads until the buffer is full, the source ends, or (eager) a read brought a newline.
    private mutating func fill() {
        while filled < pending.count {
            let start = filled
            let result = pending.withUnsafeMutableBytes { raw in
                Result { () throws(IngestError) -> Int in
                    try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
                }
            }
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
            // A whole chunk's worth is here: frame it before reading more.
            if filled - scan >= chunkSize { return }
        }
    }

    /// Copies `pending[head..<end]` and the records closed so far into `chunk`, and consumes them.
    private mutating func emit(through end: Int, into chunk: inout Chunk) {
        let count = end - head
        if chunk.storage.count < count {
            chunk.storage = [UInt8](repeating: 0, count: max(count, chunkSize + chunkSize / 2))
        }
        let from = head
        pending.withUnsafeBytes { src in
            chunk.storage.withUnsafeMutableBytes { dst in
                dst.baseAddress!.copyMemory(from: src.baseAddress! + from, byteCount: count)
            }
        }
        chunk.count = count
        chunk.origin = ChunkOrigin(sourceIndex: sourceIndex, path: path, offset: headOffset,
                                   firstLine: framer.closed.first?.line ?? framer.nextLine, referenceTime: referenceTime)
        chunk.setRecords(framer.closed, chunkOffset: headOffset)
        framer.closed.removeAll(keepingCapacity: true)
        headOffset += Int64(count)
        chunk.endOffset = headOffset
        head = end
        if scan < head { scan = head }
    }
}
