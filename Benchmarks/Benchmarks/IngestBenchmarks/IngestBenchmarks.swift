import Benchmark
import CZlibBaseline
import Foundation
import WardCore
import WardIngest
import WardDetect
import WardParse
import WardRules

// Ingest + syslog parse throughput on a generated corpus, plain and gzip, with zlib's own inflate rate
// as the gzip baseline, and heap allocations counted. Each iteration reads the whole corpus file
// from the page cache through the real path `wardwatch parse` uses (InputReader → RecordChunker on a
// PrefetchingReader thread → EventParser), without JSON output.

/// A day of a hospital's /var/log/auth.log-like traffic: RFC 3164 without PRI, as /var/log holds it.
/// Addresses, ports, users, PIDs and key fingerprints vary (a xorshift generator, fixed seed) so that
/// the corpus compresses like real logs (gzip -6 ratio about 6×; a repetitive corpus would make
/// zlib look 3× faster than it is on real archives).
func makeCorpus(bytes target: Int) -> [UInt8] {
    var g = Synthetic.Generator(seed: 0)  // the same xorshift sequence the corpus was always made with
    func next() -> Int { g.next() }
    func pick<T>(_ items: [T]) -> T { g.pick(items) }
    let hosts = ["ehr-app01", "ehr-app02", "pacs-gw01", "hl7-engine01", "ehr-db01.hosp.example", "10.40.2.15", "lab-lis01"]
    let users = ["jmiller", "rthompson", "svc_backup", "svc_hl7", "akhan", "mgarcia", "root", "admin", "oracle", "test"]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    let b64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(target + 512)
    var second = 0
    while out.count < target {
        second += next() % 3
        let stamp = String(format: "%@ %2d %02d:%02d:%02d", months[second / 2_600_000 % 12], 1 + second / 86_400 % 28,
                           second / 3600 % 24, second / 60 % 60, second % 60)
        let ip = "\(next() % 223 + 1).\(next() % 256).\(next() % 256).\(next() % 254 + 1)"
        let pid = 1000 + next() % 60_000
        let port = 1024 + next() % 64_000
        let body: String
        switch next() % 8 {
        case 0:
            let key = String(decoding: (0..<43).map { _ in b64[next() % 64] }, as: UTF8.self)
            body = "sshd[\(pid)]: Accepted publickey for \(pick(users)) from \(ip) port \(port) ssh2: ED25519 SHA256:\(key)"
        case 1: body = "sshd[\(pid)]: Failed password for invalid user \(pick(users))\(next() % 100) from \(ip) port \(port) ssh2"
        case 2: body = "CRON[\(pid)]: pam_unix(cron:session): session opened for user \(pick(users))(uid=\(next() % 2000)) by (uid=0)"
        case 3: body = "sudo:  \(pick(users)) : TTY=pts/\(next() % 9) ; PWD=/home/\(pick(users)) ; USER=root ; COMMAND=/usr/bin/systemctl restart ehr-audit\(next() % 40).service"
        case 4: body = "kernel: [\(next() % 9_000_000).\(next() % 1_000_000)] IN=eth0 OUT= SRC=\(ip) DST=10.1.\(next() % 256).\(next() % 256) LEN=\(40 + next() % 1400) PROTO=TCP SPT=\(port) DPT=\(pick([104, 2575, 443, 22, 6661])) SYN"
        case 5: body = "systemd-logind[\(pid)]: Session \(next() % 99_999) logged out. Waiting for processes to exit."
        case 6: body = "mirth[\(pid)]: Channel ADT_IN: message \(next() % 9_999_999) from \(ip):\(port) processed in \(next() % 900) ms"
        default: body = "sshd[\(pid)]: Invalid user \(pick(users))\(next() % 1000) from \(ip) port \(port)"
        }
        out += Array("\(stamp) \(pick(hosts)) \(body)\n".utf8)
    }
    return out
}

