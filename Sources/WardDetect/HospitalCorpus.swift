/// A generated hospital log mix that looks like a real SOC's feed, for `wardwatch bench --corpus
/// hospital`: 70 % syslog of many daemons, 23 % firewall logs of six vendors (Cisco ASA, FortiGate,
/// PAN-OS, pfSense, netfilter, SonicWall), 5 % HL7 v2 from an interface engine (RFC 5424, segments
/// separated by CR) and 1 % ATNA audit messages (RFC 5424 with XML), 1 % EHR audit lines.
/// Deterministic for a seed, so every machine measures the same bytes.
extension Synthetic {
    static let hospitalHosts = [
        "ehr-app01", "ehr-app02", "ehr-app03", "ehr-db01", "ehr-db02", "pacs-gw01", "pacs-store02", "hl7-engine01",
        "hl7-engine02", "lab-lis01", "rad-ris01", "pharm-disp01", "nurse-call01", "bkp-srv01", "fs01", "dc01", "dns01",
        "mail01", "vpn-gw01", "jump01", "web-portal01", "build01", "ward3-ws014", "icu-ws002", "or-ws007", "mon-gw01",
    ]
    static let hospitalUsers = [
        "jmiller", "rthompson", "akhan", "mgarcia", "lnguyen", "pschmidt", "dokafor", "svc_backup", "svc_hl7",
        "svc_pacs", "root", "admin", "oracle", "postgres", "nagios", "ansible", "www-data", "deploy", "test", "guest",
    ]
    static let hospitalUnits = [
        "ehr-audit.service", "mirth.service", "postgresql.service", "nginx.service", "sshd.service", "cron.service",
        "rsyslog.service", "chronyd.service", "dcm4chee.service", "backup-nightly.service", "logrotate.service",
        "apt-daily.service", "fstrim.service", "systemd-tmpfiles-clean.service", "snapd.service",
    ]
    static let commands = [
        "/usr/bin/systemctl restart mirth", "/usr/bin/tail -f /var/log/mirth/mirth.log", "/usr/bin/apt-get update",
        "/usr/sbin/service nginx reload", "/bin/cat /etc/shadow", "/usr/bin/journalctl -u ehr-audit",
        "/usr/bin/psql -U postgres ehr", "/bin/tar czf /backup/ehr.tgz /var/lib/ehr", "/usr/bin/vi /etc/hosts",
        "/usr/bin/find / -perm -4000", "/usr/sbin/useradd -m tempadmin", "/bin/chmod 777 /tmp/x",
    ]
    static let domains = [
        "ehr.hosp.example", "pacs.hosp.example", "update.microsoft.com", "ocsp.digicert.com", "api.labpartner.example",
        "portal.payer.example", "time.nist.gov", "wpad.hosp.example", "login.microsoftonline.com", "cdn.vendor.example",
    ]

