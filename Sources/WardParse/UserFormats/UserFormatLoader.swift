import Foundation
import Yams

/// Reads site format definitions from YAML: one format per document (`---` separates several in a
/// file), or a `formats:` list.
///
/// ```yaml
/// name: healthapp                       # becomes event.dataset
/// paths: ["*HealthApp*"]                # where it applies: input paths …
/// prefix: "20"                          # … and/or a cheap test on the line (prefix:, contains:)
/// patterns: {HEALTHTIME: '\d{8}-\d{1,2}:\d{1,2}:\d{1,2}:\d{1,3}'}
/// pattern: '%{HEALTHTIME:@timestamp}\|%{DATA:log.logger}\|%{INT:process.pid}\|%{GREEDYDATA:message}'
/// timestamp: yyyyMMdd-H:m:s:SSS         # a layout, epoch_s/_ms/_us/_ns, rfc3339 or bsd
/// zone: UTC                             # when the time carries none (default: --tz-offset)
/// fields: {process.pid: integer, patient.name: {personal: true}, mrn: {patient_id: true}}
/// constants: {observer.product: HealthApp}
/// then: {field: message, parser: json}  # syslog, json, kv, cef, hl7, or another format's name
/// logsource: {product: healthapp}       # the Sigma log source its events are
/// ```
public enum UserFormatLoader {
    /// The keys a format may have.
    static let keys: Set<String> = ["name", "description", "paths", "prefix", "contains", "pattern", "regex", "patterns",
                                    "timestamp", "zone", "fields", "constants", "then", "logsource"]

