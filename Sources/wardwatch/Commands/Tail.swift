import ArgumentParser
import WardCLI
import Dispatch
import Foundation
import Synchronization
import WardCore
import WardDetect
import WardIngest
import WardOutput
import WardParse
import WardPipeline
import WardRules

#if canImport(Glibc)
import Glibc
#endif

struct Tail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow log files as they grow, across rotation and restarts, and write alerts as they happen.",
        discussion: """
            Follows the files named, and the files that appear matching the globs (quote them: \
            '/var/log/remote/*/*.log'), with the same rules, options and output as scan. Rotation by \
            rename is followed (the old file is read to its end, then the new one from its start), a \
            file truncated in place (copytruncate) is read again from its start, compressed files are \
            never read. A checkpoint (--checkpoint) records per file the offset up to which its alerts \
            were written, and the correlation and suppression state of those lines, at most every \
            second and at exit; a restart continues from it. Files never seen start at their end \
            (--from-beginning: read whole), except those that appeared while wardwatch was stopped.

            SIGTERM or SIGINT: what was read is matched and written, the checkpoint saved, the summary \
            printed; exit 128 + the signal. SIGHUP: the --output files are opened again by name \
            (after logrotate moved them).
            """
    )

    @Argument(help: "Files and globs to follow (quote globs so that wardwatch sees them, not the shell).")
    var patterns: [String] = []

    @OptionGroup var detection: DetectionOptions

    @OptionGroup var read: ReadOptions

    @Option(help: "Folder for the checkpoint. Default: $XDG_STATE_HOME/wardwatch, else /var/lib/wardwatch as root, else ~/.local/state/wardwatch.")
    var checkpoint: String?

    @Flag(name: .customLong("from-beginning"), help: "Read files seen for the first time from their start (default: from their end).")
    var fromBeginning = false

    @Option(help: "Poll the files at this interval (e.g. 1s, 500ms) instead of using inotify (NFS and other filesystems where inotify does not work).")
    var poll: String?

    @Option(name: .customLong("partial-line-timeout"), help: "A last line without its newline is taken as it is after this long without new bytes.")
    var partialLineTimeout: String = "5s"

    @Option(name: .customLong("release-after"), help: "A file rotated away or deleted is closed after this long without new bytes, once read to its end (its writer may still finish a line in it).")
    var releaseAfter: String = "5s"

    @Option(name: .customLong("status-interval"), help: "Print a one-line status (events/s, alerts, files, lag) to stderr at this interval (e.g. 60s).")
    var statusInterval: String?

    func validate() throws {
        guard detection.format != "table" && detection.format != "markdown" else { throw ValidationError("'--format \(detection.format)' is for scan: tail writes alerts as they happen.") }
        guard !patterns.isEmpty else { throw ValidationError("give at least one file or glob to follow.") }
        for p in patterns where p == "-" {
            throw ValidationError("tail follows files; to read stdin use 'wardwatch scan -'.")
        }
        for (flag, value) in [("--poll", poll), ("--partial-line-timeout", partialLineTimeout), ("--release-after", releaseAfter),
                              ("--status-interval", statusInterval)] {
            if let value, parseDuration(value) == nil {
                throw ValidationError("'\(flag)' must be a duration such as 500ms, 1s, 5m, not '\(value)'.")
            }
        }
    }


    /// Where checkpoints live unless `--checkpoint` says.
    static func defaultCheckpointFolder() -> String {
        let env = ProcessInfo.processInfo.environment
        if let state = env["XDG_STATE_HOME"], !state.isEmpty { return state + "/wardwatch" }
        if getuid() == 0 { return "/var/lib/wardwatch" }
        return (env["HOME"] ?? ".") + "/.local/state/wardwatch"
    }

    func run() throws { try withOwnUsage("tail", execute) }

    func execute() throws {
        let folder = checkpoint ?? Self.defaultCheckpointFolder()
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw ValidationError("cannot create the checkpoint folder \(folder): \(error.localizedDescription)")
        }
        // One tail per checkpoint folder: two would overwrite each other's offsets.
        let lock = open(folder + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            throw ValidationError("another wardwatch tail uses the checkpoint folder \(folder); give each its own --checkpoint.")
        }
        let file = folder + "/checkpoint.json"
        let previous: TailCheckpoint?
        do {
            previous = try TailCheckpoint.read(file)
        } catch {
            throw ValidationError(error.message)
        }

        let names = SourceNames(["tail"])
        // The site formats first: their log sources route rules.
        let parser = EventParser(options: try read.parseOptions(format: detection.inputFormat))
        var detection = try Detection(detection, names: names, verb: "followed", noun: "tail")
        detection.stages.suppression?.keepsWindowsOpen = true
        var notes: [String] = []
        if let state = previous?.state { notes.append(detection.restore(from: state, source: file)) }

        var options = TailOptions(patterns: patterns, ingest: read.ingestOptions(for: parser))
        options.fromBeginning = fromBeginning
        options.poll = poll.flatMap(parseDuration)
        options.partialLineTimeout = parseDuration(partialLineTimeout)!
        options.releaseAfter = parseDuration(releaseAfter)!
        options.readAhead = 2 * detection.options.threads + 2
        let tail = TailSource(options: options, names: names, sourceIndex: 0, resume: previous?.files ?? [],
                              knownPatterns: Set(previous?.patterns ?? []), onNotice: { notice in
            switch notice.severity {
            case .info: Diagnostics.write("wardwatch: " + notice.message)
            case .warning: Diagnostics.warning(notice.message)
            case .error: Diagnostics.error(notice.message)
            }
        })
        let patterns = self.patterns
        let sinks = Shared(detection.sinks)
        let checkpointFailures = Shared(0)
        let checkpointWriter = CheckpointWriter()
        /// On the alert writer's thread, right after the alerts it covers were written and their
        /// offsets committed: the offsets are taken now, the file written on the checkpoint thread.
        @Sendable func save(_ state: StateSnapshot?) {
            let files = tail.positions()
            checkpointWriter.submit { write(TailCheckpoint(patterns: patterns, files: files, state: state)) }
        }
        @Sendable func write(_ checkpoint: TailCheckpoint) {
            // The alerts this checkpoint covers reach the disk before it does.
            sinks.withLock { $0 }.sync()
            do {
                try checkpoint.write(to: file)
            } catch {
                let first = checkpointFailures.withLock { n in
                    n += 1
                    return n == 1
                }
                if first { Diagnostics.error("\(error.message); a restart would read again from the last checkpoint written (later failures are counted).") }
            }
        }
        // Where each file starts, at once: a crash before the first alert must not make a restart
        // take files that were there before for new ones.
        save(previous?.state)

        let latest = Shared(RunStatistics(rules: 0))
        var timer: DispatchSourceTimer?
        if let interval = statusInterval.flatMap(parseDuration) {
            timer = Self.statusTimer(interval: interval, latest: latest, tail: tail)
        }
        let stop = StopController.install()
        let hangup = Self.reloadSignal { tail.endRun() }
        let mode = tail.usesInotify ? "inotify" : "polling every \(poll ?? "1s")"
        Diagnostics.write("wardwatch: following \(tail.statistics.following) files (\(mode)); checkpoint \(file)")

        var report: PipelineReport
        while true {
            let run = detection
            let stateful = run.stages.correlation != nil || run.stages.suppression != nil
            var configuration = run.configuration(inputs: [PipelineInput(name: "tail") { _, _ in tail }], parser: parser)
            configuration.order = .input
            configuration.closesSources = false
            configuration.checkpoint = PipelineCheckpoint(interval: .seconds(1),
                                                          capture: { stateful ? run.snapshot() : Optional<StateSnapshot>.none },
                                                          write: { save($0 as? StateSnapshot) })
            configuration.onProgress = { stats in latest.withLock { $0 = stats } }
            configuration.stop = stop
            report = Pipeline(configuration).run()
            if stop.requested || report.outputError != nil || tail.isFinished { break }
            // SIGHUP: the rules again, with the state of the ones still loaded. (A run ended by a
            // SIGHUP whose request an earlier reload already took goes on with the same rules.)
            if hangup.take(), let fresh = Self.reload(detection.options, names: names, verb: "followed", noun: "tail", from: detection) {
                detection = fresh
                sinks.withLock { $0 = fresh.sinks }
            }
        }
        checkpointWriter.finish()
        tail.close()
        timer?.cancel()
        hangup.cancel()
        let outputs = detection.closeOutputs()
        let t = tail.statistics
        notes.append("tail: \(t.filesSeen) files followed, \(t.rotations) rotations, \(t.truncations) truncations, \(t.released) let go\(t.compressedSkipped > 0 ? ", \(t.compressedSkipped) compressed not read" : "")\(t.errors > 0 ? ", \(t.errors) file errors (above)" : "")")
        let failures = checkpointFailures.withLock { $0 }
        if failures > 0 { notes.append("checkpoint: \(failures) writes failed") }
        notes.append("checkpoint: \(file)")
        notes += outputs.notes
        detection.printSummary(report, extra: notes, command: "tail", files: t.filesSeen)
        parser.options.patientData.warnIfRandom()
        try report.exit(writing: "alerts", walkFailed: t.errors > 0 || failures > 0, outputFailed: outputs.failed)
    }

    /// Prints `events/s, alerts, files, lag` every `interval`.
    static func statusTimer(interval: Duration, latest: Shared<RunStatistics>, tail: TailSource) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let previous = Shared((events: 0, at: ContinuousClock.now))
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
        timer.setEventHandler {
            let s = latest.withLock { $0 }
            let now = ContinuousClock.now
            let rate = previous.withLock { p -> Double in
                let elapsed = now - p.at
                let r = Double(s.events - p.events) / max(0.001, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                p = (s.events, now)
                return r
            }
            var lag = "-"
            if let last = s.lastEventTime {
                let behind = Double(Int64(Date().timeIntervalSince1970 * 1e9) - last) / 1e9
                lag = String(format: "%.1fs", max(0, behind))
            }
            let t = tail.statistics
            Diagnostics.write("wardwatch: status: \(Int(rate)) events/s, \(s.events) events, \(s.alerts) alerts, \(t.following) files, lag \(lag), \(t.errors) file errors")
        }
        timer.resume()
        return timer
    }
}

