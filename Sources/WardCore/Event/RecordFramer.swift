/// Groups lines into records by a ``RecordFraming`` rule: the one place where framing is decided.
///
/// The source's chunker feeds it every line of its input in order, with the line's offset in the
/// (decompressed) stream; the framer keeps the multi-line record being gathered and hands out the
/// records it closed. A record is never split: a chunk ends only at ``settledEnd``, the offset up to
/// which every byte belongs to a closed record. So what becomes an event does not depend on chunk
/// sizes or on how a pipe delivered its bytes.
///
/// Limits: a line longer than ``lineLimit`` is cut to it (and ends any open record); a multi-line
/// record that would grow past ``recordLimit`` is closed there, flagged as cut, and the lines that
/// still continue it are skipped (its patient data never reaches a parser as a stray line).
public struct RecordFramer {
    /// A closed record, at absolute offsets in the stream.
    public struct Framed: Sendable, Equatable {
        public var start: Int64
        public var length: Int
        public var fullLength: Int64
        public var line: Int64
        public var kind: RecordKind
        public var field: UInt8
    }

    public let framing: any RecordFraming
    public let lineLimit: Int
    public let recordLimit: Int
    /// Records closed and not yet taken, in input order.
    public var closed: [Framed] = []
    /// Every byte before this offset belongs to a closed record (or to skipped lines of a cut one).
    public private(set) var settledEnd: Int64 = 0
    /// The number of the next line to be fed.
    public private(set) var nextLine: Int64 = 1

    private var open: Framed?
    private var opening = RecordOpening(kind: .line)
    private var skipping: RecordOpening?

    public init(framing: any RecordFraming, lineLimit: Int, recordLimit: Int, startOffset: Int64 = 0, firstLine: Int64 = 1) {
        precondition(lineLimit > 0 && recordLimit >= lineLimit, "the record limit must be at least the line limit")
        self.framing = framing
        self.lineLimit = lineLimit
        self.recordLimit = recordLimit
        self.settledEnd = startOffset
        self.nextLine = firstLine
    }

    /// Whether a multi-line record is being gathered (a live source closes it after an idle time).
    public var hasOpenRecord: Bool { open != nil }

    /// The number of the line at ``settledEnd``: the open record's first line, else the next line.
    public var settledLine: Int64 { open?.line ?? nextLine }

    /// Feeds the line `base[start..<end]` of a buffer whose first byte is at `bufferOffset` in the
    /// stream: `end` is its `\n` (or the end of the input), the next line starts at `next`. A `\r`
    /// before the end is dropped; a line longer than the limit is fed cut, with its real length.
    public mutating func feedLine(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, next: Int, bufferOffset: Int64) {
        var content = end - start
        if content > 0, base[end - 1] == ASCII.carriageReturn { content -= 1 }
        feed(base + start, count: min(content, lineLimit), at: bufferOffset + Int64(start), next: bufferOffset + Int64(next),
             fullLength: Int64(content))
    }

    /// Feeds the line `p[0..<count]` (without its line end), which starts at `offset` in the stream;
    /// the next line starts at `next`. A `fullLength` over the line limit says the line was cut to
    /// `count` bytes.
    public mutating func feed(_ p: UnsafePointer<UInt8>, count: Int, at offset: Int64, next: Int64,
                              fullLength: Int64? = nil) {
        let full = fullLength ?? Int64(count)
        let whole = full <= Int64(lineLimit)
        defer { nextLine += 1 }
        if let skip = skipping {
            if whole && framing.continues(skip, p, count: count) {
                settledEnd = next
                return
            }
            skipping = nil
        }
        if var record = open {
            if whole && framing.continues(opening, p, count: count) {
                let end = offset + Int64(count)
                if end - record.start > Int64(recordLimit) {
                    // Over the record limit: keep what fits, skip the rest of the record.
                    record.fullLength = end - record.start
                    closed.append(record)
                    open = nil
                    skipping = opening
                    settledEnd = next
                    return
                }
                record.length = Int(end - record.start)
                record.fullLength = Int64(record.length)
                if framing.closes(opening, p, count: count) {
                    closed.append(record)
                    open = nil
                    settledEnd = next
                } else {
                    open = record
                }
                return
            }
            closed.append(record)
            open = nil
            settledEnd = offset
        }
        if !whole {
            closed.append(Framed(start: offset, length: min(count, lineLimit), fullLength: full, line: nextLine,
                                 kind: .line, field: 0))
            settledEnd = next
            return
        }
        let o = framing.opens(p, count: count)
        if o.kind.isMultiLine {
            opening = o
            open = Framed(start: offset, length: count, fullLength: Int64(count), line: nextLine, kind: o.kind, field: o.field)
            return
        }
        closed.append(Framed(start: offset, length: count, fullLength: Int64(count), line: nextLine, kind: o.kind, field: 0))
        settledEnd = next
    }

    /// Closes the open record: the input ended, or a live source stayed idle. `end` is where the
    /// input stands now (the open record's bytes end at or before it).
    public mutating func closeOpenRecord(settlingAt end: Int64) {
        if let record = open {
            closed.append(record)
            open = nil
        }
        skipping = nil
        settledEnd = max(settledEnd, end)
    }

    /// Updates the real length of the last closed record, a line cut at the limit whose end was only
    /// found later; the next line starts at `next`.
    public mutating func finishCutLine(fullLength: Int64, next: Int64) {
        if !closed.isEmpty { closed[closed.count - 1].fullLength = fullLength }
        settledEnd = next
    }
}

extension Chunk {
    /// A chunk over `bytes`, framed into records by `framing` as a source would frame them (tests,
    /// in-memory corpora). The whole of `bytes` is one chunk.
    public init(bytes: [UInt8], origin: ChunkOrigin, framing: any RecordFraming = LineFraming(),
                lineLimit: Int = 1 << 20, recordLimit: Int = 16 << 20) {
        self.init(bytes: bytes, origin: origin)
        var framer = RecordFramer(framing: framing, lineLimit: lineLimit, recordLimit: max(lineLimit, recordLimit),
                                  startOffset: origin.offset, firstLine: origin.firstLine)
        bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            var start = 0
            while start < buf.count {
                let newline = ByteScan.firstIndex(of: ASCII.newline, in: base, from: start, to: buf.count)
                let next = newline.map { $0 + 1 } ?? buf.count
                framer.feedLine(base, from: start, to: newline ?? buf.count, next: next, bufferOffset: origin.offset)
                start = next
            }
        }
        framer.closeOpenRecord(settlingAt: origin.offset + Int64(bytes.count))
        setRecords(framer.closed, chunkOffset: origin.offset)
        endOffset = origin.offset + Int64(bytes.count)
    }

    /// Replaces ``records`` with `framed` (absolute offsets), made relative to a chunk at `chunkOffset`.
    public mutating func setRecords(_ framed: [RecordFramer.Framed], chunkOffset: Int64) {
        records.removeAll(keepingCapacity: true)
        for r in framed {
            records.append(RecordSpan(start: Int(r.start - chunkOffset), length: r.length, line: r.line, kind: r.kind,
                                      field: r.field, fullLength: r.fullLength))
        }
    }
}
