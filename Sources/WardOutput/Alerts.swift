import WardCore
import WardDetect
import WardRules

/// Sigma levels in order, for `--min-level`, per-level files and the summary.
public enum AlertLevel: String, Sendable, CaseIterable, Comparable {
    case informational, low, medium, high, critical

    public init(ruleLevel: String?) { self = AlertLevel(rawValue: ruleLevel ?? "") ?? .medium }

    /// ECS `event.severity` of an alert of this level (Elastic's default risk scores for the five levels).
    public var severity: Int {
        switch self {
        case .informational: return 1
        case .low: return 21
        case .medium: return 47
        case .high: return 73
        case .critical: return 99
        }
    }

    public static func < (a: AlertLevel, b: AlertLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Writes alerts: as JSON lines (ECS-shaped: the event's fields plus `rule.*`) or as one readable line
/// for people.
///
/// A JSON alert is the event as `wardwatch parse` prints it, with `rule.id`, `rule.name`,
/// `rule.level`, `rule.tags`, `rule.author` (the Detection Rule License requires the author to stay
/// with alerts from SigmaHQ rules), `rule.reference`, `rule.ruleset`, the `threat.*` fields of the
/// rule's ATT&CK tags and `rule.matched` (the searches of the detection that were true) after
/// `@timestamp`, and `event.kind: alert`, `event.severity`, `event.id` (the alert's identity: a hash
/// of rule, input and offset) and `ecs.version` at the end (so that they win over an input event's
/// own `event.kind`).
public struct AlertEncoder: Sendable {
    public enum Style: Sendable { case json, pretty(color: Bool), csv }

    let events = EventEncoder()
    /// Per rule, the constant part of its alert (`"rule.id":…,"rule.references":[…]`), built once.
    let ruleMembers: [[UInt8]]
    /// Per rule, the hash of its id (else title): the start of its alerts' `event.id`.
    let ruleHashes: [UInt64]
    let levels: [AlertLevel]
    let titles: [String]
    /// Per rule, its searches' names as JSON strings, for `rule.matched`.
    let searchNames: [[[UInt8]]]
    public let style: Style
    /// `--format pretty` on a terminal: lines are cut to its width (with …).
    public var lineWidth: Int?

    public init(ruleSet: RuleSet, style: Style = .json) {
        self.style = style
        ruleMembers = ruleSet.rules.map { Self.ruleMembers($0.rule.metadata) }
        ruleHashes = ruleSet.rules.map { compiled in
            var name = compiled.rule.metadata.id ?? compiled.rule.metadata.title
            return name.withUTF8 { FNV1a.hash($0) }
        }
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

    /// wardwatch's version (`--version`, CEF's device version).
    public static let productVersion = "0.1.0"

    /// The ECS version the alerts follow.
    public static let ecsVersion = "8.17.0"

    /// `"rule.id":…,"rule.name":…,"rule.level":…,"rule.tags":[…],"rule.author":…,"rule.reference":[…],`
    /// `"rule.ruleset":"sigma"` and the `threat.*` fields of a rule or correlation.
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
        w.append(",\"rule.reference\":")
        array(meta.references, &w)
        w.append(",\"rule.ruleset\":\"sigma\"")
        let attack = Attack(tags: meta.tags)
        if !attack.isEmpty {
            w.append(",\"threat.framework\":\"MITRE ATT&CK\"")
            if !attack.tactics.isEmpty {
                w.append(",\"threat.tactic.name\":")
                array(attack.tactics, &w)
            }
            if !attack.techniques.isEmpty {
                w.append(",\"threat.technique.id\":")
                array(attack.techniques, &w)
            }
            if !attack.subtechniques.isEmpty {
                w.append(",\"threat.technique.subtechnique.id\":")
                array(attack.subtechniques, &w)
            }
        }
        return w.bytes
    }

    /// `,"event.kind":"alert","event.severity":N,"event.id":"…","ecs.version":"…"`: the alert's own
    /// ECS members, last. `identity` is what makes the alert (rule, input, offset), hashed into `event.id`.
    public static func alertMembers(level: AlertLevel, identity: UInt64, to w: inout JSONWriter) {
        w.append(",\"event.kind\":\"alert\",\"event.severity\":")
        w.appendInteger(Int64(level.severity))
        w.append(",\"event.id\":\"")
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for shift in stride(from: 60, through: 0, by: -4) { w.append(byte: hex[Int((identity >> UInt64(shift)) & 0xF)]) }
        w.append("\",\"ecs.version\":\"")
        w.bytes += Array(ecsVersion.utf8)
        w.append("\"")
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
            events.writeFields(hit.event, batch, values, origin: origin, path: path, includeTimestamp: false, alert: true, to: &out)
            let identity = FNV1a.hash(origin.offset + Int64(event.lineStart), FNV1a.hash(path, ruleHashes[hit.rule]))
            Self.alertMembers(level: levels[hit.rule], identity: identity, to: &out)
            out.append("}\n")
        case .pretty(let color):
            writePretty(hit, batch: batch, values: values, origin: origin, path: path, color: color, to: &out)
        case .csv:
            let event = batch.events[hit.event]
            let host = batch.firstField(.hostHostname, inEvent: hit.event).map { values[$0.value] }
            var source = String(decoding: path, as: UTF8.self)
            if origin.peer == nil { source += ":\(origin.offset + Int64(event.lineStart))" }
            Self.csvRow(time: event.timestamp, host: host, dataset: event.dataset.name, level: levels[hit.rule], rule: titles[hit.rule],
                        details: details(hit, batch: batch, values: values), source: source, to: &out)
        }
    }

    /// `2026-11-22T07:36:52Z  HIGH          Sudo to a root shell`: the start of a readable line (a
    /// correlation alert or a suppression summary goes on with its own details).
    public static func prettyPrefix(timestamp: Int64, level: AlertLevel, title: String, color: Bool, titleWidth: Int = titleWidth,
                                    to out: inout JSONWriter) {
        if timestamp != EventRecord.noTimestamp {
            // Second precision keeps the columns aligned: 2026-11-22T07:36:52Z
            appendSeconds(timestamp, to: &out.bytes)
        } else {
            out.append("-                   ")
        }
        out.append("  ")
        let colors: [AlertLevel: StaticString] = [.critical: "\u{1B}[1;31m", .high: "\u{1B}[31m", .medium: "\u{1B}[33m",
                                                  .low: "\u{1B}[36m", .informational: "\u{1B}[2m"]
        if color { out.append(colors[level]!) }
        let name = level == .informational ? "INFO" : level.rawValue.uppercased()
        out.bytes += Array(name.utf8) + [UInt8](repeating: 0x20, count: max(1, 10 - name.count))
        if color { out.append("\u{1B}[0m\u{1B}[1m") }
        // The rule's column: its title, cut with … at the column's width.
        let shown = title.count > titleWidth ? String(title.prefix(titleWidth - 1)) + "…" : title
        out.bytes += Array(shown.utf8)
        if color { out.append("\u{1B}[0m") }
        out.bytes += [UInt8](repeating: 0x20, count: max(0, titleWidth - shown.count))
    }

    /// `2026-11-22T07:36:52Z`: a time to the second (columns for people).
    public static func appendSeconds(_ time: Int64, to out: inout [UInt8]) {
        var stamp: [UInt8] = []
        TimestampFormat.appendRFC3339(time - ((time % 1_000_000_000) + 1_000_000_000) % 1_000_000_000, to: &stamp)
        out += stamp[0..<19]
        out.append(UInt8(ascii: "Z"))
    }

    /// Width of the rule column of `--format pretty`.
    public static let titleWidth = 36

    /// The rule column's width on a terminal `width` columns wide: narrower below 136 columns (down to
    /// 20), so that a 120-column terminal still shows what happened.
    public static func titleWidth(forLine width: Int?) -> Int {
        guard let width else { return titleWidth }
        return max(20, min(titleWidth, width - 100))
    }

    /// Appends `value` (or `-`) padded to `width` columns, cut with … when longer; control bytes escaped.
    static func column(_ value: UnsafeBufferPointer<UInt8>?, width: Int, to out: inout JSONWriter) {
        out.append("  ")
        guard let value, !value.isEmpty else {
            out.append("-")
            out.bytes += [UInt8](repeating: 0x20, count: width - 1)
            return
        }
        let start = out.bytes.count
        if value.count > width {
            out.appendPrintable(UnsafeBufferPointer(rebasing: value[0..<(width - 1)]))
            out.append("…")
        } else {
            out.appendPrintable(value)
        }
        // Pad by characters (UTF-8 continuation bytes take no column).
        let written = out.bytes[start...].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        if written < width { out.bytes += [UInt8](repeating: 0x20, count: width - written) }
    }

    /// `2026-11-22T07:36:52Z  HIGH      Sudo to a root shell  ehr-app01  auth.log:18  <message>`
    func writePretty(_ hit: RuleHit, batch: EventBatch, values: EventValues, origin: ChunkOrigin,
                     path: UnsafeBufferPointer<UInt8>, color: Bool, to out: inout JSONWriter) {
        let lineStart = out.bytes.count
        defer { if let lineWidth { Self.cut(&out, from: lineStart, to: lineWidth) } }
        let event = batch.events[hit.event]
        Self.prettyPrefix(timestamp: event.timestamp, level: levels[hit.rule], title: titles[hit.rule], color: color,
                          titleWidth: Self.titleWidth(forLine: lineWidth), to: &out)
        // Columns: host, user, source address; then the patient's pseudonym if any, what happened (its
        // first line), and where (file:line) — the part a narrow terminal cuts first.
        // A Windows event's fields keep their own names (Computer, SubjectUserName, IpAddress).
        func named(_ keys: [String]) -> UnsafeBufferPointer<UInt8>? {
            for key in keys {
                for i in batch.fieldRange(of: hit.event) where batch.fields[i].name.count == key.utf8.count {
                    let slot = batch.fields[i]
                    if FieldID.nameBytes(of: slot.id).isEmpty && values[slot.name].elementsEqual(key.utf8) { return values[slot.value] }
                }
            }
            return nil
        }
        // `  (file:line)`: where, last on the line (the part a narrow terminal cuts first).
        func place() {
            out.append("  (")
            out.appendPrintable(path)
            out.append(":")
            out.appendInteger(event.lineNumber)
            out.append(")\n")
        }
        let windows = event.dataset == .windowsEventLog
        for (field, width, keys) in [(FieldID.hostHostname, 12, ["Computer"]), (.userName, 10, ["SubjectUserName", "TargetUserName"]),
                                     (.sourceIP, 15, ["IpAddress"])] {
            let value = batch.firstField(field, inEvent: hit.event).map { values[$0.value] } ?? (windows ? named(keys) : nil)
            Self.column(value, width: width, to: &out)
        }
        out.append("  ")
        if windows {
            // What the event says, not its JSON: the event ID and what it is about.
            out.append("Windows ")
            if let id = named(["EventID"]) { out.appendPrintable(id) }
            for key in ["CommandLine", "ShareName", "ServiceName", "param1", "MemberName", "TargetUserName", "Channel"] {
                guard let v = named([key]), !v.isEmpty, !(v.count == 1 && v[0] == UInt8(ascii: "-")) else { continue }
                out.append(" ")
                out.appendPrintable(UnsafeBufferPointer(rebasing: v[0..<min(v.count, 200)]))
                if key == "param1", let state = named(["param2"]) {
                    out.append(" ")
                    out.appendPrintable(state)
                }
                break
            }
            place()
            return
        }
        if let patient = batch.firstField(.patientID, inEvent: hit.event) {
            out.append("patient=")
            out.appendPrintable(values[patient.value])
            out.append("  ")
        }
        // Hospital audit records: what the record says, not its first line (an XML declaration, an MSH).
        func value(_ id: FieldID) -> UnsafeBufferPointer<UInt8>? { batch.firstField(id, inEvent: hit.event).map { values[$0.value] } }
        let summary: (label: StaticString, parts: [(StaticString, FieldID)])?
        switch event.dataset {
        case .hl7v2: summary = ("HL7", [("", .hl7MessageType), (" from ", .hl7SendingApplication), ("/", .hl7SendingFacility),
                                        (" to ", .hl7ReceivingApplication), ("/", .hl7ReceivingFacility)])
        case .atna: summary = ("ATNA", [("", .eventCode), (" ", .eventAction), (" ", .eventOutcome)])
        case .fhirAuditEvent: summary = ("FHIR AuditEvent", [("", .eventCode), (" ", .eventAction), (" ", .eventOutcome)])
        default:
            // A firewall's line: the flow, not its key=value text.
            summary = event.dataset.name.hasPrefix("firewall.") && value(.sourceIP) != nil
                ? ("Firewall", [("", .eventAction), (" ", .networkTransport), (" ", .sourceIP), (":", .sourcePort), (" → ", .destinationIP),
                                (":", .destinationPort), (" policy ", .ruleName)])
                : nil
        }
        if let summary {
            out.append(summary.label)
            for (separator, id) in summary.parts {
                guard let v = value(id), !v.isEmpty else { continue }
                out.append(separator.utf8CodeUnitCount == 0 ? " " : separator)
                out.appendPrintable(v)
            }
            place()
            return
        }
        let text = details(hit, batch: batch, values: values)
        var shown = min(text.count, 300)
        if let newline = text.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }), newline - text.startIndex < shown {
            shown = newline - text.startIndex
        }
        out.appendPrintable(UnsafeBufferPointer(rebasing: text[text.startIndex..<(text.startIndex + shown)]))
        if shown < text.count { out.append("…") }
        place()
    }

