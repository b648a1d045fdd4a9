import WardCore
import WardRules

/// The literals of one field across all rules: each literal's index in the field (its stamp is at
/// the field's offset plus it), the rules it makes candidates (the prefilter's required literals),
/// and every rule that reads it.
final class FieldPatterns {
    var index: [[UInt8]: Int] = [:]
    var patterns: [[UInt8]] = []
    /// Per literal: the rules it makes candidates.
    var rules: [[Int32]] = []
    /// Per literal: every rule whose circuit or prefilter reads it.
    var users: [[Int32]] = []

    func add(_ literal: [UInt8], rule: Int32, candidate: Bool) {
        let i: Int
        if let existing = index[literal] {
            i = existing
        } else {
            i = patterns.count
            index[literal] = i
            patterns.append(literal)
            rules.append([])
            users.append([])
        }
        if candidate && rules[i].last != rule { rules[i].append(rule) }
        if users[i].last != rule { users[i].append(rule) }
    }
}

/// The prefilter's automata per *log-source lane*: datasets whose events the same rules can match
/// share a lane, and a lane's automaton for a field holds only the literals of those rules. A syslog
/// event is not scanned for the literals of SigmaHQ's Windows rules (with the whole `rules/` tree,
/// 60 MB of tables for all fields against under 1 MB for the Linux lanes, and the scan's cost is in
/// the tables' cache misses). The routing by log source is thereby done once, at compile time.
///
/// Every lane reports a field's literals by the same index (the field's, not the lane's), so that
/// stamps and ``RuleCircuit`` programs are shared by all lanes.
struct EngineLanes {
    /// All lanes' field tables, lane after lane.
    let tables: UnsafeMutableBufferPointer<FieldTable>
    /// Lane l's tables are `tables[laneStart[l] ..< laneStart[l + 1]]`.
    let laneStart: UnsafePointer<Int32>
    /// Per dataset raw value below 64, its lane; entry 64: the lane of every other dataset (empty:
    /// rules name datasets by bits 0–63).
    let laneOf: UnsafePointer<Int32>
    /// Per lane: its datasets, and per field its literal count, states and table bytes (`wardwatch bench`).
    let summary: [(datasets: [String], automata: [(field: String?, literals: Int, states: Int, bytes: Int)])]

    static let otherDatasets = 64

