import CWardShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Byte-level search primitives over raw memory.
///
/// These wrap glibc's `memchr`/`memrchr`, which are runtime-dispatched SIMD (about 7 GB/s here,
/// against 2.4 GB/s for a plain Swift loop; `PERF-NOTES.md` §1.1), so line splitting costs almost
/// nothing next to parsing. All functions are `@inlinable` so that they specialize in the
/// parsers' inner loops across the module boundary (`PERF-NOTES.md` §6: 4.5× for per-byte helpers).
public enum ByteScan {
    /// The index of the first `byte` in `base[from..<to]`, or `nil`.
    /// - Complexity: O(*n*); does not allocate.
    @inlinable
    public static func firstIndex(
        of byte: UInt8, in base: UnsafePointer<UInt8>, from: Int, to: Int
    ) -> Int? {
        guard from < to else { return nil }
        guard let hit = memchr(base + from, Int32(byte), to - from) else { return nil }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    /// The index of the last `byte` in `base[from..<to]`, or `nil`.
    /// - Complexity: O(*n*); does not allocate.
    @inlinable
    public static func lastIndex(
        of byte: UInt8, in base: UnsafePointer<UInt8>, from: Int, to: Int
    ) -> Int? {
        guard from < to else { return nil }
        guard let hit = memrchr(base + from, Int32(byte), to - from) else { return nil }
        return base.distance(to: UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self))
    }

    /// The number of `byte` occurrences in `base[from..<to]`.
    /// Whether `literal` starts at `i` of `base`, within `i..<end`.
    @inlinable
    public static func has(_ literal: StaticString, in base: UnsafePointer<UInt8>, at i: Int, end: Int) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard i >= 0, i + n <= end else { return false }
        let q = literal.utf8Start
        for k in 0..<n where base[i + k] != q[k] { return false }
        return true
    }

    /// Whether `needle` occurs in `base[0..<count]` (`memchr` on its first byte, then `memcmp`).
    /// - Complexity: O(*n·m*) at worst; does not allocate.
    @inlinable
    public static func contains(_ needle: UnsafeBufferPointer<UInt8>, in base: UnsafePointer<UInt8>, count: Int) -> Bool {
        let n = needle.count
        guard let q = needle.baseAddress, n > 0 else { return true }
        var i = 0
        while i + n <= count, let hit = firstIndex(of: q[0], in: base, from: i, to: count - n + 1) {
            if memcmp(base + hit, q, n) == 0 { return true }
            i = hit + 1
        }
        return false
    }

    /// The first index of `literal` in `base[from..<to]` (`memchr` on its first byte), or `nil`.
    /// - Complexity: O(*n*); does not allocate.
    @inlinable
    public static func find(_ literal: StaticString, in base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
        let n = literal.utf8CodeUnitCount
        guard n > 0, from + n <= to else { return nil }
        let first = literal.utf8Start[0]
        var i = from
        while i + n <= to, let hit = firstIndex(of: first, in: base, from: i, to: to - n + 1) {
            if has(literal, in: base, at: hit, end: to) { return hit }
            i = hit + 1
        }
        return nil
    }

    /// - Complexity: O(*n*); does not allocate.
    @inlinable
    public static func count(
        of byte: UInt8, in base: UnsafePointer<UInt8>, from: Int, to: Int
    ) -> Int {
        var n = 0
        var i = from
        while i < to, let hit = firstIndex(of: byte, in: base, from: i, to: to) {
            n += 1
            i = hit + 1
        }
        return n
    }
}

/// ASCII classification and case folding on single bytes.
public enum ASCII {
    public static let newline: UInt8 = 0x0A
    public static let carriageReturn: UInt8 = 0x0D
    public static let space: UInt8 = 0x20
    public static let tab: UInt8 = 0x09

    @inlinable public static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inlinable public static func isUpper(_ b: UInt8) -> Bool { b &- 0x41 < 26 }
    @inlinable public static func isLower(_ b: UInt8) -> Bool { b &- 0x61 < 26 }
    @inlinable public static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
    /// Printable US-ASCII without space (RFC 5424 `PRINTUSASCII`, 33...126).
    @inlinable public static func isPrintNoSpace(_ b: UInt8) -> Bool { b &- 33 < 94 }
    @inlinable public static func lower(_ b: UInt8) -> UInt8 { isUpper(b) ? b | 0x20 : b }
}
