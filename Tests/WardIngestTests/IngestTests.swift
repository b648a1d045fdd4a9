import Foundation
import Testing
import WardCore
import WardIngest
import WardTestSupport

/// Reads a whole input through the chunker; returns the lines (by chunk) and the error, if any.
func readAll(_ path: String, chunkSize: Int = 1 << 20, lineLimit: Int = 1 << 20)
    -> (chunks: [Chunk], lines: [[UInt8]], full: [Int], numbers: [Int64], offsets: [Int64], error: IngestError?,
        notice: IngestNotice?)
{
    var chunks: [Chunk] = []
    var lines: [[UInt8]] = []
    var full: [Int] = []
    var numbers: [Int64] = []
    var offsets: [Int64] = []
    var chunker: RecordChunker<DecodedInput>
    do {
        chunker = try InputReader.open(InputFile(path: path), index: 0,
                                       options: IngestOptions(chunkSize: chunkSize, lineLimit: lineLimit))
    } catch {
        return ([], [], [], [], [], error, nil)
    }
    defer { InputReader.close(chunker) }
    var chunk = Chunk()
    do {
        while try chunker.next(into: &chunk) {
            chunks.append(chunk)
            chunk.withUnsafeBytes { buf in
                for record in chunk.records {
                    let start = Int(record.start)
                    lines.append(Array(buf[start..<(start + Int(record.length))]))
                    full.append(Int(record.fullLength))
                    numbers.append(record.line)
                    offsets.append(chunk.origin.offset + Int64(start))
                }
            }
        }
    } catch {
        return (chunks, lines, full, numbers, offsets, error, chunker.source.notice)
    }
    return (chunks, lines, full, numbers, offsets, nil, chunker.source.notice)
}

func write(_ bytes: [UInt8], to url: URL) throws {
    try Data(bytes).write(to: url)
}

/// Realistic lines of varying length for round trips.
func sampleText(lines: Int) -> [UInt8] {
    var out: [UInt8] = []
    for i in 0..<lines {
        out += Array("Nov 22 08:\(10 + i % 50):0\(i % 10) ehr-app0\(i % 4) sshd[\(1000 + i)]: Accepted publickey for svc_hl7 from 10.20.\(i % 256).\(i % 200) port \(40000 + i)\(String(repeating: "x", count: i % 97))\n".utf8)
    }
    return out
}

@Suite struct IngestTests {
    @Test func chunksHoldWholeLinesAndReassembleTheInput() throws {
        let dir = try Paths.temporaryDirectory()
        let text = sampleText(lines: 5000)
        let file = dir.appendingPathComponent("auth.log")
        try write(text, to: file)
        for chunkSize in [100, 4096, 65_536, 1 << 20] {
            let result = readAll(file.path, chunkSize: chunkSize)
            #expect(result.error == nil)
            // Chunks of about `chunkSize`: at least that much (the last one aside), at most one line more.
            #expect(result.chunks.count >= text.count / (chunkSize + 400) - 1)
            #expect(result.chunks.count <= text.count / chunkSize + 1)
            // Every chunk ends at a line end, and concatenating them gives the input back.
            var joined: [UInt8] = []
            for chunk in result.chunks {
                #expect(chunk.storage[chunk.count - 1] == 0x0A)
                joined += chunk.storage[0..<chunk.count]
            }
            #expect(joined == text)
            #expect(result.lines.count == 5000)
            #expect(result.numbers == (1...5000).map(Int64.init))
            // Offsets point at each line's first byte.
            var expectedOffset: Int64 = 0
            for (line, offset) in zip(result.lines, result.offsets) {
                #expect(offset == expectedOffset)
                expectedOffset += Int64(line.count + 1)
            }
        }
    }

