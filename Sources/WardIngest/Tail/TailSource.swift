import Foundation
import Synchronization
import WardCore

#if canImport(Glibc)
import Glibc
#endif

/// How a tail follows its files.
public struct TailOptions: Sendable {
    /// Paths and globs (`/var/log/remote/*/*.log`), matched again as files appear.
    public var patterns: [String]
    public var ingest: IngestOptions
    /// Files seen for the first time at start are read whole (default: from their end).
    public var fromBeginning = false
    /// Poll every interval instead of waiting for inotify (filesystems where inotify does not work: NFS).
    public var poll: Duration?
    /// A last line without its newline is taken as it is after this long without new bytes.
    public var partialLineTimeout: Duration = .seconds(5)
    /// A rotated-away or deleted file is let go after this long without new bytes (its writer may
    /// still finish a line in it after the rename).
    public var releaseAfter: Duration = .seconds(5)
    /// Chunks read ahead of the pipeline; the reader waits when they are not taken (backpressure).
    public var readAhead = 4

    public init(patterns: [String], ingest: IngestOptions) {
        self.patterns = patterns
        self.ingest = ingest
    }
}

/// Something a tail tells the operator while it runs: a rotation, a truncation, a file it cannot read.
public struct TailNotice: Sendable, CustomStringConvertible {
    public enum Severity: Sendable { case info, warning, error }
    public var severity: Severity
    public var message: String
    public var description: String { message }
}

/// Counts of a tail, for the summary and the status line.
public struct TailStatistics: Sendable {
    public var following = 0
    public var filesSeen = 0
    public var rotations = 0
    public var truncations = 0
    public var released = 0
    /// Files that could not be opened or read, and followed files that were gone at start.
    public var errors = 0
    /// Compressed files that matched a pattern and were not read.
    public var compressedSkipped = 0
}

/// Follows files and the files that appear matching globs, as one ``RecordSource`` whose chunks
/// name their file (``ChunkOrigin/stream``): the pipeline commits each file's offset once that file's
/// alerts are written, and ``positions()`` is what a checkpoint records.
///
/// - Identity: device + inode and a hash of the first bytes (``FileIdentity``).
/// - Rotation by rename (logrotate `create`): the old file is read to its end (its writer may still
///   add to it for ``TailOptions/releaseAfter``), then let go; the new file at the path is read from
///   its start. `copytruncate`: a file that became shorter than what was read was truncated — it is
///   read again from byte 0. Compressed files (`.gz` by name or content) are never read.
/// - Notification by inotify on the watched directories, with a rescan every second; `poll` uses no
///   inotify. Deleted files are let go (their descriptors closed) once read to their end.
/// - Resuming: files in `resume` are found again by identity, under their path or, rotated, under a
///   new name in the same directory, and read on from their offset. Files never seen start at their
///   end (`fromBeginning`: at 0) — unless they match a pattern of the earlier run (`knownPatterns`):
///   then they appeared while wardwatch was stopped and are read whole. Files that appear while it
///   runs are read whole.
public final class TailSource: RecordSource, @unchecked Sendable {
    private let options: TailOptions
    private let names: SourceNames
    private let sourceIndex: Int
    private let onNotice: @Sendable (TailNotice) -> Void

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var ready: [Chunk] = []
    private var spare: [Chunk] = []
    private var finished = false
    /// ``endRun()`` was asked for: the next call of `next` answers `false`.
    private var runEnding = false
    private var cancelled = false
    private var closed = false
    private var streams: [Int: TailStream] = [:]
    private var stats = TailStatistics()

    // The reader thread's own.
    private var followed: [FollowedFile] = []
    private var nextStream = 1
    private var reported = Set<String>()
    private var watcher: DirectoryWatcher?
    private let exited = DispatchSemaphore(value: 0)
    /// A pipe that wakes the reader thread from its wait (interrupt, close).
    private let wake: (read: Int32, write: Int32)