struct Corpus {
    let plainPath: String
    let gzipPath: String
    let bytes: Int
    let lines: Int
    let compressed: [UInt8]

    static let shared: Corpus = {
        let text = makeCorpus(bytes: 64 << 20)
        let lines = text.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        var compressed = [UInt8](repeating: 0, count: text.count + 1024)
        let n = text.withUnsafeBufferPointer { input in
            compressed.withUnsafeMutableBufferPointer { output in
                zbaseline_gzip(input.baseAddress, input.count, output.baseAddress, output.count, 6)
            }
        }
        precondition(n > 0, "gzip of the corpus failed")
        print("corpus: \(text.count) bytes, \(lines) lines, gzip -6 \(n) bytes (ratio \(Double(text.count) / Double(n)))")
        compressed.removeSubrange(Int(n)...)
        // One fixed folder, overwritten by each run, so that runs leave no pile of 80 MB corpora behind.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wardwatch-bench")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let plain = dir.appendingPathComponent("auth.log")
        let gz = dir.appendingPathComponent("auth.log.1.gz")
        try! Data(text).write(to: plain)
        try! Data(compressed).write(to: gz)
        return Corpus(plainPath: plain.path, gzipPath: gz.path, bytes: text.count, lines: lines, compressed: compressed)
    }()
}

/// Reads and parses one file; returns the number of events.
@inline(never)
func ingestAndParse(_ path: String, parser: EventParser, chunk: inout Chunk, batch: inout EventBatch) -> Int {
    let reader = PrefetchingReader(try! InputReader.open(InputFile(path: path), index: 0, options: IngestOptions()))
    defer { reader.close() }
    var events = 0
    while try! reader.next(into: &chunk) {
        parser.parse(chunk, into: &batch)
        events += batch.events.count
    }
    return events
}

