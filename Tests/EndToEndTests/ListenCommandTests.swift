import Dispatch
import Foundation
import Testing
import WardTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A `wardwatch listen` on ports the system picks (`:0`), alerts to `alerts.jsonl` in its folder.
final class ListenProcess {
    let process = Process()
    let folder: URL
    var ports: [String: Int] = [:]
    var alerts: URL { folder.appendingPathComponent("alerts.jsonl") }
    var stderrURL: URL { folder.appendingPathComponent("stderr.txt") }

    init(_ arguments: [String], rules: String = "Rules/linux") throws {
        folder = try Paths.temporaryDirectory()
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = wardwatchBinary()
        process.arguments = ["listen", "--rules", rules, "--threads", "2", "--output", alerts.path] + arguments
        process.currentDirectoryURL = Paths.root
        var environment = ProcessInfo.processInfo.environment
        environment["WARDWATCH_PHI_KEY"] = "wardwatch-end-to-end-test-key"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        let ready = waitUntil(seconds: 30) { self.stderr.contains("wardwatch: listening on ") }
        guard ready else { throw ListenTestError(message: "listen did not start: \(stderr)") }
        // "wardwatch: listening on udp 127.0.0.1:40001, tcp 127.0.0.1:40002"
        let line = stderr.split(separator: "\n").first { $0.hasPrefix("wardwatch: listening on ") }!
        for part in line.dropFirst("wardwatch: listening on ".count).split(separator: ",") {
            let words = part.split(separator: " ")
            ports[String(words[0])] = Int(words[1].split(separator: ":").last!)!
        }
    }

    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    var alertObjects: [[String: Any]] {
        // Only whole lines: the listener may be writing the last one while this reads the file (a
        // half-written line crashed the suite under load).
        let text = (try? String(contentsOf: alerts, encoding: .utf8)) ?? ""
        let whole = text.lastIndex(of: "\n").map { text[...$0] } ?? ""
        return whole.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    func waitForAlerts(_ count: Int, seconds: Double = 30) { waitUntil(seconds: seconds) { self.alertObjects.count >= count } }

    @discardableResult
    func stop() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }
}

struct ListenTestError: Error { var message: String }

/// Runs a program to its end; returns its status and output.
@discardableResult
func runTool(_ path: String, _ arguments: [String], stdin: Data? = nil, in folder: URL? = nil) throws -> (status: Int32, output: String) {
    brokenPipesAreErrors
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = folder }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    let input = Pipe()
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        DispatchQueue.global().async {
            // A client that gave up (a refused handshake) may have closed its end: EPIPE, not a crash.
            try? input.fileHandleForWriting.write(contentsOf: stdin)
            // s_client must not see the end of its input before the handshake and write are done.
            usleep(500_000)
            try? input.fileHandleForWriting.close()
        }
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A TCP connection to 127.0.0.1:`port`.
func connectTCP(_ port: Int) -> Int32 {
    brokenPipesAreErrors
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return ok == 0 ? fd : -1
}

func send(_ fd: Int32, _ bytes: [UInt8]) {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { return }
        done += n
    }
}

let sshdFailure = "sshd[4101]: Failed password for invalid user admin from 203.0.113.50 port %d ssh2"

@Suite(.serialized) struct ListenCommandTests {
    /// The real client: util-linux `logger` over UDP, TCP with LF framing, TCP with octet counting,
    /// RFC 5424 and RFC 3164.
    @Test(.needsTool("/usr/bin/logger")) func loggerOverUDPAndTCP() throws {
        let listen = try ListenProcess(["--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0"])
        let udp = String(listen.ports["udp"]!), tcp = String(listen.ports["tcp"]!)
        let cases: [([String], Int)] = [
            (["--udp", "-P", udp, "--rfc3164"], 40001),
            (["--udp", "-P", udp, "--rfc5424"], 40002),
            (["--tcp", "-P", tcp, "--rfc3164"], 40003),
            (["--tcp", "-P", tcp, "--octet-count", "--rfc5424"], 40004),
        ]
        for (options, port) in cases {
            let message = "Failed password for invalid user admin from 203.0.113.50 port \(port) ssh2"
            let run = try runTool("/usr/bin/logger", ["-n", "127.0.0.1"] + options + ["-t", "sshd", message])
            #expect(run.status == 0)
        }
        listen.waitForAlerts(4)
        #expect(listen.stop() == 128 + SIGTERM)
        let alerts = listen.alertObjects.sorted { ($0["source.port"] as! Int) < ($1["source.port"] as! Int) }
        #expect(alerts.map { $0["source.port"] as? Int } == [40001, 40002, 40003, 40004])
        #expect(alerts.map { $0["network.transport"] as? String } == ["udp", "udp", "tcp", "tcp"])
        #expect(alerts.map { $0["event.dataset"] as? String } == ["syslog.rfc3164", "syslog.rfc5424", "syslog.rfc3164", "syslog.rfc5424"])
        #expect(alerts.allSatisfy { $0["rule.name"] as? String == "SSH password authentication failed" })
        #expect(alerts.allSatisfy { $0["log.source.address"] as? String == "127.0.0.1" && ($0["log.source.port"] as? Int ?? 0) > 0 })
        #expect(alerts.allSatisfy { $0["source.ip"] as? String == "203.0.113.50" && $0["log.file.path"] == nil })
        #expect(listen.stderr.contains("  listen: 4 messages"))
    }

