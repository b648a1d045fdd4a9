import ArgumentParser
import Foundation
import WardCore
import WardRules
import Yams

/// Where rules, placeholders and mappings come from; shared by the commands that load rules.
public struct RuleOptions: ParsableArguments {
    public init() {}

    @Argument(help: "Rule files and directories (searched recursively for .yml and .yaml).")
    public var paths: [String]

    @Option(help: "YAML map of placeholder values for 'expand', e.g. 'Workstations: [ws-01, ws-02]'. Default: placeholders.example.yml beside the rules, else the bundled one (example values).")
    public var placeholders: String?

    @Option(help: "Folder of log source and field mappings. Default: the bundled Rules/mappings.")
    public var mappings: String?

    @Option(name: .customLong("max-rule-file-bytes"), help: "Rule files larger than this are rejected unread.")
    public var maxRuleFileBytes: Int = RuleLoadOptions.defaultMaxFileBytes

    public func validate() throws {
        if paths.isEmpty { throw ValidationError("Give at least one rule file or directory.") }
        if maxRuleFileBytes < 1 { throw ValidationError("'--max-rule-file-bytes' must be at least 1, not \(maxRuleFileBytes).") }
    }

    /// Loads the placeholders and mappings; problems with either are usage errors (exit 2). Without
    /// `--placeholders`, the documented example values (`placeholders.example.yml` beside the rules,
    /// else the bundled one) let `rules lint`, `list` and `test` check rules that need site values.
    public func loadOptions() throws -> RuleLoadOptions {
        try Self.loadOptions(placeholders: placeholders ?? exampleValues, mappings: mappings, maxFileBytes: maxRuleFileBytes)
    }

    /// `placeholders.example.yml` in (or beside) the first of ``paths`` that has one, else the bundled one.
    public var exampleValues: String? {
        paths.lazy.map { path -> String in
            var isDirectory: ObjCBool = false
            let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
                ? path : (path as NSString).deletingLastPathComponent
            return (folder as NSString).appendingPathComponent("placeholders.example.yml")
        }.first { FileManager.default.fileExists(atPath: $0) } ?? Self.bundled("Rules/placeholders.example.yml")
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
        // Without mappings no rule is routed to any log: that is an error, never a silent empty run.
        guard let directory = mappings ?? Self.bundledMappings() else {
            Diagnostics.error("cannot find the bundled rules and mappings (Rules/mappings); looked in \(Self.searchedFolders().joined(separator: ", ")). Install wardwatch with 'make install', set WARDWATCH_HOME to the folder that holds Rules/, or give --mappings.")
            throw ExitCode(WardExit.usage)
        }
        guard FileManager.default.fileExists(atPath: directory) else {
            throw ValidationError("The mappings folder '\(directory)' does not exist.")
        }
        var mappingSet = MappingSet.load(directory: directory)
        SiteFormats.addRoutes(of: try SiteFormats.current(), to: &mappingSet)
        return RuleLoadOptions(placeholders: values, mappings: mappingSet, maxFileBytes: maxFileBytes)
    }

    /// `Rules/mappings` of the bundled rules.
    public static func bundledMappings() -> String? {
        bundled("Rules/mappings")
    }

    /// The bundled `Rules/` folder.
    public static func bundledRules() -> String? {
        bundled("Rules")
    }

    /// Whether `path` is the bundled `Rules/` folder or inside it.
    public static func isBundled(_ path: String) -> Bool {
        guard let root = bundledRules().map({ URL(fileURLWithPath: $0).standardizedFileURL.path }) else { return false }
        let own = URL(fileURLWithPath: path).standardizedFileURL.path
        return own == root || own.hasPrefix(root + "/")
    }

    /// `relative` (`Rules`, `Rules/mappings`) in the first of ``searchedFolders()`` that has it. Never
    /// the current folder: a rules folder there must not be picked up by accident.
    public static func bundled(_ relative: String) -> String? {
        for folder in searchedFolders() {
            let candidate = folder + "/" + relative
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Where the bundled `Rules/` may be, in order: beside the installed program
    /// (`PREFIX/bin/wardwatch` → `PREFIX/share/wardwatch`), the source tree it was built in (a build
    /// lives in `.build/<triple>/<configuration>/`), then `$WARDWATCH_HOME`.
    public static func searchedFolders() -> [String] {
        let program = executablePath()
        var folders: [String] = []
        var url = URL(fileURLWithPath: program).deletingLastPathComponent()
        folders.append(url.deletingLastPathComponent().appendingPathComponent("share/wardwatch").path)
        for _ in 0..<5 where url.path != "/" {
            folders.append(url.path)
            url = url.deletingLastPathComponent()
        }
        if let home = ProcessInfo.processInfo.environment["WARDWATCH_HOME"], !home.isEmpty { folders.append(home) }
        return folders
    }

    /// The running program's resolved path (`/proc/self/exe`: `argv[0]` is only a name when it was found
    /// on the PATH).
    static func executablePath() -> String { Program.path }
}
