import Foundation
import WardCore
import WardRules

#if canImport(Glibc)
import Glibc
#endif

/// Counts of a scan, and the summary written to stderr at its end.
public struct ScanSummary: Sendable {
    public var files: Int
    public let bytes: Int64
    public let events: Int
    public let eventsByDataset: [Int]
    public let alertsByRule: [Int]
    public let alerts: Int
    public let ruleCount: Int
    public let activeRules: Int
    public let started: ContinuousClock.Instant
    /// Earliest and latest event time seen (UTC nanoseconds).
    public var firstEventTime: Int64?
    public var lastEventTime: Int64?
    /// Per input (path or sender), lines no parser accepted.
    public var unparsedByInput: [String: Int] = [:]

    public init(files: Int, bytes: Int64, events: Int, eventsByDataset: [Int], alertsByRule: [Int], ruleCount: Int,
                activeRules: Int, started: ContinuousClock.Instant) {
        self.ruleCount = ruleCount
        self.activeRules = activeRules
        self.alertsByRule = alertsByRule
        self.files = files
        self.bytes = bytes
        self.events = events
        self.eventsByDataset = eventsByDataset
        self.alerts = alertsByRule.reduce(0, +)
        self.started = started
    }

    public var seconds: Double {
        let d = ContinuousClock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The summary, for people: files, bytes, events by dataset, alerts by level and by rule, rates.
    public func text(timeWindow: Bool, rules: RuleSet, encoder: AlertEncoder) -> String {
        text(timeWindow: timeWindow, titles: rules.rules.map(\.rule.metadata.title),
             levels: (0..<rules.rules.count).map(encoder.level(of:)))
    }

    /// The summary, with rules by title and level (detection rules, then correlations).
    public func text(timeWindow: Bool, titles: [String], levels: [AlertLevel], notes: [String] = [], command: String = "scan") -> String {
        let elapsed = seconds
        let unit = command == "listen" ? (files == 1 ? "sender" : "senders") : (files == 1 ? "file" : "files")
        var out = "wardwatch \(command): \(files) \(unit), \(Self.bytes(bytes)), \(Self.number(events)) events in \(String(format: "%.2f", elapsed)) s (\(Self.number(Int(Double(events) / max(elapsed, 1e-9)))) events/s, \(String(format: "%.1f", Double(bytes) / 1e6 / max(elapsed, 1e-9))) MB/s)\n"
        var datasets: [String] = []
        for (raw, n) in eventsByDataset.enumerated() where n > 0 {
            datasets.append("\(Dataset(rawValue: UInt16(raw)).name) \(Self.number(n))")
        }
        out += "  events by dataset: \(datasets.isEmpty ? "none" : datasets.joined(separator: ", "))\n"
        let unparsed = eventsByDataset[Int(Dataset.unparsed.rawValue)]
        out += "  unparsed lines: \(Self.number(unparsed))\(Self.unparsedDetail(unparsedByInput, total: unparsed))\n"
        if let first = firstEventTime, let last = lastEventTime {
            var from: [UInt8] = [], to: [UInt8] = []
            TimestampFormat.appendRFC3339(first, to: &from)
            TimestampFormat.appendRFC3339(last, to: &to)
            out += "  event times: \(String(decoding: from, as: UTF8.self)) to \(String(decoding: to, as: UTF8.self))\n"
        }
        if timeWindow { out += "  only events inside --since/--until were matched\n" }
        out += "  rules: \(Self.number(ruleCount)) loaded, \(Self.number(activeRules)) for log sources with events\n"
        var byLevel: [AlertLevel: Int] = [:]
        for (rule, n) in alertsByRule.enumerated() where n > 0 { byLevel[levels[rule], default: 0] += n }
        let perLevel = AlertLevel.allCases.reversed().compactMap { level in byLevel[level].map { "\(level.rawValue) \(Self.number($0))" } }
        out += "  alerts: \(Self.number(alerts))\(perLevel.isEmpty ? "" : " (" + perLevel.joined(separator: ", ") + ")")\n"
        let ranked = alertsByRule.enumerated().filter { $0.element > 0 }.sorted {
            $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset
        }
        for (rule, n) in ranked {
            let count = Self.number(n)
            out += "    \(String(repeating: " ", count: max(0, 7 - count.count)))\(count)  \(levels[rule].rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(titles[rule])\n"
        }
        for note in notes { out += "  \(note)\n" }
        return out
    }

    /// ` (auth.log 3, app.log 1)`: where the unparsed lines were, most first, at most five inputs named.
    static func unparsedDetail(_ byInput: [String: Int], total: Int) -> String {
        guard total > 0, !byInput.isEmpty else { return "" }
        let ranked = byInput.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var parts = ranked.prefix(5).map { "\($0.key) \(number($0.value))" }
        if ranked.count > 5 {
            let rest = ranked.dropFirst(5)
            parts.append("\(number(rest.reduce(0) { $0 + $1.value })) in \(number(rest.count)) more")
        }
        return " (" + parts.joined(separator: ", ") + ")"
    }

    public static func number(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }

    static func bytes(_ n: Int64) -> String {
        if n >= 1_000_000_000 { return String(format: "%.2f GB", Double(n) / 1e9) }
        if n >= 1_000_000 { return String(format: "%.1f MB", Double(n) / 1e6) }
        if n >= 1_000 { return String(format: "%.1f kB", Double(n) / 1e3) }
        return "\(n) bytes"
    }
}

/// A one-line progress display on stderr, only when stderr is a terminal.
public final class Progress: @unchecked Sendable {
    let enabled: Bool
    private var last = ContinuousClock.now
    private var drawn = false

    public init(enabled: Bool) { self.enabled = enabled }

    public func update(_ summary: ScanSummary) {
        guard enabled, ContinuousClock.now - last > .milliseconds(200) else { return }
        last = ContinuousClock.now
        let rate = Int(Double(summary.events) / max(summary.seconds, 1e-9))
        let line = "\r\u{1B}[2K  \(ScanSummary.bytes(summary.bytes))  \(ScanSummary.number(summary.events)) events  \(ScanSummary.number(rate)) events/s  \(ScanSummary.number(summary.alerts)) alerts"
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    public func finish() {
        if enabled && drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
