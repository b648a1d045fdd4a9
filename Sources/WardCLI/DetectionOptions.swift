import ArgumentParser
import Dispatch
import Foundation
import WardCore
import WardDetect
import WardOutput
import WardParse
import WardPipeline
import WardRules

#if canImport(Glibc)
import Glibc
#endif

/// Rules, filters, stateful stages and output: what `scan`, `tail` and `listen` share.
public struct DetectionOptions: ParsableArguments {
    public init() {}

    @Option(name: [.customShort("r"), .customLong("rules")], help: "Rule file or directory (repeatable). Default: the bundled Rules/.")
    public var rulePaths: [String] = []

    @Option(help: "YAML map of placeholder values for 'expand', e.g. 'Workstations: [ws-01, ws-02]'. Default with the bundled rules: Rules/placeholders.yml (the site's values).")
    public var placeholders: String?

    @Option(help: "Folder of log source and field mappings. Default: the bundled Rules/mappings.")
    public var mappings: String?

    @Option(name: .customLong("max-rule-file-bytes"), help: "Rule files larger than this are rejected unread.")
    public var maxRuleFileBytes: Int = RuleLoadOptions.defaultMaxFileBytes

    @Option(name: .customLong("min-level"), help: "Only rules of this level or above: informational, low, medium, high, critical.")
    public var minLevel: String = "informational"

    @Option(help: "Only events at or after this time (ISO 8601, e.g. 2026-11-01 or 2026-11-01T08:00:00Z).")
    public var since: String?

    @Option(help: "Only events before this time (ISO 8601).")
    public var until: String?