    /// Cuts the line that starts at `start` (ending in `\n`) to `width` visible columns, with `…`
    /// (escape sequences take no column; a cut inside color resets it).
    public static func cut(_ out: inout JSONWriter, from start: Int, to width: Int) {
        var visible = 0
        var i = start
        let end = out.bytes.count - 1  // the line end
        while i < end {
            let b = out.bytes[i]
            if b == 0x1B {
                while i < end && out.bytes[i] != UInt8(ascii: "m") { i += 1 }
                i += 1
                continue
            }
            if b & 0xC0 != 0x80 {
                if visible == width - 1 {
                    let colored = out.bytes[start..<i].contains(0x1B)
                    out.bytes.removeSubrange(i..<end)
                    out.bytes.insert(contentsOf: Array((colored ? "…\u{1B}[0m" : "…").utf8), at: i)
                    return
                }
                visible += 1
            }
            i += 1
        }
    }

    /// The message, else the redacted original of an HL7/ATNA/FHIR event, else the line.
    func details(_ hit: RuleHit, batch: EventBatch, values: EventValues) -> UnsafeBufferPointer<UInt8> {
        batch.firstField(.message, inEvent: hit.event).map { values[$0.value] }
            ?? batch.firstField(.eventOriginal, inEvent: hit.event).map { values[$0.value] }
            ?? values.line(of: batch.events[hit.event])
    }

