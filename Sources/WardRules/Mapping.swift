import Foundation
import WardCore
import Yams

/// Events a log source applies to: every listed field must have one of its values (case-insensitive).
public struct EventRoute: Sendable {
    public var conditions: [(field: FieldRef, values: [[UInt8]])]
    /// The mapping source's own log source, for `rules list`.
    public var source: LogSource

    public func accepts(_ event: some SigmaEvent) -> Bool {
        conditions.allSatisfy { condition in
            event.withValue(of: condition.field) { value in
                guard let value else { return false }
                return condition.values.contains { wanted in
                    wanted.count == value.count && zip(wanted, value).allSatisfy { $0 == ASCIIFold.fold($1) }
                }
            }
        }
    }
}

enum ASCIIFold {
    @inline(__always) static func fold(_ b: UInt8) -> UInt8 { (b &- 0x41) < 26 ? b | 0x20 : b }
}

/// `Rules/mappings/*.yml`: which events each Sigma log source means, and how Sigma field names map to
/// wardwatch's ECS names. Nothing about fields or sources is hard-coded in Swift.
///
/// ```yaml
/// title: Linux syslog
/// sources:
///   - logsource: {product: linux, service: sshd}
///     events: {event.dataset: [syslog.rfc3164, syslog.rfc5424], process.name: [sshd]}
/// fields:
///   src_ip: source.ip
/// ```
///
/// A rule applies to every source whose log source has all the attributes the rule names (pySigma's
/// rule: a rule `product: linux` covers `linux/sshd` and `linux/cron`; a rule `linux/sshd` only the first).
public struct MappingSet: Sendable {
    public struct Source: Sendable {
        public var logsource: LogSource
        public var route: EventRoute
        public var fields: [String: String]
        public var file: String

        /// Whether some parser emits one of the datasets this source asks for (or it asks for none).
        public var isProducible: Bool {
            guard let datasets = route.conditions.first(where: { $0.field.name == "event.dataset" }) else { return true }
            let known = Set(Dataset.names.map { Array($0.utf8) })
            return datasets.values.contains { known.contains($0) }
        }
    }

    public var sources: [Source] = []
    public var diagnostics: [RuleDiagnostic] = []

    public init() {}

    /// Loads every `.yml`/`.yaml` file of `directory` (sorted by name).
    public static func load(directory: String) -> MappingSet {
        var set = MappingSet()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                set.diagnostics.append(RuleDiagnostic(.error, file: path, line: 0, column: 0, "cannot read the mapping file"))
                continue
            }
            set.add(yaml: text, file: path)
        }
        return set
    }

    /// Adds the sources of one mapping document.
    public mutating func add(yaml: String, file: String) {
        var sink = DiagnosticSink(file: file)
        defer { diagnostics += sink.items }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { return }
            root = node
        } catch {
            sink.error(RuleLoader.location(of: error), "invalid YAML: \(RuleLoader.describe(error))")
            return
        }
        var fields: [String: String] = [:]
        for entry in root[key: "fields"]?.entries ?? [] {
            if let target = entry.value.scalarText { fields[entry.key] = target }
        }
        guard case .sequence(let list)? = root[key: "sources"] else {
            sink.error(root.location, "a mapping file needs a 'sources' list")
            return
        }
        for item in list {
            guard let ls = item[key: "logsource"], let logsource = RuleLoader.logsource(ls, sink: &sink) else {
                sink.error(item.location, "each source needs a 'logsource' map")
                continue
            }
            var conditions: [(FieldRef, [[UInt8]])] = []
            for entry in item[key: "events"]?.entries ?? [] {
                let values = (entry.value.stringList ?? []).map { Array($0.lowercased().utf8) }
                conditions.append((FieldRef(entry.key), values))
            }
            var own = fields
            for entry in item[key: "fields"]?.entries ?? [] {
                if let target = entry.value.scalarText { own[entry.key] = target }
            }
            sources.append(Source(logsource: logsource, route: EventRoute(conditions: conditions, source: logsource),
                                  fields: own, file: file))
        }
    }

    /// Adds a source whose events are those of `datasets` (a site format's `logsource:`).
    public mutating func addRoute(_ logsource: LogSource, datasets: [String], file: String) {
        let route = EventRoute(conditions: [(FieldRef("event.dataset"), datasets.map { Array($0.lowercased().utf8) })], source: logsource)
        sources.append(Source(logsource: logsource, route: route, fields: [:], file: file))
    }

    /// The sources a rule's log source covers.
    public func sources(for logsource: LogSource) -> [Source] {
        sources.filter { logsource.contains($0.logsource) }
    }

    /// The sources a rule covers that wardwatch can produce events for today: a source whose
    /// `event.dataset` values name no dataset any parser emits (``Dataset/names``) has no events yet.
    public func producibleSources(for logsource: LogSource) -> [Source] {
        sources(for: logsource).filter(\.isProducible)
    }
}
