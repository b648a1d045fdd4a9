import Foundation
import WardCore

/// What `wardwatch report` tells about a set of alerts: counts by level, rule, host, user and source
/// address, the ATT&CK tactics and techniques that fired, correlation alerts with their events, and
/// what an incident notification asks for (first and last malicious activity, systems, accounts, and
/// the patient records involved, counted by pseudonym).
///
/// Built from JSON alerts as wardwatch writes them, flat (`"rule.name"`) or nested (`{"rule":{…}}`).
public struct AlertReport: Sendable {
    public struct RuleRow: Sendable, Equatable {
        public var name: String
        public var id: String
        public var level: AlertLevel
        public var count = 0
        public var first: Int64 = .max
        public var last: Int64 = .min
    }

    public struct Correlation: Sendable, Equatable {
        public var time: Int64
        public var rule: String
        public var level: AlertLevel
        public var type: String
        public var group: [(String, String)]
        public var value: String
        public var windowStart: String
        public var windowEnd: String
        /// Contributing events: time and `file:offset`.
        public var events: [(String, String)]

        public static func == (a: Correlation, b: Correlation) -> Bool {
            a.time == b.time && a.rule == b.rule && a.value == b.value && a.events.map { $0.0 + $0.1 } == b.events.map { $0.0 + $0.1 }
        }
    }

    /// An input file of alerts and how many it held.
    public struct Source: Sendable, Equatable {
        public var path: String
        public var alerts = 0
        public var unreadable = 0
    }

    public var sources: [Source] = []
    /// Inputs that could not be read (path and why): the report says so.
    public var unreadable: [(String, String)] = []
    public var alerts = 0
    public var byLevel: [AlertLevel: Int] = [:]
    public var rules: [String: RuleRow] = [:]
    public var hosts: [String: Int] = [:]
    public var users: [String: Int] = [:]
    public var sourceAddresses: [String: Int] = [:]
    /// Log files the alerts came from.
    public var logFiles: [String: Int] = [:]
    /// Tactic → technique (or sub-technique) → alerts.
    public var attack: [String: [String: Int]] = [:]
    public var correlations: [Correlation] = []
    /// Per dataset, alerts (what kind of records were involved).
    public var datasets: [String: Int] = [:]
    /// Patient pseudonyms (`patient.id`) of alerts on clinical records (HL7, ATNA, FHIR), and how many
    /// alerts each — counted, never named in the report.
    public var patients: [String: Int] = [:]
    public var clinicalAlerts = 0
    /// The most distinct patients one correlation counted (`value_count` of a patient field: one account
    /// opening many records), and how many such correlation alerts there were.
    public var patientsInOneCorrelation = 0
    public var patientCorrelations = 0
    /// Alert times (for the timeline), with their level.
    public var times: [(Int64, AlertLevel)] = []
    public var first: Int64?
    public var last: Int64?
    /// First and last alert of level medium or above: the malicious activity an authority asks about.
    public var firstSerious: Int64?
    public var lastSerious: Int64?

    public init() {}

    /// Adds the alerts of one input (`text`: JSON lines); lines that are not alerts are counted in
    /// the source's `unreadable`, and `problem` is called with their line number.
    public mutating func add(path: String, text: Substring, problem: (Int, String) -> Void) {
        var source = Source(path: path)
        // Lines by their LF (a CR LF file is read the same: "\r\n" is one Character to Swift).
        let lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (n, bytes) in lines.enumerated() {
            let line = Substring(decoding: bytes.last == 0x0D ? bytes.dropLast() : bytes[...], as: UTF8.self)
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let fields = AlertFields.read(line.utf8) else {
                source.unreadable += 1
                problem(n + 1, "not a JSON object")
                continue
            }
            guard let ruleName = fields["rule.name"] as? String else {
                source.unreadable += 1
                problem(n + 1, "not a wardwatch alert (no rule.name)")
                continue
            }
            source.alerts += 1
            add(fields, rule: ruleName)
        }
        sources.append(source)
    }

    static func strings(_ value: Any?) -> [String] {
        if let s = value as? String { return [s] }
        if let a = value as? [Any] { return a.compactMap { $0 as? String } }
        return []
    }

