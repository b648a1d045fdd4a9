import ArgumentParser
import Foundation
import WardCLI
import WardIngest
import WardOutput

#if canImport(Glibc)
import Glibc
#endif

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML incident report from alert files.",
        discussion: """
            Reads JSON alerts as scan, tail and listen write them (flat or --json-style nested; files, \
            .gz, or - for stdin) and writes one self-contained HTML file (inline SVG charts, no script, \
            nothing fetched): the run's summary, what an incident notification asks for (first and last \
            malicious activity, affected systems, accounts, categories of data, patient records counted \
            by pseudonym, never named), alerts over time by level, the rules that fired, the hosts, users \
            and source addresses with most alerts, the ATT&CK tactics and techniques that fired, and the \
            correlation alerts with their events. The file is created with mode 0600.

            Exit codes: 0 the report was written, 2 usage errors, 3 an input could not be read or held \
            lines that are not alerts (they are reported with their line and skipped; the report is \
            still written), 4 the report could not be written.
            """
    )

    @Argument(help: "Alert files (JSON lines, plain or gzip); - for stdin.")
    var paths: [String] = []

    @Option(name: [.customShort("o"), .long], help: "The HTML file to write. Default: stdout.")
    var output: String?

    @Option(help: "The report's title.")
    var title = "wardwatch incident report"

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give the alert files to report on, e.g. 'wardwatch report alerts.jsonl -o report.html'.") }
    }

    func run() throws { try withOwnUsage("report", execute) }

    func execute() throws {
        var report = AlertReport()
        var failed = false
        for path in paths {
            let text: String
            do {
                text = try Self.readAlerts(path)
            } catch {
                Diagnostics.error("\(path): \(error)")
                report.unreadable.append((path, "\(error)"))
                failed = true
                continue
            }
            var skipped = 0
            report.add(path: path, text: Substring(text)) { line, why in
                skipped += 1
                if skipped <= 5 { Diagnostics.error("\(path): line \(line): \(why); skipped.") }
            }
            if skipped > 5 { Diagnostics.error("\(path): \(skipped - 5) more lines that are not alerts were skipped.") }
            if skipped > 0 { failed = true }
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let html = ReportHTML.render(report, title: title, generated: Int64(now.tv_sec) * 1_000_000_000)
        if let output {
            let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0, FileDescriptorOutput(fd: fd).write(html), fsync(fd) == 0 || errno == EINVAL else {
                Diagnostics.error("cannot write the report to '\(output)': \(String(cString: strerror(errno))).")
                throw ExitCode(WardExit.output)
            }
            close(fd)
            Diagnostics.write("wardwatch report: \(ScanSummary.number(report.alerts)) alerts from \(report.sources.count) files → \(output)")
        } else if !FileDescriptorOutput(fd: 1).write(html) {
            Diagnostics.error("cannot write the report to stdout: \(String(cString: strerror(errno))).")
            throw ExitCode(WardExit.output)
        }
        if failed { throw ExitCode(WardExit.input) }
    }

    /// The whole (decompressed) text of an alert file.
    static func readAlerts(_ path: String) throws -> String {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SinkError(message: String(cString: strerror(errno)) + ".") }
        defer { if fd > 0 { close(fd) } }
        var head = [UInt8](repeating: 0, count: 2)
        let got = Glibc.read(fd, &head, 2)
        guard got >= 0 else { throw SinkError(message: String(cString: strerror(errno)) + ".") }
        let prefix = Array(head[0..<got])
        var bytes: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { buffer.deallocate() }
        func drain<S: ByteSource>(_ source: inout S) throws(IngestError) {
            while true {
                let n = try source.read(into: buffer)
                if n == 0 { return }
                bytes += buffer[0..<n]
            }
        }
        var plain = FileDescriptorSource(fd: fd, path: path, prefix: prefix)
        do throws(IngestError) {
            if prefix == [0x1F, 0x8B] {
                var gzip = GzipSource(upstream: plain, path: path)
                try drain(&gzip)
            } else {
                try drain(&plain)
            }
        } catch {
            throw SinkError(message: error.message)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