    @Test func crlfLastLineWithoutNewlineNulBytesAndInvalidUTF8AreKept() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("mixed.log")
        try write(Array("a\r\nb\0c\r\n\u{7f}\u{1}".utf8) + [0xFF, 0xC3, 0x28, 0x0A] + Array("last".utf8), to: file)
        let result = readAll(file.path)
        #expect(result.error == nil)
        #expect(result.lines == [Array("a".utf8), Array("b\0c".utf8), [0x7F, 0x01, 0xFF, 0xC3, 0x28], Array("last".utf8)])
        #expect(result.offsets == [0, 3, 8, 14])
    }

    @Test func aLineLongerThanTheLimitIsCutAndFlaggedWhetherItFitsTheBufferOrNot() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("long.log")
        let limit = 1000
        let short = Array("before\n".utf8)
        let withinBuffer = [UInt8](repeating: UInt8(ascii: "a"), count: 1500) + [0x0A]  // > limit, < buffer
        let huge = [UInt8](repeating: UInt8(ascii: "b"), count: 10 * 1024 * 1024) + [0x0A]  // a 10 MiB line
        try write(short + withinBuffer + huge + Array("after\n".utf8), to: file)
        let result = readAll(file.path, chunkSize: 4096, lineLimit: limit)
        #expect(result.error == nil)
        #expect(result.lines.map(\.count) == [6, limit, limit, 5])
        #expect(result.full == [6, 1500, 10 * 1024 * 1024, 5])
        #expect(result.lines[3] == Array("after".utf8))
        #expect(result.numbers == [1, 2, 3, 4])
        #expect(result.offsets == [0, 7, 1508, Int64(1508 + 10 * 1024 * 1024 + 1)])
    }

    @Test func gzipIsDetectedByContentNotName() throws {
        let dir = try Paths.temporaryDirectory()
        let text = sampleText(lines: 300)
        try write(gzipMember(text), to: dir.appendingPathComponent("rotated.log.1"))  // no .gz suffix
        try write(text, to: dir.appendingPathComponent("plain.gz"))  // .gz suffix, plain text
        let gz = readAll(dir.appendingPathComponent("rotated.log.1").path)
        let plain = readAll(dir.appendingPathComponent("plain.gz").path)
        #expect(gz.error == nil && plain.error == nil)
        #expect(gz.lines == plain.lines)
        #expect(gz.offsets == plain.offsets)
        #expect(gz.lines.count == 300)
    }

    @Test func multiMemberAndConcatenatedGzipReadsEveryMember() throws {
        let dir = try Paths.temporaryDirectory()
        let parts = [sampleText(lines: 100), Array("middle line without newline".utf8), [], sampleText(lines: 50)]
        let file = dir.appendingPathComponent("cat.gz")
        try write(parts.flatMap { gzipMember($0) }, to: file)
        let result = readAll(file.path, chunkSize: 1000)
        #expect(result.error == nil)
        #expect(result.notice == nil)
        let expected = readAll({ () -> String in
            let plain = dir.appendingPathComponent("cat.txt")
            try? write(parts.flatMap { $0 }, to: plain)
            return plain.path
        }())
        #expect(result.lines == expected.lines)
        #expect(result.lines.count == 100 + 50)  // the unterminated middle line joins the next member's first line
    }

    @Test func truncatedGzipKeepsEveryLineBeforeTheCutAndNamesTheFile() throws {
        let dir = try Paths.temporaryDirectory()
        let text = sampleText(lines: 20_000)
        let compressed = gzipMember(text)
        let file = dir.appendingPathComponent("auth.log.2.gz")
        let cut = compressed.count / 2
        try write(Array(compressed[0..<cut]), to: file)
        let result = readAll(file.path)
        let error = try #require(result.error)
        #expect(error.code == .truncatedGzip)
        #expect(error.path == file.path)
        #expect(error.offset == Int64(cut))
        #expect(error.description == "\(file.path): byte \(cut) (decompressed byte \(error.decompressedOffset!)): gzip stream is truncated: the input ends inside a compressed member.")
        // Everything inflated before the cut arrives, the partial last line included.
        let delivered = result.chunks.reduce(0) { $0 + $1.count }
        #expect(Int64(delivered) == error.decompressedOffset)
        #expect(result.lines.count > 1000)
        let textLines = text.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        #expect(Array(result.lines.dropLast()) == Array(textLines[0..<(result.lines.count - 1)]))
        #expect(textLines[result.lines.count - 1].starts(with: result.lines.last!))
    }

    @Test func corruptGzipIsReportedWithItsOffsets() throws {
        let dir = try Paths.temporaryDirectory()
        var compressed = gzipMember(sampleText(lines: 20_000))
        for i in (compressed.count / 2)..<(compressed.count / 2 + 64) { compressed[i] ^= 0x5A }
        let file = dir.appendingPathComponent("corrupt.gz")
        try write(compressed, to: file)
        let result = readAll(file.path)
        let error = try #require(result.error)
        #expect(error.code == .corruptGzip)
        #expect(error.description.hasPrefix("\(file.path): byte "))
        #expect(error.description.contains("gzip data is corrupt: "))
        #expect(result.lines.count > 100)
    }

    @Test func trailingGarbageAfterTheLastMemberIsANotice() throws {
        let dir = try Paths.temporaryDirectory()
        let member = gzipMember(Array("one\ntwo\n".utf8))
        let file = dir.appendingPathComponent("padded.gz")
        try write(member + [UInt8](repeating: 0, count: 512), to: file)
        let result = readAll(file.path)
        #expect(result.error == nil)
        #expect(result.lines == [Array("one".utf8), Array("two".utf8)])
        #expect(result.notice?.description == "\(file.path): byte \(member.count): ignored 512 trailing bytes after the last gzip member.")
    }

    @Test func directoriesAreWalkedRecursivelyInByteOrderOfNames() throws {
        let dir = try Paths.temporaryDirectory()
        let fm = FileManager.default
        for sub in ["b", "a/nested", "C"] {
            try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        for name in ["z.log", "a/nested/x.log", "a/b.log", "b/1.gz", "C/up.log", "A.log", "a.log", ".hidden"] {
            try write(Array("x\n".utf8), to: dir.appendingPathComponent(name))
        }
        try fm.createSymbolicLink(at: dir.appendingPathComponent("loop"), withDestinationURL: dir)
        try fm.createSymbolicLink(at: dir.appendingPathComponent("link.log"),
                                  withDestinationURL: dir.appendingPathComponent("z.log"))
        // A link to a directory elsewhere is followed; one to a directory read already is read once;
        // a dangling link and a FIFO are reported.
        let elsewhere = try Paths.temporaryDirectory()
        try write(Array("y\n".utf8), to: elsewhere.appendingPathComponent("far.log"))
        try fm.createSymbolicLink(at: dir.appendingPathComponent("d-far"), withDestinationURL: elsewhere)
        try fm.createSymbolicLink(at: dir.appendingPathComponent("e-again"), withDestinationURL: dir.appendingPathComponent("C"))
        try fm.createSymbolicLink(at: dir.appendingPathComponent("gone.log"), withDestinationURL: dir.appendingPathComponent("nothing"))
        #expect(mkfifo(dir.appendingPathComponent("pipe").path, 0o600) == 0)
        let (inputs, errors) = InputWalker.expand([dir.path, "/no/such/file.log", "-"])
        let relative = inputs.map { $0.path.replacingOccurrences(of: dir.path + "/", with: "") }
        #expect(relative == [".hidden", "A.log", "C/up.log", "a/b.log", "a/nested/x.log", "a.log", "b/1.gz",
                             "d-far/far.log", "link.log", "z.log", "-"])
        #expect(errors.map { $0.description.replacingOccurrences(of: dir.path + "/", with: "") } == [
            "gone.log: dangling symbolic link (No such file or directory); skipped.",
            "loop: symbolic link loop (it leads back to a directory it lies in); skipped.",
            "pipe: a FIFO, not a log file; skipped.",
            "/no/such/file.log: no such file or directory.",
        ])
        #expect(errors.last?.code == .notFound)
        #expect(InputWalker.expand([]).inputs == [InputFile(path: "-")])
    }

    @Test(.needsShared) func loghubGzipCopyDecompressesToThePlainFile() throws {
        let plain = readAll(Paths.sample("loghub/OpenSSH/OpenSSH_2k.log").path)
        let gz = readAll(Paths.sample("loghub/OpenSSH/OpenSSH_2k.log.gz").path)
        #expect(plain.error == nil && gz.error == nil)
        #expect(plain.lines.count == 2000)
        #expect(gz.lines == plain.lines)
        #expect(gz.offsets == plain.offsets)
    }
}

