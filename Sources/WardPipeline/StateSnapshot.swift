import Foundation
import WardCore
import WardRules

/// The correlation and suppression state of a run, as a JSON file (`--state FILE`): read before the
/// run, written (atomically) after it, so that consecutive runs over consecutive archives — or a
/// restarted live tail — continue windows instead of starting them empty. Correlations and
/// suppressed rules are matched by id (else name, else title); state of ones no longer loaded is
/// dropped and counted.
public struct StateSnapshot: Codable, Sendable {
    public static let currentVersion = 1

    struct Entry: Codable {
        var t: Int64
        /// Index into ``StateSnapshot/paths``.
        var p: Int
        var o: Int64
        var r: Int32
        var n: Double?
        /// value_count's value: its 64-bit hash.
        var v: UInt64?
    }

    struct Group: Codable {
        var key: String
        var values: [String]
        var newest: Int64
        var firing: Bool
        var entries: [Entry]
    }

    struct Window: Codable {
        var rule: String
        var key: String
        var first: Int64
        var last: Int64
        var end: Int64
        var count: Int
        var fields: [String]
        var values: [String?]
    }

    public var version = StateSnapshot.currentVersion
    var paths: [String] = []
    var correlations: [String: [Group]] = [:]
    var suppression: [Window] = []
    var suppressionNow: Int64?

    public init() {}

    /// Groups and windows held.
    public var size: (groups: Int, windows: Int) { (correlations.values.reduce(0) { $0 + $1.count }, suppression.count) }

    /// The state in `path`; `nil` when there is no such file (a first run).
    public static func read(_ path: String) throws(SnapshotError) -> StateSnapshot? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SnapshotError(message: "cannot read the state file \(path)")
        }
        let snapshot: StateSnapshot
        do {
            snapshot = try JSONDecoder().decode(StateSnapshot.self, from: data)
        } catch {
            throw SnapshotError(message: "the state file \(path) is not a wardwatch state file (\(error))")
        }
        guard snapshot.version == currentVersion else {
            throw SnapshotError(message: "the state file \(path) has version \(snapshot.version); this wardwatch reads version \(currentVersion)")
        }
        return snapshot
    }

    /// Writes to a temporary file beside `path`, then renames it over `path` (``Durable/replace(_:with:)``).
    public func write(to path: String) throws(SnapshotError) {
        try Durable.replace(path, with: Data(json()))
    }

    static func identity(_ meta: RuleMetadata) -> String { meta.id ?? meta.name ?? meta.title }
}

