import Dispatch
import WardCore

/// Runs up to `threads` work items at once and hands them back in order.
///
/// The caller fills a window of slots; the filled slots are processed in parallel with
/// `DispatchQueue.concurrentPerform` (lane *l* takes slots *l*, *l + lanes*, … — each slot by exactly
/// one lane, so no locks), then the caller sees them in slot order. Every slot's result depends only on
/// its own input, so the output is byte-identical for any thread count (`DESIGN.md`). Slots and
/// everything in them are reused from window to window.
final class OrderedWindow<Slot> {
    let threads: Int
    var slots: [Slot]

    init(threads: Int, count: Int, makeSlot: () -> Slot) {
        self.threads = max(1, threads)
        self.slots = (0..<max(1, count)).map { _ in makeSlot() }
    }

    /// Runs `work` on slots `0..<filled`, on up to ``threads`` lanes (`lane` says which worker, for
    /// per-worker state).
    func process(_ filled: Int, _ work: (inout Slot, _ lane: Int) -> Void) {
        let lanes = min(threads, filled)
        if lanes <= 1 {
            for i in 0..<filled { work(&slots[i], 0) }
            return
        }
        slots.withUnsafeMutableBufferPointer { buffer in
            // Lane-disjoint writes: slot i is touched only by lane i % lanes.
            nonisolated(unsafe) let buffer = buffer
            nonisolated(unsafe) let work = work
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                var i = lane
                while i < filled {
                    work(&buffer[i], lane)
                    i += lanes
                }
            }
        }
    }
}
