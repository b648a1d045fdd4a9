#if canImport(Glibc)
import Glibc
#endif
import WardCore
import WardDetect
import WardOutput
import WardRules

/// Evaluates Sigma correlation rules over the ordered stream of matches: a sliding event-time window
/// per (correlation, group key). See README "Correlations" for the semantics.
///
/// The hot path (a base rule's match feeding its correlations) allocates nothing for a group already
/// held: the key is built in a reused buffer and found by a precomputed 64-bit hash; entries are
/// plain values; distinct values are counted by their 64-bit hash. Windows slide by popping entries
/// off the head; groups whose windows closed leave through a queue in the order they were touched.
public final class CorrelationStage: OrderedStage {
    struct Entry {
        var time: Int64
        var offset: Int64
        var number: Double
        /// value_count: the 64-bit hash of the value (distinct values are counted by hash).
        var value: UInt64
        var source: Int32
        /// Position of the reference in the correlation's `rules`.
        var position: Int32
    }

    /// A group key: its bytes (length-prefixed values) and their hash, computed once.
    struct Key {
        var hash: UInt64
        var bytes: [UInt8]
    }

    /// What the hot path needs of a correlation, as plain values (no reference counting per event).
    struct Spec {
        var kind: CorrelationRule.Kind
        var span: Int64
        var groupCount: Int
        var ruleCount: Int
        var percentile: Double
        var temporal: Bool
        /// Up to two thresholds (a range), as plain values.
        var comparisons: Int
        var op1: CorrelationRule.Comparison
        var bound1: Double
        var op2: CorrelationRule.Comparison
        var bound2: Double
        var hasExpression: Bool

        @inline(__always)
        func holds(_ x: Double) -> Bool {
            (comparisons < 1 || op1.holds(x, bound1)) && (comparisons < 2 || op2.holds(x, bound2))
        }
    }

    public let set: CorrelationSet
    let specs: [Spec]
    let settings: CorrelationSettings
    let ruleOffset: Int
    let names: SourceNames
    /// Groups by (correlation, key): open addressing with linear probing over `store` indices.
    @exclusivity(unchecked) var table = GroupTable()
    /// Every group object, live or spent, by index (the table and the queue hold indices).
    @exclusivity(unchecked) var store: ContiguousArray<Group> = []
    @exclusivity(unchecked) var groupCount = 0
    /// Per correlation: the newest event time it has seen (windows close against it).
    @exclusivity(unchecked) var now: [Int64]
    /// Groups in the order they were last queued (store index, and the generation it was queued
    /// in): the oldest are checked for expiry first.
    @exclusivity(unchecked) var queue: [(index: Int32, generation: UInt32)] = []
    /// Store indices of spent groups, for reuse.
    @exclusivity(unchecked) var pool: [Int32] = []
    /// Per source — detection rule *r*, then correlation *n* at `rules + n` (chains) — its feeds
    /// (`feedStart[s]..<feedStart[s + 1]` of `feeds`); slots of their group-by and value fields in
    /// `feedSlots` (for a chain: positions in the inner correlation's group, -1 for none). Plain
    /// values: no reference counting per match.
    let feedStart: [Int32]
    let feeds: [Feed]
    let feedSlots: [Int32]
    /// Per source: how many of its carried values the feeds read (the rest are for later stages).
    let decodeCount: [Int32]
    /// Where each carried field of the current match lies in its bytes (-1: missing).
    @exclusivity(unchecked) var fieldStarts: [Int32] = []
    @exclusivity(unchecked) var fieldLengths: [Int32] = []
    @exclusivity(unchecked) var queueHead = 0
    /// Reused buffer for group keys.
    @exclusivity(unchecked) var scratch: [UInt8] = []
    @exclusivity(unchecked) public internal(set) var statistics: CorrelationStatistics

