import ArgumentParser
import WardCLI
import WardCore
import WardOutput
import WardPipeline
import WardParse

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@main
struct Wardwatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wardwatch",
        abstract: "Log analysis for hospital Security Operations Centers.",
        discussion: """
            Reads syslog from servers and clinical systems, firewall logs, HL7 v2, IHE ATNA and FHIR audit \
            trails and JSON lines (plain or gzip, files, directories, stdin, followed files or the \
            network), matches them against Sigma rules and correlations, and writes alerts (JSON lines \
            in ECS, pretty, csv, table, markdown) to stdout, files, syslog or HTTP receivers; makes HTML \
            incident reports; checks, lists and measures rules.

            Exit codes: 0 success, 2 usage error (or a rule error with --strict-rules), 3 input error \
            (a missing file, a corrupt or truncated .gz, a line cut at the line limit, a dangling link or \
            FIFO in a folder; every other input is still processed), 4 output error (a local output failed and \
            the run stopped, or a remote output missed alerts).
            """,
        version: AlertEncoder.productVersion,
        subcommands: [Scan.self, Tail.self, ListenLauncher.self, Parse.self, Report.self, Rules.self, Formats.self, Bench.self]
    )

    /// Runs the command line; usage errors exit with 2 as `DESIGN.md` says (ArgumentParser's own
    /// default is 64).
    static func main() {
        // `listen` is a program of its own (the network stack is linked there only).
        if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "listen" {
            ListenLauncher.launch(Array(CommandLine.arguments.dropFirst(2)))
        }
        runAsMain()
    }
}


/// `wardwatch listen`: runs `wardwatch-listen`, installed beside `wardwatch`.
struct ListenLauncher: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Receive syslog over UDP, TCP and TLS and write alerts as they happen ('wardwatch listen --help').")

    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws { Self.launch(arguments) }

    /// Replaces this process with `wardwatch-listen ARGUMENTS`; exits 2 if it is not installed.
    static func launch(_ arguments: [String]) -> Never {
        let program = Program.sibling("wardwatch-listen")
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        execv(program, argv)
        Diagnostics.error("cannot run \(program): \(String(cString: strerror(errno))); 'wardwatch listen' needs wardwatch-listen beside wardwatch (swift build builds both).")
        Glibc.exit(WardExit.usage)
    }
}
