#if canImport(Glibc)
import Glibc
#endif
import WardCore
import WardDetect
import WardOutput
import WardRules

extension CorrelationStage {
    // MARK: - Alerts

    func fire(_ n: Int, _ g: Group, value: Double, start: Int64, end: Int64, emit: (StageItem) -> Void) {
        statistics.fired[n] += 1
        let node = set.nodes[n]
        let rule = node.rule
        let entries = g.window
        let last = entries.last!
        let values = g.values
        if !node.silent && node.level >= settings.minimumLevel {
            var w = JSONWriter(capacity: 1024)
            if case .pretty(let color) = settings.style {
                // `… HIGH  Brute force  event_count 12 in 5m  source.ip=203.0.113.50  12 events from auth.log byte 1024`
                AlertEncoder.prettyPrefix(timestamp: end, level: node.level, title: rule.metadata.title, color: color,
                                          titleWidth: AlertEncoder.titleWidth(forLine: settings.lineWidth), to: &w)
                w.append("  ")
                w.bytes += Array("\(rule.kind.rawValue) ".utf8)
                Self.appendNumber(value, to: &w)
                w.bytes += Array(" in \(rule.timespanText)".utf8)
                for (i, name) in rule.groupBy.enumerated() {
                    w.append("  ")
                    w.bytes += Array(name.utf8)
                    w.append("=")
                    values[i].utf8.withContiguousStorageIfAvailable { w.appendPrintable($0) }
                }
                if let first = entries.first {
                    w.bytes += Array("  \(entries.count) events from \(names.name(Int(first.source))) byte \(first.offset)".utf8)
                }
                w.append("\n")
                if let width = settings.lineWidth { AlertEncoder.cut(&w, from: 0, to: width) }
            } else if case .csv = settings.style {
                var details = "\(rule.kind.rawValue) "
                var number = JSONWriter(capacity: 16)
                Self.appendNumber(value, to: &number)
                details += String(decoding: number.bytes, as: UTF8.self) + " in \(rule.timespanText)"
                for (i, name) in rule.groupBy.enumerated() { details += " \(name)=\(values[i])" }
                details += " (\(entries.count) events)"
                let source = entries.first.map { "\(names.name(Int($0.source))):\($0.offset)" } ?? ""
                details.withUTF8 { d in
                    AlertEncoder.csvRow(time: end, host: nil, dataset: "correlation", level: node.level, rule: rule.metadata.title,
                                        details: d, source: source, to: &w)
                }
            } else {
                encodeJSON(node, g, value: value, start: start, end: end, to: &w)
            }
            let sink = settings.perLevel ? UInt8(AlertLevel.allCases.firstIndex(of: node.level)!) : 0
            emit(.record(StageRecord(rule: Int32(ruleOffset + n), sink: sink, timestamp: end, bytes: w.bytes,
                                     fields: zip(rule.groupBy, values).map { ($0, $1) })))
        }
        // Chains: the alert is an event of the correlations that reference this one, its values the
        // group's key. The caller's decoded values are kept around this nested feed; the key is a copy
        // (feeding may recycle this very group).
        let chain = set.byRule.count + n
        guard feedStart[chain] < feedStart[chain + 1] else { return }
        let (starts, lengths) = (fieldStarts, fieldLengths)
        let key = g.key.bytes
        key.withUnsafeBufferPointer { feedAll(chain, $0, time: end, source: last.source, offset: last.offset, emit: emit) }
        (fieldStarts, fieldLengths) = (starts, lengths)
    }

    func encodeJSON(_ node: CorrelationSet.Node, _ g: Group, value: Double, start: Int64, end: Int64, to w: inout JSONWriter) {
        let rule = node.rule
        let entries = g.window
        w.append("{\"@timestamp\":\"")
        TimestampFormat.appendRFC3339(end, to: &w.bytes)
        w.append("\",")
        w.bytes += node.members
        w.append(",\"correlation.type\":")
        w.appendString(rule.kind.rawValue)
        w.append(",\"correlation.timespan\":")
        w.appendString(rule.timespanText)
        w.append(",\"correlation.group\":{")
        let values = g.values
        for (i, name) in rule.groupBy.enumerated() {
            if i > 0 { w.append(",") }
            w.appendString(name)
            w.append(":")
            w.appendString(values[i])
        }
        w.append("},\"correlation.value\":")
        Self.appendNumber(value, to: &w)
        if !rule.fields.isEmpty {
            // What the value counts or adds up (value_count of patient.id: distinct patients).
            w.append(",\"correlation.field\":")
            AlertEncoder.array(rule.fields, &w)
        }
        w.append(",\"correlation.window.start\":\"")
        TimestampFormat.appendRFC3339(start, to: &w.bytes)
        w.append("\",\"correlation.window.end\":\"")
        TimestampFormat.appendRFC3339(end, to: &w.bytes)
        w.append("\",\"correlation.rules\":")
        var positions: [Int32] = []
        for e in entries where !positions.contains(e.position) { positions.append(e.position) }
        AlertEncoder.array(positions.sorted().map { node.ruleLabels[Int($0)] }, &w)
        w.append(",\"correlation.event_count\":")
        w.appendInteger(Int64(entries.count))
        w.append(",\"correlation.events\":[")
        // Up to 10 references: the first five and the last five.
        let picked = entries.count <= 10 ? entries : Array(entries.prefix(5)) + Array(entries.suffix(5))
        for (i, e) in picked.enumerated() {
            if i > 0 { w.append(",") }
            w.append("{\"@timestamp\":\"")
            TimestampFormat.appendRFC3339(e.time, to: &w.bytes)
            w.append("\",\"log.file.path\":")
            w.appendString(names.name(Int(e.source)))
            w.append(",\"log.offset\":")
            w.appendInteger(e.offset)
            w.append("}")
        }
        w.append("]")
        // The alert's identity: the correlation, its group and the window's end.
        var name = rule.metadata.id ?? rule.metadata.title
        let seed = name.withUTF8 { FNV1a.hash($0) }
        let identity = FNV1a.hash(end, g.key.bytes.withUnsafeBufferPointer { FNV1a.hash($0, seed) })
        AlertEncoder.alertMembers(level: node.level, identity: identity, to: &w)
        w.append("}\n")
    }
}