    public init(options: TailOptions, names: SourceNames, sourceIndex: Int, resume: [TailPosition], knownPatterns: Set<String>,
                onNotice: @escaping @Sendable (TailNotice) -> Void) {
        self.options = options
        self.names = names
        self.sourceIndex = sourceIndex
        self.onNotice = onNotice
        var ends: [Int32] = [-1, -1]
        _ = pipe(&ends)
        for end in ends where end >= 0 {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        self.wake = (ends[0], ends[1])
        if options.poll == nil { watcher = DirectoryWatcher() }
        self.resume(resume)
        discover(startup: true, knownPatterns: knownPatterns)
        let thread = Thread { [self] in
            self.loop()
            self.exited.signal()
        }
        thread.name = "wardwatch-tail"
        thread.start()
    }

    /// Every followed file's committed place (and let-go files kept to recognize them).
    public func positions() -> [TailPosition] {
        condition.lock()
        defer { condition.unlock() }
        return streams.keys.sorted().compactMap { streams[$0].flatMap { $0.retired ? nil : $0.position } }
    }

    public var statistics: TailStatistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    /// Whether inotify is in use (else the tail polls).
    public var usesInotify: Bool { watcher != nil }

    // MARK: - RecordSource

    public func next(into chunk: inout Chunk, wait: Bool) throws(IngestError) -> Bool? {
        condition.lock()
        defer { condition.unlock() }
        if runEnding {
            runEnding = false
            return false
        }
        if ready.isEmpty && !finished {
            // A live source comes back empty-handed now and then, so that the pipeline can write a
            // checkpoint while its inputs are quiet.
            guard wait else { return nil }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.25))
        }
        if !ready.isEmpty {
            let next = ready.removeFirst()
            spare.append(chunk)
            chunk = next
            condition.broadcast()
            return true
        }
        return finished ? false : nil
    }

    public var notice: IngestNotice? { nil }

    public func commit(_ cursor: SourceCursor) {
        condition.lock()
        defer { condition.unlock() }
        guard let s = streams[cursor.stream], !s.retired else { return }
        s.committed = cursor.offset
        var n = 0
        while n < s.marks.count && s.marks[n].end <= cursor.offset {
            s.committedLine = s.marks[n].line
            n += 1
        }
        if n > 0 { s.marks.removeFirst(n) }
    }

    /// Ended for good (interrupted or closed).
    public var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished
    }

    public func endRun() {
        condition.lock()
        runEnding = true
        condition.broadcast()
        condition.unlock()
    }

    public func interrupt() {
        condition.lock()
        finished = true
        cancelled = true
        condition.broadcast()
        condition.unlock()
        signalWake()
    }

    public func close() {
        condition.lock()
        let first = !closed
        closed = true
        cancelled = true
        finished = true
        condition.broadcast()
        condition.unlock()
        guard first else { return }
        signalWake()
        exited.wait()
        for f in followed { Glibc.close(f.fd) }
        followed.removeAll()
        Glibc.close(wake.read)
        Glibc.close(wake.write)
        watcher?.close()
    }

    private func signalWake() {
        var one: UInt8 = 1
        _ = write(wake.write, &one, 1)
    }

    // MARK: - Reader thread

    private var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    private func loop() {
        var lastScan = ContinuousClock.now
        let scanInterval = options.poll ?? .seconds(1)
        var rescan = false
        while !isCancelled {
            if rescan || ContinuousClock.now - lastScan >= scanInterval {
                discover(startup: false, knownPatterns: [])
                lastScan = .now
                rescan = false
            }
            var progress = false
            for f in followed {
                if pump(f) { progress = true }
                if isCancelled { return }
            }
            releaseIdle()
            if progress { continue }
            let timers = followed.contains { $0.holdsPartial || $0.rotated }
            let timeout: Duration = timers ? .milliseconds(100) : (options.poll ?? .seconds(1))
            let waited = wait(timeout)
            if waited.structural { rescan = true }
        }
    }

    /// Waits for a directory event, a wake-up or the timeout.
    private func wait(_ timeout: Duration) -> (any: Bool, structural: Bool) {
        let ms = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        if let watcher { fds.append(pollfd(fd: watcher.fd, events: Int16(POLLIN), revents: 0)) }
        let n = poll(&fds, nfds_t(fds.count), ms)
        guard n > 0 else { return (false, false) }
        if fds[0].revents != 0 {
            var bytes = [UInt8](repeating: 0, count: 64)
            _ = read(wake.read, &bytes, bytes.count)
        }
        if let watcher, fds.count > 1, fds[1].revents != 0 { return (true, watcher.drain()) }
        return (true, false)
    }

    /// Reads and frames what `f` has; hands out a chunk. Returns whether anything happened.
    private func pump(_ f: FollowedFile) -> Bool {
        guard !f.failed else { return false }
        guard let size = f.size else {
            report(.error, "\(f.stream.path): cannot stat the file: \(String(cString: strerror(errno))); it is no longer read.", count: true)
            f.failed = true
            return false
        }
        if size < f.readOffset || f.rewritten {
            let how = f.rewritten ? "its first bytes changed (truncated, then written past byte \(f.readOffset))"
                : "truncated from \(f.readOffset) to \(size) bytes"
            f.rewritten = false
            // Truncated in place (copytruncate): read again from the start, under a new stream so
            // that commits of the old bytes still in flight cannot move the new offset.
            report(.info, "\(f.stream.path): \(how); reading it again from the start.")
            // What was read before the truncation is handed out first, partial line and open record too.
            f.flushPartial()
            while f.settled > f.head || !f.framer.closed.isEmpty || f.headOffset > f.emittedEnd {
                guard hand(f) else { break }
                f.feedLines(chunkSize: options.ingest.chunkSize)
            }
            let identity = FileIdentity.of(fd: f.fd) ?? f.stream.identity
            let stream = makeStream(path: f.stream.path, identity: identity, offset: 0, line: 1, location: f.stream.location)
            condition.lock()
            f.stream.retired = true
            streams[f.stream.id] = nil
            stats.truncations += 1
            condition.unlock()
            f.restart(stream: stream, options: options.ingest)
        }
        var progress = false
        if f.stream.identity.headLength < FileIdentity.headLimit && size > Int64(f.stream.identity.headLength),
           let identity = FileIdentity.of(fd: f.fd) {
            condition.lock()
            f.stream.identity = identity
            condition.unlock()
        }
        guard let n = f.read(upTo: size, budget: options.ingest.chunkSize) else {
            report(.error, "\(f.stream.path): byte \(f.readOffset): read failed: \(String(cString: strerror(errno))); it is no longer read.",
                   count: true)
            f.failed = true
            return false
        }
        if n > 0 { progress = true }
        f.feedLines(chunkSize: options.ingest.chunkSize)
        let idle = ContinuousClock.now - f.lastGrowth
        if f.settled == f.head && f.holdsPartial && f.readOffset == size {
            // A partial last line waits for its newline; an open multi-line record for its next
            // line — each until its timeout.
            let limit = f.framer.hasOpenRecord && f.scan == f.filled
                ? Duration.milliseconds(options.ingest.idleMilliseconds) : options.partialLineTimeout
            if idle >= limit { f.flushPartial() }
        }
        if hand(f) { progress = true }
        if n < options.ingest.chunkSize && f.readOffset == size { f.shrinkIfIdle() }
        return progress
    }

    /// Hands out `f`'s settled records as a chunk (waiting while the pipeline is behind).
    private func hand(_ f: FollowedFile) -> Bool {
        guard f.settled > f.head || !f.framer.closed.isEmpty || f.headOffset > f.emittedEnd else { return false }
        condition.lock()
        while ready.count >= options.readAhead && !cancelled { condition.wait() }
        if cancelled {
            condition.unlock()
            return false
        }
        var chunk = spare.popLast() ?? Chunk()
        condition.unlock()
        guard f.emit(into: &chunk, sourceIndex: sourceIndex, chunkSize: options.ingest.chunkSize, now: Int64(time(nil))) else {
            condition.lock()
            spare.append(chunk)
            condition.unlock()
            return false
        }
        condition.lock()
        f.stream.marks.append((chunk.endOffset, f.nextLine))
        ready.append(chunk)
        condition.broadcast()
        condition.unlock()
        return true
    }

    /// Lets go of rotated-away and deleted files read to their end and idle.
    private func releaseIdle() {
        var kept: [FollowedFile] = []
        for f in followed {
            if f.failed {
                release(f)
                continue
            }
            if !f.rotated && f.deleted {
                f.rotated = true
                f.rotatedAt = .now
            }
            guard f.rotated, let size = f.size, f.readOffset >= size,
                  ContinuousClock.now - max(f.lastGrowth, f.rotatedAt ?? f.lastGrowth) >= options.releaseAfter else {
                kept.append(f)
                continue
            }
            if f.holdsPartial {
                f.flushPartial()
                if !hand(f) && f.settled > f.head {
                    kept.append(f)
                    continue
                }
            }
            release(f)
        }
        followed = kept
    }

    /// Closes `f`; its stream stays, let go, to recognize the file if it is found again.
    private func release(_ f: FollowedFile) {
        Glibc.close(f.fd)
        condition.lock()
        f.stream.released = true
        f.stream.readEnd = f.readOffset
        f.stream.readLine = f.nextLine
        stats.released += 1
        stats.following -= 1
        condition.unlock()
    }

    private func report(_ severity: TailNotice.Severity, _ message: String, count: Bool = false) {
        if count {
            condition.lock()
            stats.errors += 1
            condition.unlock()
        }
        onNotice(TailNotice(severity: severity, message: message))
    }

    private func makeStream(path: String, identity: FileIdentity, offset: Int64, line: Int64, location: String) -> TailStream {
        let stream = TailStream(id: nextStream, nameIndex: names.register(path), path: path, identity: identity, offset: offset,
                                line: line)
        stream.location = location
        nextStream += 1
        condition.lock()
        streams[stream.id] = stream
        condition.unlock()
        return stream
    }

    private func follow(fd: Int32, path: String, location: String, identity: FileIdentity, offset: Int64, line: Int64) {
        let stream = makeStream(path: path, identity: identity, offset: offset, line: line, location: location)
        followed.append(FollowedFile(fd: fd, stream: stream, offset: offset, line: line, options: options.ingest))
        condition.lock()
        stats.following += 1
        stats.filesSeen += 1
        condition.unlock()
        if let watcher { watcher.watch(Self.directory(of: location)) }
    }

    // MARK: - Finding files

    /// Finds the files of an earlier run's checkpoint again, by identity, and follows them from
    /// their offset.
    private func resume(_ positions: [TailPosition]) {
        for p in positions {
            let identity = p.identity
            var found: (fd: Int32, location: String)?
            for candidate in [p.location, p.path] where found == nil {
                let fd = open(candidate, O_RDONLY | O_CLOEXEC)
                if fd >= 0 {
                    if identity.matches(fd: fd) { found = (fd, candidate) } else { Glibc.close(fd) }
                }
            }
            if found == nil { found = Self.search(Self.directory(of: p.location), for: identity) }
            guard let (fd, location) = found else {
                if p.released {
                    continue  // let go and gone since: forgotten
                }
                // Same inode but other first bytes, or shorter than the offset: truncated or
                // replaced; discovery reads it as a new file. Else it is gone.
                if !FileManager.default.fileExists(atPath: p.path) {
                    report(.warning, "\(p.path): the file followed at the last checkpoint (byte \(p.offset)) is gone; lines written to it after that were not read.", count: true)
                } else {
                    reportReplaced(p)
                }
                continue
            }
            var st = stat()
            fstat(fd, &st)
            if Int64(st.st_size) < p.offset {
                report(.info, "\(p.path): shorter (\(st.st_size) bytes) than at the last checkpoint (byte \(p.offset)): truncated; reading it from the start.")
                follow(fd: fd, path: p.path, location: location, identity: FileIdentity.of(fd: fd) ?? identity, offset: 0, line: 1)
                continue
            }
            if p.released && Int64(st.st_size) == p.offset {
                // Read whole and let go: remembered (so that a glob matching its rotated name does
                // not read it again), not followed.
                let stream = makeStream(path: p.path, identity: identity, offset: p.offset, line: p.line, location: location)
                stream.released = true
                Glibc.close(fd)
                continue
            }
            if location != p.location && location != p.path {
                report(.info, "\(p.path): rotated to \(location) while wardwatch was stopped; reading its rest from byte \(p.offset).")
            }
            follow(fd: fd, path: p.path, location: location, identity: identity, offset: p.offset, line: p.line)
            if location != p.path { followed.last!.rotated = true; followed.last!.rotatedAt = .now }
        }
    }

    private func reportReplaced(_ p: TailPosition) {
        // The new file at the path is found by discovery; only a note here.
        report(.info, "\(p.path): not the file of the last checkpoint any more (replaced or truncated); reading it as a new file.")
    }

    /// Matches the patterns again: new files are followed, files whose path now names another file
    /// (or nothing) are marked rotated.
    private func discover(startup: Bool, knownPatterns: Set<String>) {
        // Rotation: the path no longer names the followed file.
        for f in followed where !f.rotated {
            // Truncated and written again past the read offset since the last look: the first bytes
            // read before are not there any more.
            let identity = f.stream.identity
            if identity.headLength > 0, f.readOffset >= Int64(identity.headLength),
               let (length, hash) = FileIdentity.head(fd: f.fd, length: identity.headLength),
               length < identity.headLength || hash != identity.headHash {
                f.rewritten = true
            }
            var st = stat()
            let gone = stat(f.stream.location, &st) != 0
            if gone || UInt64(st.st_dev) != f.stream.identity.device || UInt64(st.st_ino) != f.stream.identity.inode {
                f.rotated = true
                f.rotatedAt = .now
                let moved = Self.search(Self.directory(of: f.stream.location), inode: f.stream.identity.inode,
                                        device: f.stream.identity.device)
                condition.lock()
                stats.rotations += 1
                if let moved { f.stream.location = moved }
                condition.unlock()
                report(.info, "\(f.stream.path): rotated\(moved.map { " to \($0)" } ?? " away"); reading it to its end, then the new file.")
            }
        }
        for pattern in options.patterns {
            let paths = Self.glob(pattern)
            if let watcher {
                watcher.watch(Self.directory(of: pattern))
                for dir in Self.glob(Self.directory(of: pattern)) { watcher.watch(dir) }
            }
            for path in paths {
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                let known = streamFor(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
                if let known, !known.released { continue }
                if path.hasSuffix(".gz") {
                    skipCompressed(path)
                    continue
                }
                let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
                guard fd >= 0 else {
                    if reported.insert(path).inserted {
                        report(.error, "\(path): cannot open: \(String(cString: strerror(errno))); it is not read (retried as it changes).",
                               count: true)
                    }
                    continue
                }
                guard let identity = FileIdentity.of(fd: fd) else {
                    Glibc.close(fd)
                    continue
                }
                if let known, known.identity.device == identity.device, known.identity.inode == identity.inode,
                   identity.headLength >= known.identity.headLength, FileIdentity.head(fd: fd, length: known.identity.headLength)?.1 == known.identity.headHash {
                    // A file let go and found again (its rotated name matches a pattern too) that grew
                    // since: read on from where reading stopped, under its own stream (its chunks
                    // may still be in flight; their commits stay valid).
                    if Int64(st.st_size) > known.readEnd {
                        condition.lock()
                        known.released = false
                        known.location = path
                        stats.following += 1
                        condition.unlock()
                        let f = FollowedFile(fd: fd, stream: known, offset: known.readEnd, line: known.readLine, options: options.ingest)
                        f.rotated = true
                        f.rotatedAt = .now
                        followed.append(f)
                    } else {
                        Glibc.close(fd)
                    }
                    continue
                }
                if Self.isGzip(fd: fd) {
                    Glibc.close(fd)
                    skipCompressed(path)
                    continue
                }
                if let known {
                    // The inode of a file let go, reused by a new file.
                    condition.lock()
                    streams[known.id] = nil
                    condition.unlock()
                }
                reported.remove(path)
                let fromEnd = startup && !options.fromBeginning && !knownPatterns.contains(pattern)
                let offset = fromEnd ? Int64(st.st_size) : 0
                // From the end: count the lines before it? No: line numbers start at 1 there.
                follow(fd: fd, path: path, location: path, identity: identity, offset: offset, line: 1)
            }
        }
        // Let-go files: forgotten once no file in their directory has their inode.
        condition.lock()
        let released = streams.values.filter { $0.released }
        condition.unlock()
        for s in released {
            var st = stat()
            if stat(s.location, &st) == 0, UInt64(st.st_ino) == s.identity.inode, UInt64(st.st_dev) == s.identity.device { continue }
            let moved = Self.search(Self.directory(of: s.location), inode: s.identity.inode, device: s.identity.device)
            condition.lock()
            if let moved { s.location = moved } else { streams[s.id] = nil }
            condition.unlock()
        }
    }

    private func skipCompressed(_ path: String) {
        guard reported.insert(path).inserted else { return }
        condition.lock()
        stats.compressedSkipped += 1
        condition.unlock()
        report(.info, "\(path): compressed; tail does not read compressed files (a rotated file is not read again; 'wardwatch scan' reads archives).")
    }

    private func streamFor(device: UInt64, inode: UInt64) -> TailStream? {
        if let f = followed.first(where: { $0.stream.identity.inode == inode && $0.stream.identity.device == device }) { return f.stream }
        condition.lock()
        defer { condition.unlock() }
        return streams.values.first { $0.released && $0.identity.inode == inode && $0.identity.device == device }
    }

    static func isGzip(fd: Int32) -> Bool {
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
        return n == 2 && magic.0 == 0x1f && magic.1 == 0x8b
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The paths matching `pattern` (a plain path matches itself if it exists), sorted.
    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
        return out.sorted()
    }

    /// The file in `directory` with this device and inode.
    static func search(_ directory: String, inode: UInt64, device: UInt64) -> String? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        for name in entries.sorted() {
            let path = directory == "/" ? "/" + name : directory + "/" + name
            var st = stat()
            if lstat(path, &st) == 0, UInt64(st.st_ino) == inode, UInt64(st.st_dev) == device { return path }
        }
        return nil
    }

    /// The file in `directory` that is `identity`, opened.
    static func search(_ directory: String, for identity: FileIdentity) -> (fd: Int32, location: String)? {
        guard let path = search(directory, inode: identity.inode, device: identity.device) else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        if identity.matches(fd: fd) { return (fd, path) }
        Glibc.close(fd)
        return nil
    }
}

/// inotify on directories: any change in them wakes the tail; creations, renames and deletions
/// make it match its patterns again.
final class DirectoryWatcher {
    let fd: Int32
    private var watched = Set<String>()
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    init?() {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd < 0 { return nil }
    }

    func watch(_ directory: String) {
        guard !watched.contains(directory) else { return }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_CLOSE_WRITE
                          | IN_DELETE_SELF | IN_MOVE_SELF)
        if inotify_add_watch(fd, directory, mask) >= 0 { watched.insert(directory) }
    }

    /// Reads the pending events; `true` when one was a creation, rename or deletion.
    func drain() -> Bool {
        var structural = false
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var i = 0
            buffer.withUnsafeBytes { raw in
                while i + MemoryLayout<inotify_event>.size <= n {
                    let mask = raw.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self)
                    let length = raw.loadUnaligned(fromByteOffset: i + 12, as: UInt32.self)
                    if mask & UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF
                                     | IN_Q_OVERFLOW | IN_IGNORED) != 0 {
                        structural = true
                    }
                    i += MemoryLayout<inotify_event>.size + Int(length)
                }
            }
        }
        return structural
    }

    func close() { Glibc.close(fd) }
}
