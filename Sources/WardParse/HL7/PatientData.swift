import Crypto
import Synchronization
import WardCore

/// How patient data leaves wardwatch: identifiers as keyed pseudonyms, everything else personal redacted,
/// unless the operator asked to see it (`--reveal-phi`).
///
/// A pseudonym is `pid:` and the first 8 bytes of HMAC-SHA256(key, identifier) in hex: the same patient
/// gives the same token in every event and every run with the same key, so rules and analysts can still
/// correlate "one clinician opened 40 different charts" without the chart numbers themselves. Identifiers
/// are hashed as their bare ID (HL7 CX.1, the ID part of an ATNA ParticipantObjectID or a FHIR reference),
/// so an HL7 PID-3 and the ATNA record of the same chart give the same token.
///
/// swift-crypto's HMAC allocates (about five objects: its digest contexts are classes), so tokens are
/// remembered in a 16,384-entry cache behind a mutex: a patient seen before costs no allocation.
public final class PatientDataPolicy: Sendable {
    /// Patient data is written as read (the operator passed `--reveal-phi`).
    public let reveal: Bool
    /// Where the key came from, for the run's warning: `file`, `environment`, or `random`.
    public let keySource: String
    /// Immutable after `init` (swift-crypto's key type is not marked `Sendable`).
    nonisolated(unsafe) private let key: SymmetricKey
    /// HMAC-SHA256 with the key already absorbed (its padded blocks hashed once, at `init`): each
    /// pseudonym copies this state, which saves two of the four compressions a short identifier costs.
    nonisolated(unsafe) private let keyed: HMAC<SHA256>
    /// Remembered tokens. Each worker has a policy of its own (``forWorker()``), so this lock is never
    /// contended: it only makes the class safe to share where one is shared by mistake.
    private let cache: Mutex<PseudonymCache>
    /// Shared by a policy and its worker copies: written once, on the first pseudonym made.
    private let made: UsageFlag

    final class UsageFlag: Sendable {
        let value = Atomic<Bool>(false)
    }

    /// Whether this run made a pseudonym with a random key (the operator should hear that tokens will
    /// not match other runs).
    public var randomKeyWasUsed: Bool { keySource == "random" && made.value.load(ordering: .relaxed) }

    /// Bytes of the hex token after `pid:`.
    public static let tokenLength = 16
    public static let placeholder: StaticString = "[redacted]"

    public init(key: [UInt8], keySource: String, reveal: Bool = false) {
        self.key = SymmetricKey(data: key)
        self.keyed = HMAC<SHA256>(key: self.key)
        self.keySource = keySource
        self.reveal = reveal
        self.cache = Mutex(PseudonymCache())
        self.made = UsageFlag()
    }

    private init(sharing other: PatientDataPolicy) {
        key = other.key
        keyed = other.keyed
        keySource = other.keySource
        reveal = other.reveal
        cache = Mutex(PseudonymCache())
        made = other.made
    }

    /// The same key and settings with a pseudonym cache of its own, for one worker.
    public func forWorker() -> PatientDataPolicy { PatientDataPolicy(sharing: self) }

    /// A policy with a fresh random key: tokens are stable within the run only.
    public static func randomKey(reveal: Bool = false) -> PatientDataPolicy {
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        return PatientDataPolicy(key: key, keySource: "random", reveal: reveal)
    }

