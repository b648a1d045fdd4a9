import Foundation
import Testing
import WardTestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct InstallTests {
    /// `make install-files` into a temporary prefix (what `make install` does after building): the
    /// installed program, run from another folder with no --rules, finds its rules in
    /// `PREFIX/share/wardwatch` and gives the README's first command's alerts; without that folder it
    /// stops with an error naming where it looked — never 0 routed rules and exit 0.
    @Test func theInstalledProgramFindsItsRulesAndSaysSoWhenItCannot() throws {
        let prefix = try Paths.temporaryDirectory()
        let build = wardwatchBinary().deletingLastPathComponent().path
        let make = try runTool("/usr/bin/make", ["-C", Paths.root.path, "install-files", "PREFIX=" + prefix.path, "BUILD_DIR=" + build,
                                                 "MANUALS=/nonexistent"])
        #expect(make.status == 0, "\(make.output)")
        let program = prefix.appendingPathComponent("bin/wardwatch").path
        for installed in ["bin/wardwatch-listen", "bin/wardwatch-forward", "share/wardwatch/Rules/mappings", "share/bash-completion/completions/wardwatch",
                          "share/zsh/site-functions/_wardwatch", "share/fish/vendor_completions.d/wardwatch.fish"] {
            #expect(FileManager.default.fileExists(atPath: prefix.appendingPathComponent(installed).path), "\(installed)")
        }
        // Elsewhere: a folder whose SampleLogs is the repository's, so that alerts name the same paths.
        let elsewhere = try Paths.temporaryDirectory()
        try FileManager.default.createSymbolicLink(atPath: elsewhere.appendingPathComponent("SampleLogs").path,
                                                   withDestinationPath: Paths.root.appendingPathComponent("SampleLogs").path)
        func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
            process.currentDirectoryURL = elsewhere
            var environment = ProcessInfo.processInfo.environment
            environment["WARDWATCH_PHI_KEY"] = "wardwatch-end-to-end-test-key"
            environment["WARDWATCH_HOME"] = nil
            process.environment = environment
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            nonisolated(unsafe) var errData = Data()
            let reader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
            reader.start()
            let outData = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            while reader.isExecuting || !reader.isFinished { usleep(1000) }
            return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
        }
        let scan = try run(["scan", "--year", "2026", "SampleLogs"])
        #expect(scan.status == 0)
        let golden = try String(contentsOf: Paths.root.appendingPathComponent("Tests/EndToEndTests/Expected/scan-samplelogs.jsonl"), encoding: .utf8)
        #expect(scan.stdout == golden)

        try FileManager.default.removeItem(at: prefix.appendingPathComponent("share/wardwatch"))
        let lost = try run(["scan", "--year", "2026", "SampleLogs"])
        #expect(lost.status == 2)
        #expect(lost.stdout == "")
        #expect(lost.stderr == "wardwatch: error: cannot find the bundled rules and mappings (Rules/mappings); looked in \(prefix.path)/share/wardwatch, \(prefix.path)/bin, \(prefix.path), \(prefix.deletingLastPathComponent().path). Install wardwatch with 'make install', set WARDWATCH_HOME to the folder that holds Rules/, or give --mappings.\n")
    }
}
