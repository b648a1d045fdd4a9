import WardCore
import WardDetect

/// What one chunk produced on a worker: its matches with their encoded output, what the event-time
/// merge needs to place them, and counts. Detached from the chunk (whose buffer is reused at once),
/// kept until every match was written, then recycled.
final class ChunkResult {
    var source = 0
    var stream = 0
    /// Received over the network (messages, not lines of a file).
    var received = false
    var path = ""
    var endOffset: Int64 = 0
    var output = MatchBatch()
    /// Per match: the event's time, or for an event without one the time of the nearest timed event
    /// before it in the chunk (`Int64.min`: none, take the input's).
    var effectiveTime: [Int64] = []
    /// Per match: the newest event time before it in the chunk (`Int64.min`: none).
    var newestBefore: [Int64] = []
    var newest = Int64.min
    var lastTime = Int64.min
    var events = 0
    var bytes: Int64 = 0
    var byDataset = [Int](repeating: 0, count: 64)
    var cut: [(line: Int64, offset: Int64, full: Int64, kept: Int, multiLine: Bool)] = []
    var filtered = 0
    /// Regular-expression searches that gave up: rule, line, PCRE2 code.
    var evaluationErrors: [(rule: Int32, line: Int64, code: Int32)] = []
    var earliest = Int64.max
    /// Matches not yet written.
    var pending = 0

    func reset() {
        output.reset()
        effectiveTime.removeAll(keepingCapacity: true)
        newestBefore.removeAll(keepingCapacity: true)
        newest = .min
        lastTime = .min
        events = 0
        bytes = 0
        for i in byDataset.indices where byDataset[i] != 0 { byDataset[i] = 0 }
        cut.removeAll(keepingCapacity: true)
        filtered = 0
        evaluationErrors.removeAll(keepingCapacity: true)
        earliest = .max
        pending = 0
    }
}

/// A min-heap of the matches waiting for the event-time merge, ordered by (key, input, sequence).
struct MergeHeap {
    struct Entry {
        var key: Int64
        var source: Int32
        var sequence: Int64
        var result: Int32
        var match: Int32

        @inline(__always)
        static func < (a: Entry, b: Entry) -> Bool {
            if a.key != b.key { return a.key < b.key }
            if a.source != b.source { return a.source < b.source }
            return a.sequence < b.sequence
        }
    }

    private(set) var items: [Entry] = []
    var isEmpty: Bool { items.isEmpty }
    var top: Entry? { items.first }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry {
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l] < items[m] { m = l }
                if r < items.count && items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
