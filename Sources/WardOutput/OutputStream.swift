#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes bytes to a file descriptor in large blocks.
public struct FileDescriptorOutput {
    public let fd: Int32
    /// Flush once this many bytes are buffered.
    public let threshold: Int

    public init(fd: Int32, threshold: Int = 1 << 20) {
        self.fd = fd
        self.threshold = threshold
    }

    /// Writes `writer`'s bytes if there are at least ``threshold`` of them (or `force`), and empties it.
    /// - Returns: `false` if the descriptor refused the bytes (closed pipe, full disk).
    @discardableResult
    public func flush(_ writer: inout JSONWriter, force: Bool = false) -> Bool {
        guard force || writer.bytes.count >= threshold, !writer.bytes.isEmpty else { return true }
        defer { writer.bytes.removeAll(keepingCapacity: true) }
        return writer.bytes.withUnsafeBytes { write($0) }
    }

    /// Writes all of `bytes`, retrying after signals. Returns `false` if the descriptor refused them.
    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            if n == 0 { return false }
            done += n
        }
        return true
    }

    /// Writes all of `text`'s UTF-8.
    @discardableResult
    public func write(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }
}

/// The C `write(2)` (the name is taken inside ``FileDescriptorOutput``).
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
