import ArgumentParser
import WardCore
import WardIngest
import WardOutput
import WardParse

struct Parse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each log line as the JSON event wardwatch makes of it.",
        discussion: """
            One JSON object per line on stdout, with flat dotted ECS keys: @timestamp (UTC), \
            event.dataset (syslog.rfc5424, syslog.rfc3164 or unparsed), the parsed fields, \
            event.original, log.file.path and log.offset (the line's byte offset in the decompressed \
            file). Lines no parser accepts are kept as 'unparsed' events with message = the line, and \
            error.message saying where a syslog-looking line broke the grammar.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: "Parse lines as this format instead of detecting it per line ('syslog' = RFC 5424 or 3164; 'raw' = no parsing).")
    var format: LogFormat = .auto

    func run() throws {
        let (inputs, walkErrors) = InputWalker.expand(input.paths)
        var failed = false
        for error in walkErrors {
            Diagnostics.error(error.description)
            failed = true
        }
        let parser = EventParser(options: try input.parseOptions(format: format))
        let encoder = EventEncoder()
        let output = FileDescriptorOutput(fd: 1)
        var chunk = Chunk()
        var batch = EventBatch()
        var writer = JSONWriter()

        for (index, file) in inputs.enumerated() {
            let reader: PrefetchingReader
            do {
                reader = PrefetchingReader(try InputReader.open(file, index: index, options: input.ingestOptions))
            } catch {
                Diagnostics.error(error.description)
                failed = true
                continue
            }
            defer { reader.close() }
            do {
                while try reader.next(into: &chunk) {
                    parser.parse(chunk, into: &batch)
                    if reportCutLines(batch, chunk) { failed = true }
                    encoder.encode(batch, chunk: chunk, to: &writer)
                    guard output.flush(&writer) else { throw ExitCode(WardExit.input) }
                }
            } catch let error as IngestError {
                Diagnostics.error(error.description)
                failed = true
            }
            if let notice = reader.notice { Diagnostics.warning(notice.description) }
        }
        guard output.flush(&writer, force: true) else { throw ExitCode(WardExit.input) }
        parser.options.patientData.warnIfRandom()
        if failed { throw ExitCode(WardExit.input) }
    }

    /// Reports every line that was cut at the line limit. Returns whether there was one.
    private func reportCutLines(_ batch: EventBatch, _ chunk: Chunk) -> Bool {
        var any = false
        for event in batch.events where event.flags.contains(.truncated) {
            any = true
            let offset = chunk.origin.offset + Int64(event.lineStart)
            Diagnostics.error("\(chunk.origin.path): line \(event.lineNumber) (byte \(offset)): line of \(event.fullLength) bytes cut to \(event.lineLength) bytes; raise --max-line-bytes to keep it whole.")
        }
        return any
    }
}
