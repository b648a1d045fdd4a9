import Yams

/// Correlation rules: their documents, and the checks across them once every file is read.
extension RuleLoader {
    static func correlation(_ node: Node, file: String, sink: inout DiagnosticSink) -> CorrelationRule? {
        guard let meta = metadata(node, sink: &sink), let body = node[key: "correlation"] else { return nil }
        var ok = true
        let typeText = body[key: "type"]?.scalarText ?? ""
        guard let kind = CorrelationRule.Kind(rawValue: typeText) else {
            sink.error(body[key: "type"]?.location ?? body.location,
                       "correlation type must be one of \(CorrelationRule.Kind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(typeText)'")
            return nil
        }
        var rules = body[key: "rules"]?.stringList ?? []
        let groupBy = body[key: "group-by"]?.stringList ?? []
        var seconds = 0
        let spanText = body[key: "timespan"]?.scalarText ?? ""
        if let parsed = timespan(spanText) {
            seconds = parsed
        } else {
            sink.error(body[key: "timespan"]?.location ?? body.location,
                       "a correlation needs 'timespan': a number with s, m, h, d, w, M or y (like 5m)")
            ok = false
        }
        var comparisons: [(CorrelationRule.Comparison, Double)] = []
        var fields: [String] = []
        var percentile: Double = kind == .valueMedian ? 50 : 95
        var temporalCondition: String?
        if let condition = body[key: "condition"] {
            if let text = condition.scalarText {
                if kind.isTemporal {
                    temporalCondition = text
                } else {
                    sink.error(condition.location, "a \(kind.rawValue) correlation's condition is a map such as 'gte: 10'; only temporal types take an expression")
                    ok = false
                }
            }
            for entry in condition.entries ?? [] {
                if entry.key == "field" {
                    fields = entry.value.stringList ?? []
                } else if entry.key == "percentile", kind == .valuePercentile || kind == .valueMedian {
                    if let p = entry.value.scalarText.flatMap(Double.init), p > 0, p <= 100 {
                        percentile = p
                    } else {
                        sink.error(entry.value.location, "'percentile' must be a number above 0 and at most 100")
                        ok = false
                    }
                } else if let op = CorrelationRule.Comparison(rawValue: entry.key) {
                    if let n = entry.value.scalarText.flatMap(Double.init) {
                        comparisons.append((op, n))
                    } else {
                        sink.error(entry.value.location, "correlation condition '\(entry.key)' needs a number, not '\(entry.value.scalarText ?? "a list or map")'")
                        ok = false
                    }
                } else {
                    sink.error(entry.keyNode.location, "unknown correlation condition '\(entry.key)': use gt, gte, lt, lte, eq, neq and field")
                    ok = false
                }
            }
            if comparisons.count > 2 {
                sink.error(condition.location, "a correlation condition has one threshold or two (a range), not \(comparisons.count)")
                ok = false
            }
            if comparisons.isEmpty && temporalCondition == nil && !kind.isTemporal {
                sink.error(condition.location, "a \(kind.rawValue) correlation needs a threshold in its condition (like 'gte: 10')")
                ok = false
            }
        } else if !kind.isTemporal {
            sink.error(body.location, "a \(kind.rawValue) correlation needs a 'condition' (like 'gte: 10')")
            ok = false
        }
        if rules.isEmpty, let text = temporalCondition {
            // Sigma 2.2 draft: a temporal correlation without 'rules' correlates the rules its condition names.
            rules = conditionNames(text)
        }
        if rules.isEmpty {
            sink.error(body.location, "a correlation needs 'rules': the ids or names of the rules it correlates")
            ok = false
        }
        if kind.needsField && fields.isEmpty {
            sink.error(body[key: "condition"]?.location ?? body.location, "a \(kind.rawValue) correlation needs 'condition.field'")
            ok = false
        }
        var aliases: [String: [String: String]] = [:]
        for alias in body[key: "aliases"]?.entries ?? [] {
            var map: [String: String] = [:]
            for entry in alias.value.entries ?? [] { map[entry.key] = entry.value.scalarText ?? "" }
            aliases[alias.key] = map
        }
        var generate = false
        if let node = body[key: "generate"] ?? node[key: "generate"] {
            switch node.scalarText {
            case "true": generate = true
            case "false": generate = false
            default:
                sink.error(node.location, "'generate' must be true or false")
                ok = false
            }
        }
        guard ok else { return nil }
        return CorrelationRule(metadata: meta, kind: kind, rules: rules, groupBy: groupBy, timespanSeconds: seconds,
                               timespanText: spanText, comparisons: comparisons, temporalCondition: temporalCondition,
                               fields: fields, percentile: percentile, aliases: aliases, generate: generate,
                               path: file, location: node.location,
                               rulesLocation: body[key: "rules"]?.location ?? body[key: "condition"]?.location ?? body.location)
    }

