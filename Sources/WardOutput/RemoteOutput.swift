import Foundation
import WardCore

#if canImport(Glibc)
import Glibc
#endif

/// An `--output` that is a receiver on the network: a syslog server or collector (RFC 5424 over TCP,
/// UDP or TLS; the JSON alert as MSG, or CEF) or an HTTP endpoint taking NDJSON batches (an Elastic
/// `_bulk` API, a Splunk HTTP Event Collector, a webhook).
///
/// `syslog://HOST[:PORT]` (TCP, port 514), `syslog+tcp://`, `syslog+udp://` (514), `syslog+tls://`
/// (6514), `http://HOST[:PORT]/PATH`, `https://…`; options as a query: `format=json|cef`,
/// `facility=local0` (syslog), `queue=N` (alerts held while the receiver is slow or down; more are
/// dropped and counted), `batch=N` (alerts per HTTP request), `timeout=30s` (how long the last alerts
/// may take to leave at exit), `ca=PATH` (PEM CAs to verify the server with, instead of the system's),
/// `insecure=true` (no TLS verification: tests only).
public struct RemoteOutputSpec: Sendable, Equatable {
    public enum Kind: String, Sendable { case syslogTCP = "syslog+tcp", syslogUDP = "syslog+udp", syslogTLS = "syslog+tls", http, https }

    public var url: String
    public var kind: Kind
    public var host: String
    public var port: Int
    /// HTTP: the path and query sent (`/_bulk`); syslog: unused.
    public var path: String = "/"
    /// `cef` or `json` (syslog MSG).
    public var format: String = "json"
    /// Syslog facility number (RFC 5424 §6.2.1): local0 (16) by default.
    public var facility: Int = 16
    public var queue: Int = 100_000
    public var batch: Int = 500
    /// Seconds the alerts still queued at exit may take to be delivered.
    public var timeout: Double = 30
    public var caFile: String?
    public var insecure = false

    public var isTLS: Bool { kind == .syslogTLS || kind == .https }
    public var isSyslog: Bool { kind == .syslogTCP || kind == .syslogUDP || kind == .syslogTLS }

    /// The URL with its query, user and password left out: what messages name.
    public var displayName: String {
        "\(kind == .syslogTCP ? "syslog" : kind.rawValue)://\(hostForURL):\(port)\(isSyslog ? (format == "cef" ? " (CEF)" : "") : String(path.prefix { $0 != "?" }))"
    }

    /// The host as a URL or an HTTP Host header writes it: an IPv6 address in brackets.
    public var hostForURL: String { host.contains(":") ? "[\(host)]" : host }

    /// Whether `output` names a network receiver (and must parse as one).
    public static func isRemote(_ output: String) -> Bool {
        guard let end = output.range(of: "://") else { return false }
        return kind(ofScheme: output[..<end.lowerBound]) != nil
    }

    /// The receiver a URL scheme names (`syslog` is TCP).
    static func kind(ofScheme scheme: Substring) -> Kind? {
        let lower = scheme.lowercased()
        return lower == "syslog" ? .syslogTCP : Kind(rawValue: lower)
    }

    static let facilities = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
                             "ftp", "ntp", "security", "console", "solaris-cron",
                             "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]

