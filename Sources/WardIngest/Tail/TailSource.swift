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
    let options: TailOptions
    let names: SourceNames
    let sourceIndex: Int
    let onNotice: @Sendable (TailNotice) -> Void

    // Guarded by `condition`.
    let condition = NSCondition()
    var ready: [Chunk] = []
    var spare: [Chunk] = []
    var finished = false
    /// ``endRun()`` was asked for: the next call of `next` answers `false`.
    var runEnding = false
    var cancelled = false
    var closed = false
    var streams: [Int: TailStream] = [:]
    var stats = TailStatistics()

    // The reader thread's own.
    var followed: [FollowedFile] = []
    var nextStream = 1
    var reported = Set<String>()
    var watcher: DirectoryWatcher?
    let exited = DispatchSemaphore(value: 0)
    /// A pipe that wakes the reader thread from its wait (interrupt, close).
    let wake: (read: Int32, write: Int32)

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

    func signalWake() {
        var one: UInt8 = 1
        _ = write(wake.write, &one, 1)
    }

    // MARK: - Reader thread

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    func loop() {
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
    func wait(_ timeout: Duration) -> (any: Bool, structural: Bool) {
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
    func pump(_ f: FollowedFile) -> Bool {
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
    func hand(_ f: FollowedFile) -> Bool {
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
    func releaseIdle() {
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
    func release(_ f: FollowedFile) {
        Glibc.close(f.fd)
        condition.lock()
        f.stream.released = true
        f.stream.readEnd = f.readOffset
        f.stream.readLine = f.nextLine
        stats.released += 1
        stats.following -= 1
        condition.unlock()
    }

    func report(_ severity: TailNotice.Severity, _ message: String, count: Bool = false) {
        if count {
            condition.lock()
            stats.errors += 1
            condition.unlock()
        }
        onNotice(TailNotice(severity: severity, message: message))
    }

    func makeStream(path: String, identity: FileIdentity, offset: Int64, line: Int64, location: String) -> TailStream {
        let stream = TailStream(id: nextStream, nameIndex: names.register(path), path: path, identity: identity, offset: offset,
                                line: line)
        stream.location = location
        nextStream += 1
        condition.lock()
        streams[stream.id] = stream
        condition.unlock()
        return stream
    }

    func follow(fd: Int32, path: String, location: String, identity: FileIdentity, offset: Int64, line: Int64) {
        let stream = makeStream(path: path, identity: identity, offset: offset, line: line, location: location)
        followed.append(FollowedFile(fd: fd, stream: stream, offset: offset, line: line, options: options.ingest))
        condition.lock()
        stats.following += 1
        stats.filesSeen += 1
        condition.unlock()
        if let watcher { watcher.watch(Self.directory(of: location)) }
    }
}
