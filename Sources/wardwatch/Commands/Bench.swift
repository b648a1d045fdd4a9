import ArgumentParser
import WardCLI
import Foundation
import WardCore
import WardDetect
import WardIngest
import WardParse
import WardPipeline
import WardRules

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure what a rule set costs: throughput per stage and per thread count.",
        discussion: """
            Runs a corpus (generated mixed hospital syslog, or the files given) through ingest, parse and \
            match, one stage at a time on one thread, then through the whole scan pipeline with 1 to \
            --threads workers, and prints MB/s and events/s for each. Rules come from --rules, or are \
            generated with --generated-rules (rules in the shape of real ones, most looking for rare \
            literals). --write-corpus and --write-rules save the generated data, e.g. to time \
            'wardwatch scan' on it.
            """
    )

    @Argument(help: "Log files to use as the corpus (read into memory). Default: a generated corpus.")
    var paths: [String] = []

    @Option(name: .customLong("rules"), help: "Rule file or directory (repeatable). Default: the bundled Rules/, unless --generated-rules is given.")
    var rulePaths: [String] = []

    @Option(name: .customLong("generated-rules"), help: "Add this many generated rules.")
    var generatedRules = 0

    @Option(help: "Generated corpus: 'hospital' (70 % syslog of many daemons, 23 % firewall logs of six vendors, 5 % HL7 v2, 1 % ATNA, 1 % EHR audit; what a hospital SOC receives) or 'syslog' (mixed Linux and EHR syslog).")
    var corpus: CorpusKind = .hospital

    @Option(name: .customLong("generated-profile"), help: "Kind of --generated-rules: 'realistic' (literals are the hospital corpus's own tokens, each in 1 %–50 % of lines, several searches and conditions per rule: what real rule sets cost) or 'rare' (literals that almost never occur: what the rule count alone costs).")
    var generatedProfile: RuleProfile = .realistic

    enum CorpusKind: String, ExpressibleByArgument, CaseIterable { case hospital, syslog }
    enum RuleProfile: String, ExpressibleByArgument, CaseIterable { case realistic, rare }

    @Option(help: "Events in the generated corpus.")
    var events = 500_000

    @Option(help: "Measure the pipeline with 1 up to this many threads. Default: the number of active cores.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("write-corpus"), help: "Write a generated corpus of --bytes bytes to this file, and stop.")
    var writeCorpus: String?

    @Option(help: "Size of the corpus --write-corpus writes, e.g. 1000000000 for 1 GB.")
    var bytes: Int = 100_000_000

    @Option(name: .customLong("formats"), help: "Log format definitions (a folder or file) besides the bundled Rules/formats; site formats select a corpus file by its path.")
    var formats: [String] = []

    @Option(name: .customLong("write-rules"), help: "Write --generated-rules rules into this folder, and stop.")
    var writeRules: String?

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("'--threads' must be between 1 and 256.") }
        guard events >= 1 else { throw ValidationError("'--events' must be at least 1.") }
        guard generatedRules >= 0 && generatedRules <= 100_000 else { throw ValidationError("'--generated-rules' must be between 0 and 100000.") }
        if writeRules != nil && generatedRules == 0 { throw ValidationError("'--write-rules' needs '--generated-rules N'.") }
    }

    func run() throws { try withOwnUsage("bench", execute) }


    func execute() throws {
        if let writeCorpus {
            var written = 0
            let fd = open(writeCorpus, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw ValidationError("Cannot create '\(writeCorpus)'.") }
            defer { close(fd) }
            var seed: UInt64 = 1
            while written < bytes {
                let size = min(64 << 20, bytes - written)
                let block = corpus == .hospital ? Synthetic.hospitalCorpus(bytes: size, seed: seed) : Synthetic.corpus(bytes: size, seed: seed)
                block.withUnsafeBytes { _ = write(fd, $0.baseAddress!, $0.count) }
                written += block.count
                seed += 1
            }
            Console.writeStdout("wrote \(written) bytes of the generated \(corpus.rawValue) corpus to \(writeCorpus)\n")
            return
        }
        if let writeRules {
            try FileManager.default.createDirectory(atPath: writeRules, withIntermediateDirectories: true)
            for rule in generated() {
                try rule.yaml.write(toFile: (writeRules as NSString).appendingPathComponent(rule.name), atomically: false, encoding: .utf8)
            }
            Console.writeStdout("wrote \(generatedRules) generated rules to \(writeRules)\n")
            return
        }

        // Rules: as `scan` loads them — the bundled ones with the site's placeholder values, those still
        // waiting for site values off, a rule with errors reported and skipped.
        // The site formats before the rules: their log sources route rules.
        let siteFormats = try SiteFormats.load(extra: formats)
        var paths = rulePaths
        if paths.isEmpty && generatedRules == 0, let bundled = RuleOptions.bundledRules() { paths = [bundled] }
        let usesBundled = paths.contains(where: RuleOptions.isBundled)
        let options = try RuleOptions.loadOptions(placeholders: usesBundled ? RuleOptions.bundled("Rules/placeholders.yml") : nil,
                                                  mappings: nil)
        var collection = RuleLoader.load(paths: paths, options: options)
        for rule in generated() {
            RuleLoader.load(yaml: rule.yaml, file: rule.name, options: options, into: &collection)
        }
        let unconfigured = Set(collection.emptyPlaceholders.map(\.file).filter(RuleOptions.isBundled))
        collection.rules.removeAll { unconfigured.contains($0.path) }
        let errors = collection.errors
        for error in errors { Diagnostics.write(error.description) }
        if collection.rules.isEmpty {
            Diagnostics.error("no rules were loaded; nothing was measured.")
            throw ExitCode(WardExit.usage)
        }
        if !errors.isEmpty {
            Diagnostics.warning("\(Set(errors.map(\.file)).count) rule files had errors (above); the other rules are measured.")
        }
        let loadStart = ContinuousClock.now
        let ruleSet = RuleSet(collection.rules)
        let engine = DetectionEngine(ruleSet: ruleSet, resolver: HL7PathResolver())
        let compile = ContinuousClock.now - loadStart

        // Corpus.
        var text: [UInt8] = []
        var source = "generated \(corpus.rawValue) corpus"
        if self.paths.isEmpty {
            text = corpus == .hospital ? Synthetic.hospitalCorpus(events: events) : Synthetic.corpus(events: events)
        } else {
            for path in self.paths {
                guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("Cannot read '\(path)'.") }
                text += data
            }
            source = self.paths.joined(separator: ", ")
        }
        let megabytes = Double(text.count) / 1e6

        var out = "corpus: \(source), \(String(format: "%.1f", megabytes)) MB\n"
        out += "rules: \(ruleSet.rules.count) (\(engine.activeRuleCount) for log sources with events; \(ruleSet.rules.filter { $0.requiredAnyOf != nil }.count) with prefilter literals), compiled in \(Self.ms(compile)) ms\n"
        let lanes = engine.automata
        let tables = lanes.flatMap(\.automata)
        let largest = lanes.max { $0.automata.map(\.bytes).reduce(0, +) < $1.automata.map(\.bytes).reduce(0, +) }
        out += "prefilter automata: \(lanes.count) log-source lanes, \(tables.count) field automata, \(tables.map(\.literals).reduce(0, +)) literals, \(tables.map(\.bytes).reduce(0, +) / 1024) KiB of tables"
        if let largest { out += " (largest lane: \(largest.datasets.joined(separator: ", ")), \(largest.automata.map(\.bytes).reduce(0, +) / 1024) KiB)" }
        out += "\n\n"
        out += "stage                 threads      seconds        MB/s      events/s\n"

        let parser = EventParser(options: ParseOptions(year: 2026, formats: siteFormats))
        let times = PipelineBenchmark.stages(corpus: text, path: self.paths.first ?? "bench", parser: parser, engine: engine)
        out += Self.row("ingest (chunking)", 1, times.ingest, megabytes, times.events)
        out += Self.row("parse", 1, times.parse, megabytes, times.events)
        out += Self.row("match", 1, times.match, megabytes, times.events)
        for t in 1...threads {
            let (time, matches) = PipelineBenchmark.pipeline(chunks: times.chunks, parser: parser, engine: engine, threads: t)
            out += Self.row("parse + match", t, time, megabytes, times.events)
            precondition(matches == times.matches, "thread counts disagree")
        }
        out += "\n\(times.events) events, \(times.matches) alerts.\n"
        let shares = times.prefilter
        out += String(format: "prefilter: %.1f %% of events have a candidate rule; %.2f candidate rules evaluated per event (%.1f per event that has one)\n",
                      100 * Double(shares.passed) / Double(max(1, shares.events)), Double(shares.candidates) / Double(max(1, shares.events)),
                      Double(shares.candidates) / Double(max(1, shares.passed)))
        out += String(format: "candidates: %.2f per event evaluated in full, %.2f per event decided by their literals alone, the rest ruled out by them\n",
                      Double(shares.evaluated) / Double(max(1, shares.events)), Double(shares.decided) / Double(max(1, shares.events)))
        Console.writeStdout(out)
    }

    /// The --generated-rules rules of the chosen profile.
    func generated() -> [(name: String, yaml: String)] {
        generatedProfile == .realistic ? Synthetic.realisticRules(count: generatedRules) : Synthetic.rules(count: generatedRules)
    }

    static func ms(_ d: Duration) -> String {
        String(format: "%.0f", Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15)
    }

    static func row(_ stage: String, _ threads: Int, _ d: Duration, _ megabytes: Double, _ events: Int) -> String {
        let seconds = max(1e-9, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        let cells = [stage.padding(toLength: 21, withPad: " ", startingAt: 0),
                     String(threads).leftPad(8), String(format: "%.3f", seconds).leftPad(13),
                     String(format: "%.0f", megabytes / seconds).leftPad(12),
                     String(Int(Double(events) / seconds)).leftPad(14)]
        return cells.joined(separator: "") + "\n"
    }
}

extension String {
    func leftPad(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
