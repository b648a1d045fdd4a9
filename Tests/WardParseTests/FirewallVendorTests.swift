import Foundation
import Testing
import WardCore
import WardParse
import WardTestSupport

/// Juniper SRX, Check Point and Cisco FTD authentication/VPN messages against Elastic's integration
/// test logs. Where Elastic ships an `-expected.json`, every field wardwatch writes that Elastic
/// states must be equal; elsewhere the values each line visibly carries are read here with regular
/// expressions (independently of the parsers) and must be what the parser wrote. Each vendor's
/// agreement is printed as a percentage of the fields compared.
@Suite(.needsShared) struct FirewallVendorTests {
    static let elastic = "elastic_integrations/packages"
    static let juniper = "\(elastic)/juniper_srx/data_stream/log/_dev/test/pipeline"
    static let checkPoint = "\(elastic)/checkpoint/data_stream/firewall/_dev/test/pipeline"
    static let ftd = "\(elastic)/cisco_ftd/data_stream/log/_dev/test/pipeline"

    /// Counts compared fields and agreements, and reports disagreements as test issues.
    final class Tally {
        var compared = 0
        var equal = 0
        func check(_ mine: String?, _ theirs: String?, _ what: @autoclosure () -> String,
                   sourceLocation: SourceLocation = #_sourceLocation) {
            compared += 1
            if mine == theirs { equal += 1 } else {
                Issue.record("\(what()): wardwatch \(mine ?? "nil"), expected \(theirs ?? "nil")", sourceLocation: sourceLocation)
            }
        }
        var percent: Double { compared == 0 ? 100 : Double(equal) * 100 / Double(compared) }
    }

