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
// from the page cache through the real path `wardwatch parse` uses (InputReader → LineChunker on a
// PrefetchingReader thread → EventParser), without JSON output.

/// A day of a hospital's /var/log/auth.log-like traffic: RFC 3164 without PRI, as /var/log holds it.
/// Addresses, ports, users, PIDs and key fingerprints vary (a xorshift generator, fixed seed) so that
/// the corpus compresses like real logs (gzip -6 ratio about 6×; a repetitive corpus would make
/// zlib look 3× faster than it is on real archives).
func makeCorpus(bytes target: Int) -> [UInt8] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(truncatingIfNeeded: state >> 1)
    }
    func pick<T>(_ items: [T]) -> T { items[next() % items.count] }
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

let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
let eventsPerSecond = BenchmarkMetric.custom("k events/s", polarity: .prefersLarger, useScalingFactor: false)

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

    Benchmark("ingest+parse RFC 3164, plain, 64 MiB", configuration: config) { benchmark in
        let corpus = Corpus.shared
        let parser = EventParser(options: ParseOptions(year: 2026))
        var chunk = Chunk()
        var batch = EventBatch()
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        let events = ingestAndParse(corpus.plainPath, parser: parser, chunk: &chunk, batch: &batch)
        benchmark.stopMeasurement()
        precondition(events == corpus.lines)
        rates(benchmark, bytes: corpus.bytes, events: events, since: start)
    }

    Benchmark("ingest+parse RFC 3164, gzip, 64 MiB", configuration: config) { benchmark in
        let corpus = Corpus.shared
        let parser = EventParser(options: ParseOptions(year: 2026))
        var chunk = Chunk()
        var batch = EventBatch()
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        let events = ingestAndParse(corpus.gzipPath, parser: parser, chunk: &chunk, batch: &batch)
        benchmark.stopMeasurement()
        precondition(events == corpus.lines)
        rates(benchmark, bytes: corpus.bytes, events: events, since: start)
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
        precondition(batch.events.count == chunk.lineCount)
        rates(benchmark, bytes: text.count, events: batch.events.count, since: start)
    }
}
