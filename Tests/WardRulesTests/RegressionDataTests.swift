import Foundation
import Testing
import WardRules
import WardTestSupport

/// SigmaHQ's own true-positive regression data: 202 rules, each with the Windows events it must match.
@Suite struct RegressionDataTests {
    /// Sigma field names of a Windows event (the oracle README): System children by name, System
    /// attributes as `Tag_Attribute`, EventData/UserData children by name with spaces removed.
    static func flatten(_ event: [String: Any]) -> [String: String] {
        var fields: [String: String] = [:]
        func text(_ value: Any) -> String? {
            switch value {
            case let s as String: return s
            case let n as NSNumber: return n.stringValue
            default: return nil
            }
        }
        guard let root = event["Event"] as? [String: Any] else { return fields }
        for (key, value) in root["System"] as? [String: Any] ?? [:] {
            if let v = text(value) { fields[key] = v }
            if let map = value as? [String: Any], let attributes = map["#attributes"] as? [String: Any] {
                for (name, v) in attributes { if let t = text(v) { fields["\(key)_\(name)"] = t } }
            }
        }
        var payloads: [[String: Any]] = []
        if let data = root["EventData"] as? [String: Any] { payloads.append(data) }
        if let user = root["UserData"] as? [String: Any] {
            for (_, value) in user { if let map = value as? [String: Any] { payloads.append(map) } }
        }
        for payload in payloads {
            for (key, value) in payload where key != "#attributes" {
                if let v = text(value) { fields[key.replacingOccurrences(of: " ", with: "")] = v }
            }
        }
        return fields
    }

    @Test(.needsShared) func everyRegressionCaseMatchesAtLeastItsExpectedCount() throws {
        let oracle = Paths.shared.appendingPathComponent("sigma-oracle")
        let index = try readJSONLines(oracle.appendingPathComponent("index.jsonl"))
        #expect(index.count == 202)
        let options = RuleLoadOptions(placeholders: try loadPlaceholders())
        var passed = 0
        for case_ in index {
            let rulePath = Paths.shared.appendingPathComponent("sigma/\(case_["rule_path"] as! String)").path
            let collection = RuleLoader.load(paths: [rulePath], options: options)
            guard let rule = collection.rules.first else {
                Issue.record("\(rulePath): \(collection.errors)")
                continue
            }
            let text = try String(contentsOf: oracle.appendingPathComponent(case_["events_file"] as! String), encoding: .utf8)
            let events = try backToBackJSONObjects(text) as! [[String: Any]]
            #expect(events.count == case_["events_in_file"] as! Int)
            let set = RuleSet([rule])
            let scratch = MatchScratch()
            var matches = 0
            for object in events {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
                let event = TestEvent(Self.flatten(object), original: json)
                if rule.matchesDetection(event, scratch: scratch) {
                    matches += 1
                    #expect(set.prefilterPasses(0, event), "prefilter dropped \(rule.title) (\(rule.id ?? ""))")
                }
            }
            let wanted = case_["expected_match_count"] as? Int ?? 1
            if matches >= wanted {
                passed += 1
            } else {
                Issue.record("\(rule.title) (\(case_["rule_path"] as! String)): \(matches) of \(events.count) events matched, wanted \(wanted)")
            }
        }
        print("SigmaHQ regression data: \(passed) of \(index.count) cases matched")
        #expect(passed == 202)
    }
}
