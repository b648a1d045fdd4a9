import Foundation
import WardCore

/// Messages received over the network (syslog frames over UDP, TCP, TLS), as one ``RecordSource``.
///
/// Receivers (the network threads) put each message in the inbox under its sender's stream — a TCP
/// or TLS connection, or a UDP sender — and the pipeline takes chunks of one stream's messages, one
/// record per message (a message may hold newlines: octet counting). Events carry their sender
/// (``ChunkOrigin/peer``). Memory is bounded: past ``highWater`` buffered bytes, ``deliver`` says
/// so and a TCP receiver stops reading its connection (the sender waits: backpressure), while UDP
/// messages are dropped and counted; ``onBelowLowWater`` tells the receivers to read again.
public final class MessageInbox: RecordSource, @unchecked Sendable {
    final class Stream {
        let id: Int
        let nameIndex: Int
        let path: String
        let peer: PeerOrigin
        var bytes: [UInt8] = []
        var frames: [(start: Int, length: Int, full: Int64)] = []
        var head = 0
        var offset: Int64 = 0
        var messages: Int64 = 0
        var queued = false
        var ended = false

        init(id: Int, nameIndex: Int, path: String, peer: PeerOrigin) {
            self.id = id
            self.nameIndex = nameIndex
            self.path = path
            self.peer = peer
        }
    }

    public struct Statistics: Sendable {
        public var messages = 0
        public var bytes: Int64 = 0
        /// UDP messages dropped because the pipeline was behind.
        public var dropped = 0
        public var connections = 0
        /// Times the inbox filled up and TCP connections were paused until matching caught up.
        public var paused = 0
    }

    private let condition = NSCondition()
    private var streams: [Int: Stream] = [:]
    private var order: [Int] = []
    private var orderHead = 0
    private var buffered = 0
    private var nextID = 1
    private var finished = false
    /// ``endRun()`` was asked for: the next call of `next` answers `false`.
    private var runEnding = false
    private var stats = Statistics()
    private var overHigh = false
    private var udpStreams: [String: Int] = [:]
    private let names: SourceNames
    private let sourceIndex: Int
    private let chunkSize: Int
    private let framing: any RecordFraming
    public let highWater: Int
    public let lowWater: Int
    /// Called (on the pipeline's thread) when the buffered bytes fell below ``lowWater`` after
    /// exceeding ``highWater``.
    public var onBelowLowWater: (@Sendable () -> Void)?

    /// `framing`: the run's record framing, which tells from a message's first line what it holds
    /// (an HL7 message, an XML audit message): a message is one record, of that kind, so its patient
    /// data is handled as in a file.
    public init(names: SourceNames, sourceIndex: Int, framing: any RecordFraming, chunkSize: Int = 256 << 10,
                highWater: Int = 32 << 20) {
        self.framing = framing
        self.names = names
        self.sourceIndex = sourceIndex
        self.chunkSize = chunkSize
        self.highWater = highWater
        self.lowWater = highWater / 2
    }

    public var statistics: Statistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    static func name(_ peer: PeerOrigin) -> String {
        let host = peer.address.contains(":") ? "[\(peer.address)]" : peer.address
        return "\(peer.tls ? "tls" : peer.transport)://\(host):\(peer.port)"
    }

    /// A new stream for a connection.
    public func open(peer: PeerOrigin) -> Int {
        let path = Self.name(peer)
        let index = names.register(path)
        condition.lock()
        defer { condition.unlock() }
        let id = nextID
        nextID += 1
        streams[id] = Stream(id: id, nameIndex: index, path: path, peer: peer)
        stats.connections += 1
        return id
    }

    /// The connection ended: its stream goes once its messages are taken.
    public func end(stream id: Int) {
        condition.lock()
        defer { condition.unlock() }
        guard let s = streams[id] else { return }
        s.ended = true
        if s.frames.count == s.head { streams[id] = nil }
    }

    /// Adds one message of a connection (`fullLength` more than its bytes when it was cut at the
    /// frame limit). Returns `false` when the inbox is over its high-water mark: the caller stops
    /// reading until ``onBelowLowWater``.
    @discardableResult
    public func deliver(stream id: Int, _ message: UnsafeRawBufferPointer, fullLength: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let s = streams[id] else { return true }
        add(message, fullLength: fullLength, to: s)
        if buffered > highWater {
            if !overHigh { stats.paused += 1 }
            overHigh = true
            return false
        }
        return true
    }

