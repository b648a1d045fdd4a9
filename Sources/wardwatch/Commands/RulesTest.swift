import ArgumentParser
import Foundation
import WardCLI
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

extension Rules {
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the rules' test cases (rule.yml → rule.tests.yml) and, with --corpus, look for false positives.",
            discussion: """
                Placeholders: --placeholders, else the placeholders.example.yml beside the rules (or \
                the bundled one). Every case's logs (raw lines in any format wardwatch reads) go through parsing, the \
                rules and the correlations, with fresh correlation state per case; its expectations \
                (match, no_match, exactly/at_least/at_most N, per rule by id or title) are checked. One \
                line per case, then a summary; a failure says which search was false and which value \
                its field had. Pseudonyms in tests are made with a fixed key (\(RuleTestRunner.pseudonymKey)), so \
                that a case can name one. --corpus runs all the rules over benign logs: every alert there \
                is a possible false positive (--unexpected warn, the default with --corpus, lists them; \
                fail makes them fail the run).

                Exit codes: 0 all cases passed, 1 a case failed (or --unexpected fail found alerts), \
                2 a rule or tests file has an error (file:line).
                """
        )

        @OptionGroup var rules: RuleOptions

        @Option(help: "More rules to load without running their tests (repeatable): base rules of the correlations under test, for instance.")
        var context: [String] = []

        @Option(help: "Write a JUnit XML report here (one testsuite per tests file).")
        var junit: String?

        @Option(help: "Write a JSON report here.")
        var json: String?

        @Option(help: "Benign logs to run all the rules over (repeatable): their alerts are possible false positives.")
        var corpus: [String] = []

        @Option(help: "What alerts on --corpus do: fail (exit 1), warn (listed), ignore (counted only).")
        var unexpected: String = "warn"

        @Option(help: "Year of year-less syslog stamps in --corpus. Default: from each file's modification time.")
        var year: Int?

        func validate() throws {
            guard ["fail", "warn", "ignore"].contains(unexpected) else {
                throw ValidationError("'--unexpected' must be fail, warn or ignore, not '\(unexpected)'.")
            }
        }

        func run() throws { try withOwnUsage("rules test", execute) }

        struct Result {
            var file: String
            var name: String
            var outcome: RuleTestRunner.Outcome
        }

        func execute() throws {
            // Tests rely on the documented example values of the placeholders (RuleOptions.exampleValues).
            let options = try rules.loadOptions()
            // A tests file named on the command line stands for its rule file.
            // (One without a rule file is reported below, as any tests file without its rule is.)
            let rulePaths = rules.paths.compactMap { RuleTestFile.isTestFile($0) ? RuleTestFile.rulePath(ofTests: $0) : $0 }
            let collection = RuleLoader.load(paths: rulePaths + context, options: options)
            let errors = (options.mappings.diagnostics + collection.diagnostics).filter { $0.severity == .error }
            for problem in errors { Diagnostics.write(problem.description) }
            var testFiles: [RuleTestFile] = []
            var broken = !errors.isEmpty
            for path in Self.testPaths(rules.paths) {
                do {
                    testFiles.append(try RuleTestFile(path: path))
                } catch {
                    Diagnostics.write(error.description)
                    broken = true
                }
            }
            let runner = RuleTestRunner(collection: collection)
            var results: [Result] = []
            var out = ""
            for file in testFiles {
                if file.rulePath == nil {
                    Diagnostics.write("\(file.path):1: error: no rule file beside it (\(file.path.replacingOccurrences(of: ".tests.", with: ".")))")
                    broken = true
                    continue
                }
                for testCase in file.cases {
                    let outcome = runner.run(testCase, of: file)
                    results.append(Result(file: file.path, name: testCase.name, outcome: outcome))
                    out += "\(outcome.passed ? "pass" : "FAIL")  \(file.path):\(testCase.line): \(testCase.name)\n"
                    for reason in outcome.reasons { out += "      \(reason)\n" }
                }
            }
            // Rules that no tests file covers.
            let tested = Set(testFiles.compactMap(\.rulePath))
            let contextFiles = Set(context.flatMap { path -> [String] in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
                    ? RuleLoader.ruleFiles(in: path) : [path]
            })
            let untested = Set(collection.rules.map(\.path) + collection.correlations.map(\.path)).subtracting(tested)
                .subtracting(contextFiles).sorted()
            let failed = results.filter { !$0.outcome.passed }.count
            out += "\(results.count) cases in \(testFiles.count) tests files: \(results.count - failed) passed, \(failed) failed"
            out += "; \(collection.rules.count) rules and \(collection.correlations.count) correlations loaded"
            out += untested.isEmpty ? ", every rule file has tests.\n" : "; \(untested.count) rule files without tests.\n"
            Console.writeStdout(Diagnostics.escapingControls(out))
            for path in untested.prefix(20) { Diagnostics.warning("\(path): no tests (\(RuleTestFile.testsPath(of: path)))") }
            var unexpectedAlerts = 0
            var corpusFailed = false
            if !corpus.isEmpty { (unexpectedAlerts, corpusFailed) = try runCorpus(collection: collection, options: options) }
            if let junit { try write(Self.junit(results), to: junit) }
            if let json { try write(Self.json(results, untested: untested, unexpected: unexpectedAlerts), to: json) }
            if broken { throw ExitCode(WardExit.usage) }
            if failed > 0 || (unexpected == "fail" && unexpectedAlerts > 0) { throw ExitCode(WardExit.alerts) }
            // A corpus that could not be read whole: its count of false positives means nothing.
            if corpusFailed { throw ExitCode(WardExit.input) }
        }

        /// The tests files under `paths`: `*.tests.yml` in folders; beside a rule file given by name.
        static func testPaths(_ paths: [String]) -> [String] {
            var found: [String] = []
            for path in paths {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    found += walk(path).filter(RuleTestFile.isTestFile)
                } else if RuleTestFile.isTestFile(path) {
                    found.append(path)
                } else if FileManager.default.fileExists(atPath: RuleTestFile.testsPath(of: path)) {
                    found.append(RuleTestFile.testsPath(of: path))
                }
            }
            var seen = Set<String>()
            return found.filter { seen.insert($0).inserted }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }

        static func walk(_ directory: String) -> [String] {
            guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
            var files: [String] = []
            while let relative = enumerator.nextObject() as? String {
                files.append((directory as NSString).appendingPathComponent(relative))
            }
            return files
        }

        /// Runs every rule (as `scan` would: base rules of correlations silent unless `generate`)
        /// over the corpus; returns its alerts, listed by rule unless `--unexpected ignore`.
        func runCorpus(collection: RuleCollection, options: RuleLoadOptions) throws -> (alerts: Int, failed: Bool) {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wardwatch-rules-test-\(getpid())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let output = folder.appendingPathComponent("alerts.jsonl").path
            let names = SourceNames()
            let policy = PatientDataPolicy(key: Array(RuleTestRunner.pseudonymKey.utf8), keySource: "rules test")
            let parser = EventParser(options: ParseOptions(year: year, patientData: policy, formats: (try? SiteFormats.current()) ?? UserFormatSet()))
            let (inputs, walkErrors) = PipelineInput.files(corpus, options: IngestOptions(framing: parser.framing))
            for error in walkErrors { Diagnostics.error(error.description) }
            for input in inputs { _ = names.register(input.name) }
            let ruleSet = RuleSet(collection.rules)
            let engine = DetectionEngine(ruleSet: ruleSet, resolver: HL7PathResolver())
            let sinks = try AlertSinks(output: output)
            var configuration = PipelineConfiguration(inputs: inputs, parser: parser, engine: engine,
                                                      encoding: .alerts(AlertEncoder(ruleSet: ruleSet)), sinks: sinks, threads: 2)
            do {
                let stages = try DetectionStages(rules: collection.rules, correlations: collection.correlations, suppress: [],
                                                 names: names, settings: CorrelationSettings())
                stages.install(in: &configuration)
            } catch {
                throw ValidationError(error.message)
            }
            configuration.onDiagnostic = Diagnostics.report
            let report = Pipeline(configuration).run()
            sinks.close()
            let lines = (try? String(contentsOfFile: output, encoding: .utf8))?.split(separator: "\n") ?? []
            var byRule: [String: (level: String, count: Int, first: String)] = [:]
            for line in lines {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let rule = object["rule.name"] as? String else { continue }
                // A correlation alert is placed at its first event.
                let at = object["log.file.path"] != nil ? object : (object["correlation.events"] as? [[String: Any]])?.first ?? [:]
                let place = "\(at["log.file.path"] as? String ?? "-"):\(at["log.offset"].map { "\($0)" } ?? "-")"
                var entry = byRule[rule] ?? (object["rule.level"] as? String ?? "-", 0, place)
                entry.count += 1
                byRule[rule] = entry
            }
            var text = "corpus: \(ScanSummary.number(report.statistics.events)) events in \(inputs.count) files: \(ScanSummary.number(lines.count)) possible false positives"
            let levels = ["critical", "high", "medium", "low", "informational"]
            let ranked = byRule.sorted { (levels.firstIndex(of: $0.value.level) ?? 9, -$0.value.count, $0.key) < (levels.firstIndex(of: $1.value.level) ?? 9, -$1.value.count, $1.key) }
            let atHigh = ranked.filter { $0.value.level == "critical" || $0.value.level == "high" }.reduce(0) { $0 + $1.value.count }
            text += " (\(atHigh) at high or critical)\n"
            if unexpected != "ignore" {
                for (rule, entry) in ranked {
                    text += "  \(entry.level.padding(toLength: 13, withPad: " ", startingAt: 0)) \(String(repeating: " ", count: max(0, 6 - String(entry.count).count)))\(entry.count)  \(rule)  (first: \(entry.first))\n"
                }
            }
            let failed = !walkErrors.isEmpty || report.inputFailed
            if failed { text += "corpus: some input could not be read whole (above): the count covers only what was read\n" }
            Console.writeStdout(text)
            return (lines.count, failed)
        }

        func write(_ text: String, to path: String) throws {
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                Diagnostics.error("cannot write '\(path)': \(error.localizedDescription)")
                throw ExitCode(WardExit.output)
            }
        }

        /// Text for XML: escaped, and the characters XML 1.0 forbids (controls, U+FFFE, U+FFFF, lone
        /// surrogates cannot occur in a String) left out.
        static func xml(_ text: String) -> String {
            let allowed = String(String.UnicodeScalarView(text.unicodeScalars.filter { c in
                c == "\t" || c == "\n" || c == "\r" || (c.value >= 0x20 && c.value != 0xFFFE && c.value != 0xFFFF)
            }))
            return ReportHTML.escape(allowed)
        }

        /// JUnit XML: one testsuite per tests file, one testcase per case, a failure with its reasons.
        static func junit(_ results: [Result]) -> String {
            var files: [String] = []
            for r in results where !files.contains(r.file) { files.append(r.file) }
            let failures = results.filter { !$0.outcome.passed }.count
            let total = results.reduce(0.0) { $0 + $1.outcome.seconds }
            var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            out += "<testsuites name=\"wardwatch rules test\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\" time=\"\(String(format: "%.3f", total))\">\n"
            for file in files {
                let cases = results.filter { $0.file == file }
                let time = cases.reduce(0.0) { $0 + $1.outcome.seconds }
                out += "  <testsuite name=\"\(xml(file))\" tests=\"\(cases.count)\" failures=\"\(cases.filter { !$0.outcome.passed }.count)\" errors=\"0\" skipped=\"0\" time=\"\(String(format: "%.3f", time))\">\n"
                for c in cases {
                    out += "    <testcase classname=\"\(xml(file))\" name=\"\(xml(c.name))\" time=\"\(String(format: "%.3f", c.outcome.seconds))\""
                    if c.outcome.passed {
                        out += "/>\n"
                    } else {
                        out += ">\n      <failure message=\"\(xml(c.outcome.reasons.first ?? "failed"))\" type=\"expectation\">\(xml(c.outcome.reasons.joined(separator: "\n")))</failure>\n    </testcase>\n"
                    }
                }
                out += "  </testsuite>\n"
            }
            return out + "</testsuites>\n"
        }

        static func json(_ results: [Result], untested: [String], unexpected: Int) -> String {
            var w = JSONWriter(capacity: 4096)
            w.append("{\"cases\":[")
            for (i, r) in results.enumerated() {
                if i > 0 { w.append(",") }
                w.append("{\"file\":")
                w.appendString(r.file)
                w.append(",\"case\":")
                w.appendString(r.name)
                w.append(r.outcome.passed ? ",\"passed\":true,\"reasons\":" : ",\"passed\":false,\"reasons\":")
                AlertEncoder.array(r.outcome.reasons, &w)
                w.append("}")
            }
            w.append("],\"passed\":")
            w.appendInteger(Int64(results.filter(\.outcome.passed).count))
            w.append(",\"failed\":")
            w.appendInteger(Int64(results.filter { !$0.outcome.passed }.count))
            w.append(",\"untested\":")
            AlertEncoder.array(untested, &w)
            w.append(",\"corpus_alerts\":")
            w.appendInteger(Int64(unexpected))
            w.append("}\n")
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }
}
