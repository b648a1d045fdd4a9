import ArgumentParser
import Foundation
import WardCLI
import WardForward
import WardOutput

#if canImport(Glibc)
import Glibc
#endif

/// Delivers alerts (JSON lines on stdin) to syslog and HTTP receivers: the helper behind every remote
/// `--output` of `scan`, `tail` and `listen`, a process of its own so that the network stack and TLS
/// are linked here only, and a receiver that hangs cannot stall a run.
@main
struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wardwatch-forward",
        abstract: "Deliver alerts (JSON lines on stdin) to syslog and HTTP receivers.",
        discussion: """
            Started by wardwatch for each run with a syslog:// or http(s):// --output; see 'wardwatch scan \
            --help'. At the end of its input it delivers what is queued (each receiver's ?timeout=), then \
            writes one JSON report per receiver to stdout. Exit codes: 0 every alert delivered, 2 usage \
            errors, 4 some alerts were dropped, refused or not delivered.
            """
    )

    @Option(name: .customLong("to"), help: "A receiver URL (repeatable).")
    var receivers: [String] = []

    func validate() throws {
        guard !receivers.isEmpty else { throw ValidationError("give at least one --to URL.") }
        for url in receivers {
            do { _ = try RemoteOutputSpec(url) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        // The parent ends its run with SIGINT/SIGTERM and then closes this input: the queue is
        // delivered, not cut off by the same signal (a terminal or `timeout` signals the whole
        // process group). SIGHUP reloads the parent's rules; it means nothing here.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let specs = try receivers.map(RemoteOutputSpec.init)
        let forwarder: Forwarder
        do {
            forwarder = try Forwarder(specs) { Diagnostics.warning("output \($0)") }
        } catch {
            Diagnostics.error("\(error)")
            throw ExitCode(WardExit.usage)
        }
        let reports = forwarder.run(reading: 0)
        Console.writeStdout(reports.map(\.jsonLine).joined())
        if reports.contains(where: { !$0.complete }) { throw ExitCode(WardExit.output) }
    }
}
