import WardCore

#if canImport(Glibc)
import Glibc
#endif

/// What tells one file from another across renames, restarts and inode reuse: its device and inode,
/// and a hash of its first bytes. Two files that share their first line are told apart by their
/// inode; a new file that reuses a deleted file's inode, or a copy, by its first bytes.
public struct FileIdentity: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64
    /// How many of the file's first bytes ``headHash`` covers (up to ``headLimit``: fewer while the
    /// file is shorter).
    public var headLength: Int
    /// FNV-1a of the first ``headLength`` bytes.
    public var headHash: UInt64

    public static let headLimit = 1024

    public init(device: UInt64, inode: UInt64, headLength: Int, headHash: UInt64) {
        self.device = device
        self.inode = inode
        self.headLength = headLength
        self.headHash = headHash
    }

    /// The identity of the open file `fd` (`nil` if it cannot be read).
    public static func of(fd: Int32) -> FileIdentity? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        guard let (length, hash) = head(fd: fd, length: Int(min(Int64(headLimit), Int64(st.st_size)))) else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), headLength: length, headHash: hash)
    }

    /// Length and hash of the first `length` bytes of `fd` (fewer if the file is shorter).
    static func head(fd: Int32, length: Int) -> (Int, UInt64)? {
        var buffer = [UInt8](repeating: 0, count: max(1, length))
        var got = 0
        while got < length {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, length - got, off_t(got)) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            got += n
        }
        return (got, buffer.withUnsafeBufferPointer { FNV1a.hash(UnsafeBufferPointer(rebasing: $0[0..<got])) })
    }

    /// Whether the open file `fd` is this file: same device and inode, at least as long as the
    /// recorded head, with the same first bytes.
    public func matches(fd: Int32) -> Bool {
        var st = stat()
        guard fstat(fd, &st) == 0, UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode else { return false }
        guard Int64(st.st_size) >= Int64(headLength), let (length, hash) = Self.head(fd: fd, length: headLength) else { return false }
        return length == headLength && hash == headHash
    }
}

/// Where a tail stands in one file, as its checkpoint records it.
public struct TailPosition: Sendable, Codable, Equatable {
    /// The path the file was found under (alerts name it so).
    public var path: String
    /// Where the file is now, if it was renamed since (`app.log.1`).
    public var location: String
    public var device: UInt64
    public var inode: UInt64
    public var headLength: Int
    /// ``FileIdentity/headHash`` as 16 hex digits (JSON numbers lose 64-bit precision elsewhere).
    public var headHash: String
    /// Offset just after the last record whose alerts were written, and that record's next line.
    public var offset: Int64
    public var line: Int64
    /// The file was read to its end and let go (rotated away or deleted); kept to recognize it.
    public var released: Bool

    public var identity: FileIdentity {
        FileIdentity(device: device, inode: inode, headLength: headLength, headHash: UInt64(headHash, radix: 16) ?? 0)
    }

    public init(path: String, location: String, identity: FileIdentity, offset: Int64, line: Int64, released: Bool) {
        self.path = path
        self.location = location
        self.device = identity.device
        self.inode = identity.inode
        self.headLength = identity.headLength
        let hex = String(identity.headHash, radix: 16)
        self.headHash = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        self.offset = offset
        self.line = line
        self.released = released
    }
}
