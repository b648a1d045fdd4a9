import Foundation
import Yams

/// Everything loaded from a set of rule files.
public struct RuleCollection: Sendable {
    public var rules: [SigmaRule] = []
    public var filters: [SigmaFilter] = []
    public var correlations: [CorrelationRule] = []
    /// Every problem found, in file order (errors and warnings).
    public var diagnostics: [RuleDiagnostic] = []
    /// Rule files read.
    public var files: [String] = []
    /// Documents rejected because of errors.
    public var rejectedDocuments = 0
    /// Placeholders given as empty lists, and the files that use them (their values match nothing).
    public var emptyPlaceholders: [(file: String, name: String)] = []

    public init() {}

    public var errors: [RuleDiagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [RuleDiagnostic] { diagnostics.filter { $0.severity == .warning } }
}

/// Settings for loading rules.
public struct RuleLoadOptions: Sendable {
    /// Values of `%name%` placeholders for `expand` (`--placeholders FILE`).
    public var placeholders: [String: [String]]
    public var mappings: MappingSet
    /// Rule files larger than this are rejected unread (`--max-rule-file-bytes`): a 100 MB file took
    /// 30 s and 2 GB to load.
    public var maxFileBytes: Int
    /// YAML nodes a document may expand to, aliases counted each time they are used: beyond it the
    /// document is rejected ("billion laughs").
    public var maxNodes: Int

    public static let defaultMaxFileBytes = 4 << 20
    public static let defaultMaxNodes = 1_000_000

