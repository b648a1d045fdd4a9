import Foundation
import Synchronization
import Testing
import WardCore
import WardDetect
import WardIngest
import WardOutput
import WardParse
import WardPipeline
import WardRules
import WardTestSupport

/// Runs `parse`-style (every event out) or `scan`-style pipelines over files and returns the output.
struct Run {
    var output: String
    var report: PipelineReport
    var diagnostics: [String]
    var commits: [SourceCursor]
    /// The output file's size at each commit.
    var sizes: [Int64]
}

final class Collected: @unchecked Sendable {
    let lock = NSLock()
    var commits: [SourceCursor] = []
    var sizes: [Int64] = []
}

func runPipeline(_ paths: [String], order: InputOrder, threads: Int = 2, engine: DetectionEngine? = nil,
                 encoding: PipelineEncoding = .events(EventEncoder()), stages: [any OrderedStage] = [],
                 reorderWindow: Int64 = 60_000_000_000, lineLimit: Int = 1 << 20, recordLimit: Int = 16 << 20,
                 extraInputs: [PipelineInput] = [], mergeMemory: Int = 256 << 20) throws -> Run {
    let dir = try Paths.temporaryDirectory()
    let out = dir.appendingPathComponent("out.jsonl")
    let parser = Framed.parser
    let (inputs, errors) = PipelineInput.files(paths, options: IngestOptions(lineLimit: lineLimit, recordLimit: recordLimit,
                                                                             framing: parser.framing))
    #expect(errors.isEmpty)
    let sinks = try AlertSinks(output: out.path)
    var configuration = PipelineConfiguration(inputs: inputs + extraInputs, parser: parser, engine: engine, encoding: encoding,
                                              sinks: sinks, threads: threads)
    configuration.order = order
    configuration.reorderWindow = reorderWindow
    configuration.mergeMemory = mergeMemory
    configuration.stages = stages
    var diagnostics: [String] = []
    configuration.onDiagnostic = { diagnostics.append($0.message) }
    let collected = Collected()
    let path = out.path
    configuration.onCommit = { cursor in
        var st = stat()
        stat(path, &st)
        collected.lock.lock()
        collected.commits.append(cursor)
        collected.sizes.append(Int64(st.st_size))
        collected.lock.unlock()
    }
    let report = Pipeline(configuration).run()
    sinks.close()
    return Run(output: try String(contentsOf: out, encoding: .utf8), report: report, diagnostics: diagnostics,
               commits: collected.commits, sizes: collected.sizes)
}

func field(_ line: Substring, _ name: String) -> Any? {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?[name]
}

@Suite struct RecordLimitTests {
    /// An HL7 message written one segment per line, 100,000 OBX segments (about 5 MB): one event.
    @Test func aMessageLargerThanAChunkIsOneEvent() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("big.hl7")
        var text = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261122081500||ORU^R01|MSG0001|P|2.5\nPID|1||123456^^^HOSP^MR||DOE^JANE||19800101|F\n"
        for i in 1...100_000 { text += "OBX|\(i)|NM|2345-7^GLUCOSE^LN||\(90 + i % 50)|mg/dL|70-110|N|||F\n" }
        try Data(text.utf8).write(to: file)
        #expect(text.utf8.count > 4_000_000)
        let run = try runPipeline([file.path], order: .input)
        let lines = run.output.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(field(lines[0], "event.dataset") as? String == "hl7.v2")
        #expect(field(lines[0], "log.flags") == nil)
        #expect(!run.output.contains("DOE") && !run.output.contains("123456"))
        #expect(!run.report.inputFailed && run.diagnostics.isEmpty)