/// One generated line per vendor, with varying addresses and ports.
let firewallLines: [(String, @Sendable (inout Synthetic.Generator) -> String)] = [
    ("netfilter", { g in
        "<4>Nov 22 08:00:\(10 + g.next() % 50) pacs-gw01 kernel: [\(g.next() % 90000).\(g.next() % 999999)] DROP_IN: IN=eth0 OUT= MAC=90:10:20:76:8d:20:90:10:65:29:b6:2a:08:00 SRC=203.0.\(g.next() % 256).\(g.next() % 256) DST=10.1.2.\(g.next() % 256) LEN=60 TOS=0x00 PREC=0x00 TTL=\(40 + g.next() % 60) ID=\(g.next() % 65535) DF PROTO=TCP SPT=\(1024 + g.next() % 60000) DPT=\(g.pick([104, 2575, 443, 22])) WINDOW=29200 RES=0x00 SYN URGP=0"
    }),
    ("fortigate", { g in
        "<189>date=2026-11-22 time=08:00:\(10 + g.next() % 50) devname=\"FG-HOSP-01\" devid=\"FGT60F0000000001\" eventtime=\(1_795_000_000_000_000_000 + g.next() % 1_000_000_000) tz=\"+0100\" logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" vd=\"root\" srcip=10.20.\(g.next() % 256).\(g.next() % 256) srcport=\(1024 + g.next() % 60000) srcintf=\"clinical\" dstip=203.0.113.\(g.next() % 256) dstport=443 dstintf=\"wan1\" policyid=\(g.next() % 40) proto=6 action=\"\(g.pick(["accept", "deny", "close"]))\" service=\"HTTPS\" sentbyte=\(g.next() % 90000) rcvdbyte=\(g.next() % 900000) user=\"\(g.pick(["jmiller", "akhan"]))\""
    }),
    ("cisco_asa", { g in
        g.pick([
            "<166>Nov 22 2026 08:00:\(10 + g.next() % 50) asa-fw-01 : %ASA-6-302013: Built inbound TCP connection \(g.next() % 999999) for outside:203.0.113.\(g.next() % 256)/\(1024 + g.next() % 60000) (203.0.113.9/51234) to inside:10.1.2.\(g.next() % 256)/104 (198.51.100.7/104)",
            "<164>Nov 22 2026 08:00:\(10 + g.next() % 50) asa-fw-01 : %ASA-4-106023: Deny tcp src outside:203.0.113.\(g.next() % 256)/\(1024 + g.next() % 60000) dst inside:10.1.2.\(g.next() % 256)/2575 by access-group \"OUTSIDE_IN\" [0x0, 0x0]",
            "<166>Nov 22 2026 08:00:\(10 + g.next() % 50) asa-fw-01 : %ASA-6-302014: Teardown TCP connection \(g.next() % 999999) for outside:203.0.113.9/51234 to inside:10.1.2.\(g.next() % 256)/104 duration 0:00:\(10 + g.next() % 50) bytes \(g.next() % 99999) TCP FINs",
        ])
    }),
    ("panos", { g in
        "<14>Nov 22 08:01:02 pa-fw01 1,2026/11/22 08:01:02,012801000001,TRAFFIC,end,2561,2026/11/22 08:01:02,10.20.\(g.next() % 256).\(g.next() % 256),203.0.113.\(g.next() % 256),198.51.100.7,203.0.113.50,Allow-Imaging-Out,hosp\\jmiller,,ssl,vsys1,clinical,untrust,ethernet1/2,ethernet1/1,Log-Forward,,\(g.next() % 99999),1,\(1024 + g.next() % 60000),443,37001,443,0x400000,tcp,allow,4861,1201,3660,18,2026/11/22 08:00:58,3,any"
    }),
    ("filterlog", { g in
        "<134>Nov 22 08:00:\(10 + g.next() % 50) filterlog[72237]: 146,,,1535324496,igb1.12,match,\(g.pick(["block", "pass"])),in,4,0x0,,63,\(g.next() % 65535),0,DF,6,tcp,60,10.170.12.\(g.next() % 256),1.1.1.\(g.next() % 256),\(1024 + g.next() % 60000),853,0,S,\(g.next() % 999999999),,64240,,mss;sackOK;TS;nop;wscale"
    }),
    ("cef", { g in
        "<13>Nov 22 08:00:\(10 + g.next() % 50) ids01 CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.\(g.next() % 256).\(g.next() % 256) dst=203.0.113.\(g.next() % 256) spt=\(1024 + g.next() % 60000) dpt=104 proto=TCP act=blocked suser=jmiller msg=Detected a threat. No action needed cs1Label=Ward cs1=ICU \(g.next() % 9)"
    }),
    ("leef", { g in
        "<13>Nov 22 08:00:\(10 + g.next() % 50) qradar LEEF:1.0|Lancope|StealthWatch|1.0|41|src=10.1.2.\(g.next() % 256)\tdst=203.0.113.\(g.next() % 256)\tsrcPort=\(1024 + g.next() % 60000)\tdstPort=104\tproto=6\tusrName=akhan\taction=blocked"
    }),
    ("kv", { g in
        "<134>Nov 22 08:09:00 sw01 id=firewall sn=0017C5 time=\"2026-11-22 08:09:00\" fw=198.51.100.1 pri=1 c=32 m=36 msg=\"TCP packet dropped\" n=\(g.next() % 9999) src=203.0.113.\(g.next() % 256) dst=10.1.2.\(g.next() % 256) sport=\(1024 + g.next() % 60000) dport=104 proto=tcp fw_action=\"drop\""
    }),
]

let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
let eventsPerSecond = BenchmarkMetric.custom("k events/s", polarity: .prefersLarger, useScalingFactor: false)

