import Foundation
import Synchronization
import WardCore

#if canImport(Glibc)
import Glibc
#endif

/// Where alerts go: stdout; a file (appended, created with mode 0600: alerts quote log lines that
/// may hold personal data); or a folder with one file per rule level (`critical.jsonl`, …).
///
/// Every write goes straight to the descriptor, so whatever was delivered is on disk when the process
/// stops, a signal included.
public final class AlertSinks: @unchecked Sendable {
    /// Guarded by `lock`: written on the writer's thread, synced on the checkpoint thread, reopened
    /// and closed from others.
    private var descriptors: [Int32]
    private let lock = NSLock()
    /// The files behind `descriptors` (empty for stdout), for ``reopen()``.
    private var paths: [String] = []
    private let reopenRequested = Atomic<Bool>(false)
    /// Why the last reopen failed, if it did (the old file is kept).
    public private(set) var reopenFailure: String?
    /// One sink per level (``AlertLevel/allCases`` order) rather than one for all.
    public let perLevel: Bool

    /// - Parameter output: `nil` for stdout; a path ending in `/` (or an existing folder) for one file
    ///   per level; otherwise a file.
    public init(output: String?) throws {
        guard let output else {
            descriptors = [1]
            perLevel = false
            return
        }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory)
        if output.hasSuffix("/") || (exists && isDirectory.boolValue) {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            paths = AlertLevel.allCases.map { (output as NSString).appendingPathComponent("\($0.rawValue).jsonl") }
            descriptors = try paths.map(Self.open)
            perLevel = true
        } else {
            paths = [output]
            descriptors = [try Self.open(output)]
            perLevel = false
        }
    }

    static func open(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SinkError(message: "cannot open '\(path)' for alerts: \(String(cString: strerror(errno))).")
        }
        return fd
    }

    /// Writes each buffer to its sink (all to the one sink unless per level). Returns the `errno` of
    /// the first write that failed (full disk, closed pipe), taken at once; `nil` when all were written.
    public func write(_ buffers: [JSONWriter]) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if reopenRequested.exchange(false, ordering: .acquiringAndReleasing) { reopenNow() }
        for (i, buffer) in buffers.enumerated() where !buffer.bytes.isEmpty {
            let fd = descriptors[perLevel ? i : 0]
            let failure: Int32? = buffer.bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return errno
                    }
                    done += n
                }
                return nil
            }
            if let failure { return failure }
        }
        return nil
    }

    /// Writes `header` (the CSV header line) to every sink that is stdout or an empty file: a file
    /// appended to keeps its one header.
    public func writeHeader(_ header: String) {
        for fd in descriptors where fd >= 0 {
            var st = stat()
            if fd > 2 && fstat(fd, &st) == 0 && st.st_size > 0 { continue }
            FileDescriptorOutput(fd: fd).write(header)
        }
    }

    /// Writes `text` to the (first) sink: `--format table` at the end of a run.
    public func writeText(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if let fd = descriptors.first, fd >= 0 { FileDescriptorOutput(fd: fd).write(text) }
    }

    /// Asks for the output files to be opened again by name before the next write (SIGHUP after
    /// logrotate moved them). Safe from any thread.
    public func reopen() { reopenRequested.store(true, ordering: .releasing) }

    private func reopenNow() {
        for (i, path) in paths.enumerated() where i < descriptors.count && descriptors[i] > 2 {
            do {
                let fd = try Self.open(path)
                fsync(descriptors[i])
                Glibc.close(descriptors[i])
                descriptors[i] = fd
            } catch {
                reopenFailure = "\(error)"
            }
        }
    }

    /// Flushes the files to disk (before a checkpoint says their alerts were written).
    public func sync() {
        lock.lock()
        defer { lock.unlock() }
        for fd in descriptors where fd > 2 { fsync(fd) }
    }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        for fd in descriptors where fd > 2 {
            fsync(fd)
            Glibc.close(fd)
        }
        descriptors = descriptors.map { $0 > 2 ? -1 : $0 }
    }
}

public struct SinkError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