    /// Adds one UDP datagram from `peer`; dropped (and counted) when the inbox is over its high-water mark.
    public func deliverDatagram(from peer: PeerOrigin, _ message: UnsafeRawBufferPointer, fullLength: Int) {
        let key = Self.name(peer)
        condition.lock()
        defer { condition.unlock() }
        if buffered > highWater {
            stats.dropped += 1
            return
        }
        let s: Stream
        if let id = udpStreams[key], let existing = streams[id] {
            s = existing
        } else {
            if udpStreams.count >= 65536 {
                // Forget idle senders (their next datagram registers them again).
                for (k, id) in udpStreams where streams[id].map({ $0.frames.count == $0.head }) ?? true {
                    udpStreams[k] = nil
                    streams[id] = nil
                }
            }
            condition.unlock()
            let index = names.index(of: key)
            condition.lock()
            s = Stream(id: nextID, nameIndex: index, path: key, peer: peer)
            streams[nextID] = s
            stats.connections += 1
            udpStreams[key] = nextID
            nextID += 1
        }
        add(message, fullLength: fullLength, to: s)
    }

    private func add(_ message: UnsafeRawBufferPointer, fullLength: Int, to s: Stream) {
        let start = s.bytes.count
        s.bytes.append(contentsOf: message)
        s.bytes.append(ASCII.newline)
        s.frames.append((start, message.count, Int64(fullLength)))
        buffered += message.count + 1
        stats.messages += 1
        stats.bytes += Int64(message.count)
        if !s.queued {
            s.queued = true
            order.append(s.id)
            condition.broadcast()
        }
    }

    // MARK: - RecordSource

    public func next(into chunk: inout Chunk, wait: Bool) throws(IngestError) -> Bool? {
        condition.lock()
        if runEnding {
            runEnding = false
            condition.unlock()
            return false
        }
        if orderHead == order.count && !finished {
            guard wait else {
                condition.unlock()
                return nil
            }
            // Back empty-handed now and then, so that the pipeline writes what it holds.
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.25))
        }
        guard orderHead < order.count else {
            let done = finished
            condition.unlock()
            return done ? false : nil
        }
        let s = streams[order[orderHead]]!
        orderHead += 1
        if orderHead > 1024 && orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
        // One stream's messages, up to a chunk's worth (at least one).
        var end = s.head
        var bytes = 0
        while end < s.frames.count && (end == s.head || bytes + s.frames[end].length + 1 <= chunkSize) {
            bytes += s.frames[end].length + 1
            end += 1
        }
        let from = s.frames[s.head].start
        if chunk.storage.count < bytes { chunk.storage = [UInt8](repeating: 0, count: max(bytes, chunkSize)) }
        s.bytes.withUnsafeBytes { src in
            chunk.storage.withUnsafeMutableBytes { dst in dst.baseAddress!.copyMemory(from: src.baseAddress! + from, byteCount: bytes) }
        }
        chunk.count = bytes
        chunk.records.removeAll(keepingCapacity: true)
        chunk.storage.withUnsafeBufferPointer { buf in
            for k in s.head..<end {
                let f = s.frames[k]
                s.messages += 1
                let p = buf.baseAddress! + (f.start - from)
                var first = ByteScan.firstIndex(of: ASCII.newline, in: p, from: 0, to: f.length) ?? f.length
                if first > 0 && p[first - 1] == ASCII.carriageReturn { first -= 1 }
                let opening = framing.opens(p, count: first)
                chunk.records.append(RecordSpan(start: f.start - from, length: f.length, line: s.messages, kind: opening.kind,
                                                field: opening.field, fullLength: f.full))
            }
        }
        chunk.origin = ChunkOrigin(sourceIndex: sourceIndex, path: s.path, offset: s.offset, firstLine: s.messages - Int64(end - s.head) + 1,
                                   referenceTime: Int64(time(nil)), stream: s.id, nameIndex: s.nameIndex)
        chunk.origin.peer = s.peer
        s.offset += Int64(bytes)
        chunk.endOffset = s.offset
        s.head = end
        if s.head == s.frames.count {
            s.frames.removeAll(keepingCapacity: true)
            s.bytes.removeAll(keepingCapacity: s.bytes.capacity <= 1 << 20)
            s.head = 0
            s.queued = false
            if s.ended { streams[s.id] = nil }
        } else {
            if s.frames[s.head].start >= 1 << 20 {
                // A stream that never empties: drop the bytes taken.
                let cut = s.frames[s.head].start
                s.bytes.removeFirst(cut)
                s.frames.removeFirst(s.head)
                s.head = 0
                for k in s.frames.indices { s.frames[k].start -= cut }
            }
            order.append(s.id)
        }
        buffered -= bytes
        var resume: (@Sendable () -> Void)?
        if overHigh && buffered < lowWater {
            overHigh = false
            resume = onBelowLowWater
        }
        condition.unlock()
        resume?()
        return true
    }

    public var notice: IngestNotice? { nil }
    /// Messages cannot be asked for again: nothing to record.
    public func commit(_ cursor: SourceCursor) {}

    /// Whether the inbox is past its high-water mark and has not yet drained below its low-water mark.
    public var isOverHighWater: Bool {
        condition.lock()
        defer { condition.unlock() }
        return overHigh
    }

    /// Ended for good (interrupted or closed).
    public var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished
    }

    public func endRun() {
        condition.lock()
        runEnding = true
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the input: what was received is still delivered, then the end.
    public func interrupt() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    public func close() { interrupt() }
}
