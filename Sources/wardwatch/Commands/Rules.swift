import ArgumentParser
import WardCLI
import Foundation
import WardOutput
import WardPipeline
import WardRules

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, list and test Sigma rules.",
        subcommands: [Lint.self, List.self, Test.self]
    )
}

extension Rules {
    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report every problem in every rule file as file:line:col: error|warning: message.",
            discussion: "Exit code 2 when any error was found; warnings alone exit 0."
        )

        @OptionGroup var rules: RuleOptions

        func run() throws { try withOwnUsage("rules lint", execute) }


        func execute() throws {
            let options = try rules.loadOptions()
            let collection = RuleLoader.load(paths: rules.paths, options: options)
            let diagnostics = options.mappings.diagnostics + collection.diagnostics
            var out = ""
            for diagnostic in diagnostics { out += Diagnostics.escapingControls(diagnostic.description) + "\n" }
            let errors = diagnostics.filter { $0.severity == .error }
            // The bundled pack: every rule file has its tests (`wardwatch rules test`).
            var untested = 0
            for file in Set(collection.rules.map(\.path) + collection.correlations.map(\.path)).sorted()
                where RuleOptions.isBundled(file) && !FileManager.default.fileExists(atPath: RuleTestFile.testsPath(of: file)) {
                out += "\(file):1:1: warning: no tests: a bundled rule needs \(RuleTestFile.testsPath(of: file)) ('wardwatch rules test')\n"
                untested += 1
            }
            let warnings = diagnostics.count - errors.count + untested
            let brokenFiles = Set(errors.map(\.file)).count
            out += "\(collection.files.count) files: \(collection.rules.count) rules, \(collection.filters.count) filters, \(collection.correlations.count) correlations loaded; \(errors.count) errors in \(brokenFiles) files, \(warnings) warnings.\n"
            // Compile as the engine will, and say how many rules its literal prefilter can skip.
            let set = RuleSet(collection.rules)
            let prefiltered = set.rules.filter { $0.requiredAnyOf != nil }.count
            if !set.rules.isEmpty {
                out += "Prefilter: \(prefiltered) of \(set.rules.count) rules are evaluated only when one of their literals occurs.\n"
            }
            Console.writeStdout(Diagnostics.escapingControls(out))
            if !errors.isEmpty { throw ExitCode(WardExit.usage) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the loaded rules (id, level, log source, whether wardwatch has events for it, title) and correlation rules.",
            discussion: "Rules with errors are left out; run 'wardwatch rules lint' to see why."
        )

        @OptionGroup var rules: RuleOptions

        @Flag(help: "One JSON object per rule (id, title, level, status, logsource, path, events) and per correlation (id, title, level, status, correlation, path).")
        var json = false

        func run() throws { try withOwnUsage("rules list", execute) }


        func execute() throws {
            let options = try rules.loadOptions()
            let collection = RuleLoader.load(paths: rules.paths, options: options)
            var out = ""
            if json {
                for rule in collection.rules {
                    var writer = JSONWriter(capacity: 512)
                    writer.append("{\"id\":")
                    writeOptional(rule.id, &writer)
                    writer.append(",\"title\":")
                    writer.appendString(rule.title)
                    writer.append(",\"level\":")
                    writeOptional(rule.metadata.level, &writer)
                    writer.append(",\"status\":")
                    writeOptional(rule.metadata.status, &writer)
                    writer.append(",\"logsource\":{")
                    var first = true
                    for (key, value) in [("product", rule.logsource.product), ("category", rule.logsource.category),
                                         ("service", rule.logsource.service)] {
                        guard let value else { continue }
                        if !first { writer.append(",") }
                        first = false
                        writer.appendString(key)
                        writer.append(":")
                        writer.appendString(value)
                    }
                    writer.append("},\"path\":")
                    writer.appendString(rule.path)
                    writer.append(",\"events\":")
                    writer.append(rule.routes.isEmpty ? "false" : "true")
                    writer.append("}\n")
                    out += String(decoding: writer.bytes, as: UTF8.self)
                }
                for c in collection.correlations {
                    var writer = JSONWriter(capacity: 512)
                    writer.append("{\"id\":")
                    writeOptional(c.metadata.id, &writer)
                    writer.append(",\"title\":")
                    writer.appendString(c.metadata.title)
                    writer.append(",\"level\":")
                    writeOptional(c.metadata.level, &writer)
                    writer.append(",\"status\":")
                    writeOptional(c.metadata.status, &writer)
                    writer.append(",\"correlation\":{\"type\":")
                    writer.appendString(c.kind.rawValue)
                    writer.append(",\"rules\":")
                    AlertEncoder.array(c.rules, &writer)
                    writer.append(",\"group-by\":")
                    AlertEncoder.array(c.groupBy, &writer)
                    writer.append(",\"timespan\":")
                    writer.appendString(c.timespanText)
                    writer.append(",\"generate\":")
                    writer.append(c.generate ? "true" : "false")
                    writer.append("},\"path\":")
                    writer.appendString(c.path)
                    writer.append("}\n")
                    out += String(decoding: writer.bytes, as: UTF8.self)
                }
            } else {
                let rows = collection.rules.map { rule in
                    [rule.id ?? "-", rule.metadata.level ?? "-", rule.logsource.description,
                     rule.routes.isEmpty ? "none" : "yes", rule.title]
                }
                let header = ["ID", "LEVEL", "LOGSOURCE", "EVENTS", "TITLE"]
                let widths = (0..<4).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
                for row in [header] + rows {
                    var line = ""
                    for column in 0..<4 { line += row[column].padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0) }
                    out += line + row[4] + "\n"
                }
                let withoutEvents = collection.rules.filter(\.routes.isEmpty).count
                out += "\(collection.rules.count) rules; \(withoutEvents) for log sources wardwatch has no events for (EVENTS none: they load but never match).\n"
                if !collection.correlations.isEmpty {
                    let rows = collection.correlations.map { c in
                        [c.metadata.id ?? "-", c.metadata.level ?? "-", c.kind.rawValue, c.timespanText,
                         c.groupBy.isEmpty ? "-" : c.groupBy.joined(separator: ","), c.metadata.title]
                    }
                    let header = ["ID", "LEVEL", "CORRELATION", "TIMESPAN", "GROUP-BY", "TITLE"]
                    let widths = (0..<5).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
                    out += "\n"
                    for row in [header] + rows {
                        var line = ""
                        for column in 0..<5 { line += row[column].padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0) }
                        out += line + row[5] + "\n"
                    }
                    var annotations = MatchAnnotations(rules: collection.rules.count)
                    _ = CorrelationSet(collection.correlations, rules: collection.rules, annotations: &annotations)
                    let silent = annotations.silent.filter { $0 }.count
                    out += "\(collection.correlations.count) correlations; \(silent) of the rules only feed them (Sigma's generate: false): they write no alerts of their own.\n"
                }
            }
            Console.writeStdout(Diagnostics.escapingControls(out))
            for error in collection.errors where error.line == 0 { Diagnostics.error("\(error.file): \(error.message).") }
            if collection.rejectedDocuments > 0 {
                Diagnostics.warning("\(collection.rejectedDocuments) rule documents with errors were left out; 'wardwatch rules lint' shows why.")
            }
            if collection.errors.contains(where: { $0.line == 0 }) { throw ExitCode(WardExit.usage) }
        }

        private func writeOptional(_ value: String?, _ writer: inout JSONWriter) {
            if let value { writer.appendString(value) } else { writer.append("null") }
        }
    }
}
