import Dispatch
import Foundation
import Testing
import WardTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for the forwarding tests: keeps connections alive, records
/// every request, and answers each with the next of `statuses` (then 200) and `body`.
final class TestHTTPServer: @unchecked Sendable {
    struct Request {
        var line: String
        var headers: [String: String]
        var body: String
        var at: Date
    }

    private let listener: Int32
    let port: Int
    private let lock = NSLock()
    private var received: [Request] = []
    private var statuses: [Int]
    private let answer: String

    init(statuses: [Int] = [], answer: String = "{}") throws {
        self.statuses = statuses
        self.answer = answer
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ListenTestError(message: "cannot bind the test HTTP server") }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var requests: [Request] { lock.withLock { received } }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        func fill() -> Bool {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return false }
            pending += buffer[0..<n]
            return true
        }
        while true {
            let separator: [UInt8] = Array("\r\n\r\n".utf8)
            var headEnd: Int?
            while headEnd == nil {
                if pending.count >= 4 {
                    headEnd = (0...(pending.count - 4)).first { pending[$0..<($0 + 4)].elementsEqual(separator) }
                }
                if headEnd == nil && !fill() { return }
            }
            let head = String(decoding: pending[0..<headEnd!], as: UTF8.self).components(separatedBy: "\r\n")
            var headers: [String: String] = [:]
            for line in head.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            let start = headEnd! + 4
            while pending.count < start + length { if !fill() { return } }
            let body = String(decoding: pending[start..<(start + length)], as: UTF8.self)
            pending.removeFirst(start + length)
            let status = lock.withLock { () -> Int in
                received.append(Request(line: head[0], headers: headers, body: body, at: Date()))
                return statuses.isEmpty ? 200 : statuses.removeFirst()
            }
            let text = status == 200 ? answer : ""
            let response = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Service Unavailable")\r\nContent-Type: application/json\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)"
            send(fd, Array(response.utf8))
        }
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
func closedPort() -> Int {
    let server = try! TestHTTPServer()
    server.stop()
    usleep(50_000)
    return server.port
}

@Suite(.serialized) struct ForwardingTests {
    static let scan = ["scan", "-q", "--year", "2026", "--threads", "2", "SampleLogs"]
    /// The receiving listen's log source: every message a wardwatch forwarded, whatever its MSG reads as.
    static let receiver = ["--mappings", "Tests/EndToEndTests/Fixtures/mappings-forward"]