    /// `ruleOffset`: the number of detection rules (correlation *n* counts as rule `ruleOffset + n`);
    /// `names`: the inputs' paths, for `correlation.events`.
    public init(_ set: CorrelationSet, ruleOffset: Int, names: SourceNames, settings: CorrelationSettings) {
        self.set = set
        self.settings = settings
        self.ruleOffset = ruleOffset
        self.names = names
        specs = set.nodes.map { node in
            let c = node.rule.comparisons
            return Spec(kind: node.rule.kind, span: Int64(node.rule.timespanSeconds) * 1_000_000_000, groupCount: node.rule.groupBy.count,
                        ruleCount: node.rule.rules.count, percentile: node.rule.percentile, temporal: node.rule.kind.isTemporal,
                        comparisons: c.count, op1: c.first?.0 ?? .gte, bound1: c.first?.1 ?? 0,
                        op2: c.count > 1 ? c[1].0 : .gte, bound2: c.count > 1 ? c[1].1 : 0, hasExpression: node.condition != nil)
        }
        var feedStart: [Int32] = [0]
        var feeds: [Feed] = []
        var feedSlots: [Int32] = []
        for list in set.byRule + set.byCorrelation {
            for (node, input) in list {
                let spec = set.nodes[node].inputs[input]
                feeds.append(Feed(node: Int32(node), position: Int32(spec.position), groupStart: Int32(feedSlots.count),
                                  groupCount: Int32(spec.groupSlots.count), valueStart: Int32(feedSlots.count + spec.groupSlots.count),
                                  valueCount: Int32(spec.valueSlots.count)))
                feedSlots += spec.groupSlots.map(Int32.init) + spec.valueSlots.map(Int32.init)
            }
            feedStart.append(Int32(feeds.count))
        }
        decodeCount = (0..<(feedStart.count - 1)).map { r in
            var most: Int32 = 0
            for f in feeds[Int(feedStart[r])..<Int(feedStart[r + 1])] {
                for k in 0..<Int(f.groupCount + f.valueCount) { most = max(most, feedSlots[Int(f.groupStart) + k] + 1) }
            }
            return most
        }
        self.feedStart = feedStart
        self.feeds = feeds
        self.feedSlots = feedSlots
        now = Array(repeating: .min, count: set.nodes.count)
        statistics = CorrelationStatistics(correlations: set.nodes.count)
    }

    /// One reference of a correlation to a detection rule, as plain values.
    struct Feed {
        var node: Int32
        var position: Int32
        var groupStart: Int32
        var groupCount: Int32
        var valueStart: Int32
        var valueCount: Int32
    }

    public func process(_ item: StageItem, emit: (StageItem) -> Void) {
        guard case .match(let m, let fields) = item, m.rule >= 0, Int(m.rule) < set.byRule.count,
              feedStart[Int(m.rule)] < feedStart[Int(m.rule) + 1]
        else {
            emit(item)
            return
        }
        if !m.isSilent { emit(item) }
        guard m.timestamp != EventRecord.noTimestamp else {
            statistics.untimed += 1
            return
        }
        statistics.events += 1
        fields.bytes.withUnsafeBufferPointer { bytes in
            feedAll(Int(m.rule), bytes, time: m.timestamp, source: m.sourceIndex, offset: m.offset, emit: emit)
        }
    }

    /// Feeds source `s`'s event to every correlation that references it. `bytes` holds its values as
    /// ``MatchFields`` lays them out (a match's carried fields, or an inner correlation's group key —
    /// the same length-prefixed form), decoded once here.
    func feedAll(_ s: Int, _ bytes: UnsafeBufferPointer<UInt8>, time: Int64, source: Int32, offset: Int64,
                 emit: (StageItem) -> Void) {
        fieldStarts.removeAll(keepingCapacity: true)
        fieldLengths.removeAll(keepingCapacity: true)
        var i = 0
        let wanted = Int(decodeCount[s])
        while fieldStarts.count < wanted && i + 4 <= bytes.count {
            let length = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            i += 4
            if length == MatchFields.missing {
                fieldStarts.append(-1)
                fieldLengths.append(0)
            } else {
                fieldStarts.append(Int32(i))
                fieldLengths.append(Int32(length))
                i += Int(length)
            }
        }
        for f in Int(feedStart[s])..<Int(feedStart[s + 1]) {
            feedMatch(feeds[f], base: bytes.baseAddress, time: time, source: source, offset: offset, emit: emit)
        }
    }

