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
        return writer.bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
    }
}
