import Foundation
import WardCore
import WardOutput

#if canImport(Glibc)
import Glibc
#endif

/// Writes encoded output on a thread of its own, so that writing overlaps matching, and commits
/// source cursors once what came before them is written.
///
/// The runtime hands over batches in output order: per sink a buffer of bytes, and the cursors that
/// become committable once those bytes are out. The writer writes each batch to every sink, then calls
/// `commit` for its cursors — nothing is committed before its output was written (`write(2)` returned
/// for every byte: the data is the kernel's, and survives the process being killed). Buffers
/// circulate between the two threads; the queue is bounded, so a slow sink slows the run down instead
/// of growing memory.
final class OutputWriter: @unchecked Sendable {
    struct Batch {
        var buffers: [JSONWriter]
        var commits: [SourceCursor] = []
        /// What the run's checkpoint holds once this batch is written (``PipelineCheckpoint``).
        var checkpoint: (any Sendable)?
        /// Alerts (records counted as alerts) in the buffers.
        var alerts = 0
        var isEmpty: Bool { buffers.allSatisfy(\.bytes.isEmpty) }
    }

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Batch] = []
    private var spare: [[JSONWriter]] = []
    private var closed = false
    private var finished = false
    private var failure: String?
    private var written = 0

    private let sinks: AlertSinks?
    private let sinkCount: Int
    private let depth: Int
    private let commit: (@Sendable (SourceCursor) -> Void)?
    private let checkpoint: (@Sendable (any Sendable) -> Void)?
    private let exited = DispatchSemaphore(value: 0)

    init(sinks: AlertSinks?, sinkCount: Int, depth: Int = 4, commit: (@Sendable (SourceCursor) -> Void)?,
         checkpoint: (@Sendable (any Sendable) -> Void)? = nil) {
        self.checkpoint = checkpoint
        self.sinks = sinks
        self.sinkCount = sinkCount
        self.depth = depth
        self.commit = commit
        let thread = Thread { [self] in
            self.loop()
            self.exited.signal()
        }
        thread.name = "wardwatch-writer"
        thread.start()
    }

    /// Empty buffers, one per sink (recycled).
    func buffers() -> [JSONWriter] {
        condition.lock()
        defer { condition.unlock() }
        if let b = spare.popLast() { return b }
        return (0..<sinkCount).map { _ in JSONWriter(capacity: 256 << 10) }
    }

    /// Queues a batch; waits while the queue is full. Returns `false` once writing has failed.
    @discardableResult
    func submit(_ batch: Batch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= depth && failure == nil { condition.wait() }
        if failure != nil { return false }
        queue.append(batch)
        condition.broadcast()
        return true
    }

    /// Why writing failed (the write's error), if it did.
    var failed: String? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Alerts whose bytes were written (all of them, unless writing failed).
    var alertsWritten: Int {
        condition.lock()
        defer { condition.unlock() }
        return written
    }

    /// Writes what is queued, then stops the thread. Returns the failure, if any.
    func finish() -> String? {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
        exited.wait()
        return failed
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            var batch = queue.removeFirst()
            let broken = failure != nil
            condition.unlock()

            var error: String?
            if !broken, let sinks, !batch.isEmpty, let code = sinks.write(batch.buffers) {
                error = String(cString: strerror(code))
            }
            if error == nil && !broken {
                for cursor in batch.commits { commit?(cursor) }
                if let saved = batch.checkpoint { checkpoint?(saved) }
            }
            batch.checkpoint = nil
            for i in batch.buffers.indices { batch.buffers[i].bytes.removeAll(keepingCapacity: true) }

            condition.lock()
            if let error, failure == nil { failure = error }
            if error == nil && !broken { written += batch.alerts }
            spare.append(batch.buffers)
            condition.broadcast()
            condition.unlock()
        }
    }
}
