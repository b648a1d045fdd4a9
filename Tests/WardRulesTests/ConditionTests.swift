import Foundation
import Testing
import WardRules
import WardTestSupport

/// A rule with searches a, b, c (each: field of the same name equals 'x') and the given condition.
func conditionRule(_ condition: String, searches: [String] = ["a", "b", "c"]) -> String {
    var yaml = "title: t\nlogsource: {product: linux}\ndetection:\n"
    for name in searches { yaml += "    \(name):\n        \(name.replacingOccurrences(of: "*", with: "")): 'x'\n" }
    yaml += "    condition: \(condition)\n"
    return yaml
}

/// The truth table of a condition over which searches hit.
func truth(_ condition: String, searches: [String] = ["a", "b", "c"], _ cases: [Set<String>]) -> [Bool] {
    guard let rule = loadRule(conditionRule(condition, searches: searches)) else { return [] }
    return cases.map { hits in
        evaluate(rule, TestEvent(Dictionary(uniqueKeysWithValues: hits.map { ($0, "x") })))
    }
}

@Suite struct ConditionTests {
    @Test func precedenceIsOrThenAndThenNot() {
        // a or b and not c  ==  a or (b and (not c))
        #expect(truth("a or b and not c", [["a", "c"], ["b"], ["b", "c"], []]) == [true, true, false, false])
        #expect(truth("(a or b) and not c", [["a", "c"], ["a"], ["b", "c"]]) == [false, true, false])
        #expect(truth("not a and b", [["b"], ["a", "b"]]) == [true, false])
        #expect(truth("not (a and b)", [["a", "b"], ["a"]]) == [false, true])
        #expect(truth("a and (b or (c and not a))", [["a", "b"], ["a", "c"]]) == [true, false])
    }

    @Test func quantifiersOverPatternsThemAndUnderscore() {
        let names = ["sel_one", "sel_two", "filter_x", "_helper"]
        #expect(truth("1 of sel_*", searches: names, [["sel_two"], ["filter_x"]]) == [true, false])
        #expect(truth("any of sel_*", searches: names, [["sel_one"]]) == [true])
        #expect(truth("all of sel_*", searches: names, [["sel_one"], ["sel_one", "sel_two"]]) == [false, true])
        #expect(truth("all of sel_* and not 1 of filter_*", searches: names,
                      [["sel_one", "sel_two"], ["sel_one", "sel_two", "filter_x"]]) == [true, false])
        // `them` and patterns skip identifiers starting with `_` …
        #expect(truth("all of them", searches: names, [["sel_one", "sel_two", "filter_x"]]) == [true])
        #expect(truth("1 of *", searches: names, [["_helper"]]) == [false])
        // … unless the pattern starts with `_`.
        #expect(truth("1 of _*", searches: names, [["_helper"]]) == [true])
    }

    @Test func conditionErrorsPointAtTheirColumn() {
        // Line 10 holds `    condition: <text>`; the text starts at column 16 (17 when quoted).
        #expect(diagnostics(conditionRule("a and d")) == ["broken.yml:10:22: error: unknown search identifier 'd'"])
        #expect(diagnostics(conditionRule("a and bb")) == ["broken.yml:10:22: error: unknown search identifier 'bb' (did you mean 'b'?)"])
        #expect(diagnostics(conditionRule("a AND b")) == ["broken.yml:10:18: error: operators are lower case: write 'and'"])
        #expect(diagnostics(conditionRule("(a or b")) == ["broken.yml:10:23: error: '(' at offset 0 is not closed"])
        #expect(diagnostics(conditionRule("a or")) == ["broken.yml:10:20: error: the condition ends where an identifier or '(' was expected"])
        #expect(diagnostics(conditionRule("a | count() > 5")) == ["broken.yml:10:18: error: '|' aggregations (count(), near) were removed in Sigma 2.0; rewrite this as a correlation rule"])
        #expect(diagnostics(conditionRule("'a and'")) == ["broken.yml:10:22: error: the condition ends where an identifier or '(' was expected"])
        #expect(diagnostics(conditionRule("1 of nothing*")) == ["broken.yml:10:21: warning: 'nothing*' matches no search identifier; '1 of nothing*' is always false"])
    }

    /// FuzzCondition, 2026-11-29: a thousand `(` overflowed the parser's stack. Nesting (parentheses and
    /// `not`) is limited to 64 levels, reported at the level that goes past it; 64 still parse.
    @Test func aConditionNestedBeyondSixtyFourLevelsIsAnErrorNotACrash() {
        let open = String(repeating: "(", count: 1000), close = String(repeating: ")", count: 1000)
        #expect(diagnostics(conditionRule(open + "a" + close)) == ["broken.yml:10:80: error: the condition nests parentheses and 'not' more than 64 deep"])
        let nots = String(repeating: "not ", count: 65)
        #expect(diagnostics(conditionRule(nots + "a")) == ["broken.yml:10:272: error: the condition nests parentheses and 'not' more than 64 deep"])
        let deepest = String(repeating: "(", count: 63) + "not a" + String(repeating: ")", count: 63)
        #expect(diagnostics(conditionRule(deepest)).isEmpty)
        #expect(evaluate(loadRule(conditionRule(deepest))!, TestEvent(["a": "x"])) == false)
    }

    @Test func aListOfConditionsIsORed() {
        let yaml = conditionRule("\n        - a\n        - b and c")
        let rule = loadRule(yaml)!
        #expect(evaluate(rule, TestEvent(["a": "x"])) == true)
        #expect(evaluate(rule, TestEvent(["b": "x"])) == false)
        #expect(evaluate(rule, TestEvent(["b": "x", "c": "x"])) == true)
    }

    @Test func listsOfMapsAreORedAndMapsANDed() {
        let rule = loadRule("""
            title: t
            logsource: {product: linux}
            detection:
                selection:
                    - user: root
                      host|startswith: ehr-
                    - user: admin
                condition: selection
            """)!
        #expect(evaluate(rule, TestEvent(["user": "root", "host": "ehr-app01"])) == true)
        #expect(evaluate(rule, TestEvent(["user": "root", "host": "pacs01"])) == false)
        #expect(evaluate(rule, TestEvent(["user": "ADMIN"])) == true)
    }
}

