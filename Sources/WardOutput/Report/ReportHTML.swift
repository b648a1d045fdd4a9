import Foundation
import WardCore

/// `wardwatch report` as one self-contained HTML file: inline CSS, charts drawn as inline SVG, no
/// script, nothing fetched from the network, and no patient named (pseudonyms are only counted).
public enum ReportHTML {
    static let colors: [AlertLevel: String] = [.critical: "#8e1b1b", .high: "#d9382c", .medium: "#e88a1a", .low: "#2f7fc1",
                                               .informational: "#9a9a9a"]

    public static func render(_ r: AlertReport, title: String, generated: Int64) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f4f6f9}
            header{background:#1d2b3a;color:#fff;padding:18px 32px}header h1{margin:0 0 4px;font-size:22px}
            header p{margin:0;color:#c8d3df}main{padding:8px 32px 40px;max-width:1200px}
            section{background:#fff;border-radius:6px;padding:14px 20px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
            h2{font-size:17px;margin:2px 0 10px}table{border-collapse:collapse;width:100%}
            th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e6e9ee;vertical-align:top}th{color:#56606e;font-weight:600}
            td.n{text-align:right;font-variant-numeric:tabular-nums}.lvl{display:inline-block;min-width:84px;padding:1px 6px;border-radius:3px;color:#fff;font-size:12px;text-align:center}
            .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(330px,1fr));gap:16px}.muted{color:#6b7482}
            .cell{display:block;margin:2px 0;padding:2px 6px;border-radius:3px;color:#fff;font-size:12px}
            dl{display:grid;grid-template-columns:260px 1fr;gap:4px 12px;margin:0}dt{color:#56606e}dd{margin:0}
            code{font-size:12px}.scroll{overflow-x:auto}#rules td:nth-child(3),#rules td:nth-child(4),#correlations td:first-child{white-space:nowrap}.matrix td{min-width:78px}.matrix th{font-size:12px}
            </style></head><body>

            """
        html += "<header><h1>\(escape(title))</h1><p>\(number(r.alerts)) alerts"
        if let first = r.first, let last = r.last { html += " · events from \(stamp(first)) to \(stamp(last))" }
        html += " · report made \(stamp(generated))</p></header>\n<main>\n"
        html += summary(r) + notification(r) + timeline(r) + rules(r) + tops(r) + attack(r) + correlations(r)
        html += "</main></body></html>\n"
        return html
    }

    static func summary(_ r: AlertReport) -> String {
        var s = "<section id=\"summary\"><h2>Summary of the run</h2><dl>\n"
        s += "<dt>Alerts</dt><dd>\(number(r.alerts))\(levelsText(r.byLevel))</dd>\n"
        s += "<dt>Rules that fired</dt><dd>\(number(r.rules.count))</dd>\n"
        s += "<dt>Correlation alerts</dt><dd>\(number(r.correlations.count))</dd>\n"
        s += "<dt>Systems (hosts) with alerts</dt><dd>\(number(r.hosts.count))</dd>\n"
        s += "<dt>Log files with alerts</dt><dd>\(number(r.logFiles.count))</dd>\n"
        if let first = r.first, let last = r.last { s += "<dt>Alert times</dt><dd>\(stamp(first)) to \(stamp(last))</dd>\n" }
        s += "<dt>Records by kind</dt><dd>\(AlertReport.top(r.datasets, 20).map { "\(escape($0.0)) \(number($0.1))" }.joined(separator: ", "))</dd>\n"
        for (path, why) in r.unreadable {
            s += "<dt>Alert file</dt><dd><code>\(escape(path))</code>: <strong>could not be read (\(escape(why))); its alerts are not in this report</strong></dd>\n"
        }
        for source in r.sources {
            s += "<dt>Alert file</dt><dd><code>\(escape(source.path))</code>: \(number(source.alerts)) alerts"
            if source.unreadable > 0 { s += ", <strong>\(number(source.unreadable)) lines that were not alerts (skipped)</strong>" }
            s += "</dd>\n"
        }
        return s + "</dl></section>\n"
    }

    /// What the early warning and the incident notification of NIS 2 (Art. 23) ask for.
    static func notification(_ r: AlertReport) -> String {
        var s = "<section id=\"notification\"><h2>Incident notification</h2>\n"
        s += "<p class=\"muted\">Facts for the early warning (within 24 hours) and the incident notification (within 72 hours) to the competent authority or CSIRT under NIS 2, Art. 23. Check them before sending; the assessment of severity and cross-border impact is yours.</p><dl>\n"
        let serious = AlertLevel.allCases.filter { $0 >= .medium }.reduce(0) { $0 + (r.byLevel[$1] ?? 0) }
        s += "<dt>Suspected malicious activity</dt><dd>\(serious > 0 ? "yes: \(number(serious)) alerts of level medium or above" : "no alert of level medium or above")</dd>\n"
        if let first = r.firstSerious, let last = r.lastSerious {
            s += "<dt>First malicious activity seen</dt><dd>\(stamp(first))</dd>\n<dt>Last malicious activity seen</dt><dd>\(stamp(last))</dd>\n"
        }
        let tactics = AlertReport.tacticOrder.filter { r.attack[$0] != nil }
        s += "<dt>Attack stages (ATT&amp;CK tactics)</dt><dd>\(tactics.isEmpty ? "none tagged" : tactics.map(escape).joined(separator: ", "))</dd>\n"
        s += "<dt>Affected systems</dt><dd>\(list(r.hosts))</dd>\n"
        s += "<dt>Accounts involved</dt><dd>\(list(r.users))</dd>\n"
        s += "<dt>Source addresses</dt><dd>\(list(r.sourceAddresses))</dd>\n"
        var categories: [String] = []
        for (dataset, n) in AlertReport.top(r.datasets, 50) {
            categories.append("\(escape(category(dataset))) (\(number(n)) \(n == 1 ? "alert" : "alerts"))")
        }
        s += "<dt>Categories of data involved</dt><dd>\(categories.isEmpty ? "none" : categories.joined(separator: "; "))</dd>\n"
        s += "<dt>Patient records involved</dt><dd>"
        if r.clinicalAlerts == 0 {
            s += "no alert on a clinical record (HL7, ATNA, FHIR)"
        } else {
            s += "\(number(r.patients.count)) distinct \(r.patients.count == 1 ? "patient" : "patients") (by pseudonym) in \(number(r.clinicalAlerts)) \(r.clinicalAlerts == 1 ? "alert" : "alerts") on clinical records; patients are counted, never named, in this report"
        }
        if r.patientCorrelations > 0 {
            s += "; \(number(r.patientCorrelations)) \(r.patientCorrelations == 1 ? "correlation" : "correlations") of record access (one account opening many patients' records) counted up to \(number(r.patientsInOneCorrelation)) distinct patients in one window"
        }
        return s + "</dd>\n</dl></section>\n"
    }

    static func category(_ dataset: String) -> String {
        switch dataset {
        case "hl7.v2": return "HL7 v2 clinical messages (health data)"
        case "hl7.atna": return "IHE ATNA audit records of access to health data"
        case "fhir.auditevent": return "FHIR AuditEvent records of access to health data"
        case "correlation": return "correlations over several records"
        case "windows.eventlog": return "Windows event logs"
        default:
            if dataset.hasPrefix("firewall.") { return "network traffic (\(dataset))" }
            if dataset.hasPrefix("syslog.") { return "system and application logs (\(dataset))" }
            return dataset
        }
    }

    /// Alerts over time, stacked by level, as an SVG bar chart.
    static func timeline(_ r: AlertReport) -> String {
        var s = "<section id=\"timeline\"><h2>Alerts over time</h2>\n"
        guard let first = r.first, let last = r.last else { return s + "<p class=\"muted\">No alert has a time.</p></section>\n" }
        let steps: [(Int64, String)] = [(60, "minute"), (300, "5 minutes"), (900, "15 minutes"), (3600, "hour"), (3 * 3600, "3 hours"),
                                        (6 * 3600, "6 hours"), (12 * 3600, "12 hours"), (86400, "day"), (7 * 86400, "week"), (30 * 86400, "30 days")]
        // In seconds: a span of centuries (a log line can carry any year) must not overflow nanoseconds.
        func seconds(_ t: Int64) -> Int64 { t >= 0 ? t / 1_000_000_000 : (t - 999_999_999) / 1_000_000_000 }
        let (firstS, lastS) = (seconds(first), seconds(last))
        let span = max(1, lastS - firstS + 1)
        var step = steps.first { span / $0.0 < 60 } ?? steps[steps.count - 1]
        if span / step.0 >= 60 { step = ((span + 59) / 60, "\(ScanSummary.number(Int((span + 59) / 60 / 86400))) days") }
        let width = step.0
        let start = firstS - ((firstS % width) + width) % width
        let bins = Int((lastS - start) / width) + 1
        var counts = [[AlertLevel: Int]](repeating: [:], count: bins)
        for (time, level) in r.times { counts[min(bins - 1, max(0, Int((seconds(time) - start) / width)))][level, default: 0] += 1 }
        let peak = max(1, counts.map { $0.values.reduce(0, +) }.max() ?? 1)
        let (w, h, left, bottom) = (960.0, 220.0, 44.0, 36.0)
        let barWidth = (w - left - 10) / Double(bins)
        s += "<svg viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"100%\" role=\"img\" aria-label=\"Alerts per \(step.1), by level\">\n"
        s += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - 10)\" y2=\"\(h - bottom)\" stroke=\"#9aa3ad\"/>\n"
        s += "<text x=\"\(left - 6)\" y=\"16\" text-anchor=\"end\" font-size=\"11\" fill=\"#56606e\">\(peak)</text>\n"
        s += "<text x=\"\(left - 6)\" y=\"\(h - bottom)\" text-anchor=\"end\" font-size=\"11\" fill=\"#56606e\">0</text>\n"
        for (i, bin) in counts.enumerated() {
            var y = h - bottom
            for level in AlertLevel.allCases {
                guard let n = bin[level], n > 0 else { continue }
                let height = (h - bottom - 12) * Double(n) / Double(peak)
                y -= height
                s += "<rect x=\(quoted(left + Double(i) * barWidth + 1)) y=\(quoted(y)) width=\(quoted(max(1, barWidth - 2))) height=\(quoted(height)) fill=\"\(colors[level]!)\"><title>\(stamp((start + Int64(i) * width) * 1_000_000_000)): \(n) \(level.rawValue)</title></rect>\n"
            }
        }
        s += "<text x=\"\(left)\" y=\"\(h - 14)\" font-size=\"11\" fill=\"#56606e\">\(stamp(start * 1_000_000_000))</text>\n"
        s += "<text x=\"\(w - 10)\" y=\"\(h - 14)\" text-anchor=\"end\" font-size=\"11\" fill=\"#56606e\">\(stamp(min(Int64.max / 1_000_000_000 - 1, start + Int64(bins) * width) * 1_000_000_000))</text>\n"
        var x = left + 220
        for level in AlertLevel.allCases.reversed() where (r.byLevel[level] ?? 0) > 0 {
            s += "<rect x=\"\(Int(x))\" y=\"\(Int(h - 24))\" width=\"10\" height=\"10\" fill=\"\(colors[level]!)\"/><text x=\"\(Int(x) + 14)\" y=\"\(Int(h - 15))\" font-size=\"11\">\(level.rawValue)</text>\n"
            x += 100
        }
        return s + "</svg>\n<p class=\"muted\">One bar per \(step.1) (UTC).</p></section>\n"
    }

    static func rules(_ r: AlertReport) -> String {
        var s = "<section id=\"rules\"><h2>Rules that fired</h2>\n<table><tr><th>level</th><th>alerts</th><th>first</th><th>last</th><th>rule</th></tr>\n"
        for row in r.rankedRules {
            s += "<tr><td>\(badge(row.level))</td><td class=\"n\">\(number(row.count))</td><td>\(row.first == .max ? "-" : stamp(row.first))</td><td>\(row.last == .min ? "-" : stamp(row.last))</td><td>\(escape(row.name))</td></tr>\n"
        }
        return s + "</table></section>\n"
    }

    /// Top hosts, users and source addresses, as SVG bars.
    static func tops(_ r: AlertReport) -> String {
        var s = "<section id=\"top\"><h2>Most alerts by host, user and source address</h2><div class=\"grid\">\n"
        for (title, counts) in [("Hosts", r.hosts), ("Users", r.users), ("Source addresses", r.sourceAddresses)] {
            s += "<div><h3>\(title)</h3>\n"
            let top = AlertReport.top(counts, 10)
            if top.isEmpty {
                s += "<p class=\"muted\">none</p></div>\n"
                continue
            }
            let peak = Double(top[0].1)
            s += "<svg viewBox=\"0 0 360 \(top.count * 22 + 4)\" width=\"100%\" role=\"img\" aria-label=\"\(title)\">\n"
            for (i, (name, n)) in top.enumerated() {
                let y = i * 22 + 2
                s += "<text x=\"0\" y=\"\(y + 14)\" font-size=\"12\">\(escape(String(name.prefix(26))))</text>"
                s += "<rect x=\"170\" y=\"\(y + 3)\" width=\(quoted(max(2, 150 * Double(n) / peak))) height=\"14\" fill=\"#3d6f9e\"/>"
                s += "<text x=\(quoted(176 + 150 * Double(n) / peak)) y=\"\(y + 14)\" font-size=\"11\" fill=\"#56606e\">\(n)</text>\n"
            }
            s += "</svg></div>\n"
        }
        return s + "</div></section>\n"
    }

    /// Tactics (columns, in ATT&CK's order) by the techniques that fired under them.
    static func attack(_ r: AlertReport) -> String {
        var s = "<section id=\"attack\"><h2>MITRE ATT&amp;CK: tactics and techniques that fired</h2>\n"
        let tactics = AlertReport.tacticOrder.filter { r.attack[$0] != nil } + r.attack.keys.filter { !AlertReport.tacticOrder.contains($0) }.sorted()
        guard !tactics.isEmpty else { return s + "<p class=\"muted\">No alert carries ATT&amp;CK tags.</p></section>\n" }
        let peak = Double(r.attack.values.flatMap(\.values).max() ?? 1)
        s += "<div class=\"scroll\"><table class=\"matrix\"><tr>" + tactics.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n<tr>"
        for tactic in tactics {
            s += "<td>"
            for (technique, n) in AlertReport.top(r.attack[tactic] ?? [:], 100) {
                let alpha = 0.35 + 0.65 * Double(n) / peak
                s += "<span class=\"cell\" style=\"background:rgba(142,27,27,\(String(format: "%.2f", alpha)))\">\(escape(technique)) · \(n)</span>"
            }
            s += "</td>"
        }
        return s + "</tr></table></div></section>\n"
    }

    static func correlations(_ r: AlertReport) -> String {
        var s = "<section id=\"correlations\"><h2>Correlation alerts and their events</h2>\n"
        guard !r.correlations.isEmpty else { return s + "<p class=\"muted\">No correlation fired.</p></section>\n" }
        s += "<table><tr><th>time</th><th>level</th><th>rule</th><th>group</th><th>value</th><th>window</th><th>events</th></tr>\n"
        for c in r.correlations.sorted(by: { $0.time < $1.time }) {
            let group = c.group.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: ", ")
            let events = c.events.prefix(50).map { "\(escape($0.0)) <code>\(escape($0.1))</code>" }.joined(separator: "<br>")
                + (c.events.count > 50 ? "<br>… \(c.events.count - 50) more" : "")
            s += "<tr><td>\(stamp(c.time))</td><td>\(badge(c.level))</td><td>\(escape(c.rule)) <span class=\"muted\">(\(escape(c.type)))</span></td><td>\(group)</td><td class=\"n\">\(escape(c.value))</td><td>\(escape(c.windowStart))<br>\(escape(c.windowEnd))</td><td>\(events)</td></tr>\n"
        }
        return s + "</table></section>\n"
    }

    static func list(_ counts: [String: Int]) -> String {
        guard !counts.isEmpty else { return "none" }
        var parts = AlertReport.top(counts, 25).map { "\(escape($0.0)) (\(number($0.1)))" }
        if counts.count > 25 { parts.append("and \(number(counts.count - 25)) more") }
        return parts.joined(separator: ", ")
    }

    static func levelsText(_ byLevel: [AlertLevel: Int]) -> String {
        let parts = AlertLevel.allCases.reversed().compactMap { level in byLevel[level].map { "\(badge(level)) \(number($0))" } }
        return parts.isEmpty ? "" : " &nbsp; " + parts.joined(separator: " ")
    }

    static func badge(_ level: AlertLevel) -> String {
        "<span class=\"lvl\" style=\"background:\(colors[level]!)\">\(level.rawValue)</span>"
    }

    static func quoted(_ value: Double) -> String { "\"\(String(format: "%.1f", value))\"" }

    static func number(_ n: Int) -> String { ScanSummary.number(n) }

    static func stamp(_ time: Int64) -> String {
        var bytes: [UInt8] = []
        AlertEncoder.appendSeconds(time, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Text for HTML: `& < > " '` escaped, control characters dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if c.value < 0x20 && c != "\t" { out += " " } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