    @Option(help: "Worker threads. Default: the number of active cores.")
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Where alerts go (repeatable, several at once): a file (appended, created with mode 0600); a folder ending in '/' (one file per rule level); '-' for stdout (the default when no --output is given); a syslog receiver (syslog://HOST[:PORT] over TCP, syslog+udp://, syslog+tls://; ?format=cef for CEF) or an HTTP endpoint (http(s)://HOST/PATH: NDJSON batches, Elastic _bulk and Splunk HEC paths recognised; headers from WARDWATCH_HTTP_HEADER_<NAME> variables). Receivers are fed from a bounded queue (?queue=N) with retries; one that is down never blocks the files, and what it missed is counted in the summary and makes the exit code 4.", valueName: "output"))
    public var output: [String] = []

    @Option(name: .customLong("json-style"), help: "Keys of JSON alerts: flat (dotted ECS names, \"rule.id\"; the default) or nested (ECS objects, {\"rule\":{\"id\":…}}).")
    public var jsonStyle: String = "flat"

    @Option(name: [.customShort("f"), .long], help: "Alerts as json (one JSON object per line), pretty (aligned columns, cut to the terminal's width), csv (a timeline for spreadsheets: timestamp, host, dataset, level, rule, details, source) table (scan only: one row per rule that fired, with its count and first and last time) or markdown (scan only: the same as a Markdown table for a ticket).")
    public var format: String = "json"

    @Option(help: "Color in --format pretty: auto (on a terminal, unless NO_COLOR is set to a non-empty value), always, never.")
    public var color: String = "auto"

    @Flag(name: [.customShort("q"), .long], help: "No progress line and no summary on stderr (errors and warnings still are).")
    public var quiet = false

    @Option(name: .customLong("input-format"), help: "Parse lines as this format instead of detecting it per line: auto (syslog, the firewall formats, HL7, ATNA, FHIR, JSON lines), syslog (RFC 5424 or 3164 only), rfc5424, rfc3164, json, raw (no parsing).")
    public var inputFormat: LogFormat = .auto

    @Flag(name: .customLong("strict-rules"), help: "Stop before reading (exit 2) when any rule has an error. By default rules with errors are reported with their place, skipped, and counted in the summary; the others are used.")
    public var strictRules = false

    @Option(name: .customLong("suppress"),
            help: "Suppress repeated alerts: RULE:FIELD[,FIELD]:DURATION (RULE an id, name or title, or * for every rule; DURATION like 30s, 10m, 1h). The first alert per rule and field values passes; the rest within DURATION of event time are counted in a follow-up record. Repeatable; overrides a rule's own 'suppress:'.")
    public var suppress: [String] = []

    @Option(name: .customLong("max-lateness"), help: "Seconds an event may be older than the newest event of its correlation group and still count; older ones are counted and ignored by correlations.")
    public var maxLateness: Int = 60

    @Option(name: .customLong("max-groups"), help: "Correlation groups kept in memory across all correlations; at the cap the stalest are evicted (counted in the summary).")
    public var maxGroups: Int = 100_000

    /// Alerts go to stdout only, and it is a terminal.
    public var toTerminal: Bool { (output.isEmpty || output == ["-"]) && isatty(1) == 1 }

    public func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("'--threads' must be between 1 and 256, not \(threads).") }
        guard AlertLevel(rawValue: minLevel) != nil else {
            throw ValidationError("'--min-level' must be informational, low, medium, high or critical, not '\(minLevel)'.")
        }
        guard ["auto", "always", "never"].contains(color) else {
            throw ValidationError("'--color' must be auto, always or never, not '\(color)'.")
        }
        guard ["json", "pretty", "csv", "table", "markdown"].contains(format) else {
            throw ValidationError("'--format' must be json, pretty, csv, table or markdown, not '\(format)'.")
        }
        if format == "table" || format == "markdown", let output = output.first(where: { !RemoteOutputSpec.isRemote($0) && $0 != "-" }),
           output.hasSuffix("/") || (try? FileManager.default.attributesOfItem(atPath: output)[.type] as? FileAttributeType) == .typeDirectory {
            throw ValidationError("'--format \(format)' writes one table: give '--output' a file, not the folder '\(output)'.")
        }
        guard AlertSinks.JSONStyle(rawValue: jsonStyle) != nil else {
            throw ValidationError("'--json-style' must be flat or nested, not '\(jsonStyle)'.")
        }
        if jsonStyle == "nested" && format != "json" {
            throw ValidationError("'--json-style nested' is for '--format json', not '\(format)'.")
        }
        for url in output where RemoteOutputSpec.isRemote(url) {
            guard format == "json" else {
                throw ValidationError("'--output \(url)' sends JSON alerts (or CEF made from them): it needs '--format json', not '\(format)'.")
            }
            do { _ = try RemoteOutputSpec(url) } catch { throw ValidationError("'--output': \(error)") }
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
    public static func reason(_ message: String) -> String {
        if message.hasPrefix("placeholder '") { return "unfilled placeholders" }
        if message.hasPrefix("invalid YAML") { return "invalid YAML" }
        if message.hasPrefix("invalid regular expression") { return "invalid regular expressions" }
        if message.hasPrefix("unknown modifier") { return "unknown modifiers" }
        if message.hasPrefix("correlation") { return "correlation errors" }
        return "other errors"
    }

    /// `2026-11-01`, `2026-11-01T08:00:00Z`, `2026-11-01 08:00:00+01:00` → UTC nanoseconds.
    public static func parseTime(_ text: String) -> Int64? {
        let full = text.count == 10 ? text + "T00:00:00Z" : text
        let bytes = Array(full.utf8)
        let parsed = bytes.withUnsafeBufferPointer { buf in
            RFC3339.parse(buf.baseAddress!, from: 0, to: buf.count, strict: false)
        }
        return parsed.errorAt == nil && parsed.end == bytes.count ? parsed.nanos : nil
    }
}

/// A detection run made ready from ``DetectionOptions``: rules loaded (problems reported), engine,
/// encoder, sinks, filters and stages — then, after the run, its summary.
public struct Detection {
    public let options: DetectionOptions
    public let collection: RuleCollection
    public let ruleSet: RuleSet
    public let engine: DetectionEngine
    public let encoder: AlertEncoder
    public let sinks: AlertSinks
    public let stages: DetectionStages
    public let skippedNote: String?
    /// Placeholders given as empty lists (the site has not filled them): their rules match nothing.
    public let placeholderNote: String?
    public let started: ContinuousClock.Instant