    /// About `bytes` bytes of the mix, whole lines.
    public static func hospitalCorpus(bytes target: Int, seed: UInt64 = 1) -> [UInt8] {
        var g = Generator(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(target + 4096)
        var second = seed == 0 ? 0 : Int(seed % 1000) * 3
        while out.count < target {
            second += g.next() % 3 == 0 ? 1 : 0
            let roll = g.next() % 100
            let line: String
            if roll < 70 {
                line = syslogLine(&g, second)
            } else if roll < 93 {
                line = firewallLine(&g, second)
            } else if roll < 98 {
                line = hl7Line(&g, second)
            } else if roll < 99 {
                line = atnaLine(&g, second)
            } else {
                line = ehrLine(&g, second)
            }
            out += Array(line.utf8)
            out.append(0x0A)
        }
        return out
    }

    static func clock(_ second: Int) -> String {
        "\(format2(second / 3600 % 24)):\(format2(second / 60 % 60)):\(format2(second % 60))"
    }

    static func bsdStamp(_ second: Int) -> String {
        let day = 1 + second / 86_400 % 28
        return "Nov \(day < 10 ? " " : "")\(day) \(clock(second))"
    }

    static func isoStamp(_ second: Int, _ g: inout Generator) -> String {
        "2026-11-\(format2(1 + second / 86_400 % 28))T\(clock(second)).\(g.next() % 900 + 100)Z"
    }

    static func publicIP(_ g: inout Generator) -> String {
        "\(g.pick([45, 62, 81, 91, 103, 146, 185, 193, 198, 203, 212])).\(g.next() % 256).\(g.next() % 256).\(g.next() % 254 + 1)"
    }

    static func internalIP(_ g: inout Generator) -> String {
        "10.\(g.pick([10, 20, 30, 40, 60])).\(g.next() % 32).\(g.next() % 254 + 1)"
    }

    static func syslogLine(_ g: inout Generator, _ second: Int) -> String {
        let host = g.pick(hospitalHosts)
        let pid = 300 + g.next() % 60_000
        let user = g.pick(hospitalUsers)
        let ip = g.next() % 3 == 0 ? internalIP(&g) : publicIP(&g)
        let port = 1024 + g.next() % 64_000
        let body: String
        switch g.next() % 40 {
        case 0, 1: body = "sshd[\(pid)]: Accepted publickey for \(user) from \(ip) port \(port) ssh2: RSA SHA256:\(g.next() % 999_999_999)"
        case 2: body = "sshd[\(pid)]: Accepted password for \(user) from \(ip) port \(port) ssh2"
        case 3, 4: body = "sshd[\(pid)]: Failed password for \(g.next() % 2 == 0 ? "invalid user " : "")\(user) from \(ip) port \(port) ssh2"
        case 5: body = "sshd[\(pid)]: Invalid user \(user)\(g.next() % 100) from \(ip) port \(port)"
        case 6: body = "sshd[\(pid)]: Received disconnect from \(ip) port \(port):11: disconnected by user"
        case 7: body = "sshd[\(pid)]: Connection closed by authenticating user \(user) \(ip) port \(port) [preauth]"
        case 8: body = "sshd[\(pid)]: pam_unix(sshd:session): session opened for user \(user)(uid=\(1000 + g.next() % 50)) by (uid=0)"
        case 9: body = "sshd[\(pid)]: pam_unix(sshd:session): session closed for user \(user)"
        case 10: body = "sudo: \(user) : TTY=pts/\(g.next() % 9) ; PWD=/home/\(user) ; USER=root ; COMMAND=\(g.pick(commands))"
        case 11: body = "sudo: pam_unix(sudo:session): session opened for user root(uid=0) by \(user)(uid=\(1000 + g.next() % 50))"
        case 12: body = "su[\(pid)]: (to root) \(user) on pts/\(g.next() % 9)"
        case 13, 14: body = "CRON[\(pid)]: pam_unix(cron:session): session opened for user \(g.pick(["root", "postgres", "svc_backup"])) by (uid=0)"
        case 15: body = "CRON[\(pid)]: (\(g.pick(["root", "postgres", "svc_backup"]))) CMD (\(g.pick(["/usr/local/bin/backup.sh", "run-parts /etc/cron.hourly", "/usr/lib/php/sessionclean", "test -x /usr/sbin/anacron"])))"
        case 16, 17: body = "systemd[1]: \(g.pick(["Started", "Stopped", "Starting", "Reloading"])) \(g.pick(hospitalUnits))."
        case 18: body = "systemd-logind[\(pid)]: New session \(g.next() % 99_999) of user \(user)."
        case 19: body = "systemd-logind[\(pid)]: Session \(g.next() % 99_999) logged out. Waiting for processes to exit."
        case 20: body = "kernel: [\(g.next() % 9_000_000).\(g.next() % 1_000_000)] EXT4-fs (sda\(g.next() % 4)): mounted filesystem with ordered data mode"
        case 21: body = "kernel: [\(g.next() % 9_000_000).\(g.next() % 1_000_000)] usb \(g.next() % 4)-\(g.next() % 8): new high-speed USB device number \(g.next() % 20) using xhci_hcd"
        case 22: body = "postfix/smtpd[\(pid)]: connect from unknown[\(ip)]"
        case 23: body = "postfix/smtpd[\(pid)]: NOQUEUE: reject: RCPT from unknown[\(ip)]: 554 5.7.1 <\(user)@hosp.example>: Relay access denied; proto=ESMTP"
        case 24: body = "postfix/qmgr[\(pid)]: \(String(g.next() % 0xFFFFFFFF, radix: 16, uppercase: true)): from=<\(user)@hosp.example>, size=\(g.next() % 90_000), nrcpt=1 (queue active)"
        case 25: body = "dhcpd[\(pid)]: DHCPACK on \(internalIP(&g)) to 00:1a:2b:\(format2(g.next() % 90)):\(format2(g.next() % 90)):\(format2(g.next() % 90)) via eth\(g.next() % 2)"
        case 26: body = "named[\(pid)]: client @0x7f\(g.next() % 999_999) \(internalIP(&g))#\(port) (\(g.pick(domains))): query: \(g.pick(domains)) IN \(g.pick(["A", "AAAA", "TXT", "SRV"])) + (\(internalIP(&g)))"
        case 27: body = "chronyd[\(pid)]: Selected source \(publicIP(&g)) (\(g.pick(["time.nist.gov", "ntp.hosp.example"])))"
        case 28: body = "rsyslogd: [origin software=\"rsyslogd\" swVersion=\"8.2102.0\" x-pid=\"\(pid)\"] rsyslogd was HUPed"
        case 29: body = "snmpd[\(pid)]: Connection from UDP: [\(internalIP(&g))]:\(port)->[\(internalIP(&g))]:161"
        case 30: body = "nginx: \(ip) - - [22/Nov/2026:\(clock(second)) +0000] \"GET /\(g.pick(["portal/login", "api/v1/patients", "static/app.js", "fhir/Patient", "health"])) HTTP/1.1\" \(g.pick([200, 200, 302, 401, 404, 500])) \(g.next() % 90_000)"
        case 31: body = "mirth[\(pid)]: Channel \(g.pick(["ADT_IN", "ORU_OUT", "ORM_IN", "MDM_IN"])): message \(g.next() % 9_999_999) from \(internalIP(&g)):\(port) processed in \(g.next() % 900) ms"
        case 32: body = "storescp[\(pid)]: Association Received \(internalIP(&g)): \(g.pick(["CT01", "MR02", "US03", "CR04"])) -> PACS-GW"
        case 33: body = "postgres[\(pid)]: [\(g.next() % 9)-1] LOG:  connection authorized: user=\(g.pick(["ehr_app", "report", "postgres"])) database=\(g.pick(["ehr", "lis", "pacs"])) SSL enabled"
        case 34: body = "postgres[\(pid)]: [\(g.next() % 9)-1] FATAL:  password authentication failed for user \"\(user)\""
        case 35: body = "auditd[\(pid)]: type=USER_LOGIN msg=audit(\(1_795_000_000 + second).\(g.next() % 999):\(g.next() % 99_999)): pid=\(pid) uid=0 auid=\(1000 + g.next() % 50) ses=\(g.next() % 999) msg='op=login acct=\"\(user)\" exe=\"/usr/sbin/sshd\" hostname=? addr=\(ip) terminal=ssh res=\(g.pick(["success", "failed"]))'"
        case 36: body = "useradd[\(pid)]: new user: name=\(user)\(g.next() % 10), UID=\(1000 + g.next() % 900), GID=\(1000 + g.next() % 900), home=/home/\(user), shell=/bin/bash"
        case 37: body = "vsftpd[\(pid)]: [\(user)] FTP response: Client \"\(ip)\", \"226 Transfer complete.\""
        case 38: body = "dbus-daemon[\(pid)]: [system] Successfully activated service 'org.freedesktop.\(g.pick(["hostname1", "timedate1", "PackageKit", "nm_dispatcher"]))'"
        default: body = "NetworkManager[\(pid)]: <info>  [\(1_795_000_000 + second).\(g.next() % 9999)] device (eth\(g.next() % 2)): state change: activated -> \(g.pick(["deactivating", "activated", "disconnected"]))"
        }
        return "\(bsdStamp(second)) \(host) \(body)"
    }

    static func firewallLine(_ g: inout Generator, _ second: Int) -> String {
        let src = g.next() % 2 == 0 ? internalIP(&g) : publicIP(&g)
        let dst = g.next() % 2 == 0 ? internalIP(&g) : publicIP(&g)
        let sport = 1024 + g.next() % 64_000
        let dport = g.pick([22, 53, 80, 104, 123, 135, 443, 445, 2575, 3389, 5432, 6661, 8080, 11112])
        let proto = g.pick(["tcp", "tcp", "tcp", "udp"])
        switch g.next() % 6 {
        case 0:
            switch g.next() % 5 {
            case 0: return "<164>\(bsdStamp(second)) asa-edge01 : %ASA-4-106023: Deny \(proto) src outside:\(src)/\(sport) dst inside:\(dst)/\(dport) by access-group \"OUTSIDE_IN\" [0x0, 0x0]"
            case 1: return "<166>\(bsdStamp(second)) asa-edge01 : %ASA-6-302013: Built inbound TCP connection \(g.next() % 9_999_999) for outside:\(src)/\(sport) (\(src)/\(sport)) to inside:\(dst)/\(dport) (\(dst)/\(dport))"
            case 2: return "<166>\(bsdStamp(second)) asa-edge01 : %ASA-6-302014: Teardown TCP connection \(g.next() % 9_999_999) for outside:\(src)/\(sport) to inside:\(dst)/\(dport) duration 0:00:\(format2(g.next() % 60)) bytes \(g.next() % 900_000) TCP FINs"
            case 3: return "<166>\(bsdStamp(second)) asa-edge01 : %ASA-6-113004: AAA user authentication Successful : server =  \(internalIP(&g)) : user = \(g.pick(hospitalUsers))"
            default: return "<166>\(bsdStamp(second)) asa-edge01 : %ASA-6-305011: Built dynamic TCP translation from inside:\(src)/\(sport) to outside:\(publicIP(&g))/\(sport)"
            }
        case 1:
            let action = g.pick(["accept", "deny", "close", "timeout"])
            return "<189>date=2026-11-22 time=\(clock(second)) devname=\"FG-HOSP-01\" devid=\"FGT60F0000000001\" logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" vd=\"root\" srcip=\(src) srcport=\(sport) srcintf=\"\(g.pick(["clinical", "guest", "imaging", "servers"]))\" dstip=\(dst) dstport=\(dport) dstintf=\"wan1\" policyid=\(g.next() % 40) proto=6 action=\"\(action)\" service=\"\(g.pick(["HTTPS", "HTTP", "DNS", "SMB", "RDP", "HL7"]))\" sentbyte=\(g.next() % 90_000) rcvdbyte=\(g.next() % 900_000) app=\"\(g.pick(["SSL", "DNS", "Microsoft.Portal", "HL7", "DICOM"]))\""
        case 2:
            let action = g.pick(["allow", "allow", "deny", "drop"])
            return "<14>\(bsdStamp(second)) pa-fw01 1,2026/11/22 \(clock(second)),012801000001,TRAFFIC,end,2561,2026/11/22 \(clock(second)),\(src),\(dst),\(publicIP(&g)),\(dst),\(g.pick(["Allow-Imaging-Out", "Allow-Web", "Deny-All", "Allow-HL7"])),hosp\\\(g.pick(hospitalUsers)),,\(g.pick(["ssl", "web-browsing", "ms-rdp", "dns", "smb"])),vsys1,\(g.pick(["clinical", "servers", "guest"])),untrust,ethernet1/2,ethernet1/1,Log-Forward,,\(g.next() % 99_999),1,\(sport),\(dport),\(sport),\(dport),0x400000,\(proto),\(action),\(g.next() % 9000),\(g.next() % 4000),\(g.next() % 5000),\(g.next() % 40),2026/11/22 \(clock(second)),3,any"
        case 3:
            let action = g.pick(["block", "pass"])
            return "<134>\(bsdStamp(second)) pfsense filterlog[\(4000 + g.next() % 100)]: 5,,,1000000103,igb1,match,\(action),in,4,0x0,,\(40 + g.next() % 30),\(g.next() % 65_000),0,DF,6,tcp,60,\(src),\(dst),\(sport),\(dport),0,S,\(g.next() % 2_000_000_000),,64240,,mss;sackOK;TS;nop;wscale"
        case 4:
            return "\(bsdStamp(second)) \(g.pick(hospitalHosts)) kernel: [\(g.next() % 9_000_000).\(g.next() % 1_000_000)] \(g.pick(["IPTABLES-DROP", "FW-IN", "HL7-IN-DROP"])): IN=eth0 OUT= MAC=90:10:20:76:8d:20:90:10:65:29:b6:2a:08:00 SRC=\(src) DST=\(dst) LEN=\(40 + g.next() % 1400) TOS=0x00 PREC=0x00 TTL=\(40 + g.next() % 80) ID=\(g.next() % 65_000) DF PROTO=\(proto.uppercased()) SPT=\(sport) DPT=\(dport) WINDOW=29200 RES=0x00 SYN URGP=0"
        default:
            return "<134>id=firewall sn=0017C5A1B2C3 time=\"2026-11-22 \(clock(second))\" fw=\(publicIP(&g)) pri=6 c=262144 m=98 msg=\"Connection Opened\" app=\(g.next() % 200) n=\(g.next() % 99_999) src=\(src):\(sport):X1 dst=\(dst):\(dport):X2 proto=\(proto)/\(dport) sent=\(g.next() % 9000) rcvd=\(g.next() % 9000) fw_action=\"\(g.pick(["forward", "drop", "NA"]))\""
        }
    }

    static func hl7Line(_ g: inout Generator, _ second: Int) -> String {
        let control = "MSG\(g.next() % 9_999_999)"
        let mrn = 80_000_000 + g.next() % 999_999
        let stamp = "202611\(format2(1 + second / 86_400 % 28))\(clock(second).split(separator: ":").joined())"
        let (type, body): (String, String)
        switch g.next() % 4 {
        case 0:
            type = "ADT^A0\(g.pick([1, 2, 3, 4, 8]))^ADT_A01"
            body = "EVN|A01|\(stamp)|||\(g.pick(hospitalUsers))\rPID|1||\(mrn)^^^GH^MR||DOE^JANE^Q||19\(50 + g.next() % 50)0314|F|||12 ELM ST^^SPRINGFIELD^IL^62704\rPV1|1|I|\(g.pick(["ICU", "WARD3", "ER", "ONC"]))^0\(g.next() % 9)^B^GH||||4411^HOUSE^GREGORY"
        case 1:
            type = "ORU^R01^ORU_R01"
            body = "PID|1||\(mrn)^^^GH^MR||ROE^RICHARD||19\(50 + g.next() % 50)1102|M\rOBR|1|ORD\(g.next() % 99_999)^EHR|\(control)^LIS|2345-7^GLUCOSE^LN|||\(stamp)\rOBX|1|NM|2345-7^GLUCOSE^LN||\(60 + g.next() % 200)|mg/dL|70-105|\(g.pick(["N", "H", "L"]))|||F"
        case 2:
            type = "ORM^O01^ORM_O01"
            body = "PID|1||\(mrn)^^^GH^MR||SMITH^ALEX||19\(50 + g.next() % 50)0707|U\rORC|NW|ORD\(g.next() % 99_999)\rOBR|1|ORD\(g.next() % 99_999)||\(g.pick(["71020^CHEST XRAY", "70450^CT HEAD", "74176^CT ABDOMEN"]))"
        default:
            type = "MDM^T02^MDM_T02"
            body = "EVN|T02|\(stamp)\rPID|1||\(mrn)^^^GH^MR||LEE^KIM||19\(50 + g.next() % 50)0202|F\rTXA|1|DS|TX|\(stamp)"
        }
        return "<134>1 \(isoStamp(second, &g)) \(g.pick(["hl7-engine01", "hl7-engine02"])) mirth \(1000 + g.next() % 9000) \(g.pick(["ADT_IN", "LAB_RESULTS", "ORM_IN", "MDM_IN"])) - MSH|^~\\&|\(g.pick(["REG", "LIS", "RIS", "EHR"]))|GH|EHR|GH|\(stamp)||\(type)|\(control)|P|2.5\r\(body)"
    }

    static func atnaLine(_ g: inout Generator, _ second: Int) -> String {
        let (code, name, action) = g.pick([("110110", "Patient Record", "R"), ("110114", "User Authentication", "E"),
                                           ("110106", "Export", "R"), ("110112", "Query", "E")])
        return "<85>1 \(isoStamp(second, &g)) ehr-app0\(1 + g.next() % 3) ehr-audit 4711 IHE+RFC-3881 - <?xml version=\"1.0\"?><AuditMessage><EventIdentification EventActionCode=\"\(action)\" EventDateTime=\"2026-11-22T\(clock(second)).000Z\" EventOutcomeIndicator=\"\(g.pick(["0", "0", "0", "4", "8"]))\"><EventID code=\"\(code)\" codeSystemName=\"DCM\" displayName=\"\(name)\"/></EventIdentification><ActiveParticipant UserID=\"\(g.pick(hospitalUsers))\" UserIsRequestor=\"true\" NetworkAccessPointID=\"\(internalIP(&g))\" NetworkAccessPointTypeCode=\"2\"/><AuditSourceIdentification AuditSourceID=\"ehr-prod\"/><ParticipantObjectIdentification ParticipantObjectID=\"\(80_000_000 + g.next() % 999_999)^^^&amp;1.2.840.114350&amp;ISO\" ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\"><ParticipantObjectIDTypeCode code=\"2\"/></ParticipantObjectIdentification></AuditMessage>"
    }

    static func ehrLine(_ g: inout Generator, _ second: Int) -> String {
        let user = g.pick(hospitalUsers)
        switch g.next() % 3 {
        case 0: return "<86>1 \(isoStamp(second, &g)) ehr-app01 ehr-auth \(1000 + g.next() % 9000) LOGIN [session@32473 user=\"\(user)\" workstation=\"WS-\(g.next() % 400)\"] User signed in"
        case 1: return "<86>1 \(isoStamp(second, &g)) ehr-app02 ehr-access \(1000 + g.next() % 9000) VIEW [access@32473 user=\"\(user)\" chart=\"\(g.next() % 900_000)\"] Chart opened"
        default: return "<85>1 \(isoStamp(second, &g)) ehr-app01 ehr-auth \(1000 + g.next() % 9000) LOGIN_FAILED [session@32473 user=\"\(user)\"] Sign-in failed"
        }
    }
}
