import ArgumentParser
import WardCLI
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
            errors with --strict-rules (nothing is scanned), 3 input errors or a regular-expression \
            search that gave up on a line (every other input was still scanned), 4 output errors (a local \
            output failed: the run stopped there; or a remote output missed alerts: the local ones have \
            them all).
            """
    )

    @OptionGroup var input: InputOptions

    @OptionGroup var detection: DetectionOptions

    @Flag(name: .customLong("fail-on-alert"), help: "Exit with 1 when there was any alert.")
    var failOnAlert = false

    @Option(name: .customLong("state"), help: "Correlation and suppression state file: read before the scan (if it exists) and written after it, so that the next scan (the next archive) continues the open windows.")
    var state: String?

    func run() throws { try withOwnUsage("scan", execute) }

    func execute() throws {
        let names = SourceNames()
        // The site formats first: their log sources route rules.
        let parser = EventParser(options: try input.parseOptions(format: detection.inputFormat))
        let detection = try Detection(detection, names: names, verb: "scanned", noun: "scan")
        let (inputs, walkErrors) = PipelineInput.files(input.paths, options: input.ingestOptions(for: parser))
        for error in walkErrors { Diagnostics.error(error.description) }
        for input in inputs { _ = names.register(input.name) }

        var configuration = detection.configuration(inputs: inputs, parser: parser)
        configuration.order = input.order ?? (inputs.count > 1 ? .eventTime : .input)
        configuration.reorderWindow = Int64(input.reorderWindow) * 1_000_000_000
        let stateNote = try state.map(detection.loadState)
        let progress = Progress(enabled: isatty(2) == 1 && !detection.options.quiet)
        configuration.onProgress = { progress.update(detection.summary($0)) }
        configuration.stop = StopController.install()

        let report = Pipeline(configuration).run()
        progress.finish()
        if detection.isTable { detection.sinks.writeText(detection.table(report.statistics)) }
        let outputs = detection.closeOutputs()
        let stateFailed = state.map { !detection.saveState($0, consequence: "the next scan cannot continue this one's windows") } ?? false
        detection.printSummary(report, extra: (stateNote.map { [$0] } ?? []) + outputs.notes)
        parser.options.patientData.warnIfRandom()
        try report.exit(writing: "alerts", walkFailed: !walkErrors.isEmpty, outputFailed: outputs.failed)
        if stateFailed { throw ExitCode(WardExit.input) }
        if failOnAlert && detection.summary(report.statistics).alerts > 0 { throw ExitCode(WardExit.alerts) }
    }
}
