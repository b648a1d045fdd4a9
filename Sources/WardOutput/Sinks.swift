import Foundation
import Synchronization
import WardCore

#if canImport(Glibc)
import Glibc
#endif

/// Where alerts go: stdout; files (appended, created with mode 0600: alerts quote log lines that may
/// hold personal data); a folder with one file per rule level (`critical.jsonl`, …); and receivers on
/// the network (``RemoteOutputs``), several at once.
///
/// Every local write goes straight to the descriptor, so whatever was delivered is on disk when the
/// process stops, a signal included. A remote output never fails or blocks the local ones: what it
/// could not deliver is counted in its report (``finishRemote()``).
public final class AlertSinks: @unchecked Sendable {
    /// `--json-style`: flat dotted keys (the default), or nested objects (``NestedJSON``).
    public enum JSONStyle: String, Sendable, CaseIterable { case flat, nested }

    /// Guarded by `lock`: written on the writer's thread, synced on the checkpoint thread, reopened
    /// and closed from others. One entry per local output: its descriptors (one, or one per level).
    private var descriptors: [[Int32]]
    private let lock = NSLock()
    /// The files behind `descriptors` (empty for stdout), for ``reopen()``.
    private var paths: [[String]] = []
    private let reopenRequested = Atomic<Bool>(false)
    /// Why the last reopen failed, if it did (the old file is kept).
    public private(set) var reopenFailure: String?
    /// One sink per level (``AlertLevel/allCases`` order) rather than one for all.
    public let perLevel: Bool
    public let style: JSONStyle
    /// The receivers on the network, if any.
    public let remote: RemoteOutputs?

    /// - Parameter output: `nil` for stdout; a path ending in `/` (or an existing folder) for one file
    ///   per level; otherwise a file.
    public convenience init(output: String?) throws {
        try self.init(outputs: output.map { [$0] } ?? [])
    }

    /// - Parameter outputs: `-` for stdout, a folder (a path ending in `/`, or an existing folder) for
    ///   one file per level, a `syslog://…` or `http(s)://…` URL for a receiver (``RemoteOutputSpec``),
    ///   else a file. None at all: stdout. A folder cannot be combined with other local outputs (the
    ///   run would have to write alerts in two orders).
    public init(outputs: [String], style: JSONStyle = .flat) throws {
        self.style = style
        let specs = try outputs.filter(RemoteOutputSpec.isRemote).map(RemoteOutputSpec.init)
        var local = outputs.filter { !RemoteOutputSpec.isRemote($0) }
        // The same output twice would get every alert twice.
        let names = local.map { $0 == "-" ? "-" : URL(fileURLWithPath: $0).standardizedFileURL.path } + specs.map(\.url)
        if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw SinkError(message: "'--output \(twice == "-" ? "-" : twice)' is given twice: every alert would be written twice.")
        }
        if local.isEmpty && specs.isEmpty { local = ["-"] }
        let folders = local.filter(Self.isFolder)
        if !folders.isEmpty && local.count > 1 {
            throw SinkError(message: "the folder output '\(folders[0])' (one file per level) cannot be combined with other files or stdout; forward alerts to receivers alongside it instead.")
        }
        perLevel = !folders.isEmpty
        descriptors = []
        for output in local {
            if output == "-" {
                descriptors.append([1])
                paths.append([])
            } else if Self.isFolder(output) {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                let files = AlertLevel.allCases.map { (output as NSString).appendingPathComponent("\($0.rawValue).jsonl") }
                descriptors.append(try files.map(Self.open))
                paths.append(files)
            } else {
                descriptors.append([try Self.open(output)])
                paths.append([output])
            }
        }
        remote = specs.isEmpty ? nil : try RemoteOutputs(specs)
    }

    static func isFolder(_ output: String) -> Bool {
        var isDirectory: ObjCBool = false
        return output.hasSuffix("/") || (FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    static func open(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SinkError(message: "cannot open '\(path)' for alerts: \(String(cString: strerror(errno))).")
        }
        return fd
    }

    /// Writes each buffer to its sink (all to each local output unless per level) and hands them to
    /// the remote outputs. Returns the `errno` of the first local write that failed (full disk, closed
    /// pipe), taken at once; `nil` when all were written.
    public func write(_ buffers: [JSONWriter]) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if reopenRequested.exchange(false, ordering: .acquiringAndReleasing) { reopenNow() }
        let contents = style == .nested ? buffers.map { NestedJSON.rewrite($0.bytes) } : buffers.map(\.bytes)
        for fds in descriptors {
            for (i, bytes) in contents.enumerated() where !bytes.isEmpty {
                if let failure = Self.write(bytes, to: fds[fds.count > 1 ? i : 0]) { return failure }
            }
        }
        if let remote { remote.send(contents.count == 1 ? contents[0] : Array(contents.joined())) }
        return nil
    }

    private static func write(_ bytes: [UInt8], to fd: Int32) -> Int32? {
        bytes.withUnsafeBytes { raw in
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
    }

    /// Writes `header` (the CSV header line) to every sink that is stdout or an empty file: a file
    /// appended to keeps its one header.
    public func writeHeader(_ header: String) {
        for fd in descriptors.joined() where fd >= 0 {
            var st = stat()
            if fd > 2 && fstat(fd, &st) == 0 && st.st_size > 0 { continue }
            FileDescriptorOutput(fd: fd).write(header)
        }
    }

    /// Writes `text` to the (first) sink: `--format table` at the end of a run.
    public func writeText(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        for fds in descriptors where fds[0] >= 0 { FileDescriptorOutput(fd: fds[0]).write(text) }
    }

    /// Asks for the output files to be opened again by name before the next write (SIGHUP after
    /// logrotate moved them). Safe from any thread.
    public func reopen() { reopenRequested.store(true, ordering: .releasing) }

    private func reopenNow() {
        for (t, files) in paths.enumerated() {
            for (i, path) in files.enumerated() where descriptors[t][i] > 2 {
                do {
                    let fd = try Self.open(path)
                    fsync(descriptors[t][i])
                    Glibc.close(descriptors[t][i])
                    descriptors[t][i] = fd
                } catch {
                    reopenFailure = "\(error)"
                }
            }
        }
    }

    /// Flushes the files to disk (before a checkpoint says their alerts were written).
    public func sync() {
        lock.lock()
        defer { lock.unlock() }
        for fd in descriptors.joined() where fd > 2 { fsync(fd) }
    }

    /// Closes the local outputs (the remote ones: ``finishRemote()``).
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        for fd in descriptors.joined() where fd > 2 {
            fsync(fd)
            Glibc.close(fd)
        }
        descriptors = descriptors.map { $0.map { $0 > 2 ? -1 : $0 } }
    }

    /// Waits for the remote outputs to deliver what they hold; returns what each did (empty when
    /// there are none).
    public func finishRemote() -> [ForwardReport] { remote?.finish() ?? [] }
}

public struct SinkError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
