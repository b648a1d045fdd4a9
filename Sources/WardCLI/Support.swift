import ArgumentParser
import Synchronization
import WardOutput
import WardPipeline
import WardParse

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Exit codes (`DESIGN.md`): 0 success, 1 alerts with `--fail-on-alert`, 2 usage or rule errors,
/// 3 input errors after finishing every other input.
public enum WardExit {
    public static let success: Int32 = 0
    public static let alerts: Int32 = 1
    public static let usage: Int32 = 2
    public static let input: Int32 = 3
    /// The output could not be written (full disk, unwritable file); the run stopped there.
    public static let output: Int32 = 4
}

/// Results on stdout, in one write.
public enum Console {
    public static func writeStdout(_ text: String) {
        FileDescriptorOutput(fd: 1).write(text)
    }
}

/// Messages for people, on stderr.
public enum Diagnostics {
    public static func write(_ line: String) {
        let text = escapingControls(line)
        FileDescriptorOutput(fd: 2).write(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// `text` with control characters other than line ends and tabs written as `\x1b`: a rule file or
    /// a path can hold terminal escape sequences, and diagnostics echo them.
    public static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F }) else {
            return text
        }
        var out = ""
        for scalar in text.unicodeScalars {
            if (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    public static func error(_ message: String) { write("wardwatch: error: " + message) }

    public static func warning(_ message: String) { write("wardwatch: warning: " + message) }

    /// A problem the pipeline reported.
    public static func report(_ diagnostic: PipelineDiagnostic) {
        switch diagnostic.severity {
        case .error: error(diagnostic.message)
        case .warning: warning(diagnostic.message)
        }
    }
}

extension PipelineReport {
    /// Ends a command after its run: events the merge could not put in order are reported; then a
    /// failed output (reported here), a signal (128 + it), or an input that could not be read whole,
    /// including a path the walk could not use (3).
    /// - Parameter outputFailed: a remote output lost alerts (its own note says how many): exit 4 then,
    ///   even when an input failed too — lost alerts matter more than an unread input.
    public func exit(writing what: String, walkFailed: Bool, outputFailed: Bool = false) throws {
        if statistics.lateEvents > 0 {
            let n = statistics.lateEvents
            Diagnostics.warning("\(n) \(n == 1 ? "event was" : "events were") older than --reorder-window behind an earlier event of their input; \(n == 1 ? "it was" : "they were") written at the window's edge, not in time order.")
        }
        if let outputError {
            let count = what == "alerts" ? " after \(statistics.alertsWritten) of \(statistics.alerts) alerts" : ""
            Diagnostics.error("writing \(what) failed\(count): \(outputError); the run stopped there (inputs after it were not read).")
            throw ExitCode(WardExit.output)
        }
        if let signal { throw ExitCode(128 + signal) }
        if outputFailed { throw ExitCode(WardExit.output) }
        if inputFailed || walkFailed { throw ExitCode(WardExit.input) }
    }
}

extension ScanSummary {
    /// The summary of a pipeline run.
    public init(_ s: RunStatistics, rules: Int, active: Int, started: ContinuousClock.Instant) {
        self.init(files: s.files, bytes: s.bytes, events: s.events, eventsByDataset: s.eventsByDataset,
                  alertsByRule: s.alertsByRule, ruleCount: rules, activeRules: active, started: started)
        firstEventTime = s.firstEventTime
        lastEventTime = s.lastEventTime
        unparsedByInput = s.unparsedByInput
    }
}

extension PatientDataPolicy {
    /// Tells the operator that pseudonyms of this run will not match any other run's.
    public func warnIfRandom() {
        guard randomKeyWasUsed else { return }
        Diagnostics.warning("patient identifiers were pseudonymized with a random key, so tokens match within this run only; pass --phi-key-file or set WARDWATCH_PHI_KEY to keep them stable.")
    }
}

extension ParsableCommand {
    /// Runs a command's body; a usage error it raises (an unreadable --placeholders file, a
    /// --suppress naming no loaded rule) prints this command's usage line, not the root command's,
    /// and exits with 2. `path` is the command as typed after `wardwatch` (`rules lint`).
    public func withOwnUsage(_ path: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ValidationError {
            let usage = Self.usageString().split(separator: " ").dropFirst().joined(separator: " ")
            Diagnostics.write("Error: \(error.message)\nUsage: wardwatch \(path) \(usage)\n  See 'wardwatch \(path) --help' for more information.")
            Glibc.exit(WardExit.usage)
        }
    }
}

/// A value shared between threads behind a lock (closures cannot capture a `Mutex` itself).
public final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    public init(_ value: Value) { mutex = Mutex(value) }
    public func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// `500ms`, `1s`, `5m`, `1h`, or a number of seconds (the duration options of tail and listen).
public func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        if let n = Double(text.dropLast(suffix.count)), n > 0, n < 1e7 { return .milliseconds(Int64(n * scale * 1000)) }
    }
    if let n = Double(text), n > 0, n < 1e7 { return .milliseconds(Int64(n * 1000)) }
    return nil
}

extension ParsableCommand {
    /// Parses the command line and runs it; usage errors exit with 2 as `DESIGN.md` says
    /// (ArgumentParser's own default is 64).
    public static func runAsMain() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Glibc.exit(0)
        } catch {
            if exitCode(for: error) == .validationFailure {
                Diagnostics.write(fullMessage(for: error))
                Glibc.exit(WardExit.usage)
            }
            exit(withError: error)
        }
    }
}