    /// The first line of `--format csv`: a timeline for spreadsheet tools, one alert a row.
    public static let csvHeader = "timestamp,host,dataset,level,rule,details,source\n"

    /// One row of `--format csv` (RFC 4180: a field with a comma, quote or line end is quoted, its
    /// quotes doubled). A field that a spreadsheet would take for a formula (`=`, `+`, `-`, `@` first:
    /// log lines are written by attackers) gets a `'` before it.
    public static func csvRow(time: Int64, host: UnsafeBufferPointer<UInt8>?, dataset: String, level: AlertLevel, rule: String,
                              details: UnsafeBufferPointer<UInt8>, source: String, to out: inout JSONWriter) {
        if time != EventRecord.noTimestamp { TimestampFormat.appendRFC3339(time, to: &out.bytes) }
        out.append(",")
        if let host { csvField(host, to: &out) }
        out.append(",")
        var d = dataset
        d.withUTF8 { csvField($0, to: &out) }
        out.append(",")
        out.bytes += Array(level.rawValue.utf8)
        out.append(",")
        var r = rule
        r.withUTF8 { csvField($0, to: &out) }
        out.append(",")
        csvField(details, to: &out)
        out.append(",")
        var s = source
        s.withUTF8 { csvField($0, to: &out) }
        out.append("\n")
    }

