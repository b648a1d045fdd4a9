import WardCore
import WardDetect
import WardRules

/// Sigma levels in order, for `--min-level`, per-level files and the summary.
public enum AlertLevel: String, Sendable, CaseIterable, Comparable {
    case informational, low, medium, high, critical

    public init(ruleLevel: String?) { self = AlertLevel(rawValue: ruleLevel ?? "") ?? .medium }

    public static func < (a: AlertLevel, b: AlertLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Writes alerts: as JSON lines (ECS-shaped: the event's fields plus `rule.*`) or as one readable line
/// for people.
///
/// A JSON alert is the event as `wardwatch parse` prints it, with `rule.id`, `rule.name`,
/// `rule.level`, `rule.tags`, `rule.author` (the Detection Rule License requires the author to stay
/// with alerts from SigmaHQ rules), `rule.references` and `rule.matched` (the searches of the
/// detection that were true) after `@timestamp`.
public struct AlertEncoder: Sendable {
    public enum Style: Sendable { case json, pretty(color: Bool) }

    let events = EventEncoder()
    /// Per rule, the constant part of its alert (`"rule.id":…,"rule.references":[…]`), built once.
    let ruleMembers: [[UInt8]]
    let levels: [AlertLevel]
    let titles: [String]
    /// Per rule, its searches' names as JSON strings, for `rule.matched`.
    let searchNames: [[[UInt8]]]
    public let style: Style

    public init(ruleSet: RuleSet, style: Style = .json) {
        self.style = style
        ruleMembers = ruleSet.rules.map { Self.ruleMembers($0.rule.metadata) }
        searchNames = ruleSet.rules.map { compiled in
            compiled.rule.searches.map { search in
                var w = JSONWriter(capacity: 32)
                w.appendString(search.name)
                return w.bytes
            }
        }
        levels = ruleSet.rules.map { AlertLevel(ruleLevel: $0.rule.metadata.level) }
        titles = ruleSet.rules.map(\.rule.metadata.title)
    }

    /// `"rule.id":…,"rule.name":…,"rule.level":…,"rule.tags":[…],"rule.author":…,"rule.references":[…]`
    /// of a rule or correlation.
    public static func ruleMembers(_ meta: RuleMetadata) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.append("\"rule.id\":")
        if let id = meta.id { w.appendString(id) } else { w.append("null") }
        w.append(",\"rule.name\":")
        w.appendString(meta.title)
        w.append(",\"rule.level\":")
        w.appendString(AlertLevel(ruleLevel: meta.level).rawValue)
        w.append(",\"rule.tags\":")
        array(meta.tags, &w)
        w.append(",\"rule.author\":")
        if let author = meta.author { w.appendString(author) } else { w.append("null") }
        w.append(",\"rule.references\":")
        array(meta.references, &w)
        return w.bytes
    }

    public static func array(_ items: [String], _ w: inout JSONWriter) {
        w.append("[")
        for (i, item) in items.enumerated() {
            if i > 0 { w.append(",") }
            w.appendString(item)
        }
        w.append("]")
    }

    public func level(of rule: Int) -> AlertLevel { levels[rule] }

    /// Appends one alert for event `event` of `batch` and rule `rule`, whose searches in `searches`
    /// (bit *n* = search *n*) were true, to `out`.
    public func encode(event: Int, rule: Int, searches: UInt64, batch: EventBatch, values: EventValues,
                       origin: ChunkOrigin, path: UnsafeBufferPointer<UInt8>, evaluationError: Bool = false,
                       to out: inout JSONWriter) {
        let hit = RuleHit(event: event, rule: rule)
        switch style {
        case .json:
            out.append("{")
            let event = batch.events[hit.event]
            if event.timestamp != EventRecord.noTimestamp {
                out.append("\"@timestamp\":\"")
                TimestampFormat.appendRFC3339(event.timestamp, to: &out.bytes)
                out.append("\",")
            }
            out.bytes.append(contentsOf: ruleMembers[hit.rule])
            out.append(",\"rule.matched\":[")
            var first = true
            for (n, name) in searchNames[hit.rule].enumerated() where n < 64 && searches & (1 << UInt64(n)) != 0 {
                if !first { out.append(",") }
                first = false
                out.bytes.append(contentsOf: name)
            }
            out.append("]")
            // The rule matched only with a regular-expression search PCRE2 gave up on read as a match.
            if evaluationError { out.append(",\"rule.evaluation_error\":true") }
            out.append(",")
            events.writeFields(hit.event, batch, values, origin: origin, path: path, includeTimestamp: false, to: &out)
            out.append("}\n")
        case .pretty(let color):
            writePretty(hit, batch: batch, values: values, origin: origin, path: path, color: color, to: &out)
        }
    }

    /// `2026-11-22T07:36:52Z  HIGH          Sudo to a root shell`: the start of a readable line (a
    /// correlation alert or a suppression summary goes on with its own details).
    public static func prettyPrefix(timestamp: Int64, level: AlertLevel, title: String, color: Bool, to out: inout JSONWriter) {
        if timestamp != EventRecord.noTimestamp {
            // Second precision keeps the columns aligned: 2026-11-22T07:36:52Z
            var stamp: [UInt8] = []
            TimestampFormat.appendRFC3339(timestamp - ((timestamp % 1_000_000_000) + 1_000_000_000) % 1_000_000_000, to: &stamp)
            out.bytes += stamp[0..<19]
            out.append("Z")
        } else {
            out.append("-                   ")
        }
        out.append("  ")
        let colors: [AlertLevel: StaticString] = [.critical: "\u{1B}[1;31m", .high: "\u{1B}[31m", .medium: "\u{1B}[33m",
                                                  .low: "\u{1B}[36m", .informational: "\u{1B}[2m"]
        if color { out.append(colors[level]!) }
        let name = level.rawValue.uppercased()
        out.bytes += Array(name.utf8) + [UInt8](repeating: 0x20, count: max(1, 14 - name.count))
        if color { out.append("\u{1B}[0m\u{1B}[1m") }
        out.bytes += Array(title.utf8)
        if color { out.append("\u{1B}[0m") }
    }

    /// `2026-11-22T07:36:52Z  HIGH      Sudo to a root shell  ehr-app01  auth.log:18  <message>`
    func writePretty(_ hit: RuleHit, batch: EventBatch, values: EventValues, origin: ChunkOrigin,
                     path: UnsafeBufferPointer<UInt8>, color: Bool, to out: inout JSONWriter) {
        let event = batch.events[hit.event]
        Self.prettyPrefix(timestamp: event.timestamp, level: levels[hit.rule], title: titles[hit.rule], color: color, to: &out)
        if let host = batch.firstField(.hostHostname, inEvent: hit.event) {
            out.append("  ")
            out.appendPrintable(values[host.value])
        }
        out.append("  ")
        out.appendPrintable(path)
        out.append(":")
        out.appendInteger(event.lineNumber)
        out.append("  ")
        // The message, else the redacted original of an HL7/ATNA/FHIR event, else the line.
        let text = batch.firstField(.message, inEvent: hit.event).map { values[$0.value] }
            ?? batch.firstField(.eventOriginal, inEvent: hit.event).map { values[$0.value] }
            ?? values.line(of: event)
        out.appendPrintable(UnsafeBufferPointer(rebasing: text[0..<min(text.count, 300)]))
        out.append("\n")
    }
}