    /// Loads the rules (every problem reported with its place; rules with errors skipped unless
    /// `--strict-rules`) and opens the output. `verb` and `noun` name what the rules are for
    /// ("scanned", "scan").
    /// - Parameter sinks: the outputs to keep (a reload keeps the running outputs and their remote
    ///   queues); `nil` opens the options' outputs.
    public init(_ options: DetectionOptions, names: SourceNames, verb: String, noun: String, sinks reused: AlertSinks? = nil) throws {
        started = ContinuousClock.now
        self.options = options
        // The bundled rules (all, or some named with --rules) come with the site's placeholder values
        // (Rules/placeholders.yml), unless --placeholders names another file.
        let usesBundled = options.rulePaths.isEmpty || options.rulePaths.contains(where: RuleOptions.isBundled)
        let placeholders = options.placeholders ?? (usesBundled ? RuleOptions.bundled("Rules/placeholders.yml") : nil)
        let ruleOptions = try RuleOptions.loadOptions(placeholders: placeholders, mappings: options.mappings,
                                                      maxFileBytes: options.maxRuleFileBytes)
        let paths = options.rulePaths.isEmpty ? RuleOptions.bundledRules().map { [$0] } ?? [] : options.rulePaths
        guard !paths.isEmpty else { throw ValidationError("No rules: give --rules PATH (the bundled Rules/ folder was not found).") }
        var collection = RuleLoader.load(paths: paths, options: ruleOptions)
        // The bundled rules that need site values the site has not given yet (an empty list, as in the
        // shipped Rules/placeholders.yml) are off: "not one of the site's AE titles" with no AE titles
        // would flag everything. (Other rules keep Sigma's meaning: an empty list matches nothing.)
        let emptyPlaceholders = collection.emptyPlaceholders
        let unconfigured = Set(emptyPlaceholders.map(\.file).filter(RuleOptions.isBundled))
        collection.rules.removeAll { unconfigured.contains($0.path) }
        collection.correlations.removeAll { unconfigured.contains($0.path) }
        let problems = ruleOptions.mappings.diagnostics + collection.diagnostics
        for problem in problems where problem.severity == .error || problem.message.hasPrefix("correlation '") {
            Diagnostics.write(problem.description)
        }
        let ruleErrors = collection.diagnostics.filter { $0.severity == .error }
        let missingPaths = ruleErrors.filter { $0.line == 0 && $0.message == "no such file or directory" }
        if !ruleOptions.mappings.diagnostics.filter({ $0.severity == .error }).isEmpty || !missingPaths.isEmpty
            || (options.strictRules && !ruleErrors.isEmpty) {
            Diagnostics.error("the rules have errors; nothing was \(verb) ('wardwatch rules lint' lists them all).")
            throw ExitCode(WardExit.usage)
        }
        if collection.rules.isEmpty && collection.correlations.isEmpty {
            Diagnostics.error("no rules were loaded from \(paths.joined(separator: ", ")); nothing was \(verb).")
            throw ExitCode(WardExit.usage)
        }
        var skippedNote: String?
        if !ruleErrors.isEmpty {
            let files = Set(ruleErrors.map(\.file)).count
            let documents = max(collection.rejectedDocuments, files)
            Diagnostics.warning("\(documents) rule \(documents == 1 ? "document" : "documents") in \(files) \(files == 1 ? "file" : "files") had errors (above) and \(documents == 1 ? "was" : "were") skipped; the other rules are \(verb). --strict-rules makes any rule error stop the \(noun).")
            skippedNote = "rules skipped for errors: \(documents) in \(files) files (\(Set(ruleErrors.map { DetectionOptions.reason($0.message) }).sorted().joined(separator: "; ")))"
        }
        self.skippedNote = skippedNote
        let empty = emptyPlaceholders
        if empty.isEmpty {
            placeholderNote = nil
        } else {
            let names = Set(empty.map { "%\($0.name)%" }).sorted()
            let files = Set(empty.map(\.file)).count
            placeholderNote = unconfigured.isEmpty
                ? "placeholders with empty lists (\(placeholders ?? "--placeholders")): \(names.joined(separator: ", ")): those values match nothing"
                : "rules off until the site gives their placeholders values in \(placeholders ?? "Rules/placeholders.yml"): \(files) rule files (\(names.joined(separator: ", ")))"
        }
        self.collection = collection
        ruleSet = RuleSet(collection.rules)
        engine = DetectionEngine(ruleSet: ruleSet, resolver: HL7PathResolver())
        // NO_COLOR as its convention says: set to a non-empty value, it turns color off.
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        let color = options.format == "pretty" && (options.color == "always"
            || (options.color == "auto" && options.toTerminal && !noColor))
        var encoder = AlertEncoder(ruleSet: ruleSet, style: options.format == "pretty" ? .pretty(color: color) : options.format == "csv" ? .csv : .json)
        if options.format == "pretty", options.toTerminal {
            var size = winsize()
            if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 40 { encoder.lineWidth = Int(size.ws_col) }
        }
        self.encoder = encoder
        if let reused {
            sinks = reused
        } else {
            do {
                sinks = try AlertSinks(outputs: options.output, style: AlertSinks.JSONStyle(rawValue: options.jsonStyle) ?? .flat)
            } catch {
                throw ValidationError("\(error)")
            }
            if options.format == "csv" { sinks.writeHeader(AlertEncoder.csvHeader) }
        }
        // Correlations and suppression: stages after the ordered merge, fed by what the workers carry.
        var settings = CorrelationSettings()
        settings.maxLateness = Int64(options.maxLateness) * 1_000_000_000
        settings.maxGroups = options.maxGroups
        settings.minimumLevel = AlertLevel(rawValue: options.minLevel)!
        settings.perLevel = sinks.perLevel
        settings.style = encoder.style
        settings.lineWidth = encoder.lineWidth
        do {
            stages = try DetectionStages(rules: ruleSet.rules.map(\.rule), correlations: collection.correlations,
                                         suppress: options.suppress.compactMap(SuppressionSpec.parseOption),
                                         names: names, settings: settings)
        } catch {
            throw ValidationError(error.message)
        }
    }