    public static func csvField(_ value: UnsafeBufferPointer<UInt8>, to out: inout JSONWriter) {
        let formula = value.first.map { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "@") } ?? false
        let quote = formula || value.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        if quote { out.append("\"") }
        if formula { out.append("'") }
        for b in value {
            if b == UInt8(ascii: "\"") { out.append("\"\"") } else { out.append(byte: b) }
        }
        if quote { out.append("\"") }
    }
}

/// The MITRE ATT&CK tags of a Sigma rule (`attack.credential-access`, `attack.t1110.003`) as ECS
/// `threat.*` values; group (`attack.g0016`), software (`attack.s0002`) and data source
/// (`attack.ds0005`) tags have no ECS field.
struct Attack {
    var tactics: [String] = []
    var techniques: [String] = []
    var subtechniques: [String] = []
    var isEmpty: Bool { tactics.isEmpty && techniques.isEmpty }

    /// ATT&CK's enterprise tactics, by their Sigma tag.
    static let tacticNames: [String: String] = [
        "reconnaissance": "Reconnaissance", "resource-development": "Resource Development", "initial-access": "Initial Access",
        "execution": "Execution", "persistence": "Persistence", "privilege-escalation": "Privilege Escalation",
        "defense-evasion": "Defense Evasion", "defense-impairment": "Defense Impairment", "credential-access": "Credential Access",
        "discovery": "Discovery", "lateral-movement": "Lateral Movement", "collection": "Collection",
        "command-and-control": "Command and Control", "exfiltration": "Exfiltration", "impact": "Impact",
        "stealth": "Stealth",
    ]

    init(tags: [String]) {
        for tag in tags {
            let lower = tag.lowercased()
            guard lower.hasPrefix("attack.") else { continue }
            let name = String(lower.dropFirst(7))
            if let tactic = Self.tacticNames[name] {
                if !tactics.contains(tactic) { tactics.append(tactic) }
                continue
            }
            // t1110 or t1110.003
            guard name.first == "t", name.count >= 5 else { continue }
            let parts = name.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count <= 2, parts.allSatisfy({ $0.count >= 3 && $0.allSatisfy(\.isNumber) }) else { continue }
            let technique = "T" + parts[0]
            if !techniques.contains(technique) { techniques.append(technique) }
            if parts.count == 2 {
                let sub = technique + "." + parts[1]
                if !subtechniques.contains(sub) { subtechniques.append(sub) }
            }
        }
    }
}
