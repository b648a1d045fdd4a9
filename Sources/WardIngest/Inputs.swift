import Synchronization
import WardCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One input of a run: a file found on the command line or by walking a directory, or stdin.
public struct InputFile: Sendable, Equatable {
    /// The path as given or found; `-` for stdin.
    public var path: String
    public var isStdin: Bool { path == "-" }

    public init(path: String) { self.path = path }
}

/// Expands the command line's paths into the ordered list of inputs.
public enum InputWalker {
    /// Files in the order they will be read: the paths in the order given; a directory's files in
    /// byte-wise order of their names, recursively (subdirectories where their names sort). No paths
    /// means stdin. Symbolic links are followed, to files and to directories; each directory is read
    /// once (a link to one already read is skipped; a link back to a directory it lies in is a loop,
    /// reported).
    /// - Returns: the inputs, and one error for each path that does not exist or cannot be listed, and
    ///   for each entry of a directory that is not a log: a dangling link, a loop, a FIFO, a socket or
    ///   a device.
    public static func expand(_ paths: [String]) -> (inputs: [InputFile], errors: [IngestError]) {
        var inputs: [InputFile] = []
        var errors: [IngestError] = []
        var visited = Set<DirectoryID>()
        for path in paths.isEmpty ? ["-"] : paths {
            if path == "-" {
                inputs.append(InputFile(path: "-"))
                continue
            }
            var st = stat()
            guard stat(path, &st) == 0 else {
                let code: IngestError.Code = errno == ENOENT || errno == ENOTDIR ? .notFound : .unreadable
                let reason = errno == ENOENT ? "no such file or directory." : String(cString: strerror(errno)) + "."
                errors.append(IngestError(code: code, path: path, message: reason))
                continue
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                let id = DirectoryID(st)
                if visited.insert(id).inserted {
                    walk(directory: path, ancestors: [id], visited: &visited, into: &inputs, errors: &errors)
                }
            } else {
                inputs.append(InputFile(path: path))
            }
        }
        return (inputs, errors)
    }

    struct DirectoryID: Hashable {
        var device: UInt64
        var inode: UInt64
        init(_ st: stat) {
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
        }
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "not a regular file"
        }
    }

    private static func walk(directory: String, ancestors: [DirectoryID], visited: inout Set<DirectoryID>,
                             into inputs: inout [InputFile], errors: inout [IngestError]) {
        guard let dir = opendir(directory) else {
            let reason = String(cString: strerror(errno))
            errors.append(IngestError(code: .unreadable, path: directory, message: "cannot list directory: \(reason)."))
            return
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        closedir(dir)
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        for name in names {
            let path = prefix + name
            var st = stat()
            guard lstat(path, &st) == 0 else {
                errors.append(IngestError(code: .unreadable, path: path, message: "\(String(cString: strerror(errno)))."))
                continue
            }
            var mode = st.st_mode & S_IFMT
            var target = st
            if mode == S_IFLNK {
                guard stat(path, &target) == 0 else {
                    errors.append(IngestError(code: .unreadable, path: path,
                                              message: "dangling symbolic link (\(String(cString: strerror(errno)))); skipped."))
                    continue
                }
                mode = target.st_mode & S_IFMT
            }
            switch mode {
            case S_IFDIR:
                let id = DirectoryID(target)
                if ancestors.contains(id) {
                    errors.append(IngestError(code: .unreadable, path: path,
                                              message: "symbolic link loop (it leads back to a directory it lies in); skipped."))
                    continue
                }
                // A directory reached twice (a link to one already read) is read once.
                guard visited.insert(id).inserted else { continue }
                walk(directory: path, ancestors: ancestors + [id], visited: &visited, into: &inputs, errors: &errors)
            case S_IFREG:
                inputs.append(InputFile(path: path))
            default:
                errors.append(IngestError(code: .unreadable, path: path, message: "\(kind(target.st_mode)), not a log file; skipped."))
            }
        }
    }
}

/// A decoded input stream: plain bytes or gzip, chosen by the first bytes.
public enum DecodedInput: ByteSource {
    case plain(FileDescriptorSource)
    case gzip(GzipSource<FileDescriptorSource>)

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(IngestError) -> Int {
        switch self {
        case .plain(var source):
            defer { self = .plain(source) }
            return try source.read(into: buffer)
        case .gzip(var source):
            defer { self = .gzip(source) }
            return try source.read(into: buffer)
        }
    }

    public mutating func waitForInput(milliseconds: Int) -> Bool {
        switch self {
        case .plain(var source):
            defer { self = .plain(source) }
            return source.waitForInput(milliseconds: milliseconds)
        case .gzip(var source):
            defer { self = .gzip(source) }
            return source.waitForInput(milliseconds: milliseconds)
        }
    }