    /// Every `.yml`/`.yaml` file under `directory`, recursively, in byte order of their paths.
    public static func files(in directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") else { continue }
            files.append((directory as NSString).appendingPathComponent(relative))
        }
        return files.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Reads the definitions of `paths` (files, or folders searched for YAML files).
    public static func load(paths: [String]) -> (definitions: [UserFormatDefinition], diagnostics: [FormatDiagnostic]) {
        var definitions: [UserFormatDefinition] = []
        var diagnostics: [FormatDiagnostic] = []
        // A file named twice (the bundled folder given again with --formats) is read once.
        var read: Set<String> = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(FormatDiagnostic(file: path, line: 0, "no such file or folder"))
                continue
            }
            for file in isDirectory.boolValue ? files(in: path) : [path] {
                guard read.insert(URL(fileURLWithPath: file).resolvingSymlinksInPath().standardizedFileURL.path).inserted else { continue }
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    diagnostics.append(FormatDiagnostic(file: file, line: 0, "cannot be read as UTF-8 text"))
                    continue
                }
                let found = Self.definitions(yaml: text, file: file)
                definitions += found.definitions
                diagnostics += found.diagnostics
            }
        }
        return (definitions, diagnostics)
    }

    /// The definitions in one file's text.
    public static func definitions(yaml: String, file: String) -> (definitions: [UserFormatDefinition], diagnostics: [FormatDiagnostic]) {
        var definitions: [UserFormatDefinition] = []
        var diagnostics: [FormatDiagnostic] = []
        let documents: [Node]
        do {
            documents = Array(try Yams.compose_all(yaml: yaml))
        } catch let error as YamlError {
            var line = 0
            if case .scanner(_, _, let mark, _) = error { line = mark.line }
            if case .parser(_, _, let mark, _) = error { line = mark.line }
            diagnostics.append(FormatDiagnostic(file: file, line: line, "invalid YAML: \(Self.describe(error))"))
            return (definitions, diagnostics)
        } catch {
            diagnostics.append(FormatDiagnostic(file: file, line: 0, "invalid YAML"))
            return (definitions, diagnostics)
        }
        for document in documents {
            if let list = document.mapping?["formats"] {
                guard let items = list.sequence else {
                    diagnostics.append(FormatDiagnostic(file: file, line: line(list), "'formats' must be a list of formats"))
                    continue
                }
                for item in items { read(item, file: file, into: &definitions, &diagnostics) }
            } else {
                read(document, file: file, into: &definitions, &diagnostics)
            }
        }
        return (definitions, diagnostics)
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        default: return "\(error)"
        }
    }

    static func line(_ node: Node) -> Int { (node.mark?.line ?? 0) }

    private static func read(_ node: Node, file: String, into definitions: inout [UserFormatDefinition],
                             _ diagnostics: inout [FormatDiagnostic]) {
        func problem(_ at: Node, _ message: String) { diagnostics.append(FormatDiagnostic(file: file, line: line(at), message)) }
        guard let map = node.mapping else { return problem(node, "a format must be a map with 'name' and 'pattern'") }
        guard let name = map["name"]?.scalar?.string, !name.isEmpty else { return problem(node, "a format needs a 'name' (it becomes event.dataset)") }
        var d = UserFormatDefinition(name: name, file: file, line: line(node))
        func say(_ at: Node, _ message: String) { problem(at, "format '\(name)': \(message)") }
        func strings(_ key: String) -> [String]? {
            guard let value = map[key] else { return [] }
            if let s = value.scalar?.string { return [s] }
            if let list = value.sequence, list.allSatisfy({ $0.scalar != nil }) { return list.compactMap { $0.scalar?.string } }
            say(value, "'\(key)' must be a text or a list of texts")
            return nil
        }
        func text(_ key: String) -> String?? {
            guard let value = map[key] else { return .some(nil) }
            guard let s = value.scalar?.string else { say(value, "'\(key)' must be a text"); return nil }
            return .some(s)
        }
        for (key, _) in map {
            guard let k = key.scalar?.string, keys.contains(k) else {
                say(key, "unknown key '\(key.scalar?.string ?? "?")' (\(keys.sorted().joined(separator: ", ")))")
                return
            }
        }
        guard let paths = strings("paths"), let prefixes = strings("prefix"), let contains = strings("contains"),
              let pattern = text("pattern"), let regex = text("regex"), let timestamp = text("timestamp"),
              let zone = text("zone") else { return }
        d.paths = paths
        d.prefixes = prefixes
        d.contains = contains
        d.pattern = pattern
        d.regex = regex
        d.patternLine = line((map["pattern"] ?? map["regex"]) ?? node)
        d.timestamp = timestamp
        d.zone = zone
        if let patterns = map["patterns"] {
            guard let m = patterns.mapping else { return say(patterns, "'patterns' must map pattern names to regular expressions") }
            for (key, value) in m {
                guard let k = key.scalar?.string, let v = value.scalar?.string else { return say(key, "'patterns' must map pattern names to regular expressions") }
                d.patterns[k] = v
            }
        }
        if let fields = map["fields"] {
            guard let m = fields.mapping else { return say(fields, "'fields' must map field names to a type or to {type, personal, patient_id}") }
            for (key, value) in m {
                guard let field = key.scalar?.string else { continue }
                if let type = value.scalar?.string {
                    d.types[field] = type
                } else if let settings = value.mapping {
                    for (k, v) in settings {
                        switch k.scalar?.string {
                        case "type": d.types[field] = v.scalar?.string ?? ""
                        case "personal": if v.scalar?.string == "true" { d.personal.insert(field) }
                        case "patient_id": if v.scalar?.string == "true" { d.patientIdentifiers.insert(field) }
                        default: return say(k, "field '\(field)': unknown setting '\(k.scalar?.string ?? "?")' (type, personal, patient_id)")
                        }
                    }
                } else {
                    return say(value, "field '\(field)' must have a type or {type, personal, patient_id}")
                }
            }
        }
        if let constants = map["constants"] {
            guard let m = constants.mapping else { return say(constants, "'constants' must map field names to values") }
            for (key, value) in m {
                guard let k = key.scalar?.string, let v = value.scalar?.string else { return say(key, "'constants' must map field names to values") }
                d.constants.append((k, v))
            }
        }
        if let then = map["then"] {
            guard let m = then.mapping, let field = m["field"]?.scalar?.string, let parser = m["parser"]?.scalar?.string else {
                return say(then, "'then' must be {field: NAME, parser: syslog|json|kv|cef|FORMAT}")
            }
            d.then = (field, parser)
        }
        if let logsource = map["logsource"] {
            guard let m = logsource.mapping else { return say(logsource, "'logsource' must be a map (product, service, category)") }
            for (key, value) in m {
                guard let k = key.scalar?.string, ["product", "service", "category"].contains(k), let v = value.scalar?.string else {
                    return say(key, "'logsource' takes product, service and category")
                }
                d.logsource[k] = v
            }
        }
        definitions.append(d)
    }
}
