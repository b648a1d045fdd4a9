import Foundation
import Testing
import WardCore
import WardDetect
import WardIngest
import WardOutput
import WardParse
import WardPipeline
import WardRules
import WardTestSupport

/// Base rules over JSON-lines test events (`{"@timestamp":…,"action":…}`), one per action.
let baseRules = """
    title: Failed sign-in
    id: 0f6c6a3e-1c2d-4e5f-8a9b-000000000001
    name: failed_signin
    logsource: {product: test}
    detection: {selection: {action: failed}, condition: selection}
    level: low
    ---
    title: Successful sign-in
    id: 0f6c6a3e-1c2d-4e5f-8a9b-000000000002
    name: signin_ok
    logsource: {product: test}
    detection: {selection: {action: success}, condition: selection}
    level: low
    ---
    title: Step A
    name: step_a
    logsource: {product: test}
    detection: {selection: {action: a}, condition: selection}
    ---
    title: Step B
    name: step_b
    logsource: {product: test}
    detection: {selection: {action: b}, condition: selection}
    ---
    title: Step C
    name: step_c
    logsource: {product: test}
    detection: {selection: {action: c}, condition: selection}
    ---
    title: Transfer
    name: transfer
    logsource: {product: test}
    detection: {selection: {action: xfer}, condition: selection}
    ---
    title: Firewall deny
    name: fw_deny
    logsource: {product: test}
    detection: {selection: {action: deny}, condition: selection}

    """

/// The result of a run: every output line as JSON, and the stages' counts.
struct Correlated {
    var lines: [[String: Any]]
    var statistics: CorrelationStatistics?
    var suppressed: [Int]
    var output: String

    /// Correlation alerts of the correlation with this title.
    func alerts(_ title: String) -> [[String: Any]] {
        lines.filter { $0["rule.name"] as? String == title && $0["correlation.type"] != nil }
    }
    /// Alerts of a detection rule (not correlation alerts or follow-ups).
    func ruleAlerts(_ title: String) -> [[String: Any]] {
        lines.filter { $0["rule.name"] as? String == title && $0["correlation.type"] == nil && $0["suppression.count"] == nil }
    }
    var followUps: [[String: Any]] { lines.filter { $0["suppression.count"] != nil } }
}