    /// The notice a gzip stream left (trailing garbage), if any.
    public var notice: IngestNotice? {
        if case .gzip(let source) = self { return source.notice }
        return nil
    }

    public var isGzip: Bool {
        if case .gzip = self { return true }
        return false
    }
}

/// Settings for reading inputs.
public struct IngestOptions: Sendable {
    public var chunkSize: Int
    public var lineLimit: Int
    /// Multi-line records (HL7 messages one segment per line, XML audit messages) longer than this
    /// are cut.
    public var recordLimit: Int
    /// The rule that groups lines into records (``LineFraming``: every line is one).
    public var framing: any RecordFraming
    /// A live source closes a multi-line record after this long without new bytes.
    public var idleMilliseconds: Int
    /// Reference time for stdin's year-less timestamps (seconds since the epoch); files use their
    /// modification time.
    public var now: Int64

    public init(chunkSize: Int = 1 << 20, lineLimit: Int = 1 << 20, recordLimit: Int = 16 << 20,
                framing: any RecordFraming = LineFraming(), idleMilliseconds: Int = 1000, now: Int64 = Int64(time(nil))) {
        self.chunkSize = chunkSize
        self.lineLimit = lineLimit
        self.recordLimit = max(recordLimit, lineLimit)
        self.framing = framing
        self.idleMilliseconds = idleMilliseconds
        self.now = now
    }
}

/// Opens inputs and reads them as chunks of whole lines.
public enum InputReader {
    /// Opens one input and detects gzip by its magic bytes (`1f 8b`), whatever its name.
    public static func open(_ input: InputFile, index: Int, options: IngestOptions) throws(IngestError)
        -> RecordChunker<DecodedInput>
    {
        let fd: Int32
        var reference = options.now
        if input.isStdin {
            fd = 0
        } else {
            fd = Glibc.open(input.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let code: IngestError.Code = errno == ENOENT ? .notFound : .unreadable
                let reason = errno == ENOENT ? "no such file or directory." : String(cString: strerror(errno)) + "."
                throw IngestError(code: code, path: input.path, message: reason)
            }
            var st = stat()
            if fstat(fd, &st) == 0 {
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    Glibc.close(fd)
                    throw IngestError(code: .unreadable, path: input.path, message: "is a directory.")
                }
                reference = Int64(st.st_mtim.tv_sec)
            }
        }
        // Sniff the first bytes; stdin cannot be rewound, so they become the source's prefix.
        var head = [UInt8](repeating: 0, count: 2)
        var got = 0
        var probe = FileDescriptorSource(fd: fd, path: input.path)
        while got < 2 {
            // A pipe may stay silent for long: wait in short polls, so that a signal ends the wait.
            if input.isStdin {
                var ready = false
                while !ready && !IngestCancellation.requested {
                    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let n = poll(&p, 1, 100)
                    // Interrupted by a signal: look at the cancellation; another error: let `read` say it.
                    ready = n > 0 || (n < 0 && errno != EINTR)
                }
                if !ready { break }
            }
            let start = got
            let result = head.withUnsafeMutableBytes { raw in
                Result { () throws(IngestError) -> Int in
                    try probe.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
                }
            }
            let n = try result.get()
            if n == 0 { break }
            got += n
        }
        head.removeSubrange(got...)
        let plain = FileDescriptorSource(fd: fd, path: input.path, prefix: head)
        let stream: DecodedInput = head.count == 2 && head[0] == 0x1F && head[1] == 0x8B
            ? .gzip(GzipSource(upstream: plain, path: input.path))
            : .plain(plain)
        return RecordChunker(source: stream, path: input.path, sourceIndex: index, referenceTime: reference,
                             framing: options.framing, chunkSize: options.chunkSize, lineLimit: options.lineLimit,
                             recordLimit: options.recordLimit, eager: input.isStdin,
                             idleMilliseconds: options.idleMilliseconds)
    }

    /// Closes the descriptor behind a chunker made by ``open(_:index:options:)`` (not stdin).
    public static func close(_ chunker: RecordChunker<DecodedInput>) {
        let fd: Int32
        switch chunker.source {
        case .plain(let s): fd = s.fd
        case .gzip(let g): fd = g.upstreamSource.fd
        }
        if fd > 2 { Glibc.close(fd) }
    }
}

/// A process-wide "stop reading" (SIGINT/SIGTERM): inputs that wait for their first bytes give up.
public enum IngestCancellation {
    private static let flag = Atomic<Bool>(false)

    public static func cancel() { flag.store(true, ordering: .relaxed) }
    public static var requested: Bool { flag.load(ordering: .relaxed) }
}
