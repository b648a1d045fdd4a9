import ArgumentParser
import Dispatch
import Foundation
import WardCore
import WardDetect
import WardIngest
import WardOutput
import WardParse
import WardPipeline
import WardRules

#if canImport(Glibc)
import Glibc
#endif

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Match logs against Sigma rules and write alerts as JSON lines.",
        discussion: """
            Reads files, directories (recursively) or stdin, plain or gzip, parses every line, matches it \
            against the rules on all cores, and writes one JSON alert per (event, rule) match to stdout \
            (or --output), in input order whatever the thread count. Progress (on a terminal) and a \
            summary go to stderr.

            Exit codes: 0 no problem, 1 alerts found with --fail-on-alert, 2 usage errors, or rule \
            errors with --strict-rules (nothing is scanned), 3 input errors (every other input was \
            still scanned), 4 output errors (the run stopped there).
            """
    )

    @OptionGroup var input: InputOptions

    @Option(name: .customLong("rules"), help: "Rule file or directory (repeatable). Default: the bundled Rules/.")
    var rulePaths: [String] = []

    @Option(help: "YAML map of placeholder values for 'expand', e.g. 'Workstations: [ws-01, ws-02]'.")
    var placeholders: String?

    @Option(help: "Folder of log source and field mappings. Default: the bundled Rules/mappings.")
    var mappings: String?

    @Option(name: .customLong("max-rule-file-bytes"), help: "Rule files larger than this are rejected unread.")
    var maxRuleFileBytes: Int = RuleLoadOptions.defaultMaxFileBytes

    @Option(name: .customLong("min-level"), help: "Only rules of this level or above: informational, low, medium, high, critical.")
    var minLevel: String = "informational"

    @Option(help: "Only events at or after this time (ISO 8601, e.g. 2026-11-01 or 2026-11-01T08:00:00Z).")
    var since: String?

    @Option(help: "Only events before this time (ISO 8601).")
    var until: String?

    @Option(help: "Worker threads. Default: the number of active cores.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Append alerts to this file (created with mode 0600), or with a trailing '/', write one file per rule level into that folder.")
    var output: String?

    @Option(help: "Alerts as json (one JSON object per line) or pretty (one readable line each; colored on a terminal unless NO_COLOR is set).")
    var format: String = "json"

    @Option(name: .customLong("input-format"), help: "Parse lines as this format instead of detecting it per line: auto, syslog, rfc5424, rfc3164, raw.")
    var inputFormat: LogFormat = .auto

    @Flag(name: .customLong("fail-on-alert"), help: "Exit with 1 when there was any alert.")
    var failOnAlert = false

    @Flag(name: .customLong("strict-rules"), help: "Stop before scanning (exit 2) when any rule has an error. By default rules with errors are reported with their place, skipped, and counted in the summary; the others are scanned.")
    var strictRules = false

    @Option(name: .customLong("suppress"),
            help: "Suppress repeated alerts: RULE:FIELD[,FIELD]:DURATION (RULE an id, name or title, or * for every rule; DURATION like 30s, 10m, 1h). The first alert per rule and field values passes; the rest within DURATION of event time are counted in a follow-up record. Repeatable; overrides a rule's own 'suppress:'.")
    var suppress: [String] = []

    @Option(name: .customLong("max-lateness"), help: "Seconds an event may be older than the newest event of its correlation group and still count; older ones are counted and ignored by correlations.")
    var maxLateness: Int = 60

    @Option(name: .customLong("state"), help: "Correlation and suppression state file: read before the scan (if it exists) and written after it, so that the next scan (the next archive, a restarted tail) continues the open windows.")
    var state: String?

    @Option(name: .customLong("max-groups"), help: "Correlation groups kept in memory across all correlations; at the cap the stalest are evicted (counted in the summary).")
    var maxGroups: Int = 100_000

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("'--threads' must be between 1 and 256, not \(threads).") }
        guard AlertLevel(rawValue: minLevel) != nil else {
            throw ValidationError("'--min-level' must be informational, low, medium, high or critical, not '\(minLevel)'.")
        }
        guard format == "json" || format == "pretty" else {
            throw ValidationError("'--format' must be json or pretty, not '\(format)'.")
        }
        for value in suppress where SuppressionSpec.parseOption(value) == nil {
            throw ValidationError("'--suppress' must be RULE:FIELD[,FIELD]:DURATION such as '*:source.ip:10m', not '\(value)'.")
        }
        guard maxLateness >= 0 else { throw ValidationError("'--max-lateness' must be 0 or more seconds, not \(maxLateness).") }
        guard maxGroups >= 1 else { throw ValidationError("'--max-groups' must be at least 1, not \(maxGroups).") }
        for (flag, value) in [("--since", since), ("--until", until)] {
            if let value, Self.parseTime(value) == nil {
                throw ValidationError("'\(flag)' must be an ISO 8601 date or time such as 2026-11-01 or 2026-11-01T08:00:00Z, not '\(value)'.")
            }
        }
        if let since, let until, let from = Self.parseTime(since), let to = Self.parseTime(until), from >= to {
            throw ValidationError("'--since' (\(since)) must be earlier than '--until' (\(until)): no event could be inside that window.")
        }
    }

    /// A rule error's kind, for the summary (`placeholder '%known_cdcs%' has no values` and the like).
    static func reason(_ message: String) -> String {
        if message.hasPrefix("placeholder '") { return "unfilled placeholders" }
        if message.hasPrefix("invalid YAML") { return "invalid YAML" }
        if message.hasPrefix("invalid regular expression") { return "invalid regular expressions" }
        if message.hasPrefix("unknown modifier") { return "unknown modifiers" }
        if message.hasPrefix("correlation") { return "correlation errors" }
        return "other errors"
    }

    /// `2026-11-01`, `2026-11-01T08:00:00Z`, `2026-11-01 08:00:00+01:00` → UTC nanoseconds.
    static func parseTime(_ text: String) -> Int64? {
        let full = text.count == 10 ? text + "T00:00:00Z" : text
        let bytes = Array(full.utf8)
        let parsed = bytes.withUnsafeBufferPointer { buf in
            RFC3339.parse(buf.baseAddress!, from: 0, to: buf.count, strict: false)
        }
        return parsed.errorAt == nil && parsed.end == bytes.count ? parsed.nanos : nil
    }

    func run() throws { try withOwnUsage("scan", execute) }


    func execute() throws {
        let started = ContinuousClock.now
        // Rules: every problem is reported with its place; rules with errors are skipped and the rest
        // scanned (with --strict-rules, any error stops the scan before it starts). Mapping errors, a
        // --rules path that does not exist, and no rule at all stop it always.
        let ruleOptions = try RuleOptions.loadOptions(placeholders: placeholders, mappings: mappings, maxFileBytes: maxRuleFileBytes)
        let paths = rulePaths.isEmpty ? RuleOptions.bundledRules().map { [$0] } ?? [] : rulePaths
        guard !paths.isEmpty else { throw ValidationError("No rules: give --rules PATH (the bundled Rules/ folder was not found).") }
        let collection = RuleLoader.load(paths: paths, options: ruleOptions)
        let problems = ruleOptions.mappings.diagnostics + collection.diagnostics
        for problem in problems where problem.severity == .error || problem.message.hasPrefix("correlation '") {
            Diagnostics.write(problem.description)
        }
        let ruleErrors = collection.diagnostics.filter { $0.severity == .error }
        let missingPaths = ruleErrors.filter { $0.line == 0 && $0.message == "no such file or directory" }
        if !ruleOptions.mappings.diagnostics.filter({ $0.severity == .error }).isEmpty || !missingPaths.isEmpty
            || (strictRules && !ruleErrors.isEmpty) {
            Diagnostics.error("the rules have errors; nothing was scanned ('wardwatch rules lint' lists them all).")
            throw ExitCode(WardExit.usage)
        }
        if collection.rules.isEmpty && collection.correlations.isEmpty {
            Diagnostics.error("no rules were loaded from \(paths.joined(separator: ", ")); nothing was scanned.")
            throw ExitCode(WardExit.usage)
        }
        var skippedNote: String?
        if !ruleErrors.isEmpty {
            let files = Set(ruleErrors.map(\.file)).count
            let documents = max(collection.rejectedDocuments, files)
            Diagnostics.warning("\(documents) rule \(documents == 1 ? "document" : "documents") in \(files) \(files == 1 ? "file" : "files") had errors (above) and \(documents == 1 ? "was" : "were") skipped; the other rules are scanned. --strict-rules makes any rule error stop the scan.")
            skippedNote = "rules skipped for errors: \(documents) in \(files) files (\(Set(ruleErrors.map { Self.reason($0.message) }).sorted().joined(separator: "; ")))"
        }
        let ruleSet = RuleSet(collection.rules)
        let engine = DetectionEngine(ruleSet: ruleSet, resolver: HL7PathResolver())
        let color = format == "pretty" && output == nil && isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let encoder = AlertEncoder(ruleSet: ruleSet, style: format == "pretty" ? .pretty(color: color) : .json)
        let sinks: AlertSinks
        do {
            sinks = try AlertSinks(output: output)
        } catch {
            throw ValidationError("\(error)")
        }
        let parser = EventParser(options: try input.parseOptions(format: inputFormat))
        let (inputs, walkErrors) = PipelineInput.files(input.paths, options: input.ingestOptions(for: parser))
        for error in walkErrors { Diagnostics.error(error.description) }

        var configuration = PipelineConfiguration(inputs: inputs, parser: parser, engine: engine, encoding: .alerts(encoder),
                                                  sinks: sinks, threads: threads)
        configuration.order = input.order ?? (inputs.count > 1 ? .eventTime : .input)
        configuration.reorderWindow = Int64(input.reorderWindow) * 1_000_000_000
        // Rules below --min-level are still evaluated; only their alerts are dropped.
        configuration.filters.append(LevelFilter(levels: (0..<ruleSet.rules.count).map { encoder.level(of: $0) },
                                                 minimum: AlertLevel(rawValue: minLevel)!))
        let timeWindow = since != nil || until != nil
        if timeWindow {
            configuration.filters.append(TimeWindowFilter(since: since.flatMap(Self.parseTime), until: until.flatMap(Self.parseTime)))
        }
        // Correlations and suppression: stages after the ordered merge, fed by what the workers carry.
        var settings = CorrelationSettings()
        settings.maxLateness = Int64(maxLateness) * 1_000_000_000
        settings.maxGroups = maxGroups
        settings.minimumLevel = AlertLevel(rawValue: minLevel)!
        settings.perLevel = sinks.perLevel
        settings.style = encoder.style
        let stages: DetectionStages
        do {
            stages = try DetectionStages(rules: ruleSet.rules.map(\.rule), correlations: collection.correlations,
                                         suppress: suppress.compactMap(SuppressionSpec.parseOption),
                                         inputNames: inputs.map(\.name), settings: settings)
        } catch {
            throw ValidationError(error.message)
        }
        stages.install(in: &configuration)
        var stateNote: String?
        if let state {
            let snapshot: StateSnapshot?
            do {
                snapshot = try StateSnapshot.read(state)
            } catch {
                throw ValidationError(error.message)
            }
            stages.suppression?.keepsWindowsOpen = true
            if let snapshot {
                let c = stages.correlation?.restore(from: snapshot) ?? (restored: 0, dropped: snapshot.size.groups)
                let w = stages.suppression?.restore(from: snapshot) ?? (restored: 0, dropped: snapshot.size.windows)
                let dropped = c.dropped + w.dropped
                stateNote = "state: resumed \(c.restored) correlation groups and \(w.restored) suppression windows from \(state)"
                if dropped > 0 { stateNote! += " (\(dropped) of rules no longer loaded were dropped)" }
            } else {
                stateNote = "state: \(state) did not exist; started empty"
            }
        }
        let correlations = stages.correlations
        let correlationStage = stages.correlation
        let suppressionStage = stages.suppression
        configuration.onDiagnostic = Diagnostics.report
        let progress = Progress(enabled: isatty(2) == 1)
        configuration.onProgress = { progress.update(ScanSummary($0, rules: ruleSet.rules.count, active: engine.activeRuleCount, started: started)) }
        configuration.stop = StopController.install()

        let report = Pipeline(configuration).run()
        progress.finish()
        sinks.close()
        let summary = ScanSummary(report.statistics, rules: ruleSet.rules.count, active: engine.activeRuleCount, started: started)
        let titles = ruleSet.rules.map(\.rule.metadata.title) + collection.correlations.map(\.metadata.title)
        let levels = (0..<ruleSet.rules.count).map(encoder.level(of:)) + correlations.nodes.map(\.level)
        var notes: [String] = []
        if let c = correlationStage?.statistics {
            var parts = ["correlations: \(collection.correlations.count) loaded, \(c.fired.reduce(0, +)) fired", "\(ScanSummary.number(c.events)) events of their rules"]
            if c.untimed > 0 { parts.append("\(c.untimed) without a time (ignored)") }
            if c.ungrouped > 0 { parts.append("\(c.ungrouped) without a group-by field (no group)") }
            if c.withoutValue > 0 { parts.append("\(c.withoutValue) without a usable value field") }
            if c.late > 0 { parts.append("\(c.late) later than --max-lateness (ignored)") }
            parts.append("peak \(ScanSummary.number(c.peakGroups)) groups")
            notes.append(parts.joined(separator: "; "))
            if c.evictedGroups > 0 {
                Diagnostics.warning("\(c.evictedGroups) correlation groups were evicted at the --max-groups cap (\(maxGroups)) while their windows were open; raise --max-groups to keep them.")
            }
            if c.droppedEvents > 0 {
                Diagnostics.warning("\(c.droppedEvents) events were dropped from correlation groups holding more than \(CorrelationSettings().maxEventsPerGroup) events in one window.")
            }
        }
        if let stateNote { notes.append(stateNote) }
        let evaluationErrors = report.statistics.evaluationErrors
        if evaluationErrors > 0 {
            notes.append("regular-expression searches that gave up: \(evaluationErrors) rule evaluations in \(report.statistics.evaluationErrorRules.count) rules (each rule reported once above; alerts that depended on one are flagged rule.evaluation_error)")
        }
        if let skippedNote { notes.insert(skippedNote, at: 0) }
        var stateFailed = false
        if let state {
            var snapshot = StateSnapshot()
            correlationStage?.save(into: &snapshot)
            suppressionStage?.save(into: &snapshot)
            do {
                try snapshot.write(to: state)
            } catch {
                Diagnostics.error("\(error.message); the next scan cannot continue this one's windows.")
                stateFailed = true
            }
        }
        if let s = suppressionStage {
            let total = s.suppressed.reduce(0, +)
            if total > 0 {
                notes.append("suppressed: \(ScanSummary.number(total)) alerts")
                for (rule, n) in s.suppressed.enumerated() where n > 0 {
                    notes.append("  \(String(repeating: " ", count: max(0, 7 - String(n).count)))\(n)  \(titles[rule])")
                }
            }
        }
        Diagnostics.write(summary.text(timeWindow: timeWindow, titles: titles, levels: levels, notes: notes))
        parser.options.patientData.warnIfRandom()
        try report.exit(writing: "alerts", walkFailed: !walkErrors.isEmpty)
        if stateFailed { throw ExitCode(WardExit.input) }
        if failOnAlert && summary.alerts > 0 { throw ExitCode(WardExit.alerts) }
    }
}
