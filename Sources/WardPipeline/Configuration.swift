import WardCore
import WardDetect
import WardIngest
import WardOutput
import WardParse

/// In which order output leaves the pipeline when there are several inputs.
public enum InputOrder: String, Sendable, CaseIterable {
    /// Input after input, each in its own order (`scan a b`: all of `a`, then all of `b`).
    case input
    /// Merged by event time across inputs, within each input too up to the reorder window.
    case eventTime = "event-time"
}

/// How the pipeline wants a source to read: set from the window size and, when inputs are merged,
/// from the memory they share.
public struct SourceSettings: Sendable {
    public var chunkSize: Int
    /// Chunks to read ahead of the consumer.
    public var readAhead: Int
}

/// One input: opened when the pipeline first needs it.
public struct PipelineInput: Sendable {
    /// The name used in messages (the path as given, `-` for stdin).
    public var name: String
    /// Opens the source; `index` is its place in the input list.
    public var open: @Sendable (_ index: Int, _ settings: SourceSettings) throws(IngestError) -> any RecordSource

    public init(name: String,
                open: @escaping @Sendable (_ index: Int, _ settings: SourceSettings) throws(IngestError) -> any RecordSource) {
        self.name = name
        self.open = open
    }

    /// A file or stdin, plain or gzip, read ahead on a thread of its own.
    public static func file(_ file: InputFile, options: IngestOptions) -> PipelineInput {
        PipelineInput(name: file.path) { index, settings throws(IngestError) in
            var o = options
            o.chunkSize = settings.chunkSize
            return PrefetchingReader(try InputReader.open(file, index: index, options: o), depth: settings.readAhead)
        }
    }
}

/// A consistent checkpoint of a live run: the stages' state (`capture`, on the pipeline's thread
/// after a drain, when the stages have seen exactly the records whose cursors are committed so far —
/// in input order) travels with the batch of output it follows, and `write` gets it on the writer's
/// thread once that output is written and the cursors before it committed. So a checkpoint never
/// names a record whose alerts were not written, and its state never counts a record it does not name.
public struct PipelineCheckpoint {
    public var interval: Duration
    public var capture: () -> any Sendable
    public var write: @Sendable (any Sendable) -> Void

    public init(interval: Duration, capture: @escaping () -> any Sendable, write: @escaping @Sendable (any Sendable) -> Void) {
        self.interval = interval
        self.capture = capture
        self.write = write
    }
}

/// What is written for each match.
public enum PipelineEncoding: Sendable {
    /// One alert per match (JSON line or pretty text); one sink per level when the sinks are per level.
    case alerts(AlertEncoder)
    /// Every event, as `parse` prints it (no rules).
    case events(EventEncoder)
    /// Nothing: matches are only counted (benchmarks).
    case none
}

/// A problem the run reports to the operator, with its place.
public struct PipelineDiagnostic: Sendable, CustomStringConvertible {
    public enum Severity: Sendable { case error, warning }
    public var severity: Severity
    public var message: String
    public var description: String { message }
}

