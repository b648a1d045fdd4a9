import Foundation
import WardRules
import Yams

/// A rule's tests: `rule.yml` → `rule.tests.yml`, a list of cases, each raw log text in any format
/// wardwatch reads and what the rules must do with it.
///
/// ```yaml
/// cases:
///   - name: failed password from outside
///     year: 2026                      # for year-less syslog stamps (default: this year)
///     logs: |
///       Nov 22 03:10:00 ehr-db01 sshd[4101]: Failed password for root from 203.0.113.50 port 40001 ssh2
///     expect: match                   # match | no_match | {exactly: N} | {at_least: N} | {at_most: N}
///   - name: HL7 with segment ends as in the wire format
///     logs: "MSH|^~\\&|REG|GH|EHR|GH|20261122081507||ADT^A40|1|P|2.5\rPID|1||123\r"
///     expect:                         # per rule, by id or title
///       2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e: {exactly: 1}
/// ```
///
/// Without rule names, `expect` is about the rules of the file the tests belong to: its correlations
/// if it has any, else its detection rules (alerts of all of them together).
public struct RuleTestFile: Sendable {
    public enum Expectation: Sendable, Equatable, CustomStringConvertible {
        case exactly(Int), atLeast(Int), atMost(Int)

        public func holds(_ n: Int) -> Bool {
            switch self {
            case .exactly(let e): return n == e
            case .atLeast(let e): return n >= e
            case .atMost(let e): return n <= e
            }
        }

        public var description: String {
            switch self {
            case .exactly(0): return "no alert"
            case .exactly(let e): return "exactly \(e) \(e == 1 ? "alert" : "alerts")"
            case .atLeast(1): return "an alert"
            case .atLeast(let e): return "at least \(e) alerts"
            case .atMost(let e): return "at most \(e) alerts"
            }
        }
    }

    public struct Case: Sendable {
        public var name: String
        public var line: Int
        public var logs: String
        public var year: Int?
        /// Rule (id, name or title; `nil`: the file's own rules) → what its alerts must be.
        public var expectations: [(rule: String?, expectation: Expectation)]
    }

    public var path: String
    /// The rule file the tests belong to (`x.tests.yml` → `x.yml`), if it exists.
    public var rulePath: String?
    public var cases: [Case]

    public struct Problem: Error, CustomStringConvertible {
        public var path: String
        public var line: Int
        public var message: String
        public var description: String { "\(path):\(line): error: \(message)" }
    }

    /// `x.yml` → `x.tests.yml`.
    public static func testsPath(of rulePath: String) -> String {
        let base = rulePath.hasSuffix(".yaml") ? String(rulePath.dropLast(5)) : rulePath.hasSuffix(".yml") ? String(rulePath.dropLast(4)) : rulePath
        return base + ".tests.yml"
    }

    public static func isTestFile(_ path: String) -> Bool { path.hasSuffix(".tests.yml") || path.hasSuffix(".tests.yaml") }

    /// `x.tests.yml` → `x.yml` (or `x.yaml`), whichever exists; `nil` if neither does.
    public static func rulePath(ofTests path: String) -> String? {
        let base = path.hasSuffix(".tests.yaml") ? String(path.dropLast(11)) : String(path.dropLast(10))
        return [base + ".yml", base + ".yaml"].first { FileManager.default.fileExists(atPath: $0) }
    }

    public init(path: String) throws(Problem) {
        self.path = path
        rulePath = Self.rulePath(ofTests: path)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Problem(path: path, line: 0, message: "cannot read the tests file")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Problem(path: path, line: Self.line(of: error), message: "invalid YAML: \(error)")
        } catch {
            throw Problem(path: path, line: 1, message: "invalid YAML: \(error)")
        }
        guard case .mapping(let map)? = root, let list = map["cases"], case .sequence(let items) = list else {
            throw Problem(path: path, line: root?.mark?.line ?? 1, message: "a tests file is a map with 'cases:', a list of cases")
        }
        var cases: [Case] = []
        for item in items {
            let line = item.mark?.line ?? 0
            guard case .mapping(let fields) = item else { throw Problem(path: path, line: line, message: "a case is a map (name, logs, expect)") }
            for key in fields.keys.compactMap(\.string) where !["name", "logs", "year", "expect", "description"].contains(key) {
                throw Problem(path: path, line: fields[key]?.mark?.line ?? line, message: "unknown key '\(key)' in a case (name, logs, year, expect)")
            }
            guard let name = fields["name"]?.string, !name.isEmpty else { throw Problem(path: path, line: line, message: "a case needs a 'name'") }
            guard let logs = fields["logs"]?.string, !logs.isEmpty else {
                throw Problem(path: path, line: line, message: "case '\(name)' needs 'logs': the raw log text")
            }
            var year: Int?
            if let y = fields["year"] {
                guard let n = y.int, (1970...2100).contains(n) else {
                    throw Problem(path: path, line: y.mark?.line ?? line, message: "case '\(name)': 'year' must be a year such as 2026")
                }
                year = n
            }
            guard let expect = fields["expect"] else { throw Problem(path: path, line: line, message: "case '\(name)' needs 'expect'") }
            var expectations: [(String?, Expectation)] = []
            if let single = try Self.expectation(expect, path: path, name: name) {
                expectations = [(nil, single)]
            } else if case .mapping(let perRule) = expect {
                for (key, value) in perRule {
                    guard let rule = key.string, let e = try Self.expectation(value, path: path, name: name) else {
                        throw Problem(path: path, line: value.mark?.line ?? line,
                                      message: "case '\(name)': expect per rule is RULE (id, name or title): match | no_match | {exactly|at_least|at_most: N}")
                    }
                    expectations.append((rule, e))
                }
            }
            guard !expectations.isEmpty else {
                throw Problem(path: path, line: expect.mark?.line ?? line,
                              message: "case '\(name)' expects nothing: give match, no_match, {exactly|at_least|at_most: N}, or those per rule")
            }
            cases.append(Case(name: name, line: line, logs: logs, year: year, expectations: expectations))
        }
        guard !cases.isEmpty else { throw Problem(path: path, line: 1, message: "no cases") }
        self.cases = cases
    }

    /// `match`, `no_match`, `{exactly: N}` …; `nil` for a map of rules.
    static func expectation(_ node: Node, path: String, name: String) throws(Problem) -> Expectation? {
        if let word = node.scalar?.string {
            switch word {
            case "match": return .atLeast(1)
            case "no_match": return .exactly(0)
            default:
                throw Problem(path: path, line: node.mark?.line ?? 0,
                              message: "case '\(name)': expect must be match, no_match or {exactly|at_least|at_most: N}, not '\(word)'")
            }
        }
        guard case .mapping(let map) = node, map.count == 1, let key = map.keys.first?.string,
              ["exactly", "at_least", "at_most"].contains(key) else { return nil }
        guard let n = map.values.first?.int, n >= 0 else {
            throw Problem(path: path, line: node.mark?.line ?? 0, message: "case '\(name)': \(key) needs a count (0 or more)")
        }
        switch key {
        case "exactly": return .exactly(n)
        case "at_least": return .atLeast(n)
        default: return .atMost(n)
        }
    }

    static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return 1
        }
    }
}