public struct SnapshotError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension CorrelationStage {
    /// Adds this stage's groups to `snapshot`.
    public func save(into snapshot: inout StateSnapshot) {
        var pathIndex: [String: Int] = Dictionary(uniqueKeysWithValues: snapshot.paths.enumerated().map { ($1, $0) })
        func path(_ source: Int32) -> Int {
            let name = names.name(Int(source))
            if let i = pathIndex[name] { return i }
            snapshot.paths.append(name)
            pathIndex[name] = snapshot.paths.count - 1
            return snapshot.paths.count - 1
        }
        for (n, node) in set.nodes.enumerated() {
            var saved: [StateSnapshot.Group] = []
            // Sorted by key, so that the file does not depend on hashing.
            let live = store.filter { !$0.gone && Int($0.node) == n }
            for g in live.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) {
                let key = g.key
                let entries = g.window.map { e in
                    StateSnapshot.Entry(t: e.time, p: path(e.source), o: e.offset, r: e.position,
                                        n: e.number == 0 ? nil : e.number, v: e.value == 0 ? nil : e.value)
                }
                saved.append(.init(key: Data(key.bytes).base64EncodedString(), values: g.values, newest: g.newest, firing: g.firing,
                                   entries: entries))
            }
            if !saved.isEmpty { snapshot.correlations[StateSnapshot.identity(node.rule.metadata), default: []] += saved }
        }
    }

    /// Restores the groups of the correlations still loaded; returns how many groups were restored
    /// and how many belonged to correlations that are not.
    public func restore(from snapshot: StateSnapshot) -> (restored: Int, dropped: Int) {
        var byIdentity: [String: Int] = [:]
        for (n, node) in set.nodes.enumerated() { byIdentity[StateSnapshot.identity(node.rule.metadata)] = n }
        // Paths of the earlier run become extra input names for references.
        var sourceOf: [Int32] = []
        for p in snapshot.paths {
            sourceOf.append(Int32(names.index(of: p)))
        }
        var restored = 0, dropped = 0
        for (identity, saved) in snapshot.correlations {
            guard let n = byIdentity[identity] else {
                dropped += saved.count
                continue
            }
            let spec = specs[n]
            for s in saved {
                guard let bytes = Data(base64Encoded: s.key), s.values.count == spec.groupCount else { continue }
                let keyBytes = Array(bytes)
                let hash = keyBytes.withUnsafeBufferPointer { Self.fnv($0, Self.fnvSeed ^ UInt64(n)) }
                let g = Group(key: Key(hash: hash, bytes: keyBytes), node: Int32(n), rules: spec.ruleCount, temporal: spec.temporal)
                g.newest = s.newest
                g.queued = s.newest
                g.firing = s.firing
                for e in s.entries where Int(e.r) < spec.ruleCount && e.p < sourceOf.count {
                    insert(Entry(time: e.t, offset: e.o, number: e.n ?? 0, value: e.v ?? 0, source: sourceOf[e.p], position: e.r),
                           into: g, spec)
                }
                if let old = table.find(hash: hash, node: Int32(n), key: keyBytes, in: store) {
                    store[Int(old)].gone = true
                    table.remove(hash: hash, index: old, in: store)
                    pool.append(old)
                } else {
                    groupCount += 1
                }
                let index = Int32(store.count)
                store.append(g)
                table.insert(hash: hash, index: index, in: store)
                queue.append((index, g.generation))
                now[n] = max(now[n], g.newest)
                restored += 1
            }
        }
        return (restored, dropped)
    }
}

extension SuppressionStage {
    /// Adds the open windows to `snapshot` (with ``keepsWindowsOpen``, the end of the run leaves them open).
    public func save(into snapshot: inout StateSnapshot) {
        let metas = set.metadata
        for (key, w) in windows.sorted(by: { ($0.key.rule, $0.value.end) < ($1.key.rule, $1.value.end) }) {
            snapshot.suppression.append(.init(rule: StateSnapshot.identity(metas[Int(key.rule)]), key: Data(key.values).base64EncodedString(),
                                              first: w.firstSeen, last: w.lastSeen, end: w.end, count: w.count,
                                              fields: w.values.map(\.0), values: w.values.map(\.1)))
        }
        snapshot.suppressionNow = now == .min ? nil : now
    }

    /// Reopens the saved windows of rules still suppressed; returns how many.
    public func restore(from snapshot: StateSnapshot) -> (restored: Int, dropped: Int) {
        var byIdentity: [String: Int] = [:]
        for (i, meta) in set.metadata.enumerated() where set.entries[i] != nil { byIdentity[StateSnapshot.identity(meta)] = i }
        var restored = 0, dropped = 0
        for w in snapshot.suppression {
            guard let rule = byIdentity[w.rule], let values = Data(base64Encoded: w.key) else {
                dropped += 1
                continue
            }
            let key = Key(rule: Int32(rule), values: Array(values))
            windows[key] = Window(firstSeen: w.first, lastSeen: w.last, end: w.end, count: w.count,
                                  values: Array(zip(w.fields, w.values)))
            ends.push((w.end, key))
            restored += 1
        }
        if let saved = snapshot.suppressionNow { now = max(now, saved) }
        return (restored, dropped)
    }
}
