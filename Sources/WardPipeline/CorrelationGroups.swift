#if canImport(Glibc)
import Glibc
#endif
import WardCore
import WardDetect
import WardOutput
import WardRules

extension CorrelationStage {
    /// The window of one (correlation, group key): its entries in time order and what the
    /// correlation's type keeps of them. Spent groups are recycled (``recycle(hash:bytes:node:rules:temporal:)``).
    final class Group {
        var key: Key
        var node: Int32
        /// Bumped each time the object is recycled for another group (queue entries name a generation).
        var generation: UInt32 = 0
        /// The window's entries, sorted by time: `buffer[head..<end]` (manually managed: no reference
        /// counting on the hot path; `Entry` is a plain value).
        @exclusivity(unchecked) var buffer: UnsafeMutablePointer<Entry>?
        @exclusivity(unchecked) var capacity = 0
        @exclusivity(unchecked) var end = 0
        @exclusivity(unchecked) var head = 0
        @exclusivity(unchecked) var newest = Int64.min
        /// `newest` when the group was last queued for expiry.
        @exclusivity(unchecked) var queued = Int64.min
        @exclusivity(unchecked) var firing = false
        @exclusivity(unchecked) var gone = false
        /// value_count: distinct value hashes in the window and how often each occurs.
        @exclusivity(unchecked) var distinct: [UInt64: Int32] = [:]
        /// temporal types: per rule position, the times of its events in the window (sorted).
        var times: [[Int64]] = []
        var timesHead: [Int] = []
        /// temporal types: events in the window per rule position.
        var perRule: [Int32] = []
        /// value_percentile/median: the window's numbers, sorted.
        var sorted: [Double] = []
        @exclusivity(unchecked) var sum = 0.0

        init(key: Key, node: Int32, rules: Int, temporal: Bool) {
            self.key = key
            self.node = node
            if temporal {
                perRule = Array(repeating: 0, count: rules)
                times = Array(repeating: [], count: rules)
                timesHead = Array(repeating: 0, count: rules)
            }
        }

        /// Makes a spent group the empty group of `scratch` in correlation `node`, keeping the
        /// capacity of its buffers (no allocation for a new group in steady state).
        func recycle(hash: UInt64, bytes: [UInt8], node: Int32, rules: Int, temporal: Bool) {
            generation &+= 1
            key.hash = hash
            key.bytes.removeAll(keepingCapacity: true)
            key.bytes.append(contentsOf: bytes)
            self.node = node
            if capacity > 1024 {
                buffer?.deallocate()
                buffer = nil
                capacity = 0
            }
            end = 0
            head = 0
            newest = .min
            queued = .min
            firing = false
            gone = false
            if !distinct.isEmpty { distinct.removeAll(keepingCapacity: distinct.count < 1024) }
            if !sorted.isEmpty { sorted.removeAll(keepingCapacity: sorted.count < 1024) }
            sum = 0
            if temporal {
                if perRule.count != rules {
                    perRule = Array(repeating: 0, count: rules)
                    times = Array(repeating: [], count: rules)
                    timesHead = Array(repeating: 0, count: rules)
                } else {
                    for p in 0..<rules {
                        perRule[p] = 0
                        times[p].removeAll(keepingCapacity: times[p].count < 1024)
                        timesHead[p] = 0
                    }
                }
            } else if !perRule.isEmpty {
                perRule = []
                times = []
                timesHead = []
            }
        }

        var count: Int { end - head }

        deinit { buffer?.deallocate() }

        /// The window's entries, copied (alerts and snapshots; not the hot path).
        var window: [Entry] {
            guard let buffer else { return [] }
            return Array(UnsafeBufferPointer(start: buffer + head, count: end - head))
        }

        @inline(__always)
        subscript(i: Int) -> Entry { buffer.unsafelyUnwrapped[i] }

        /// Inserts keeping time order; an equal time goes after those already there (arrival order).
        func insert(_ entry: Entry) {
            if end == capacity {
                if head > 0 && head * 2 >= capacity {
                    compact()
                } else {
                    let grown = max(1, capacity * 2)
                    let fresh = UnsafeMutablePointer<Entry>.allocate(capacity: grown)
                    if let buffer {
                        fresh.initialize(from: buffer + head, count: end - head)
                        buffer.deallocate()
                    }
                    end -= head
                    head = 0
                    buffer = fresh
                    capacity = grown
                }
            }
            let b = buffer.unsafelyUnwrapped
            var i = end
            while i > head && b[i - 1].time > entry.time { i -= 1 }
            if i < end { memmove(b + i + 1, b + i, (end - i) * MemoryLayout<Entry>.stride) }
            (b + i).initialize(to: entry)
            end += 1
        }

        /// Moves the window to the start of the buffer.
        func compact() {
            guard head > 0, let buffer else { return }
            memmove(buffer, buffer + head, (end - head) * MemoryLayout<Entry>.stride)
            end -= head
            head = 0
        }

        /// The group-by values, decoded from the key (length-prefixed bytes).
        var values: [String] {
            var out: [String] = []
            var i = 0
            let b = key.bytes
            while i + 4 <= b.count {
                let n = Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24
                out.append(String(decoding: b[(i + 4)..<min(b.count, i + 4 + n)], as: UTF8.self))
                i += 4 + n
            }
            return out
        }
    }
}

/// Correlation groups by (correlation, key): open addressing with linear probing, indices into the
/// stage's group store; deletion shifts the probe run back (no tombstones).
struct GroupTable {
    private(set) var slots: [Int32] = Array(repeating: -1, count: 1024)
    private(set) var hashes: [UInt64] = Array(repeating: 0, count: 1024)
    private(set) var count = 0

    func find(hash: UInt64, node: Int32, key: [UInt8], in store: ContiguousArray<CorrelationStage.Group>) -> Int32? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            if hashes[i] == hash {
                let g = store[Int(s)]
                if g.node == node && g.key.bytes == key { return s }
            }
            i = (i + 1) & mask
        }
    }

    mutating func insert(hash: UInt64, index: Int32, in store: ContiguousArray<CorrelationStage.Group>) {
        if (count + 1) * 2 > slots.count { grow(store) }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = index
        hashes[i] = hash
        count += 1
    }

    mutating func remove(hash: UInt64, index: Int32, in store: ContiguousArray<CorrelationStage.Group>) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] != index {
            if slots[i] < 0 { return }
            i = (i + 1) & mask
        }
        // Backward-shift deletion: move later members of the run into the hole when their home
        // slot does not lie between the hole and them.
        var hole = i
        var j = (i + 1) & mask
        while slots[j] >= 0 {
            let home = Int(truncatingIfNeeded: hashes[j]) & mask
            let between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j)
            if !between {
                slots[hole] = slots[j]
                hashes[hole] = hashes[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = -1
        count -= 1
    }

    private mutating func grow(_ store: ContiguousArray<CorrelationStage.Group>) {
        let old = zip(slots, hashes).filter { $0.0 >= 0 }
        slots = Array(repeating: -1, count: slots.count * 2)
        hashes = Array(repeating: 0, count: hashes.count * 2)
        count = 0
        for (index, hash) in old { insert(hash: hash, index: index, in: store) }
    }
}
