import ArgumentParser
import Foundation
import WardRules
import Yams

/// Where rules, placeholders and mappings come from; shared by the commands that load rules.
public struct RuleOptions: ParsableArguments {
    public init() {}

    @Argument(help: "Rule files and directories (searched recursively for .yml and .yaml).")
    public var paths: [String]

    @Option(help: "YAML map of placeholder values for 'expand', e.g. 'Workstations: [ws-01, ws-02]'.")
    public var placeholders: String?

    @Option(help: "Folder of log source and field mappings. Default: the bundled Rules/mappings.")
    public var mappings: String?

    @Option(name: .customLong("max-rule-file-bytes"), help: "Rule files larger than this are rejected unread.")
    public var maxRuleFileBytes: Int = RuleLoadOptions.defaultMaxFileBytes

    public func validate() throws {
        if paths.isEmpty { throw ValidationError("Give at least one rule file or directory.") }
        if maxRuleFileBytes < 1 { throw ValidationError("'--max-rule-file-bytes' must be at least 1, not \(maxRuleFileBytes).") }
    }

    /// Loads the placeholders and mappings; problems with either are usage errors (exit 2).
    public func loadOptions() throws -> RuleLoadOptions {
        try Self.loadOptions(placeholders: placeholders, mappings: mappings, maxFileBytes: maxRuleFileBytes)
    }

    public static func loadOptions(placeholders: String?, mappings: String?,
                            maxFileBytes: Int = RuleLoadOptions.defaultMaxFileBytes) throws -> RuleLoadOptions {
        var values: [String: [String]] = [:]
        if let placeholders {
            guard let text = try? String(contentsOfFile: placeholders, encoding: .utf8) else {
                throw ValidationError("Cannot read the placeholders file '\(placeholders)'.")
            }
            do {
                guard case .mapping(let map)? = try Yams.compose(yaml: text) else {
                    throw ValidationError("'\(placeholders)' must be a YAML map from placeholder names to lists of values.")
                }
                for (key, value) in map {
                    guard let name = key.string else { continue }
                    switch value {
                    case .scalar(let s): values[name] = [s.string]
                    case .sequence(let list): values[name] = list.compactMap(\.string)
                    default: throw ValidationError("Placeholder '\(name)' in '\(placeholders)' must be a value or a list of values.")
                    }
                }
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("'\(placeholders)' is not valid YAML: \(error)")
            }
        }
        let directory = mappings ?? Self.bundledMappings()
        var set = MappingSet()
        if let directory {
            guard FileManager.default.fileExists(atPath: directory) else {
                throw ValidationError("The mappings folder '\(directory)' does not exist.")
            }
            set = MappingSet.load(directory: directory)
        }
        return RuleLoadOptions(placeholders: values, mappings: set, maxFileBytes: maxFileBytes)
    }

    /// `Rules/mappings` of the bundled rules.
    public static func bundledMappings() -> String? {
        bundled("Rules/mappings")
    }

    /// The bundled `Rules/` folder.
    public static func bundledRules() -> String? {
        bundled("Rules")
    }

    /// `relative` next to the binary's package (searched upwards from the executable: a build lives in
    /// `.build/<triple>/<configuration>/`), else in the current folder.
    public static func bundled(_ relative: String) -> String? {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = url.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            url = url.deletingLastPathComponent()
        }
        let local = FileManager.default.currentDirectoryPath + "/" + relative
        return FileManager.default.fileExists(atPath: local) ? local : nil
    }
}