@Suite struct PrefetchingReaderTests {
    func chunks(_ path: String, prefetch: Bool, chunkSize: Int = 4096) -> ([[UInt8]], [ChunkOrigin], IngestError?) {
        let options = IngestOptions(chunkSize: chunkSize, lineLimit: 1 << 16)
        var bodies: [[UInt8]] = []
        var origins: [ChunkOrigin] = []
        var chunk = Chunk()
        do {
            let chunker = try InputReader.open(InputFile(path: path), index: 7, options: options)
            if prefetch {
                let reader = PrefetchingReader(chunker, depth: 2)
                defer { reader.close() }
                while try reader.next(into: &chunk) {
                    bodies.append(Array(chunk.storage[0..<chunk.count]))
                    origins.append(chunk.origin)
                }
            } else {
                var direct = chunker
                defer { InputReader.close(direct) }
                while try direct.next(into: &chunk) {
                    bodies.append(Array(chunk.storage[0..<chunk.count]))
                    origins.append(chunk.origin)
                }
            }
        } catch {
            return (bodies, origins, error)
        }
        return (bodies, origins, nil)
    }

    @Test func deliversTheSameChunksInOrderAsTheChunkerItself() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("a.log.gz")
        try write(gzipMember(sampleText(lines: 20_000)), to: file)
        let direct = chunks(file.path, prefetch: false)
        let prefetched = chunks(file.path, prefetch: true)
        #expect(direct.2 == nil && prefetched.2 == nil)
        #expect(direct.0.count > 100)
        #expect(prefetched.0 == direct.0)
        #expect(prefetched.1 == direct.1)
        #expect(prefetched.1.allSatisfy { $0.sourceIndex == 7 })
    }

    @Test func anErrorComesAfterEveryChunkReadBeforeIt() throws {
        let dir = try Paths.temporaryDirectory()
        let compressed = gzipMember(sampleText(lines: 20_000))
        let file = dir.appendingPathComponent("cut.gz")
        try write(Array(compressed[0..<(compressed.count / 3)]), to: file)
        let direct = chunks(file.path, prefetch: false)
        let prefetched = chunks(file.path, prefetch: true)
        #expect(prefetched.2?.code == .truncatedGzip)
        #expect(prefetched.2 == direct.2)
        #expect(prefetched.0 == direct.0)
    }

    @Test func closingEarlyStopsTheReaderThread() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("big.log")
        try write(sampleText(lines: 50_000), to: file)
        for _ in 0..<20 {
            let reader = PrefetchingReader(try InputReader.open(InputFile(path: file.path), index: 0,
                                                                 options: IngestOptions(chunkSize: 1024)), depth: 2)
            var chunk = Chunk()
            #expect(try reader.next(into: &chunk))
            reader.close()
            reader.close()
        }
    }
}
