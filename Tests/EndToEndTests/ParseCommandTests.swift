import Foundation
import Testing
import WardTestSupport

/// Runs the built `wardwatch` binary (it sits beside the test bundle in the build folder).
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// - Parameter phiKey: the patient-pseudonym key given through `WARDWATCH_PHI_KEY` (a fixed one, so
///   that golden files hold stable tokens); `nil` runs without a key, as an operator who set none.
func wardwatch(_ arguments: [String], stdin: Data? = nil, phiKey: String? = "wardwatch-end-to-end-test-key",
               environment extra: [String: String] = [:]) throws -> Run {
    let process = Process()
    process.executableURL = wardwatchBinary()
    process.arguments = arguments
    process.currentDirectoryURL = Paths.root
    var environment = ProcessInfo.processInfo.environment
    environment["WARDWATCH_PHI_KEY"] = phiKey
    environment.merge(extra) { $1 }
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        DispatchQueue.global().async {
            try? input.fileHandleForWriting.write(contentsOf: stdin)
            try? input.fileHandleForWriting.close()
        }
    }
    // Read both pipes concurrently so a full pipe never blocks the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
               stderr: String(decoding: errData, as: UTF8.self))
}

@Suite struct ParseCommandTests {
    /// The README's first command: every SampleLogs line, exactly as reviewed in the golden file.
    @Test func sampleLogsParseToTheGoldenOutput() throws {
        let run = try wardwatch(["parse", "--year", "2026", "SampleLogs"])
        let expected = try String(contentsOf: Paths.root.appendingPathComponent("Tests/EndToEndTests/Expected/parse-samplelogs.jsonl"),
                                  encoding: .utf8)
        #expect(run.status == 0)
        #expect(run.stderr == "")
        #expect(run.stdout == expected)
    }

    @Test(.needsShared) func gzipCopyGivesByteIdenticalOutputToThePlainFile() throws {
        let plain = try wardwatch(["parse", "--year", "2015", "../shared/samples/loghub/OpenSSH/OpenSSH_2k.log"])
        let gz = try wardwatch(["parse", "--year", "2015", "../shared/samples/loghub/OpenSSH/OpenSSH_2k.log.gz"])
        #expect(plain.status == 0 && gz.status == 0)
        #expect(plain.stdout.split(separator: "\n").count == 2000)
        #expect(gz.stdout.replacingOccurrences(of: "OpenSSH_2k.log.gz\"", with: "OpenSSH_2k.log\"") == plain.stdout)
    }

    @Test(.needsShared) func stdinIsReadForDashAndForNoPath() throws {
        let bytes = try Data(contentsOf: Paths.sample("loghub/Linux/Linux_2k.log"))
        let file = try wardwatch(["parse", "--year", "2005", "../shared/samples/loghub/Linux/Linux_2k.log"])
        let dash = try wardwatch(["parse", "--year", "2005", "-"], stdin: bytes)
        let none = try wardwatch(["parse", "--year", "2005"], stdin: bytes)
        let asStdin = file.stdout.replacingOccurrences(of: "\"../shared/samples/loghub/Linux/Linux_2k.log\"", with: "\"-\"")
        #expect(dash.status == 0 && none.status == 0)
        #expect(dash.stdout == asStdin)
        #expect(none.stdout == asStdin)
        // gzip on stdin is detected by its magic bytes too.
        let gz = try wardwatch(["parse", "--year", "2005", "-"], stdin: Data(gzipMember(Array(bytes))))
        #expect(gz.stdout == asStdin)
    }

    @Test(.needsShared) func truncatedGzipKeepsEarlierEventsNamesTheFileAndExitsThree() throws {
        let dir = try Paths.temporaryDirectory()
        let text = Array(try Data(contentsOf: Paths.sample("loghub/OpenSSH/OpenSSH_2k.log")))
        let compressed = gzipMember(text)
        let cut = dir.appendingPathComponent("auth.log.3.gz")
        try Data(compressed[0..<(compressed.count * 3 / 4)]).write(to: cut)
        let good = Paths.root.appendingPathComponent("SampleLogs/linux/messages").path
        let run = try wardwatch(["parse", "--year", "2015", cut.path, good])
        #expect(run.status == 3)
        let errors = run.stderr.split(separator: "\n")
        #expect(errors.count == 1)
        #expect(errors[0].hasPrefix("wardwatch: error: \(cut.path): byte \(compressed.count * 3 / 4) (decompressed byte "))
        #expect(errors[0].hasSuffix("): gzip stream is truncated: the input ends inside a compressed member."))
        let lines = run.stdout.split(separator: "\n")
        let fromCut = lines.filter { $0.contains(cut.lastPathComponent) }
        #expect(fromCut.count > 1000)
        #expect(fromCut[0].contains("\"message\":\"reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!\""))
        #expect(lines.filter { $0.contains("SampleLogs/linux/messages") }.count == 11)
    }