        // Over the record limit: cut, flagged, reported; the rest of it skipped, nothing unredacted.
        let cut = try runPipeline([file.path], order: .input, recordLimit: 1 << 20)
        let cutLines = cut.output.split(separator: "\n")
        #expect(cutLines.count == 1)
        #expect(field(cutLines[0], "event.dataset") as? String == "hl7.v2")
        #expect(field(cutLines[0], "log.flags") as? [String] == ["truncated"])
        #expect(!cut.output.contains("DOE") && !cut.output.contains("123456"))
        #expect(cut.report.inputFailed && cut.report.statistics.cutRecords == 1)
        #expect(cut.diagnostics.count == 1 && cut.diagnostics[0].hasPrefix("\(file.path): line 1 (byte 0): record longer than the record limit cut to "))
        #expect(cut.diagnostics[0].hasSuffix(" bytes, the rest of it skipped; raise --max-record-bytes to keep it whole."))
        #expect(cut.report.statistics.events == 1)
    }

    /// A line after a cut record starts a record of its own.
    @Test func theRecordAfterACutOneIsIntact() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("two.hl7")
        var text = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261122081500||ORU^R01|MSG0001|P|2.5\n"
        for i in 1...2_000 { text += "OBX|\(i)|NM|2345-7^GLUCOSE^LN||\(i)|mg/dL\n" }
        let last = "Nov 22 08:16:00 ehr-app01 sshd[1]: Accepted publickey for jmiller from 10.1.1.1 port 22 ssh2\n"
        text += last
        try Data(text.utf8).write(to: file)
        let run = try runPipeline([file.path], order: .input, lineLimit: 1024, recordLimit: 4096)
        let lines = run.output.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(field(lines[1], "event.dataset") as? String == "syslog.rfc3164")
        #expect(field(lines[1], "log.offset") as? Int == text.utf8.count - last.utf8.count)
        #expect(run.report.statistics.cutRecords == 1)
    }
}

@Suite struct EventTimeMergeTests {
    static func syslog(_ seconds: Int, host: String, text: String) -> String {
        let h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60
        return "Nov 22 \(h < 10 ? "0" : "")\(h):\(m < 10 ? "0" : "")\(m):\(s < 10 ? "0" : "")\(s) \(host) app[1]: \(text)\n"
    }

    /// 1,000 small files whose events interleave in time: output in time order, memory bounded.
    @Test func aThousandFilesMergeInTimeOrder() throws {
        let dir = try Paths.temporaryDirectory()
        var expected: [(Int, Int, Int)] = []
        for f in 0..<1000 {
            var text = ""
            for k in 0..<3 {
                let t = 3600 + k * 1000 + (f * 7919) % 1000
                text += Self.syslog(t, host: "host\(f)", text: "event \(k) of file \(f)")
                expected.append((t, f, k))
            }
            try Data(text.utf8).write(to: dir.appendingPathComponent(String(format: "f%04d.log", f)))
        }
        let run = try runPipeline([dir.path], order: .eventTime, threads: 2)
        let messages = run.output.split(separator: "\n").map { field($0, "message") as! String }
        expected.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        #expect(messages == expected.map { "event \($0.2) of file \($0.1)" })
        #expect(run.report.statistics.files == 1000)
        // Every file committed to its end.
        #expect(run.commits.filter { $0.offset > 0 }.count >= 1000)
    }

