import Foundation
import Testing
import WardTestSupport

/// A Windows Security event as exported to JSON (EVTX → JSON), at `seconds` after 08:00 on 22 Nov.
func windowsEvent(_ seconds: Int, id: Int, channel: String = "Security", _ data: [String: String]) -> String {
    let time = String(format: "2026-11-22T%02d:%02d:%02dZ", 8 + seconds / 3600, seconds / 60 % 60, seconds % 60)
    let object: [String: Any] = ["Event": ["System": ["EventID": id, "Channel": channel, "Computer": "DC-01",
                                                      "TimeCreated": ["#attributes": ["SystemTime": time]]],
                                           "EventData": data]]
    return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

func jsonLines(_ text: String) -> [[String: Any]] {
    text.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
}

/// Correlation rules proposed to SigmaHQ (unmerged pull requests in `../shared/sigma-oracle`), each a
/// file with its base rules, scanned by the CLI over the Windows events their descriptions name.
@Suite(.needsShared) struct CorrelationCommandTests {
    let oracle = Paths.shared.appendingPathComponent("sigma-oracle/correlation-examples-unmerged-prs")

    /// "more than 4 failed logons from a single source IP" for one account within 5 minutes.
    @Test func bruteForceAgainstOneAccountFiresOnTheFifthFailureFromOneAddress() throws {
        let dir = try Paths.temporaryDirectory()
        let log = dir.appendingPathComponent("security.jsonl")
        func failed(_ t: Int, _ user: String, _ ip: String) -> String {
            windowsEvent(t, id: 4625, ["TargetUserName": user, "TargetDomainName": "HOSP", "IpAddress": ip])
        }
        var lines = (0..<5).map { failed($0 * 50, "nurse.station4", "10.20.30.40") }
        // Four from another address, and five spread over more than 5 minutes: neither fires.
        lines += (0..<4).map { failed($0 * 10 + 3, "nurse.station4", "10.20.30.41") }
        lines += (0..<5).map { failed(1000 + $0 * 80, "dr.house", "10.20.30.42") }
        try lines.joined(separator: "\n").appending("\n").write(to: log, atomically: true, encoding: .utf8)
        let run = try wardwatch(["scan", "--rules", oracle.appendingPathComponent("pr6085_correlation_win_security_failed_logon_bruteforce_single_account.yml").path,
                                 log.path])
        #expect(run.status == 0, "\(run.stderr)")
        let alerts = jsonLines(run.stdout)
        // The base rule does not generate alerts of its own: one line, the correlation's.
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert["rule.name"] as? String == "Brute Force Authentication Attempts For Single Account")
        #expect(alert["rule.id"] as? String == "34fb5c3a-2ff6-487d-bfa3-717763f30b2c")
        #expect(alert["rule.level"] as? String == "high")
        #expect(alert["@timestamp"] as? String == "2026-11-22T08:03:20.000Z")
        #expect(alert["correlation.group"] as? [String: String] == ["TargetUserName": "nurse.station4", "TargetDomainName": "HOSP",
                                                                    "IpAddress": "10.20.30.40"])
        #expect(alert["correlation.value"] as? Int == 5)
        #expect(alert["correlation.rules"] as? [String] == ["28ed487c-6a7d-42ca-a121-608ce523856c"])
        #expect((alert["correlation.events"] as? [[String: Any]])?.map { $0["log.offset"] as? Int }.count == 5)
        #expect(run.stderr.contains("  correlations: 1 loaded, 1 fired; 14 events of their rules; peak 3 groups\n"))
        #expect(run.stderr.contains("        1  high          Brute Force Authentication Attempts For Single Account\n"))
    }

    /// "the same User runs wsb.exe with `start` and then with `exec`, `share`, or `connect` within 10
    /// minutes" (a temporal correlation: any order).
    @Test func sandboxStartAndExecByOneUserFire() throws {
        let dir = try Paths.temporaryDirectory()
        let log = dir.appendingPathComponent("sysmon.jsonl")
        func process(_ t: Int, _ user: String, _ command: String) -> String {
            windowsEvent(t, id: 1, channel: "Microsoft-Windows-Sysmon/Operational",
                         ["Image": "C:\\Windows\\System32\\wsb.exe", "OriginalFileName": "wsb.exe", "User": user,
                          "CommandLine": "wsb.exe \(command)"])
        }
        let lines = [process(0, "HOSP\\it.admin", "start --config sandbox.wsb"), process(30, "HOSP\\clerk", "exec --id 1 -c cmd.exe"),
                     process(120, "HOSP\\it.admin", "exec --id 1 -c powershell.exe"), process(5000, "HOSP\\clerk", "start x")]
        try lines.joined(separator: "\n").appending("\n").write(to: log, atomically: true, encoding: .utf8)
        let run = try wardwatch(["scan", "--rules", oracle.appendingPathComponent("pr6168_proc_creation_win_wsb_start_exec_chain_correlation.yml").path,
                                 log.path])
        #expect(run.status == 0, "\(run.stderr)")
        let alerts = jsonLines(run.stdout).filter { $0["correlation.type"] != nil }
        #expect(alerts.map { $0["correlation.group"] as? [String: String] } == [["User": "HOSP\\it.admin"]])
        #expect(alerts.first?["@timestamp"] as? String == "2026-11-22T08:02:00.000Z")
    }

    /// Two scans over consecutive halves of a log with `--state` give the correlation alerts of one
    /// scan over the whole log.
    @Test func stateCarriesWindowsFromOneScanToTheNext() throws {
        let dir = try Paths.temporaryDirectory()
        let rule = oracle.appendingPathComponent("pr6085_correlation_win_security_failed_logon_bruteforce_single_account.yml").path
        let lines = (0..<12).map { windowsEvent($0 * 20, id: 4625, ["TargetUserName": "u", "TargetDomainName": "D", "IpAddress": "10.0.0.\($0 % 2)"]) }
        let whole = dir.appendingPathComponent("whole.jsonl")
        try lines.joined(separator: "\n").appending("\n").write(to: whole, atomically: true, encoding: .utf8)
        let first = dir.appendingPathComponent("first.jsonl"), second = dir.appendingPathComponent("second.jsonl")
        try lines[..<7].joined(separator: "\n").appending("\n").write(to: first, atomically: true, encoding: .utf8)
        try lines[7...].joined(separator: "\n").appending("\n").write(to: second, atomically: true, encoding: .utf8)
        let state = dir.appendingPathComponent("state.json").path
        let all = try wardwatch(["scan", "--rules", rule, whole.path])
        let one = try wardwatch(["scan", "--rules", rule, "--state", state, first.path])
        #expect(one.stderr.contains("  state: \(state) did not exist; started empty\n"))
        let two = try wardwatch(["scan", "--rules", rule, "--state", state, second.path])
        #expect(two.stderr.contains("  state: resumed 2 correlation groups and 0 suppression windows from \(state)\n"))
        let stamps = { (text: String) in jsonLines(text).map { $0["@timestamp"] as! String } }
        #expect(stamps(all.stdout) == ["2026-11-22T08:02:40.000Z", "2026-11-22T08:03:00.000Z"])
        #expect(stamps(one.stdout) + stamps(two.stdout) == stamps(all.stdout))
        #expect(stamps(one.stdout).isEmpty)

        try "{".write(toFile: state, atomically: true, encoding: .utf8)
        let broken = try wardwatch(["scan", "--rules", rule, "--state", state, second.path])
        #expect(broken.status == 64 || broken.status == 2)
        #expect(broken.stderr.contains("the state file \(state) is not a wardwatch state file"))
    }

    @Test func suppressOptionsAreChecked() throws {
        let bad = try wardwatch(["scan", "--suppress", "*:source.ip", "SampleLogs/linux/auth.log"])
        #expect(bad.status == 64 || bad.status == 2)
        #expect(bad.stderr.contains("'--suppress' must be RULE:FIELD[,FIELD]:DURATION such as '*:source.ip:10m', not '*:source.ip'."))
        let unknown = try wardwatch(["scan", "--suppress", "no such rule:source.ip:10m", "SampleLogs/linux/auth.log"])
        #expect(unknown.stderr.contains("--suppress names rule 'no such rule', which is not loaded (give its id, name or title, or *)"))
        // Every rule, by host: the repeated SSH alerts of one host are counted in follow-ups.
        let run = try wardwatch(["scan", "--year", "2026", "--suppress", "*:host.hostname:1h", "SampleLogs/linux/auth.log"])
        #expect(run.status == 0)
        let lines = jsonLines(run.stdout)
        let followUps = lines.filter { $0["suppression.count"] != nil }
        #expect(!followUps.isEmpty)
        let suppressed = followUps.map { $0["suppression.count"] as! Int }.reduce(0, +)
        #expect(run.stderr.contains("  suppressed: \(suppressed) alerts\n"))
        let unsuppressed = try wardwatch(["scan", "--year", "2026", "SampleLogs/linux/auth.log"])
        #expect(lines.count - followUps.count + suppressed == jsonLines(unsuppressed.stdout).count)
    }

    /// A correlation grouped by a path inside the HL7 message (the patient's name, PID-5) keys and
    /// reports its groups by pseudonym: the name never reaches the output unless --reveal-phi.
    @Test func groupValuesFromInsideHL7MessagesArePseudonyms() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("by-patient.yml")
        try """
            title: HL7 message
            name: any_hl7
            logsource: {product: hl7, service: v2}
            detection: {selection: {hl7.version|startswith: '2.'}, condition: selection}
            ---
            title: Messages about one patient
            correlation: {type: event_count, rules: [any_hl7], group-by: [hl7.PID.5], timespan: 1d, condition: {gte: 2}}
            level: medium
            """.write(to: file, atomically: true, encoding: .utf8)
        let run = try wardwatch(["scan", "--year", "2026", "--rules", file.path, "SampleLogs/hl7/interface-engine.log"])
        #expect(run.status == 0, "\(run.stderr)")
        let alerts = jsonLines(run.stdout)
        #expect(alerts.count == 1)
        let group = try #require(alerts.first?["correlation.group"] as? [String: String])
        #expect(group["hl7.PID.5"]?.hasPrefix("pid:") == true)
        #expect(group["hl7.PID.5"]?.count == 20)
        #expect(!run.stdout.contains("PARKER"))
        let revealed = try wardwatch(["scan", "--year", "2026", "--reveal-phi", "--rules", file.path, "SampleLogs/hl7/interface-engine.log"])
        #expect(jsonLines(revealed.stdout).first?["correlation.group"] as? [String: String] == ["hl7.PID.5": "PARKER^EMILY^J"])
    }

    @Test func rulesListShowsCorrelationsAndTheRulesThatOnlyFeedThem() throws {
        let run = try wardwatch(["rules", "list", "Rules"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("\nID                                    LEVEL          CORRELATION       TIMESPAN  GROUP-BY                                       TITLE\n"))
        #expect(run.stdout.contains("6d7e8f9a-0b1c-4d2e-9f3a-5b6c7d8e9f0a  high           event_count       5m        source                                         Password guessing against SSH or the EHR from one address\n"))
        #expect(run.stdout.hasSuffix("27 correlations; 24 of the rules only feed them (Sigma's generate: false): they write no alerts of their own.\n"))
        let json = try wardwatch(["rules", "list", "--json", "Rules/correlations/password_guessing.yml", "Rules/linux"])
        let objects = jsonLines(json.stdout)
        let correlation = try #require(objects.first { $0["correlation"] != nil })
        #expect(correlation["title"] as? String == "Password guessing against SSH or the EHR from one address")
        let body = try #require(correlation["correlation"] as? [String: Any])
        #expect(body["type"] as? String == "event_count")
        #expect(body["rules"] as? [String] == ["sshd_failed_password", "sshd_invalid_user", "ehr_signin_failed"])
        #expect(body["group-by"] as? [String] == ["source"])
        #expect(body["timespan"] as? String == "5m")
        #expect(body["generate"] as? Bool == false)
    }

    @Test func lintReportsCorrelationProblemsWithTheirPlace() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("chain.yml")
        try """
            title: Outer
            name: outer
            correlation: {type: temporal, rules: [inner, nothing_here], group-by: [user.name], timespan: 5m}
            ---
            title: Inner
            name: inner
            correlation: {type: event_count, rules: [outer], group-by: [user.name], timespan: 5m, condition: {gte: 2}}
            """.write(to: file, atomically: true, encoding: .utf8)
        let run = try wardwatch(["rules", "lint", file.path])
        #expect(run.status == 2)
        #expect(run.stdout == """
            \(file.path):3:38: warning: correlation 'Outer' refers to rule 'nothing_here', which is not loaded; it cannot fire without it
            \(file.path):3:38: error: correlation cycle: 'outer' -> 'inner' -> 'outer'
            1 files: 0 rules, 0 filters, 0 correlations loaded; 1 errors in 1 files, 1 warnings.

            """)
    }
}
