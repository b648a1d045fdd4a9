#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The running program, found by its resolved path (`/proc/self/exe`; `argv[0]` is only a name when
/// it was found on the PATH): the bundled rules and the helper programs live beside it.
public enum Program {
    public static var path: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A program installed beside this one (`wardwatch-listen`, `wardwatch-forward`).
    public static func sibling(_ name: String) -> String {
        let own = path
        guard let slash = own.lastIndex(of: "/") else { return name }
        return String(own[...slash]) + name
    }
}