    /// One line from a clock that jumped ahead (a year later), then 40,000 lines of the right day: all
    /// of those are late behind it. The merge must not hold the input in memory to its end waiting for
    /// time to pass the jump: a match waits at most a budget of its input's bytes (1 MiB here), so
    /// results are written and committed as the input is read, and the output does not depend on threads.
    @Test func aClockThatJumpedAheadDoesNotHoldTheRestOfTheInput() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("jump.log")
        var text = "<13>1 2027-11-22T08:00:00Z ehr-app01 app 1 - - from the future\n"
        for i in 0..<40_000 { text += Self.syslog(28_800 + i / 10, host: "ehr-app01", text: "event \(i) padded to about a hundred bytes ..........") }
        try Data(text.utf8).write(to: file)
        // A merge budget of 1 MiB: a match waits for at most 1 MiB of its input.
        let run = try runPipeline([file.path], order: .eventTime, threads: 2, mergeMemory: 1 << 20)
        #expect(run.output.split(separator: "\n").count == 40_001)
        // Committed along the way (the input's first chunks were done while less than half the output
        // was written), not all at the end behind the one match that waited.
        let final = Int64(run.output.utf8.count)
        let early = zip(run.commits, run.sizes).filter { $0.0.offset > 0 && $0.1 < final / 2 }
        #expect(!early.isEmpty)
        #expect(run.report.statistics.lateEvents > 30_000)
        let four = try runPipeline([file.path], order: .eventTime, threads: 4, mergeMemory: 1 << 20)
        #expect(four.output == run.output)
    }

    /// Lines up to 30 s out of order inside one file come out in order; a line later than the reorder
    /// window is put at the window's edge (the newest time before it minus the window) and counted.
    @Test func outOfOrderLinesInsideAFileAreReordered() throws {
        let dir = try Paths.temporaryDirectory()
        var generator = SeededGenerator(seed: 7)
        var text = ""
        var times: [Int] = []
        for i in 0..<20_000 {
            let t = 10_000 + i - Int.random(in: 0...30, using: &generator)
            times.append(t)
            text += Self.syslog(t, host: "ehr-app01", text: "line \(i)")
        }
        let file = dir.appendingPathComponent("jitter.log")
        try Data(text.utf8).write(to: file)
        let other = dir.appendingPathComponent("other.log")
        try Data((0..<100).map { Self.syslog(10_000 + $0 * 200, host: "ehr-app02", text: "other \($0)") }.joined().utf8).write(to: other)
        for threads in [1, 3] {
            let run = try runPipeline([file.path, other.path], order: .eventTime, threads: threads)
            let stamps = run.output.split(separator: "\n").map { field($0, "@timestamp") as! String }
            #expect(stamps.count == 20_100)
            #expect(stamps == stamps.sorted(), "threads \(threads)")
            #expect(run.report.statistics.lateEvents == 0)
        }
        // 90 s late: more than the window.
        let late = dir.appendingPathComponent("late.log")
        try Data((Self.syslog(5000, host: "a", text: "first") + Self.syslog(5200, host: "a", text: "second")
                  + Self.syslog(5100, host: "a", text: "late") + Self.syslog(5201, host: "a", text: "third")).utf8).write(to: late)
        let run = try runPipeline([late.path], order: .eventTime, reorderWindow: 60_000_000_000)
        #expect(run.output.split(separator: "\n").map { field($0, "message") as! String } == ["first", "late", "second", "third"])
        #expect(run.report.statistics.lateEvents == 1)
    }

    /// A multi-MB, multi-file input (plain and gzip): byte-identical for 1 and 4 threads, both orders.
    @Test func outputIsTheSameForAnyThreadCount() throws {
        let dir = try Paths.temporaryDirectory()
        let corpus = Synthetic.corpus(bytes: 6 << 20, seed: 3)
        let third = corpus.count / 3
        var cuts = [0]
        for k in 1...2 { cuts.append(corpus[(k * third)...].firstIndex(of: 0x0A)! + 1) }
        cuts.append(corpus.count)
        for k in 0..<3 {
            let part = Array(corpus[cuts[k]..<cuts[k + 1]])
            try Data(k == 1 ? gzipMember(part) : part).write(to: dir.appendingPathComponent("part\(k).log"))
        }
        let options = RuleLoadOptions(mappings: MappingSet.load(directory: Paths.root.appendingPathComponent("Rules/mappings").path))
        var collection = RuleLoader.load(paths: [], options: options)
        for rule in Synthetic.rules(count: 200) { RuleLoader.load(yaml: rule.yaml, file: rule.name, options: options, into: &collection) }
        let ruleSet = RuleSet(collection.rules)
        let engine = DetectionEngine(ruleSet: ruleSet)
        for order in InputOrder.allCases {
            let one = try runPipeline([dir.path], order: order, threads: 1, engine: engine,
                                      encoding: .alerts(AlertEncoder(ruleSet: ruleSet)))
            let four = try runPipeline([dir.path], order: order, threads: 4, engine: engine,
                                       encoding: .alerts(AlertEncoder(ruleSet: ruleSet)))
            #expect(one.output.split(separator: "\n").count > 10_000)
            #expect(one.output == four.output, "order \(order)")
        }
    }
}