    public init(_ url: String) throws {
        self.url = url
        guard let schemeEnd = url.range(of: "://") else { throw SinkError(message: "'\(url)' is not a URL.") }
        // Credentials in a URL show in `ps` and in messages: refused, and the URL not echoed. (An `@`
        // before the query can only be user:password@ — passwords may hold `/` or `?`.)
        if url.contains("@") {
            throw SinkError(message: "a URL with '@' (user:password@host) is refused: give credentials in WARDWATCH_HTTP_HEADER_AUTHORIZATION, not in the URL (it shows in 'ps').")
        }
        if url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            throw SinkError(message: "'\(url.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }.map(String.init).joined())': a URL cannot hold spaces or control characters (write a space in a path as %20).")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard let kind = Self.kind(ofScheme: scheme[...]) else {
            throw SinkError(message: "'\(url)': unknown scheme '\(scheme)' (syslog, syslog+udp, syslog+tls, http, https).")
        }
        self.kind = kind
        var rest = String(url[schemeEnd.upperBound...])
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = String(rest[..<q])
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = String(rest[..<slash])
            path = String(rest[slash...])
        }
        var portText: Substring?
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw SinkError(message: "'\(url)' names no host.") }
        guard !host.contains(":") || authority.hasPrefix("["), !host.contains("["), !host.contains("]") else {
            throw SinkError(message: "'\(url)': an IPv6 address goes in brackets, as in syslog://[2001:db8::5]:514.")
        }
        switch kind {
        case .syslogTCP, .syslogUDP: port = 514
        case .syslogTLS: port = 6514
        case .http: port = 80
        case .https: port = 443
        }
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw SinkError(message: "'\(url)': '\(portText)' is not a port.") }
            port = p
        }
        var kept: [String] = []
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let name = String(parts[0]), value = parts.count > 1 ? String(parts[1]) : ""
            switch name {
            case "format":
                guard isSyslog, value == "json" || value == "cef" else {
                    throw SinkError(message: "'\(url)': format must be json or cef (syslog outputs only), not '\(value)'.")
                }
                format = value
            case "facility":
                if let n = Int(value), (0...23).contains(n) { facility = n } else if let n = Self.facilities.firstIndex(of: value.lowercased()) {
                    facility = n
                } else {
                    throw SinkError(message: "'\(url)': facility must be a name such as local0 or authpriv, or 0 to 23, not '\(value)'.")
                }
            case "queue":
                guard let n = Int(value), n >= 1 else { throw SinkError(message: "'\(url)': queue must be a number of alerts, at least 1.") }
                queue = n
            case "batch":
                guard let n = Int(value), n >= 1 else { throw SinkError(message: "'\(url)': batch must be a number of alerts, at least 1.") }
                batch = n
            case "timeout":
                guard let t = Self.seconds(value) else { throw SinkError(message: "'\(url)': timeout must be a duration such as 30s or 2m, not '\(value)'.") }
                timeout = t
            case "ca":
                guard isTLS else { throw SinkError(message: "'\(url)': ca is for TLS outputs (syslog+tls, https).") }
                caFile = value.removingPercentEncoding ?? value
            case "insecure":
                guard isTLS else { throw SinkError(message: "'\(url)': insecure is for TLS outputs (syslog+tls, https).") }
                insecure = value.isEmpty || value == "true" || value == "1"
            default:
                // Not ours: an HTTP endpoint's own query (`?pipeline=…`, `?channel=…`).
                guard !isSyslog else {
                    throw SinkError(message: "'\(url)': unknown option '\(name)' (format, facility, queue, timeout, ca, insecure).")
                }
                kept.append(String(pair))
            }
        }
        if !isSyslog && !kept.isEmpty { path += "?" + kept.joined(separator: "&") }
    }

    /// `30s`, `2m`, `500ms`, `10` (seconds).
    static func seconds(_ text: String) -> Double? {
        for (suffix, scale) in [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)] where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).flatMap { $0 >= 0 ? $0 * scale : nil }
        }
        return Double(text).flatMap { $0 >= 0 ? $0 : nil }
    }
}

/// What one remote output did in a run, as `wardwatch-forward` reports it at its end.
public struct ForwardReport: Sendable, Equatable {
    public var output: String
    /// Alerts the receiver took (HTTP: answered 2xx; syslog: written to the connection).
    public var delivered = 0
    /// Alerts dropped because the queue was full (the receiver slow or down).
    public var dropped = 0
    /// Alerts the receiver refused (HTTP 4xx other than 408/429, or items an Elastic `_bulk` answer
    /// marked as failed), not retried.
    public var rejected = 0
    /// Alerts still queued when the exit timeout ran out.
    public var undelivered = 0
    /// Attempts that failed and were tried again.
    public var retries = 0
    /// The last error, if any.
    public var lastError: String?
    /// The helper ended without reporting (it crashed or was killed): what it held may be lost.
    public var helperFailed = false

    public init(output: String) { self.output = output }

    public var lost: Int { dropped + rejected + undelivered }

    /// Whether every alert reached the receiver.
    public var complete: Bool { lost == 0 && !helperFailed }