/// `2026-11-22T08:00:00Z` plus `seconds` (and `nanos`).
func at(_ seconds: Int, nanos: Int = 0) -> String {
    let base = referenceNanos("2026-11-22T08:00:00Z") + Int64(seconds) * 1_000_000_000 + Int64(nanos)
    var bytes: [UInt8] = []
    TimestampFormat.appendRFC3339(base, to: &bytes)
    if nanos != 0 {
        // Nanosecond precision: the formatter writes milliseconds.
        let text = String(decoding: bytes, as: UTF8.self)
        return String(text.dropLast(5)) + String(format: "%09dZ", (base % 1_000_000_000 + 1_000_000_000) % 1_000_000_000)
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// An output line with its references to events (which name files and offsets) reduced to times,
/// and without what names its file and offset (an event's alert's `event.id` hashes them).
func strip(_ alert: [String: Any]) -> String {
    var a = alert
    if alert["log.offset"] != nil { a["event.id"] = nil }
    a["correlation.events"] = (alert["correlation.events"] as? [[String: Any]])?.map { $0["@timestamp"] as! String }
    a["log.offset"] = nil
    a["log.file.path"] = nil
    return String(decoding: try! JSONSerialization.data(withJSONObject: a, options: [.sortedKeys]), as: UTF8.self)
}

/// One JSON event at `seconds` after 08:00 with `fields`.
func event(_ seconds: Int, nanos: Int = 0, _ fields: [String: Any]) -> String {
    var object = fields
    object["@timestamp"] = at(seconds, nanos: nanos)
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

func correlate(_ correlations: String, _ events: [String], files: [[String]]? = nil, threads: Int = 2,
               suppress: [String] = [], settings: CorrelationSettings = CorrelationSettings(),
               reorderWindow: Int64 = 60_000_000_000, state: String? = nil, last: Bool = false,
               withBaseRules: Bool = true) throws -> Correlated {
    let dir = try Paths.temporaryDirectory()
    try ((withBaseRules ? baseRules + "---\n" : "") + correlations).write(to: dir.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
    var mappings = MappingSet()
    mappings.add(yaml: """
        title: test
        sources:
          - logsource: {product: test}
            events: {event.dataset: [json]}
          - logsource: {category: test}
            events: {event.dataset: [json]}
        """, file: "test.yml")
    let collection = RuleLoader.load(paths: [dir.appendingPathComponent("rules.yml").path], options: RuleLoadOptions(mappings: mappings))
    #expect(collection.errors.isEmpty, "\(collection.errors)")
    var paths: [String] = []
    for (i, lines) in (files ?? [events]).enumerated() {
        let path = dir.appendingPathComponent("events-\(i).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        paths.append(path)
    }
    let ruleSet = RuleSet(collection.rules)
    let engine = DetectionEngine(ruleSet: ruleSet)
    let out = dir.appendingPathComponent("out.jsonl")
    let sinks = try AlertSinks(output: out.path)
    let parser = EventParser(options: ParseOptions())
    let (inputs, _) = PipelineInput.files(paths, options: IngestOptions(framing: parser.framing))
    var configuration = PipelineConfiguration(inputs: inputs, parser: parser, engine: engine,
                                              encoding: .alerts(AlertEncoder(ruleSet: ruleSet)), sinks: sinks, threads: threads)
    configuration.order = .eventTime
    configuration.reorderWindow = reorderWindow
    configuration.chunkSize = 256
    let stages = try DetectionStages(rules: ruleSet.rules.map(\.rule), correlations: collection.correlations,
                                     suppress: suppress.compactMap(SuppressionSpec.parseOption), names: SourceNames(inputs.map(\.name)),
                                     settings: settings)
    stages.install(in: &configuration)
    if let state {
        // The last of a chain of runs closes its windows (as a run without state does).
        stages.suppression?.keepsWindowsOpen = !last
        if let snapshot = try StateSnapshot.read(state) {
            _ = stages.correlation?.restore(from: snapshot)
            _ = stages.suppression?.restore(from: snapshot)
        }
    }
    _ = Pipeline(configuration).run()
    if let state {
        var snapshot = StateSnapshot()
        stages.correlation?.save(into: &snapshot)
        stages.suppression?.save(into: &snapshot)
        try snapshot.write(to: state)
    }
    sinks.close()
    // Paths name a fresh folder per run: written as DIR, and an event's alert's `event.id` (a hash of
    // its path and offset) as ID, so that runs compare.
    let text = try String(contentsOf: out, encoding: .utf8).replacingOccurrences(of: dir.path, with: "DIR")
        .split(separator: "\n", omittingEmptySubsequences: false).map { line in maskEventID(String(line)) }.joined(separator: "\n")
    let lines = text.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    return Correlated(lines: lines, statistics: stages.correlation?.statistics, suppressed: stages.suppression?.suppressed ?? [],
                      output: text)
}

let bruteForce = """
    title: Brute force
    name: brute_force
    correlation:
        type: event_count
        rules: [failed_signin]
        group-by: [source.ip]
        timespan: 60s
        condition: {gte: 3}
    level: high

    """

@Suite struct CorrelationWindowTests {
    /// The window is [t - timespan, t], inclusive at the old edge: events at 0, 30 and exactly 60 s
    /// are three in one window; one nanosecond later the first has left it.
    @Test func theOldEdgeIsInclusive() throws {
        let ip = ["action": "failed", "source.ip": "10.0.0.1"]
        let exact = try correlate(bruteForce, [event(0, ip), event(30, ip), event(60, ip)])
        #expect(exact.alerts("Brute force").count == 1)
        let alert = try #require(exact.alerts("Brute force").first)
        #expect(alert["@timestamp"] as? String == at(60))
        #expect(alert["correlation.value"] as? Int == 3)
        #expect(alert["correlation.window.start"] as? String == at(0))
        #expect(alert["correlation.window.end"] as? String == at(60))
        #expect(alert["correlation.group"] as? [String: String] == ["source.ip": "10.0.0.1"])
        #expect(alert["correlation.rules"] as? [String] == ["0f6c6a3e-1c2d-4e5f-8a9b-000000000001"])
        #expect(alert["correlation.timespan"] as? String == "60s")
        #expect(alert["rule.level"] as? String == "high")
        let refs = try #require(alert["correlation.events"] as? [[String: Any]])
        let length = event(0, ip).utf8.count + 1
        #expect(refs.map { $0["log.offset"] as? Int } == [0, length, 2 * length])
        #expect(refs.map { $0["log.file.path"] as? String } == ["DIR/events-0.jsonl", "DIR/events-0.jsonl", "DIR/events-0.jsonl"])
        // The base rule does not generate: no alerts of its own.
        #expect(exact.ruleAlerts("Failed sign-in").isEmpty)

        let over = try correlate(bruteForce, [event(0, ip), event(30, ip), event(60, nanos: 1, ip)])
        #expect(over.alerts("Brute force").isEmpty)
    }

    @Test func groupsAreIsolatedAndAMissingGroupFieldBelongsToNoGroup() throws {
        let a = ["action": "failed", "source.ip": "10.0.0.1"]
        let b = ["action": "failed", "source.ip": "10.0.0.2"]
        let none = ["action": "failed"]
        let run = try correlate(bruteForce, [event(0, a), event(1, b), event(2, a), event(3, none), event(4, none), event(5, b)])
        #expect(run.alerts("Brute force").isEmpty)
        #expect(run.statistics?.ungrouped == 2)
        #expect(run.statistics?.events == 6)
        let third = try correlate(bruteForce, [event(0, a), event(1, b), event(2, a), event(3, none), event(5, a)])
        #expect(third.alerts("Brute force").map { $0["correlation.group"] as? [String: String] } == [["source.ip": "10.0.0.1"]])
    }

    @Test func compositeKeysGroupByEveryField() throws {
        let rule = bruteForce.replacingOccurrences(of: "group-by: [source.ip]", with: "group-by: [source.ip, user.name]")
        let run = try correlate(rule, [
            event(0, ["action": "failed", "source.ip": "10.0.0.1", "user.name": "alice"]),
            event(1, ["action": "failed", "source.ip": "10.0.0.1", "user.name": "bob"]),
            event(2, ["action": "failed", "source.ip": "10.0.0.1", "user.name": "alice"]),
            event(3, ["action": "failed", "source.ip": "10.0.0.1", "user.name": "alice"]),
        ])
        let alerts = run.alerts("Brute force")
        #expect(alerts.count == 1)
        #expect(alerts.first?["correlation.group"] as? [String: String] == ["source.ip": "10.0.0.1", "user.name": "alice"])
    }

    /// After firing, a group stays quiet while its window still meets the condition; once the window
    /// no longer meets it, it may fire again.
    @Test func aGroupFiresOncePerBurst() throws {
        let ip = ["action": "failed", "source.ip": "10.0.0.1"]
        let burst = (0..<6).map { event($0, ip) }
        let later = (200..<203).map { event($0, ip) }
        let run = try correlate(bruteForce, burst + later)
        #expect(run.alerts("Brute force").map { $0["@timestamp"] as? String } == [at(2), at(202)])
    }

    @Test func rangeConditionsNeedBothBounds() throws {
        let rule = bruteForce.replacingOccurrences(of: "condition: {gte: 3}", with: "condition: {gt: 1, lte: 2}")
        let ip = ["action": "failed", "source.ip": "10.0.0.1"]
        let run = try correlate(rule, [event(0, ip), event(1, ip), event(2, ip), event(3, ip)])
        // Two events: in range (fires); three and four: above it.
        #expect(run.alerts("Brute force").map { $0["correlation.value"] as? Int } == [2])
        let neq = bruteForce.replacingOccurrences(of: "condition: {gte: 3}", with: "condition: {neq: 1}")
        let once = try correlate(neq, [event(0, ip)])
        #expect(once.alerts("Brute force").isEmpty)
        let twice = try correlate(neq, [event(0, ip), event(1, ip)])
        #expect(twice.alerts("Brute force").map { $0["correlation.value"] as? Int } == [2])
    }

    @Test func eventsWithoutTimeFeedNoCorrelation() throws {
        let untimed = #"{"action":"failed","source.ip":"10.0.0.1"}"#
        let ip = ["action": "failed", "source.ip": "10.0.0.1"]
        let run = try correlate(bruteForce, [event(0, ip), untimed, untimed, event(1, ip)])
        #expect(run.alerts("Brute force").isEmpty)
        #expect(run.statistics?.untimed == 2)
    }

    /// An event older than its group's newest minus --max-lateness is counted and ignored; the
    /// output stays in order and nothing crashes.
    @Test func lateEventsAreCountedAndIgnored() throws {
        var settings = CorrelationSettings()
        settings.maxLateness = 10_000_000_000
        let ip = ["action": "failed", "source.ip": "10.0.0.1"]
        // One input, out of order by 50 s; a reorder window of 0 passes it on as it came.
        let rule = bruteForce.replacingOccurrences(of: "timespan: 60s", with: "timespan: 5m")
        let run = try correlate(rule, [event(100, ip), event(50, ip), event(101, ip)], settings: settings, reorderWindow: 0)
        #expect(run.statistics?.late == 1)
        #expect(run.alerts("Brute force").isEmpty)
        settings.maxLateness = 60_000_000_000
        let inTime = try correlate(rule, [event(100, ip), event(50, ip), event(101, ip)], settings: settings, reorderWindow: 0)
        #expect(inTime.statistics?.late == 0)
        #expect(inTime.alerts("Brute force").count == 1)
    }

    @Test func outputDoesNotDependOnThreadsOrOnHowInputsAreSplit() throws {
        var lines: [String] = []
        var byHost: [[String]] = [[], [], []]
        for i in 0..<300 {
            let line = event(i * 7 % 1000 + i, ["action": i % 5 == 0 ? "success" : "failed", "source.ip": "10.0.0.\(i % 4)",
                                                "user.name": "u\(i % 9)"])
            lines.append(line)
            byHost[i % 3].append(line)
        }
        // Each file in time order, as a host writes it.
        let time: (String) -> String = { $0.components(separatedBy: "\"@timestamp\":\"")[1] }
        lines.sort { time($0) < time($1) }
        byHost = byHost.map { $0.sorted { time($0) < time($1) } }
        let rules = bruteForce + """
            ---
            title: Spray
            correlation:
                type: value_count
                rules: [failed_signin]
                group-by: [source.ip]
                timespan: 2m
                condition: {field: user.name, gte: 4}
            """
        let one = try correlate(rules, lines, threads: 1)
        let four = try correlate(rules, lines, threads: 4)
        #expect(one.output == four.output)
        #expect(one.alerts("Brute force").count > 3)
        #expect(one.alerts("Spray").count > 3)
        let split = try correlate(rules, [], files: byHost, threads: 2)
        #expect(split.lines.filter { $0["correlation.type"] != nil }.map(strip) == one.lines.filter { $0["correlation.type"] != nil }.map(strip))
    }

    /// At the group cap the stalest groups are evicted and counted: the state stays bounded.
    @Test func groupsAreBounded() throws {
        var settings = CorrelationSettings()
        settings.maxGroups = 10
        let lines = (0..<100).map { event($0, ["action": "failed", "source.ip": "10.0.1.\($0)"]) }
        let run = try correlate(bruteForce, lines, settings: settings)
        let stats = try #require(run.statistics)
        #expect(stats.peakGroups == 10)
        #expect(stats.evictedGroups > 0)
        #expect(stats.evictedGroups <= 90)
    }
}

@Suite struct CorrelationTypeTests {
    /// A regression of a peer (2026): value_count counted a value whose only event had left the window.
    @Test func valueCountCountsDistinctValuesInsideTheWindowOnly() throws {
        let rule = """
            title: Spray
            correlation:
                type: value_count
                rules: [failed_signin]
                group-by: [source.ip]
                timespan: 60s
                condition: {field: user.name, gte: 3}
            """
        func failed(_ t: Int, _ user: String) -> String { event(t, ["action": "failed", "source.ip": "10.0.0.9", "user.name": user]) }
        let old = try correlate(rule, [failed(0, "u1"), failed(70, "u2"), failed(80, "u3"), failed(81, "u2")])
        #expect(old.alerts("Spray").isEmpty)
        let run = try correlate(rule, [failed(0, "u1"), failed(10, "u1"), failed(20, "u2"), failed(30, "u3")])
        #expect(run.alerts("Spray").map { $0["correlation.value"] as? Int } == [3])
        #expect(run.alerts("Spray").first?["correlation.event_count"] as? Int == 4)
    }

    @Test func valueCountTakesCompositeValues() throws {
        let rule = """
            title: Spread
            correlation:
                type: value_count
                rules: [failed_signin]
                group-by: [source.ip]
                timespan: 60s
                condition: {field: [user.name, host.name], gte: 3}
            """
        func failed(_ t: Int, _ user: String, _ host: String) -> String {
            event(t, ["action": "failed", "source.ip": "10.0.0.9", "user.name": user, "host.name": host])
        }
        let run = try correlate(rule, [failed(0, "u1", "h1"), failed(1, "u1", "h2"), failed(2, "u2", "h1"), failed(3, "u1", "h1")])
        #expect(run.alerts("Spread").map { $0["correlation.value"] as? Int } == [3])
    }

    /// A regression of a peer (2026): temporal correlations ignored group-by across rules.
    @Test func temporalNeedsEveryRuleInTheSameGroup() throws {
        let rule = """
            title: Recon
            correlation:
                type: temporal
                rules: [step_a, step_b]
                group-by: [user.name]
                timespan: 5m
            level: medium
            """
        let split = try correlate(rule, [event(0, ["action": "a", "user.name": "alice"]), event(1, ["action": "b", "user.name": "bob"])])
        #expect(split.alerts("Recon").isEmpty)
        let same = try correlate(rule, [event(0, ["action": "b", "user.name": "alice"]), event(1, ["action": "a", "user.name": "alice"])])
        let alert = try #require(same.alerts("Recon").first)
        #expect(same.alerts("Recon").count == 1)
        #expect(alert["correlation.value"] as? Int == 2)
        #expect((alert["correlation.rules"] as? [String])?.sorted() == ["step_a", "step_b"])
        let outside = try correlate(rule, [event(0, ["action": "a", "user.name": "alice"]), event(400, ["action": "b", "user.name": "alice"])])
        #expect(outside.alerts("Recon").isEmpty)
    }

    @Test func temporalStringConditionsCanExcludeARule() throws {
        let rule = """
            title: A without C
            correlation:
                type: temporal
                rules: [step_a, step_b, step_c]
                group-by: [user.name]
                timespan: 5m
                condition: step_a and step_b and not step_c
            """
        let withC = try correlate(rule, [event(0, ["action": "c", "user.name": "alice"]), event(1, ["action": "a", "user.name": "alice"]),
                                         event(2, ["action": "b", "user.name": "alice"])])
        #expect(withC.alerts("A without C").isEmpty)
        let without = try correlate(rule, [event(1, ["action": "a", "user.name": "alice"]), event(2, ["action": "b", "user.name": "alice"])])
        #expect(without.alerts("A without C").count == 1)
    }

    /// A regression of a peer (2026): temporal_ordered accepted A → C → B for A → B → C.
    @Test func temporalOrderedFollowsTheWholeOrder() throws {
        let rule = """
            title: Kill chain
            correlation:
                type: temporal_ordered
                rules: [step_a, step_b, step_c]
                group-by: [host.name]
                timespan: 5m
            """
        func step(_ t: Int, _ s: String) -> String { event(t, ["action": s, "host.name": "ws-12"]) }
        let wrong = try correlate(rule, [step(0, "a"), step(1, "c"), step(2, "b")])
        #expect(wrong.alerts("Kill chain").isEmpty)
        let right = try correlate(rule, [step(0, "a"), step(1, "c"), step(2, "b"), step(3, "c")])
        #expect(right.alerts("Kill chain").map { $0["@timestamp"] as? String } == [at(3)])
        let reversed = try correlate(rule, [step(0, "c"), step(1, "b"), step(2, "a")])
        #expect(reversed.alerts("Kill chain").isEmpty)
        // Equal times count as ordered, whichever arrived first.
        let tie = try correlate(rule, [step(0, "b"), step(0, "a"), step(1, "c")])
        #expect(tie.alerts("Kill chain").count == 1)
        // The first step must lie inside the window of the last.
        let stale = try correlate(rule, [step(0, "a"), step(200, "b"), step(301, "c")])
        #expect(stale.alerts("Kill chain").isEmpty)
    }

    @Test func valueSumAvgPercentileAndMedian() throws {
        let rules = """
            title: Volume
            correlation:
                type: value_sum
                rules: [transfer]
                group-by: [source.ip]
                timespan: 10m
                condition: {field: source.bytes, gt: 1000}
            ---
            title: Average
            correlation:
                type: value_avg
                rules: [transfer]
                group-by: [source.ip]
                timespan: 10m
                condition: {field: source.bytes, gte: 400}
            ---
            title: P90
            correlation:
                type: value_percentile
                rules: [transfer]
                group-by: [source.ip]
                timespan: 10m
                condition: {field: source.bytes, percentile: 90, gte: 900}
            ---
            title: Median
            correlation:
                type: value_median
                rules: [transfer]
                group-by: [source.ip]
                timespan: 10m
                condition: {field: source.bytes, gte: 300}
            """
        func xfer(_ t: Int, _ bytes: Any) -> String { event(t, ["action": "xfer", "source.ip": "10.9.9.9", "source.bytes": bytes]) }
        let run = try correlate(rules, [xfer(0, 100), xfer(1, 200), xfer(2, "n/a"), xfer(3, 900), xfer(4, 300)])
        // Sums: 100, 300, 1200 (fires at 3 s).
        #expect(run.alerts("Volume").map { $0["correlation.value"] as? Int } == [1200])
        #expect(run.alerts("Volume").first?["@timestamp"] as? String == at(3))
        // Averages: 100, 150, 400 (fires), 375.
        #expect(run.alerts("Average").map { $0["correlation.value"] as? Int } == [400])
        // Nearest-rank 90th percentile of [100, 200, 900] is 900.
        #expect(run.alerts("P90").map { $0["correlation.value"] as? Int } == [900])
        // Medians: 100, 100, 200, 200 (lower middle of [100, 200, 300, 900]): never 300.
        #expect(run.alerts("Median").isEmpty)
        #expect(run.statistics?.withoutValue == 4)
    }
}

@Suite struct CorrelationChainTests {
    /// Aliases map one group-by name to each rule's own field.
    @Test func aliasesJoinDifferentFields() throws {
        let rule = """
            title: Scan then sign-in
            correlation:
                type: temporal
                rules: [fw_deny, signin_ok]
                group-by: [attacker]
                timespan: 10m
                aliases:
                    attacker:
                        fw_deny: source.ip
                        signin_ok: client.address
            """
        let run = try correlate(rule, [event(0, ["action": "deny", "source.ip": "203.0.113.5"]),
                                       event(60, ["action": "success", "client.address": "203.0.113.5"])])
        #expect(run.alerts("Scan then sign-in").map { $0["correlation.group"] as? [String: String] } == [["attacker": "203.0.113.5"]])
        let other = try correlate(rule, [event(0, ["action": "deny", "source.ip": "203.0.113.5"]),
                                         event(60, ["action": "success", "client.address": "203.0.113.6"])])
        #expect(other.alerts("Scan then sign-in").isEmpty)
    }

    /// event_count → temporal_ordered: password guessing followed by a successful sign-in. The inner
    /// correlation and the base rules do not generate; the outer alert is the only output.
    @Test func aCorrelationOfACorrelation() throws {
        let rules = bruteForce + """
            ---
            title: Guessed
            correlation:
                type: temporal_ordered
                rules: [brute_force, signin_ok]
                group-by: [source.ip]
                timespan: 10m
            level: critical
            """
        let ip = "198.51.100.7"
        var lines = (0..<4).map { event($0, ["action": "failed", "source.ip": ip]) }
        lines.append(event(30, ["action": "success", "source.ip": ip]))
        lines.append(event(31, ["action": "success", "source.ip": "10.1.1.1"]))
        let run = try correlate(rules, lines)
        #expect(run.alerts("Guessed").count == 1)
        #expect(run.alerts("Guessed").first?["@timestamp"] as? String == at(30))
        #expect(run.alerts("Guessed").first?["correlation.rules"] as? [String] == ["brute_force", "0f6c6a3e-1c2d-4e5f-8a9b-000000000002"])
        #expect(run.alerts("Brute force").isEmpty)
        #expect(run.ruleAlerts("Failed sign-in").isEmpty)
        #expect(run.ruleAlerts("Successful sign-in").isEmpty)
        #expect(run.lines.count == 1)
        #expect(run.statistics?.fired == [1, 1])
    }

    @Test func generateTrueKeepsTheReferencedRulesAlerts() throws {
        let rule = bruteForce.replacingOccurrences(of: "    condition: {gte: 3}", with: "    condition: {gte: 3}\n    generate: true")
        let ip = ["action": "failed", "source.ip": "10.0.0.1"]
        let run = try correlate(rule, [event(0, ip), event(1, ip), event(2, ip)])
        #expect(run.ruleAlerts("Failed sign-in").count == 3)
        #expect(run.alerts("Brute force").count == 1)
        // Written in order: the third event's alert, then the correlation it completed.
        #expect(run.lines.map { $0["rule.name"] as? String } == ["Failed sign-in", "Failed sign-in", "Failed sign-in", "Brute force"])
    }

    @Test func levelsBelowMinimumStillFeedCorrelations() throws {
        var settings = CorrelationSettings()
        settings.minimumLevel = .high
        let rule = bruteForce.replacingOccurrences(of: "    condition: {gte: 3}", with: "    condition: {gte: 3}\n    generate: true")
        let ip = ["action": "failed", "source.ip": "10.0.0.1"]
        // --min-level drops the low base rule's alerts on the workers; the correlation still counts them.
        let run = try correlate(rule, [event(0, ip), event(1, ip), event(2, ip)], settings: settings)
        #expect(run.alerts("Brute force").count == 1)
    }
}

/// The correlation examples of the Sigma specification's schema folder, loaded from `../shared`, with
/// base rules of the ids and names they reference, fed the sequences their titles describe.
@Suite(.needsShared) struct SpecificationExampleTests {
    static let referenced = """
        title: Failed logon
        id: 5638f7c0-ac70-491d-8465-2a65075e0d86
        logsource: {product: test}
        detection: {selection: {action: failed_logon}, condition: selection}
        ---
        title: Recon A
        name: recon_cmd_a
        logsource: {product: test}
        detection: {selection: {action: whoami}, condition: selection}
        ---
        title: Recon B
        name: recon_cmd_b
        logsource: {product: test}
        detection: {selection: {action: ipconfig}, condition: selection}
        ---
        title: Recon C
        name: recon_cmd_c
        logsource: {product: test}
        detection: {selection: {action: netstat}, condition: selection}
        ---
        title: Network traffic
        name: rule_a_id
        logsource: {product: test}
        detection: {selection: {action: traffic}, condition: selection}
        ---
        title: Website access
        name: website_access
        logsource: {product: test}
        detection: {selection: {action: web}, condition: selection}
        ---
        title: Process creation
        name: process_creation
        logsource: {product: test}
        detection: {selection: {action: process}, condition: selection}

        """

    func example(_ name: String) throws -> String {
        try String(contentsOf: Paths.shared.appendingPathComponent("sigma-oracle/spec-schema-examples/correlation/\(name).yml"), encoding: .utf8)
    }

    func run(_ name: String, _ lines: [String]) throws -> Correlated {
        try correlate(Self.referenced + "---\n" + example(name), lines)
    }

    @Test func eventCountFiresAtTheHundredthFailedLogonOfAComputerWithinAnHour() throws {
        let logon = { (t: Int, host: String) in event(t, ["action": "failed_logon", "ComputerName": host]) }
        let hundred = try run("event_count", (0..<100).map { logon($0 * 30, "WS-1") } + (0..<99).map { logon($0 * 30 + 1, "WS-2") })
        #expect(hundred.alerts("Many failed logins").map { $0["@timestamp"] as? String } == [at(99 * 30)])
        #expect(hundred.alerts("Many failed logins").first?["correlation.group"] as? [String: String] == ["ComputerName": "WS-1"])
        // Spread over more than an hour: never 100 in one window.
        let slow = try run("event_count", (0..<150).map { logon($0 * 37, "WS-1") })
        #expect(slow.alerts("Many failed logins").isEmpty)
        let ecs = try correlate(Self.referenced + "---\n" + example("event_count_ecs"),
                                (0..<100).map { event($0, ["action": "failed_logon", "dns.question.name": "evil.example"]) })
        #expect(ecs.alerts("Many failed logins").count == 1)
    }

    @Test func valueCountFiresAtTheHundredthDistinctUserOfAComputerAndWorkstation() throws {
        let logon = { (t: Int, user: String) in
            event(t, ["action": "failed_logon", "ComputerName": "DC-1", "WorkstationName": "WS-7", "User": user])
        }
        let run = try run("value_count", (0..<150).map { logon($0 * 60, "user\($0 % 120)") })
        #expect(run.alerts("Failed login").map { $0["correlation.value"] as? Int } == [100])
        #expect(run.alerts("Failed login").first?["@timestamp"] as? String == at(99 * 60))
        let few = try self.run("value_count", (0..<150).map { logon($0, "user\($0 % 99)") })
        #expect(few.alerts("Failed login").isEmpty)
    }

    @Test func temporalFiresWhenAllThreeReconCommandsRunForOneUserOnOneComputer() throws {
        let cmd = { (t: Int, action: String, user: String) in event(t, ["action": action, "ComputerName": "WS-3", "User": user]) }
        let all = try run("temporal", [cmd(0, "netstat", "bob"), cmd(60, "whoami", "bob"), cmd(120, "ipconfig", "bob")])
        #expect(all.alerts("Recon").count == 1)
        let mixed = try run("temporal", [cmd(0, "netstat", "bob"), cmd(60, "whoami", "eve"), cmd(120, "ipconfig", "bob")])
        #expect(mixed.alerts("Recon").isEmpty)
        let slow = try run("temporal", [cmd(0, "netstat", "bob"), cmd(60, "whoami", "bob"), cmd(301, "ipconfig", "bob")])
        #expect(slow.alerts("Recon").isEmpty)
        let ordered = try run("temporal_ordered", [cmd(0, "netstat", "bob"), cmd(60, "whoami", "bob"), cmd(120, "ipconfig", "bob")])
        #expect(ordered.alerts("Recon ordered").isEmpty)
        let inOrder = try run("temporal_ordered", [cmd(0, "whoami", "bob"), cmd(60, "ipconfig", "bob"), cmd(120, "netstat", "bob")])
        #expect(inOrder.alerts("Recon ordered").count == 1)
    }

    @Test func valueSumAndAverageFireOnTheTrafficTheyDescribe() throws {
        let web = { (t: Int, bytes: Int) in event(t, ["action": "web", "SourceIP": "10.2.2.2", "User": "carol", "bytes_sent": bytes]) }
        let exfil = try run("value_sum", [web(0, 400_000), web(600, 400_000), web(1200, 300_000), web(4000, 900_000)])
        #expect(exfil.alerts("Possible Exfiltration to Website").map { $0["correlation.value"] as? Int } == [1_100_000])
        let traffic = { (t: Int, bytes: Int) in event(t, ["action": "traffic", "SourceIP": "10.2.2.2", "User": "carol", "BytesOut": bytes]) }
        let average = try run("value_avg", [traffic(0, 400), traffic(60, 500), traffic(120, 700)])
        // Averages: 400, 450, 533.33…: the third is above 500.
        #expect((average.alerts("Suspicious average network traffic").first?["correlation.value"] as? Double).map { abs($0 - 1600.0 / 3) < 1e-9 } == true)
        #expect(average.alerts("Suspicious average network traffic").count == 1)
        #expect(average.alerts("Suspicious average network traffic").first?["@timestamp"] as? String == at(120))
    }

    /// The percentile example aggregates `Image`, a process path: not a number, so no value to take a
    /// percentile of. It never fires, and every event is counted as without a usable value.
    @Test func valuePercentileOverANonNumericFieldNeverFiresAndSaysSo() throws {
        let run = try run("value_percentile", (0..<5).map { event($0, ["action": "process", "ComputerName": "WS-1", "Image": "C:\\Windows\\notepad.exe"]) })
        #expect(run.alerts("A computer spawned a processes name in the last 24h than 1% of all the processes.").isEmpty)
        #expect(run.statistics?.withoutValue == 5)
    }
}

/// pySigma's own correlation test file (`sigma-oracle/pysigma-test-files/correlation_rule.yml`): its
/// base rules, event_count, value_count (`lt`) and temporal correlations, fed the events they name.
@Suite struct PySigmaCorrelationFileTests {
    @Test(.needsShared) func theTestFileFiresAsItsRulesSay() throws {
        let text = try String(contentsOf: Paths.shared.appendingPathComponent("sigma-oracle/pysigma-test-files/correlation_rule.yml"),
                              encoding: .utf8)
        func base(_ t: Int, c: String, d: String) -> String { event(t, ["fieldA": "value1", "fieldB": "value2", "fieldC": c, "fieldD": d]) }
        func second(_ t: Int, c: String) -> String { event(t, ["fieldA": "value3", "fieldB": "value4", "fieldC": c, "fieldD": "x"]) }
        // Ten base events of one (fieldC, fieldD) within 15 minutes, then the second base rule's event.
        var lines = (0..<10).map { base($0 * 60, c: "c1", d: "d1") }
        lines.append(second(600, c: "c1"))
        let run = try correlate(text, lines, withBaseRules: false)
        // event_count gte 10 by (fieldC, fieldD): at the tenth.
        #expect(run.alerts("Multiple occurrences of base event").map { $0["@timestamp"] as? String } == [at(540)])
        // value_count of fieldD lt 10 by fieldC: true from the first event (one value), once per burst.
        #expect(run.alerts("Multiple occurrences of base event with different values").map { $0["correlation.value"] as? Int } == [1])
        // temporal of base_rule_1 (the same detection as base_rule) and base_rule_2 by fieldC.
        #expect(run.alerts("Temporal correlation rule").map { $0["@timestamp"] as? String } == [at(600)])
        // Referenced rules do not generate: only the three correlation alerts.
        #expect(run.lines.count == 3)
    }
}

@Suite struct StateSnapshotTests {
    /// A run stopped halfway and resumed from its state file gives the alerts of one run: the
    /// brute-force window, the chained sequence and the suppression window all span the cut.
    @Test func aResumedRunGivesTheAlertsOfAnUninterruptedOne() throws {
        let rules = bruteForce + """
            ---
            title: Guessed
            correlation:
                type: temporal_ordered
                rules: [brute_force, signin_ok]
                group-by: [source.ip]
                timespan: 10m
            level: critical
            ---
            title: Spray
            correlation:
                type: value_count
                rules: [failed_signin]
                group-by: [source.ip]
                timespan: 5m
                condition: {field: user.name, gte: 3}
            ---
            title: Deny
            logsource: {product: test}
            detection: {selection: {action: denied}, condition: selection}
            suppress: {by: [source.ip], for: 10m}
            """
        var lines: [String] = []
        for t in stride(from: 0, to: 900, by: 5) {
            let ip = "10.0.0.\((t / 100) % 3)"
            lines.append(event(t, ["action": t % 15 == 0 ? "denied" : "failed", "source.ip": ip, "user.name": "u\(t % 7)"]))
            if t % 100 == 50 { lines.append(event(t + 1, ["action": "success", "source.ip": ip])) }
        }
        let whole = try correlate(rules, lines)
        #expect(whole.alerts("Guessed").count >= 1)
        #expect(whole.alerts("Spray").count >= 1)
        #expect(whole.followUps.count >= 1)
        for cut in [lines.count / 3, lines.count / 2] {
            let state = try Paths.temporaryDirectory().appendingPathComponent("state.json").path
            let first = try correlate(rules, Array(lines[..<cut]), state: state)
            let second = try correlate(rules, Array(lines[cut...]), state: state, last: true)
            #expect((first.lines + second.lines).map(strip) == whole.lines.map(strip), "cut at \(cut)")
        }
    }

    /// The hand-written JSON (a tail writes it every few seconds) reads back as what it was written
    /// from: every field, numbers of value_sum and value_count hashes above 2^63, escapes, nulls.
    @Test func theWrittenJSONReadsBackTheSame() throws {
        let text = #"""
            {"version":1,"paths":["/var/log/a \"b\".log","tcp://127.0.0.1:5514"],
             "correlations":{"id-1":[{"key":"DAAAADIwMy4wLjExMy41MA==","values":["203.0.113.50"],"newest":1795317036000000000,
               "firing":true,"entries":[{"t":1795317000000000000,"p":1,"o":85,"r":0,"n":1234.5625},
                                         {"t":1795317001000000000,"p":0,"o":0,"r":1,"v":18446744073709551557}]}]},
             "suppression":[{"rule":"r\u00e9gle","key":"AAE=","first":1,"last":2,"end":3,"count":4,"fields":["source.ip","user.name"],
               "values":["10.0.0.1",null]}],
             "suppressionNow":1795317036000000000}
            """#
        let decoded = try JSONDecoder().decode(StateSnapshot.self, from: Data(text.utf8))
        let again = try JSONDecoder().decode(StateSnapshot.self, from: Data(decoded.json()))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try encoder.encode(again), as: UTF8.self) == String(decoding: try encoder.encode(decoded), as: UTF8.self))
        #expect(String(decoding: decoded.json(), as: UTF8.self).contains(#""n":1234.5625"#))
        #expect(String(decoding: decoded.json(), as: UTF8.self).contains(#""v":18446744073709551557"#))
    }

    @Test func aBrokenStateFileIsAnError() throws {
        let path = try Paths.temporaryDirectory().appendingPathComponent("state.json").path
        try "not json".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: SnapshotError.self) { _ = try StateSnapshot.read(path) }
        #expect(try StateSnapshot.read(path + ".absent") == nil)
    }
}

@Suite struct CorrelationLintTests {
    @Test func cyclesAreRejectedWithTheChain() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("cycle.yml")
        try """
            title: One
            name: one
            correlation: {type: temporal, rules: [two, base], group-by: [user.name], timespan: 5m}
            ---
            title: Two
            name: two
            correlation: {type: temporal, rules: [one, base], group-by: [user.name], timespan: 5m}
            ---
            title: Base
            name: base
            logsource: {product: test}
            detection: {selection: {action: a}, condition: selection}
            ---
            title: Missing
            correlation: {type: event_count, rules: [nowhere], group-by: [user.name], timespan: 5m, condition: {gte: 2}}
            ---
            title: Odd condition
            correlation: {type: event_count, rules: [base], timespan: 5m, condition: {gte: 2, above: 3}}
            ---
            title: No field
            correlation: {type: value_sum, rules: [base], timespan: 5m, condition: {gte: 2}}
            """.write(to: file, atomically: true, encoding: .utf8)
        let collection = RuleLoader.load(paths: [file.path], options: RuleLoadOptions())
        let messages = collection.diagnostics.map(\.description)
        #expect(messages.contains("\(file.path):3:38: error: correlation cycle: 'one' -> 'two' -> 'one'"))
        #expect(messages.contains("\(file.path):15:41: warning: correlation 'Missing' refers to rule 'nowhere', which is not loaded; it counts only the events of the rules that are"))
        #expect(messages.contains("\(file.path):18:83: error: unknown correlation condition 'above': use gt, gte, lt, lte, eq, neq and field"))
        #expect(messages.contains("\(file.path):21:72: error: a value_sum correlation needs 'condition.field'"))
        #expect(collection.correlations.map(\.metadata.title) == ["Missing"])
    }
}

@Suite struct SuppressionTests {
    static let suppressed = """
        title: Deny
        logsource: {product: test}
        detection: {selection: {action: denied}, condition: selection}
        level: medium
        suppress: {by: [source.ip], for: 60s}

        """

    @Test func repeatsAreCountedAndReportedWhenTheWindowCloses() throws {
        func deny(_ t: Int, _ ip: String) -> String { event(t, ["action": "denied", "source.ip": ip]) }
        let run = try correlate(Self.suppressed, [deny(0, "10.0.0.1"), deny(10, "10.0.0.1"), deny(20, "10.0.0.2"), deny(30, "10.0.0.1"),
                                                  deny(61, "10.0.0.1"), deny(200, "10.0.0.1")])
        // 0 passes (10, 30 suppressed); 20 (other ip) passes; 61 is after 0's window: the follow-up
        // comes first, then 61 passes and opens a window that 200 closes.
        #expect(run.lines.map { ($0["suppression.count"] as? Int) ?? -1 } == [-1, -1, 2, -1, -1])
        #expect(run.lines.map { $0["@timestamp"] as? String } == [at(0), at(20), at(30), at(61), at(200)])
        let followUp = run.followUps[0]
        #expect(followUp["suppression.first_seen"] as? String == at(0))
        #expect(followUp["suppression.last_seen"] as? String == at(30))
        #expect(followUp["suppression.key"] as? [String: String] == ["source.ip": "10.0.0.1"])
        #expect(followUp["suppression.for"] as? String == "60s")
        #expect(followUp["rule.name"] as? String == "Deny")
        #expect(run.suppressed.reduce(0, +) == 2)
    }

    @Test func theEndOfTheRunClosesEveryWindowAndAMissingFieldIsItsOwnKey() throws {
        func deny(_ t: Int, _ fields: [String: Any]) -> String { event(t, fields.merging(["action": "denied"]) { a, _ in a }) }
        let run = try correlate(Self.suppressed, [deny(0, [:]), deny(1, [:]), deny(2, ["source.ip": "10.0.0.1"]), deny(3, ["source.ip": "10.0.0.1"])])
        #expect(run.followUps.count == 2)
        #expect(run.followUps.map { $0["suppression.count"] as? Int } == [1, 1])
        #expect(run.ruleAlerts("Deny").count == 2)
    }

    @Test func theCommandLineOptionAppliesToAnyRuleAndToCorrelations() throws {
        func failed(_ t: Int, _ ip: String) -> String { event(t, ["action": "failed", "source.ip": ip]) }
        // Every rule, by source.ip for 10 minutes: the brute-force correlation re-fires after its
        // window, and that second alert is suppressed.
        let lines = (0..<3).map { failed($0, "10.0.0.1") } + (100..<103).map { failed($0, "10.0.0.1") }
        let plain = try correlate(bruteForce, lines)
        #expect(plain.alerts("Brute force").count == 2)
        let run = try correlate(bruteForce, lines, suppress: ["*:source.ip:10m"])
        #expect(run.alerts("Brute force").count == 1)
        #expect(run.followUps.map { $0["suppression.count"] as? Int } == [1])
        #expect(run.followUps.first?["suppression.key"] as? [String: String] == ["source.ip": "10.0.0.1"])
        #expect(SuppressionSpec.parseOption("*:source.ip") == nil)
        #expect(SuppressionSpec.parseOption("rule:with:colons:a,b:5m")?.rule == "rule:with:colons")
        #expect(throws: SuppressionError.self) { _ = try correlate(bruteForce, lines, suppress: ["nosuchrule:source.ip:10m"]) }
    }
}

/// `line` with the `event.id` of an event's alert (one that names a file and offset) written as ID.
func maskEventID(_ line: String) -> String {
    guard line.contains("\"log.offset\""), let r = line.range(of: "\"event.id\":\"") else { return line }
    let end = line.index(r.upperBound, offsetBy: 16)
    return String(line[..<r.upperBound]) + "ID" + String(line[end...])
}
