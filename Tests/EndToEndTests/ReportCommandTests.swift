import Foundation
import Testing
import WardTestSupport

/// `wardwatch report`: one self-contained HTML file from the alerts of a scan.
@Suite struct ReportCommandTests {
    func alerts(_ extra: [String] = []) throws -> (folder: URL, path: String) {
        let folder = try Paths.temporaryDirectory()
        let path = folder.appendingPathComponent("alerts.jsonl").path
        let scan = try wardwatch(["scan", "-q", "--year", "2026", "-o", path] + extra + ["SampleLogs"])
        #expect(scan.status == 0)
        return (folder, path)
    }

    /// The sections in order, the counts of SampleLogs' alerts, SVG charts, and nothing fetched from
    /// anywhere (no URL, no script); patients counted, no pseudonym printed.
    @Test func reportOnSampleLogs() throws {
        let (folder, path) = try alerts()
        let html = folder.appendingPathComponent("report.html").path
        let run = try wardwatch(["report", path, "-o", html, "--title", "Ward 7 <test> report"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr == "wardwatch report: 52 alerts from 1 files → \(html)\n")
        let text = try String(contentsOfFile: html, encoding: .utf8)
        let attributes = try FileManager.default.attributesOfItem(atPath: html)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let sections = text.components(separatedBy: "<section id=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(sections == ["summary", "notification", "timeline", "rules", "top", "attack", "correlations"])
        #expect(text.hasPrefix("<!DOCTYPE html>"))
        #expect(text.contains("<title>Ward 7 &lt;test&gt; report</title>"))
        #expect(text.contains("<dt>Alerts</dt><dd>52"))
        #expect(text.contains("<dt>Rules that fired</dt><dd>37</dd>"))
        #expect(text.contains("<dt>Correlation alerts</dt><dd>20</dd>"))
        #expect(text.contains("<dt>First malicious activity seen</dt><dd>2026-11-21T22:10:00Z</dd>"))
        #expect(text.contains("<dt>Last malicious activity seen</dt><dd>2026-11-24T23:44:21Z</dd>"))
        #expect(text.contains("counted up to 21 distinct patients in one window"))
        #expect(text.contains("<dt>Patient records involved</dt><dd>1 distinct patient (by pseudonym) in 4 alerts on clinical records"))
        #expect(text.contains("<dt>Affected systems</dt><dd>ehr-app01 (9), asa-edge01 (6), FS01.hildegard.local (3)"))
        // Windows hosts and accounts by their own field names, a correlation's group by its keys.
        #expect(text.contains("<dt>Accounts involved</dt><dd>jmiller (6), jfranke (5)"))
        // One table row per rule that fired; one correlation row each.
        let rules = text.components(separatedBy: "<section id=\"rules\"")[1].components(separatedBy: "</section>")[0]
        #expect(rules.components(separatedBy: "<tr><td>").count - 1 == 37)
        let correlations = text.components(separatedBy: "<section id=\"correlations\"")[1].components(separatedBy: "</section>")[0]
        #expect(correlations.components(separatedBy: "<tr><td>").count - 1 == 20)
        #expect(correlations.contains("SampleLogs/linux/secure:782"))
        // Charts: the timeline, and one per top list.
        #expect(text.components(separatedBy: "<svg ").count - 1 == 4)
        #expect(text.contains("<th>Credential Access</th>"))
        #expect(text.contains("T1110 · 6"))
        for fetched in ["http:", "https:", "<script", "<link", "<img", "@import", "url("] { #expect(!text.contains(fetched), "\(fetched)") }
        #expect(!text.contains("pid:"))
    }

    /// Nested alerts and gzip give the same report; a line that is not an alert is reported with its
    /// place, skipped, and makes the exit code 3 — the report is still written.
    @Test func nestedGzipAndBadLines() throws {
        let (_, flat) = try alerts()
        let (folder, nested) = try alerts(["--json-style", "nested"])
        let a = try wardwatch(["report", flat]).stdout
        let b = try wardwatch(["report", nested]).stdout
        func body(_ html: String) -> String {
            html.replacingOccurrences(of: #"report made [0-9TZ:-]+"#, with: "", options: .regularExpression)
                .replacingOccurrences(of: #"<code>[^<]*</code>: 52"#, with: "", options: .regularExpression)
        }
        #expect(body(a) == body(b))
        let gz = folder.appendingPathComponent("alerts.jsonl.gz")
        try Data(gzipMember(Array(Data(contentsOf: URL(fileURLWithPath: nested))))).write(to: gz)
        #expect(body(try wardwatch(["report", gz.path]).stdout) == body(a))
        let broken = folder.appendingPathComponent("broken.jsonl")
        try ("{\"not\":\"an alert\"}\n" + String(contentsOfFile: flat, encoding: .utf8) + "garbage\n").write(to: broken, atomically: true, encoding: .utf8)
        let run = try wardwatch(["report", broken.path])
        #expect(run.status == 3)
        #expect(run.stderr.contains("\(broken.path): line 1: not a wardwatch alert (no rule.name); skipped."))
        #expect(run.stderr.contains("\(broken.path): line 54: not a JSON object; skipped."))
        #expect(run.stdout.contains("<strong>2 lines that were not alerts (skipped)</strong>"))
        let missing = try wardwatch(["report", folder.appendingPathComponent("nope.jsonl").path])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("nope.jsonl: No such file or directory."))
    }
}