    /// The report as one JSON line (the helper's stdout).
    public var jsonLine: String {
        var w = JSONWriter(capacity: 256)
        w.append("{\"output\":")
        w.appendString(output)
        w.append(",\"delivered\":")
        w.appendInteger(Int64(delivered))
        w.append(",\"dropped\":")
        w.appendInteger(Int64(dropped))
        w.append(",\"rejected\":")
        w.appendInteger(Int64(rejected))
        w.append(",\"undelivered\":")
        w.appendInteger(Int64(undelivered))
        w.append(",\"retries\":")
        w.appendInteger(Int64(retries))
        if let lastError {
            w.append(",\"error\":")
            w.appendString(lastError)
        }
        w.append("}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    public init?(jsonLine: Substring) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any],
              let output = object["output"] as? String else { return nil }
        self.output = output
        delivered = object["delivered"] as? Int ?? 0
        dropped = object["dropped"] as? Int ?? 0
        rejected = object["rejected"] as? Int ?? 0
        undelivered = object["undelivered"] as? Int ?? 0
        retries = object["retries"] as? Int ?? 0
        lastError = object["error"] as? String
    }

    /// `syslog://siem:514: 120 delivered, 3 dropped (queue full) …`: a line of the run's summary.
    public var summaryLine: String {
        var parts = ["\(ScanSummary.number(delivered)) delivered"]
        if dropped > 0 { parts.append("\(ScanSummary.number(dropped)) DROPPED (queue full while the receiver was slow or down)") }
        if rejected > 0 { parts.append("\(ScanSummary.number(rejected)) REJECTED (refused by the receiver, or too large to send)") }
        if undelivered > 0 { parts.append("\(ScanSummary.number(undelivered)) NOT DELIVERED (still queued when its timeout ran out)") }
        if retries > 0 { parts.append("\(ScanSummary.number(retries)) retries") }
        if let lastError, !complete || retries > 0 { parts.append("last error: \(lastError)") }
        return "output \(output): " + parts.joined(separator: ", ")
    }
}

/// The remote outputs of a run, delivered by a `wardwatch-forward` process (the network stack and TLS
/// live there only): alerts go to it through a pipe, it queues them per output and sends them, and at
/// the end it reports what each output delivered. A receiver that is slow or down never blocks the
/// run: the helper always reads the pipe, and drops (counted) what its queue cannot hold.
public final class RemoteOutputs: @unchecked Sendable {
    public let specs: [RemoteOutputSpec]
    private var input: Int32 = -1
    private var output: Int32 = -1
    private var pid: pid_t = 0
    /// Alerts the helper could not be given (it had died).
    private var unsent = 0
    /// Alerts handed to the helper.
    private var sent = 0
    private var broken: String?
    private var finished: [ForwardReport]?

    /// Starts `wardwatch-forward` (beside this program) for `specs`.
    public init(_ specs: [RemoteOutputSpec]) throws {
        self.specs = specs
        let program = Program.sibling("wardwatch-forward")
        // A socket to the helper, not a pipe: written with MSG_NOSIGNAL, a helper that died is an
        // error to count (EPIPE), not a SIGPIPE that ends the run.
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &toChild) == 0,
              socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fromChild) == 0 else {
            throw SinkError(message: "cannot start \(program): \(String(cString: strerror(errno))).")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        let arguments = [program] + specs.flatMap { ["--to", $0.url] }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, program, &actions, nil, argv, environ)
        Glibc.close(toChild[0])
        Glibc.close(fromChild[1])
        guard status == 0 else {
            Glibc.close(toChild[1])
            Glibc.close(fromChild[0])
            throw SinkError(message: "cannot run \(program): \(String(cString: strerror(status))); remote outputs need wardwatch-forward beside wardwatch (swift build builds it).")
        }
        pid = child
        input = toChild[1]
        output = fromChild[0]
    }

    /// Hands `bytes` (whole alert lines) to the helper. Never fails the run: if the helper is gone,
    /// the alerts are counted as not delivered.
    public func send(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        guard broken == nil else {
            unsent += bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            return
        }
        let lines = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = Glibc.send(input, raw.baseAddress! + done, raw.count - done, Int32(MSG_NOSIGNAL))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                done += n
            }
            return true
        }
        if ok {
            sent += lines
        } else {
            broken = String(cString: strerror(errno))
            unsent += lines
        }
    }

    /// Ends the input, waits for the helper to deliver what it holds (each output's `timeout`), and
    /// returns what every output did.
    public func finish() -> [ForwardReport] {
        if let finished { return finished }
        Glibc.close(input)
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(output, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            text += buffer[0..<n]
        }
        Glibc.close(output)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        var reports = String(decoding: text, as: UTF8.self).split(separator: "\n").compactMap(ForwardReport.init(jsonLine:))
        if reports.count != specs.count {
            // The helper died: every alert given to it may be lost.
            // The helper died: every alert given to it counts as not delivered (some may have reached
            // the receiver; none is known to have).
            reports = specs.map { spec in
                var r = ForwardReport(output: spec.displayName)
                r.undelivered = sent
                r.lastError = "wardwatch-forward ended without a report (wait status \(status))"
                r.helperFailed = true
                return r
            }
        }
        if unsent > 0 {
            for i in reports.indices {
                reports[i].undelivered += unsent
                reports[i].lastError = reports[i].lastError ?? "wardwatch-forward stopped reading: \(broken ?? "")"
            }
        }
        finished = reports
        return reports
    }
}