    /// Frames cut across TCP reads, octet-counted frames holding newlines, LF frames, and a 1 MiB
    /// frame cut at --max-frame-bytes (reported) with the next frame read as usual.
    @Test func framesAcrossReadsEmbeddedNewlinesAndAnOverlongFrame() throws {
        let listen = try ListenProcess(["--tcp", "127.0.0.1:0"])
        let fd = connectTCP(listen.ports["tcp"]!)
        #expect(fd >= 0)
        let counted = "<38>Nov 28 10:00:00 ehr-db01 " + String(format: sshdFailure, 41001) + "\nsecond line of the same message"
        let frame = Array("\(counted.utf8.count) \(counted)".utf8)
        send(fd, Array(frame[0..<2]))  // inside the length
        usleep(100_000)
        send(fd, Array(frame[2..<40]))
        usleep(100_000)
        send(fd, Array(frame[40...]))
        let line = Array(("<38>Nov 28 10:00:01 ehr-db01 " + String(format: sshdFailure, 41002) + "\r\n").utf8)
        send(fd, Array(line[0..<30]))
        usleep(100_000)
        send(fd, Array(line[30...]))
        var big = Array("<38>Nov 28 10:00:02 ehr-db01 ".utf8) + Array(String(format: sshdFailure, 41003).utf8)
        big += [UInt8](repeating: UInt8(ascii: "x"), count: (1 << 20) - big.count)
        send(fd, big + [10])
        send(fd, Array(("<38>Nov 28 10:00:03 ehr-db01 " + String(format: sshdFailure, 41004) + "\n").utf8))
        close(fd)
        listen.waitForAlerts(4)
        listen.stop()
        let alerts = listen.alertObjects
        #expect(alerts.map { $0["source.port"] as? Int } == [41001, 41002, 41003, 41004])
        #expect((alerts[0]["event.original"] as? String)?.hasSuffix("ssh2\nsecond line of the same message") == true)
        #expect(alerts[1]["event.original"] as? String == "<38>Nov 28 10:00:01 ehr-db01 " + String(format: sshdFailure, 41002))
        #expect(alerts[2]["log.flags"] as? [String] == ["truncated"])
        #expect(listen.stderr.contains("wardwatch: error: tcp://127.0.0.1:"))
        #expect(listen.stderr.contains(": message 3: frame of 1048576 bytes cut to 262144 bytes; raise --max-frame-bytes to keep it whole.\n"))
    }