    /// A value of the current match (see ``fieldStarts``), or nil.
    @inline(__always)
    func carried(_ slot: Int32, _ base: UnsafePointer<UInt8>?) -> UnsafeBufferPointer<UInt8>? {
        let s = Int(slot)
        guard s >= 0, s < fieldStarts.count, fieldStarts[s] >= 0, let base else { return nil }
        return UnsafeBufferPointer(start: base + Int(fieldStarts[s]), count: Int(fieldLengths[s]))
    }

    /// Builds the key of one feed's event in ``scratch``, fills its value, and adds it.
    func feedMatch(_ feed: Feed, base: UnsafePointer<UInt8>?, time: Int64, source: Int32, offset: Int64,
                   emit: (StageItem) -> Void) {
        let n = Int(feed.node)
        scratch.removeAll(keepingCapacity: true)
        for k in 0..<Int(feed.groupCount) {
            guard let v = carried(feedSlots[Int(feed.groupStart) + k], base) else {
                statistics.ungrouped += 1
                return
            }
            Self.appendLengthPrefixed(v, to: &scratch)
        }
        var entry = Entry(time: time, offset: offset, number: 0, value: 0, source: source, position: feed.position)
        switch specs[n].kind {
        case .valueCount:
            var hash: UInt64 = Self.fnvSeed
            for k in 0..<Int(feed.valueCount) {
                guard let v = carried(feedSlots[Int(feed.valueStart) + k], base) else {
                    statistics.withoutValue += 1
                    return
                }
                hash = Self.fnv(v, hash)
            }
            entry.value = hash
        case .valueSum, .valueAvg, .valuePercentile, .valueMedian:
            guard feed.valueCount > 0, let v = carried(feedSlots[Int(feed.valueStart)], base), let number = Self.number(v) else {
                statistics.withoutValue += 1
                return
            }
            entry.number = number
        default:
            break
        }
        add(n, entry, emit: emit)
    }

    public func finish(emit: (StageItem) -> Void) {}

    // MARK: - Evaluation

    /// Adds an entry whose group key is in ``scratch`` to correlation `n`, and fires when the window
    /// meets the condition.
    func add(_ n: Int, _ entry: Entry, emit: (StageItem) -> Void) {
        let spec = specs[n]
        let time = entry.time
        if time > now[n] { now[n] = time }
        let hash = scratch.withUnsafeBufferPointer { Self.fnv($0, Self.fnvSeed ^ UInt64(n)) }
        let g: Group
        if let found = table.find(hash: hash, node: Int32(n), key: scratch, in: store) {
            g = store[Int(found)]
        } else {
            if groupCount >= settings.maxGroups { expire(force: true) }
            let index: Int32
            if let spent = pool.popLast() {
                index = spent
                g = store[Int(index)]
                g.recycle(hash: hash, bytes: scratch, node: Int32(n), rules: spec.ruleCount, temporal: spec.temporal)
            } else {
                index = Int32(store.count)
                g = Group(key: Key(hash: hash, bytes: Array(scratch)), node: Int32(n), rules: spec.ruleCount, temporal: spec.temporal)
                store.append(g)
            }
            table.insert(hash: hash, index: index, in: store)
            groupCount += 1
            if groupCount > statistics.peakGroups { statistics.peakGroups = groupCount }
            g.queued = time
            queue.append((index, g.generation))
        }
        if g.newest != .min && time < g.newest &- settings.maxLateness {
            statistics.late += 1
            return
        }
        if time > g.newest { g.newest = time }
        // Outside the window that ends at the group's newest event: it can no longer count.
        let start = g.newest &- spec.span
        if time < start { return }
        insert(entry, into: g, spec)
        // Slide: entries older than the window's start leave it (the old edge is inclusive).
        while g.head < g.end && g[g.head].time < start { removeHead(g, spec) }
        if g.count > settings.maxEventsPerGroup {
            statistics.droppedEvents += 1
            removeHead(g, spec)
        }

        let (met, aggregate) = evaluate(n, spec, g)
        if met && !g.firing {
            g.firing = true
            fire(n, g, value: aggregate, start: start, end: g.newest, emit: emit)
        } else if !met {
            g.firing = false
        }
        // Groups whose windows closed leave, oldest first, a few at a time.
        if queueHead < queue.count {
            let front = store[Int(queue[queueHead].index)]
            let m = Int(front.node)
            if front.gone || front.generation != queue[queueHead].generation || front.queued < now[m] &- specs[m].span &- settings.maxLateness {
                expire(force: false)
            }
        }
    }