    static func files(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Paths.sample(directory).path)
            .filter { $0.hasSuffix(".log") }.sorted().map { "\(directory)/\($0)" }
    }

    static func matches(_ pattern: String, _ text: String) -> [[String?]] {
        let regex = try! NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
            (0..<m.numberOfRanges).map { m.range(at: $0).location == NSNotFound ? nil : ns.substring(with: m.range(at: $0)) }
        }
    }

    static func first(_ pattern: String, _ text: String) -> [String?]? { matches(pattern, text).first }

    // MARK: - Juniper SRX

    /// `key="value"` pairs of a `[junos@…]` element, read with a regular expression (ASCII or
    /// typographic quotes, as the samples hold both).
    static func junosPairs(_ line: String) -> [(String, String)] {
        guard let open = line.range(of: "[junos@") else { return [] }
        var element = String(line[open.upperBound...])
        for close in ["\"]", "”]"] {
            if let r = element.range(of: close) { element = String(element[..<r.upperBound]) }
        }
        return matches(#" ([a-z0-9-]+)=["”]((?:[^"”\\]|\\.)*)["”]"#, element).map { ($0[1]!, $0[2]!) }
    }

    static let noValue: Set<String> = ["N/A", "None", "UNKNOWN", "unknown-user", ""]

    /// What a Junos event name or action says, in wardwatch's vocabulary (the SRX documentation's
    /// action words: `PERMIT`, `BLOCK`, `DROP`, `drop`, …).
    static func juniperAction(name: String?, action: String?) -> String {
        switch action?.lowercased() {
        case "drop", "dropped": return "drop"
        case "block", "blocked", "deny", "reject": return "deny"
        case "permit", "accept", "allow": return "allow"
        default: break
        }
        let name = name ?? ""
        if name.contains("_CREATE") { return "allow" }
        if name.contains("_CLOSE") { return "close" }
        if name.contains("_DENY") || name.contains("_BLOCKED") { return "deny" }
        if name.contains("_PERMITTED") { return "allow" }
        if name.contains("_DROP") { return "drop" }
        return "other"
    }

    @Test func everyJuniperLineCarriesWhatItStates() throws {
        let tally = Tally()
        var juniperLines = 0, otherLines = 0
        for file in try Self.files(Self.juniper) {
            for line in try FirewallTests.lines(file) where !line.isEmpty {
                let e = FirewallTests.event(line)
                let f = e.fields
                let pairs = Self.junosPairs(line)
                if !pairs.isEmpty {
                    juniperLines += 1
                    tally.check(e.dataset, "firewall.juniper_srx", "dataset of \(line)")
                    var values: [String: String] = [:]
                    for (key, value) in pairs {
                        values[key] = value
                        tally.check(f["juniper.\(key)"], value, "juniper.\(key) in \(line)")
                    }
                    func visible(_ keys: String...) -> String? {
                        keys.lazy.compactMap { values[$0] }.first.flatMap { Self.noValue.contains($0) ? nil : $0 }
                    }
                    tally.check(f["source.ip"], visible("source-address", "client-ip", "local-address"), "source.ip in \(line)")
                    tally.check(f["destination.ip"], visible("destination-address", "remote-address"), "destination.ip in \(line)")
                    tally.check(f["source.port"], visible("source-port"), "source.port in \(line)")
                    tally.check(f["destination.port"], visible("destination-port"), "destination.port in \(line)")
                    tally.check(f["source.nat.ip"], visible("nat-source-address"), "source.nat.ip in \(line)")
                    tally.check(f["destination.nat.port"], visible("nat-destination-port"), "destination.nat.port in \(line)")
                    tally.check(f["user.name"], visible("username"), "user.name in \(line)")
                    tally.check(f["rule.name"], visible("policy-name"), "rule.name in \(line)")
                    tally.check(f["source.bytes"], visible("bytes-from-client"), "source.bytes in \(line)")
                    // The event name: the RFC 5424 MSGID, the word before the bracket.
                    let name = Self.first(#"([A-Z][A-Z0-9_]{2,}) \[junos@"#, line)?[1]
                    tally.check(f["event.code"], name, "event.code in \(line)")
                    tally.check(f["event.action"], Self.juniperAction(name: name, action: values["action"]), "event.action in \(line)")
                    tally.check(f["observer.vendor"], "Juniper", "observer.vendor in \(line)")
                } else if let fw = Self.first(#"FW: (\S+) ([ADR]) (\S+) (\S+) (\S+) (\d+) (\d+)"#, line) {
                    juniperLines += 1
                    tally.check(e.dataset, "firewall.juniper_srx", "dataset of \(line)")
                    tally.check(f["observer.ingress.interface.name"], fw[1], "interface in \(line)")
                    tally.check(f["event.action"], fw[2] == "A" ? "allow" : fw[2] == "D" ? "drop" : "deny", "action in \(line)")
                    tally.check(f["network.transport"], fw[3], "transport in \(line)")
                    tally.check(f["source.ip"], fw[4], "source.ip in \(line)")
                    tally.check(f["destination.ip"], fw[5], "destination.ip in \(line)")
                    tally.check(f["source.port"], fw[6], "source.port in \(line)")
                    tally.check(f["destination.port"], fw[7], "destination.port in \(line)")
                    tally.check(f["event.code"], Self.first(#"([A-Z][A-Z0-9_]{2,}): FW:"#, line)?[1], "event.code in \(line)")
                } else {
                    // Daemon messages without a Junos marker (kmd, mib2d, dpdk, …) stay syslog events.
                    otherLines += 1
                    #expect(e.dataset.hasPrefix("syslog."), "\(line)")
                }
            }
        }
        #expect(juniperLines == 76 && otherLines == 16, "\(juniperLines) Juniper lines, \(otherLines) others")
        print(String(format: "Juniper SRX: %d of %d fields as the lines state (%.2f %%)", tally.equal, tally.compared, tally.percent))
        #expect(tally.percent >= 98)
    }

    /// The BSD (RFC 3164) variants: structured data after the tag, pairs without brackets, and the
    /// free-text `RT_FLOW`, IDP, UTM and screen messages of the SRX log reference.
    @Test func juniperBSDVariants() {
        let sd = FirewallTests.event(#"<14>Nov 22 08:01:02 srx-edge RT_FLOW: RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.40 source-address="203.0.113.9" source-port="4444" destination-address="10.1.2.3" destination-port="104" service-name="None" protocol-id="6" icmp-type="0" policy-name="deny-dicom" source-zone-name="untrust" destination-zone-name="pacs" application="UNKNOWN" nested-application="UNKNOWN" username="N/A" roles="N/A" packet-incoming-interface="ge-0/0/1.0" encrypted="No" reason="Denied by policy"]"#)
        #expect(sd.dataset == "firewall.juniper_srx")
        #expect(sd.fields["source.ip"] == "203.0.113.9" && sd.fields["destination.port"] == "104" && sd.fields["event.action"] == "deny")
        #expect(sd.fields["network.transport"] == "tcp" && sd.fields["rule.name"] == "deny-dicom" && sd.fields["user.name"] == nil)
        #expect(sd.fields["event.code"] == "RT_FLOW_SESSION_DENY" && sd.fields["host.hostname"] == "srx-edge")

        let created = FirewallTests.event("<14>Nov 22 08:01:02 srx-edge RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.20.1.15/51234->203.0.113.50/443 0x0 junos-https 198.51.100.7/41234->203.0.113.50/443 0x0 source rule r1 N/A N/A 6 trust-to-untrust trust untrust 4211 jmiller(clinicians) ge-0/0/1.0 SSL UNKNOWN UNKNOWN")
        #expect(created.dataset == "firewall.juniper_srx")
        let c = created.fields
        #expect(c["source.ip"] == "10.20.1.15" && c["source.port"] == "51234" && c["destination.ip"] == "203.0.113.50")
        #expect(c["source.nat.ip"] == "198.51.100.7" && c["source.nat.port"] == "41234" && c["network.transport"] == "tcp")
        #expect(c["rule.name"] == "trust-to-untrust" && c["user.name"] == "jmiller" && c["event.action"] == "allow")
        #expect(c["observer.ingress.interface.name"] == "ge-0/0/1.0" && c["juniper.service-name"] == "junos-https")

        let closed = FirewallTests.event("<14>Nov 22 08:02:02 srx-edge RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: 10.20.1.15/51234->203.0.113.50/443 0x0 junos-https 198.51.100.7/41234->203.0.113.50/443 0x0 source rule r1 N/A N/A 6 trust-to-untrust trust untrust 4211 12(3401) 10(88210) 60 SSL UNKNOWN N/A(N/A) ge-0/0/1.0 UNKNOWN")
        let d = closed.fields
        #expect(d["event.action"] == "close" && d["event.reason"] == "TCP FIN" && d["source.bytes"] == "3401" && d["destination.bytes"] == "88210")
        #expect(d["user.name"] == nil && d["rule.name"] == "trust-to-untrust" && d["observer.ingress.interface.name"] == "ge-0/0/1.0")

        let denied = FirewallTests.event("<14>Nov 22 08:03:02 srx-edge RT_FLOW: RT_FLOW_SESSION_DENY: session denied 203.0.113.9/4444->10.1.2.3/104 None 6(0) deny-dicom untrust pacs UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 No Denied by policy")
        #expect(denied.fields["source.ip"] == "203.0.113.9" && denied.fields["destination.port"] == "104" && denied.fields["network.transport"] == "tcp")
        #expect(denied.fields["event.action"] == "deny" && denied.fields["rule.name"] == "deny-dicom")

        let screen = FirewallTests.event("<11>Nov 22 08:04:02 srx-edge RT_IDS: RT_SCREEN_TCP: SYN flood! source: 203.0.113.9:40001, destination: 10.1.2.3:104, zone name: untrust, interface name: ge-0/0/0.0, action: drop.")
        #expect(screen.dataset == "firewall.juniper_srx" && screen.fields["event.action"] == "drop")
        #expect(screen.fields["source.ip"] == "203.0.113.9" && screen.fields["destination.port"] == "104")

        let utm = FirewallTests.event(#"<12>Nov 22 08:05:02 srx-edge RT_UTM: WEBFILTER_URL_BLOCKED: WebFilter: ACTION="URL Blocked" 10.20.1.15(58071)->203.0.113.80(80) CATEGORY="cat1" REASON="BY_BLACK_LIST" PROFILE="uf1" URL=www.example.org OBJ=/ username jmiller roles N/A"#)
        #expect(utm.fields["source.ip"] == "10.20.1.15" && utm.fields["source.port"] == "58071" && utm.fields["destination.port"] == "80")
        #expect(utm.fields["event.action"] == "deny" && utm.fields["user.name"] == "jmiller")

        let idp = FirewallTests.event("<165>Nov 22 08:06:02 srx-edge RT_IDP: IDP_ATTACK_LOG_EVENT: IDP: at 1583190783, SIG Attack log <203.0.113.9/12345->10.1.2.3/80> for TCP protocol and service SERVICE_IDP application HTTP by rule 3 of rulebase IPS in policy Recommended. attack: id=20175, repeat=0, action=DROP, threat-severity=HIGH, name=HTTP:MISC:GENERIC-DIR-TRAVERSAL")
        #expect(idp.fields["source.ip"] == "203.0.113.9" && idp.fields["destination.port"] == "80" && idp.fields["event.action"] == "drop")
        #expect(idp.fields["network.transport"] == "tcp" && idp.fields["event.code"] == "IDP_ATTACK_LOG_EVENT")

        let pairs = FirewallTests.event(#"<14>Nov 22 08:07:02 srx-edge RT_FLOW: RT_FLOW_SESSION_CREATE source-address="10.20.1.15" source-port="51234" destination-address="203.0.113.50" destination-port="443" protocol-id="6" policy-name="p1""#)
        #expect(pairs.dataset == "firewall.juniper_srx" && pairs.fields["source.ip"] == "10.20.1.15" && pairs.fields["rule.name"] == "p1")
    }

    // MARK: - Check Point

    /// `key:"value"` pairs of a Check Point line (`key::"value"` too), read with a regular expression.
    static func checkPointPairs(_ line: String) -> [String: String] {
        var out: [String: String] = [:]
        for m in matches(#"[\[; ]([A-Za-z_][A-Za-z0-9_]*)::?"((?:[^"\\]|\\.)*)""#, line) where out[m[1]!] == nil {
            out[m[1]!] = m[2]!
        }
        return out
    }

    @Test func everyCheckPointLineCarriesWhatItStates() throws {
        let tally = Tally()
        var count = 0
        let iana = ["1": "icmp", "6": "tcp", "17": "udp", "50": "esp"]
        for file in try Self.files(Self.checkPoint) {
            for line in try FirewallTests.lines(file) where !line.isEmpty {
                count += 1
                let e = FirewallTests.event(line)
                let f = e.fields
                let kv = Self.checkPointPairs(line)
                tally.check(e.dataset, "firewall.checkpoint", "dataset of \(line)")
                tally.check(f["host.hostname"], Self.first(#"^<\d+>1 \S+ (\S+) "#, line)?[1], "host.hostname in \(line)")
                for key in ["action", "src", "dst", "origin", "loguid", "product", "ifdir"] where kv[key] != nil {
                    tally.check(f["checkpoint.\(key)"], kv[key], "checkpoint.\(key) in \(line)")
                }
                tally.check(f["source.ip"], kv["src"] ?? kv["client_ip"], "source.ip in \(line)")
                tally.check(f["destination.ip"], kv["dst"], "destination.ip in \(line)")
                tally.check(f["source.port"], kv["s_port"], "source.port in \(line)")
                tally.check(f["destination.port"], kv["service"].flatMap { Int($0) != nil ? $0 : nil }, "destination.port in \(line)")
                tally.check(f["network.transport"], kv["proto"].flatMap { iana[$0] }, "network.transport in \(line)")
                tally.check(f["network.direction"], kv["ifdir"], "network.direction in \(line)")
                let user = (kv["user"] ?? kv["src_user_name"] ?? kv["administrator"])?.trimmingCharacters(in: .whitespaces)
                tally.check(f["user.name"], user, "user.name in \(line)")
                tally.check(f["rule.name"], kv["rule_name"], "rule.name in \(line)")
                let action: String? = switch kv["action"] {
                case "Accept": "allow"
                case "Drop": "drop"
                case "Reject": "deny"
                case nil: nil
                default: "other"
                }
                tally.check(f["event.action"], action, "event.action in \(line)")
                if let status = kv["audit_status"] { tally.check(f["event.outcome"], status.lowercased(), "event.outcome in \(line)") }
                let interface = kv["ifdir"] == "inbound" ? "observer.ingress.interface.name" : "observer.egress.interface.name"
                if kv["ifdir"] != nil { tally.check(f[interface], kv["ifname"], "\(interface) in \(line)") }
                tally.check(f["observer.vendor"], "Checkpoint", "observer.vendor in \(line)")
            }
        }
        #expect(count == 52)
        print(String(format: "Check Point: %d of %d fields as the lines state (%.2f %%)", tally.equal, tally.compared, tally.percent))
        #expect(tally.percent >= 98)
    }

    /// Elastic's documents for the CME alerts: every field both state is equal.
    @Test func checkPointMatchesElasticsExpectedDocuments() throws {
        let tally = Tally()
        try Self.compareWithElastic("\(Self.checkPoint)/test-checkpoint-cme.log", tally: tally, namespace: ("checkpoint.", "checkpoint."))
        print(String(format: "Check Point (Elastic's expected documents): %d of %d fields equal (%.2f %%)", tally.equal, tally.compared, tally.percent))
        #expect(tally.compared >= 18 && tally.percent >= 98)
    }

    // MARK: - Cisco FTD/ASA authentication and VPN

    @Test func ciscoFTDMatchesElasticsExpectedDocuments() throws {
        let tally = Tally()
        for file in try Self.files(Self.ftd) where FileManager.default.fileExists(atPath: Paths.sample(file + "-expected.json").path) {
            try Self.compareWithElastic(file, tally: tally, namespace: ("cisco.ftd.", "cisco."))
        }
        print(String(format: "Cisco FTD (Elastic's expected documents): %d of %d fields equal (%.2f %%)", tally.equal, tally.compared, tally.percent))
        #expect(tally.compared >= 40 && tally.percent >= 98)
        // The messages of the issue, with what they state.
        let session = FirewallTests.event("<164>Feb 19 2024 16:29:38: %FTD-4-113019: Group = VPN, Username = abcd, IP = 10.0.100.30, Session disconnected. Session Type: SSL, Duration: 1h:24m:30s, Bytes xmt: 25292048, Bytes rcv: 12546398, Reason: User Requested").fields
        #expect(session["user.name"] == "abcd" && session["destination.ip"] == "10.0.100.30" && session["event.action"] == "close", "\(session)")
        let cases: [(String, [String: String])] = [
            ("%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.5 : user = jmiller : user IP = 198.51.100.23",
             ["user.name": "jmiller", "source.ip": "198.51.100.23", "destination.ip": "10.0.0.5", "event.reason": "AAA failure",
              "event.action": "deny", "event.outcome": "failure"]),
            ("%ASA-6-113004: AAA user authentication Successful : server = 10.0.0.5 : user = jmiller",
             ["user.name": "jmiller", "destination.ip": "10.0.0.5", "event.action": "allow", "event.outcome": "success"]),
            ("%ASA-6-113012: AAA user authentication Successful : local database : user = admin", ["user.name": "admin"]),
            ("%ASA-6-113008: AAA transaction status ACCEPT : user = akhan", ["user.name": "akhan", "event.outcome": "success"]),
            ("%ASA-6-113009: AAA retrieved default group policy (DfltGrpPolicy) for user = akhan", ["user.name": "akhan"]),
            ("%ASA-2-113021: Attempted console login failed. User jmiller did NOT have appropriate Admin Rights.",
             ["user.name": "jmiller", "event.action": "deny"]),
            ("%ASA-6-716001: Group <Clinicians> User <akhan> IP <198.51.100.23> WebVPN session started.",
             ["user.name": "akhan", "source.ip": "198.51.100.23", "cisco.group": "Clinicians", "event.action": "allow"]),
            ("%ASA-6-716002: Group <Clinicians> User <akhan> IP <198.51.100.23> WebVPN session terminated: User requested.",
             ["user.name": "akhan", "source.ip": "198.51.100.23", "event.action": "close"]),
            ("%ASA-4-716039: Group <Clinicians> User <akhan> IP <198.51.100.23> Authentication: rejected, Session Type: WebVPN.",
             ["user.name": "akhan", "source.ip": "198.51.100.23", "event.action": "deny"]),
            ("%ASA-4-722037: Group <Clinicians> User <akhan> IP <198.51.100.23> SVC closing connection: DPD failure.",
             ["user.name": "akhan", "source.ip": "198.51.100.23"]),
            ("%ASA-6-734001: DAP: User akhan, Addr 198.51.100.23, Connection AnyConnect: The following DAP records were selected for this connection: DfltAccessPolicy",
             ["user.name": "akhan", "source.ip": "198.51.100.23", "event.action": "allow"]),
            ("%FTD-auth-6-113039: Group <GroupPolicy_XXX> User <MacBook Pro belonging to bob> IP <10.10.4.100> AnyConnect parent session started.",
             ["user.name": "MacBook Pro belonging to bob", "source.ip": "10.10.4.100", "cisco.suffix": "auth", "event.code": "113039"]),
        ]
        for (line, wanted) in cases {
            let e = FirewallTests.event(line)
            #expect(e.dataset.hasPrefix("firewall.cisco_"), "\(line)")
            for (field, value) in wanted { #expect(e.fields[field] == value, "\(field) in \(line)") }
        }
    }

    // MARK: - Robustness and recognition

    /// A vendor line cut anywhere, or with bytes garbled, still becomes an event holding its bytes.
    @Test func truncatedAndGarbledVendorLinesNeverCrashOrVanish() throws {
        var samples: [String] = []
        for directory in [Self.juniper, Self.checkPoint] {
            for file in try Self.files(directory) { samples += try FirewallTests.lines(file).prefix(4) }
        }
        samples += ["<14>Nov 22 08:01:02 srx-edge RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: 10.20.1.15/51234->203.0.113.50/443 0x0 junos-https 198.51.100.7/41234->203.0.113.50/443 0x0 source rule r1 N/A N/A 6 p trust untrust 4211 12(3401) 10(88210) 60 SSL UNKNOWN N/A(N/A) ge-0/0/1.0",
                    "<164>Feb 19 2024 16:29:38: %FTD-4-113019: Group = VPN, Username = abcd, IP = 10.0.100.30, Session disconnected. Session Type: SSL, Duration: 1h:24m:30s, Bytes xmt: 25292048, Bytes rcv: 12546398, Reason: User Requested",
                    "%FTD-auth-6-113039: Group <G> User <a b> IP <10.10.4.100> AnyConnect parent session started.",
                    "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.5 : user = j : user IP = 1.2.3.4",
                    "<134>Nov 22 08:01:02 gw CheckPoint[1]: time=1585490000|loguid={0x1}|origin=10.0.0.1|action=Drop|src=10.1.1.1|dst=10.2.2.2|proto=6|service=443"]
        var events = 0
        var generator = SystemRandomNumberGenerator()
        for sample in samples {
            let bytes = Array(sample.utf8)
            for cut in stride(from: 0, through: bytes.count, by: max(1, bytes.count / 30)) {
                var variants = [Array(bytes[0..<cut])]
                // The same prefix with a quote, bracket, '=' or ':' dropped in at random.
                var garbled = variants[0]
                if !garbled.isEmpty {
                    let noise: [UInt8] = [0x22, 0x5B, 0x5D, 0x3D, 0x3A, 0x3C, 0x3E, 0x28, 0x29, 0xE2]
                    for _ in 0..<3 { garbled[Int.random(in: 0..<garbled.count, using: &generator)] = noise.randomElement(using: &generator)! }
                    variants.append(garbled)
                }
                for variant in variants {
                    let e = parse(variant, .detected, options: ParseOptions(year: 2026)).event
                    #expect(e.line == variant)
                    events += 1
                }
            }
        }
        #expect(events > 1000)
    }

    /// Each vendor's lines are its own dataset, never another vendor's or the generic `key=value` one.
    @Test func vendorsAreNotTakenForEachOther() throws {
        for file in try Self.files(Self.juniper) {
            for line in try FirewallTests.lines(file) where line.contains("[junos@") {
                #expect(FirewallTests.event(line).dataset == "firewall.juniper_srx", "\(line)")
            }
        }
        for file in try Self.files(Self.checkPoint) {
            for line in try FirewallTests.lines(file) where !line.isEmpty {
                #expect(FirewallTests.event(line).dataset == "firewall.checkpoint", "\(line)")
            }
        }
        // Without brackets, a Junos pair list is still Juniper, not `firewall.kv`.
        let pairs = FirewallTests.event(#"<14>Nov 22 08:07:02 srx-edge RT_FLOW: RT_FLOW_SESSION_CLOSE source-address="10.20.1.15" destination-address="203.0.113.50" reason="idle Timeout""#)
        #expect(pairs.dataset == "firewall.juniper_srx")
        // Check Point's Splunk-style export (pairs separated by '|').
        let splunk = FirewallTests.event("<134>Nov 22 08:01:02 gw CheckPoint[1]: time=1585490000|loguid={0x1}|origin=10.0.0.1|action=Drop|src=10.1.1.1|dst=10.2.2.2|proto=6|service=443|s_port=5000")
        #expect(splunk.dataset == "firewall.checkpoint" && splunk.fields["source.ip"] == "10.1.1.1" && splunk.fields["event.action"] == "drop")
        #expect(splunk.fields["destination.port"] == "443" && splunk.fields["network.transport"] == "tcp")
        #expect(splunk.timestamp == 1_585_490_000_000_000_000)
        // Other vendors' lines keep their datasets.
        let sonicwall = FirewallTests.event(#"<134>Nov 22 08:09:00 sw01 id=firewall sn=0017C5 time="2026-11-22 08:09:00" fw=198.51.100.1 pri=1 c=32 m=36 msg="TCP packet dropped" n=1 src=203.0.113.9:4444:X1 dst=10.1.2.3:104:X0 proto=tcp/104 fw_action="drop""#)
        #expect(sonicwall.dataset == "firewall.sonicwall")
        let asa = FirewallTests.event("%ASA-6-302014: Teardown TCP connection 51 for outside:203.0.113.9/51234 to inside:10.1.2.3/104 duration 0:00:03 bytes 5821 TCP FINs")
        #expect(asa.dataset == "firewall.cisco_asa")
        // A Junos daemon's structured data outside the events read (the EasyPost vector) stays RFC 5424.
        let mgd = FirewallTests.event(#"<29>1 2018-05-14T08:23:01.520Z leyal_test4 mgd 13894 UI_CHILD_EXITED [junos@2636.1.1.1.2.57 pid="14374" return-value="5"]"#)
        #expect(mgd.dataset == "syslog.rfc5424" && mgd.fields["log.syslog.structured_data.junos@2636.1.1.1.2.57.pid"] == "14374")
        // With an explicit --format, structured data is structured data.
        let strict = parse(Array(#"<14>1 2019-11-14T09:37:51.184+01:00 SRX-GW1 RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40 source-address="10.0.0.1"]"#.utf8),
                           .detected, options: ParseOptions(format: .syslog, year: 2026)).event
        #expect(strict.dataset == "syslog.rfc5424" && strict.fields["log.syslog.structured_data.junos@2636.1.1.1.2.40.source-address"] == "10.0.0.1")
    }

    // MARK: - Elastic's expected documents

    static func flatten(_ object: [String: Any], _ prefix: String = "") -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in object {
            if let nested = v as? [String: Any] { out.merge(flatten(nested, prefix + k + "."), uniquingKeysWith: { a, _ in a }) }
            else if let s = v as? String { out[prefix + k] = s }
            else if let n = v as? NSNumber { out[prefix + k] = n.stringValue }
        }
        return out
    }

    /// Fields Elastic's pipelines derive in ways wardwatch deliberately does not follow.
    /// - `event.action`: Elastic names the message (`firewall-rule`, `client-vpn-connected`); wardwatch
    ///   writes the allow/deny/drop/reset/close/other vocabulary its detection rules use.
    /// - `event.outcome`: same reason; both are compared in the line-level tests above instead.
    static let deliberatelyDifferent: Set<String> = ["event.action", "event.outcome"]

    /// Per line, fields whose difference is deliberate:
    /// - `observer.product` of `%ASA-` lines in the FTD package: Elastic names the integration's product
    ///   (`ftd`); wardwatch names the one the message prefix states (`asa`).
    /// - `@timestamp` of FTD 430002/430003: Elastic takes `FirstPacketSecond`; wardwatch keeps the
    ///   syslog header's time (when the event was logged), as for every other message.
    static func deliberate(_ field: String, _ line: String) -> Bool {
        if deliberatelyDifferent.contains(field) { return true }
        if field == "observer.product", line.contains("%ASA-") { return true }
        if field == "@timestamp", line.contains("-43000") { return true }
        return false
    }

    /// Compares every field wardwatch writes with Elastic's value for it, where Elastic states one.
    /// `namespace` maps Elastic's vendor prefix to wardwatch's (`cisco.ftd.` → `cisco.`).
    static func compareWithElastic(_ log: String, tally: Tally, namespace: (String, String)) throws {
        let lines = try String(contentsOf: Paths.sample(log), encoding: .utf8).split(separator: "\n").map(String.init)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Paths.sample(log + "-expected.json"))) as! [String: Any]
        let documents = json["expected"] as! [[String: Any]]
        for (line, document) in zip(lines, documents) {
            let e = FirewallTests.event(line)
            let theirs = flatten(document)
            for (field, mine) in e.fields where !deliberate(field, line) {
                let name = field.hasPrefix(namespace.1) ? namespace.0 + field.dropFirst(namespace.1.count) : field
                guard let expected = theirs[name] else { continue }
                tally.check(mine, expected, "\(field) in \(line)")
            }
            if let stamp = theirs["@timestamp"], let ours = e.timestamp, !deliberate("@timestamp", line) {
                tally.check(TimestampFormat.rfc3339(ours).prefix(19).description, String(stamp.prefix(19)), "@timestamp in \(line)")
            }
        }
    }
}