/// Everything a run needs: what to read, how to parse and match, where output goes.
public struct PipelineConfiguration {
    public var inputs: [PipelineInput]
    public var parser: EventParser
    /// `nil`: every event is output (``PipelineEncoding/events(_:)``).
    public var engine: DetectionEngine?
    public var encoding: PipelineEncoding
    /// `nil`: output is dropped (benchmarks).
    public var sinks: AlertSinks?
    /// Stateless filters, run on the workers before encoding.
    public var filters: [any MatchFilter] = []
    /// Stages after the ordered merge, in order.
    public var stages: [any OrderedStage] = []
    /// What the workers carry to the stages per rule (field values, silent matches); `nil`: nothing.
    public var annotations: MatchAnnotations?
    /// Rules the stages count alerts for after the detection rules (correlations), for
    /// ``RunStatistics/alertsByRule``.
    public var stageRules = 0
    public var threads: Int
    public var order: InputOrder = .input
    /// Events up to this much older than the newest event seen before them in their input are put in
    /// order; older ones are placed at that edge (counted as late). Nanoseconds.
    public var reorderWindow: Int64 = 60_000_000_000
    /// Chunk size for reading; with several inputs merged by event time it is lowered so that all
    /// inputs' read-ahead fits ``mergeMemory``.
    public var chunkSize: Int = 1 << 20
    /// Bytes the read-ahead of all inputs merged by event time may take together.
    public var mergeMemory: Int = 256 << 20
    /// Called, on the writer's thread, with each source's cursor once everything before it is written
    /// (after the source's own ``RecordSource/commit(_:)``).
    public var onCommit: (@Sendable (SourceCursor) -> Void)?
    /// A checkpoint of the run: taken at most every interval while records are committed, and at the end.
    public var checkpoint: PipelineCheckpoint?
    /// Called for every problem, in input order.
    public var onDiagnostic: (PipelineDiagnostic) -> Void = { _ in }
    /// Called after each window of chunks, with the counts so far (a progress line).
    public var onProgress: ((RunStatistics) -> Void)?
    public var stop: StopController?
    /// Whether the run closes its sources at its end; `false` hands them on to a next run (a live
    /// command reloading its rules).
    public var closesSources = true

    public init(inputs: [PipelineInput], parser: EventParser, engine: DetectionEngine?, encoding: PipelineEncoding,
                sinks: AlertSinks?, threads: Int) {
        self.inputs = inputs
        self.parser = parser
        self.engine = engine
        self.encoding = encoding
        self.sinks = sinks
        self.threads = max(1, threads)
    }
}

/// Counts of a run.
public struct RunStatistics: Sendable {
    /// Inputs opened.
    public var files = 0
    public var bytes: Int64 = 0
    public var events = 0
    public var eventsByDataset = [Int](repeating: 0, count: 64)
    /// Per input (its path, or a sender's address), lines no parser accepted.
    public var unparsedByInput: [String: Int] = [:]
    /// Per rule, alerts written (after filters and stages).
    public var alertsByRule: [Int]
    public var alerts = 0
    /// Outputs written (alerts, events, or records made by stages).
    public var outputs = 0
    /// Records cut at the line or record limit.
    public var cutRecords = 0
    /// Inputs that could not be opened or read to their end.
    public var inputErrors = 0
    /// Events more than the reorder window older than the newest event before them in their input.
    public var lateEvents = 0
    /// Matches that filters dropped.
    public var filtered = 0
    /// Alerts whose bytes reached the output (less than ``alerts`` when writing failed).
    public var alertsWritten = 0
    /// Rule evaluations that met a regular-expression search PCRE2 gave up on, and their rules.
    public var evaluationErrors = 0
    public var evaluationErrorRules = Set<Int32>()
    /// Earliest and latest event time seen (UTC nanoseconds), if any.
    public var firstEventTime: Int64?
    public var lastEventTime: Int64?

    /// Per rule, the earliest and latest event time of its alerts (`Int64.max`/`.min`: none timed).
    public var firstAlertTime: [Int64]
    public var lastAlertTime: [Int64]

    public init(rules: Int) {
        alertsByRule = [Int](repeating: 0, count: rules)
        firstAlertTime = [Int64](repeating: .max, count: rules)
        lastAlertTime = [Int64](repeating: .min, count: rules)
    }
}

/// How a run ended.
public struct PipelineReport: Sendable {
    public var statistics: RunStatistics
    /// The output failed (the write's error); the run stopped there.
    public var outputError: String?
    /// The signal that stopped the run, if one did.
    public var signal: Int32?
    /// Some input could not be read whole (missing file, corrupt gzip, a cut record), or a rule could
    /// not be evaluated on some of it for sure (a regular-expression search that gave up).
    public var inputFailed: Bool
}

extension PipelineInput {
    /// The inputs named on a command line: files, directories walked in name order, `-` (or nothing)
    /// for stdin. Returns the inputs and one error per path that cannot be used.
    public static func files(_ paths: [String], options: IngestOptions) -> (inputs: [PipelineInput], errors: [IngestError]) {
        let (files, errors) = InputWalker.expand(paths)
        return (files.map { .file($0, options: options) }, errors)
    }
}