    public var timeWindow: Bool { options.since != nil || options.until != nil }

    /// `--format table`: alerts are counted, and written as one table at the end (``writeTable(_:)``).
    public var isTable: Bool { options.format == "table" || options.format == "markdown" }

    /// A pipeline configuration for `inputs`, with this run's engine, filters and stages.
    public func configuration(inputs: [PipelineInput], parser: EventParser) -> PipelineConfiguration {
        var configuration = PipelineConfiguration(inputs: inputs, parser: parser, engine: engine,
                                                  encoding: isTable ? .none : .alerts(encoder),
                                                  sinks: isTable ? nil : sinks, threads: options.threads)
        // Rules below --min-level are still evaluated; only their alerts are dropped.
        configuration.filters.append(LevelFilter(levels: (0..<ruleSet.rules.count).map { encoder.level(of: $0) },
                                                 minimum: AlertLevel(rawValue: options.minLevel)!))
        if timeWindow {
            configuration.filters.append(TimeWindowFilter(since: options.since.flatMap(DetectionOptions.parseTime),
                                                          until: options.until.flatMap(DetectionOptions.parseTime)))
        }
        stages.install(in: &configuration)
        configuration.onDiagnostic = Diagnostics.report
        return configuration
    }

    /// Closes the outputs at the end of a run: the files, then the remote outputs once they delivered
    /// what they hold (or their timeout ran out). Returns a summary line per remote output, and whether
    /// any of them missed alerts (reported here; the run exits with 4).
    public func closeOutputs() -> (notes: [String], failed: Bool) {
        sinks.close()
        let reports = sinks.finishRemote()
        for report in reports where !report.complete {
            Diagnostics.error("\(report.summaryLine); the local outputs have every alert.")
        }
        return (reports.map(\.summaryLine), reports.contains { !$0.complete })
    }

    /// Restores the stages' state from `snapshot`; returns a line for the summary.
    public func restore(from snapshot: StateSnapshot, source: String) -> String {
        let c = stages.correlation?.restore(from: snapshot) ?? (restored: 0, dropped: snapshot.size.groups)
        let w = stages.suppression?.restore(from: snapshot) ?? (restored: 0, dropped: snapshot.size.windows)
        let dropped = c.dropped + w.dropped
        var note = "state: resumed \(c.restored) correlation groups and \(w.restored) suppression windows from \(source)"
        if dropped > 0 { note += " (\(dropped) of rules no longer loaded were dropped)" }
        return note
    }

