import Foundation
import Testing
import WardCore
import WardParse
import WardTestSupport

/// The firewall samples, whole: Elastic's integration test logs (and its ASA oracle), the CEF and
/// netfilter vectors, and the Cisco ASA/PIX cases of OSSEC and Wazuh.
@Suite(.needsShared) struct FirewallTests {
    static let elastic = "elastic_integrations/packages"

    static func lines(_ relative: String) throws -> [String] {
        try String(contentsOf: Paths.sample(relative), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    static func event(_ line: String, year: Int = 2026) -> ReadEvent {
        parse(Array(line.utf8), .detected, options: ParseOptions(year: year)).event
    }

    /// The value of `KEY=` in a netfilter line (first occurrence, before any '[').
    static func netfilterValue(_ line: String, _ key: String) -> String? {
        let outer = line.split(separator: "[", maxSplits: 1).count > 1 && line.contains(" [SRC=")
            ? String(line[..<line.range(of: " [SRC=")!.lowerBound]) : line
        guard let r = outer.range(of: " \(key)=") ?? (outer.hasPrefix("\(key)=") ? outer.range(of: "\(key)=") : nil)
            ?? outer.range(of: "]\(key)=") else { return nil }
        return String(outer[r.upperBound...].prefix { $0 != " " })
    }

    @Test func everyIptablesLineIsNetfilterWithTheValuesItStates() throws {
        let lines = try Self.lines("\(Self.elastic)/iptables/data_stream/log/_dev/test/pipeline/test-iptables-raw.log")
        #expect(lines.count == 24)
        for line in lines {
            let e = Self.event(line)
            #expect(e.dataset == "firewall.netfilter", "\(line)")
            let f = e.fields
            #expect(f["source.ip"] == Self.netfilterValue(line, "SRC"), "\(line)")
            #expect(f["destination.ip"] == Self.netfilterValue(line, "DST"), "\(line)")
            #expect(f["source.port"] == Self.netfilterValue(line, "SPT"), "\(line)")
            #expect(f["destination.port"] == Self.netfilterValue(line, "DPT"), "\(line)")
            #expect(f["network.transport"] == Self.netfilterValue(line, "PROTO")?.lowercased(), "\(line)")
            let input = Self.netfilterValue(line, "IN")
            #expect(f["observer.ingress.interface.name"] == (input?.isEmpty == false ? input : nil), "\(line)")
            #expect(f["observer.vendor"] == "netfilter")
        }
        let ubiquiti = Self.event(lines[0]).fields
        #expect(ubiquiti["rule.name"] == "wan-lan-default-D")
        #expect(ubiquiti["event.action"] == "drop")
        let icmpError = try #require(lines.first { $0.contains(" [SRC=") })
        let outer = Self.event(icmpError).fields
        #expect(outer["source.ip"] == "192.168.2.71" && outer["destination.ip"] == "192.168.2.83")  // not the quoted packet's
        #expect(outer["rule.name"] == "DENY" && outer["event.action"] == "deny")
    }

    @Test func everyFilterlogLineIsPfSenseWithItsCSVFields() throws {
        let lines = try Self.lines("\(Self.elastic)/pfsense/data_stream/log/_dev/test/pipeline/test-pfsense-bsd.log")
        #expect(lines.count == 19)
        for line in lines {
            let e = Self.event(line)
            #expect(e.dataset == "firewall.filterlog", "\(line)")
            let csv = line.components(separatedBy: "filterlog[72237]: ")[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let f = e.fields
            #expect(f["pfsense.action"] == csv[6])
            #expect(f["event.action"] == (csv[6] == "pass" ? "allow" : csv[6] == "block" ? "deny" : "other"), "\(line)")
            #expect(f["network.direction"] == (csv[7] == "in" ? "inbound" : "outbound"))
            #expect(f["pfsense.interface"] == csv[4])
            let (proto, src, dst, next) = csv[8] == "4" ? (csv[16], csv[18], csv[19], 20) : (csv[12], csv[15], csv[16], 17)
            #expect(f["source.ip"] == src && f["destination.ip"] == dst, "\(line)")
            #expect(f["network.transport"] == proto.lowercased(), "\(line)")
            if ["tcp", "udp"].contains(proto.lowercased()) {
                #expect(f["source.port"] == csv[next] && f["destination.port"] == csv[next + 1], "\(line)")
            } else {
                #expect(f["source.port"] == nil)
            }
        }
    }

    @Test func everyFortiGateLineIsFortinetWithItsKeys() throws {
        let lines = try Self.lines("\(Self.elastic)/fortinet_fortigate/data_stream/log/_dev/test/pipeline/test-fortinet-7-6.log")
        #expect(lines.count == 12)
        for line in lines {
            let e = Self.event(line)
            #expect(e.dataset == "firewall.fortigate", "\(line)")
            #expect(e.fields["observer.vendor"] == "Fortinet")
            #expect(e.fields["host.hostname"] == "192.168.2.1")
            for key in ["srcip", "dstip", "user", "logid", "action"] {
                guard let r = line.range(of: " \(key)=") else { continue }
                var value = String(line[r.upperBound...])
                value = value.hasPrefix("\"") ? String(value.dropFirst().prefix { $0 != "\"" }) : String(value.prefix { $0 != " " })
                #expect(e.fields["fortinet.\(key)"] == value, "\(key) in \(line)")
            }
            #expect(e.fields["source.ip"] == e.fields["fortinet.srcip"])
            #expect(e.fields["destination.ip"] == e.fields["fortinet.dstip"])
            #expect(e.fields["user.name"] == e.fields["fortinet.user"])
            #expect(e.fields["event.code"] == e.fields["fortinet.logid"])
        }
        // eventtime (nanoseconds) is the event's time, not the relay's header.
        #expect(Self.event(lines[0]).timestamp == 1_775_176_270_239_669_800)
    }

    /// Elastic's ASA oracle: every ECS field we produce that Elastic states must equal its value.
    /// (`event.action` is the exception by design: Elastic writes `flow-creation`, wardwatch the
    /// allow/deny/drop/reset/close/other vocabulary the detection rules use.)
    @Test(.needsShared) func ciscoASAMatchesElasticsExpectedDocuments() throws {
        let base = "\(Self.elastic)/cisco_asa/data_stream/log/_dev/test/pipeline/test-302020-direction.log"
        let lines = try Self.lines(base)
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Paths.sample(base + "-expected.json"))) as! [String: Any]
        let documents = expected["expected"] as! [[String: Any]]
        let flatten = { FirewallVendorTests.flatten($0) }
        let compared = ["source.ip", "destination.ip", "source.nat.ip", "destination.nat.ip", "network.direction", "event.code",
                        "observer.product", "observer.vendor", "host.hostname", "event.outcome", "cisco.asa.mapped_destination_ip",
                        "cisco.asa.mapped_source_ip"]
        for (line, document) in zip(lines, documents) {
            let ours = Self.event(line).fields
            let theirs = flatten(document)
            #expect(Self.event(line).dataset == "firewall.cisco_asa")
            for field in compared {
                let mine = ours[field.replacingOccurrences(of: "cisco.asa.", with: "cisco.")]
                #expect(mine == theirs[field], "\(field) in \(line)")
            }
        }
    }

    /// OSSEC's and Wazuh's ASA/PIX cases: every line is Cisco, with its message id.
    @Test func everyOSSECAndWazuhASALineIsRecognised() throws {
        var count = 0
        for file in ["wazuh_ruleset/tools/rules-testing/tests/cisco_asa.ini", "ossec_hids/contrib/ossec-testing/tests/pix.ini"] {
            for line in try Self.lines(file) where line.hasPrefix("log ") {
                let text = String(line[line.range(of: " = ")!.upperBound...])
                let e = Self.event(text)
                let code = String(text.split(separator: "-")[2].prefix { $0.isNumber })
                #expect(e.dataset == "firewall.cisco_asa", "\(text)")
                #expect(e.fields["event.code"] == code, "\(text)")
                count += 1
            }
        }
        #expect(count == 92)
        // What the messages state, for the IDs the issue lists.
        let cases: [(String, [String: String])] = [
            ("%ASA-2-106001: Inbound TCP connection denied from 111.93.241.59/54322 to 116.6.127.122/1433 flags SYN on interface outside",
             ["source.ip": "111.93.241.59", "source.port": "54322", "destination.ip": "116.6.127.122", "destination.port": "1433",
              "network.transport": "tcp", "network.direction": "inbound", "event.action": "deny", "observer.ingress.interface.name": "outside"]),
            ("%ASA-2-106006: Deny inbound UDP from 185.158.113.158/53306 to 116.6.127.123/53413 on interface outside",
             ["source.ip": "185.158.113.158", "destination.port": "53413", "network.transport": "udp", "event.action": "deny"]),
            ("%ASA-3-106014: Deny inbound icmp src outside:151.80.47.231 dst outside:116.6.127.112 (type 3, code 2)",
             ["source.ip": "151.80.47.231", "destination.ip": "116.6.127.112", "network.transport": "icmp", "observer.ingress.interface.name": "outside"]),
            ("%ASA-3-710003: TCP access denied by ACL from 192.168.0.1/11 to outside:192.168.0.2/22",
             ["source.ip": "192.168.0.1", "destination.ip": "192.168.0.2", "destination.port": "22", "event.action": "deny"]),
            ("%%ASA-6-605004: Login denied from 198.18.1.100/56332 to outside:198.18.1.254/ssh for user \"*****\"",
             ["source.ip": "198.18.1.100", "destination.ip": "198.18.1.254", "user.name": "*****", "event.action": "deny"]),
            ("%%PIX-6-605005: Login permitted from 192.168.1.2/2953 to inside:192.168.1.1/telnet for user \"\"",
             ["source.ip": "192.168.1.2", "event.action": "allow"]),
            ("%ASA-4-106023: Deny tcp src outside:203.0.113.9/4444 dst inside:10.1.2.3/104 by access-group \"OUTSIDE_IN\" [0x0, 0x0]",
             ["source.ip": "203.0.113.9", "source.port": "4444", "destination.ip": "10.1.2.3", "destination.port": "104", "rule.name": "OUTSIDE_IN"]),
            ("%ASA-6-106100: access-list OUTSIDE_IN denied tcp outside/203.0.113.9(4444) -> inside/10.1.2.3(2575) hit-cnt 1 first hit [0x1, 0x0]",
             ["source.ip": "203.0.113.9", "destination.port": "2575", "rule.name": "OUTSIDE_IN", "event.action": "deny",
              "observer.ingress.interface.name": "outside", "observer.egress.interface.name": "inside"]),
            ("%ASA-6-302013: Built inbound TCP connection 51 for outside:203.0.113.9/51234 (203.0.113.9/51234) to inside:10.1.2.3/104 (198.51.100.7/104)",
             ["source.ip": "203.0.113.9", "destination.ip": "10.1.2.3", "destination.nat.ip": "198.51.100.7", "event.action": "allow"]),
            ("%ASA-6-302014: Teardown TCP connection 51 for outside:203.0.113.9/51234 to inside:10.1.2.3/104 duration 0:00:03 bytes 5821 TCP FINs",
             ["source.ip": "203.0.113.9", "event.action": "close", "cisco.bytes": "5821"]),
            ("%ASA-6-113004: AAA user authentication Successful : server = 10.0.0.5 : user = jmiller",
             ["user.name": "jmiller", "event.action": "allow"]),
            ("%ASA-4-722051: Group <VPN-Clinicians> User <akhan> IP <198.51.100.23> IPv4 Address <10.9.0.12> assigned to session",
             ["user.name": "akhan", "source.ip": "198.51.100.23"]),
            // Configuration commands: who ran them, and from where (the word IP is not an address).
            ("%ASA-5-111010: User 'admin', running 'CLI' from IP 10.30.250.10, executed 'write memory'",
             ["user.name": "admin", "source.ip": "10.30.250.10", "event.code": "111010"]),
            ("%ASA-5-111008: User 'netops' executed the 'access-list OUTSIDE_IN permit tcp any any eq 3389' command.",
             ["user.name": "netops", "event.code": "111008"]),
            ("%FTD-1-430003: DeviceUUID: 0f, AccessControlRuleAction: Block, SrcIP: 203.0.113.9, DstIP: 10.1.2.3, SrcPort: 4444, DstPort: 104, Protocol: tcp, IngressInterface: outside, EgressInterface: inside, AccessControlRuleName: Block-DICOM",
             ["source.ip": "203.0.113.9", "destination.port": "104", "event.action": "deny", "rule.name": "Block-DICOM", "observer.product": "ftd"]),
        ]
        for (line, wanted) in cases {
            let e = Self.event(line)
            for (field, value) in wanted { #expect(e.fields[field] == value, "\(field) in \(line)") }
        }
        #expect(Self.event(cases.last!.0).dataset == "firewall.cisco_ftd")
    }

    @Test(.needsShared) func cefVectorsGiveTheirKeys() throws {
        let rows = try readJSONLines(Paths.sample("syslog_vectors/vrl_function_examples.jsonl")).filter { $0["function"] as? String == "parse_cef" }
        #expect(rows.count == 7)
        let header = ["cefVersion": "version", "deviceVendor": "device_vendor", "deviceProduct": "device_product",
                      "deviceVersion": "device_version", "deviceEventClassId": "signature_id", "name": "name", "severity": "severity"]
        for row in rows {
            let e = Self.event(row["input"] as! String)
            #expect(e.dataset == "firewall.cef", "\(row["id"]!)")
            for (key, value) in row["expected"] as! [String: String] {
                let name = header[key] ?? key
                #expect(e.fields["cef.\(name)"] == value, "\(row["id"]!): \(key)")
            }
        }
        let arcsight = Self.event("CEF:0|Security|threatmanager|1.0|100|worm stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 dpt=104 proto=TCP act=blocked suser=jmiller duser=pacs cs1Label=Ward cs1=ICU 3").fields
        #expect(arcsight["source.ip"] == "10.0.0.1" && arcsight["destination.port"] == "104" && arcsight["network.transport"] == "tcp")
        #expect(arcsight["event.action"] == "deny" && arcsight["user.name"] == "jmiller" && arcsight["destination.user.name"] == "pacs")
        #expect(arcsight["cef.Ward"] == "ICU 3" && arcsight["observer.vendor"] == "Security" && arcsight["event.code"] == "100")
        // liblognorm's vectors: values with spaces, escaped '=', escaped header pipes.
        for row in try readJSONLines(Paths.sample("syslog_vectors/liblognorm_field_tests.jsonl")) where (row["id"] as! String).hasPrefix("liblognorm/field_cef") {
            let line = row["line"] as! String
            let e = Self.event(line)
            let expected = (try? JSONSerialization.jsonObject(with: Data((row["expected_json_raw"] as! String).utf8))) as? [String: Any]
            guard let f = expected?["f"] as? [String: Any] else {
                #expect(e.fields["message"] != nil || e.fields["cef.version"] != nil || line.isEmpty, "kept: \(line)")
                continue
            }
            #expect(e.dataset == "firewall.cef", "\(line)")
            #expect(e.fields["cef.device_product"] == f["DeviceProduct"] as? String, "\(line)")
            for (key, value) in f["Extensions"] as? [String: String] ?? [:] {
                #expect(e.fields["cef.\(key)"] == value, "\(key) in \(line)")
            }
        }
    }

    @Test(.needsShared) func netfilterVectorAndFragments() throws {
        let rows = try readJSONLines(Paths.sample("syslog_vectors/liblognorm_field_tests.jsonl")).filter { ($0["id"] as! String).contains("iptables") }
        #expect(rows.count == 14)
        let full = Self.event(rows[0]["line"] as! String)
        #expect(full.dataset == "firewall.netfilter")
        #expect(full.fields["rule.name"] == "iptables output denied" && full.fields["event.action"] == "deny")
        #expect(full.fields["observer.egress.interface.name"] == "eth0" && full.fields["observer.ingress.interface.name"] == nil)
        #expect(full.fields["source.ip"] == "176.9.56.141" && full.fields["destination.port"] == "2010" && full.fields["network.transport"] == "udp")
        // The fragments are not netfilter lines; each is still an event with its text.
        for row in rows.dropFirst() {
            let e = Self.event(row["line"] as! String)
            #expect(e.dataset != "firewall.netfilter", "\(row["line"]!)")
            #expect(e.line == Array((row["line"] as! String).utf8))
        }
    }

    @Test func panosLEEFAndKeyValueLines() {
        // PAN-OS 10 TRAFFIC, from the field list of Palo Alto's syslog documentation.
        let traffic = Self.event(#"<14>Nov 22 08:01:02 pa-fw01 1,2026/11/22 08:01:02,012801000001,TRAFFIC,end,2561,2026/11/22 08:01:02,10.20.1.15,203.0.113.50,198.51.100.7,203.0.113.50,Allow-Imaging-Out,hosp\jmiller,,ssl,vsys1,clinical,untrust,ethernet1/2,ethernet1/1,Log-Forward,,48211,1,51234,443,37001,443,0x400000,tcp,allow,4861,1201,3660,18,2026/11/22 08:00:58,3,any"#)
        #expect(traffic.dataset == "firewall.panos")
        let t = traffic.fields
        #expect(t["source.ip"] == "10.20.1.15" && t["destination.ip"] == "203.0.113.50" && t["source.nat.ip"] == "198.51.100.7")
        #expect(t["rule.name"] == "Allow-Imaging-Out" && t["user.name"] == #"hosp\jmiller"# && t["source.port"] == "51234")
        #expect(t["destination.port"] == "443" && t["network.transport"] == "tcp" && t["event.action"] == "allow")
        #expect(t["source.bytes"] == "1201" && t["destination.bytes"] == "3660" && t["observer.ingress.interface.name"] == "ethernet1/2")
        #expect(t["panw.app"] == "ssl" && t["observer.vendor"] == "Palo Alto Networks")
        let threat = Self.event(#"1,2026/11/22 08:03:00,012801000001,THREAT,vulnerability,2561,2026/11/22 08:03:00,203.0.113.9,10.1.2.3,0.0.0.0,0.0.0.0,Block-DICOM,,,dicom,vsys1,untrust,pacs,ethernet1/1,ethernet1/3,Log-Forward,,9001,1,4444,104,0,0,0x2000,tcp,reset-both,"dicom, probe",31500,any,critical,client-to-server"#)
        #expect(threat.dataset == "firewall.panos")
        #expect(threat.fields["event.action"] == "reset" && threat.fields["panw.misc"] == "dicom, probe" && threat.fields["event.code"] == "31500")
        #expect(threat.fields["source.nat.ip"] == nil)
        let gp = Self.event("1,2026/11/22 08:05:00,012801000001,GLOBALPROTECT,0,2561,2026/11/22 08:05:00,vsys1,gateway-auth,login,LDAP,SSL,akhan,US,LAPTOP-17,198.51.100.23,,10.9.0.12,,host-1,SN1,6.2.0,Windows,10,1,,,,failure")
        #expect(gp.dataset == "firewall.panos" && gp.fields["user.name"] == "akhan" && gp.fields["source.ip"] == "198.51.100.23" && gp.fields["event.outcome"] == "failure")
        let config = Self.event("1,2026/11/22 08:06:00,012801000001,CONFIG,0,2561,2026/11/22 08:06:00,10.0.0.5,vsys1,edit,admin,Web,Succeeded, deviceconfig system")
        #expect(config.fields["user.name"] == "admin" && config.fields["event.outcome"] == "success")
        let system = Self.event("1,2026/11/22 08:07:00,012801000001,SYSTEM,auth,2561,2026/11/22 08:07:00,,auth-fail,admin,0,0,general,medium,failed authentication for user 'admin'")
        #expect(system.dataset == "firewall.panos" && system.fields["event.code"] == "auth-fail" && system.fields["panw.opaque"] == "failed authentication for user 'admin'")

        let leef1 = Self.event("LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.50.1.1\tdst=2.10.20.20\tspt=1200\tusrName=jmiller\tproto=6\taction=blocked")
        #expect(leef1.dataset == "firewall.leef" && leef1.fields["source.ip"] == "10.50.1.1" && leef1.fields["user.name"] == "jmiller")
        #expect(leef1.fields["network.transport"] == "tcp" && leef1.fields["event.action"] == "deny" && leef1.fields["event.code"] == "15345")
        let leef2 = Self.event("<13>Nov 22 08:08:00 qradar LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.1.2.3^dst=203.0.113.9^dstPort=104^srcPort=51000")
        #expect(leef2.dataset == "firewall.leef" && leef2.fields["destination.port"] == "104" && leef2.fields["leef.srcPort"] == "51000")

        let sonicwall = Self.event(#"<134>Nov 22 08:09:00 sw01 id=firewall sn=0017C5 time="2026-11-22 08:09:00" fw=198.51.100.1 pri=1 c=32 m=36 msg="TCP packet dropped" n=1 src=203.0.113.9:4444:X1 dst=10.1.2.3:104:X0 proto=tcp/104 fw_action="drop""#)
        #expect(sonicwall.dataset == "firewall.sonicwall" && sonicwall.fields["event.action"] == "drop" && sonicwall.fields["sonicwall.msg"] == "TCP packet dropped")
        // Ordinary syslog with a key=value or two is not a firewall line.
        let pam = Self.event("Nov 22 08:10:00 ehr-app01 sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 rhost=203.0.113.9 user=root")
        #expect(pam.dataset == "syslog.rfc3164")
    }

    /// ossec's NetScreen and firewalld cases are not among the supported vendors (NetScreen is
    /// end-of-life; firewalld lines are daemon errors, not traffic): they stay syslog events.
    @Test func unsupportedVendorsStaySyslogEvents() throws {
        for file in ["ossec_hids/contrib/ossec-testing/tests/netscreen.ini", "ossec_hids/contrib/ossec-testing/tests/firewalld.ini",
                     "wazuh_ruleset/tools/rules-testing/tests/firewalld.ini"] {
            for line in try Self.lines(file) where line.hasPrefix("log ") {
                let text = String(line[line.range(of: " = ")!.upperBound...])
                let e = Self.event(text, year: 2014)
                #expect(e.dataset.hasPrefix("syslog."), "\(text)")
                #expect(e.line == Array(text.utf8))
            }
        }
    }

    /// A line of a known vendor cut anywhere still becomes an event, with what could be read.
    @Test func truncatedVendorLinesNeverCrashOrVanish() throws {
        var samples = try Self.lines("\(Self.elastic)/iptables/data_stream/log/_dev/test/pipeline/test-iptables-raw.log").prefix(3).map { $0 }
        samples += try Self.lines("\(Self.elastic)/pfsense/data_stream/log/_dev/test/pipeline/test-pfsense-bsd.log").prefix(3)
        samples += try Self.lines("\(Self.elastic)/fortinet_fortigate/data_stream/log/_dev/test/pipeline/test-fortinet-7-6.log").prefix(3)
        samples += try Self.lines("\(Self.elastic)/cisco_asa/data_stream/log/_dev/test/pipeline/test-302020-direction.log")
        samples += ["CEF:0|Security|threatmanager|1.0|100|worm|10|src=10.0.0.1 msg=a\\=b act=blocked",
                    "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.1.2.3^dst=203.0.113.9",
                    "1,2026/11/22 08:01:02,012801000001,TRAFFIC,end,2561,2026/11/22 08:01:02,10.20.1.15,203.0.113.50,198.51.100.7,203.0.113.50,Allow,u,,ssl,vsys1,a,b,e1,e2,L,,1,1,5,443,0,0,0x0,tcp,allow,1,2,3"]
        var events = 0
        for sample in samples {
            let bytes = Array(sample.utf8)
            for cut in stride(from: 0, through: bytes.count, by: max(1, bytes.count / 40)) {
                let e = parse(Array(bytes[0..<cut]), .detected, options: ParseOptions(year: 2026)).event
                #expect(e.line == Array(bytes[0..<cut]))
                events += 1
            }
        }
        #expect(events > 500)
    }
}
