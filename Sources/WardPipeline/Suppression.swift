import WardCore
import WardDetect
import WardOutput
import WardRules

/// Which alerts are suppressed, compiled: per detection rule and per correlation, the key fields and
/// the duration.
public struct SuppressionSet: Sendable {
    public struct Entry: Sendable {
        public var spec: SuppressionSpec
        /// For a detection rule: the carried field slot of each key field.
        public var slots: [Int]
    }

    /// Per rule in the summary's numbering (detection rules, then correlations).
    public private(set) var entries: [Entry?]
    /// `rule.*` members and level per rule, for the follow-up records.
    let members: [[UInt8]]
    let metadata: [RuleMetadata]
    let levels: [AlertLevel]
    public var isEmpty: Bool { entries.allSatisfy { $0 == nil } }

    /// `options`: `--suppress` values as (rule id or name or `*`, spec); they take precedence over a
    /// rule's own `suppress:` (a specific rule over `*`). Unknown rule selectors are returned.
    public init(rules: [SigmaRule], correlations: [CorrelationRule], options: [(rule: String, spec: SuppressionSpec)],
                annotations: inout MatchAnnotations) throws(SuppressionError) {
        let metas = rules.map(\.metadata) + correlations.map(\.metadata)
        var chosen: [SuppressionSpec?] = metas.map(\.suppress)
        // A rule named by `--suppress` takes that spec; `*` gives every rule not named one.
        var wildcard: SuppressionSpec?
        var named = Set<Int>()
        for (selector, spec) in options {
            if selector == "*" {
                wildcard = spec
                continue
            }
            let targets = metas.indices.filter { metas[$0].id == selector || metas[$0].name == selector || metas[$0].title == selector }
            guard !targets.isEmpty else { throw SuppressionError(message: "--suppress names rule '\(selector)', which is not loaded (give its id, name or title, or *)") }
            for t in targets {
                chosen[t] = spec
                named.insert(t)
            }
        }
        if let wildcard {
            for i in metas.indices where !named.contains(i) { chosen[i] = wildcard }
        }
        var entries: [Entry?] = []
        for (i, spec) in chosen.enumerated() {
            guard let spec else {
                entries.append(nil)
                continue
            }
            if i < rules.count {
                let slots = spec.fields.map { annotations.slot(rule: i, field: rules[i].eventField($0)) }
                entries.append(Entry(spec: spec, slots: slots))
            } else {
                entries.append(Entry(spec: spec, slots: []))
            }
        }
        self.entries = entries
        members = metas.map(AlertEncoder.ruleMembers)
        metadata = metas
        levels = metas.map { AlertLevel(ruleLevel: $0.level) }
    }
}

public struct SuppressionError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Suppresses repeated alerts: the first alert of a (rule, key values) passes and opens a window of
/// event time; the alerts inside it are counted, and when it closes (an alert or event later than its
/// end arrives, or the run ends) a follow-up record says how many were suppressed.
public final class SuppressionStage: OrderedStage {
    struct Key: Hashable {
        var rule: Int32
        var values: [UInt8]
    }

    struct Window {
        var firstSeen: Int64
        var lastSeen: Int64
        var end: Int64
        var count: Int
        var values: [(String, String?)]
    }

    public let set: SuppressionSet
    let perLevel: Bool
    var windows: [Key: Window] = [:]
    /// Window ends, oldest first, for closing them as time passes.
    var ends = Heap()
    var now = Int64.min
    /// Alerts suppressed per rule (detection rules, then correlations).
    public private(set) var suppressed: [Int]
    /// The end of the run leaves windows open (their state is saved with `--state` and continued by
    /// the next run) instead of closing them with follow-up records.
    public var keepsWindowsOpen = false

    let style: AlertEncoder.Style
    let lineWidth: Int?

    public init(_ set: SuppressionSet, perLevel: Bool, style: AlertEncoder.Style = .json, lineWidth: Int? = nil) {
        self.lineWidth = lineWidth
        self.set = set
        self.perLevel = perLevel
        self.style = style
        suppressed = Array(repeating: 0, count: set.entries.count)
    }

