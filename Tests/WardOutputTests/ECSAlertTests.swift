import Foundation
import Testing
import WardCore
@testable import WardRules
import WardTestSupport
@testable import WardOutput

@Suite struct ECSAlertTests {
    /// Every ATT&CK tag of the SigmaHQ corpus becomes ECS `threat.*` values: tactics by name,
    /// techniques and sub-techniques by id; group, software and data source tags (`attack.g0016`,
    /// `attack.s0002`, `attack.ds0005`) are the only ones left out.
    @Test(.needsShared) func sigmaHQAttackTagsMapToThreatFields() throws {
        let collection = RuleLoader.load(paths: [Paths.shared.appendingPathComponent("sigma/rules").path], options: RuleLoadOptions())
        var tags = Set<String>()
        for rule in collection.rules { tags.formUnion(rule.metadata.tags.map { $0.lowercased() }.filter { $0.hasPrefix("attack.") }) }
        #expect(tags.count > 400)
        var unmapped: [String] = []
        for tag in tags {
            let attack = Attack(tags: [tag])
            let name = tag.dropFirst(7)
            if name.range(of: #"^t\d{4}(\.\d{3})?$"#, options: .regularExpression) != nil {
                let id = "T" + name.dropFirst().split(separator: ".")[0]
                #expect(attack.techniques == [id], "\(tag)")
                if name.contains(".") { #expect(attack.subtechniques == [name.uppercased()], "\(tag)") }
            } else if attack.tactics.count == 1 {
                #expect(attack.tactics[0].lowercased().replacingOccurrences(of: " ", with: "-") == name, "\(tag)")
            } else {
                unmapped.append(tag)
            }
        }
        #expect(unmapped.allSatisfy { $0.range(of: #"^attack\.(g|s|ds)\d{4}$"#, options: .regularExpression) != nil }, "\(unmapped.sorted())")
    }

    /// The ECS members of an alert have the types the ECS reference gives them (keyword, long,
    /// keyword arrays), and `event.id` is the same for the same rule, input and offset.
    @Test func alertMembersHaveTheirECSTypes() throws {
        var meta = RuleMetadata(title: "Password spraying")
        meta.id = "8f9a0b1c-2d3e-4f4a-9b5c-7d8e9f0a1b2c"
        meta.level = "high"
        meta.tags = ["attack.credential-access", "attack.t1110.003", "attack.t1110", "attack.g0016"]
        meta.references = ["https://attack.mitre.org/techniques/T1110/003/"]
        var w = JSONWriter(capacity: 256)
        w.append("{")
        w.bytes += AlertEncoder.ruleMembers(meta)
        AlertEncoder.alertMembers(level: .high, identity: 0x0123_4567_89ab_cdef, to: &w)
        w.append("}")
        let alert = try JSONSerialization.jsonObject(with: Data(w.bytes)) as! [String: Any]
        // field → ECS type (keyword; long; keyword, multi-valued) from the ECS 8.17 field reference.
        let keywords = ["event.kind", "event.id", "ecs.version", "rule.id", "rule.name", "rule.ruleset", "threat.framework"]
        for key in keywords { #expect(alert[key] is String, "\(key)") }
        #expect(alert["event.severity"] as? Int == 73)
        for key in ["rule.reference", "threat.tactic.name", "threat.technique.id", "threat.technique.subtechnique.id"] {
            #expect(alert[key] is [String], "\(key)")
        }
        #expect(alert["event.kind"] as? String == "alert")
        #expect(alert["event.id"] as? String == "0123456789abcdef")
        #expect(alert["threat.framework"] as? String == "MITRE ATT&CK")
        #expect(alert["threat.tactic.name"] as? [String] == ["Credential Access"])
        #expect(alert["threat.technique.id"] as? [String] == ["T1110"])
        #expect(alert["threat.technique.subtechnique.id"] as? [String] == ["T1110.003"])
        #expect(alert["rule.references"] == nil)
        #expect(AlertLevel.allCases.map(\.severity) == [1, 21, 47, 73, 99])
    }
}
