import Foundation
import Testing
import WardTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Alerts index as they are in Elasticsearch and OpenSearch with the ECS templates: every ECS field
/// wardwatch writes has the type the ECS 8.17 field reference gives it, and every other field is in
/// a namespace of wardwatch's own (README, "Alert fields").
@Suite struct ECSSchemaTests {
    enum ECSType { case keyword, long, ip, date, text, boolean }

    /// Field → type, from the ECS 8.17 field reference (ecs.version, event.*, log.*, host, process,
    /// network, observer, source/destination, user, group, rule, threat, tls).
    static let ecs: [String: ECSType] = [
        "@timestamp": .date, "ecs.version": .keyword, "message": .text, "error.message": .text,
        "event.kind": .keyword, "event.id": .keyword, "event.dataset": .keyword, "event.action": .keyword,
        "event.outcome": .keyword, "event.code": .keyword, "event.original": .keyword, "event.reason": .keyword,
        "event.severity": .long,
        "log.file.path": .keyword, "log.offset": .long, "log.syslog.priority": .long, "log.syslog.facility.code": .long,
        "log.syslog.facility.name": .keyword, "log.syslog.severity.code": .long, "log.syslog.severity.name": .keyword,
        "log.syslog.version": .keyword, "log.syslog.msgid": .keyword, "log.syslog.procid": .keyword,
        "host.hostname": .keyword, "process.name": .keyword, "process.pid": .long,
        "network.transport": .keyword, "network.direction": .keyword, "network.protocol": .keyword,
        "observer.vendor": .keyword, "observer.product": .keyword, "observer.ingress.interface.name": .keyword,
        "observer.egress.interface.name": .keyword,
        "source.ip": .ip, "source.port": .long, "source.bytes": .long, "source.address": .keyword, "source.domain": .keyword,
        "source.nat.ip": .ip, "source.nat.port": .long, "source.user.name": .keyword,
        "destination.ip": .ip, "destination.port": .long, "destination.bytes": .long, "destination.address": .keyword,
        "destination.nat.ip": .ip, "destination.nat.port": .long, "destination.user.name": .keyword,
        "user.name": .keyword, "user.id": .keyword, "user.effective.name": .keyword, "user.effective.id": .keyword,
        "user.target.name": .keyword, "group.name": .keyword, "group.id": .keyword,
        "rule.id": .keyword, "rule.name": .keyword, "rule.author": .keyword, "rule.reference": .keyword, "rule.ruleset": .keyword,
        "threat.framework": .keyword, "threat.tactic.name": .keyword, "threat.technique.id": .keyword,
        "threat.technique.subtechnique.id": .keyword, "tls.established": .boolean,
        "log.level": .keyword, "log.logger": .keyword, "log.origin.file.line": .long, "process.thread.id": .long,
        "process.thread.name": .keyword,
    ]

    /// wardwatch's own fields and namespaces (not ECS; named so as not to clash with it).
    static let ownPrefixes = ["patient.", "hl7.", "atna.", "fhir.", "netfilter.", "fortinet.", "juniper.", "checkpoint.", "sophos.", "sonicwall.", "cisco.", "panw.", "pfsense.",
                              "cef.", "leef.", "kv.", "system.auth.", "correlation.", "suppression.", "log.syslog.structured_data.",
                              // Columns of the shipped Loghub site formats that ECS has no name for.
                              "bgl.", "hpc.", "openstack.", "supercomputer."]
    static let ownFields: Set<String> = ["log.flags", "log.source.address", "log.source.port", "rule.level", "rule.tags", "rule.matched",
                                         "rule.evaluation_error", "observer.rule.name", "observer.rule.id", "source.nat.address",
                                         "destination.nat.address", "correlation.group"]