/// Drops every other match and adds a record after every fourth: the chain sees matches in order.
final class EveryOtherStage: OrderedStage {
    var seen = 0
    var finished = false
    func process(_ item: StageItem, emit: (StageItem) -> Void) {
        seen += 1
        if seen % 2 == 1 { emit(item) }
        if seen % 4 == 0 { emit(.record(StageRecord(rule: Match.noRule, timestamp: 0, bytes: Array("{\"stage\":\(seen)}\n".utf8)))) }
    }
    func finish(emit: (StageItem) -> Void) {
        finished = true
        emit(.record(StageRecord(rule: Match.noRule, timestamp: 0, bytes: Array("{\"stage\":\"end\"}\n".utf8))))
    }
}

/// Fails after two chunks.
final class FailingSource: RecordSource, @unchecked Sendable {
    var served = 0
    func next(into chunk: inout Chunk, wait: Bool) throws(IngestError) -> Bool? {
        if served == 2 { throw IngestError(code: .readFailed, path: "failing.log", offset: 42, message: "read failed: Input/output error.") }
        served += 1
        chunk = Chunk(bytes: Array("Nov 22 08:00:0\(served) h app: chunk \(served)\n".utf8),
                      origin: ChunkOrigin(sourceIndex: 1, path: "failing.log", offset: Int64(served * 100), firstLine: Int64(served),
                                          referenceTime: 1_796_000_000))
        return true
    }
    var notice: IngestNotice? { nil }
    func commit(_ cursor: SourceCursor) {}
    func interrupt() {}
    func close() {}
}

@Suite struct StageAndCommitTests {
    @Test func orderedStagesDropAndAddInOrder() throws {
        let stage = EveryOtherStage()
        let file = Paths.root.appendingPathComponent("SampleLogs/linux/auth.log").path
        let plain = try runPipeline([file], order: .input)
        let run = try runPipeline([file], order: .input, stages: [stage])
        let all = plain.output.split(separator: "\n")
        var expected: [String] = []
        for (i, line) in all.enumerated() {
            if i % 2 == 0 { expected.append(String(line)) }
            if (i + 1) % 4 == 0 { expected.append("{\"stage\":\(i + 1)}") }
        }
        expected.append("{\"stage\":\"end\"}")
        #expect(run.output.split(separator: "\n").map(String.init) == expected)
        #expect(stage.finished)
    }

    /// A cursor is committed only once the output before it is written: at each commit, the output
    /// file already holds every event that starts before the cursor.
    @Test func cursorsAreCommittedAfterTheirOutputIsWritten() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("auth.log")
        let text = Synthetic.corpus(bytes: 3 << 20, seed: 5)
        try Data(text).write(to: file)
        let run = try runPipeline([file.path], order: .input, threads: 2)
        let lines = run.output.split(separator: "\n")
        let offsets = lines.map { field($0, "log.offset") as! Int }
        var lengths: [Int] = []
        var total = 0
        for line in lines {
            total += line.utf8.count + 1
            lengths.append(total)
        }
        #expect(run.commits.count >= 3)
        #expect(run.commits.map(\.offset) == run.commits.map(\.offset).sorted())
        #expect(run.commits.last?.offset == Int64(text.count))
        for (cursor, size) in zip(run.commits, run.sizes) {
            let needed = offsets.firstIndex { Int64($0) >= cursor.offset }.map { $0 == 0 ? 0 : lengths[$0 - 1] } ?? total
            #expect(size >= Int64(needed), "commit at \(cursor.offset) before its output was written")
        }
    }

    /// An input that fails half-way: the chunks before the failure are written, the error reported.
    @Test func aFailingInputKeepsWhatCameBeforeAndIsReported() throws {
        let failing = FailingSource()
        let file = Paths.root.appendingPathComponent("SampleLogs/linux/messages").path
        for order in InputOrder.allCases {
            failing.served = 0
            let run = try runPipeline([file], order: order, threads: 2,
                                      extraInputs: [PipelineInput(name: "failing.log") { _, _ in failing }])
            #expect(run.output.contains("chunk 1") && run.output.contains("chunk 2"))
            #expect(run.report.inputFailed && run.report.statistics.inputErrors == 1)
            #expect(run.diagnostics.contains { $0.contains("failing.log") && $0.contains("read failed") })
        }
    }
}
