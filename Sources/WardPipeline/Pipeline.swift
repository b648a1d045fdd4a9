import Dispatch
import Synchronization
import WardCore
import WardDetect
import WardIngest
import WardOutput
import WardParse
import WardRegex
import WardRules

/// The runtime every command runs on: sources → ordered parallel window (parse, match, filter,
/// encode on the workers) → merge (input order, or event time across inputs) → ordered stages →
/// writer thread → sinks → commit of source cursors.
///
/// It does not know which command or which kind of source it serves. Output is byte-identical for any
/// thread count: a chunk's result depends only on the chunk, and the merge order only on the inputs.
///
/// **Event-time merge.** Each input's events get a merge key: the event's time, but never less than
/// the newest time seen earlier in that input minus the reorder window (an event later than that is
/// placed at that edge and counted as late); an event without a time takes the time of the event
/// before it, so it stays next to its neighbour. Output is the matches sorted by (key, input, position) — a function of the inputs alone,
/// not of chunk sizes or scheduling. A match is written once no input can still produce a smaller
/// key: every input's future keys are at least its newest time minus the window — or a higher floor:
/// no match waits for more than a budget of its input's bytes (16 MiB, less with many inputs: at least
/// 256 KiB, or 256 MiB shared among them), so an
/// input whose newest time stops advancing (one event from a clock that jumped ahead) cannot make the
/// merge hold the rest of it in memory; events under a raised floor are counted as late. The input furthest
/// behind is always read next; others are held at a few chunks each, and their read-ahead shares
/// ``PipelineConfiguration/mergeMemory``.
public final class Pipeline {
    let config: PipelineConfiguration

    public init(_ config: PipelineConfiguration) { self.config = config }

    // MARK: - State

    final class SourceState {
        let index: Int
        let input: PipelineInput
        var reader: (any RecordSource)?
        var opened = false
        var done = false
        /// Chunks fetched and not yet delivered (a window may be in flight while the merge releases).
        var inFlight = 0
        /// Newest event time so far, and the time of the last timed event.
        var newest = Int64.min
        var lastTime = Int64.min
        /// Results delivered and not yet committed, in input order.
        var results: [ChunkResult] = []
        /// A floor under the input's future merge keys, raised so that no match waits for more than
        /// a budget of the input's bytes (see ``Pipeline``).
        var forced = Int64.min
        /// Matches pushed to the merge, in input order: their offset and key.
        var held: [(offset: Int64, key: Int64)] = []
        var heldHead = 0
        var sequence: Int64 = 0

        init(index: Int, input: PipelineInput) {
            self.index = index
            self.input = input
        }
    }

    struct Slot {
        var chunk = Chunk()
        var batch = EventBatch()
        var hits: [RuleHit] = []
        var result: ChunkResult?
    }

    struct Lane {
        var parser: EventParser
        var scratch: EngineScratch?
    }

    // MARK: - Run