    /// Builds the lanes for `fields` (sorted, with their stamp offsets) given each rule's dataset mask.
    init(fields: [(field: FieldRef?, patterns: FieldPatterns)], offsets: [Int], masks: [UInt64]) {
        var laneOfDataset = [Int32](repeating: 0, count: Self.otherDatasets + 1)
        var signatures: [[Int32]: Int] = [:]
        var lanes: [(datasets: [String], subsets: [[Int]])] = []
        // Lane 0: no literals (datasets no rule covers, and those beyond bit 63).
        lanes.append(([], fields.map { _ in [] }))
        signatures[[]] = 0
        for (raw, name) in Dataset.names.enumerated() where raw < Self.otherDatasets {
            let bit: UInt64 = 1 << UInt64(raw)
            var signature: [Int32] = []
            var subsets: [[Int]] = []
            for (f, field) in fields.enumerated() {
                let subset = field.patterns.users.indices.filter { p in field.patterns.users[p].contains { masks[Int($0)] & bit != 0 } }
                if !subset.isEmpty { signature += [Int32(-1 - f)] + subset.map(Int32.init) }
                subsets.append(subset)
            }
            if let lane = signatures[signature] {
                laneOfDataset[raw] = Int32(lane)
                if lane > 0 { lanes[lane].datasets.append(name) }
            } else {
                signatures[signature] = lanes.count
                laneOfDataset[raw] = Int32(lanes.count)
                lanes.append(([name], subsets))
            }
        }
        // Per field, the tables every lane shares the content of (each lane owns its copy).
        let shared = fields.map { field -> (ruleStart: [Int32], patternRules: [Int32]) in
            var ruleStart: [Int32] = [0]
            var flat: [Int32] = []
            for rules in field.patterns.rules {
                flat += rules
                ruleStart.append(Int32(flat.count))
            }
            return (ruleStart, flat)
        }
        var built: [FieldTable] = []
        var starts: [Int32] = [0]
        var summary: [(datasets: [String], automata: [(field: String?, literals: Int, states: Int, bytes: Int)])] = []
        for lane in lanes {
            var automata: [(field: String?, literals: Int, states: Int, bytes: Int)] = []
            for (f, subset) in lane.subsets.enumerated() where !subset.isEmpty {
                let field = fields[f]
                let a = LiteralAutomaton(patterns: subset.map { field.patterns.patterns[$0] })
                // Reports flattened per state, numbered as the field numbers its patterns (the
                // automaton numbers them 0..<subset.count), each with its length.
                var reportStart: [Int32] = [0]
                var reports: [Int32] = []
                for state in 0..<a.stateCount {
                    var r = a.outputStart[state] != a.outputStart[state + 1] ? Int32(state) : a.dictionary[state]
                    while r >= 0 {
                        for k in Int(a.outputStart[Int(r)])..<Int(a.outputStart[Int(r) + 1]) {
                            let pattern = subset[Int(a.outputs[k])]
                            reports += [Int32(pattern), Int32(field.patterns.patterns[pattern].count)]
                        }
                        r = a.dictionary[Int(r)]
                    }
                    reportStart.append(Int32(reports.count))
                }
                built.append(FieldTable(
                    id: field.field?.id, isOriginal: field.field == nil,
                    nameBytes: UnsafeBufferPointer(start: FieldTable.copy(field.field?.nameBytes ?? []), count: field.field?.nameBytes.count ?? 0),
                    classOf: FieldTable.copy(a.classOf), next: FieldTable.copy(a.next), classCount: a.classCount,
                    reportStart: FieldTable.copy(reportStart), reports: FieldTable.copy(reports),
                    ruleStart: FieldTable.copy(shared[f].ruleStart), patternRules: FieldTable.copy(shared[f].patternRules),
                    patternOffset: offsets[f]))
                automata.append((field.field?.name, subset.count, a.stateCount, a.stateCount * a.classCount * 4))
            }
            starts.append(Int32(built.count))
            summary.append((lane.datasets, automata))
        }
        tables = .allocate(capacity: max(1, built.count))
        _ = tables.initialize(from: built)
        laneStart = FieldTable.copy(starts)
        laneOf = FieldTable.copy(laneOfDataset)
        self.summary = summary
    }

    /// The tables of the lane for `dataset`.
    @inline(__always)
    func lane(of dataset: Dataset) -> Range<Int> {
        let lane = Int(laneOf[dataset.rawValue < Self.otherDatasets ? Int(dataset.rawValue) : Self.otherDatasets])
        return Int(laneStart[lane])..<Int(laneStart[lane + 1])
    }

    func deallocate() {
        for t in UnsafeMutableBufferPointer(rebasing: tables[0..<Int(laneStart[summary.count])]) {
            for p in [UnsafeMutableRawPointer(mutating: t.classOf), UnsafeMutableRawPointer(mutating: t.next),
                      UnsafeMutableRawPointer(mutating: t.reportStart), UnsafeMutableRawPointer(mutating: t.reports),
                      UnsafeMutableRawPointer(mutating: t.ruleStart), UnsafeMutableRawPointer(mutating: t.patternRules),
                      UnsafeMutableRawPointer(mutating: t.nameBytes.baseAddress!)] {
                p.deallocate()
            }
        }
        tables.deallocate()
        UnsafeMutableRawPointer(mutating: laneStart).deallocate()
        UnsafeMutableRawPointer(mutating: laneOf).deallocate()
    }
}