    static func timespan(_ text: String) -> Int? {
        guard let unit = text.last, let n = Int(text.dropLast()), n > 0 else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86_400
        case "w": return n * 604_800
        case "M": return n * 2_592_000
        case "y": return n * 31_536_000
        default: return nil
        }
    }

    // MARK: - Parts

    static let statuses: Set<String> = ["stable", "test", "experimental", "deprecated", "unsupported"]
    static let levels: Set<String> = ["informational", "low", "medium", "high", "critical"]

    /// Correlations name rules by id or name. A reference no loaded rule or correlation has is a warning
    /// (the correlation loads, and counts only what is loaded); a cycle of correlations, or a temporal
    /// condition naming a rule the correlation does not reference, is an error reported at the
    /// correlation, and such correlations are dropped from the collection.
    static func reportUnresolvedReferences(_ collection: inout RuleCollection) {
        var known = Set<String>()
        for rule in collection.rules {
            if let id = rule.metadata.id { known.insert(id) }
            if let name = rule.metadata.name { known.insert(name) }
        }
        var correlationByKey: [String: Int] = [:]
        for (i, correlation) in collection.correlations.enumerated() {
            if let id = correlation.metadata.id { known.insert(id); correlationByKey[id] = i }
            if let name = correlation.metadata.name { known.insert(name); correlationByKey[name] = i }
        }
        var bad = Set<Int>()
        func fail(_ c: CorrelationRule, _ message: String) {
            collection.diagnostics.append(RuleDiagnostic(.error, file: c.path, line: c.rulesLocation.line, column: c.rulesLocation.column, message))
        }
        for (i, correlation) in collection.correlations.enumerated() {
            for reference in correlation.rules where !known.contains(reference) {
                // A warning: the correlation loads and counts what it can; `scan` repeats this.
                collection.diagnostics.append(RuleDiagnostic(
                    .warning, file: correlation.path, line: correlation.rulesLocation.line, column: correlation.rulesLocation.column,
                    "correlation '\(correlation.metadata.title)' refers to rule '\(reference)', which is not loaded; "
                        + (correlation.kind.isTemporal ? "it cannot fire without it" : "it counts only the events of the rules that are")))
            }
            if let text = correlation.temporalCondition {
                let names = conditionNames(text)
                for name in names where !correlation.rules.contains(name) {
                    fail(correlation, "correlation '\(correlation.metadata.title)': its condition names '\(name)', which is not one of its rules")
                    bad.insert(i)
                }
                var parser = ConditionParser(text, identifiers: correlation.rules)
                do {
                    _ = try parser.parse()
                } catch {
                    fail(correlation, "correlation '\(correlation.metadata.title)': condition '\(text)': \(error.message) (at character \(error.offset + 1))")
                    bad.insert(i)
                }
            }
            for (alias, map) in correlation.aliases {
                for name in map.keys where !correlation.rules.contains(name) {
                    collection.diagnostics.append(RuleDiagnostic(
                        .warning, file: correlation.path, line: correlation.location.line, column: correlation.location.column,
                        "correlation '\(correlation.metadata.title)': alias '\(alias)' maps rule '\(name)', which the correlation does not reference"))
                }
            }
        }
        // Cycles: a correlation that reaches itself through the correlations it references.
        var state = [UInt8](repeating: 0, count: collection.correlations.count)  // 0 new, 1 on path, 2 done
        var path: [Int] = []
        func visit(_ i: Int) {
            state[i] = 1
            path.append(i)
            for reference in collection.correlations[i].rules {
                guard let j = correlationByKey[reference] else { continue }
                if state[j] == 1 {
                    let cycle = path[path.lastIndex(of: j)!...] + [j]
                    let c = collection.correlations[j]
                    fail(c, "correlation cycle: " + cycle.map { "'\(collection.correlations[$0].metadata.name ?? collection.correlations[$0].metadata.id ?? collection.correlations[$0].metadata.title)'" }.joined(separator: " -> "))
                    for k in cycle { bad.insert(k) }
                } else if state[j] == 0 {
                    visit(j)
                }
            }
            path.removeLast()
            state[i] = 2
        }
        for i in collection.correlations.indices where state[i] == 0 { visit(i) }
        // Correlations that reference a dropped one cannot fire either.
        var changed = true
        while changed {
            changed = false
            for (i, c) in collection.correlations.enumerated() where !bad.contains(i) {
                if c.rules.contains(where: { correlationByKey[$0].map(bad.contains) ?? false }) {
                    fail(c, "correlation '\(c.metadata.title)' refers to a correlation with errors; it cannot be evaluated")
                    bad.insert(i)
                    changed = true
                }
            }
        }
        if !bad.isEmpty {
            collection.rejectedDocuments += bad.count
            collection.correlations = collection.correlations.enumerated().filter { !bad.contains($0.offset) }.map(\.element)
        }
    }

    /// The rule names a temporal condition string mentions (`a and not (b or c)` → a, b, c).
    static func conditionNames(_ text: String) -> [String] {
        text.split(whereSeparator: { " ()".contains($0) }).map(String.init).filter { !["and", "or", "not"].contains($0) }
    }
}