    static func conforms(_ value: Any, to type: ECSType) -> Bool {
        // null is "absent" for every type (a rule without an author: "rule.author":null).
        if value is NSNull { return true }
        switch type {
        case .keyword:
            return value is String || (value as? [Any])?.allSatisfy { $0 is String } == true
        case .text:
            return value is String
        case .long:
            // (Foundation on Linux bridges 0 and 1 to Bool as well: the text tells.)
            return value is NSNumber && "\(value)".range(of: #"^-?\d+$"#, options: .regularExpression) != nil
        case .boolean:
            return value is NSNumber && ["true", "false"].contains("\(value)")
        case .date:
            return (value as? String)?.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#, options: .regularExpression) != nil
        case .ip:
            guard let text = value as? String else { return false }
            var address = in6_addr()
            return inet_pton(text.contains(":") ? AF_INET6 : AF_INET, text, &address) == 1
        }
    }

    /// Checks every member of every JSON line; returns the problems (at most one per key).
    static func problems(_ lines: [Substring], ownKeysOnly: Bool) -> [String] {
        var seen = Set<String>()
        var found: [String] = []
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                found.append("not a JSON object: \(line.prefix(120))")
                continue
            }
            // JSON-lines inputs keep their own keys; only the ECS ones among them are checked.
            let foreign = ["json", "windows.eventlog"].contains(object["event.dataset"] as? String ?? "")
            for (key, value) in object where !seen.contains(key) {
                if let type = ecs[key] {
                    if !conforms(value, to: type) {
                        seen.insert(key)
                        found.append("\(key): \(value) is not \(type)")
                    }
                } else if !foreign && ownKeysOnly && !ownFields.contains(key) && !ownPrefixes.contains(where: key.hasPrefix) {
                    seen.insert(key)
                    found.append("\(key): neither ECS nor a wardwatch namespace")
                }
            }
        }
        return found
    }

    @Test func sampleLogAlertsHaveECSTypes() throws {
        let run = try wardwatch(["scan", "-q", "--year", "2026", "SampleLogs"])
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 52)
        #expect(Self.problems(lines, ownKeysOnly: true) == [])
    }

    /// Every event of the public samples (75,000 lines of syslog, firewalls, HL7, ATNA, FHIR, auditd,
    /// OSSEC, Loghub …): a value a parser found where an address belongs (`device`,
    /// `81.2.69.195(LOCAL\esurbey`) is written as `source.address`, never as `source.ip`.
    @Test(.needsShared) func publicSampleEventsHaveECSTypes() throws {
        let run = try wardwatch(["parse", "--year", "2026", "../shared/samples"])
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count > 70_000)
        #expect(Self.problems(lines, ownKeysOnly: true) == [])
        #expect(run.stdout.contains(#""source.address":"device""#))
    }

    /// `--json-style nested`: the same alerts as ECS objects; flattened again, each is its flat alert.
    @Test func nestedAlertsAreTheFlatOnesAsObjects() throws {
        let flat = try wardwatch(["scan", "-q", "--year", "2026", "SampleLogs"]).stdout.split(separator: "\n")
        let nested = try wardwatch(["scan", "-q", "--year", "2026", "--json-style", "nested", "SampleLogs"]).stdout.split(separator: "\n")
        #expect(nested.count == flat.count)
        func flatten(_ object: [String: Any], _ prefix: String, into out: inout [String: String]) {
            for (key, value) in object {
                let name = prefix.isEmpty ? key : prefix + "." + key
                // correlation.group and correlation.events hold objects of their own in flat alerts too.
                if let child = value as? [String: Any], name != "correlation.group" {
                    flatten(child, name, into: &out)
                } else {
                    out[name] = String(decoding: try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
                }
            }
        }
        for (a, b) in zip(flat, nested) {
            let f = try JSONSerialization.jsonObject(with: Data(a.utf8)) as! [String: Any]
            let n = try JSONSerialization.jsonObject(with: Data(b.utf8)) as! [String: Any]
            var left: [String: String] = [:], right: [String: String] = [:]
            flatten(f, "", into: &left)
            flatten(n, "", into: &right)
            #expect(left == right)
            #expect((n["rule"] as? [String: Any])?["ruleset"] as? String == "sigma")
            #expect((n["event"] as? [String: Any])?["kind"] as? String == "alert")
            #expect(n["rule.name"] == nil && n["@timestamp"] is String)
        }
        let usage = try wardwatch(["scan", "--json-style", "nested", "-f", "csv", "SampleLogs"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("'--json-style nested' is for '--format json', not 'csv'."))
    }

    /// A JSON line that carries the alert's own keys (rule.level, event.kind, log.offset) or repeats a
    /// key: its keys go under `json.`, duplicates are written once — it cannot lower its alert's level
    /// (readers take the last of duplicate keys) or make a document Elasticsearch refuses.
    @Test func aJSONLineCannotShadowItsAlertsKeys() throws {
        let folder = try Paths.temporaryDirectory()
        try "title: JSON test rule\nid: 11111111-2222-4333-8444-555555555555\nlogsource: {product: linux}\ndetection:\n    selection:\n        message|contains: 'evil'\n    condition: selection\nlevel: high\n"
            .write(to: folder.appendingPathComponent("rule.yml"), atomically: true, encoding: .utf8)
        let mappings = folder.appendingPathComponent("mappings")
        try FileManager.default.createDirectory(at: mappings, withIntermediateDirectories: true)
        try "title: json\nsources:\n  - logsource: {product: linux}\n    events:\n      event.dataset: [json]\n"
            .write(to: mappings.appendingPathComponent("json.yml"), atomically: true, encoding: .utf8)
        let input = folder.appendingPathComponent("in.jsonl")
        try #"{"message":"evil thing","rule.level":"informational","event.kind":"event","host":{"hostname":"a"},"host.hostname":"b","log.offset":5,"x.y":1,"x.y":2}"#
            .write(to: input, atomically: true, encoding: .utf8)
        let run = try wardwatch(["scan", "-q", "-r", folder.appendingPathComponent("rule.yml").path, "--mappings", mappings.path, input.path])
        let line = run.stdout.trimmingCharacters(in: .newlines)
        let keys = line.matches(of: /[{,]"([^"]+)":/).map { String($0.1) }
        #expect(keys.count == Set(keys).count, "\(keys)")
        let alert = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        #expect(alert["rule.level"] as? String == "high" && alert["event.kind"] as? String == "alert")
        #expect(alert["json.rule.level"] as? String == "informational" && alert["json.event.kind"] as? String == "event")
        #expect(alert["json.log.offset"] as? Int == 5 && alert["log.offset"] as? Int == 0)
        #expect(alert["host.hostname"] as? String == "a" && alert["x.y"] as? Int == 1)
        #expect(Self.problems([Substring(line)], ownKeysOnly: false) == [])
    }
}
