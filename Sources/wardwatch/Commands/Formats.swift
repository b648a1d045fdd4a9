import ArgumentParser
import Foundation
import WardCLI
import WardCore
import WardIngest
import WardOutput
import WardParse

struct Formats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the log formats wardwatch knows, and try a format definition on sample lines.",
        discussion: """
            Site formats are YAML definitions in Rules/formats (and folders or files given with --formats \
            to parse, scan, tail and listen): a grok pattern or a PCRE2 regex with named groups, a time \
            layout, typed and constant fields, an optional 'then' step into a built-in parser, and a Sigma \
            log source. See README.md, "Site formats".
            """,
        subcommands: [List.self, Test.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The site formats loaded: name, where each applies, its file.")

        @Option(name: .customLong("formats"), help: "More definitions (a folder or a file) besides the bundled Rules/formats.")
        var formats: [String] = []

        func run() throws {
            let set = try SiteFormats.load(extra: formats)
            var out = ""
            for format in set.formats {
                let d = format.definition
                var applies: [String] = []
                if !d.paths.isEmpty { applies.append("paths \(d.paths.joined(separator: ", "))") }
                if !d.prefixes.isEmpty { applies.append("lines starting \(d.prefixes.map { "'\($0)'" }.joined(separator: " or "))") }
                if !d.contains.isEmpty { applies.append("lines containing \(d.contains.map { "'\($0)'" }.joined(separator: " or "))") }
                let source = d.logsource.isEmpty ? "" : "  logsource " + ["product", "category", "service"].compactMap { k in d.logsource[k].map { "\(k): \($0)" } }.joined(separator: ", ")
                out += "\(format.name)  \(applies.isEmpty ? "lines no built-in parser understands" : applies.joined(separator: "; "))\(source)  (\(d.file):\(d.line))\n"
            }
            out += "\(set.formats.count) site \(set.formats.count == 1 ? "format" : "formats")\n"
            Console.writeStdout(out)
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show, line by line, which format a sample's lines get and the fields they give.",
            discussion: """
                Reads DEFINITIONS (a YAML file or folder) besides the bundled formats and parses SAMPLE as \
                scan would (the sample's path counts for 'paths:'). For each line: the dataset it got and \
                its fields; for a line none of DEFINITIONS' formats matched, where each pattern stopped \
                (how many of its parts matched, the byte of the line, and the part that did not). \
                Exit 0 when every line got one of DEFINITIONS' formats, 1 when some did not, 2 when a \
                definition has errors.
                """
        )

        @Argument(help: "The format definitions to try (a YAML file or a folder of them).")
        var definitions: String

        @Argument(help: "A sample log file.")
        var sample: String

        @OptionGroup var read: ReadOptions

        @Option(help: "Show at most this many lines.")
        var lines: Int = 200

        func run() throws {
            let set = try SiteFormats.load(extra: [definitions] + read.formats)
            let own = Set(UserFormatLoader.load(paths: [definitions]).definitions.map(\.name))
            guard !own.isEmpty else { throw ValidationError("'\(definitions)' defines no format.") }
            guard let data = FileManager.default.contents(atPath: sample) else { throw ValidationError("cannot read '\(sample)'.") }
            let modified = ((try? FileManager.default.attributesOfItem(atPath: sample))?[.modificationDate] as? Date) ?? Date()
            var options = try read.parseOptions(format: .auto)
            options.formats = set
            let parser = EventParser(options: options)
            let chunks = MemoryRecordSource.chunks(of: Array(data), path: sample, options: IngestOptions(framing: parser.framing),
                                                   referenceTime: Int64(modified.timeIntervalSince1970))
            var out = ""
            var shown = 0
            var missed = 0
            var total = 0
            var batch = EventBatch()
            for chunk in chunks {
                parser.parse(chunk, into: &batch)
                var writer = JSONWriter()
                EventEncoder().encode(batch, chunk: chunk, to: &writer)
                let encoded = String(decoding: writer.bytes, as: UTF8.self).split(separator: "\n")
                batch.withValues(in: chunk) { values in
                    for (index, event) in batch.events.enumerated() {
                        total += 1
                        let dataset = event.dataset.name
                        let matched = own.contains(dataset)
                        if !matched { missed += 1 }
                        guard shown < lines else { continue }
                        shown += 1
                        let line = Array(values.line(of: event))
                        out += "line \(event.lineNumber): \(matched ? dataset : "no format of \(definitions) matched (\(dataset))")\n"
                        if matched, index < encoded.count { out += "  " + encoded[index] + "\n" }
                        if !matched {
                            for format in set.formats where own.contains(format.name) {
                                guard format.applies(toPath: sample) else {
                                    out += "  \(format.name): not for this file (paths: \(format.definition.paths.joined(separator: ", ")))\n"
                                    continue
                                }
                                if let stop = format.stop(on: line) {
                                    // The line's own text only where it cannot be patient data (or the
                                    // operator asked to see it).
                                    let show = read.revealPHI || (!format.holdsPatientData && !event.dataset.holdsPatientData)
                                    let seen = show ? " ('\(Diagnostics.escapingControls(String(decoding: line.prefix(stop.byte), as: UTF8.self)))')" : ""
                                    out += "  \(format.name): \(stop.matchedParts) of \(stop.parts) parts matched, up to byte \(stop.byte)\(seen)"
                                    out += stop.next.isEmpty ? "; the line goes on after the pattern's end\n" : "; then \(stop.next) did not\n"
                                } else {
                                    out += "  \(format.name): the pattern matches, but an earlier format or a built-in parser took the line\n"
                                }
                            }
                        }
                    }
                }
            }
            out += "\(total) lines: \(total - missed) got a format of \(definitions), \(missed) did not\n"
            Console.writeStdout(out)
            if missed > 0 { throw ExitCode(1) }
        }
    }
}
