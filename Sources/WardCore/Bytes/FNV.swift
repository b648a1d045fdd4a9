/// FNV-1a, 64 bits: the identity hashes that must stay the same from run to run (`event.id`, a
/// followed file's first bytes). Not for hash tables an attacker fills.
public enum FNV1a {
    public static let basis: UInt64 = 0xcbf2_9ce4_8422_2325
    @usableFromInline static let prime: UInt64 = 0x0000_0100_0000_01b3

    @inlinable
    public static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ seed: UInt64 = basis) -> UInt64 {
        var h = seed
        for b in bytes { h = (h ^ UInt64(b)) &* prime }
        return h
    }

    /// The eight bytes of `value`, least significant first.
    @inlinable
    public static func hash(_ value: Int64, _ seed: UInt64) -> UInt64 {
        var h = seed
        var v = UInt64(bitPattern: value)
        for _ in 0..<8 {
            h = (h ^ (v & 0xFF)) &* prime
            v >>= 8
        }
        return h
    }
}
