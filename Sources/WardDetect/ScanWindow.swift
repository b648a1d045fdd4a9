import Dispatch
import WardCore

/// Runs chunks through up to `threads` workers and hands the results back in input order.
///
/// The reader fills a window of `2 × threads` slots; the slots are processed in parallel with
/// `DispatchQueue.concurrentPerform` (lane *l* takes slots *l*, *l + threads*, … — at most `threads`
/// at once, each slot by exactly one lane, so no locks); then the caller's `deliver` sees the slots
/// in order. Every slot's result depends only on its chunk, so the output is byte-identical for any
/// thread count (`DESIGN.md`). Slots and everything in them are reused from window to window.
public final class ScanWindow<Result> {
    public struct Slot {
        public var chunk = Chunk()
        public var batch = EventBatch()
        public var hits: [RuleHit] = []
        public var result: Result
    }

    public let threads: Int
    public private(set) var slots: [Slot]

    public init(threads: Int, makeResult: () -> Result) {
        self.threads = max(1, threads)
        self.slots = (0..<(2 * max(1, threads))).map { _ in Slot(result: makeResult()) }
    }

    /// Repeats: fill slots with `fill`, run `work` on each filled slot in parallel (`lane` says which
    /// worker, for per-worker scratch), `deliver` them in order; until `fill` runs dry or `shouldStop`
    /// says so (checked between windows).
    ///
    /// `fill(chunk, wait)` returns `true` for a chunk, `false` at the end of the input, and `nil` when
    /// `wait` is `false` and no chunk is ready yet: the first slot of a window waits, the others are
    /// only taken if already read, so a slow pipe's lines are matched as they come.
    public func run<E: Error>(
        fill: (inout Chunk, _ wait: Bool) throws(E) -> Bool?,
        work: (inout Slot, _ lane: Int) -> Void,
        deliver: (inout Slot) -> Void,
        shouldStop: () -> Bool = { false }
    ) throws(E) {
        var done = false
        var failure: E?
        while !done && !shouldStop() {
            var filled = 0
            while filled < slots.count {
                let got: Bool?
                do {
                    got = try fill(&slots[filled].chunk, filled == 0)
                } catch {
                    // The input failed: what was read before still goes through, then the error.
                    failure = error
                    done = true
                    break
                }
                guard let got else { break }
                if !got {
                    done = true
                    break
                }
                filled += 1
            }
            if filled == 0 { break }
            let count = filled
            let lanes = min(threads, count)
            if lanes == 1 {
                for i in 0..<filled { work(&slots[i], 0) }
            } else {
                slots.withUnsafeMutableBufferPointer { buffer in
                    // Lane-disjoint writes: slot i is touched only by lane i % lanes.
                    nonisolated(unsafe) let buffer = buffer
                    nonisolated(unsafe) let work = work
                    DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                        var i = lane
                        while i < count {
                            work(&buffer[i], lane)
                            i += lanes
                        }
                    }
                }
            }
            for i in 0..<filled { deliver(&slots[i]) }
        }
        if let failure { throw failure }
    }
}
