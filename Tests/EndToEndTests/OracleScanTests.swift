import Foundation
import Testing
import WardTestSupport

/// SigmaHQ's regression oracle through the real command: 202 Windows event files, converted to JSON
/// lines, scanned with the *whole* SigmaHQ rule set; each case's rule must alert at least as often as
/// the oracle expects.
@Suite struct OracleScanTests {
    /// Back-to-back pretty-printed JSON objects → one compact object per line.
    static func jsonLines(_ text: String) throws -> String {
        try backToBackJSONObjects(text).map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.withoutEscapingSlashes]), as: UTF8.self) + "\n"
        }.joined()
    }

    @Test(.needsShared) func everyRegressionCaseAlertsWithTheWholeSigmaHQRuleSetLoaded() throws {
        let oracle = Paths.shared.appendingPathComponent("sigma-oracle")
        let cases = try readJSONLines(oracle.appendingPathComponent("index.jsonl"))
        let dir = try Paths.temporaryDirectory()
        for c in cases {
            let text = try String(contentsOf: oracle.appendingPathComponent(c["events_file"] as! String), encoding: .utf8)
            try Self.jsonLines(text).write(to: dir.appendingPathComponent("\(c["rule_id"] as! String).jsonl"), atomically: true, encoding: .utf8)
        }
        let folders = ["rules", "rules-emerging-threats", "rules-threat-hunting", "rules-compliance", "rules-placeholder"]
        let run = try wardwatch(["scan", "--placeholders", "Tests/WardRulesTests/Fixtures/placeholders.yml"]
                                + folders.flatMap { ["--rules", "../shared/sigma/\($0)"] } + [dir.path])
        #expect(run.status == 0, "\(run.stderr)")
        var counts: [String: Int] = [:]  // "<file rule id>|<alert rule id>"
        for line in run.stdout.split(separator: "\n") {
            let alert = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let file = ((alert["log.file.path"] as! String) as NSString).lastPathComponent.replacingOccurrences(of: ".jsonl", with: "")
            counts["\(file)|\(alert["rule.id"] as! String)", default: 0] += 1
        }
        var passed = 0
        for c in cases {
            let id = c["rule_id"] as! String
            let wanted = c["expected_match_count"] as? Int ?? 1
            let got = counts["\(id)|\(id)"] ?? 0
            if got >= wanted {
                passed += 1
            } else {
                Issue.record("\(c["rule_path"] as! String): \(got) alerts, wanted \(wanted)")
            }
        }
        print("SigmaHQ regression oracle via scan (3,780 rules loaded): \(passed) of \(cases.count) cases alerted; \(run.stdout.split(separator: "\n").count) alerts in all")
        #expect(passed == 202)
    }
}