    func insert(_ entry: Entry, into g: Group, _ spec: Spec) {
        // Sorted by time; an equal time goes after those already there (arrival order).
        g.insert(entry)
        let p = Int(entry.position)
        switch spec.kind {
        case .valueCount: g.distinct[entry.value, default: 0] += 1
        case .valueSum, .valueAvg: g.sum += entry.number
        case .valuePercentile, .valueMedian:
            g.sorted.insert(entry.number, at: Self.lowerBound(g.sorted, entry.number))
        case .temporal, .temporalOrdered:
            g.perRule[p] += 1
            var j = g.times[p].count
            while j > g.timesHead[p] && g.times[p][j - 1] > entry.time { j -= 1 }
            g.times[p].insert(entry.time, at: j)
        case .eventCount:
            break
        }
    }

    func removeHead(_ g: Group, _ spec: Spec) {
        let entry = g[g.head]
        g.head += 1
        let p = Int(entry.position)
        switch spec.kind {
        case .valueCount:
            if let n = g.distinct[entry.value] {
                if n <= 1 { g.distinct[entry.value] = nil } else { g.distinct[entry.value] = n - 1 }
            }
        case .valueSum, .valueAvg: g.sum -= entry.number
        case .valuePercentile, .valueMedian:
            let i = Self.lowerBound(g.sorted, entry.number)
            if i < g.sorted.count { g.sorted.remove(at: i) }
        case .temporal, .temporalOrdered:
            // The oldest entry's time is the smallest of its position's: the head.
            g.perRule[p] -= 1
            g.timesHead[p] += 1
            if g.timesHead[p] > 64 && g.timesHead[p] * 2 > g.times[p].count {
                g.times[p].removeFirst(g.timesHead[p])
                g.timesHead[p] = 0
            }
        case .eventCount:
            break
        }
        if g.count == 0 { g.sum = 0 }
    }

    /// Whether the group's window meets the correlation's condition, and the aggregate it compared.
    func evaluate(_ n: Int, _ spec: Spec, _ g: Group) -> (Bool, Double) {
        let aggregate: Double
        switch spec.kind {
        case .eventCount:
            aggregate = Double(g.count)
        case .valueCount:
            aggregate = Double(g.distinct.count)
        case .valueSum:
            aggregate = g.sum
        case .valueAvg:
            aggregate = g.count > 0 ? g.sum / Double(g.count) : 0
        case .valuePercentile, .valueMedian:
            // Nearest rank.
            let count = g.sorted.count
            let rank = max(1, Int((spec.percentile / 100 * Double(count)).rounded(.up)))
            aggregate = count == 0 ? 0 : g.sorted[min(count, rank) - 1]
        case .temporal:
            var matched = 0
            for c in g.perRule where c > 0 { matched += 1 }
            if spec.hasExpression, let condition = set.nodes[n].condition {
                return (condition.evaluate { g.perRule[$0] > 0 }, Double(matched))
            }
            aggregate = Double(matched)
            if spec.comparisons == 0 { return (matched == spec.ruleCount, aggregate) }
        case .temporalOrdered:
            let steps = orderedSteps(spec.ruleCount, g)
            aggregate = Double(steps)
            if spec.comparisons == 0 { return (steps == spec.ruleCount, aggregate) }
        }
        return (spec.holds(aggregate), aggregate)
    }