/// An ADT or ORU message of one of 2,000 patients, as an interface engine logs it (`\r` between segments).
func hl7Message(_ g: inout Synthetic.Generator, separator: String) -> String {
    let patient = 100_000 + g.next() % 2000
    let stamp = String(format: "202611%02d%02d%02d%02d", 1 + g.next() % 28, g.next() % 24, g.next() % 60, g.next() % 60)
    let control = g.next() % 99_999_999
    let names = ["DOE^JANE^Q", "ROE^RICHARD", "SMITH^ANNA^M", "NGUYEN^BAO", "GARCIA^LUIS^A"]
    let pid = "PID|1||\(patient)^^^GH^MR~\(900_000_000 + patient)^^^USSSA^SS||\(names[patient % 5])||19\(50 + patient % 50)0\(1 + patient % 9)1\(patient % 10)|\(patient % 2 == 0 ? "F" : "M")|||\(patient % 900) MAIN ST^^SPRINGFIELD^IL^62701||(217)555-\(1000 + patient % 9000)"
    if g.next() % 2 == 0 {
        return ["MSH|^~\\&|ADT|GH|EHR|GH|\(stamp)||ADT^A0\(1 + g.next() % 8)^ADT_A01|\(control)|P|2.5",
                "EVN|A01|\(stamp)|||u\(g.next() % 400)^CLERK^ANNE", pid,
                "PV1|1|\(["I", "O", "E"][g.next() % 3])|W\(g.next() % 9)^\(g.next() % 40)^\(g.next() % 4)^GH||||1234^HOUSE^GREGORY"]
            .joined(separator: separator) + "\n"
    }
    return ["MSH|^~\\&|LAB|GH|EHR|GH|\(stamp)-0500||ORU^R01^ORU_R01|\(control)|P|2.5.1", pid,
            "OBR|1|\(control)^EHR|\(control)^LAB|1554-5^GLUCOSE^LN|||\(stamp)",
            "OBX|1|NM|1554-5^GLUCOSE^LN||\(70 + g.next() % 150)|mg/dL|70-105|H|||F"]
        .joined(separator: separator) + "\n"
}

/// An IHE ATNA audit record (RFC 3881) inside RFC 5424, one line: patient record read by a clinician.
func atnaMessage(_ g: inout Synthetic.Generator) -> String {
    let patient = 100_000 + g.next() % 2000
    let users = ["jmiller", "rthompson", "akhan", "mgarcia", "svc_hl7"]
    return "<85>1 2026-11-22T08:\(10 + g.next() % 50):\(10 + g.next() % 50).\(100 + g.next() % 900)Z ehr-app0\(g.next() % 4) ehr-audit 4711 IHE+RFC-3881 - <?xml version=\"1.0\" encoding=\"UTF-8\"?><AuditMessage><EventIdentification EventActionCode=\"R\" EventDateTime=\"2026-11-22T08:00:00.000Z\" EventOutcomeIndicator=\"\(g.next() % 10 == 0 ? 4 : 0)\"><EventID code=\"110110\" codeSystemName=\"DCM\" displayName=\"Patient Record\"/><EventTypeCode code=\"ITI-\(g.next() % 60)\" codeSystemName=\"IHE Transactions\" displayName=\"Query\"/></EventIdentification><ActiveParticipant UserID=\"\(users[g.next() % 5])\" UserIsRequestor=\"true\" NetworkAccessPointID=\"10.30.\(g.next() % 256).\(g.next() % 256)\" NetworkAccessPointTypeCode=\"2\"><RoleIDCode code=\"110153\" codeSystemName=\"DCM\" displayName=\"Source\"/></ActiveParticipant><ActiveParticipant UserID=\"ehr\" UserIsRequestor=\"false\" NetworkAccessPointID=\"ehr-db01\" NetworkAccessPointTypeCode=\"1\"/><AuditSourceIdentification AuditSourceID=\"ehr-prod\"/><ParticipantObjectIdentification ParticipantObjectID=\"\(patient)^^^&amp;1.2.840.1&amp;ISO\" ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\"><ParticipantObjectIDTypeCode code=\"2\"/><ParticipantObjectName>DOE^JANE</ParticipantObjectName></ParticipantObjectIdentification></AuditMessage>\n"
}

