import WardCore
import WardDetect
import WardIngest
import WardParse
import WardRules

/// Stage-by-stage timings for `wardwatch bench`: chunking, parsing and matching on one thread, then
/// the whole pipeline (parse, match and the merge, output dropped) on 1…N threads.
public enum PipelineBenchmark {
    public struct StageTimes: Sendable {
        public var chunks: [Chunk]
        public var ingest: Duration
        public var parse: Duration
        public var match: Duration
        public var events: Int
        public var matches: Int
        /// The prefilter's counts over the match stage.
        public var prefilter: PrefilterCounts
    }

    /// Chunks `corpus` as a file would be, then parses and matches every chunk on this thread.
    /// - Parameter path: the corpus's name as an input (site formats select inputs by path).
    public static func stages(corpus: [UInt8], path: String = "bench", parser: EventParser, engine: DetectionEngine,
                              referenceTime: Int64 = 1_796_000_000) -> StageTimes {
        let clock = ContinuousClock()
        let options = IngestOptions(framing: parser.framing)
        var chunks: [Chunk] = []
        let ingest = clock.measure {
            chunks = MemoryRecordSource.chunks(of: corpus, path: path, options: options, referenceTime: referenceTime)
        }
        var batch = EventBatch()
        var events = 0
        let parse = clock.measure {
            for c in chunks {
                parser.parse(c, into: &batch)
                events += batch.events.count
            }
        }
        let scratch = EngineScratch(engine: engine)
        var match: Duration = .zero
        var matches = 0
        for c in chunks {
            parser.parse(c, into: &batch)
            match += clock.measure { engine.match(batch, chunk: c, scratch: scratch) { _ in matches += 1 } }
        }
        return StageTimes(chunks: chunks, ingest: ingest, parse: parse, match: match, events: events, matches: matches,
                          prefilter: scratch.prefilter)
    }

    /// Runs the chunks through the pipeline on `threads` workers; returns the time and the matches.
    public static func pipeline(chunks: [Chunk], parser: EventParser, engine: DetectionEngine, threads: Int)
        -> (Duration, Int)
    {
        let source = MemoryRecordSource(chunks)
        let input = PipelineInput(name: "bench") { _, _ in source }
        let configuration = PipelineConfiguration(inputs: [input], parser: parser, engine: engine, encoding: .none,
                                                  sinks: nil, threads: threads)
        var report: PipelineReport?
        let time = ContinuousClock().measure { report = Pipeline(configuration).run() }
        return (time, report!.statistics.outputs)
    }
}