    @Test func missingPathIsReportedAndTheOtherInputsStillRead() throws {
        let run = try wardwatch(["parse", "/no/such/dir/auth.log", "SampleLogs/linux/auth.log"])
        #expect(run.status == 3)
        #expect(run.stderr == "wardwatch: error: /no/such/dir/auth.log: no such file or directory.\n")
        #expect(run.stdout.split(separator: "\n").count == 20)
    }

    @Test func overLongLineIsCutFlaggedReportedAndTheNextLineKept() throws {
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("big.log")
        var bytes = Array("Nov 22 08:00:00 hl7-engine01 mirth[1777]: ".utf8) + [UInt8](repeating: 0x41, count: 10_000_000)
        bytes += Array("\nNov 22 08:00:01 hl7-engine01 mirth[1777]: after\n".utf8)
        try Data(bytes).write(to: file)
        let run = try wardwatch(["parse", "--year", "2026", "--max-line-bytes", "4096", file.path])
        #expect(run.status == 3)
        #expect(run.stderr == "wardwatch: error: \(file.path): line 1 (byte 0): line of 10000042 bytes cut to 4096 bytes; raise --max-line-bytes to keep it whole.\n")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["log.flags"] as? [String] == ["truncated"])
        #expect((first["event.original"] as! String).utf8.count == 4096)
        #expect(first["process.name"] as? String == "mirth")
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        #expect(second["message"] as? String == "after")
        #expect(second["log.offset"] as? Int == 10_000_043)
    }

    @Test func invalidUTF8AndCRLFStillGiveValidJSON() throws {
        let line: [UInt8] = Array("<38>Nov 22 08:00:00 pacs-gw01 storescp[12]: AE ".utf8) + [0xC9, 0x43, 0x48, 0xFF, 0x00] + Array("\r\n".utf8)
        let run = try wardwatch(["parse", "--year", "2026", "-"], stdin: Data(line))
        #expect(run.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        #expect(object["message"] as? String == "AE \u{FFFD}CH\u{FFFD}\u{0}")
        #expect(object["host.hostname"] as? String == "pacs-gw01")
        #expect(object["@timestamp"] as? String == "2026-11-22T08:00:00.000Z")
    }

    @Test func usageErrorsExitTwo() throws {
        let run = try wardwatch(["parse", "--max-line-bytes", "1", "SampleLogs"])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("Error: '--max-line-bytes' must be between 64 and 1073741824, not 1."))
        let format = try wardwatch(["parse", "--format", "xml"])
        #expect(format.status == 2)
        let offset = try wardwatch(["parse", "--tz-offset", "CET"])
        #expect(offset.status == 2)
        #expect(offset.stderr.hasPrefix("Error: '--tz-offset' must look like +01:00 or -05:30, not 'CET'."))
    }

    @Test func forcedFormatAndTimezoneOffsetApply() throws {
        let input = Data("Nov 22 08:00:00 h p: m\n".utf8)
        let raw = try wardwatch(["parse", "--format", "raw", "-"], stdin: input)
        #expect(raw.stdout == #"{"event.dataset":"unparsed","message":"Nov 22 08:00:00 h p: m","event.original":"Nov 22 08:00:00 h p: m","log.file.path":"-","log.offset":0}"# + "\n")
        let shifted = try wardwatch(["parse", "--year", "2026", "--tz-offset", "+01:00", "-"], stdin: input)
        #expect(shifted.stdout.hasPrefix(#"{"@timestamp":"2026-11-22T07:00:00.000Z","#))
    }
}
