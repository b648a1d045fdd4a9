import Foundation
import WardCore
import WardIngest

#if canImport(Glibc)
import Glibc
#endif

/// What `wardwatch tail` keeps between runs, in one file so that offsets and state always agree:
/// per followed file its identity and the offset up to which its alerts were written, and the
/// correlation and suppression state of exactly those lines. Written durably (temporary file, fsync,
/// rename, fsync of the folder) after the alerts it covers were written and flushed.
public struct TailCheckpoint: Codable, Sendable {
    public static let currentVersion = 1

    public var version = TailCheckpoint.currentVersion
    /// When it was written (RFC 3339, UTC).
    public var written: String
    /// The patterns the run followed: a file matching one of them that the checkpoint does not
    /// name appeared while wardwatch was stopped, and is read whole on the next start.
    public var patterns: [String]
    public var files: [TailPosition]
    public var state: StateSnapshot?

    public init(patterns: [String], files: [TailPosition], state: StateSnapshot?) {
        var stamp: [UInt8] = []
        TimestampFormat.appendRFC3339(Int64(Date().timeIntervalSince1970 * 1e9), to: &stamp)
        self.written = String(decoding: stamp, as: UTF8.self)
        self.patterns = patterns
        self.files = files
        self.state = state
    }

    /// The checkpoint in `path`; `nil` when there is none (a first run).
    public static func read(_ path: String) throws(SnapshotError) -> TailCheckpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SnapshotError(message: "cannot read the checkpoint \(path)")
        }
        let checkpoint: TailCheckpoint
        do {
            checkpoint = try JSONDecoder().decode(TailCheckpoint.self, from: data)
        } catch {
            throw SnapshotError(message: "the checkpoint \(path) is not a wardwatch checkpoint (\(error)); move it away to start afresh")
        }
        guard checkpoint.version == currentVersion else {
            throw SnapshotError(message: "the checkpoint \(path) has version \(checkpoint.version); this wardwatch reads version \(currentVersion)")
        }
        if let state = checkpoint.state, state.version != StateSnapshot.currentVersion {
            throw SnapshotError(message: "the state in the checkpoint \(path) has version \(state.version); this wardwatch reads version \(StateSnapshot.currentVersion)")
        }
        return checkpoint
    }

    public func write(to path: String) throws(SnapshotError) {
        try Durable.replace(path, with: Data(json()))
    }
}

/// Files replaced so that a crash or power loss leaves the old or the new one, whole.
public enum Durable {
    /// Writes `data` to a temporary file beside `path` (mode 0600), syncs it, renames it over `path`
    /// and syncs the folder.
    public static func replace(_ path: String, with data: Data) throws(SnapshotError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SnapshotError(message: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var failure: String?
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                done += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        Glibc.close(fd)
        if let failure {
            unlink(temporary)
            throw SnapshotError(message: "cannot write \(temporary): \(failure)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SnapshotError(message: "cannot replace \(path): \(reason)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        let dir = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            Glibc.close(dir)
        }
    }
}

/// Writes checkpoints on a thread of its own, newest first: a checkpoint handed over while an older
/// one is still being written replaces it (it covers everything the older one did), so encoding a
/// large correlation state never holds up the writing of alerts. A write that took *w* is followed
/// by a pause of 19 *w* (unless finishing), so that checkpoints take at most a twentieth of a core.
public final class CheckpointWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: (() -> Void)?
    private var busy = false
    private var closed = false
    private let exited = DispatchSemaphore(value: 0)

    public init() {
        let thread = Thread { [self] in
            self.loop()
            self.exited.signal()
        }
        thread.name = "wardwatch-checkpoint"
        thread.start()
    }

    /// Queues `write` (replacing a queued one not yet started).
    public func submit(_ write: @escaping () -> Void) {
        condition.lock()
        pending = write
        condition.broadcast()
        condition.unlock()
    }

    /// Writes what is queued, then stops the thread.
    public func finish() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
        exited.wait()
    }

    private func loop() {
        var resume = ContinuousClock.now
        while true {
            condition.lock()
            while (pending == nil || ContinuousClock.now < resume) && !closed {
                if pending == nil {
                    condition.wait()
                } else {
                    let left = resume - ContinuousClock.now
                    _ = condition.wait(until: Date(timeIntervalSinceNow: Double(left.components.attoseconds) / 1e18 + Double(left.components.seconds)))
                }
            }
            guard let write = pending else {
                condition.unlock()
                return
            }
            pending = nil
            condition.unlock()
            let began = ContinuousClock.now
            write()
            let took = ContinuousClock.now - began
            resume = ContinuousClock.now + took * 19
        }
    }
}
