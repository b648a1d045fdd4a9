import ArgumentParser
import Foundation
import Synchronization
import WardParse
import WardRules

/// The site formats of this run: the folders or files given with `--formats`, then the bundled
/// `Rules/formats`, compiled once. A definition with an error stops the run (exit 2) with every problem
/// and its place: a format that silently did not load would leave its lines unparsed.
public enum SiteFormats {
    private static let loaded = Mutex<(extra: [String], set: UserFormatSet)?>(nil)

    /// Loads the bundled formats and `extra` (once per process for the same `extra`), reporting
    /// problems; throws exit 2 on any. Commands load them before their rules: the formats' log
    /// sources route rules (``current()``).
    public static func load(extra: [String] = []) throws -> UserFormatSet {
        if let done = loaded.withLock({ $0 }), done.extra == extra || extra.isEmpty { return done.set }
        // The site's own definitions first: where one of them and a bundled example both take a line,
        // the site's wins.
        var paths = extra
        if let folder = RuleOptions.bundled("Rules/formats") { paths.append(folder) }
        let read = UserFormatLoader.load(paths: paths)
        let set = UserFormatSet(read.definitions)
        let problems = read.diagnostics + set.diagnostics
        for problem in problems { Diagnostics.error(problem.description) }
        if !problems.isEmpty {
            Diagnostics.error("\(problems.count) \(problems.count == 1 ? "problem" : "problems") in the log format definitions; nothing was read. Fix \(problems.count == 1 ? "it" : "them") or leave the file out of --formats.")
            throw ExitCode(WardExit.usage)
        }
        loaded.withLock { $0 = (extra, set) }
        return set
    }

    /// The formats loaded so far (the bundled ones when nothing asked for more).
    public static func current() throws -> UserFormatSet {
        try load()
    }

    /// The log sources of the formats (`logsource:` in a definition) as mapping sources, so that
    /// rules written for a site application's log source reach its events.
    public static func addRoutes(of set: UserFormatSet, to mappings: inout MappingSet) {
        for format in set.formats where !format.definition.logsource.isEmpty {
            let l = format.definition.logsource
            mappings.addRoute(LogSource(category: l["category"], product: l["product"], service: l["service"]),
                              datasets: [format.name], file: format.definition.file)
        }
    }
}