    /// A client that connects and sends nothing is closed after --idle-timeout; 500 clients at once
    /// are all read.
    @Test func idleClientsAreClosedAndFiveHundredConnectionsAreServed() throws {
        let listen = try ListenProcess(["--tcp", "127.0.0.1:0", "--idle-timeout", "1"])
        let port = listen.ports["tcp"]!
        let idle = connectTCP(port)
        var buffer = [UInt8](repeating: 0, count: 16)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(idle, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let started = Date()
        #expect(recv(idle, &buffer, 16, 0) == 0)  // closed by the listener
        #expect(Date().timeIntervalSince(started) < 5)
        close(idle)
        let clients = (0..<500).map { _ in connectTCP(port) }
        #expect(clients.allSatisfy { $0 >= 0 })
        for (i, fd) in clients.enumerated() {
            send(fd, Array(("<38>Nov 28 10:00:00 ehr-db01 " + String(format: sshdFailure, 50000 + i) + "\n").utf8))
        }
        for fd in clients { close(fd) }
        listen.waitForAlerts(500)
        listen.stop()
        #expect(Set(listen.alertObjects.compactMap { $0["source.port"] as? Int }) == Set(50000..<50500))
        #expect(listen.stderr.contains("1 idle connections closed"))
        #expect(listen.stderr.contains("  listen: 500 messages"))
    }

    /// Over --max-connections, a connection is closed at once (counted); a TLS client that does not
    /// finish its handshake within --handshake-timeout is closed (counted).
    @Test(.needsTool("/usr/bin/openssl")) func connectionLimitAndHandshakeTimeout() throws {
        let folder = try Paths.temporaryDirectory()
        let made = try runTool("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.pem",
                                                    "-days", "2", "-subj", "/CN=127.0.0.1"], in: folder)
        #expect(made.status == 0)
        let listen = try ListenProcess(["--tcp", "127.0.0.1:0", "--tls", "127.0.0.1:0", "--tls-cert", folder.path + "/server.pem",
                                        "--tls-key", folder.path + "/server.key", "--max-connections", "2", "--handshake-timeout", "3"])
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        var buffer = [UInt8](repeating: 0, count: 16)
        // The TLS client that says nothing holds one of the two connections until it is closed.
        let silent = connectTCP(listen.ports["tls"]!)
        setsockopt(silent, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Accepts on two listening sockets come in no set order: each connection is let in first.
        usleep(300_000)
        let second = connectTCP(listen.ports["tcp"]!)
        usleep(300_000)
        let third = connectTCP(listen.ports["tcp"]!)
        setsockopt(third, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #expect(recv(third, &buffer, 16, 0) == 0)  // refused: closed at once
        let started = Date()
        #expect(recv(silent, &buffer, 16, 0) <= 0)  // closed after the handshake timeout
        #expect(Date().timeIntervalSince(started) < 8)
        send(second, Array(("<38>Nov 28 10:00:00 ehr-db01 " + String(format: sshdFailure, 42001) + "\n").utf8))
        close(second)
        close(third)
        close(silent)
        listen.waitForAlerts(1)
        listen.stop()
        #expect(listen.alertObjects.map { $0["source.port"] as? Int } == [42001])
        #expect(listen.stderr.contains("wardwatch: warning: a connection was refused: --max-connections (2) are open; later refusals are counted.\n"))
        #expect(listen.stderr.contains("1 connections refused (--max-connections)"))
        #expect(listen.stderr.contains("1 TLS handshakes timed out"))
    }

    /// RFC 5425 with mutual TLS: an ATNA audit record (XML, octet counted) sent by `openssl s_client`
    /// with a client certificate is matched as in a file, patient data pseudonymized; without a
    /// client certificate the handshake fails and is counted.
    @Test(.needsTool("/usr/bin/openssl")) func atnaOverMutualTLS() throws {
        let folder = try Paths.temporaryDirectory()
        let openssl = "/usr/bin/openssl"
        func ssl(_ arguments: [String]) throws {
            let run = try runTool(openssl, arguments, in: folder)
            if run.status != 0 { throw ListenTestError(message: "openssl \(arguments.joined(separator: " ")): \(run.output)") }
        }
        try ssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=wardwatch test CA"])
        for name in ["server", "client"] {
            try ssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=127.0.0.1"])
            try "subjectAltName=IP:127.0.0.1\n".write(to: folder.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
            try ssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "\(name).pem",
                     "-days", "2", "-extfile", "\(name).ext"])
        }
        let p = folder.path
        let listen = try ListenProcess(["--tls", "127.0.0.1:0", "--tls-cert", p + "/server.pem", "--tls-key", p + "/server.key",
                                        "--tls-client-ca", p + "/ca.pem", "--year", "2026"], rules: "Rules")
        let port = String(listen.ports["tls"]!)
        // The first record of the sample ATNA trail: a failed login, XML over several lines.
        let text = try String(contentsOf: Paths.root.appendingPathComponent("SampleLogs/ehr/atna-audit.log"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let end = lines.firstIndex { $0.contains("</AuditMessage>") }!
        let record = lines[0...end].joined(separator: "\n")
        let frame = Data("\(record.utf8.count) \(record)".utf8)
        let refused = try runTool(openssl, ["s_client", "-connect", "127.0.0.1:" + port, "-CAfile", p + "/ca.pem", "-quiet", "-no_ign_eof"], stdin: frame)
        _ = refused
        let sent = try runTool(openssl, ["s_client", "-connect", "127.0.0.1:" + port, "-CAfile", p + "/ca.pem", "-cert", p + "/client.pem",
                                         "-key", p + "/client.key", "-quiet", "-no_ign_eof"], stdin: frame)
        #expect(sent.status == 0)
        listen.waitForAlerts(1)
        listen.stop()
        let alerts = listen.alertObjects
        #expect(alerts.count == 1)
        #expect(alerts.first?["rule.name"] as? String == "Failed user authentication in the clinical audit trail")
        #expect(alerts.first?["event.dataset"] as? String == "hl7.atna")
        #expect(alerts.first?["tls.established"] as? Bool == true)
        #expect(alerts.first?["user.name"] as? String == "mgarcia")
        // The same record scanned from the file gives the same event (its sender aside).
        let scanned = try wardwatch(["scan", "--year", "2026", "--rules", "Rules", "SampleLogs/ehr/atna-audit.log"])
        var fromFile = try JSONSerialization.jsonObject(with: Data(scanned.stdout.split(separator: "\n")[0].utf8)) as! [String: Any]
        var received = alerts[0]
        // `event.id` hashes the input and offset, so it differs too.
        for key in ["log.file.path", "log.offset", "event.id"] { fromFile[key] = nil }
        for key in ["log.source.address", "log.source.port", "network.transport", "tls.established", "event.id"] { received[key] = nil }
        #expect(NSDictionary(dictionary: fromFile).isEqual(to: received))
        #expect(listen.stderr.contains("1 TLS handshakes failed"))
    }
}

extension Trait where Self == ConditionTrait {
    /// The test drives a real client (`logger` from util-linux, `openssl s_client`); `.ci/run` installs
    /// them, a machine without them skips the test and says why.
    static func needsTool(_ path: String) -> Self {
        .enabled(if: FileManager.default.isExecutableFile(atPath: path), "needs \(path) (apt-get install bsdutils openssl)")
    }
}
