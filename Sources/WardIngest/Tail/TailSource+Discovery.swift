import Foundation
import WardCore

#if canImport(Glibc)
import Glibc
#endif

/// Finding the files of a tail: again after a restart (by identity), and as they appear (by glob).
extension TailSource {
    /// Finds the files of an earlier run's checkpoint again, by identity, and follows them from
    /// their offset.
    func resume(_ positions: [TailPosition]) {
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

    func reportReplaced(_ p: TailPosition) {
        // The new file at the path is found by discovery; only a note here.
        report(.info, "\(p.path): not the file of the last checkpoint any more (replaced or truncated); reading it as a new file.")
    }

    /// Matches the patterns again: new files are followed, files whose path now names another file
    /// (or nothing) are marked rotated.
    func discover(startup: Bool, knownPatterns: Set<String>) {
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

    func skipCompressed(_ path: String) {
        guard reported.insert(path).inserted else { return }
        condition.lock()
        stats.compressedSkipped += 1
        condition.unlock()
        report(.info, "\(path): compressed; tail does not read compressed files (a rotated file is not read again; 'wardwatch scan' reads archives).")
    }

    func streamFor(device: UInt64, inode: UInt64) -> TailStream? {
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
