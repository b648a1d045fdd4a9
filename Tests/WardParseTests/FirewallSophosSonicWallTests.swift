import Testing
import WardCore
import WardParse
import WardTestSupport

/// SonicWall (SonicOS enhanced syslog) and Sophos Firewall (XG/SFOS 17–19+) lines, written here in the
/// shapes the vendors document (no vendor samples are in the shared data): the ECS fields each line
/// states, the vendor keys, the event time, and that neither vendor is taken for another.
@Suite struct FirewallSophosSonicWallTests {
    static func event(_ line: String, year: Int = 2024) -> ReadEvent {
        parse(Array(line.utf8), .detected, options: ParseOptions(year: year)).event
    }

    static func nanos(_ stamp: String) -> Int64 {
        let bytes = Array(stamp.utf8)
        return bytes.withUnsafeBufferPointer { RFC3339.parse($0.baseAddress!, from: 0, to: bytes.count, strict: true).nanos }
    }

    // MARK: - SonicWall

    static let sonicWallClosed = #"<134>Mar  1 10:00:00 sw-edge01 id=firewall sn=C0EAE4A1B2C3 time="2024-03-01 09:59:58 UTC" fw=203.0.113.1 pri=6 c=1024 m=537 msg="Connection Closed" app=49177 n=4711 src=10.1.1.5:51234:X0:ws-icu-07 dst=198.51.100.53:53:X1 srcMac=00:17:c5:01:02:03 dstMac=00:17:c5:0a:0b:0c proto=udp/dns sent=78 rcvd=94 spkt=1 rpkt=1 cdur=120 rule="5 (LAN->WAN)" usr="jdoe" fw_action="NA" dpi=0"#

    @Test func sonicWallConnectionClosedWithRFC3164Header() {
        let e = Self.event(Self.sonicWallClosed)
        let f = e.fields
        #expect(e.dataset == "firewall.sonicwall")
        #expect(f["host.hostname"] == "sw-edge01" && f["observer.vendor"] == "SonicWall" && f["observer.product"] == "SonicOS")
        #expect(f["source.ip"] == "10.1.1.5" && f["source.port"] == "51234" && f["observer.ingress.interface.name"] == "X0")
        #expect(f["source.domain"] == "ws-icu-07")
        #expect(f["destination.ip"] == "198.51.100.53" && f["destination.port"] == "53" && f["observer.egress.interface.name"] == "X1")
        #expect(f["network.transport"] == "udp" && f["network.protocol"] == "dns")
        #expect(f["source.bytes"] == "78" && f["destination.bytes"] == "94")
        #expect(f["event.code"] == "537" && f["event.reason"] == "Connection Closed" && f["user.name"] == "jdoe")
        #expect(f["rule.name"] == "5 (LAN->WAN)" && f["rule.id"] == nil)
        // fw_action "NA": the message (537, Connection Closed) says what happened.
        #expect(f["event.action"] == "close")
        #expect(f["sonicwall.fw_action"] == "NA" && f["sonicwall.sn"] == "C0EAE4A1B2C3" && f["sonicwall.srcMac"] == "00:17:c5:01:02:03")
        #expect(f["sonicwall.cdur"] == "120" && f["sonicwall.src"] == "10.1.1.5:51234:X0:ws-icu-07")
        // `time` is the event's time (the header's would be 10:00:00).
        #expect(e.timestamp == Self.nanos("2024-03-01T09:59:58Z"))
    }