    /// Appends the pseudonym of `identifier` (`pid:` + 16 hex digits) to `out`; with ``reveal``, the
    /// identifier itself.
    public func appendPseudonym(_ identifier: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if reveal {
            out.append(contentsOf: identifier)
            return
        }
        out.append(UInt8(ascii: "p"))
        out.append(UInt8(ascii: "i"))
        out.append(UInt8(ascii: "d"))
        out.append(UInt8(ascii: ":"))
        let slot = PseudonymCache.slot(of: identifier)
        let hit = cache.withLock { $0.lookup(identifier, slot: slot, into: &out) }
        if hit { return }
        if !made.value.load(ordering: .relaxed) { made.value.store(true, ordering: .relaxed) }
        var hmac = keyed
        hmac.update(data: UnsafeRawBufferPointer(identifier))
        let mac = hmac.finalize()
        let start = out.count
        mac.withUnsafeBytes { bytes in
            for b in bytes.prefix(PatientDataPolicy.tokenLength / 2) {
                out.append(PseudonymCache.hexDigit(b >> 4))
                out.append(PseudonymCache.hexDigit(b & 0x0F))
            }
        }
        out.withUnsafeBufferPointer { buf in
            let token = UnsafeBufferPointer(rebasing: buf[start...])
            cache.withLock { $0.store(identifier, slot: slot, token: token) }
        }
    }
}

extension PatientDataPolicy {
    /// Appends the pseudonym of an identifier that `decode` first appends to `out` (XML or JSON text
    /// with escapes): the decoded bytes are hashed from a stack copy and replaced by their token.
    public func appendPseudonym(to out: inout [UInt8], decodedBy decode: (inout [UInt8]) -> Void) {
        let start = out.count
        decode(&out)
        let n = out.count - start
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, n)) { tmp in
            for k in 0..<n { tmp[k] = out[start + k] }
            out.removeLast(n)
            appendPseudonym(UnsafeBufferPointer(rebasing: tmp[0..<n]), to: &out)
        }
    }
}

/// Remembered pseudonyms: identifiers of up to 48 bytes in 4,096 sets of 4 (16,384 patients), found by
/// an FNV-1a hash, replaced round-robin within a set. Fixed storage (1.1 MB), allocated once.
struct PseudonymCache: ~Copyable {
    static let sets = 4096
    static let ways = 4
    static let idCapacity = 48
    var ids: [UInt8]
    var lengths: [UInt8]
    var tokens: [UInt8]
    var nextVictim: [UInt8]

    init() {
        ids = [UInt8](repeating: 0, count: Self.sets * Self.ways * Self.idCapacity)
        lengths = [UInt8](repeating: 0xFF, count: Self.sets * Self.ways)
        tokens = [UInt8](repeating: 0, count: Self.sets * Self.ways * PatientDataPolicy.tokenLength)
        nextVictim = [UInt8](repeating: 0, count: Self.sets)
    }

    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

    /// The set of an identifier.
    static func slot(of id: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt32 = 2_166_136_261
        for b in id { h = (h ^ UInt32(b)) &* 16_777_619 }
        return Int((h ^ (h >> 15)) & UInt32(sets - 1))
    }

    func lookup(_ id: UnsafeBufferPointer<UInt8>, slot set: Int, into out: inout [UInt8]) -> Bool {
        guard id.count <= Self.idCapacity else { return false }
        for way in 0..<Self.ways {
            let entry = set * Self.ways + way
            guard Int(lengths[entry]) == id.count else { continue }
            let base = entry * Self.idCapacity
            var same = true
            for i in 0..<id.count where ids[base + i] != id[i] {
                same = false
                break
            }
            guard same else { continue }
            let t = entry * PatientDataPolicy.tokenLength
            for i in 0..<PatientDataPolicy.tokenLength { out.append(tokens[t + i]) }
            return true
        }
        return false
    }

    mutating func store(_ id: UnsafeBufferPointer<UInt8>, slot set: Int, token: UnsafeBufferPointer<UInt8>) {
        guard id.count <= Self.idCapacity, token.count == PatientDataPolicy.tokenLength else { return }
        let way = Int(nextVictim[set])
        nextVictim[set] = UInt8((way + 1) % Self.ways)
        let entry = set * Self.ways + way
        let base = entry * Self.idCapacity
        for i in 0..<id.count { ids[base + i] = id[i] }
        lengths[entry] = UInt8(id.count)
        let t = entry * PatientDataPolicy.tokenLength
        for i in 0..<token.count { tokens[t + i] = token[i] }
    }
}
