import Foundation
import WardCore

/// Reads an input's chunks on a thread of its own, a few chunks ahead of the consumer.
///
/// Decompressing a `.gz` (about 320–500 MB/s per core with zlib) and parsing (over 1 GB/s) then
/// overlap instead of adding up, so gzip input is parsed nearly at zlib's own rate; plain files
/// overlap their `read` calls the same way. Chunks circulate between the two threads — the
/// consumer's used chunk goes back to the reader for refilling — so nothing is allocated per chunk.
///
/// Errors keep the chunker's order: every chunk read before a failure is delivered first.
public final class PrefetchingReader: RecordSource, @unchecked Sendable {
    // All mutable state below is guarded by `condition`.
    private let condition = NSCondition()
    private var ready: [Chunk] = []
    private var spare: [Chunk] = []
    private var finished = false
    private var cancelled = false
    private var failure: IngestError?
    private var finalNotice: IngestNotice?
    private let exited = DispatchSemaphore(value: 0)
    private var closed = false
    private var interrupted = false

    /// The chunker and the input's descriptor belong to the reader thread from here on.
    private final class Handoff: @unchecked Sendable {
        var chunker: RecordChunker<DecodedInput>
        init(_ chunker: RecordChunker<DecodedInput>) { self.chunker = chunker }
    }

    /// - Parameter depth: chunks in flight (read ahead plus the one being parsed).
    public init(_ chunker: RecordChunker<DecodedInput>, depth: Int = 3) {
        spare = (0..<max(1, depth)).map { _ in Chunk() }
        let handoff = Handoff(chunker)
        let thread = Thread { [self] in
            self.readLoop(handoff)
            InputReader.close(handoff.chunker)
            self.exited.signal()
        }
        thread.name = "wardwatch-reader"
        thread.start()
    }

    deinit { close() }

    private func readLoop(_ handoff: Handoff) {
        while true {
            condition.lock()
            while spare.isEmpty && !cancelled { condition.wait() }
            if cancelled {
                condition.unlock()
                return
            }
            var chunk = spare.removeLast()
            condition.unlock()

            let outcome = Result { () throws(IngestError) -> Bool in try handoff.chunker.next(into: &chunk) }
            condition.lock()
            switch outcome {
            case .success(true):
                ready.append(chunk)
            case .success(false):
                spare.append(chunk)
                finished = true
            case .failure(let error):
                spare.append(chunk)
                failure = error
                finished = true
            }
            if finished { finalNotice = handoff.chunker.source.notice }
            let stop = finished
            condition.broadcast()
            condition.unlock()
            if stop { return }
        }
    }

    /// Replaces `chunk` with the next chunk of the input (the old one is recycled). Returns `false` at
    /// the end; throws the input's error after the chunks read before it.
    public func next(into chunk: inout Chunk) throws(IngestError) -> Bool {
        try next(into: &chunk, wait: true) ?? false
    }

    /// As ``next(into:)``; with `wait: false` it returns `nil` at once when no chunk is ready yet
    /// (a live pipe), so that what has arrived can be processed without waiting for more.
    public func next(into chunk: inout Chunk, wait: Bool) throws(IngestError) -> Bool? {
        condition.lock()
        defer { condition.unlock() }
        if !wait && ready.isEmpty && !finished { return nil }
        while ready.isEmpty && !finished { condition.wait() }
        if !ready.isEmpty {
            let next = ready.removeFirst()
            spare.append(chunk)
            chunk = next
            condition.broadcast()
            return true
        }
        if let error = failure {
            failure = nil
            throw error
        }
        return false
    }

    /// Files resume by offset; nothing to record.
    public func commit(_ cursor: SourceCursor) {}

    /// A notice the input left once read to its end (bytes after the last gzip member).
    public var notice: IngestNotice? {
        condition.lock()
        defer { condition.unlock() }
        return finalNotice
    }

    /// Stops reading and closes the input; waits for the reader thread (unless interrupted: it may be
    /// blocked in `read` on a pipe, and the process is about to exit). Idempotent.
    public func close() {
        condition.lock()
        if closed {
            condition.unlock()
            return
        }
        closed = true
        cancelled = true
        let wait = !interrupted
        condition.broadcast()
        condition.unlock()
        if wait { exited.wait() }
    }

    /// Ends the input now for the consumer (a signal): ``next(into:)`` returns what is ready, then
    /// `false`, even while the reader thread still waits for bytes. Safe from any thread.
    public func interrupt() {
        condition.lock()
        interrupted = true
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}
