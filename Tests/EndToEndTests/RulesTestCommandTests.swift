import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import WardTestSupport

/// `wardwatch rules test`: cases pass and fail with their reasons; broken tests files are usage errors
/// with their place; JUnit and JSON reports; --corpus finds possible false positives.
@Suite struct RulesTestCommandTests {
    /// A folder with a copy of the bundled sshd rule and `tests` as its tests file.
    func folder(tests: String) throws -> URL {
        let folder = try Paths.temporaryDirectory()
        try FileManager.default.copyItem(at: Paths.root.appendingPathComponent("Rules/linux/lnx_sshd_failed_password.yml"),
                                         to: folder.appendingPathComponent("sshd_failed.yml"))
        try tests.write(to: folder.appendingPathComponent("sshd_failed.tests.yml"), atomically: true, encoding: .utf8)
        return folder
    }

    static let failure = "Nov 22 03:10:00 ehr-db01 sshd[4101]: Failed password for root from 203.0.113.50 port 40001 ssh2"

    @Test func failingCasesSayWhichSearchAndValue() throws {
        let dir = try folder(tests: """
            cases:
              - name: a failure
                year: 2026
                logs: |
                  \(Self.failure)
                expect: match
              - name: an accepted login read as a failure
                year: 2026
                logs: |
                  Nov 22 03:10:00 ehr-db01 sshd[4101]: Accepted password for jmiller from 10.30.14.77 port 52711 ssh2
                expect: {exactly: 1}
              - name: sudo is not sshd
                year: 2026
                logs: |
                  Nov 22 03:10:00 ehr-db01 sudo[77]: Failed password for root from 203.0.113.50 port 40001 ssh2
                expect: match
              - name: a failure read as none
                year: 2026
                logs: |
                  \(Self.failure)
                expect:
                  sshd_failed_password: no_match

            """)
        let junit = dir.appendingPathComponent("junit.xml").path
        let json = dir.appendingPathComponent("report.json").path
        let run = try wardwatch(["rules", "test", dir.path, "--junit", junit, "--json", json])
        #expect(run.status == 1)
        let file = dir.appendingPathComponent("sshd_failed.tests.yml").path
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0] == "pass  \(file):2: a failure")
        #expect(lines[1] == "FAIL  \(file):7: an accepted login read as a failure")
        #expect(lines[2] == "      expected exactly 1 alert of 'SSH password authentication failed', got 0: line 1 (syslog.rfc3164): search 'selection' is false: message is 'Accepted password for jmiller from 10.30.14.77 port 52711 ssh2', wanted |startswith 'Failed password for *'")
        #expect(lines[4].hasPrefix("      expected an alert of 'SSH password authentication failed', got 0: line 1 (syslog.rfc3164): the log source linux/-/sshd does not apply"))
        #expect(lines[4].contains("the event has event.dataset 'syslog.rfc3164', process.name 'sudo'"))
        #expect(lines[6] == "      expected no alert of 'SSH password authentication failed', got 1: line 1 (syslog.rfc3164) fired 'SSH password authentication failed' (true: selection)")
        #expect(lines.last == "4 cases in 1 tests files: 1 passed, 3 failed; 1 rules and 0 correlations loaded, every rule file has tests.")
        // JUnit's shape: testsuites > testsuite > testcase (> failure), with the counts.
        let xml = try XMLDocument(contentsOf: URL(fileURLWithPath: junit))
        let root = try #require(xml.rootElement())
        #expect(root.name == "testsuites" && root.attribute(forName: "tests")?.stringValue == "4" && root.attribute(forName: "failures")?.stringValue == "3")
        let suite = try #require(root.elements(forName: "testsuite").first)
        #expect(suite.attribute(forName: "name")?.stringValue == file)
        let cases = suite.elements(forName: "testcase")
        #expect(cases.map { $0.attribute(forName: "name")?.stringValue ?? "" } == ["a failure", "an accepted login read as a failure", "sudo is not sshd", "a failure read as none"])
        #expect(cases.map { $0.elements(forName: "failure").count } == [0, 1, 1, 1])
        #expect(cases[1].elements(forName: "failure")[0].attribute(forName: "message")?.stringValue?.hasPrefix("expected exactly 1 alert of 'SSH password authentication failed', got 0") == true)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        #expect(report["passed"] as? Int == 1 && report["failed"] as? Int == 3)
    }

    @Test func brokenTestsFilesAreErrorsWithTheirPlace() throws {
        for (text, message) in [
            ("cases:\n  - name: x\n    logs: y\n    expect: sometimes\n", ":4: error: case 'x': expect must be match, no_match or {exactly|at_least|at_most: N}, not 'sometimes'"),
            ("cases:\n  - name: x\n    expect: match\n", ":2: error: case 'x' needs 'logs': the raw log text"),
            ("cases:\n  - name: x\n    logs: y\n    expect: match\n    lines: 3\n", ":5: error: unknown key 'lines' in a case (name, logs, year, expect)"),
            ("cases: [\n", ":2: error: invalid YAML"),
        ] {
            let dir = try folder(tests: text)
            let run = try wardwatch(["rules", "test", dir.path])
            #expect(run.status == 2, "\(text)")
            #expect(run.stderr.contains(dir.appendingPathComponent("sshd_failed.tests.yml").path + message), "\(run.stderr)")
        }
    }

    /// The bundled pack passes its own tests; every bundled rule file has tests.
    @Test func theBundledPackPassesItsTests() throws {
        let run = try wardwatch(["rules", "test", "Rules"])
        #expect(run.status == 0, "\(run.stdout.split(separator: "\n").filter { !$0.hasPrefix("pass") }.joined(separator: "\n"))")
        #expect(run.stdout.hasSuffix("every rule file has tests.\n"))
        #expect(!run.stdout.contains("FAIL"))
    }

    /// --corpus: alerts on benign logs are possible false positives; fail makes them fail the run.
    @Test func corpusFalsePositives() throws {
        let dir = try folder(tests: "cases:\n  - name: a failure\n    year: 2026\n    logs: |\n      \(Self.failure)\n    expect: match\n")
        let warn = try wardwatch(["rules", "test", dir.path, "--corpus", "SampleLogs/linux/secure", "--year", "2026"])
        #expect(warn.status == 0)
        #expect(warn.stdout.contains("corpus: 20 events in 1 files: 9 possible false positives (0 at high or critical)\n  low                9  SSH password authentication failed  (first: SampleLogs/linux/secure:85)\n"))
        let fail = try wardwatch(["rules", "test", dir.path, "--corpus", "SampleLogs/linux/secure", "--year", "2026", "--unexpected", "fail"])
        #expect(fail.status == 1)
    }

    /// `@timestamp` is the event's time (UTC) for rules: time modifiers work on it (it once read as
    /// absent, so `@timestamp|hour` never matched).
    @Test func timeModifiersOnTheEventTime() throws {
        let folder = try Paths.temporaryDirectory()
        try """
            title: SSH failure at night
            id: 0d6b1f0a-51c1-4d8b-9a7e-2f3c4b5a6d7e
            logsource: {product: linux, service: sshd}
            detection:
                selection:
                    message|startswith: 'Failed password'
                night:
                    '@timestamp|hour|gte': 22
                condition: selection and night
            level: low

            """.write(to: folder.appendingPathComponent("night.yml"), atomically: true, encoding: .utf8)
        try """
            cases:
              - name: at 23:10 UTC
                year: 2026
                logs: |
                  Nov 22 23:10:00 ehr-db01 sshd[4101]: Failed password for root from 203.0.113.50 port 40001 ssh2
                expect: match
              - name: at 13:10 UTC
                year: 2026
                logs: |
                  Nov 22 13:10:00 ehr-db01 sshd[4101]: Failed password for root from 203.0.113.50 port 40001 ssh2
                expect: no_match

            """.write(to: folder.appendingPathComponent("night.tests.yml"), atomically: true, encoding: .utf8)
        let run = try wardwatch(["rules", "test", folder.path])
        #expect(run.status == 0, "\(run.stdout)")
    }
}