    /// The alerts of a scan of SampleLogs, as the local file has them.
    func localAlerts(_ folder: URL) throws -> [String] {
        try String(contentsOf: folder.appendingPathComponent("local.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Syslog round trip through `wardwatch listen` itself: over TCP (octet counted) and over TLS
    /// with the server's CA given, the MSG of every received message is an alert the scan wrote, and
    /// every alert arrived once; over UDP with `format=cef`, each alert arrives as a CEF record.
    @Test func syslogRoundTripThroughListen() throws {
        let listen = try ListenProcess(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0"] + Self.receiver, rules: "Tests/EndToEndTests/Fixtures/rules-forward")
        let folder = try Paths.temporaryDirectory()
        let local = folder.appendingPathComponent("local.jsonl").path
        let run = try wardwatch(Self.scan + ["-o", local, "-o", "syslog://127.0.0.1:\(listen.ports["tcp"]!)",
                                             "-o", "syslog+udp://127.0.0.1:\(listen.ports["udp"]!)?format=cef&facility=authpriv"])
        #expect(run.status == 0, "\(run.stderr)")
        let sent = try localAlerts(folder)
        #expect(sent.count == 52)
        listen.waitForAlerts(104)
        #expect(listen.stop() == 128 + SIGTERM)
        let received = listen.alertObjects.compactMap { $0["message"] as? String }
        let json = received.filter { $0.hasPrefix("{") }
        #expect(json.sorted() == sent.sorted())
        let cef = received.filter { $0.hasPrefix("CEF:0|wardwatch|wardwatch|") }
        #expect(cef.count == 52)
        // The critical alert of SampleLogs: its rule, CEF severity 10, the host and the time in ms.
        let critical = cef.first { $0.contains("|Download piped into a shell|10|") }
        #expect(critical?.contains("rt=1795333012000") == true, "\(critical ?? "")")
        #expect(critical?.contains("cs1Label=rule.level cs1=critical") == true)
        // Facility authpriv (10), severity critical (2): PRI 82.
        let priorities = listen.alertObjects.filter { ($0["message"] as? String)?.hasPrefix("CEF") == true }.compactMap { $0["log.syslog.priority"] as? Int }
        #expect(priorities.contains(82))
    }

    @Test(.needsTool("/usr/bin/openssl")) func syslogOverVerifiedTLS() throws {
        let folder = try Paths.temporaryDirectory()
        func ssl(_ arguments: [String]) throws {
            let run = try runTool("/usr/bin/openssl", arguments, in: folder)
            if run.status != 0 { throw ListenTestError(message: "openssl \(arguments.joined(separator: " ")): \(run.output)") }
        }
        try ssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=wardwatch test CA"])
        try ssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1\n".write(to: folder.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try ssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                 "-days", "2", "-extfile", "server.ext"])
        let listen = try ListenProcess(["--tls", "127.0.0.1:0", "--tls-cert", folder.path + "/server.pem", "--tls-key", folder.path + "/server.key"] + Self.receiver,
                                       rules: "Tests/EndToEndTests/Fixtures/rules-forward")
        let tls = "syslog+tls://127.0.0.1:\(listen.ports["tls"]!)"
        // Without the CA the server's certificate is not trusted: nothing is delivered, and the run says so.
        let untrusted = try wardwatch(Self.scan + ["-o", folder.path + "/local.jsonl", "-o", tls + "?timeout=1s"])
        #expect(untrusted.status == 4)
        #expect(untrusted.stderr.contains("output syslog+tls://127.0.0.1:\(listen.ports["tls"]!): 0 delivered, 52 NOT DELIVERED"), "\(untrusted.stderr)")
        #expect(try localAlerts(folder).count == 52)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("local.jsonl"))
        let trusted = try wardwatch(Self.scan + ["-o", folder.path + "/local.jsonl", "-o", tls + "?ca=" + folder.path + "/ca.pem"])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        listen.waitForAlerts(52)
        #expect(listen.stop() == 128 + SIGTERM)
        #expect(listen.alertObjects.compactMap { $0["message"] as? String }.sorted() == (try localAlerts(folder)).sorted())
    }

    /// NDJSON batches to an HTTP endpoint: `batch=10` gives 6 requests for 52 alerts, the header from
    /// the environment is sent, and a 503 is retried after a backoff with the same alerts.
    @Test func httpBatchesRetryAndHeaders() throws {
        let server = try TestHTTPServer(statuses: [503])
        defer { server.stop() }
        let folder = try Paths.temporaryDirectory()
        let run = try wardwatch(Self.scan + ["-o", folder.path + "/local.jsonl", "-o", "http://127.0.0.1:\(server.port)/alerts?batch=10&tenant=icu"],
                                environment: ["WARDWATCH_HTTP_HEADER_AUTHORIZATION": "Bearer test-token"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("HTTP 503 Service Unavailable; retrying with backoff"))
        let requests = server.requests
        #expect(requests.count == 7)
        #expect(requests.allSatisfy { $0.line == "POST /alerts?tenant=icu HTTP/1.1" })
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer test-token" && $0.headers["content-type"] == "application/x-ndjson" })
        #expect(requests[0].body == requests[1].body)
        #expect(requests[1].at.timeIntervalSince(requests[0].at) >= 0.45)
        let delivered = requests.dropFirst().flatMap { $0.body.split(separator: "\n").map(String.init) }
        #expect(requests.dropFirst().map { $0.body.split(separator: "\n").count } == [10, 10, 10, 10, 10, 2])
        #expect(delivered == (try localAlerts(folder)))
        let quiet = try wardwatch(Self.scan.filter { $0 != "-q" } + ["-o", folder.path + "/again.jsonl", "-o", "http://127.0.0.1:\(server.port)/alerts"])
        #expect(quiet.stderr.contains("  output http://127.0.0.1:\(server.port)/alerts: 52 delivered\n"))
    }

    /// An Elastic `_bulk` endpoint: each alert after a `{"create":{}}` line; items its answer marks as
    /// failed are counted as refused, and the run exits 4.
    @Test func elasticBulkCountsFailedItems() throws {
        let answer = #"{"took":3,"errors":true,"items":[{"create":{"status":201}},{"create":{"status":400,"error":{"type":"mapper_parsing_exception"}}}]}"#
        let server = try TestHTTPServer(answer: answer)
        defer { server.stop() }
        let folder = try Paths.temporaryDirectory()
        let run = try wardwatch(Self.scan + ["--min-level", "critical", "-o", folder.path + "/local.jsonl",
                                             "-o", "http://127.0.0.1:\(server.port)/wardwatch-alerts/_bulk"])
        #expect(run.status == 4)
        #expect(run.stderr.contains("1 REJECTED (refused by the receiver, or too large to send)"), "\(run.stderr)")
        let lines = server.requests.first?.body.split(separator: "\n").map(String.init) ?? []
        #expect(lines.count == 2 * 6)
        #expect(lines.enumerated().allSatisfy { $0.offset % 2 == 1 || $0.element == #"{"create":{}}"# })
    }

    /// A receiver that is down: the local file still gets every alert; the bounded queue (5) drops the
    /// rest, which the summary counts, and the run exits 4 after the output's timeout.
    @Test func receiverDownNeverBlocksTheFile() throws {
        let folder = try Paths.temporaryDirectory()
        let port = closedPort()
        let started = Date()
        let run = try wardwatch(Self.scan + ["-o", folder.path + "/local.jsonl", "-o", "http://127.0.0.1:\(port)/?queue=5&timeout=1s"])
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(run.status == 4)
        #expect(try localAlerts(folder).count == 52)
        #expect(run.stderr.contains("wardwatch: error: output http://127.0.0.1:\(port)/: 0 delivered, 47 DROPPED (queue full while the receiver was slow or down), 5 NOT DELIVERED (still queued when its timeout ran out)"), "\(run.stderr)")
    }

    /// Lost alerts outrank an unreadable input: a missing input (3) and a receiver that is down (4) exit 4.
    @Test func lostAlertsOutrankAnInputError() throws {
        let folder = try Paths.temporaryDirectory()
        let port = closedPort()
        let run = try wardwatch(Self.scan + [folder.path + "/no-such.log", "-o", folder.path + "/local.jsonl",
                                             "-o", "http://127.0.0.1:\(port)/?queue=5&timeout=1s"])
        #expect(run.status == 4)
        #expect(run.stderr.contains("no-such.log"), "\(run.stderr)")
        #expect(run.stderr.contains("5 NOT DELIVERED"), "\(run.stderr)")
    }

    @Test func remoteOutputErrorsAreUsageErrors() throws {
        let bad = try wardwatch(["scan", "-o", "syslog://siem.example:99999", "SampleLogs"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("'--output': 'syslog://siem.example:99999': '99999' is not a port."))
        let pretty = try wardwatch(["scan", "-f", "pretty", "-o", "https://siem.example/_bulk", "SampleLogs"])
        #expect(pretty.stderr.contains("'--output https://siem.example/_bulk' sends JSON alerts (or CEF made from them): it needs '--format json', not 'pretty'."))
        let secret = try wardwatch(["scan", "-o", "https://elastic:changeme@siem.example/_bulk", "SampleLogs"])
        #expect(secret.status == 2)
        #expect(!secret.stderr.contains("changeme"))
    }
}
