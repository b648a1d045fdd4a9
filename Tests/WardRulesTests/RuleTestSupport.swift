import Foundation
import Testing
import WardCore
import WardRules
import WardTestSupport

/// An event for tests: field name → value, the whole line, a time.
struct TestEvent: SigmaEvent {
    var fields: [String: [UInt8]]
    var original: [UInt8]
    var timestamp: Int64?

    init(_ fields: [String: String] = [:], original: String = "", timestamp: Int64? = nil) {
        self.fields = fields.mapValues { Array($0.utf8) }
        self.original = Array(original.utf8)
        self.timestamp = timestamp
    }

    init(bytes: [String: [UInt8]]) {
        self.fields = bytes
        self.original = []
    }

    func withValue<R>(of field: FieldRef, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        guard let value = fields[field.name] else { return body(nil) }
        return value.withUnsafeBufferPointer { body($0) }
    }

    func withOriginal<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        original.withUnsafeBufferPointer { body($0) }
    }
}

/// Loads one rule from YAML text; records an issue for any error.
func loadRule(_ yaml: String, placeholders: [String: [String]] = [:],
              sourceLocation: Testing.SourceLocation = #_sourceLocation) -> SigmaRule? {
    var collection = RuleCollection()
    RuleLoader.load(yaml: yaml, file: "test.yml", options: RuleLoadOptions(placeholders: placeholders), into: &collection)
    for error in collection.errors { Issue.record("\(error)", sourceLocation: sourceLocation) }
    return collection.rules.first
}

/// Diagnostics of loading YAML text as `file`.
func diagnostics(_ yaml: String, file: String = "broken.yml", placeholders: [String: [String]] = [:]) -> [String] {
    var collection = RuleCollection()
    RuleLoader.load(yaml: yaml, file: file, options: RuleLoadOptions(placeholders: placeholders), into: &collection)
    return collection.diagnostics.map(\.description)
}

/// A rule with one selection `detection: {selection: {<key>: <values>}}`.
func selectionRule(_ key: String, _ values: String) -> String {
    """
    title: test
    logsource: {product: linux}
    detection:
        selection:
            '\(key)': \(values)
        condition: selection
    """
}

/// Evaluates `rule` on `event`, and checks the prefilter contract on the way: a match must pass it.
func evaluate(_ rule: SigmaRule, _ event: TestEvent, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
    let scratch = MatchScratch()
    let matched = rule.matchesDetection(event, scratch: scratch)
    let set = RuleSet([rule])
    if matched && !set.prefilterPasses(0, event) {
        Issue.record("prefilter dropped a matching rule: \(String(describing: set.rules[0].requiredAnyOf))",
                     sourceLocation: sourceLocation)
    }
    return matched
}

/// `true`/`false` per value of `field` for a one-item rule.
func matchTable(_ key: String, _ values: String, field: String = "f", _ inputs: [String],
                sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Bool] {
    guard let rule = loadRule(selectionRule(key, values), sourceLocation: sourceLocation) else { return [] }
    return inputs.map { evaluate(rule, TestEvent([field: $0]), sourceLocation: sourceLocation) }
}