    public func process(_ item: StageItem, emit: (StageItem) -> Void) {
        let rule: Int32, time: Int64
        switch item {
        case .match(let m, _):
            rule = m.rule
            time = m.timestamp
        case .record(let r):
            rule = r.rule
            time = r.timestamp
        }
        if time != EventRecord.noTimestamp && time > now {
            now = time
            close(before: now, emit: emit)
        }
        guard rule >= 0, Int(rule) < set.entries.count, let entry = set.entries[Int(rule)] else {
            emit(item)
            return
        }
        // The key: the rule and its fields' values (a missing field is a value of its own).
        var key = Key(rule: rule, values: [])
        var values: [(String, String?)] = []
        for (i, name) in entry.spec.fields.enumerated() {
            var value: ArraySlice<UInt8>?
            switch item {
            case .match(_, let fields): value = fields.value(entry.slots[i])
            case .record(let r): value = r.fields.first(where: { $0.0 == name }).map { ArraySlice($0.1.utf8) }
            }
            if let value {
                key.values.append(1)
                key.values += withUnsafeBytes(of: UInt32(value.count).littleEndian, Array.init)
                key.values += value
            } else {
                key.values.append(0)
            }
            values.append((name, value.map { String(decoding: $0, as: UTF8.self) }))
        }
        if var window = windows[key], time == EventRecord.noTimestamp || time <= window.end {
            window.count += 1
            if time != EventRecord.noTimestamp {
                window.lastSeen = max(window.lastSeen, time)
                window.firstSeen = min(window.firstSeen, time)
            }
            windows[key] = window
            suppressed[Int(rule)] += 1
            return
        }
        if let old = windows.removeValue(forKey: key) { followUp(key, old, entry, emit: emit) }
        emit(item)
        // An alert without a time opens no window.
        guard time != EventRecord.noTimestamp else { return }
        let end = time &+ Int64(entry.spec.seconds) * 1_000_000_000
        windows[key] = Window(firstSeen: time, lastSeen: time, end: end, count: 0, values: values)
        ends.push((end, key))
    }

    public func finish(emit: (StageItem) -> Void) {
        if !keepsWindowsOpen { close(before: .max, emit: emit) }
    }

    /// Closes the windows that ended before `time`, in the order they ended.
    func close(before time: Int64, emit: (StageItem) -> Void) {
        while let top = ends.top, top.end < time {
            ends.pop()
            // A window replaced since (its key reopened) has another end.
            guard let window = windows[top.key], window.end == top.end else { continue }
            windows[top.key] = nil
            followUp(top.key, window, set.entries[Int(top.key.rule)]!, emit: emit)
        }
    }

