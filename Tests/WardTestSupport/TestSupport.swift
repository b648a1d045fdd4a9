import CZlib
import Foundation
import Testing
import WardCore

/// Makes a write to a closed pipe or socket an `EPIPE` error in this test process instead of a SIGPIPE
/// that ends the whole suite: a client the test drives (`openssl s_client` refused by the listener, a
/// wardwatch that exited early) may close its stdin before the test has written everything. Every
/// helper that writes to a child or a socket evaluates it first.
///
/// A handler that does nothing, not `SIG_IGN`: an ignored signal stays ignored in the programs the
/// tests start, and wardwatch must meet a closed stdout as it would under a shell (`| head`), while a
/// caught one is reset to the default by `exec`.
public let brokenPipesAreErrors: Void = {
    _ = signal(SIGPIPE) { _ in }
}()

/// Where the repository and `../shared` are, seen from this source file.
public enum Paths {
    /// The repository root (the folder holding `Package.swift`).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `../shared` beside the repository (samples and the Sigma corpus; read only). The environment
    /// variable `WARDWATCH_TEST_SHARED` points elsewhere (a path that does not exist: the tests that
    /// need it are skipped, as on a checkout without `../shared`).
    public static let shared: URL = ProcessInfo.processInfo.environment["WARDWATCH_TEST_SHARED"].map(URL.init(fileURLWithPath:))
        ?? root.deletingLastPathComponent().appendingPathComponent("shared")
    /// Whether `../shared` is there.
    public static let hasShared = FileManager.default.fileExists(atPath: shared.appendingPathComponent("samples").path)
    public static let samples: URL = shared.appendingPathComponent("samples")

    public static func sample(_ relative: String) -> URL { samples.appendingPathComponent(relative) }

    /// A fresh temporary directory for one test.
    public static func temporaryDirectory() throws -> URL {
        brokenPipesAreErrors
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("wardwatch-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Reads a JSON-lines file of vectors.
public func readJSONLines(_ url: URL) throws -> [[String: Any]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }
}

/// Compresses `bytes` as one gzip member with zlib (the same library the reader uses, so tests need
/// no `gzip` binary).
public func gzipMember(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    var stream = z_stream()
    precondition(czlib_deflateInit2(&stream, level, 16 + 15) == Z_OK)
    defer { deflateEnd(&stream) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
    var input = bytes
    let produced = input.withUnsafeMutableBufferPointer { inBuf in
        out.withUnsafeMutableBufferPointer { outBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            stream.next_out = outBuf.baseAddress
            stream.avail_out = UInt32(outBuf.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return outBuf.count - Int(stream.avail_out)
        }
    }
    return Array(out[0..<produced])
}

/// An event read back from a batch, with strings for easy comparison.
public struct ReadEvent: Equatable, CustomStringConvertible {
    public var dataset: String
    public var timestamp: Int64?
    /// Field name → value; for repeated names the last value wins.
    public var fields: [String: String]
    /// Field names in order.
    public var order: [String]
    /// Raw bytes of each field.
    public var raw: [String: [UInt8]]
    public var line: [UInt8]
    public var lineNumber: Int64
    public var truncated: Bool

    public var description: String { "\(dataset) \(timestamp.map(TimestampFormat.rfc3339) ?? "-") \(fields)" }
}

extension EventBatch {
    /// Every event as a ``ReadEvent`` (tests only: allocates freely).
    public func readEvents(in chunk: Chunk) -> [ReadEvent] {
        withValues(in: chunk) { values in
            events.indices.map { index in
                let event = events[index]
                var fields: [String: String] = [:]
                var raw: [String: [UInt8]] = [:]
                var order: [String] = []
                for slot in self.fields[fieldRange(of: index)] {
                    var name = slot.id.name
                    if slot.name.count > 0 { name = name.isEmpty ? values.string(slot.name) : name + "." + values.string(slot.name) }
                    fields[name] = values.string(slot.value)
                    raw[name] = Array(values[slot.value])
                    order.append(name)
                }
                return ReadEvent(
                    dataset: event.dataset.name,
                    timestamp: event.timestamp == EventRecord.noTimestamp ? nil : event.timestamp,
                    fields: fields, order: order, raw: raw, line: Array(values.line(of: event)),
                    lineNumber: event.lineNumber, truncated: event.flags.contains(.truncated))
            }
        }
    }
}

/// A chunk origin for tests.
public func testOrigin(path: String = "test.log", reference: Int64 = 1_700_000_000) -> ChunkOrigin {
    ChunkOrigin(sourceIndex: 0, path: path, offset: 0, firstLine: 1, referenceTime: reference)
}

/// UTC nanoseconds of an RFC 3339 string, computed independently of the code under test
/// (Foundation's calendar for the civil part, the fraction digits by hand).
public func referenceNanos(_ text: String) -> Int64 {
    let scalars = Array(text.utf8)
    func num(_ r: Range<Int>) -> Int { Int(String(decoding: scalars[r], as: UTF8.self))! }
    var components = DateComponents()
    components.year = num(0..<4)
    components.month = num(5..<7)
    components.day = num(8..<10)
    components.hour = num(11..<13)
    components.minute = num(14..<16)
    components.second = num(17..<19)
    var i = 19
    var nanos: Int64 = 0
    if i < scalars.count, scalars[i] == UInt8(ascii: ".") {
        i += 1
        var digits = 0
        while i < scalars.count, (0x30...0x39).contains(scalars[i]) {
            nanos = nanos * 10 + Int64(scalars[i] - 0x30)
            digits += 1
            i += 1
        }
        for _ in digits..<9 { nanos *= 10 }
    }
    var offset = 0
    if i < scalars.count, scalars[i] == UInt8(ascii: "+") || scalars[i] == UInt8(ascii: "-") {
        offset = (num((i + 1)..<(i + 3)) * 60 + num((i + 4)..<(i + 6))) * 60
        if scalars[i] == UInt8(ascii: "-") { offset = -offset }
    }
    // The offset is applied by hand: Foundation's TimeZone refuses offsets beyond ±18 h, and RFC 3339
    // allows up to ±23:59.
    components.timeZone = TimeZone(secondsFromGMT: 0)
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0)!
    let date = calendar.date(from: components)!
    return (Int64(date.timeIntervalSince1970.rounded()) - Int64(offset)) * 1_000_000_000 + nanos
}

/// The objects of text that holds JSON objects back to back, pretty-printed or not (SigmaHQ's
/// regression event files), parsed.
public func backToBackJSONObjects(_ text: String) throws -> [Any] {
    var objects: [Any] = []
    var depth = 0, inString = false, escaped = false, start: String.Index?
    for index in text.indices {
        let c = text[index]
        if inString {
            if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            continue
        }
        switch c {
        case "\"": inString = true
        case "{":
            if depth == 0 { start = index }
            depth += 1
        case "}":
            depth -= 1
            if depth == 0, let s = start {
                objects.append(try JSONSerialization.jsonObject(with: Data(text[s...index].utf8)))
            }
        default: break
        }
    }
    return objects
}

extension Trait where Self == ConditionTrait {
    /// For tests that read `../shared` (samples, the SigmaHQ corpus, the oracles): skipped, with this
    /// reason, when it is not beside the repository.
    public static var needsShared: Self {
        .enabled(if: Paths.hasShared, "needs ../shared (samples and the SigmaHQ corpus) beside the repository")
    }
}

/// A xorshift generator: the same numbers on every run, so that a randomized test that fails can be
/// run again as it failed (the seed is in the test).
public struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed | 1 }
    public mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
