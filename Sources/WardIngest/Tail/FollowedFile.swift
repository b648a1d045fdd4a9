import WardCore

#if canImport(Glibc)
import Glibc
#endif

/// One file a tail follows: its descriptor, the bytes read and not yet handed out, and the framer
/// that groups its lines into records. Owned by the tail's reader thread; what the checkpoint needs
/// lives in its ``TailStream`` (shared, under the tail's lock).
final class FollowedFile {
    var stream: TailStream
    let fd: Int32
    /// Next byte to read from the file.
    var readOffset: Int64
    var pending: [UInt8]
    let maxCapacity: Int
    var head = 0  // first byte of `pending` not handed out
    var scan = 0  // first byte of `pending` not fed to the framer
    var filled = 0
    var headOffset: Int64  // file offset of pending[head]
    var framer: RecordFramer
    /// The last time bytes arrived (partial lines and open records wait for more until a timeout).
    var lastGrowth: ContinuousClock.Instant
    /// The rest of a line cut at the line limit is being skipped.
    var skipping = false
    var cutLength: Int64 = 0
    /// The path names another file now, or the file was deleted: read to its end, then let go.
    var rotated = false
    var rotatedAt: ContinuousClock.Instant?
    /// Reading failed: the file is let go at once.
    var failed = false
    /// Its first bytes changed in place (truncated, then written past the read offset before it was
    /// looked at): read again from the start.
    var rewritten = false
    /// The end offset of the last chunk handed out: bytes skipped after it (the rest of a cut line)
    /// are handed out as an empty chunk, so that their offset is committed too.
    var emittedEnd: Int64

    init(fd: Int32, stream: TailStream, offset: Int64, line: Int64, options: IngestOptions) {
        self.fd = fd
        self.stream = stream
        self.readOffset = offset
        self.headOffset = offset
        self.emittedEnd = offset
        self.maxCapacity = max(options.chunkSize, options.recordLimit) + options.lineLimit + 4
        // Small at first: a tail may follow thousands of quiet files; a busy one grows it.
        self.pending = [UInt8](repeating: 0, count: min(Self.quietCapacity, maxCapacity))
        self.framer = RecordFramer(framing: options.framing, lineLimit: options.lineLimit, recordLimit: options.recordLimit,
                                   startOffset: offset, firstLine: line)
        self.lastGrowth = .now
    }

    static let quietCapacity = 64 << 10

    /// Gives back a buffer grown by a burst once everything read was handed out.
    func shrinkIfIdle() {
        guard head == filled, !skipping, pending.count > 4 * Self.quietCapacity else { return }
        pending = [UInt8](repeating: 0, count: Self.quietCapacity)
        head = 0
        scan = 0
        filled = 0
    }

    /// Starts over at byte 0 under a new stream (the file was truncated in place).
    func restart(stream: TailStream, options: IngestOptions) {
        self.stream = stream
        readOffset = 0
        headOffset = 0
        emittedEnd = 0
        head = 0
        scan = 0
        filled = 0
        skipping = false
        framer = RecordFramer(framing: options.framing, lineLimit: options.lineLimit, recordLimit: options.recordLimit)
    }

    var size: Int64? {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : nil
    }