    /// Restores the stages' state from the `--state` file `path` if it exists (windows of suppressed
    /// rules are kept open at the end, for the next run); returns a line for the summary.
    public func loadState(_ path: String) throws -> String {
        stages.suppression?.keepsWindowsOpen = true
        do {
            guard let snapshot = try StateSnapshot.read(path) else { return "state: \(path) did not exist; started empty" }
            return restore(from: snapshot, source: path)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Writes the stages' state to `path`; reports a failure (`consequence` says what it costs) and
    /// returns `false`.
    public func saveState(_ path: String, consequence: String) -> Bool {
        do {
            try snapshot().write(to: path)
            return true
        } catch {
            Diagnostics.error("\(error.message); \(consequence).")
            return false
        }
    }

    /// `--format table`: per rule that fired, its level, count and first and last event time, most
    /// severe first, then most frequent.
    public func table(_ statistics: RunStatistics) -> String {
        let titles = ruleSet.rules.map(\.rule.metadata.title) + collection.correlations.map(\.metadata.title)
        let levels = (0..<ruleSet.rules.count).map(encoder.level(of:)) + stages.correlations.nodes.map(\.level)
        func stamp(_ t: Int64) -> String {
            guard t != .max && t != .min else { return "-".padding(toLength: 20, withPad: " ", startingAt: 0) }
            var bytes: [UInt8] = []
            AlertEncoder.appendSeconds(t, to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        let fired = statistics.alertsByRule.indices.filter { statistics.alertsByRule[$0] > 0 }.sorted { a, b in
            if levels[a] != levels[b] { return levels[a] > levels[b] }
            if statistics.alertsByRule[a] != statistics.alertsByRule[b] { return statistics.alertsByRule[a] > statistics.alertsByRule[b] }
            return a < b
        }
        if options.format == "markdown" {
            // For a ticket: the period, the totals, then the same rows as a Markdown table.
            let total = fired.reduce(0) { $0 + statistics.alertsByRule[$1] }
            var md = "## wardwatch: \(ScanSummary.number(total)) alerts from \(ScanSummary.number(fired.count)) rules\n\n"
            if let first = statistics.firstEventTime, let last = statistics.lastEventTime {
                md += "Events from \(stamp(first)) to \(stamp(last)); \(ScanSummary.number(statistics.events)) events read.\n\n"
            }
            md += "| level | alerts | first | last | rule |\n| --- | ---: | --- | --- | --- |\n"
            for r in fired {
                let title = titles[r].replacingOccurrences(of: "|", with: "\\|")
                md += "| \(levels[r].rawValue) | \(ScanSummary.number(statistics.alertsByRule[r])) | \(stamp(statistics.firstAlertTime[r])) | \(stamp(statistics.lastAlertTime[r])) | \(title) |\n"
            }
            if fired.isEmpty { md += "| | 0 | | | (no alerts) |\n" }
            return md
        }
        var out = "level".padding(toLength: 13, withPad: " ", startingAt: 0) + "   alerts  " + "first".padding(toLength: 20, withPad: " ", startingAt: 0)
            + "  " + "last".padding(toLength: 20, withPad: " ", startingAt: 0) + "  rule\n"
        for r in fired {
            let count = ScanSummary.number(statistics.alertsByRule[r])
            out += levels[r].rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
                + String(repeating: " ", count: max(1, 9 - count.count)) + count
                + "  " + stamp(statistics.firstAlertTime[r]) + "  " + stamp(statistics.lastAlertTime[r]) + "  " + titles[r] + "\n"
        }
        if fired.isEmpty { out += "(no alerts)\n" }
        return out
    }

    /// The stages' state now.
    public func snapshot() -> StateSnapshot {
        var snapshot = StateSnapshot()
        stages.correlation?.save(into: &snapshot)
        stages.suppression?.save(into: &snapshot)
        return snapshot
    }

    public func summary(_ statistics: RunStatistics) -> ScanSummary {
        ScanSummary(statistics, rules: ruleSet.rules.count, active: engine.activeRuleCount, started: started)
    }

    /// Prints the run's summary with its notes (rules skipped, correlations, state, suppression).
    public func printSummary(_ report: PipelineReport, extra: [String], command: String = "scan", files: Int? = nil) {
        if options.quiet {
            // Only what needs attention.
            for line in extra where line.contains("DROPPED") || line.contains("failed") {
                if !line.hasPrefix("output ") { Diagnostics.warning(line) }
            }
            return
        }
        var summary = summary(report.statistics)
        if let files { summary.files = files }
        let correlations = stages.correlations
        let titles = ruleSet.rules.map(\.rule.metadata.title) + collection.correlations.map(\.metadata.title)
        let levels = (0..<ruleSet.rules.count).map(encoder.level(of:)) + correlations.nodes.map(\.level)
        var notes: [String] = []
        if let skippedNote { notes.append(skippedNote) }
        if let placeholderNote { notes.append(placeholderNote) }
        if let c = stages.correlation?.statistics {
            var parts = ["correlations: \(collection.correlations.count) loaded, \(c.fired.reduce(0, +)) fired", "\(ScanSummary.number(c.events)) events of their rules"]
            if c.untimed > 0 { parts.append("\(c.untimed) without a time (ignored)") }
            if c.ungrouped > 0 { parts.append("\(c.ungrouped) without a group-by field (no group)") }
            if c.withoutValue > 0 { parts.append("\(c.withoutValue) without a usable value field") }
            if c.late > 0 { parts.append("\(c.late) later than --max-lateness (ignored)") }
            parts.append("peak \(ScanSummary.number(c.peakGroups)) groups")
            notes.append(parts.joined(separator: "; "))
            if c.evictedGroups > 0 {
                Diagnostics.warning("\(c.evictedGroups) correlation groups were evicted at the --max-groups cap (\(options.maxGroups)) while their windows were open; raise --max-groups to keep them.")
            }
            if c.droppedEvents > 0 {
                Diagnostics.warning("\(c.droppedEvents) events were dropped from correlation groups holding more than \(CorrelationSettings().maxEventsPerGroup) events in one window.")
            }
        }
        notes += extra
        let evaluationErrors = report.statistics.evaluationErrors
        if evaluationErrors > 0 {
            notes.append("regular-expression searches that gave up: \(evaluationErrors) rule evaluations in \(report.statistics.evaluationErrorRules.count) rules (each rule reported once above; alerts that depended on one are flagged rule.evaluation_error)")
        }
        if let s = stages.suppression {
            let total = s.suppressed.reduce(0, +)
            if total > 0 {
                notes.append("suppressed: \(ScanSummary.number(total)) alerts")
                for (rule, n) in s.suppressed.enumerated() where n > 0 {
                    notes.append("  \(String(repeating: " ", count: max(0, 7 - String(n).count)))\(n)  \(titles[rule])")
                }
            }
        }
        Diagnostics.write(summary.text(timeWindow: timeWindow, titles: titles, levels: levels, notes: notes, command: command))
    }
}

/// SIGHUP for a live command: asks for the rules to be reloaded (and the output files reopened).
public final class ReloadSignal: @unchecked Sendable {
    private let requested = Shared(false)
    private let source: DispatchSourceSignal

    /// `endRun` ends the running pipeline (its live source answers `false` once).
    init(endRun: @escaping @Sendable () -> Void) {
        Glibc.signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        let requested = self.requested
        source.setEventHandler {
            requested.withLock { $0 = true }
            Diagnostics.write("wardwatch: SIGHUP: reloading the rules and opening the output files again.")
            endRun()
        }
        source.resume()
    }

    /// Whether a reload was asked for since the last call.
    public func take() -> Bool { requested.withLock { r in defer { r = false }; return r } }

    public func cancel() { source.cancel() }
}

extension ParsableCommand {
    /// Catches SIGHUP: see ``ReloadSignal``.
    public static func reloadSignal(endRun: @escaping @Sendable () -> Void) -> ReloadSignal { ReloadSignal(endRun: endRun) }

    /// The rules loaded again from `options`, with the correlation and suppression state of `old`
    /// for the rules still loaded; `nil` (reported, the old rules kept, their outputs reopened) when
    /// the new rules have any error.
    public static func reload(_ options: DetectionOptions, names: SourceNames, verb: String, noun: String,
                              from old: Detection) -> Detection? {
        do {
            // Strict: a rule set with any error is refused whole, so that a typo in one file does not
            // silently take that file's rules away from a running watch.
            var strict = options
            strict.strictRules = true
            let fresh = try Detection(strict, names: names, verb: "reloaded", noun: noun, sinks: old.sinks)
            old.sinks.reopen()
            fresh.stages.suppression?.keepsWindowsOpen = true
            let note = fresh.restore(from: old.snapshot(), source: "the rules before the reload")
            Diagnostics.write("wardwatch: SIGHUP: rules reloaded: \(fresh.ruleSet.rules.count) rules and \(fresh.collection.correlations.count) correlations (before: \(old.ruleSet.rules.count) and \(old.collection.correlations.count)); \(note).")
            return fresh
        } catch {
            Diagnostics.error("SIGHUP: the rules were not reloaded (\(error is ExitCode ? "errors above" : "\(error)")); the rules loaded before stay in use.")
            old.sinks.reopen()
            return nil
        }
    }
}