    public func run() -> PipelineReport {
        let ruleCount = config.engine?.ruleSet.rules.count ?? 0
        var stats = RunStatistics(rules: ruleCount + config.stageRules)
        let perLevel = config.sinks?.perLevel ?? false
        let sinkCount = perLevel ? AlertLevel.allCases.count : 1
        // Cursors go, on the writer's thread once their output is written, to their source (a tail
        // records them for its checkpoint) and to the command.
        let readers = Mutex<[Int: any RecordSource]>([:])
        let onCommit = config.onCommit
        let checkpoint = config.checkpoint
        let writer = OutputWriter(sinks: config.sinks, sinkCount: sinkCount, commit: { cursor in
            readers.withLock { $0[cursor.sourceIndex] }?.commit(cursor)
            onCommit?(cursor)
        }, checkpoint: checkpoint?.write)
        // The first commit is checkpointed at once (a run killed within its first interval would
        // otherwise read everything since the last run's checkpoint again), later ones at most
        // every interval.
        var lastCheckpoint = ContinuousClock.now - (checkpoint?.interval ?? .zero)
        // Taking the stages' state stops the stages: with a large state, checkpoints are spaced so
        // that it costs at most about 2 % of the run.
        var checkpointSpacing = checkpoint?.interval ?? .zero
        var uncheckpointed = false
        var batch = OutputWriter.Batch(buffers: writer.buffers())
        let sources = config.inputs.enumerated().map { SourceState(index: $0.offset, input: $0.element) }
        let merging = config.order == .eventTime
        let chunkSize = merging
            // Per input: the reader's buffer, its read-ahead chunks, a chunk in a slot, held results.
            ? max(16 << 10, min(config.chunkSize, config.mergeMemory / max(1, sources.count * 8)))
            : config.chunkSize
        let threads = config.threads
        // A window's worth read ahead, so that its slots fill without waiting; merged inputs share it
        // (at least two chunks each, within the budget above).
        let ahead = 2 * threads + 2
        let settings = SourceSettings(chunkSize: chunkSize, readAhead: merging ? max(2, ahead / max(1, sources.count)) : ahead)
        let window = OrderedWindow<Slot>(threads: threads, count: 2 * threads) { Slot() }
        let lanes = (0..<threads).map { _ in
            Lane(parser: config.parser.forWorker(), scratch: config.engine.map { EngineScratch(engine: $0) })
        }
        nonisolated(unsafe) let laneState = lanes
        var pool: [ChunkResult] = []
        var live: [ChunkResult?] = []
        var freeLive: [Int32] = []
        var heap = MergeHeap()
        /// Results delivered in input order (one input at a time) and not yet passed on.
        var inOrder: [ChunkResult] = []
        let reorderWindow = config.reorderWindow
        // Bytes of its input a match may wait in the event-time merge (see `SourceState.forced`).
        let holdBudget = Int64(min(16 << 20, max(256 << 10, config.mergeMemory / max(1, sources.count))))
        let stages = config.stages
        let levels: [UInt8]
        if case .alerts(let encoder) = config.encoding, let engine = config.engine {
            levels = (0..<engine.ruleSet.rules.count).map { UInt8(AlertLevel.allCases.firstIndex(of: encoder.level(of: $0))!) }
        } else {
            levels = []
        }

        func report(_ severity: PipelineDiagnostic.Severity, _ message: String) {
            config.onDiagnostic(PipelineDiagnostic(severity: severity, message: message))
        }

        func open(_ s: SourceState) {
            s.opened = true
            do {
                let reader = try s.input.open(s.index, settings)
                s.reader = reader
                readers.withLock { $0[s.index] = reader }
                stats.files += 1
                config.stop?.opened(reader)
            } catch {
                report(.error, error.description)
                stats.inputErrors += 1
                s.done = true
            }
        }

        func finish(_ s: SourceState) {
            guard !s.done else { return }
            s.done = true
            if let reader = s.reader {
                if let notice = reader.notice { report(.warning, notice.description) }
                if config.closesSources { reader.close() }
                // Kept in `readers`: batches with its cursors may still be queued for the writer.
                config.stop?.closed(reader)
            }
            s.reader = nil
        }

        func fetch(_ s: SourceState, into chunk: inout Chunk, wait: Bool) -> Bool? {
            if !s.opened { open(s) }
            guard !s.done, let reader = s.reader else { return false }
            do {
                let got = try reader.next(into: &chunk, wait: wait)
                if got == false { finish(s) }
                if got == true { s.inFlight += 1 }
                return got
            } catch {
                report(.error, error.description)
                stats.inputErrors += 1
                finish(s)
                return false
            }
        }

        /// The lowest key the source can still produce.
        func lowerBound(_ s: SourceState) -> Int64 {
            if s.done && s.inFlight == 0 { return .max }
            if !s.opened { return .min }
            return max(s.forced, s.newest == .min ? .min : s.newest &- reorderWindow)
        }

        // Output: each item through the stages, then into the batch for the writer.
        func count(_ rule: Int32, _ time: Int64) {
            stats.outputs += 1
            if rule >= 0 && Int(rule) < stats.alertsByRule.count {
                stats.alertsByRule[Int(rule)] += 1
                if time != EventRecord.noTimestamp {
                    if time < stats.firstAlertTime[Int(rule)] { stats.firstAlertTime[Int(rule)] = time }
                    if time > stats.lastAlertTime[Int(rule)] { stats.lastAlertTime[Int(rule)] = time }
                }
                stats.alerts += 1
                batch.alerts += 1
            }
        }
        func writeMatch(_ m: Match, of r: ChunkResult) {
            // A silent match only feeds the stages; one that got this far is not an alert.
            guard !m.isSilent else { return }
            if m.encodedLength > 0 {
                let start = Int(m.encodedStart)
                r.output.encoded.withUnsafeBufferPointer { buf in
                    batch.buffers[Int(m.sink) < batch.buffers.count ? Int(m.sink) : 0].bytes
                        .append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<(start + Int(m.encodedLength))]))
                }
            }
            count(m.rule, m.timestamp)
        }
        func emit(_ r: ChunkResult, _ index: Int) {
            let m = r.output.matches[index]
            if stages.isEmpty {
                writeMatch(m, of: r)
            } else {
                let fields = m.fieldsStart >= 0 ? MatchFields(r.output.fields[Int(m.fieldsStart)...]) : .none
                runStages(.match(m, fields), from: 0, r)
            }
            r.pending -= 1
        }
        func runStages(_ item: StageItem, from stage: Int, _ r: ChunkResult?) {
            if stage == stages.count {
                switch item {
                case .match(let m, _):
                    // A match's bytes live in its chunk result, valid only while the chain handles it:
                    // a stage that holds matches must pass them on as records (`OrderedStage`).
                    guard let r else { preconditionFailure("an ordered stage passed on a match it had held; emit a record") }
                    writeMatch(m, of: r)
                case .record(let record):
                    batch.buffers[Int(record.sink) < batch.buffers.count ? Int(record.sink) : 0].bytes.append(contentsOf: record.bytes)
                    count(record.rule, record.timestamp)
                }
                return
            }
            stages[stage].process(item) { runStages($0, from: stage + 1, r) }
        }
        /// Commits the source's results whose matches were all written, oldest first.
        func settle(_ s: SourceState) {
            var n = 0
            while n < s.results.count && s.results[n].pending == 0 {
                let r = s.results[n]
                batch.commits.append(SourceCursor(sourceIndex: s.index, stream: r.stream, identity: r.path, offset: r.endOffset))
                uncheckpointed = true
                // Results keep their buffers' capacity: recycle only as many as a window needs.
                if pool.count < 4 * threads { pool.append(r) }
                n += 1
            }
            if n > 0 { s.results.removeFirst(n) }
        }

        func deliver(_ r: ChunkResult) {
            let s = sources[r.source]
            s.inFlight -= 1
            stats.events += r.events
            stats.bytes += r.bytes
            stats.filtered += r.filtered
            for (i, n) in r.byDataset.enumerated() where n != 0 { stats.eventsByDataset[i] += n }
            if r.byDataset[Int(Dataset.unparsed.rawValue)] > 0 {
                stats.unparsedByInput[r.path, default: 0] += r.byDataset[Int(Dataset.unparsed.rawValue)]
            }
            if r.earliest != .max {
                stats.firstEventTime = min(stats.firstEventTime ?? .max, r.earliest)
                stats.lastEventTime = max(stats.lastEventTime ?? .min, r.newest)
            }
            for (rule, line, code) in r.evaluationErrors {
                stats.evaluationErrors += 1
                guard stats.evaluationErrorRules.insert(rule).inserted, let engine = config.engine else { continue }
                let compiled = engine.ruleSet.rules[Int(rule)].rule
                report(.warning, "\(r.path): line \(line): a regular-expression search of rule '\(compiled.title)' (\(compiled.path):\(compiled.location.line)) gave up (\(RegexProgram.message(code))); the rule was evaluated with it as a match and as no match, and its alert, if the two differ, is flagged rule.evaluation_error. Later ones of this rule are counted in the summary.")
            }
            for c in r.cut {
                stats.cutRecords += 1
                if c.multiLine {
                    report(.error, "\(r.path): line \(c.line) (byte \(c.offset)): record longer than the record limit cut to \(c.kept) bytes, the rest of it skipped; raise --max-record-bytes to keep it whole.")
                } else if r.received {
                    report(.error, "\(r.path): message \(c.line): frame of \(c.full) bytes cut to \(c.kept) bytes; raise --max-frame-bytes to keep it whole.")
                } else {
                    report(.error, "\(r.path): line \(c.line) (byte \(c.offset)): line of \(c.full) bytes cut to \(c.kept) bytes; raise --max-line-bytes to keep it whole.")
                }
            }
            r.pending = r.output.matches.count
            s.results.append(r)
            if !merging {
                // Emitted in input order by the next drain (which may overlap the next window).
                inOrder.append(r)
                return
            }
            // Keys: see the type's documentation.
            let id: Int32
            if let free = freeLive.popLast() {
                id = free
                live[Int(id)] = r
            } else {
                id = Int32(live.count)
                live.append(r)
            }
            for i in 0..<r.output.matches.count {
                let t = r.effectiveTime[i] != .min ? r.effectiveTime[i] : s.lastTime
                let newest = max(s.newest, r.newestBefore[i])
                let floor = max(s.forced, newest == .min ? Int64.min : newest &- reorderWindow)
                let key = max(t, floor)
                let own = r.output.matches[i].timestamp
                if own != EventRecord.noTimestamp && own < floor { stats.lateEvents += 1 }
                heap.push(.init(key: key, source: Int32(s.index), sequence: s.sequence, result: id, match: Int32(i)))
                s.sequence += 1
                s.held.append((r.output.matches[i].offset, key))
            }
            // No match waits for more than `holdBudget` bytes of its input: were the input's newest
            // time to stop advancing (a clock that jumped ahead once, then every event late), the
            // matches at that time would otherwise hold every later result in memory to the end.
            // The floor rises to the keys of matches that far behind; later events under it are late.
            while s.heldHead < s.held.count && s.held[s.heldHead].offset < r.endOffset &- holdBudget {
                s.forced = max(s.forced, s.held[s.heldHead].key)
                s.heldHead += 1
            }
            if s.heldHead > 4096 && s.heldHead * 2 > s.held.count {
                s.held.removeFirst(s.heldHead)
                s.heldHead = 0
            }
            s.newest = max(s.newest, r.newest)
            if r.lastTime != .min { s.lastTime = r.lastTime }
            if r.output.matches.isEmpty {
                live[Int(id)] = nil
                freeLive.append(id)
                settle(s)
            }
        }

        /// Writes the merged matches no input can still precede (all of them when `all`).
        func release(all: Bool) {
            var first = (Int64.max, Int.max)
            var second = (Int64.max, Int.max)
            if !all {
                for s in sources where !s.done || s.inFlight > 0 {
                    let b = (lowerBound(s), s.index)
                    if b < first {
                        second = first
                        first = b
                    } else if b < second {
                        second = b
                    }
                }
            }
            while let top = heap.top {
                if !all {
                    // No other input can still produce a smaller (key, input), and its own input's
                    // future keys are at least this one.
                    let other = first.1 == Int(top.source) ? second : first
                    guard (top.key, Int(top.source)) < other, lowerBound(sources[Int(top.source)]) >= top.key else { break }
                }
                _ = heap.pop()
                let r = live[Int(top.result)]!
                emit(r, Int(top.match))
                if r.pending == 0 {
                    live[Int(top.result)] = nil
                    freeLive.append(top.result)
                    settle(sources[r.source])
                }
            }
        }

        /// Passes what was delivered on through the stages to the batch, and submits the batch:
        /// results in input order, or the merged matches no input can still precede.
        func drain() {
            if merging {
                release(all: false)
            } else {
                for r in inOrder {
                    for i in 0..<r.output.matches.count { emit(r, i) }
                    settle(sources[r.source])
                }
                inOrder.removeAll(keepingCapacity: true)
            }
            if let checkpoint, uncheckpointed, ContinuousClock.now - lastCheckpoint >= checkpointSpacing {
                // After a drain in input order, the stages have seen exactly the committed records.
                let began = ContinuousClock.now
                batch.checkpoint = checkpoint.capture()
                lastCheckpoint = .now
                checkpointSpacing = max(checkpoint.interval, (lastCheckpoint - began) * 50)
                uncheckpointed = false
            }
            if !batch.isEmpty || !batch.commits.isEmpty || batch.checkpoint != nil {
                writer.submit(batch)
                batch = OutputWriter.Batch(buffers: writer.buffers())
            }
        }
        func needsDrain() -> Bool { !inOrder.isEmpty || !heap.isEmpty || !batch.isEmpty || !batch.commits.isEmpty }
        /// Fetches into slot `k`; before blocking for the first slot (a live pipe with nothing new),
        /// drains, so that what was read is written without waiting for more input.
        func fetchSlot(_ s: SourceState, _ k: Int) -> Bool? {
            if k == 0 && needsDrain() {
                let got = fetch(s, into: &window.slots[0].chunk, wait: false)
                if got != nil { return got }
                drain()
            }
            return fetch(s, into: &window.slots[k].chunk, wait: k == 0)
        }
        nonisolated(unsafe) let unsafeWindow = window
        nonisolated(unsafe) let unsafeSelf = self
        let filters = config.filters, annotations = config.annotations
        // Per rule and carried field: whether its value is read from inside an HL7 message (a path
        // such as PID-5) and so goes to the stages as a pseudonym — decided once, not per match.
        let resolver = config.engine?.resolver
        let fromMessage: [[Bool]] = annotations?.fields.map { fields in
            fields.map { field in field.id == nil && field.nameBytes.withUnsafeBufferPointer { resolver?.serves($0) == true } }
        } ?? []

        // The loop.
        var current = 0
        while true {
            if config.stop?.requested == true || writer.failed != nil { break }
            var filled = 0
            if merging {
                let order = sources.filter { !$0.done }.sorted { (lowerBound($0), $0.index) < (lowerBound($1), $1.index) }
                for (rank, s) in order.enumerated() where filled < window.slots.count {
                    // Inputs ahead of the one furthest behind are held at a few chunks each.
                    if rank > 0 && s.results.count >= 4 { continue }
                    var taken = 0
                    while filled < window.slots.count && (rank == 0 || taken < 2) {
                        guard fetchSlot(s, filled) == true else { break }
                        filled += 1
                        taken += 1
                    }
                }
            } else {
                while filled < window.slots.count && current < sources.count {
                    let s = sources[current]
                    if s.done {
                        current += 1
                        continue
                    }
                    let got = fetchSlot(s, filled)
                    if got == true {
                        filled += 1
                    } else if got == nil {
                        break
                    }
                }
            }
            if filled == 0 {
                drain()
                if sources.allSatisfy(\.done) { break }
                continue
            }
            for i in 0..<filled where window.slots[i].result == nil {
                window.slots[i].result = pool.popLast() ?? ChunkResult()
            }
            let process = { [filled] in
                unsafeWindow.process(filled) { slot, lane in
                    unsafeSelf.work(&slot, lane: laneState[lane], filters: filters, levels: levels, perLevel: perLevel,
                                    annotations: annotations, fromMessage: fromMessage)
                }
            }
            if needsDrain() {
                // The workers take this window while this thread passes the earlier ones through the
                // stages (correlation can cost as much as parsing and matching): their data are
                // disjoint (slots and lanes there; delivered results, merge, stages and batch here).
                nonisolated(unsafe) let process = process
                let group = DispatchGroup()
                DispatchQueue.global().async(group: group) { process() }
                drain()
                group.wait()
            } else {
                process()
            }
            for i in 0..<filled {
                let r = window.slots[i].result!
                window.slots[i].result = nil
                deliver(r)
            }
            config.onProgress?(stats)
        }
        drain()
        // The end, a signal or a failed output: what was matched is written.
        if merging { release(all: true) }
        if !stages.isEmpty {
            for (k, stage) in stages.enumerated() {
                stage.finish { runStages($0, from: k + 1, nil) }
            }
        }
        for s in sources { settle(s) }
        if let checkpoint { batch.checkpoint = checkpoint.capture() }
        writer.submit(batch)
        for s in sources { finish(s) }
        let failure = writer.finish()
        readers.withLock { $0.removeAll() }
        stats.alertsWritten = writer.alertsWritten
        return PipelineReport(statistics: stats, outputError: failure, signal: config.stop?.signal,
                              // A search that gave up left part of the input not evaluated for sure.
                              inputFailed: stats.inputErrors > 0 || stats.cutRecords > 0 || stats.evaluationErrors > 0)
    }
}