    var deleted: Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && st.st_nlink == 0
    }

    /// Bytes read and not yet handed out, or a multi-line record still open.
    var holdsPartial: Bool { filled > scan || framer.hasOpenRecord || skipping }

    /// Moves the bytes not handed out to the front of the buffer; grows it when one record fills it.
    func makeRoom() {
        if head > 0 {
            let count = filled - head
            let from = head
            if count > 0 {
                pending.withUnsafeMutableBytes { raw in raw.baseAddress!.copyMemory(from: raw.baseAddress! + from, byteCount: count) }
            }
            scan -= head
            head = 0
            filled = count
        }
        if filled == pending.count && pending.count < maxCapacity {
            pending.append(contentsOf: repeatElement(0, count: min(maxCapacity, pending.count * 2) - pending.count))
        }
    }

    /// Reads what the file has beyond `readOffset`, up to `budget` bytes. Returns the bytes read, or
    /// `nil` on a read error (with errno set).
    func read(upTo size: Int64, budget: Int) -> Int? {
        var total = 0
        while readOffset < size && total < budget {
            if filled == pending.count { makeRoom() }
            guard filled < pending.count else { break }
            let want = Int(min(Int64(pending.count - filled), size - readOffset, Int64(budget - total)))
            let start = filled
            let n = pending.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + start, want, off_t(readOffset)) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            filled += n
            readOffset += Int64(n)
            total += n
        }
        if total > 0 { lastGrowth = .now }
        return total
    }

    /// Feeds the complete lines read so far to the framer, until a chunk's worth is settled. A line
    /// longer than the line limit is fed cut, and the rest of it skipped as it arrives.
    func feedLines(chunkSize: Int) {
        let lineLimit = framer.lineLimit
        pending.withUnsafeBufferPointer { buf in
            let p = buf.baseAddress!
            while scan < filled {
                let base = headOffset - Int64(head)
                if skipping {
                    if let newline = ByteScan.firstIndex(of: ASCII.newline, in: p, from: scan, to: filled) {
                        cutLength += Int64(newline - scan)
                        framer.finishCutLine(fullLength: cutLength, next: base + Int64(newline + 1))
                        skipping = false
                        // The skipped bytes are dropped: nothing before the line's end is handed out.
                        discard(through: newline + 1)
                    } else {
                        cutLength += Int64(filled - scan)
                        framer.finishCutLine(fullLength: cutLength, next: base + Int64(filled))
                        discard(through: filled)
                    }
                    continue
                }
                if Int(framer.settledEnd - base) - head >= chunkSize { return }
                guard let newline = ByteScan.firstIndex(of: ASCII.newline, in: p, from: scan, to: min(filled, scan + lineLimit + 2)) else {
                    if filled - scan > lineLimit + 1 {
                        // A line longer than the limit: its first `lineLimit` bytes are a record.
                        if let newline = ByteScan.firstIndex(of: ASCII.newline, in: p, from: scan + lineLimit, to: filled) {
                            // Its end is here: its real length is known, and it is settled whole.
                            var end = newline
                            if end > scan && p[end - 1] == ASCII.carriageReturn { end -= 1 }
                            framer.feed(p + scan, count: lineLimit, at: base + Int64(scan), next: base + Int64(newline + 1),
                                        fullLength: Int64(end - scan))
                            scan = newline + 1
                            continue
                        }
                        // Not yet: the rest is skipped as it arrives (the length reported is what was
                        // there when the chunk left).
                        framer.feed(p + scan, count: lineLimit, at: base + Int64(scan), next: base + Int64(scan + lineLimit),
                                    fullLength: Int64(filled - scan))
                        cutLength = Int64(lineLimit)
                        scan += lineLimit
                        skipping = true
                        return
                    }
                    return
                }
                framer.feedLine(p, from: scan, to: newline, next: newline + 1, bufferOffset: base)
                scan = newline + 1
            }
        }
    }

    /// Drops `pending[head..<end]` unread (the rest of a cut line).
    private func discard(through end: Int) {
        headOffset += Int64(end - head)
        head = end
        if scan < head { scan = head }
    }

    /// Takes the partial last line as a line and closes an open record (a timeout, or the file is
    /// let go).
    func flushPartial() {
        // Complete lines still unfed (feeding stops at a chunk's worth) are lines of their own.
        feedLines(chunkSize: .max)
        if skipping {
            skipping = false
            framer.closeOpenRecord(settlingAt: headOffset + Int64(filled - head))
            discard(through: filled)
            return
        }
        if scan < filled {
            let base = headOffset - Int64(head)
            pending.withUnsafeBufferPointer { buf in
                framer.feedLine(buf.baseAddress!, from: scan, to: filled, next: filled, bufferOffset: base)
            }
            scan = filled
        }
        framer.closeOpenRecord(settlingAt: headOffset + Int64(scan - head))
    }

    /// The end of the bytes whose records are all closed (index into `pending`).
    var settled: Int { Int(framer.settledEnd - headOffset) + head }

    /// Copies `pending[head..<settled]` and its records into `chunk`; `false` when nothing is settled.
    func emit(into chunk: inout Chunk, sourceIndex: Int, chunkSize: Int, now: Int64) -> Bool {
        let end = settled
        guard end > head || !framer.closed.isEmpty || headOffset > emittedEnd else { return false }
        let count = end - head
        if chunk.storage.count < count {
            chunk.storage = [UInt8](repeating: 0, count: max(count, min(chunkSize + chunkSize / 2, maxCapacity)))
        }
        let from = head
        if count > 0 {
            pending.withUnsafeBytes { src in
                chunk.storage.withUnsafeMutableBytes { dst in dst.baseAddress!.copyMemory(from: src.baseAddress! + from, byteCount: count) }
            }
        }
        chunk.count = count
        chunk.origin = ChunkOrigin(sourceIndex: sourceIndex, path: stream.path, offset: headOffset,
                                   firstLine: framer.closed.first?.line ?? framer.settledLine, referenceTime: now,
                                   stream: stream.id, nameIndex: stream.nameIndex)
        chunk.setRecords(framer.closed, chunkOffset: headOffset)
        framer.closed.removeAll(keepingCapacity: true)
        headOffset += Int64(count)
        chunk.endOffset = headOffset
        emittedEnd = headOffset
        head = end
        if scan < head { scan = head }
        return true
    }

    /// The number of the line after the last chunk handed out.
    var nextLine: Int64 { framer.settledLine }
}

/// What a checkpoint records of one followed file: shared between the tail's reader thread and the
/// writer thread that commits (under the tail's lock).
final class TailStream {
    let id: Int
    let nameIndex: Int
    /// The path the file was found under.
    let path: String
    /// Where it is now (a rotated file's new name).
    var location: String
    var identity: FileIdentity
    var committed: Int64
    var committedLine: Int64
    /// Where reading stopped when the file was let go (its chunks may not all be committed yet).
    var readEnd: Int64 = 0
    var readLine: Int64 = 1
    /// Chunks handed out and not yet committed: their end offset and next line.
    var marks: [(end: Int64, line: Int64)] = []
    var released = false
    /// Retired (the file was truncated and is read again under a new stream): commits are ignored.
    var retired = false

    init(id: Int, nameIndex: Int, path: String, identity: FileIdentity, offset: Int64, line: Int64) {
        self.id = id
        self.nameIndex = nameIndex
        self.path = path
        self.location = path
        self.identity = identity
        self.committed = offset
        self.committedLine = line
        self.readEnd = offset
        self.readLine = line
    }

    var position: TailPosition {
        TailPosition(path: path, location: location, identity: identity, offset: committed, line: committedLine, released: released)
    }
}
