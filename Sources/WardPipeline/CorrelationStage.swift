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
    struct Key: Hashable {
        var hash: UInt64
        var bytes: [UInt8]
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
        static func == (a: Key, b: Key) -> Bool { a.hash == b.hash && a.bytes == b.bytes }
    }

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
    var inputNames: [String]
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
    /// Per detection rule, its feeds (`feedStart[r]..<feedStart[r + 1]` of `feeds`); slots of their
    /// group-by and value fields in `feedSlots`. Plain values: no reference counting per match.
    let feedStart: [Int32]
    let feeds: [Feed]
    let feedSlots: [Int32]
    /// Per detection rule: how many of its carried values the feeds read (the rest are for later stages).
    let decodeCount: [Int32]
    /// Where each carried field of the current match lies in its bytes (-1: missing).
    @exclusivity(unchecked) var fieldStarts: [Int32] = []
    @exclusivity(unchecked) var fieldLengths: [Int32] = []
    @exclusivity(unchecked) var queueHead = 0
    /// Reused buffer for group keys.
    @exclusivity(unchecked) var scratch: [UInt8] = []
    @exclusivity(unchecked) public private(set) var statistics: CorrelationStatistics

    /// `ruleOffset`: the number of detection rules (correlation *n* counts as rule `ruleOffset + n`);
    /// `inputNames`: the inputs' paths, for `correlation.events`.
    public init(_ set: CorrelationSet, ruleOffset: Int, inputNames: [String], settings: CorrelationSettings) {
        self.set = set
        self.settings = settings
        self.ruleOffset = ruleOffset
        self.inputNames = inputNames
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
        for list in set.byRule {
            for (node, input) in list {
                let spec = set.nodes[node].inputs[input]
                feeds.append(Feed(node: Int32(node), position: Int32(spec.position), groupStart: Int32(feedSlots.count),
                                  groupCount: Int32(spec.groupSlots.count), valueStart: Int32(feedSlots.count + spec.groupSlots.count),
                                  valueCount: Int32(spec.valueSlots.count)))
                feedSlots += spec.groupSlots.map(Int32.init) + spec.valueSlots.map(Int32.init)
            }
            feedStart.append(Int32(feeds.count))
        }
        decodeCount = (0..<set.byRule.count).map { r in
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
        guard case .match(let m, let fields) = item, m.rule >= 0, Int(m.rule) + 1 < feedStart.count,
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
            // Where each carried value lies, once per match.
            fieldStarts.removeAll(keepingCapacity: true)
            fieldLengths.removeAll(keepingCapacity: true)
            var i = 0
            let wanted = Int(decodeCount[Int(m.rule)])
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
            let base = bytes.baseAddress
            for f in Int(feedStart[Int(m.rule)])..<Int(feedStart[Int(m.rule) + 1]) {
                let feed = feeds[f]
                feedMatch(feed, base: base, time: m.timestamp, source: m.sourceIndex, offset: m.offset, emit: emit)
            }
        }
    }

    /// A value of the current match (see ``fieldStarts``), or nil.
    @inline(__always)
    func carried(_ slot: Int32, _ base: UnsafePointer<UInt8>?) -> UnsafeBufferPointer<UInt8>? {
        let s = Int(slot)
        guard s >= 0, s < fieldStarts.count, fieldStarts[s] >= 0, let base else { return nil }
        return UnsafeBufferPointer(start: base + Int(fieldStarts[s]), count: Int(fieldLengths[s]))
    }

    /// Builds the key of a base rule's match in ``scratch``, fills its value, and adds it.
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

    /// Builds the group key of a chained input (an inner correlation's alert: its group values) in
    /// ``scratch``, fills its value, and adds it to correlation `n`.
    func feed(_ n: Int, _ input: CorrelationSet.Input, time: Int64, source: Int32, offset: Int64,
              _ lookup: (Int) -> ArraySlice<UInt8>?, emit: (StageItem) -> Void) {
        scratch.removeAll(keepingCapacity: true)
        for slot in input.groupSlots {
            guard let v = lookup(slot) else {
                statistics.ungrouped += 1
                return
            }
            v.withUnsafeBufferPointer { Self.appendLengthPrefixed($0, to: &scratch) }
        }
        var entry = Entry(time: time, offset: offset, number: 0, value: 0, source: source, position: Int32(input.position))
        switch specs[n].kind {
        case .valueCount:
            var hash: UInt64 = Self.fnvSeed
            for slot in input.valueSlots {
                guard let v = lookup(slot) else {
                    statistics.withoutValue += 1
                    return
                }
                hash = v.withUnsafeBufferPointer { Self.fnv($0, hash) }
            }
            entry.value = hash
        case .valueSum, .valueAvg, .valuePercentile, .valueMedian:
            guard let slot = input.valueSlots.first, let v = lookup(slot),
                  let number = v.withUnsafeBufferPointer({ Self.number($0) }) else {
                statistics.withoutValue += 1
                return
            }
            entry.number = number
        default:
            break
        }
        add(n, entry, emit: emit)
    }

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

    // MARK: - Alerts

    func fire(_ n: Int, _ g: Group, value: Double, start: Int64, end: Int64, emit: (StageItem) -> Void) {
        statistics.fired[n] += 1
        let node = set.nodes[n]
        let rule = node.rule
        let entries = g.window
        let last = entries.last!
        let values = g.values
        if !node.silent && node.level >= settings.minimumLevel {
            var w = JSONWriter(capacity: 1024)
            if case .pretty(let color) = settings.style {
                // `… HIGH  Brute force  event_count 12 in 5m  source.ip=203.0.113.50  12 events from auth.log byte 1024`
                AlertEncoder.prettyPrefix(timestamp: end, level: node.level, title: rule.metadata.title, color: color, to: &w)
                w.append("  ")
                w.bytes += Array("\(rule.kind.rawValue) ".utf8)
                Self.appendNumber(value, to: &w)
                w.bytes += Array(" in \(rule.timespanText)".utf8)
                for (i, name) in rule.groupBy.enumerated() {
                    w.append("  ")
                    w.bytes += Array(name.utf8)
                    w.append("=")
                    values[i].utf8.withContiguousStorageIfAvailable { w.appendPrintable($0) }
                }
                if let first = entries.first, Int(first.source) < inputNames.count {
                    w.bytes += Array("  \(entries.count) events from \(inputNames[Int(first.source)]) byte \(first.offset)".utf8)
                }
                w.append("\n")
            } else {
                encodeJSON(node, g, value: value, start: start, end: end, to: &w)
            }
            let sink = settings.perLevel ? UInt8(AlertLevel.allCases.firstIndex(of: node.level)!) : 0
            emit(.record(StageRecord(rule: Int32(ruleOffset + n), sink: sink, timestamp: end, bytes: w.bytes,
                                     fields: zip(rule.groupBy, values).map { ($0, $1) })))
        }
        // Chains: the alert is an event of the correlations that reference this one.
        for (outer, input) in set.byCorrelation[n] {
            let spec = set.nodes[outer].inputs[input]
            feed(outer, spec, time: end, source: last.source, offset: last.offset,
                 { slot in slot >= 0 && slot < values.count ? ArraySlice(values[slot].utf8) : nil }, emit: emit)
        }
    }

    func encodeJSON(_ node: CorrelationSet.Node, _ g: Group, value: Double, start: Int64, end: Int64, to w: inout JSONWriter) {
        let rule = node.rule
        let entries = g.window
        w.append("{\"@timestamp\":\"")
        TimestampFormat.appendRFC3339(end, to: &w.bytes)
        w.append("\",")
        w.bytes += node.members
        w.append(",\"correlation.type\":")
        w.appendString(rule.kind.rawValue)
        w.append(",\"correlation.timespan\":")
        w.appendString(rule.timespanText)
        w.append(",\"correlation.group\":{")
        let values = g.values
        for (i, name) in rule.groupBy.enumerated() {
            if i > 0 { w.append(",") }
            w.appendString(name)
            w.append(":")
            w.appendString(values[i])
        }
        w.append("},\"correlation.value\":")
        Self.appendNumber(value, to: &w)
        w.append(",\"correlation.window.start\":\"")
        TimestampFormat.appendRFC3339(start, to: &w.bytes)
        w.append("\",\"correlation.window.end\":\"")
        TimestampFormat.appendRFC3339(end, to: &w.bytes)
        w.append("\",\"correlation.rules\":")
        var positions: [Int32] = []
        for e in entries where !positions.contains(e.position) { positions.append(e.position) }
        AlertEncoder.array(positions.sorted().map { node.ruleLabels[Int($0)] }, &w)
        w.append(",\"correlation.event_count\":")
        w.appendInteger(Int64(entries.count))
        w.append(",\"correlation.events\":[")
        // Up to 10 references: the first five and the last five.
        let picked = entries.count <= 10 ? entries : Array(entries.prefix(5)) + Array(entries.suffix(5))
        for (i, e) in picked.enumerated() {
            if i > 0 { w.append(",") }
            w.append("{\"@timestamp\":\"")
            TimestampFormat.appendRFC3339(e.time, to: &w.bytes)
            w.append("\",\"log.file.path\":")
            w.appendString(Int(e.source) < inputNames.count ? inputNames[Int(e.source)] : "")
            w.append(",\"log.offset\":")
            w.appendInteger(e.offset)
            w.append("}")
        }
        w.append("]}\n")
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
