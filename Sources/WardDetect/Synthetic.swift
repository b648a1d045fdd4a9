/// Deterministic synthetic logs and rules for `wardwatch bench` and the benchmarks: what a detection
/// engineer measures a rule set against when no archive is at hand.
public enum Synthetic {
    /// A xorshift generator with a fixed seed: the same corpus on every machine.
    public struct Generator {
        var state: UInt64
        public init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
        public mutating func next() -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(truncatingIfNeeded: state >> 1)
        }
        public mutating func pick<T>(_ items: [T]) -> T { items[next() % items.count] }
    }

    static let hosts = ["ehr-app01", "ehr-app02", "pacs-gw01", "hl7-engine01", "ehr-db01.hosp.example", "lab-lis01", "10.40.2.15"]
    static let users = ["jmiller", "rthompson", "svc_backup", "svc_hl7", "akhan", "mgarcia", "root", "admin", "oracle", "test"]

    /// Mixed hospital syslog of about `bytes` bytes: RFC 3164 auth and system lines (80 %) and RFC 5424
    /// EHR audit lines with structured data (20 %), a few percent suspicious.
    public static func corpus(bytes target: Int, seed: UInt64 = 1) -> [UInt8] {
        var g = Generator(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(target + 512)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var second = 0
        while out.count < target {
            second += g.next() % 2
            let ip = "\(g.next() % 223 + 1).\(g.next() % 256).\(g.next() % 256).\(g.next() % 254 + 1)"
            let pid = 1000 + g.next() % 60_000
            let port = 1024 + g.next() % 64_000
            let host = g.pick(hosts)
            if g.next() % 5 == 0 {
                let h = second / 3600 % 24, m = second / 60 % 60, s = second % 60
                let stamp = "2026-11-\(10 + second / 86_400 % 19)T\(h < 10 ? "0" : "")\(h):\(m < 10 ? "0" : "")\(m):\(s < 10 ? "0" : "")\(s).\(g.next() % 1000)Z"
                let user = g.pick(users)
                let line: String
                switch g.next() % 4 {
                case 0: line = "<86>1 \(stamp) \(host) ehr-auth \(pid) LOGIN [session@32473 user=\"\(user)\" workstation=\"WS-\(g.next() % 400)\"] \u{FEFF}User signed in"
                case 1: line = "<86>1 \(stamp) \(host) ehr-access \(pid) VIEW [access@32473 user=\"\(user)\" chart=\"\(g.next() % 900_000)\"] Chart opened"
                case 2: line = "<85>1 \(stamp) \(host) ehr-auth \(pid) LOGIN_FAILED [session@32473 user=\"\(user)\"] Sign-in failed"
                default: line = "<86>1 \(stamp) \(host) ehr-report - EXPORT [export@32473 user=\"\(user)\" rows=\"\(g.next() % 20_000)\"] Report export finished"
                }
                out += Array(line.utf8)
            } else {
                let stamp = "\(months[second / 2_600_000 % 12]) \(String(1 + second / 86_400 % 28).count == 1 ? " " : "")\(1 + second / 86_400 % 28) \(String(format2(second / 3600 % 24))):\(format2(second / 60 % 60)):\(format2(second % 60))"
                let body: String
                switch g.next() % 10 {
                case 0: body = "sshd[\(pid)]: Accepted publickey for \(g.pick(users)) from \(ip) port \(port) ssh2"
                case 1: body = "sshd[\(pid)]: Failed password for invalid user \(g.pick(users))\(g.next() % 100) from \(ip) port \(port) ssh2"
                case 2: body = "CRON[\(pid)]: pam_unix(cron:session): session opened for user \(g.pick(users)) by (uid=0)"
                case 3: body = "sudo:  \(g.pick(users)) : TTY=pts/\(g.next() % 9) ; PWD=/home/\(g.pick(users)) ; USER=root ; COMMAND=/usr/bin/systemctl restart ehr-audit\(g.next() % 40).service"
                case 4: body = "kernel: [\(g.next() % 9_000_000).\(g.next() % 1_000_000)] IN=eth0 OUT= SRC=\(ip) DST=10.1.\(g.next() % 256).\(g.next() % 256) LEN=\(40 + g.next() % 1400) PROTO=TCP SPT=\(port) DPT=\(g.pick([104, 2575, 443, 22, 6661])) SYN"
                case 5: body = "systemd-logind[\(pid)]: Session \(g.next() % 99_999) logged out. Waiting for processes to exit."
                case 6: body = "mirth[\(pid)]: Channel ADT_IN: message \(g.next() % 9_999_999) from \(ip):\(port) processed in \(g.next() % 900) ms"
                case 7: body = "storescp[\(pid)]: Association Received \(ip): PACS-CT\(g.next() % 9) -> PACS-GW"
                case 8: body = "postgres[\(pid)]: [1-1] LOG:  connection authorized: user=ehr_app database=ehr SSL enabled"
                default: body = "sshd[\(pid)]: Invalid user \(g.pick(users))\(g.next() % 1000) from \(ip) port \(port)"
                }
                out += Array("\(stamp) \(host) \(body)".utf8)
            }
            out.append(0x0A)
        }
        return out
    }

    /// A corpus of exactly `events` lines (the first lines of ``corpus(bytes:seed:)``).
    public static func corpus(events: Int, seed: UInt64 = 1) -> [UInt8] {
        firstLines(events, of: Synthetic.corpus(bytes: events * 150, seed: seed))
    }

    /// A hospital corpus of exactly `events` lines (the first lines of ``hospitalCorpus(bytes:seed:)``).
    public static func hospitalCorpus(events: Int, seed: UInt64 = 1) -> [UInt8] {
        firstLines(events, of: Synthetic.hospitalCorpus(bytes: events * 320, seed: seed))
    }

    static func firstLines(_ events: Int, of text: [UInt8]) -> [UInt8] {
        var lines = 0
        for (i, b) in text.enumerated() where b == 0x0A {
            lines += 1
            if lines == events { return Array(text[...i]) }
        }
        return text
    }

    static func format2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `count` Sigma rules in the shape of real ones: a selection on `message` or a keyword list,
    /// routed to Linux services or the EHR. Five of the first twenty fire often (SSH failures, sudo to
    /// root, DICOM associations, failed EHR sign-ins); all others look for literals that do not occur,
    /// as most rules do on most events. So 20 and 2,000 rules raise the same alerts, and comparing them
    /// measures what the rule count itself costs.
    public static func rules(count: Int, seed: UInt64 = 7) -> [(name: String, yaml: String)] {
        var g = Generator(seed: seed)
        let firing: [(source: String, literal: String)] = [
            ("{product: linux, service: sshd}", "Failed password"), ("{product: linux, service: sshd}", "Invalid user"),
            ("{product: linux, service: sudo}", "USER=root"), ("{product: pacs}", "Association Received"),
            ("{product: ehr}", "LOGIN_FAILED"),
        ]
        let sources = ["{product: linux, service: sshd}", "{product: linux, service: sudo}", "{product: linux}",
                       "{product: ehr}", "{product: pacs}", "{product: hl7, service: engine}"]
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        func word() -> String { String(decoding: (0..<(6 + g.next() % 6)).map { _ in alphabet[g.next() % alphabet.count] }, as: UTF8.self) }
        return (0..<count).map { i in
            let fires = i < 20 && i % 4 == 0
            let literal = fires ? firing[i / 4].literal : word()
            let second = word()
            let detection: String
            switch g.next() % 3 {
            case 0:
                detection = "    selection:\n        message|contains:\n            - '\(literal)'\n            - '\(second)'\n    condition: selection"
            case 1:
                detection = "    selection:\n        message|contains|all:\n            - '\(literal)'\n            - '\(word())'\n    filter:\n        host.hostname|startswith: 'lab-'\n    condition: selection and not filter"
            default:
                detection = "    keywords:\n        - '\(literal)'\n        - '\(second)'\n    condition: keywords"
            }
            let hex = String(i, radix: 16)
            let id = "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
            let source = fires ? firing[i / 4].source : g.pick(sources)
            let yaml = "title: Generated rule \(i)\nid: \(id)\nstatus: experimental\nlogsource: \(source)\ndetection:\n\(detection)\nlevel: \(g.pick(["low", "medium", "high"]))\n"
            return ("generated_\(String(repeating: "0", count: 5 - String(i).count))\(i).yml", yaml)
        }
    }
}
