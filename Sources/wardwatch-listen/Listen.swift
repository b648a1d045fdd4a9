import ArgumentParser
import Dispatch
import Foundation
import NIOCore
import Synchronization
import WardCLI
import WardCore
import WardIngest
import WardListen
import WardOutput
import WardParse
import WardPipeline

#if canImport(Glibc)
import Glibc
#endif

/// `wardwatch listen`, in a program of its own so that the other commands do not link a network
/// stack (`wardwatch listen …` runs it).
@main
struct Listen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wardwatch listen",
        abstract: "Receive syslog over UDP, TCP and TLS and write alerts as they happen.",
        discussion: """
            Listens for syslog messages — UDP (RFC 5426), TCP (RFC 6587: octet counting or one message \
            per line, told apart per message), TLS (RFC 5425, as IHE ATNA audit records are sent; \
            --tls-client-ca asks for client certificates) — and matches them with the same rules, \
            options and output as scan. Every event names its sender (log.source.address, \
            log.source.port, network.transport). Without --udp, --tcp or --tls: UDP and TCP on port 5514.

            Limits: messages over --max-frame-bytes are cut (flagged and reported); connections over \
            --max-connections are refused, idle ones closed after --idle-timeout, TLS handshakes not \
            done in --handshake-timeout closed (all counted). When matching falls behind, TCP \
            connections stop being read (their senders wait) and UDP messages are dropped and counted.

            SIGTERM or SIGINT: stops listening, matches and writes what was received, saves --state, \
            prints the summary; exit 128 + the signal. SIGHUP: the --output files are opened again.
            """
    )

    @OptionGroup var detection: DetectionOptions
    @OptionGroup var read: ReadOptions

    @Option(help: "Listen for syslog over UDP on [HOST]:PORT or HOST (port 5514) (repeatable), e.g. 5514, 127.0.0.1:5514, 0.0.0.0.")
    var udp: [String] = []
    @Option(help: "Listen for syslog over TCP on [HOST]:PORT or HOST (port 5514) (repeatable).")
    var tcp: [String] = []
    @Option(help: "Listen for syslog over TLS on [HOST]:PORT or HOST (port 6514) (repeatable), e.g. 0.0.0.0 or :6514; needs --tls-cert and --tls-key.")
    var tls: [String] = []
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain of the TLS listeners.")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of the TLS listeners.")
    var tlsKey: String?
    @Option(name: .customLong("tls-client-ca"), help: "PEM CA certificates: TLS clients must present a certificate they signed (mutual TLS).")
    var tlsClientCA: String?
    @Option(name: .customLong("max-frame-bytes"), help: "Messages longer than this are cut (flagged and reported).")
    var maxFrameBytes: Int = 256 << 10
    @Option(name: .customLong("max-connections"), help: "TCP and TLS connections open at once; more are refused (counted).")
    var maxConnections: Int = 1024
    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may send nothing before it is closed.")
    var idleTimeout: Int = 300
    @Option(name: .customLong("handshake-timeout"), help: "Seconds a TLS client has to finish its handshake.")
    var handshakeTimeout: Int = 10
    @Option(name: .customLong("state"), help: "Correlation and suppression state file: read at start (if it exists), written at exit.")
    var state: String?
    @Option(name: .customLong("status-interval"), help: "Print a one-line status (events/s, alerts, messages, drops) to stderr at this interval (e.g. 60s).")
    var statusInterval: String?

    func validate() throws {
        guard detection.format != "table" && detection.format != "markdown" else { throw ValidationError("'--format \(detection.format)' is for scan: listen writes alerts as they happen.") }
        for (flag, values) in [("--udp", udp), ("--tcp", tcp), ("--tls", tls)] {
            for v in values where ListenEndpoint(v, transport: .udp) == nil {
                throw ValidationError("'\(flag)' must be [HOST]:PORT or HOST such as 5514, 127.0.0.1:5514 or 0.0.0.0, not '\(v)'.")
            }
        }
        if !tls.isEmpty && (tlsCert == nil || tlsKey == nil) { throw ValidationError("'--tls' needs '--tls-cert' and '--tls-key'.") }
        guard maxFrameBytes >= 64 && maxFrameBytes <= 64 << 20 else {
            throw ValidationError("'--max-frame-bytes' must be between 64 and 67108864, not \(maxFrameBytes).")
        }
        guard maxConnections >= 1 else { throw ValidationError("'--max-connections' must be at least 1.") }
        guard idleTimeout >= 1, handshakeTimeout >= 1 else { throw ValidationError("timeouts must be at least 1 second.") }
        if let statusInterval, parseDuration(statusInterval) == nil {
            throw ValidationError("'--status-interval' must be a duration such as 30s or 5m, not '\(statusInterval)'.")
        }
    }

    static func main() { runAsMain() }

    func run() throws { try withOwnUsage("listen", execute) }

    func execute() throws {
        var endpoints = udp.compactMap { ListenEndpoint($0, transport: .udp) } + tcp.compactMap { ListenEndpoint($0, transport: .tcp) }
            + tls.compactMap { ListenEndpoint($0, transport: .tls) }
        if endpoints.isEmpty { endpoints = [ListenEndpoint("5514", transport: .udp)!, ListenEndpoint("5514", transport: .tcp)!] }
        let names = SourceNames(["listen"])
        // The site formats first: their log sources route rules.
        let parser = EventParser(options: try read.parseOptions(format: detection.inputFormat))
        var detection = try Detection(detection, names: names, verb: "received", noun: "listener")
        var notes: [String] = try state.map { [try detection.loadState($0)] } ?? []
        let inbox = MessageInbox(names: names, sourceIndex: 0, framing: parser.framing)
        var limits = ListenLimits()
        limits.maxFrame = maxFrameBytes
        limits.maxConnections = maxConnections
        limits.idleTimeout = .seconds(Int64(idleTimeout))
        limits.handshakeTimeout = .seconds(Int64(handshakeTimeout))
        let listener = SyslogListener(inbox: inbox, limits: limits) { Diagnostics.warning($0) }
        do {
            try listener.start(endpoints, tls: tlsCert.map { ListenTLS(certificate: $0, key: tlsKey ?? "", clientCA: tlsClientCA) })
        } catch {
            Diagnostics.error("\(error)")
            throw ExitCode(WardExit.usage)
        }

        let latest = Shared(RunStatistics(rules: 0))
        // A signal stops the listeners, then the pipeline takes what was received and ends.
        let stopped = Shared<Int32?>(nil)
        var handlers: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            Glibc.signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let first = stopped.withLock { s -> Bool in
                    defer { if s == nil { s = sig } }
                    return s == nil
                }
                guard first else { return }
                listener.shutdown()
                inbox.interrupt()
                DispatchQueue.global().asyncAfter(deadline: .now() + 10) { Glibc.exit(128 + sig) }
            }
            source.resume()
            handlers.append(source)
        }
        let hangup = Self.reloadSignal { inbox.endRun() }
        var timer: DispatchSourceTimer?
        if let interval = statusInterval.flatMap(parseDuration) {
            let t = DispatchSource.makeTimerSource(queue: .global())
            let previous = Shared((events: 0, at: Date()))
            let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
            t.schedule(deadline: .now() + seconds, repeating: seconds)
            t.setEventHandler {
                let s = latest.withLock { $0 }
                let i = inbox.statistics
                let rate = previous.withLock { p -> Int in
                    defer { p = (s.events, Date()) }
                    return Int(Double(s.events - p.events) / max(0.001, Date().timeIntervalSince(p.at)))
                }
                Diagnostics.write("wardwatch: status: \(rate) events/s, \(s.events) events, \(s.alerts) alerts, \(i.messages) messages received, \(i.dropped + listener.kernelDrops) UDP dropped, TCP paused \(i.paused) times")
            }
            t.resume()
            timer = t
        }
        let ports = zip(endpoints, listener.boundPorts).map { e, port in "\(e.transport.rawValue) \(e.host):\(port)" }
        Diagnostics.write("wardwatch: listening on \(ports.joined(separator: ", "))")

        var report: PipelineReport
        while true {
            var configuration = detection.configuration(inputs: [PipelineInput(name: "listen") { _, _ in inbox }], parser: parser)
            configuration.order = .input
            configuration.closesSources = false
            configuration.onProgress = { stats in latest.withLock { $0 = stats } }
            report = Pipeline(configuration).run()
            if stopped.withLock({ $0 }) != nil || report.outputError != nil || inbox.isFinished { break }
            // SIGHUP: the rules again, with the state of the ones still loaded; messages wait in the inbox.
            if hangup.take(), let fresh = Self.reload(detection.options, names: names, verb: "received", noun: "listener", from: detection) {
                detection = fresh
            }
        }
        timer?.cancel()
        hangup.cancel()
        listener.shutdown()
        let outputs = detection.closeOutputs()
        let stateFailed = state.map { !detection.saveState($0, consequence: "a restart cannot continue this run's windows") } ?? false
        let i = inbox.statistics
        let l = listener.statistics
        let kernelDrops = listener.kernelDrops
        var line = "listen: \(i.messages) messages (\(ScanSummary.number(Int(i.bytes))) bytes) from \(i.connections) connections and UDP senders"
        if i.dropped > 0 { line += "; \(i.dropped) UDP messages DROPPED (matching fell behind)" }
        if kernelDrops > 0 { line += "; \(kernelDrops) UDP datagrams DROPPED by the kernel (receive buffer full)" }
        if i.paused > 0 { line += "; TCP reading paused \(i.paused) times while matching caught up" }
        if l.refusedConnections > 0 { line += "; \(l.refusedConnections) connections refused (--max-connections)" }
        if l.idleClosed > 0 { line += "; \(l.idleClosed) idle connections closed" }
        if l.handshakeFailures > 0 { line += "; \(l.handshakeFailures) TLS handshakes failed" }
        if l.handshakeTimeouts > 0 { line += "; \(l.handshakeTimeouts) TLS handshakes timed out" }
        notes.append(line)
        notes += outputs.notes
        detection.printSummary(report, extra: notes, command: "listen", files: i.connections)
        parser.options.patientData.warnIfRandom()
        if i.dropped > 0 || kernelDrops > 0 {
            Diagnostics.warning("\(i.dropped + kernelDrops) UDP messages were dropped (\(i.dropped) because matching fell behind, \(kernelDrops) by the kernel); use TCP (which waits instead) or more --threads.")
        }
        try report.exit(writing: "alerts", walkFailed: false, outputFailed: outputs.failed)
        if let sig = stopped.withLock({ $0 }) { throw ExitCode(128 + sig) }
        // Lost alerts first (exit 4); then messages that could not be received (dropped, or their
        // connection refused) fail the run as an unreadable input does; a failed TLS handshake is a
        // client refused on purpose.
        if outputs.failed { throw ExitCode(WardExit.output) }
        if stateFailed || i.dropped > 0 || kernelDrops > 0 || l.refusedConnections > 0 { throw ExitCode(WardExit.input) }
    }
}