@Suite struct DocumentTests {
    @Test(.needsShared) func specSchemaExamplesAndPySigmaFilesAllLoad() throws {
        let folders = ["sigma-oracle/spec-schema-examples/rules", "sigma-oracle/spec-schema-examples/filter",
                       "sigma-oracle/spec-schema-examples/correlation", "sigma-oracle/pysigma-test-files"]
        var files = 0
        for folder in folders {
            for file in RuleLoader.ruleFiles(in: Paths.shared.appendingPathComponent(folder).path) {
                files += 1
                let collection = RuleLoader.load(paths: [file], options: RuleLoadOptions())
                let name = (file as NSString).lastPathComponent
                // None of these files is named invalid: each must load without an error.
                #expect(collection.errors.isEmpty, "\(name): \(collection.errors)")
                #expect(collection.rules.count + collection.filters.count + collection.correlations.count >= 1, "\(name)")
            }
        }
        #expect(files == 14)
        let pysigma = RuleLoader.load(paths: [Paths.shared.appendingPathComponent("sigma-oracle/pysigma-test-files/correlation_rule.yml").path],
                                      options: RuleLoadOptions())
        #expect(pysigma.rules.map(\.metadata.name) == ["base_rule", "base_rule_1", "base_rule_2"])
        #expect(pysigma.correlations.map(\.kind) == [.eventCount, .valueCount, .temporal])
        #expect(pysigma.correlations[0].timespanSeconds == 900)
        #expect(pysigma.correlations[0].groupBy == ["fieldC", "fieldD"])
    }

