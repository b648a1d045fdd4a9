#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A stream of bytes: a file, stdin, or a decompressor over one of them.
public protocol ByteSource {
    /// Reads up to `buffer.count` bytes into `buffer`; returns 0 at the end of the stream.
    /// Bytes read before a failure are returned first; the failure comes with the next call.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(IngestError) -> Int

    /// Waits up to `milliseconds` for bytes to read (a live source); `true` when a ``read(into:)``
    /// would not block (bytes, the end of the stream or an error). Files and memory are always ready.
    mutating func waitForInput(milliseconds: Int) -> Bool
}

extension ByteSource {
    public mutating func waitForInput(milliseconds: Int) -> Bool { true }
}

/// Bytes from an open file descriptor, starting with an already-read prefix (format sniffing reads
/// the first block before the source is chosen; stdin cannot be rewound).
public struct FileDescriptorSource: ByteSource {
    public let fd: Int32
    public let path: String
    /// Bytes consumed from the descriptor so far (the position in the file).
    public private(set) var position: Int64 = 0
    private var prefix: [UInt8]
    private var prefixUsed = 0

    public init(fd: Int32, path: String, prefix: [UInt8] = []) {
        self.fd = fd
        self.path = path
        self.prefix = prefix
        self.position = 0
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(IngestError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if prefixUsed < prefix.count {
            let n = min(buffer.count, prefix.count - prefixUsed)
            prefix.withUnsafeBytes { src in
                base.copyMemory(from: src.baseAddress! + prefixUsed, byteCount: n)
            }
            prefixUsed += n
            position += Int64(n)
            if prefixUsed == prefix.count { prefix = [] }
            return n
        }
        while true {
            let n = Glibc.read(fd, base, buffer.count)
            if n >= 0 {
                position += Int64(n)
                return n
            }
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            throw IngestError(code: .readFailed, path: path, offset: position, message: "read failed: \(reason).")
        }
    }
}

extension FileDescriptorSource {
    public mutating func waitForInput(milliseconds: Int) -> Bool {
        if prefixUsed < prefix.count { return true }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let n = poll(&p, 1, Int32(clamping: milliseconds))
            if n >= 0 { return n > 0 }
            if errno != EINTR { return true }
        }
    }
}

/// Bytes already in memory (benchmarks, tests).
public struct MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(IngestError) -> Int {
        let n = min(buffer.count, bytes.count - position)
        guard n > 0 else { return 0 }
        let start = position
        bytes.withUnsafeBytes { src in buffer.baseAddress!.copyMemory(from: src.baseAddress! + start, byteCount: n) }
        position += n
        return n
    }
}
