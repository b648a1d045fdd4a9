import Foundation
import Testing
import WardTestSupport

@Suite struct RulesCommandTests {
    static let fixtures = "Tests/EndToEndTests/Fixtures/rules-mixed"

    @Test func lintReportsEveryProblemOfEveryFileAndExitsTwo() throws {
        let run = try wardwatch(["rules", "lint", Self.fixtures])
        #expect(run.status == 2)
        #expect(run.stdout == """
            \(Self.fixtures)/bad_yaml.yml:2:1: error: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence
            \(Self.fixtures)/linux/lnx_broken.yml:2:5: warning: id 'not-a-uuid' is not a UUID
            \(Self.fixtures)/linux/lnx_broken.yml:8:9: error: unknown modifier 'contians' (did you mean 'contains'?)
            \(Self.fixtures)/linux/lnx_broken.yml:9:29: error: unknown search identifier 'other'
            4 files: 2 rules, 0 filters, 0 correlations loaded; 3 errors in 2 files, 1 warnings.
            Prefilter: 2 of 2 rules are evaluated only when one of their literals occurs.

            """)
        let good = try wardwatch(["rules", "lint", "\(Self.fixtures)/linux/lnx_sudo_root_shell.yml"])
        #expect(good.status == 0)
        #expect(good.stdout.hasSuffix("1 files: 1 rules, 0 filters, 0 correlations loaded; 0 errors in 0 files, 0 warnings.\nPrefilter: 1 of 1 rules are evaluated only when one of their literals occurs.\n"))
    }

    @Test func listShowsTheGoodRulesAndWhetherWardwatchHasEventsForThem() throws {
        let run = try wardwatch(["rules", "list", Self.fixtures])
        #expect(run.status == 0)
        #expect(run.stdout == """
            ID                                    LEVEL  LOGSOURCE     EVENTS  TITLE
            3c9f2e51-7a0b-4d6e-9f1a-2b3c4d5e6f70  high   -/firewall/-  yes     Inbound DICOM from outside the hospital
            0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0  high   linux/-/sudo  yes     Sudo to a root shell
            2 rules; 0 for log sources wardwatch has no events for (EVENTS none: they load but never match).

            """)
        #expect(run.stderr == "wardwatch: warning: 2 rule documents with errors were left out; 'wardwatch rules lint' shows why.\n")
        let json = try wardwatch(["rules", "list", "--json", "\(Self.fixtures)/linux"])
        #expect(json.stdout == #"{"id":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0","title":"Sudo to a root shell","level":"high","status":"test","logsource":{"product":"linux","service":"sudo"},"path":"Tests/EndToEndTests/Fixtures/rules-mixed/linux/lnx_sudo_root_shell.yml","events":true}"# + "\n")
    }

    @Test func placeholdersComeFromTheFileAndAMissingOneIsNamed() throws {
        let dir = try Paths.temporaryDirectory()
        let rule = dir.appendingPathComponent("r.yml")
        try """
            title: Login from an unknown workstation
            logsource: {product: linux, service: sshd}
            detection:
                known:
                    host.hostname|expand: '%Workstations%'
                condition: not known
            """.write(to: rule, atomically: true, encoding: .utf8)
        let missing = try wardwatch(["rules", "lint", rule.path])
        #expect(missing.status == 2)
        #expect(missing.stdout.hasPrefix("\(rule.path):5:31: error: placeholder '%Workstations%' has no values; the rule is skipped. Give them with --placeholders FILE"))
        let values = dir.appendingPathComponent("placeholders.yml")
        try "Workstations: [WS-ICU-07, WS-ED-01]\n".write(to: values, atomically: true, encoding: .utf8)
        let filled = try wardwatch(["rules", "lint", "--placeholders", values.path, rule.path])
        #expect(filled.status == 0)
        let badFile = try wardwatch(["rules", "lint", "--placeholders", "/no/such.yml", rule.path])
        #expect(badFile.status == 2)
        #expect(badFile.stderr.hasPrefix("Error: Cannot read the placeholders file '/no/such.yml'."))
    }

    @Test(.needsShared) func theWholeSigmaHQCorpusLints() throws {
        let folders = ["rules", "rules-emerging-threats", "rules-threat-hunting", "rules-compliance", "rules-placeholder"]
        let run = try wardwatch(["rules", "lint", "--placeholders", "Tests/WardRulesTests/Fixtures/placeholders.yml"]
                                + folders.map { "../shared/sigma/\($0)" })
        #expect(run.status == 0)
        // Three Invoke-Obfuscation rules repeat `(?:.*\)){1,}`: a group holding `.*`, repeated without
        // bound — the shape of catastrophic backtracking; lint says so.
        let warnings = run.stdout.split(separator: "\n").filter { $0.contains(": warning: ") }
        #expect(warnings.map { $0.split(separator: ":")[0] } == [
            "../shared/sigma/rules/windows/powershell/powershell_module/posh_pm_invoke_obfuscation_var.yml",
            "../shared/sigma/rules/windows/powershell/powershell_script/posh_ps_invoke_obfuscation_var.yml",
            "../shared/sigma/rules/windows/process_creation/proc_creation_win_hktl_invoke_obfuscation_var.yml",
        ])
        #expect(warnings.allSatisfy { $0.contains("prone to catastrophic backtracking on long lines (ReDoS)") })
        #expect(run.stdout.contains("3780 files: 3780 rules, 0 filters, 0 correlations loaded; 0 errors in 0 files, 3 warnings.\n"))
    }
}

@Suite struct DiagnosticEscapingTests {
    /// A rule file holding terminal escape sequences: lint shows them as `\x1b`, never raw.
    @Test func controlBytesInRuleFilesAreEscaped() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("ctl.yml")
        try Data("title: \u{1B}[31mred\u{07}\ndetection: [\n".utf8).write(to: file)
        let run = try wardwatch(["rules", "lint", file.path])
        #expect(run.status == 2)
        #expect(!run.stdout.contains("\u{1B}") && !run.stdout.contains("\u{07}"))
        #expect(run.stdout.contains("title: \\x1b[31mred\\x07"))
    }
}

@Suite struct RuleLimitTests {
    /// "Billion laughs": nine levels of aliases, ten uses each. Rejected at the node budget, at once.
    @Test func aliasExpansionIsBounded() throws {
        var lines = ["title: lol", "logsource: {product: linux}", "detection:",
                     "  l0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        for i in 1..<9 { lines.append("  l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ",") + "]") }
        lines += ["  selection: {message: *l8}", "  condition: selection"]
        let file = try Paths.temporaryDirectory().appendingPathComponent("lol.yml")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let run = try wardwatch(["rules", "lint", file.path])
        #expect(run.status == 2)
        #expect(run.stdout.hasPrefix("\(file.path):1:1: error: the document expands to more than 1000000 YAML nodes (aliases counted each time they are used); it is rejected\n"))
    }

    @Test func ruleFilesOverTheSizeCapAreNotRead() throws {
        let file = try Paths.temporaryDirectory().appendingPathComponent("big.yml")
        try Data(repeating: UInt8(ascii: "#"), count: 5_000_000).write(to: file)
        let run = try wardwatch(["rules", "lint", file.path])
        #expect(run.status == 2)
        #expect(run.stdout.hasPrefix("\(file.path):0:0: error: the file has 5000000 bytes, more than the 4194304 a rule file may have; it is not read (raise --max-rule-file-bytes to load it)\n"))
        let raised = try wardwatch(["rules", "lint", "--max-rule-file-bytes", "6000000", file.path])
        #expect(!raised.stdout.contains("more than the"))
    }
}