    /// Correlation rules proposed in SigmaHQ pull requests: one lacks a timespan inside `correlation`
    /// and is invalid; one names rules that are not loaded, which is reported.
    @Test(.needsShared) func unmergedPullRequestCorrelationsLoadAsTheOracleExpects() throws {
        let folder = Paths.shared.appendingPathComponent("sigma-oracle/correlation-examples-unmerged-prs")
        var outcomes: [String: String] = [:]
        for file in RuleLoader.ruleFiles(in: folder.path) {
            let collection = RuleLoader.load(paths: [file], options: RuleLoadOptions())
            let name = (file as NSString).lastPathComponent
            outcomes[String(name.prefix(6))] = collection.errors.isEmpty ? "valid" : "invalid"
            if name.hasPrefix("pr5415_proc_creation_discovery") {
                #expect(collection.errors.map(\.message).contains("a correlation needs 'timespan': a number with s, m, h, d, w, M or y (like 5m)"))
            }
            if name.hasPrefix("pr5010") {
                #expect(collection.warnings.contains { $0.message.contains("which is not loaded") }, "\(collection.diagnostics)")
            }
        }
        #expect(outcomes.count == 5)
        let invalid = RuleLoader.load(paths: [folder.appendingPathComponent("pr5415_proc_creation_discovery_ransomware.yml").path],
                                      options: RuleLoadOptions())
        #expect(!invalid.errors.isEmpty)
        for file in ["pr6168_proc_creation_win_wsb_start_exec_chain_correlation.yml",
                     "pr6085_correlation_win_security_failed_logon_bruteforce_single_account.yml",
                     "pr5903_aws_cloudtrail_bedrock_multiple_invokemodel_requests.yml",
                     "pr5415_proc_creation_multiple_archive.yml", "pr5415_proc_creation_win_discovery_commands.yml",
                     "pr5010_proc_creation_win_correlation_msi_privesc.yml"] {
            let collection = RuleLoader.load(paths: [folder.appendingPathComponent(file).path], options: RuleLoadOptions())
            #expect(collection.correlations.count >= 1, "\(file)")
            if file == "pr5415_proc_creation_win_discovery_commands.yml" {
                // Its correlation is valid, but its base rules nest search identifiers inside
                // `selection` as if they were fields (`filter1087pwsh: {CommandLine|contains: …}`):
                // those rules are rejected, each with the place of the nested map.
                #expect(collection.errors.first?.description == "\(folder.path)/\(file):43:9: error: a value must be a string, number, boolean or null, not a list or map")
                #expect(collection.errors.allSatisfy { $0.message.hasPrefix("a value must be") || $0.message.hasPrefix("unknown search identifier") })
            } else {
                #expect(collection.errors.isEmpty, "\(file): \(collection.errors)")
            }
        }
    }

    @Test func correlationErrorsAreReported() {
        let yaml = """
            title: c
            correlation:
                type: event_cnt
                rules: [a]
                timespan: 5m
            """
        #expect(diagnostics(yaml) == ["broken.yml:3:11: error: correlation type must be one of event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile, value_median, not 'event_cnt'"])
        let noField = """
            title: c
            correlation:
                type: value_count
                rules: [a]
                timespan: 5x
                condition: {gte: 3}
            """
        #expect(diagnostics(noField) == [
            "broken.yml:5:15: error: a correlation needs 'timespan': a number with s, m, h, d, w, M or y (like 5m)",
            "broken.yml:6:16: error: a value_count correlation needs 'condition.field'",
        ])
    }

    @Test func filtersApplyToTheRulesTheyNameWithinTheirLogSource() throws {
        let dir = try Paths.temporaryDirectory()
        try """
            title: SSH root login
            id: 9a3b6c1e-0d4f-4f6e-8d5a-1b2c3d4e5f60
            logsource: {product: linux, service: sshd}
            detection:
                selection:
                    message|startswith: 'Accepted password for root'
                condition: selection
            level: high
            """.write(to: dir.appendingPathComponent("rule.yml"), atomically: true, encoding: .utf8)
        try """
            title: Ignore the PACS archive server
            logsource: {product: linux}
            filter:
                rules:
                    - 9a3b6c1e-0d4f-4f6e-8d5a-1b2c3d4e5f60
                pacs:
                    host.hostname|startswith: 'pacs-'
                condition: not pacs
            """.write(to: dir.appendingPathComponent("mf_pacs.yml"), atomically: true, encoding: .utf8)
        let collection = RuleLoader.load(paths: [dir.path], options: RuleLoadOptions())
        #expect(collection.errors.isEmpty)
        let rule = try #require(collection.rules.first)
        #expect(rule.appliedFilters == ["Ignore the PACS archive server"])
        #expect(evaluate(rule, TestEvent(["message": "Accepted password for root from 1.2.3.4", "host.hostname": "ehr-app01"])) == true)
        #expect(evaluate(rule, TestEvent(["message": "Accepted password for root from 1.2.3.4", "host.hostname": "pacs-gw01"])) == false)
        // A filter for another log source, or naming no loaded rule, applies to nothing and says so.
        try """
            title: Windows only
            logsource: {product: windows}
            filter:
                rules: any
                sel:
                    x: y
                condition: not sel
            """.write(to: dir.appendingPathComponent("mf_windows.yml"), atomically: true, encoding: .utf8)
        let again = RuleLoader.load(paths: [dir.path], options: RuleLoadOptions())
        #expect(again.rules[0].appliedFilters == ["Ignore the PACS archive server"])
        #expect(again.warnings.map(\.description) == ["\(dir.path)/mf_windows.yml:1:1: warning: filter 'Windows only' applies to none of the loaded rules"])
    }

    @Test func everyProblemOfEveryFileIsReportedAndGoodRulesStillLoad() throws {
        let dir = try Paths.temporaryDirectory()
        let good = """
            title: Sudo to a root shell
            id: 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0
            status: test
            logsource: {product: linux, service: sudo}
            detection:
                selection:
                    message|contains|all: ['USER=root', 'COMMAND=/usr/bin/su']
                condition: selection
            level: high
            """
        let broken = """
            title: Broken in three places
            status: testing
            logsource: {product: linux}
            detection:
                selection:
                    message|contians: 'x'
                    host|re: '(unclosed'
                condition: selection and not filter
            level: severe
            """
        let badYAML = "title: x\ndetection: [unclosed\n"
        try good.write(to: dir.appendingPathComponent("a_good.yml"), atomically: true, encoding: .utf8)
        try broken.write(to: dir.appendingPathComponent("b_broken.yml"), atomically: true, encoding: .utf8)
        try badYAML.write(to: dir.appendingPathComponent("c_bad_yaml.yml"), atomically: true, encoding: .utf8)
        let collection = RuleLoader.load(paths: [dir.path], options: RuleLoadOptions())
        let b = "\(dir.path)/b_broken.yml"
        #expect(collection.diagnostics.map(\.description) == [
            "\(b):2:9: error: status must be one of deprecated, experimental, stable, test, unsupported, not 'testing'",
            "\(b):9:8: error: level must be one of informational, low, medium, high, critical, not 'severe'",
            "\(b):6:9: error: unknown modifier 'contians' (did you mean 'contains'?)",
            "\(b):7:18: error: invalid regular expression: missing closing parenthesis at offset 9 of the pattern",
            "\(b):8:34: error: unknown search identifier 'filter'",
            "\(dir.path)/c_bad_yaml.yml:3:1: error: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence",
        ])
        #expect(collection.rules.map(\.title) == ["Sudo to a root shell"])
        #expect(collection.rejectedDocuments == 2)
    }
}

