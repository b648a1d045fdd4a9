import ArgumentParser
import Dispatch
import Foundation
import WardCore
import WardDetect
import WardIngest
import WardOutput
import WardParse
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

            Exit codes: 0 no problem, 1 alerts found with --fail-on-alert, 2 usage or rule errors \
            (nothing is scanned), 3 input errors (every other input was still scanned).
            """
    )

    @OptionGroup var input: InputOptions

    @Option(name: .customLong("rules"), help: "Rule file or directory (repeatable). Default: the bundled Rules/.")
    var rulePaths: [String] = []

    @Option(help: "YAML map of placeholder values for 'expand', e.g. 'Workstations: [ws-01, ws-02]'.")
    var placeholders: String?

    @Option(help: "Folder of log source and field mappings. Default: the bundled Rules/mappings.")
    var mappings: String?

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

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("'--threads' must be between 1 and 256, not \(threads).") }
        guard AlertLevel(rawValue: minLevel) != nil else {
            throw ValidationError("'--min-level' must be informational, low, medium, high or critical, not '\(minLevel)'.")
        }
        guard format == "json" || format == "pretty" else {
            throw ValidationError("'--format' must be json or pretty, not '\(format)'.")
        }
        for (flag, value) in [("--since", since), ("--until", until)] {
            if let value, Self.parseTime(value) == nil {
                throw ValidationError("'\(flag)' must be an ISO 8601 date or time such as 2026-11-01 or 2026-11-01T08:00:00Z, not '\(value)'.")
            }
        }
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

    func run() throws {
        // Rules: all must be valid, or nothing is scanned.
        let ruleOptions = try RuleOptions.loadOptions(placeholders: placeholders, mappings: mappings)
        let paths = rulePaths.isEmpty ? RuleOptions.bundledRules().map { [$0] } ?? [] : rulePaths
        guard !paths.isEmpty else { throw ValidationError("No rules: give --rules PATH (the bundled Rules/ folder was not found).") }
        let collection = RuleLoader.load(paths: paths, options: ruleOptions)
        let problems = ruleOptions.mappings.diagnostics + collection.diagnostics
        for problem in problems where problem.severity == .error { Diagnostics.write(problem.description) }
        if problems.contains(where: { $0.severity == .error }) {
            Diagnostics.error("the rules have errors; nothing was scanned ('wardwatch rules lint' lists them all).")
            throw ExitCode(WardExit.usage)
        }
        let minimum = AlertLevel(rawValue: minLevel)!
        let rules = collection.rules.filter { AlertLevel(ruleLevel: $0.metadata.level) >= minimum }
        let ruleSet = RuleSet(rules)
        let engine = DetectionEngine(ruleSet: ruleSet)
        let color = format == "pretty" && output == nil && isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let encoder = AlertEncoder(ruleSet: ruleSet, style: format == "pretty" ? .pretty(color: color) : .json)
        let sinks: AlertSinks
        do {
            sinks = try AlertSinks(output: output)
        } catch {
            throw ValidationError("\(error)")
        }
        let parser = EventParser(options: try input.parseOptions(format: inputFormat))
        let sinceNanos = since.flatMap(Self.parseTime)
        let untilNanos = until.flatMap(Self.parseTime)
        let timeWindow = sinceNanos != nil || untilNanos != nil

        let stop = StopRequest.install()
        var summary = ScanSummary(ruleCount: ruleSet.rules.count, activeRules: engine.activeRuleCount)
        let progress = Progress(enabled: isatty(2) == 1)
        let scratches = (0..<threads).map { _ in EngineScratch(engine: engine) }
        nonisolated(unsafe) let lanes = scratches
        let window = ScanWindow<SlotResult>(threads: threads) { SlotResult(rules: ruleSet.rules.count) }

        let (inputs, walkErrors) = InputWalker.expand(input.paths)
        var failed = false
        for error in walkErrors {
            Diagnostics.error(error.description)
            failed = true
        }
        for (index, file) in inputs.enumerated() {
            if stop.requested { break }
            let reader: PrefetchingReader
            do {
                reader = PrefetchingReader(try InputReader.open(file, index: index, options: input.ingestOptions),
                                           depth: 2 * threads + 2)
            } catch {
                Diagnostics.error(error.description)
                failed = true
                continue
            }
            stop.reading(reader)
            defer {
                stop.reading(nil)
                reader.close()
            }
            summary.files += 1
            do {
                try window.run(
                    fill: { (chunk: inout Chunk, wait: Bool) throws(IngestError) -> Bool? in
                        try reader.next(into: &chunk, wait: wait)
                    },
                    work: { slot, lane in
                        slot.result.reset()
                        parser.parse(slot.chunk, into: &slot.batch)
                        slot.result.count(slot.batch, origin: slot.chunk.origin)
                        slot.hits.removeAll(keepingCapacity: true)
                        let scratch = lanes[lane]
                        engine.match(slot.batch, chunk: slot.chunk, scratch: scratch, include: { record in
                            guard timeWindow else { return true }
                            guard record.timestamp != EventRecord.noTimestamp else { return false }
                            if let s = sinceNanos, record.timestamp < s { return false }
                            if let u = untilNanos, record.timestamp >= u { return false }
                            return true
                        }) { slot.hits.append($0) }
                        let batch = slot.batch
                        var path = slot.chunk.origin.path
                        let origin = slot.chunk.origin
                        let hits = slot.hits
                        batch.withEventBuffers(in: slot.chunk) { events, fields, values in
                            path.withUTF8 { pathBytes in
                                for hit in hits {
                                    let event = BatchEvent(events: events, fields: fields, values: values, index: hit.event, path: pathBytes)
                                    let matched = engine.matchedSearches(hit.rule, event, scratch: scratch)
                                    let level = encoder.level(of: hit.rule)
                                    let sink = sinks.perLevel ? AlertLevel.allCases.firstIndex(of: level)! : 0
                                    encoder.encode(hit, matched: matched, batch: batch, values: values, origin: origin,
                                                   path: pathBytes, to: &slot.result.outputs[sink])
                                    slot.result.alertsByRule[hit.rule] += 1
                                }
                            }
                        }
                    },
                    deliver: { slot in
                        if !sinks.write(slot.result.outputs) { stop.outputFailed() }
                        summary.add(events: slot.result.events, byDataset: slot.result.eventsByDataset, alertsByRule: slot.result.alertsByRule, bytes: slot.chunk.count)
                        for (line, offset, full, kept) in slot.result.cutLines {
                            Diagnostics.error("\(slot.chunk.origin.path): line \(line) (byte \(offset)): line of \(full) bytes cut to \(kept) bytes; raise --max-line-bytes to keep it whole.")
                            failed = true
                        }
                        progress.update(summary)
                    },
                    shouldStop: { stop.requested })
            } catch {
                Diagnostics.error(error.description)
                failed = true
            }
            if let notice = reader.notice { Diagnostics.warning(notice.description) }
        }
        progress.finish()
        sinks.close()
        Diagnostics.write(summary.text(timeWindow: timeWindow, rules: ruleSet, encoder: encoder))
        parser.options.patientData.warnIfRandom()
        if stop.outputBroken {
            Diagnostics.error("writing alerts failed (\(String(cString: strerror(errno)))).")
            throw ExitCode(WardExit.input)
        }
        if let signal = stop.signal { throw ExitCode(128 + signal) }
        if failed { throw ExitCode(WardExit.input) }
        if failOnAlert && summary.alerts > 0 { throw ExitCode(WardExit.alerts) }
    }
}

/// What one chunk produced: encoded alerts (one buffer per sink) and counts.
struct SlotResult {
    var outputs: [JSONWriter]
    var alertsByRule: [Int]
    var eventsByDataset = [Int](repeating: 0, count: 64)
    var events = 0
    var cutLines: [(line: Int64, offset: Int64, full: Int, kept: Int)] = []

    init(rules: Int) {
        outputs = (0..<AlertLevel.allCases.count).map { _ in JSONWriter(capacity: 64 << 10) }
        alertsByRule = [Int](repeating: 0, count: rules)
    }

    mutating func reset() {
        for i in outputs.indices { outputs[i].bytes.removeAll(keepingCapacity: true) }
        for i in alertsByRule.indices where alertsByRule[i] != 0 { alertsByRule[i] = 0 }
        for i in eventsByDataset.indices where eventsByDataset[i] != 0 { eventsByDataset[i] = 0 }
        events = 0
        cutLines.removeAll(keepingCapacity: true)
    }

    mutating func count(_ batch: EventBatch, origin: ChunkOrigin) {
        events = batch.events.count
        for event in batch.events {
            eventsByDataset[min(63, Int(event.dataset.rawValue))] += 1
            if event.flags.contains(.truncated) {
                cutLines.append((event.lineNumber, origin.offset + Int64(event.lineStart), event.fullLength, Int(event.lineLength)))
            }
        }
    }
}