    @Test func sonicWallForwardedDroppedAndOpened() {
        // Without syslog header (PRI only), `time` without zone is UTC.
        let forward = Self.event(#"<134>id=fw-main sn=C0EAE4A1B2C3 time="2024-03-01 10:00:05" fw=203.0.113.1 pri=6 c=262144 m=98 msg="Connection Opened" n=12 src=10.20.1.15:50412:X0 dst=192.0.2.80:443:X1 proto=tcp/https sent=60 rule=14 fw_action="forward""#)
        #expect(forward.dataset == "firewall.sonicwall" && forward.timestamp == Self.nanos("2024-03-01T10:00:05Z"))
        #expect(forward.fields["event.action"] == "allow" && forward.fields["rule.id"] == "14" && forward.fields["rule.name"] == nil)
        #expect(forward.fields["network.transport"] == "tcp" && forward.fields["network.protocol"] == "https")
        #expect(forward.fields["sonicwall.id"] == "fw-main" && forward.fields["destination.port"] == "443")

        // No header at all; a port number after the slash is no protocol.
        let drop = Self.event(#"id=firewall sn=C0EAE4A1B2C3 time="2024-03-01 11:00:05 +01:00" fw=203.0.113.1 pri=1 c=32 m=36 msg="TCP packet dropped" n=13 src=203.0.113.9:4444:X1 dst=10.1.2.3:104:X0 proto=tcp/104 fw_action="drop""#)
        #expect(drop.dataset == "firewall.sonicwall" && drop.timestamp == Self.nanos("2024-03-01T10:00:05Z"))
        #expect(drop.fields["event.action"] == "drop" && drop.fields["network.transport"] == "tcp" && drop.fields["network.protocol"] == nil)
        #expect(drop.fields["source.ip"] == "203.0.113.9" && drop.fields["destination.port"] == "104")
        #expect(drop.fields["observer.ingress.interface.name"] == "X1" && drop.fields["observer.egress.interface.name"] == "X0")

        // Management traffic, and a zone name wardwatch cannot resolve: the header's time stays.
        let mgmt = Self.event(#"<134>Mar  1 10:00:07 sw-edge01 id=firewall sn=C0EAE4A1B2C3 time="2024-03-01 02:00:07 PST" fw=203.0.113.1 pri=6 c=1024 m=97 msg="Web site hit" src=10.1.1.9:51000:X0 dst=10.1.1.1:443:X0 proto=tcp/https user="admin" fw_action="mgmt""#)
        #expect(mgmt.fields["event.action"] == "other" && mgmt.fields["user.name"] == "admin")
        #expect(mgmt.timestamp == Self.nanos("2024-03-01T10:00:07Z"))
    }

    @Test func sonicWallNATIPv6AndRFC5424() {
        let nat = Self.event(#"<134>1 2024-03-01T10:01:00Z sw-edge01 - - - - id=firewall sn=C0EAE4A1B2C3 time="2024-03-01 10:01:00 UTC" fw=203.0.113.1 pri=6 c=1024 m=537 msg="Connection Closed" src=10.1.1.5:51234:X0 dst=192.0.2.10:443:X1 natSrc=203.0.113.1:40123 natDst=192.0.2.10 proto=tcp/https sent=1201 rcvd=3660 usr="hosp\jmiller" fw_action="forward""#)
        let n = nat.fields
        #expect(nat.dataset == "firewall.sonicwall" && n["host.hostname"] == "sw-edge01")
        #expect(n["source.nat.ip"] == "203.0.113.1" && n["source.nat.port"] == "40123" && n["destination.nat.ip"] == "192.0.2.10")
        #expect(n["destination.nat.port"] == nil && n["user.name"] == #"hosp\jmiller"# && n["event.action"] == "allow")
        #expect(n["source.bytes"] == "1201" && n["destination.bytes"] == "3660")

        // IPv6: the addresses in srcV6/dstV6, `src`/`dst` keep the port and interface.
        let v6 = Self.event(#"<134>id=firewall sn=C0EAE4A1B2C3 time="2024-03-01 10:02:00 UTC" fw=203.0.113.1 pri=1 c=32 m=36 msg="TCP packet dropped" srcV6=2001:db8::9 src=:4444:X1 dstV6=2001:db8:1::10 dst=:3389:X0 proto=tcp/3389 fw_action="drop""#)
        #expect(v6.fields["source.ip"] == "2001:db8::9" && v6.fields["source.port"] == "4444" && v6.fields["observer.ingress.interface.name"] == "X1")
        #expect(v6.fields["destination.ip"] == "2001:db8:1::10" && v6.fields["destination.port"] == "3389")
        #expect(v6.fields["sonicwall.srcV6"] == "2001:db8::9" && v6.fields["event.action"] == "drop")
        // A bare IPv6 address in `src` (no srcV6) is the address, not parts.
        let bare = Self.event(#"id=firewall sn=C0EAE4A1B2C3 m=36 src=2001:db8::9 dst=2001:db8:1::10 fw_action="drop""#)
        #expect(bare.fields["source.ip"] == "2001:db8::9" && bare.fields["source.port"] == nil && bare.fields["destination.ip"] == "2001:db8:1::10")
    }

    // MARK: - Sophos

    static let sophos18 = #"<30>device="SFW" date=2024-03-01 time=10:00:00 timezone="UTC" device_name="XG230" device_id=C22012345678 log_id=010101600001 log_type="Firewall" log_component="Firewall Rule" log_subtype="Allowed" status="Allow" priority=Information duration=30 fw_rule_id=5 policy_type=1 user_name="jdoe" user_gp="clinicians" application="" in_interface="Port1" out_interface="Port2" src_mac=00:17:c5:01:02:03 src_ip=10.1.1.5 src_country_code=R1 dst_ip=198.51.100.80 dst_country_code=USA protocol="TCP" src_port=51234 dst_port=443 sent_pkts=12 recv_pkts=10 sent_bytes=3401 recv_bytes=88210 tran_src_ip=203.0.113.7 tran_src_port=40001 tran_dst_ip= tran_dst_port=0 srczonetype="LAN" dstzonetype="WAN" connevent="Stop" message="" appresolvedby="Signature""#

    @Test func sophos18AllowedWithUserAndNAT() {
        let e = Self.event(Self.sophos18)
        let f = e.fields
        #expect(e.dataset == "firewall.sophos")
        #expect(f["observer.vendor"] == "Sophos" && f["observer.product"] == "XG" && f["event.code"] == "010101600001")
        #expect(f["source.ip"] == "10.1.1.5" && f["source.port"] == "51234" && f["destination.ip"] == "198.51.100.80")
        #expect(f["destination.port"] == "443" && f["network.transport"] == "tcp" && f["rule.id"] == "5")
        #expect(f["user.name"] == "jdoe" && f["source.user.name"] == "jdoe" && f["event.action"] == "allow")
        #expect(f["source.nat.ip"] == "203.0.113.7" && f["source.nat.port"] == "40001")
        #expect(f["destination.nat.ip"] == nil && f["destination.nat.port"] == nil && f["event.reason"] == nil)
        #expect(f["source.bytes"] == "3401" && f["destination.bytes"] == "88210")
        #expect(f["observer.ingress.interface.name"] == "Port1" && f["observer.egress.interface.name"] == "Port2")
        #expect(f["sophos.device"] == "SFW" && f["sophos.log_component"] == "Firewall Rule" && f["sophos.srczonetype"] == "LAN")
        #expect(f["sophos.tran_dst_ip"] == "" && f["sophos.application"] == "")
        #expect(e.timestamp == Self.nanos("2024-03-01T10:00:00Z"))
    }

    @Test func sophos19DeniedIPv6WithRFC5424Header() {
        let e = Self.event(#"<30>1 2024-03-01T10:05:00Z xgs-edge01 - - - - device_name="SFW" timestamp="2024-03-01T11:04:59+0100" device_model="XGS2100" device_serial_id="X21012345678" log_id="010101600002" log_type="Firewall" log_component="Firewall Rule" log_subtype="Denied" log_version=1 severity="Information" fw_rule_id="7" fw_rule_name="Block RDP inbound" fw_rule_section="Local rule" nat_rule_id="0" src_ip="2001:db8::9" src_country="R1" dst_ip="2001:db8:1::10" protocol="TCP" src_port=40001 dst_port=3389 in_interface="Port2" src_zone="WAN" dst_zone="LAN" message="Denied by rule""#)
        let f = e.fields
        #expect(e.dataset == "firewall.sophos" && f["host.hostname"] == "xgs-edge01")
        #expect(f["source.ip"] == "2001:db8::9" && f["destination.ip"] == "2001:db8:1::10" && f["destination.port"] == "3389")
        #expect(f["rule.id"] == "7" && f["rule.name"] == "Block RDP inbound" && f["event.action"] == "deny")
        #expect(f["event.code"] == "010101600002" && f["event.reason"] == "Denied by rule" && f["user.name"] == nil)
        #expect(f["sophos.src_country"] == "R1" && f["sophos.device_model"] == "XGS2100" && f["sophos.dst_zone"] == "LAN")
        #expect(e.timestamp == Self.nanos("2024-03-01T10:04:59Z"))
    }

    @Test func sophosRFC3164HeaderAndBareLines() {
        // A zone abbreviation (IST: India, Ireland or Israel) is not resolved: the header's time stays.
        let bsd = Self.event(#"<30>Mar  1 15:30:00 xg-branch device="SFW" date=2024-03-01 time=15:29:59 timezone="IST" device_name="XG125" device_id=C12012345678 log_id=010102600002 log_type="Firewall" log_component="Firewall Rule" log_subtype="Denied" status="Deny" fw_rule_id=0 src_ip=192.0.2.66 dst_ip=10.60.1.15 protocol="UDP" src_port=5353 dst_port=161"#)
        #expect(bsd.dataset == "firewall.sophos" && bsd.fields["host.hostname"] == "xg-branch")
        #expect(bsd.fields["event.action"] == "deny" && bsd.fields["network.transport"] == "udp" && bsd.fields["destination.port"] == "161")
        #expect(bsd.timestamp == Self.nanos("2024-03-01T15:30:00Z"))
        // Without PRI or header; an IPS drop; a numeric zone.
        let bare = Self.event(#"device="SFW" date=2024-03-01 time=11:00:00 timezone="+01:00" device_name="XG230" log_id=020603501001 log_type="IDP" log_component="Anomaly" log_subtype="Drop" src_ip=203.0.113.9 dst_ip=10.1.2.3 protocol="TCP" src_port=4444 dst_port=104 message="DICOM probe""#)
        #expect(bare.dataset == "firewall.sophos" && bare.fields["event.action"] == "drop" && bare.fields["event.reason"] == "DICOM probe")
        #expect(bare.timestamp == Self.nanos("2024-03-01T10:00:00Z"))
        // An event log: no action word, no action.
        let admin = Self.event(#"<30>device="SFW" date=2024-03-01 time=10:00:00 timezone="UTC" device_name="XG230" log_id=062910617701 log_type="Event" log_component="GUI" log_subtype="Admin" status="Successful" user_name="admin" src_ip=10.1.1.9 message="User admin logged in""#)
        #expect(admin.dataset == "firewall.sophos" && admin.fields["event.action"] == nil && admin.fields["user.name"] == "admin")
    }

    // MARK: - Vendors apart

    @Test func vendorsAreNotTakenForEachOther() {
        #expect(Self.event(Self.sophos18).dataset == "firewall.sophos")
        #expect(Self.event(Self.sonicWallClosed).dataset == "firewall.sonicwall")
        let forti = Self.event(#"<189>date=2024-03-01 time=10:00:02 devname="FG-HOSP-01" devid="FG100F" logid="0000000013" type="traffic" subtype="forward" srcip=10.20.4.31 srcport=50555 dstip=192.0.2.20 dstport=80 policyid=12 proto=6 action="deny""#)
        #expect(forti.dataset == "firewall.fortigate")
        let generic = Self.event(#"<134>Mar  1 10:00:00 wg01 firewall: msg="Deny" src_ip=203.0.113.9 dst_ip=10.1.2.3 src_port=4444 dst_port=104 action=deny"#)
        #expect(generic.dataset == "firewall.kv" && generic.fields["event.action"] == "deny")
        // `device=` or `id=` alone is not enough.
        let device = Self.event(#"device=eth0 src=10.1.1.5 dst=10.1.1.6 action=allow"#)
        #expect(device.dataset == "firewall.kv")
        let id = Self.event(#"<134>Mar  1 10:00:00 h app: id=42 src=10.1.1.5 dst=10.1.1.6"#)
        #expect(id.dataset == "firewall.kv")
        // Ordinary syslog stays syslog.
        for line in ["<38>Mar  1 10:00:00 ehr-app01 sshd[812]: Failed password for invalid user admin from 203.0.113.9 port 4444 ssh2",
                     "<85>Mar  1 10:00:00 ehr-app01 sudo: jdoe : TTY=pts/0 ; PWD=/home/jdoe ; USER=root ; COMMAND=/usr/bin/id",
                     "<78>Mar  1 10:00:00 ehr-app01 CRON[901]: (root) CMD (run-parts /etc/cron.hourly)",
                     "<30>Mar  1 10:00:00 ehr-app01 app: device=sda1 id=7 state=ok"] {
            #expect(Self.event(line).dataset == "syslog.rfc3164", "\(line)")
        }
    }

    /// Cut anywhere or with bytes garbled (fixed seed), a line of either vendor never crashes and is
    /// still an event holding its bytes.
    @Test func truncatedAndGarbledLinesNeverCrashOrVanish() {
        let samples = [Self.sonicWallClosed, Self.sophos18,
                       #"id=firewall sn=C0EAE4A1B2C3 time="2024-03-01 10:02:00 +01:00" srcV6=2001:db8::9 src=:4444:X1 natSrc=[2001:db8::1]:5 dst=[2001:db8::2]:3389:X0:h proto=tcp/ fw_action="drop""#,
                       #"device_name="SFW" timestamp="2024-03-01T11:04:59+0100" log_id="010101600002" log_subtype="Denied" src_ip="2001:db8::9" tran_src_port=0"#]
        var generator = SeededGenerator(seed: 0x5F0_5C1C)
        let specials = Array(#"=": []\ "#.utf8) + [0, 0xFF, 0xE2]
        var events = 0
        for sample in samples {
            let bytes = Array(sample.utf8)
            for cut in 0...bytes.count {
                let e = parse(Array(bytes[0..<cut]), .detected, options: ParseOptions(year: 2024)).event
                #expect(e.line == Array(bytes[0..<cut]))
                events += 1
            }
            for _ in 0..<300 {
                var garbled = bytes
                for _ in 0..<(1 + Int(generator.next() % 6)) {
                    let at = Int(generator.next() % UInt64(garbled.count))
                    let byte = generator.next() % 2 == 0 ? specials[Int(generator.next() % UInt64(specials.count))]
                        : UInt8(truncatingIfNeeded: generator.next())
                    // A line break would make two lines; the reader never hands one to the parser.
                    garbled[at] = byte == 0x0A || byte == 0x0D ? 0x3D : byte
                }
                let cut = Int(generator.next() % UInt64(garbled.count + 1))
                let line = Array(garbled[0..<cut])
                let e = parse(line, .detected, options: ParseOptions(year: 2024)).event
                #expect(e.line == line)
                events += 1
            }
        }
        #expect(events > 1_500)
    }
}