    private mutating func add(_ fields: [String: Any], rule ruleName: String) {
        alerts += 1
        let level = AlertLevel(ruleLevel: fields["rule.level"] as? String)
        byLevel[level, default: 0] += 1
        let key = (fields["rule.id"] as? String ?? "") + "\u{1F}" + ruleName
        var row = rules[key] ?? RuleRow(name: ruleName, id: fields["rule.id"] as? String ?? "", level: level)
        row.count += 1
        let time = AlertFields.nanos(fields["@timestamp"])
        if let time {
            row.first = min(row.first, time)
            row.last = max(row.last, time)
            first = min(first ?? .max, time)
            last = max(last ?? .min, time)
            times.append((time, level))
            if level >= .medium {
                firstSerious = min(firstSerious ?? .max, time)
                lastSerious = max(lastSerious ?? .min, time)
            }
        }
        rules[key] = row
        // Windows events keep their own names (Computer, SubjectUserName, IpAddress); a correlation
        // names its group (user.name=…, source=…).
        let group = (fields["correlation.group"] as? [String: Any] ?? [:]).mapValues { "\($0)" }
        let host = fields["host.hostname"] as? String ?? fields["host.name"] as? String ?? fields["Computer"] as? String
            ?? group.first { $0.key.lowercased().contains("host") || $0.key == "Computer" }?.value
        if let host { hosts[host, default: 0] += 1 }
        var accounts = Self.strings(fields["user.name"])
        if accounts.isEmpty, let subject = fields["SubjectUserName"] as? String ?? fields["TargetUserName"] as? String, subject != "-" {
            accounts = [subject]
        }
        accounts += group.filter { $0.key.lowercased().contains("user") }.map(\.value)
        // A patient acting (a portal login) has a pseudonym for a user name: counted, never listed.
        for user in Set(accounts) {
            if user.hasPrefix("pid:") { patients[user, default: 0] += 1 } else { users[user, default: 0] += 1 }
        }
        var addresses = Self.strings(fields["source.ip"]) + Self.strings(fields["IpAddress"]).filter { $0 != "-" }
        addresses += group.filter { ["source", "source.ip", "src_ip", "ip", "origin"].contains($0.key) }.map(\.value)
        for address in Set(addresses) { sourceAddresses[address, default: 0] += 1 }
        if let file = fields["log.file.path"] as? String { logFiles[file, default: 0] += 1 }
        let dataset = fields["event.dataset"] as? String ?? (fields["correlation.type"] != nil ? "correlation" : "unknown")
        datasets[dataset, default: 0] += 1
        if dataset.hasPrefix("hl7.") || dataset.hasPrefix("fhir.") {
            clinicalAlerts += 1
            for patient in Self.strings(fields["patient.id"]) { patients[patient, default: 0] += 1 }
        }
        let tactics = Self.strings(fields["threat.tactic.name"])
        var techniques = Self.strings(fields["threat.technique.subtechnique.id"])
        for t in Self.strings(fields["threat.technique.id"]) where !techniques.contains(where: { $0.hasPrefix(t + ".") }) {
            techniques.append(t)
        }
        for tactic in tactics {
            if techniques.isEmpty { attack[tactic, default: [:]]["(no technique)", default: 0] += 1 }
            for technique in techniques { attack[tactic, default: [:]][technique, default: 0] += 1 }
        }
        if fields["correlation.type"] as? String == "value_count",
           Self.strings(fields["correlation.field"]).contains(where: { $0.lowercased().contains("patient") }),
           let value = fields["correlation.value"] as? NSNumber {
            patientCorrelations += 1
            patientsInOneCorrelation = max(patientsInOneCorrelation, value.intValue)
        }
        if let type = fields["correlation.type"] as? String {
            let group = (fields["correlation.group"] as? [String: Any] ?? [:]).map { ($0.key, "\($0.value)") }.sorted { $0.0 < $1.0 }
            let events = (fields["correlation.events"] as? [[String: Any]] ?? []).map { event -> (String, String) in
                (event["@timestamp"] as? String ?? "-", "\(event["log.file.path"] as? String ?? "-"):\(event["log.offset"].map { "\($0)" } ?? "-")")
            }
            correlations.append(Correlation(time: time ?? 0, rule: ruleName, level: level, type: type, group: group,
                                            value: fields["correlation.value"].map { "\($0)" } ?? "-",
                                            windowStart: fields["correlation.window.start"] as? String ?? "-",
                                            windowEnd: fields["correlation.window.end"] as? String ?? "-", events: events))
        }
    }

    /// The rules that fired, most severe first, then most frequent.
    public var rankedRules: [RuleRow] {
        rules.values.sorted { a, b in
            if a.level != b.level { return a.level > b.level }
            if a.count != b.count { return a.count > b.count }
            return a.name < b.name
        }
    }

    /// The `limit` largest counts of `counts`, largest first (ties by name).
    public static func top(_ counts: [String: Int], _ limit: Int = 10) -> [(String, Int)] {
        Array(counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit)).map { ($0.key, $0.value) }
    }

    /// ATT&CK's enterprise tactics in their matrix order (those that fired are shown in this order).
    public static let tacticOrder = ["Reconnaissance", "Resource Development", "Initial Access", "Execution", "Persistence",
                                     "Privilege Escalation", "Defense Evasion", "Stealth", "Defense Impairment", "Credential Access",
                                     "Discovery", "Lateral Movement", "Collection", "Command and Control", "Exfiltration", "Impact"]
}