@Suite struct MappingTests {
    static let mappings = MappingSet.load(directory: Paths.root.appendingPathComponent("Rules/mappings").path)

    func load(_ yaml: String) -> SigmaRule? {
        var collection = RuleCollection()
        RuleLoader.load(yaml: yaml, file: "t.yml", options: RuleLoadOptions(mappings: Self.mappings), into: &collection)
        #expect(collection.errors.isEmpty, "\(collection.errors)")
        return collection.rules.first
    }

    @Test func bundledMappingsLoadCleanly() {
        #expect(Self.mappings.diagnostics.isEmpty)
        #expect(Self.mappings.sources.count >= 10)
    }

    @Test func logSourcesRouteRulesToTheirEvents() throws {
        let sshd = try #require(load("""
            title: t
            logsource: {product: linux, service: sshd}
            detection: {k: ['invalid user'], condition: k}
            """))
        let generic = try #require(load("""
            title: t
            logsource: {product: linux}
            detection: {k: ['invalid user'], condition: k}
            """))
        let scratch = MatchScratch()
        let sshdLine = TestEvent(["event.dataset": "syslog.rfc3164", "process.name": "sshd"], original: "sshd[1]: Invalid user x")
        let sudoLine = TestEvent(["event.dataset": "syslog.rfc3164", "process.name": "sudo"], original: "sudo: invalid user x")
        let unparsed = TestEvent(["event.dataset": "unparsed"], original: "invalid user x")
        #expect([sshd.matches(sshdLine, scratch: scratch), sshd.matches(sudoLine, scratch: scratch), sshd.matches(unparsed, scratch: scratch)] == [true, false, false])
        #expect([generic.matches(sshdLine, scratch: scratch), generic.matches(sudoLine, scratch: scratch), generic.matches(unparsed, scratch: scratch)] == [true, true, false])
    }

    @Test func sigmaFieldNamesMapToECSPerLogSource() throws {
        let rule = try #require(load("""
            title: t
            logsource: {category: firewall}
            detection:
                sel: {dst_port: 104, src_ip|cidr: '203.0.113.0/24'}
                condition: sel
            """))
        #expect(rule.searches[0].expression.items.map { $0.field?.name } == ["destination.port", "source.ip"])
        #expect(rule.routes.count == 1)  // the firewall.* datasets
        let hl7 = try #require(load("""
            title: t
            logsource: {product: cerner, service: millennium}
            detection: {sel: {x: 1}, condition: sel}
            """))
        #expect(hl7.routes.isEmpty)  // a log source wardwatch has no events for: loads, never matches
        let linux = try #require(load("""
            title: t
            logsource: {product: linux}
            detection: {sel: {dst_port: 104}, condition: sel}
            """))
        #expect(linux.searches[0].expression.items[0].field?.name == "dst_port")  // unmapped: the name as written
    }
}
