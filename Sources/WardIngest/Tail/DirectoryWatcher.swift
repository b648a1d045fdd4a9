#if canImport(Glibc)
import Glibc
#endif

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
