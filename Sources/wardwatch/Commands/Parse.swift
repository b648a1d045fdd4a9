import ArgumentParser
import WardCLI
import WardCore
import WardIngest
import WardOutput
import WardParse
import WardPipeline
import Foundation

struct Parse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each log line as the JSON event wardwatch makes of it.",
        discussion: """
            One JSON object per record on stdout, with flat dotted ECS keys: @timestamp (UTC), \
            event.dataset (\(Dataset.names.filter { $0 != "hl7.batch" }.joined(separator: ", "))), \
            the parsed fields, event.original, log.file.path and log.offset (the record's byte offset in \
            the decompressed file). Lines no parser accepts are kept as 'unparsed' events with message = \
            the line, and error.message saying where a syslog-looking line broke the grammar. Patient \
            data in HL7, ATNA and FHIR records is pseudonymized or redacted (see --help of scan).

            Exit codes: 0 success, 2 usage errors, 3 input errors (every other input is still read), \
            4 output errors.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(name: [.customLong("input-format"), .customLong("format")],
            help: "Parse lines as this format instead of detecting it per line: auto (syslog, the firewall formats, HL7, ATNA, FHIR, JSON lines), syslog (RFC 5424 or 3164 only), rfc5424, rfc3164, json, raw (no parsing). (--format is the older name.)")
    var format: LogFormat = .auto

    @Option(help: "Worker threads. Default: the number of active cores. Output is the same for any number.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("'--threads' must be between 1 and 256, not \(threads).") }
    }

    func run() throws { try withOwnUsage("parse", execute) }


    func execute() throws {
        let parser = EventParser(options: try input.parseOptions(format: format))
        let (inputs, walkErrors) = PipelineInput.files(input.paths, options: input.ingestOptions(for: parser))
        for error in walkErrors { Diagnostics.error(error.description) }
        let sinks = try AlertSinks(output: nil)
        var configuration = PipelineConfiguration(inputs: inputs, parser: parser, engine: nil,
                                                  encoding: .events(EventEncoder()), sinks: sinks, threads: threads)
        configuration.order = input.order ?? .input
        configuration.reorderWindow = Int64(input.reorderWindow) * 1_000_000_000
        configuration.onDiagnostic = Diagnostics.report
        configuration.stop = StopController.install()
        let report = Pipeline(configuration).run()
        parser.options.patientData.warnIfRandom()
        try report.exit(writing: "events", walkFailed: !walkErrors.isEmpty)
    }
}
