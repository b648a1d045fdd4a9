/// Generated rules that cost what real rule sets cost, for `wardwatch bench --generated-profile
/// realistic`: their literals are the hospital corpus's own tokens, each occurring in 1 %–50 % of its
/// lines, so the prefilter passes most events to many candidate rules (as SigmaHQ's rules do on real
/// logs). Several searches per rule, `and`/`or`/`all of`/`not` conditions, `re`, `cidr`,
/// `startswith`/`endswith`, numeric comparisons and `|all` keywords; most combinations of tokens never
/// occur together, so few rules fire.
extension Synthetic {
    /// Lower-cased tokens (letters, digits, `_`, 4 to 20 bytes, not all digits) of a generated hospital
    /// corpus occurring in between 1 % and 50 % of its lines, most frequent first.
    public static func commonTokens(seed: UInt64 = 99) -> [(token: String, share: Double)] {
        let sample = hospitalCorpus(bytes: 3 << 20, seed: seed)
        var counts: [[UInt8]: Int] = [:]
        var lines = 0
        var seen = Set<[UInt8]>()
        var token: [UInt8] = []
        func flush() {
            if token.count >= 4 && token.count <= 20 && !token.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                if seen.insert(token).inserted { counts[token, default: 0] += 1 }
            }
            token.removeAll(keepingCapacity: true)
        }
        for b in sample {
            let lower = (b &- 0x41) < 26 ? b | 0x20 : b
            if (lower >= 0x61 && lower <= 0x7A) || (lower >= 0x30 && lower <= 0x39) || lower == 0x5F {
                token.append(lower)
            } else {
                flush()
                if b == 0x0A {
                    lines += 1
                    seen.removeAll(keepingCapacity: true)
                }
            }
        }
        let common = counts.compactMap { entry -> (String, Double)? in
            let share = Double(entry.value) / Double(max(1, lines))
            return share >= 0.01 && share <= 0.5 ? (String(decoding: entry.key, as: UTF8.self), share) : nil
        }
        return common.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    /// `count` rules over the hospital corpus's common tokens (see the type's comment).
    public static func realisticRules(count: Int, seed: UInt64 = 11) -> [(name: String, yaml: String)] {
        var g = Generator(seed: seed)
        let tokens = commonTokens().map(\.token)
        guard !tokens.isEmpty else { return [] }
        let sources = ["{product: linux}", "{product: linux, service: sshd}", "{product: linux, service: sudo}",
                       "{product: linux, service: cron}", "{category: firewall}", "{product: fortigate}",
                       "{product: cisco, service: asa}", "{product: paloalto}", "{product: hl7, service: v2}",
                       "{product: ihe, service: atna}", "{product: ehr}"]
        let networks = ["10.20.0.0/16", "10.60.0.0/16", "10.40.8.0/21", "192.168.0.0/16", "185.0.0.0/8"]
        func t() -> String { g.pick(tokens) }
        func list(_ items: [String]) -> String { items.map { "\n            - '\($0)'" }.joined() }
        return (0..<count).map { i in
            let detection: String
            switch g.next() % 10 {
            case 0, 1, 2:
                detection = """
                    selection_main:
                        message|contains|all:\(list([t(), t()]))
                    selection_detail:
                        message|contains:\(list([t(), t(), t()]))
                    condition: selection_main and selection_detail
                """
            case 3:
                detection = """
                    keywords:
                        '|all':\(list([t(), t(), t()]))
                    filter_host:
                        host.hostname|startswith: '\(g.pick(hospitalHosts).prefix(4))'
                    condition: keywords and not filter_host
                """
            case 4:
                let a = t(), b = t()
                detection = """
                    selection_literal:
                        message|contains: '\(a)'
                    selection_regex:
                        message|re: '(?i)\(a).{0,60}\(b)'
                    condition: selection_literal and selection_regex
                """
            case 5:
                detection = """
                    selection_net:
                        source.ip|cidr: '\(g.pick(networks))'
                        destination.port:\(list(["\(g.pick([22, 445, 3389, 2575, 104]))", "\(g.pick([135, 5432, 6661, 11112]))"]))
                    selection_text:
                        message|contains: '\(t())'
                    condition: all of selection_*
                """
            case 6:
                detection = """
                    selection_start:
                        message|startswith: '\(t())'
                    selection_end:
                        message|endswith:\(list([t(), t()]))
                    condition: all of selection_*
                """
            case 7:
                detection = """
                    selection:
                        message|contains: '\(t())'
                        destination.port|gte: \(1024 + g.next() % 60_000)
                    filter_main:
                        message|contains: '\(t())'
                    condition: selection and not filter_main
                """
            case 8:
                detection = """
                    selection_user:
                        user.name|endswith:\(list([String(g.pick(hospitalUsers).suffix(4)), t()]))
                    selection_text:
                        message|contains|all:\(list([t(), t()]))
                    condition: selection_user and selection_text
                """
            default:
                detection = """
                    selection_a:
                        host.hostname|contains: '\(g.pick(["ehr", "pacs", "hl7", "lab", "ws0", "srv"]))'
                        message|contains: '\(t())'
                    selection_b:
                        - message|contains: '\(t())'
                        - process.name: '\(g.pick(["sshd", "sudo", "CRON", "kernel", "postgres", "mirth", "named"]))'
                    condition: selection_a and selection_b or selection_a and not selection_b and 1 of selection_*
                """
            }
            let hex = String(i, radix: 16)
            let id = "00000000-0000-4000-9000-" + String(repeating: "0", count: 12 - hex.count) + hex
            let yaml = """
                title: Realistic generated rule \(i)
                id: \(id)
                status: experimental
                logsource: \(g.pick(sources))
                detection:
                \(detection)
                level: \(g.pick(["low", "medium", "high"]))

                """
            return ("realistic_\(String(repeating: "0", count: 5 - String(i).count))\(i).yml", yaml)
        }
    }
}