    /// How many steps of the rule order the window completes: the earliest event of step 1, then the
    /// earliest of step 2 at or after it (equal times count as ordered either way), and so on — a
    /// binary search per step.
    func orderedSteps(_ count: Int, _ g: Group) -> Int {
        var at = Int64.min
        for p in 0..<count {
            let found: Int64? = g.times[p].withUnsafeBufferPointer { times in
                var lo = g.timesHead[p], hi = times.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if times[mid] < at { lo = mid + 1 } else { hi = mid }
                }
                return lo < times.count ? times[lo] : nil
            }
            guard let found else { return p }
            at = found
        }
        return count
    }

    // MARK: - Bounds

    /// Takes groups off the head of the queue: one touched since it was queued goes to the back
    /// with its new time; one whose window closed (its newest event older than its correlation's
    /// newest minus the timespan and --max-lateness) leaves. With `force` (at the --max-groups cap),
    /// the least recently touched leaves too, counted as evicted, until one group's room is free.
    func expire(force: Bool) {
        var requeued = 0
        while queueHead < queue.count {
            let (index, generation) = queue[queueHead]
            let g = store[Int(index)]
            if g.gone || g.generation != generation {
                // Left already (and maybe reused for another group since).
                queueHead += 1
                continue
            }
            let n = Int(g.node)
            let closed = g.newest < now[n] &- specs[n].span &- settings.maxLateness
            let mustFree = force && groupCount >= settings.maxGroups
            if !closed && g.newest > g.queued && requeued < queue.count - queueHead {
                // Touched since it was queued: to the back, with its new time (a second chance).
                queueHead += 1
                requeued += 1
                g.queued = g.newest
                queue.append((index, generation))
                continue
            }
            guard closed || mustFree else { break }
            queueHead += 1
            if !closed { statistics.evictedGroups += 1 }
            g.gone = true
            table.remove(hash: g.key.hash, index: index, in: store)
            groupCount -= 1
            pool.append(index)
        }
        if queueHead > 4096 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
    }

    // MARK: - Helpers

    static func appendLengthPrefixed(_ v: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let n = UInt32(v.count)
        out.append(UInt8(truncatingIfNeeded: n))
        out.append(UInt8(truncatingIfNeeded: n >> 8))
        out.append(UInt8(truncatingIfNeeded: n >> 16))
        out.append(UInt8(truncatingIfNeeded: n >> 24))
        out.append(contentsOf: v)
    }

    static let fnvSeed: UInt64 = 0xcbf2_9ce4_8422_2325

    /// FNV-1a, 64 bits, over a length and the bytes.
    @inline(__always)
    static func fnv(_ bytes: UnsafeBufferPointer<UInt8>, _ seed: UInt64) -> UInt64 {
        var h = (seed ^ UInt64(truncatingIfNeeded: bytes.count)) &* 0x0000_0100_0000_01B3
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    static func lowerBound(_ values: [Double], _ x: Double) -> Int {
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if values[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// A decimal number (`12`, `-3.5`, `1e3`) in a field's bytes.
    static func number(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !bytes.isEmpty, bytes.count < 64 else { return nil }
        return Double(String(decoding: bytes, as: UTF8.self))
    }

    static func appendNumber(_ value: Double, to w: inout JSONWriter) {
        if value == value.rounded() && abs(value) < 1e15 {
            w.appendInteger(Int64(value))
        } else if value.isFinite {
            w.bytes += Array("\(value)".utf8)
        } else {
            w.append("null")
        }
    }
}
