import Foundation
import Testing
import WardCore
import WardDetect
import WardIngest
import WardOutput
import WardParse
import WardPipeline
import WardRules
import WardTestSupport

/// Reads bytes with random-sized reads, as a pipe delivers them (seeded).
struct RandomReadSource: ByteSource {
    let bytes: [UInt8]
    var position = 0
    var generator: SeededGenerator

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(IngestError) -> Int {
        let n = min(buffer.count, bytes.count - position, Int.random(in: 1...4096, using: &generator))
        guard n > 0 else { return 0 }
        let start = position
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: n) }
        position += n
        return n
    }
}


enum Framed {
    static let key = PatientDataPolicy(key: Array("wardwatch-framing-test-key".utf8), keySource: "file")
    static let parser = EventParser(options: ParseOptions(year: 2026, patientData: key))

    /// Every event of the chunks, as `parse` writes them.
    static func events(_ chunks: [Chunk]) -> String {
        var out = JSONWriter()
        var batch = EventBatch()
        for chunk in chunks {
            parser.parse(chunk, into: &batch)
            EventEncoder().encode(batch, chunk: chunk, to: &out)
        }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    static func chunks<S: ByteSource>(_ source: S, chunkSize: Int, eager: Bool = false, lineLimit: Int = 1 << 20,
                                      recordLimit: Int = 16 << 20) -> [Chunk] {
        var chunker = RecordChunker(source: source, path: "input.log", referenceTime: 1_796_000_000,
                                    framing: parser.framing, chunkSize: chunkSize, lineLimit: lineLimit,
                                    recordLimit: recordLimit, eager: eager)
        return try! chunker.readAll()
    }

    /// The sample inputs: SampleLogs and the hospital, syslog and firewall samples of `../shared`.
    static func inputs() throws -> [URL] {
        var urls: [URL] = []
        let roots = [Paths.root.appendingPathComponent("SampleLogs")]
            + ["hl7v2_hapi", "hl7v2_python-hl7", "atna_openhim", "fhir_auditevent", "syslog_vectors",
               "elastic_integrations/packages/cisco_asa", "elastic_integrations/packages/iptables",
               "elastic_integrations/packages/fortinet_fortigate", "elastic_integrations/packages/pfsense"].map(Paths.sample)
        for root in roots {
            guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                let name = url.lastPathComponent
                if name.hasSuffix(".md") || name == "LICENSE" || name.hasSuffix(".json") && name.contains("expected") { continue }
                urls.append(url)
            }
        }
        return urls.sorted { $0.path < $1.path }
    }
}

@Suite struct FramingInvarianceTests {
    /// The ATNA split of the pipeline issue: a chunk boundary inside a multi-line record (a comment
    /// line, an MLLP frame, a segment per line) or a pipe that delivers a message in pieces must not
    /// change a single event. Every sample, cut at chunk sizes 1…64 bytes, at 48 seeded sizes up to
    /// the whole file, and read through random-sized reads.
    @Test(.needsShared) func eventsDoNotDependOnChunkSizesOrReads() throws {
        let inputs = try Framed.inputs()
        #expect(inputs.count > 60, "\(inputs.count) sample files found; is ../shared there?")
        var generator = SeededGenerator(seed: 42)
        var compared = 0
        for url in inputs {
            var bytes = Array(try Data(contentsOf: url))
            if bytes.count > 256 << 10 { bytes = Array(bytes.prefix(256 << 10)) }
            if bytes.starts(with: [0x1F, 0x8B]) { continue }  // gzip copies: their plain files are here too
            let whole = Framed.events([Chunk(bytes: bytes, origin: ChunkOrigin(sourceIndex: 0, path: "input.log", offset: 0,
                                                                              firstLine: 1, referenceTime: 1_796_000_000),
                                             framing: Framed.parser.framing)])
            var sizes = Array(1...64)
            for _ in 0..<48 { sizes.append(Int.random(in: 1...max(1, bytes.count), using: &generator)) }
            sizes.append(bytes.count + 1)
            for size in sizes {
                let cut = Framed.events(Framed.chunks(MemorySource(bytes), chunkSize: size))
                #expect(cut == whole, "\(url.lastPathComponent) cut into chunks of \(size) bytes")
                compared += 1
                if cut != whole { break }
            }
            for seed in 1...3 {
                let piped = Framed.events(Framed.chunks(RandomReadSource(bytes: bytes, generator: SeededGenerator(seed: UInt64(seed))),
                                                        chunkSize: 1 << 20, eager: true))
                #expect(piped == whole, "\(url.lastPathComponent) through a pipe (seed \(seed))")
            }
        }
        #expect(compared > 5_000)
    }

    /// The same for alerts, correlations included: SampleLogs' golden alerts whatever the chunk size
    /// and thread count.
    @Test func alertsDoNotDependOnChunkSizes() throws {
        let collection = RuleLoader.load(paths: [Paths.root.appendingPathComponent("Rules").path],
                                         options: RuleLoadOptions(mappings: MappingSet.load(directory: Paths.root.appendingPathComponent("Rules/mappings").path)))
        let ruleSet = RuleSet(collection.rules)
        let engine = DetectionEngine(ruleSet: ruleSet, resolver: HL7PathResolver())
        func alerts(chunkSize: Int, threads: Int) throws -> String {
            let dir = try Paths.temporaryDirectory()
            let out = dir.appendingPathComponent("alerts.jsonl")
            let (inputs, errors) = PipelineInput.files([Paths.root.appendingPathComponent("SampleLogs").path],
                                                       options: IngestOptions(framing: Framed.parser.framing))
            #expect(errors.isEmpty)
            var configuration = PipelineConfiguration(inputs: inputs, parser: Framed.parser, engine: engine,
                                                      encoding: .alerts(AlertEncoder(ruleSet: ruleSet)),
                                                      sinks: try AlertSinks(output: out.path), threads: threads)
            configuration.chunkSize = chunkSize
            configuration.order = .eventTime
            let stages = try DetectionStages(rules: ruleSet.rules.map(\.rule), correlations: collection.correlations, suppress: [],
                                             names: SourceNames(inputs.map(\.name)), settings: CorrelationSettings())
            stages.install(in: &configuration)
            let report = Pipeline(configuration).run()
            configuration.sinks?.close()
            #expect(report.outputError == nil && !report.inputFailed)
            return try String(contentsOf: out, encoding: .utf8)
        }
        let reference = try alerts(chunkSize: 1 << 20, threads: 1)
        #expect(reference.split(separator: "\n").count == 52)
        #expect(reference.split(separator: "\n").filter { $0.contains("\"correlation.type\"") }.count == 20)
        for (size, threads) in [(1, 1), (7, 2), (100, 4), (4096, 3)] {
            #expect(try alerts(chunkSize: size, threads: threads) == reference, "chunks of \(size), \(threads) threads")
        }
    }
}