    func followUp(_ key: Key, _ window: Window, _ entry: SuppressionSet.Entry, emit: (StageItem) -> Void) {
        guard window.count > 0 else { return }
        let rule = Int(key.rule)
        var w = JSONWriter(capacity: 512)
        let sink = perLevel ? UInt8(AlertLevel.allCases.firstIndex(of: set.levels[rule])!) : 0
        if case .pretty(let color) = style {
            // `… HIGH  Deny  suppressed 9 more for 10m  source.ip=10.0.0.1  since 2026-11-22T03:02:11Z`
            AlertEncoder.prettyPrefix(timestamp: window.lastSeen, level: set.levels[rule], title: set.metadata[rule].title, color: color,
                                      titleWidth: AlertEncoder.titleWidth(forLine: lineWidth), to: &w)
            w.bytes += Array("  suppressed \(window.count) more within \(entry.spec.text)".utf8)
            for (name, value) in window.values {
                w.bytes += Array("  \(name)=".utf8)
                if let value { value.utf8.withContiguousStorageIfAvailable { w.appendPrintable($0) } } else { w.append("-") }
            }
            w.append("  since ")
            TimestampFormat.appendRFC3339(window.firstSeen, to: &w.bytes)
            w.append("\n")
            if let lineWidth { AlertEncoder.cut(&w, from: 0, to: lineWidth) }
            emit(.record(StageRecord(rule: Match.noRule, sink: sink, timestamp: window.lastSeen, bytes: w.bytes)))
            return
        }
        if case .csv = style {
            var details = "suppressed \(window.count) more within \(entry.spec.text)"
            for (name, value) in window.values { details += " \(name)=\(value ?? "-")" }
            var since: [UInt8] = []
            TimestampFormat.appendRFC3339(window.firstSeen, to: &since)
            details += " since " + String(decoding: since, as: UTF8.self)
            details.withUTF8 { d in
                AlertEncoder.csvRow(time: window.lastSeen, host: nil, dataset: "suppression", level: set.levels[rule],
                                    rule: set.metadata[rule].title, details: d, source: "", to: &w)
            }
            emit(.record(StageRecord(rule: Match.noRule, sink: sink, timestamp: window.lastSeen, bytes: w.bytes)))
            return
        }
        w.append("{\"@timestamp\":\"")
        TimestampFormat.appendRFC3339(window.lastSeen, to: &w.bytes)
        w.append("\",")
        w.bytes += set.members[rule]
        w.append(",\"suppression.count\":")
        w.appendInteger(Int64(window.count))
        w.append(",\"suppression.first_seen\":\"")
        TimestampFormat.appendRFC3339(window.firstSeen, to: &w.bytes)
        w.append("\",\"suppression.last_seen\":\"")
        TimestampFormat.appendRFC3339(window.lastSeen, to: &w.bytes)
        w.append("\",\"suppression.for\":")
        w.appendString(entry.spec.text)
        w.append(",\"suppression.key\":{")
        for (i, (name, value)) in window.values.enumerated() {
            if i > 0 { w.append(",") }
            w.appendString(name)
            w.append(":")
            if let value { w.appendString(value) } else { w.append("null") }
        }
        w.append("}}\n")
        emit(.record(StageRecord(rule: Match.noRule, sink: sink, timestamp: window.lastSeen, bytes: w.bytes)))
    }

    /// A min-heap of (window end, key).
    struct Heap {
        var items: [(end: Int64, key: Key)] = []
        var top: (end: Int64, key: Key)? { items.first }

        mutating func push(_ e: (end: Int64, key: Key)) {
            items.append(e)
            var i = items.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                guard items[i].end < items[p].end else { break }
                items.swapAt(i, p)
                i = p
            }
        }

        mutating func pop() {
            let last = items.removeLast()
            guard !items.isEmpty else { return }
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].end < items[m].end { m = l }
                if r < items.count && items[r].end < items[m].end { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
    }
}

/// The stateful stages of a detection run, built from the loaded rules: correlation, then
/// suppression (so that correlation alerts can be suppressed too).
public struct DetectionStages {
    public let correlation: CorrelationStage?
    public let suppression: SuppressionStage?
    public let annotations: MatchAnnotations
    public let correlations: CorrelationSet

    /// `suppress`: `--suppress` options. Throws when one names a rule that is not loaded.
    public init(rules: [SigmaRule], correlations rules2: [CorrelationRule], suppress: [(rule: String, spec: SuppressionSpec)],
                names: SourceNames, settings: CorrelationSettings) throws(SuppressionError) {
        var annotations = MatchAnnotations(rules: rules.count)
        let set = CorrelationSet(rules2, rules: rules, annotations: &annotations)
        let suppressions = try SuppressionSet(rules: rules, correlations: rules2, options: suppress, annotations: &annotations)
        correlations = set
        correlation = set.isEmpty ? nil : CorrelationStage(set, ruleOffset: rules.count, names: names, settings: settings)
        suppression = suppressions.isEmpty ? nil : SuppressionStage(suppressions, perLevel: settings.perLevel, style: settings.style,
                                                                             lineWidth: settings.lineWidth)
        self.annotations = annotations
    }

    /// Adds the stages to a configuration, with what the workers must carry for them.
    public func install(in configuration: inout PipelineConfiguration) {
        if let correlation { configuration.stages.append(correlation) }
        if let suppression { configuration.stages.append(suppression) }
        if correlation != nil || suppression != nil {
            configuration.annotations = annotations
            configuration.stageRules = correlations.nodes.count
        }
    }
}