    public init(placeholders: [String: [String]] = [:], mappings: MappingSet = MappingSet(),
                maxFileBytes: Int = RuleLoadOptions.defaultMaxFileBytes, maxNodes: Int = RuleLoadOptions.defaultMaxNodes) {
        self.placeholders = placeholders
        self.mappings = mappings
        self.maxFileBytes = maxFileBytes
        self.maxNodes = maxNodes
    }
}

/// Loads Sigma rule files: YAML through Yams, every problem reported with its line and column.
public enum RuleLoader {
    /// Loads files and directories (searched recursively for `.yml`/`.yaml`, in name order), then
    /// applies filters to the rules they name.
    public static func load(paths: [String], options: RuleLoadOptions) -> RuleCollection {
        // The files in order, a path that does not exist in its place.
        var found: [(file: String, missing: Bool)] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                found.append((path, true))
                continue
            }
            for file in isDirectory.boolValue ? ruleFiles(in: path) : [path] { found.append((file, false)) }
        }
        let items = found
        // Files are read, parsed and compiled on every core (SigmaHQ's 3,141 files: 0.95 s on one),
        // each into its own collection; they are joined in file order, so the result does not depend
        // on the number of cores.
        // Each index is written by one worker only.
        nonisolated(unsafe) let parts = UnsafeMutableBufferPointer<RuleCollection>.allocate(capacity: max(1, items.count))
        parts.initialize(repeating: RuleCollection())
        defer {
            parts.deinitialize()
            parts.deallocate()
        }
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count / 64))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var i = worker
            while i < items.count {
                if items[i].missing {
                    parts[i].diagnostics.append(RuleDiagnostic(.error, file: items[i].file, line: 0, column: 0, "no such file or directory"))
                } else {
                    loadFile(items[i].file, options: options, into: &parts[i])
                }
                i += workers
            }
        }
        var collection = RuleCollection()
        for part in parts {
            collection.rules += part.rules
            collection.filters += part.filters
            collection.correlations += part.correlations
            collection.diagnostics += part.diagnostics
            collection.files += part.files
            collection.rejectedDocuments += part.rejectedDocuments
            collection.emptyPlaceholders += part.emptyPlaceholders
        }
        applyFilters(&collection)
        reportUnresolvedReferences(&collection)
        return collection
    }

    /// Reads one rule file (within the size limit, valid UTF-8) and loads its documents.
    static func loadFile(_ file: String, options: RuleLoadOptions, into collection: inout RuleCollection) {
        collection.files.append(file)
        if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int, size > options.maxFileBytes {
            collection.diagnostics.append(RuleDiagnostic(.error, file: file, line: 0, column: 0,
                "the file has \(size) bytes, more than the \(options.maxFileBytes) a rule file may have; it is not read (raise --max-rule-file-bytes to load it)"))
            collection.rejectedDocuments += 1
            return
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            collection.diagnostics.append(RuleDiagnostic(.error, file: file, line: 0, column: 0, "cannot read the file"))
            return
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            collection.diagnostics.append(RuleDiagnostic(.error, file: file, line: 0, column: 0, "the file is not valid UTF-8"))
            return
        }
        load(yaml: text, file: file, options: options, into: &collection)
    }

    /// `.yml`/`.yaml` files under `directory`, recursively, in byte order of their paths. Folders named
    /// `mappings` (log source mappings) and `formats` (log format definitions) hold no rules and are skipped, as are rule tests
    /// (`*.tests.yml`, `wardwatch rules test`) and placeholder values (`placeholders*.yml`).
    public static func ruleFiles(in directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if ["mappings", "formats"].contains((relative as NSString).lastPathComponent) {
                enumerator.skipDescendants()
                continue
            }
            let name = (relative as NSString).lastPathComponent
            if (name.hasSuffix(".yml") || name.hasSuffix(".yaml")) && !name.hasSuffix(".tests.yml") && !name.hasSuffix(".tests.yaml")
                && !name.hasPrefix("placeholders") {
                files.append((directory as NSString).appendingPathComponent(relative))
            }
        }
        return files.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Loads every document of one file's text.
    public static func load(yaml: String, file: String, options: RuleLoadOptions, into collection: inout RuleCollection) {
        var sink = DiagnosticSink(file: file)
        defer {
            collection.diagnostics += sink.items
            collection.emptyPlaceholders += sink.emptyPlaceholders.map { (file: file, name: $0) }
        }
        var documents: [Node] = []
        do {
            // The basic resolver: scalars are classified by ``Node/scalarKind`` from their text and style,
            // so Yams's implicit tag resolution (a Foundation regular expression per scalar: a fifth of
            // the load time of SigmaHQ's rules) buys nothing; and the encoding is given, not looked up
            // in the environment per file.
            var sequence = try Yams.compose_all(yaml: yaml, .basic, .default, .utf8)
            while let node = sequence.next() { documents.append(node) }
            if let error = sequence.error { throw error }
        } catch {
            sink.error(location(of: error), "invalid YAML: \(describe(error))")
            collection.rejectedDocuments += 1
            return
        }
        for document in documents {
            let before = sink.items.count
            var budget = options.maxNodes
            guard Self.fits(document, budget: &budget) else {
                sink.error(document.location, "the document expands to more than \(options.maxNodes) YAML nodes (aliases counted each time they are used); it is rejected")
                collection.rejectedDocuments += 1
                continue
            }
            if document[key: "action"] != nil {
                sink.error(document.location, "legacy 'action: global/reset/repeat' rule collections are not Sigma v2; write one complete rule per document")
            } else if document[key: "correlation"] != nil {
                if let rule = correlation(document, file: file, sink: &sink) { collection.correlations.append(rule) }
            } else if document[key: "filter"] != nil {
                if let filter = filter(document, file: file, options: options, sink: &sink) { collection.filters.append(filter) }
            } else if var rule = rule(document, file: file, options: options, sink: &sink) {
                rule.routes = options.mappings.producibleSources(for: rule.logsource).map(\.route)
                rule.fieldMap = options.mappings.sources(for: rule.logsource).first?.fields ?? [:]
                collection.rules.append(rule)
            }
            if sink.items[before...].contains(where: { $0.severity == .error }) { collection.rejectedDocuments += 1 }
        }
    }

    // MARK: - Documents

    static func rule(_ node: Node, file: String, options: RuleLoadOptions, sink: inout DiagnosticSink) -> SigmaRule? {
        guard node.entries != nil else {
            sink.error(node.location, "a rule must be a YAML map")
            return nil
        }
        let meta = metadata(node, sink: &sink)
        guard let ls = node[key: "logsource"] else {
            sink.error(node.location, "the rule has no 'logsource'")
            return nil
        }
        guard let logsource = logsource(ls, sink: &sink) else { return nil }
        guard let detectionNode = node[key: "detection"] else {
            sink.error(node.location, "the rule has no 'detection'")
            return nil
        }
        let mapper = fieldMapper(for: logsource, options: options)
        guard let detection = detection(detectionNode, mapper: mapper, options: options, sink: &sink),
              let meta
        else { return nil }
        return SigmaRule(metadata: meta, logsource: logsource, path: sink.file, location: node.location,
                         searches: detection.searches, condition: detection.condition)
    }

    static func filter(_ node: Node, file: String, options: RuleLoadOptions, sink: inout DiagnosticSink) -> SigmaFilter? {
        let title = requiredTitle(node, sink: &sink)
        guard let ls = node[key: "logsource"] else {
            sink.error(node.location, "the filter has no 'logsource'")
            return nil
        }
        guard let logsource = logsource(ls, sink: &sink), let filterNode = node[key: "filter"] else { return nil }
        var targets: [String]?
        switch filterNode[key: "rules"] {
        case .some(.scalar(let s)) where s.string == "any":
            targets = nil
        case .some(.sequence(let list)):
            let ids = list.compactMap(\.scalarText)
            targets = ids.isEmpty ? nil : ids
        default:
            sink.error(filterNode.location, "the filter needs 'rules': a list of rule ids or names, or 'any'")
            return nil
        }
        let mapper = fieldMapper(for: logsource, options: options)
        guard let detection = detection(filterNode, mapper: mapper, options: options, sink: &sink, skipping: ["rules"]),
              let title
        else { return nil }
        return SigmaFilter(title: title, id: node[key: "id"]?.scalarText, logsource: logsource, targets: targets,
                           searches: detection.searches, condition: detection.condition, path: file,
                           location: node.location)
    }

    /// Whether `node` has at most `budget` nodes, counting an alias's target each time it is used;
    /// stops counting as soon as the budget is spent.
    static func fits(_ node: Node, budget: inout Int) -> Bool {
        budget -= 1
        if budget < 0 { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let list):
            for child in list where !fits(child, budget: &budget) { return false }
            return true
        case .mapping(let map):
            for (key, value) in map where !fits(key, budget: &budget) || !fits(value, budget: &budget) { return false }
            return true
        }
    }

    static func requiredTitle(_ node: Node, sink: inout DiagnosticSink) -> String? {
        guard let title = node[key: "title"]?.scalarText, !title.isEmpty else {
            sink.error(node.location, "the document has no 'title'")
            return nil
        }
        if title.count > 256 { sink.warning(node[key: "title"]!.location, "the title is longer than 256 characters") }
        return title
    }

    static func metadata(_ node: Node, sink: inout DiagnosticSink) -> RuleMetadata? {
        guard let title = requiredTitle(node, sink: &sink) else { return nil }
        var meta = RuleMetadata(title: title)
        var ok = true
        if let id = node[key: "id"] {
            meta.id = id.scalarText
            if let text = id.scalarText, UUID(uuidString: text) == nil {
                sink.warning(id.location, "id '\(text)' is not a UUID")
            }
        }
        meta.name = node[key: "name"]?.scalarText
        if let status = node[key: "status"] {
            meta.status = status.scalarText
            if !statuses.contains(status.scalarText ?? "") {
                sink.error(status.location, "status must be one of \(statuses.sorted().joined(separator: ", ")), not '\(status.scalarText ?? "")'")
                ok = false
            }
        }
        if let level = node[key: "level"] {
            meta.level = level.scalarText
            if !levels.contains(level.scalarText ?? "") {
                sink.error(level.location, "level must be one of informational, low, medium, high, critical, not '\(level.scalarText ?? "")'")
                ok = false
            }
        }
        meta.description = node[key: "description"]?.scalarText
        meta.author = node[key: "author"]?.stringList?.joined(separator: ", ")
        meta.references = node[key: "references"]?.stringList ?? []
        meta.tags = node[key: "tags"]?.stringList ?? []
        meta.falsepositives = node[key: "falsepositives"]?.stringList ?? []
        meta.fields = node[key: "fields"]?.stringList ?? []
        meta.license = node[key: "license"]?.scalarText
        if let suppress = node[key: "suppress"] {
            // wardwatch's custom attribute: `suppress: {by: [source.ip], for: 10m}`.
            let by = suppress[key: "by"]?.stringList
            let span = suppress[key: "for"]?.scalarText.flatMap(timespan)
            if let by, let span, suppress.entries?.allSatisfy({ $0.key == "by" || $0.key == "for" }) == true {
                meta.suppress = SuppressionSpec(fields: by, seconds: span, text: suppress[key: "for"]!.scalarText!)
            } else {
                sink.error(suppress.location, "'suppress' must be a map with 'by' (a list of fields) and 'for' (a time such as 10m)")
                ok = false
            }
        }
        for key in ["date", "modified"] {
            guard let value = node[key: key] else { continue }
            let text = value.scalarText ?? ""
            if key == "date" { meta.date = text } else { meta.modified = text }
            if text.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil {
                sink.warning(value.location, "'\(key)' should be YYYY-MM-DD, not '\(text)'")
            }
        }
        if case .sequence(let related)? = node[key: "related"] {
            for entry in related {
                guard let id = entry[key: "id"]?.scalarText, let type = entry[key: "type"]?.scalarText else {
                    sink.warning(entry.location, "'related' entries need 'id' and 'type'")
                    continue
                }
                meta.related.append((id, type))
            }
        }
        for tag in meta.tags where tag != tag.lowercased() || !tag.contains(".") {
            sink.warning(node[key: "tags"]?.location ?? node.location, "tag '\(tag)' should be lower-case 'namespace.value'")
        }
        return ok ? meta : nil
    }

    static func logsource(_ node: Node, sink: inout DiagnosticSink) -> LogSource? {
        guard node.entries != nil else {
            sink.error(node.location, "'logsource' must be a map of category, product and service")
            return nil
        }
        return LogSource(category: node[key: "category"]?.scalarText, product: node[key: "product"]?.scalarText,
                         service: node[key: "service"]?.scalarText)
    }

    static func fieldMapper(for logsource: LogSource, options: RuleLoadOptions) -> (String) -> FieldRef {
        let fields = options.mappings.sources(for: logsource).first?.fields ?? [:]
        return { name in FieldRef(fields[name] ?? name) }
    }

    /// Parses the searches and the condition of a `detection` (or a filter's `filter`) map.
    static func detection(_ node: Node, mapper: @escaping (String) -> FieldRef, options: RuleLoadOptions,
                          sink: inout DiagnosticSink, skipping skipped: Set<String> = [])
        -> (searches: [NamedSearch], condition: Condition)?
    {
        guard let entries = node.entries else {
            sink.error(node.location, "'detection' must be a map of search identifiers and a condition")
            return nil
        }
        let builder = DetectionBuilder(fieldMapper: mapper, placeholders: options.placeholders)
        var searches: [NamedSearch] = []
        var failedNames: [String] = []  // known to the condition, so one broken selection is one error
        var ok = true
        var conditionNode: Node?
        for entry in entries where !skipped.contains(entry.key) {
            switch entry.key {
            case "condition":
                conditionNode = entry.value
            case "timeframe":
                sink.error(entry.keyNode.location, "'timeframe' in a detection is Sigma 1 syntax; use a correlation rule with 'timespan'")
                ok = false
            default:
                if let expression = builder.search(entry.value, sink: &sink) {
                    searches.append(NamedSearch(name: entry.key, expression: expression, location: entry.keyNode.location))
                } else {
                    failedNames.append(entry.key)
                    ok = false
                }
            }
        }
        guard let conditionNode else {
            sink.error(node.location, "the detection has no 'condition'")
            return nil
        }
        let texts: [(String, Node)]
        switch conditionNode {
        case .scalar(let s): texts = [(s.string, conditionNode)]
        case .sequence(let list): texts = list.map { ($0.scalarText ?? "", $0) }
        default:
            sink.error(conditionNode.location, "'condition' must be a string or a list of strings")
            return nil
        }
        let names = searches.map(\.name) + failedNames
        var conditions: [Condition] = []
        for (text, at) in texts {
            var parser = ConditionParser(text, identifiers: names)
            // The condition's text starts one column later when quoted.
            var start = at.location
            if case .scalar(let s) = at, s.style == .singleQuoted || s.style == .doubleQuoted { start.column += 1 }
            do {
                conditions.append(try parser.parse())
                for warning in parser.warnings {
                    sink.warning(SourceLocation(line: start.line, column: start.column + warning.offset), warning.message)
                }
            } catch {
                sink.error(SourceLocation(line: start.line, column: start.column + error.offset), error.message)
                ok = false
            }
        }
        guard ok else { return nil }
        return (searches, conditions.count == 1 ? conditions[0] : .or(conditions))
    }

    // MARK: - Filters

    static func applyFilters(_ collection: inout RuleCollection) {
        for filter in collection.filters {
            var applied = 0
            for index in collection.rules.indices {
                let rule = collection.rules[index]
                if let targets = filter.targets {
                    guard targets.contains(where: { $0 == rule.metadata.id || $0 == rule.metadata.name }) else { continue }
                }
                guard filter.logsource.contains(rule.logsource) else { continue }
                let offset = rule.searches.count
                collection.rules[index].searches += filter.searches.map {
                    NamedSearch(name: "filter:\(filter.title):\($0.name)", expression: $0.expression, location: $0.location)
                }
                collection.rules[index].condition = .and([rule.condition, filter.condition.offset(by: offset)])
                collection.rules[index].appliedFilters.append(filter.title)
                applied += 1
            }
            if applied == 0 {
                collection.diagnostics.append(RuleDiagnostic(
                    .warning, file: filter.path, line: filter.location.line, column: filter.location.column,
                    "filter '\(filter.title)' applies to none of the loaded rules"))
            }
        }
    }

    // MARK: - YAML errors

    static func location(of error: Error) -> SourceLocation {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
                return SourceLocation(line: mark.line, column: mark.column)
            case .duplicatedKeysInMapping(_, let context):
                return SourceLocation(line: context.mark.line, column: context.mark.column)
            default:
                break
            }
        }
        return SourceLocation(line: 1, column: 1)
    }

    static func describe(_ error: Error) -> String {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
                 .composer(let context, let problem, _, _):
                return context.map { "\(problem) \($0.text)" } ?? problem
            case .duplicatedKeysInMapping(let duplicates, _):
                return "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in a map"
            default:
                break
            }
        }
        return "\(error)"
    }
}