let auditCorpora: [(String, @Sendable (inout Synthetic.Generator) -> String, String)] = [
    ("HL7 v2, one message per line", { hl7Message(&$0, separator: "\r") }, "hl7.v2"),
    ("HL7 v2, one segment per line", { hl7Message(&$0, separator: "\n") }, "hl7.v2"),
    ("ATNA in RFC 5424", { atnaMessage(&$0) }, "hl7.atna"),
]

func rates(_ benchmark: Benchmark, bytes: Int, events: Int, since start: ContinuousClock.Instant) {
    let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18
        + Double((ContinuousClock.now - start).components.seconds)
    benchmark.measurement(megabytesPerSecond, Int(Double(bytes) / 1e6 / seconds))
    benchmark.measurement(eventsPerSecond, Int(Double(events) / 1e3 / seconds))
}

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .mallocCountTotal, megabytesPerSecond, eventsPerSecond]
    let config = Benchmark.Configuration(metrics: metrics, warmupIterations: 1, maxDuration: .seconds(20),
                                         maxIterations: 10)

    for (name, path) in [("plain", \Corpus.plainPath), ("gzip", \Corpus.gzipPath)] {
        Benchmark("ingest+parse RFC 3164, \(name), 64 MiB", configuration: config) { benchmark in
            let corpus = Corpus.shared
            let parser = EventParser(options: ParseOptions(year: 2026))
            var chunk = Chunk()
            var batch = EventBatch()
            benchmark.startMeasurement()
            let start = ContinuousClock.now
            let events = ingestAndParse(corpus[keyPath: path], parser: parser, chunk: &chunk, batch: &batch)
            benchmark.stopMeasurement()
            precondition(events == corpus.lines)
            rates(benchmark, bytes: corpus.bytes, events: events, since: start)
        }
    }

    Benchmark("zlib inflate alone (C, baseline), 64 MiB", configuration: config) { benchmark in
        let corpus = Corpus.shared
        var out = [UInt8](repeating: 0, count: 1 << 20)
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        let n = corpus.compressed.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                zbaseline_gunzip_count(input.baseAddress, input.count, output.baseAddress, output.count)
            }
        }
        benchmark.stopMeasurement()
        precondition(Int(n) == corpus.bytes)
        rates(benchmark, bytes: corpus.bytes, events: corpus.lines, since: start)
    }

    // Matching alone, steady state: a parsed 1 MiB chunk against 1,000 generated rules (bundled
    // mappings route them). Mallocs here would be per-event work of the engine.
    Benchmark("match only, 1 MiB chunk, 1,000 rules, steady state", configuration: .init(
        metrics: [.wallClock, .mallocCountTotal, megabytesPerSecond, eventsPerSecond],
        warmupIterations: 2, maxDuration: .seconds(5), maxIterations: 200)) { benchmark in
        let text = Synthetic.corpus(bytes: 1 << 20)
        let chunk = Chunk(bytes: text, origin: ChunkOrigin(sourceIndex: 0, path: "bench", offset: 0, firstLine: 1,
                                                           referenceTime: 1_700_000_000))
        var batch = EventBatch()
        EventParser(options: ParseOptions(year: 2026)).parse(chunk, into: &batch)
        let mappings = MappingSet.load(directory: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Rules/mappings").path)
        var collection = RuleCollection()
        for rule in Synthetic.rules(count: 1000) {
            RuleLoader.load(yaml: rule.yaml, file: rule.name, options: RuleLoadOptions(mappings: mappings), into: &collection)
        }
        let engine = DetectionEngine(ruleSet: RuleSet(collection.rules))
        let scratch = EngineScratch(engine: engine)
        var hits = 0
        engine.match(batch, chunk: chunk, scratch: scratch) { _ in hits += 1 }  // warm the scratch
        precondition(hits > 0, "the firing rules should fire")
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        engine.match(batch, chunk: chunk, scratch: scratch) { _ in }
        benchmark.stopMeasurement()
        rates(benchmark, bytes: text.count, events: batch.events.count, since: start)
    }

    // Per firewall vendor: a 1 MiB chunk of that vendor's lines (syslog header included), parsed
    // again and again into the same batch.
    for (vendor, make) in firewallLines {
        Benchmark("parse firewall \(vendor), 1 MiB chunk", configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, megabytesPerSecond, eventsPerSecond],
            warmupIterations: 2, maxDuration: .seconds(3), maxIterations: 100)) { benchmark in
            var g = Synthetic.Generator(seed: 3)
            var text: [UInt8] = []
            while text.count < 1 << 20 { text += Array((make(&g) + "\n").utf8) }
            let chunk = Chunk(bytes: text, origin: ChunkOrigin(sourceIndex: 0, path: "bench", offset: 0, firstLine: 1,
                                                               referenceTime: 1_700_000_000))
            let parser = EventParser(options: ParseOptions(year: 2026))
            var batch = EventBatch()
            parser.parse(chunk, into: &batch)
            precondition(batch.events.allSatisfy { $0.dataset.name.hasPrefix("firewall.") }, "\(vendor) lines not recognised")
            benchmark.startMeasurement()
            let start = ContinuousClock.now
            parser.parse(chunk, into: &batch)
            benchmark.stopMeasurement()
            rates(benchmark, bytes: text.count, events: batch.events.count, since: start)
        }
    }

    // Hospital audit trails: a 1 MiB chunk of HL7 v2 messages (one per line, \r segments, 2,000
    // patients), of the same messages one segment per line, and of ATNA messages inside RFC 5424.
    for (name, make, dataset) in auditCorpora {
        Benchmark("parse \(name), 1 MiB chunk", configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, megabytesPerSecond, eventsPerSecond],
            warmupIterations: 2, maxDuration: .seconds(3), maxIterations: 100)) { benchmark in
            var g = Synthetic.Generator(seed: 5)
            var text: [UInt8] = []
            while text.count < 1 << 20 { text += Array(make(&g).utf8) }
            let chunk = Chunk(bytes: text, origin: ChunkOrigin(sourceIndex: 0, path: "bench", offset: 0, firstLine: 1,
                                                               referenceTime: 1_700_000_000))
            let key = PatientDataPolicy(key: Array("benchmark-pseudonym-key".utf8), keySource: "file")
            let parser = EventParser(options: ParseOptions(year: 2026, patientData: key))
            var batch = EventBatch()
            parser.parse(chunk, into: &batch)  // grow the batch and fill the pseudonym cache once
            precondition(batch.events.allSatisfy { $0.dataset.name == dataset }, "\(name): not all \(dataset)")
            benchmark.startMeasurement()
            let start = ContinuousClock.now
            parser.parse(chunk, into: &batch)
            benchmark.stopMeasurement()
            rates(benchmark, bytes: text.count, events: batch.events.count, since: start)
        }
    }

    // Steady state: the same 1 MiB chunk parsed again and again into the same batch. Any malloc here
    // would be per-event or per-chunk work that should not exist.
    Benchmark("parse only, 1 MiB chunk, steady state", configuration: .init(
        metrics: [.wallClock, .mallocCountTotal, megabytesPerSecond, eventsPerSecond],
        warmupIterations: 2, maxDuration: .seconds(5), maxIterations: 200)) { benchmark in
        let text = Array(makeCorpus(bytes: 1 << 20))
        let chunk = Chunk(bytes: text, origin: ChunkOrigin(sourceIndex: 0, path: "bench", offset: 0, firstLine: 1,
                                                           referenceTime: 1_700_000_000))
        let parser = EventParser(options: ParseOptions(year: 2026))
        var batch = EventBatch()
        parser.parse(chunk, into: &batch)  // grow the batch once
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        parser.parse(chunk, into: &batch)
        benchmark.stopMeasurement()
        precondition(batch.events.count == chunk.recordCount)
        rates(benchmark, bytes: text.count, events: batch.events.count, since: start)
    }
}
