import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import WardCore
import WardIngest

/// Where to listen: `[HOST]:PORT` (HOST defaults to every address).
public struct ListenEndpoint: Sendable, CustomStringConvertible {
    public enum Transport: String, Sendable { case udp, tcp, tls }
    public var transport: Transport
    public var host: String
    public var port: Int

    /// `5514`, `:5514`, `127.0.0.1:5514`, `[::1]:5514`; a host alone (`127.0.0.1`, `[::1]`, `0.0.0.0`)
    /// takes the transport's default port: 5514 for UDP and TCP, 6514 for TLS (RFC 5425).
    public init?(_ text: String, transport: Transport) {
        self.transport = transport
        var host = "0.0.0.0"
        var portText = text
        let bracketed = text.hasPrefix("[") && text.hasSuffix("]")
        if bracketed || (text.contains(".") && !text.contains(":")) || (!text.isEmpty && Int(text) == nil && !text.contains(":")) {
            self.host = bracketed ? String(text.dropFirst().dropLast()) : text
            self.port = transport == .tls ? 6514 : 5514
            return
        }
        if let colon = text.lastIndex(of: ":") {
            let h = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
            if !h.isEmpty { host = h.hasPrefix("[") && h.hasSuffix("]") ? String(h.dropFirst().dropLast()) : h }
        }
        guard let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String { "\(transport.rawValue) \(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// TLS settings of the `tls` listeners (RFC 5425): a certificate chain and key, and optionally the
/// CA that client certificates must chain to (mutual TLS, as IHE ATNA secure nodes use).
public struct ListenTLS: Sendable {
    public var certificate: String
    public var key: String
    public var clientCA: String?

    public init(certificate: String, key: String, clientCA: String?) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
    }
}

public struct ListenLimits: Sendable {
    /// Longer messages are cut to this (flagged and reported).
    public var maxFrame = 256 << 10
    public var maxConnections = 1024
    /// A connection that sends nothing for this long is closed.
    public var idleTimeout: TimeAmount = .minutes(5)
    /// A TLS client that has not finished its handshake by then is closed.
    public var handshakeTimeout: TimeAmount = .seconds(10)

    public init() {}
}

/// Counts of what the listeners refused or closed.
public struct ListenStatistics: Sendable {
    public var refusedConnections = 0
    public var idleClosed = 0
    public var handshakeFailures = 0
    public var handshakeTimeouts = 0
}

/// The syslog receivers: UDP (RFC 5426), TCP (RFC 6587, octet counting or LF framing detected per
/// frame), TLS (RFC 5425), each feeding a ``MessageInbox``.
public final class SyslogListener: @unchecked Sendable {
    let inbox: MessageInbox
    let limits: ListenLimits
    let group: MultiThreadedEventLoopGroup
    private var channels: [Channel] = []
    private var udpPorts: [Int] = []
    private let paused = Mutex<[Channel]>([])
    private let connections = Atomic<Int>(0)
    private let counters = Mutex(ListenStatistics())
    private let report: @Sendable (String) -> Void

    /// - Parameter report: a problem worth telling the operator (a failed handshake, a refused connection).
    public init(inbox: MessageInbox, limits: ListenLimits, threads: Int = 1, report: @escaping @Sendable (String) -> Void) {
        self.inbox = inbox
        self.limits = limits
        self.report = report
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        inbox.onBelowLowWater = { [weak self] in self?.resumeAll() }
    }

    public var statistics: ListenStatistics { counters.withLock { $0 } }

    /// Opens every listener; throws the first that cannot be opened (port in use, bad certificate).
    public func start(_ endpoints: [ListenEndpoint], tls: ListenTLS?) throws {
        var context: NIOSSLContext?
        if endpoints.contains(where: { $0.transport == .tls }) {
            guard let tls else { throw ListenError(message: "a TLS listener needs --tls-cert and --tls-key") }
            context = try Self.context(tls)
        }
        for endpoint in endpoints {
            do {
                switch endpoint.transport {
                case .udp:
                    let channel = try bindUDP(endpoint)
                    channels.append(channel)
                    if let port = channel.localAddress?.port { udpPorts.append(port) }
                case .tcp: channels.append(try bindTCP(endpoint, tls: nil))
                case .tls: channels.append(try bindTCP(endpoint, tls: context))
                }
            } catch {
                throw ListenError(message: "cannot listen on \(endpoint): \(error)")
            }
        }
    }

    /// Datagrams the kernel dropped on the UDP listeners' sockets (their receive buffers were full),
    /// from `/proc/net/udp` and `/proc/net/udp6` (the last column of each socket's line).
    public var kernelDrops: Int {
        let ports = Set(udpPorts)
        guard !ports.isEmpty else { return 0 }
        var drops = 0
        for table in ["/proc/net/udp", "/proc/net/udp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let columns = line.split(separator: " ")
                guard columns.count >= 13, let colon = columns[1].lastIndex(of: ":"),
                      let port = Int(columns[1][columns[1].index(after: colon)...], radix: 16), ports.contains(port),
                      let n = Int(columns[columns.count - 1]) else { continue }
                drops += n
            }
        }
        return drops
    }

    /// The port each listener is bound to (useful with port 0).
    public var boundPorts: [Int] { channels.compactMap { $0.localAddress?.port } }

    static func context(_ tls: ListenTLS) throws -> NIOSSLContext {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate)
            let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                         privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            if let ca = tls.clientCA {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .file(ca)
                configuration.sendCANameList = true
            }
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ListenError(message: "cannot use the TLS certificate \(tls.certificate) and key \(tls.key): \(error)")
        }
    }

    private func bindUDP(_ endpoint: ListenEndpoint) throws -> Channel {
        let inbox = self.inbox
        let maxFrame = limits.maxFrame
        return try DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: 8 << 20)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
            .channelOption(.maxMessagesPerRead, value: 64)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramHandler(inbox: inbox, maxFrame: maxFrame))
                }
            }
            .bind(host: endpoint.host, port: endpoint.port).wait()
    }

    private func bindTCP(_ endpoint: ListenEndpoint, tls: NIOSSLContext?) throws -> Channel {
        let inbox = self.inbox
        let limits = self.limits
        let listener = self
        return try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLServerHandler(context: tls))
                        try sync.addHandler(HandshakeGuard(timeout: limits.handshakeTimeout, listener: listener))
                    }
                    try sync.addHandler(IdleStateHandler(readTimeout: limits.idleTimeout))
                    try sync.addHandler(FrameHandler(inbox: inbox, listener: listener, maxFrame: limits.maxFrame, tls: tls != nil))
                }
            }
            .bind(host: endpoint.host, port: endpoint.port).wait()
    }

    // MARK: - Connections

    /// A new connection; `false` when over the connection limit (it is closed, and counted).
    func admit() -> Bool {
        let now = connections.wrappingAdd(1, ordering: .relaxed).newValue
        if now > limits.maxConnections {
            connections.wrappingSubtract(1, ordering: .relaxed)
            let first = counters.withLock { c -> Bool in
                c.refusedConnections += 1
                return c.refusedConnections == 1
            }
            if first { report("a connection was refused: --max-connections (\(limits.maxConnections)) are open; later refusals are counted.") }
            return false
        }
        return true
    }

    func left() { connections.wrappingSubtract(1, ordering: .relaxed) }

    func count(_ body: (inout ListenStatistics) -> Void) { counters.withLock { body(&$0) } }

    func note(_ message: String) { report(message) }

    /// The inbox is full: `channel` stops reading until it drains.
    func pause(_ channel: Channel) {
        paused.withLock { $0.append(channel) }
        channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        // The inbox may have drained between the full inbox and the registration: resume then.
        if !inbox.isOverHighWater { resumeAll() }
    }

    private func resumeAll() {
        guard !isShutDown.load(ordering: .acquiring) else { return }
        let list = paused.withLock { p -> [Channel] in
            defer { p.removeAll() }
            return p
        }
        for channel in list {
            channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
    }

    /// Stops accepting and closes every connection; what was received stays in the inbox.
    public func shutdown() {
        guard !isShutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        paused.withLock { $0.removeAll() }
        for channel in channels { try? channel.close().wait() }
        try? group.syncShutdownGracefully()
    }
    private let isShutDown = Atomic<Bool>(false)
}

public struct ListenError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// One datagram, one message.
final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let inbox: MessageInbox
    let maxFrame: Int

    init(inbox: MessageInbox, maxFrame: Int) {
        self.inbox = inbox
        self.maxFrame = maxFrame
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let address = envelope.remoteAddress
        let peer = PeerOrigin(address: address.ipAddress ?? "", port: address.port ?? 0, transport: "udp", tls: false)
        envelope.data.withUnsafeReadableBytes { raw in
            var count = raw.count
            // A trailing line end (some senders add one) is not part of the message.
            while count > 0 && (raw[count - 1] == 0x0A || raw[count - 1] == 0x0D || raw[count - 1] == 0) { count -= 1 }
            guard count > 0 else { return }
            let kept = min(count, maxFrame)
            inbox.deliverDatagram(from: peer, UnsafeRawBufferPointer(rebasing: raw[0..<kept]), fullLength: count)
        }
    }
}

/// Closes a TLS connection whose handshake did not finish in time, and counts failed handshakes.
final class HandshakeGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let timeout: TimeAmount
    unowned let listener: SyslogListener
    var timer: Scheduled<Void>?
    var done = false

    init(timeout: TimeAmount, listener: SyslogListener) {
        self.timeout = timeout
        self.listener = listener
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let listener = self.listener
        timer = context.eventLoop.scheduleTask(in: timeout) {
            listener.count { $0.handshakeTimeouts += 1 }
            channel.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            done = true
            timer?.cancel()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !done {
            timer?.cancel()
            let peer = context.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
            let first = listenerCountHandshakeFailure()
            if first { listener.note("TLS handshake with \(peer) failed: \(error); later failures are counted.") }
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    private func listenerCountHandshakeFailure() -> Bool {
        var first = false
        listener.count { c in
            c.handshakeFailures += 1
            first = c.handshakeFailures == 1
        }
        return first
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }
}

/// RFC 6587 framing, decided per frame: a digit starts an octet-counted frame (`LEN SP MSG`), anything
/// else a frame ending at LF (a CR before it dropped). Frames longer than the limit are cut to it
/// and the rest skipped.
final class FrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let inbox: MessageInbox
    unowned let listener: SyslogListener
    let maxFrame: Int
    let tls: Bool
    var stream = 0
    var admitted = false
    var buffer: [UInt8] = []
    var start = 0
    /// Bytes of an over-long frame still to skip (octet counting), or skipping to the next LF.
    var skipCount = 0
    /// An LF frame over the limit: its first bytes, held until its LF tells its real length.
    var cut: (bytes: [UInt8], length: Int)?

    init(inbox: MessageInbox, listener: SyslogListener, maxFrame: Int, tls: Bool) {
        self.inbox = inbox
        self.listener = listener
        self.maxFrame = maxFrame
        self.tls = tls
    }

    func channelActive(context: ChannelHandlerContext) {
        guard listener.admit() else {
            context.close(promise: nil)
            return
        }
        admitted = true
        let address = context.remoteAddress
        stream = inbox.open(peer: PeerOrigin(address: address?.ipAddress ?? "", port: address?.port ?? 0, transport: "tcp", tls: tls))
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted {
            flushPartial()
            inbox.end(stream: stream)
            listener.left()
            admitted = false
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // A connection paused by backpressure sends nothing because it is not read: not idle.
            if let reading = try? context.channel.syncOptions?.getOption(ChannelOptions.autoRead), !reading { return }
            listener.count { $0.idleClosed += 1 }
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted else { return }
        var bytes = unwrapInboundIn(data)
        bytes.withUnsafeReadableBytes { buffer.append(contentsOf: $0) }
        bytes.clear()
        if !frames() { listener.pause(context.channel) }
        if start > 0 && (start == buffer.count || start > 1 << 16) {
            buffer.removeFirst(start)
            start = 0
        }
    }

    /// Delivers every whole frame in the buffer; `false` when the inbox asked to stop reading.
    private func frames() -> Bool {
        var more = true
        while start < buffer.count {
            if skipCount > 0 {
                let n = min(skipCount, buffer.count - start)
                skipCount -= n
                start += n
                continue
            }
            if let held = cut {
                guard let lf = buffer[start...].firstIndex(of: 0x0A) else {
                    cut!.length += buffer.count - start
                    start = buffer.count
                    break
                }
                var length = held.length + lf - start
                if lf > start && buffer[lf - 1] == 0x0D { length -= 1 }
                more = held.bytes.withUnsafeBytes { inbox.deliver(stream: stream, $0, fullLength: length) } && more
                cut = nil
                start = lf + 1
                continue
            }
            let first = buffer[start]
            if first == 0x0A || first == 0x0D || first == 0 || first == 0x20 {
                start += 1
                continue
            }
            if first >= 0x30 && first <= 0x39 {
                // Octet counting: digits, a space, that many bytes.
                var i = start
                var length = 0
                while i < buffer.count && buffer[i] >= 0x30 && buffer[i] <= 0x39 && i - start < 10 {
                    length = length * 10 + Int(buffer[i] - 0x30)
                    i += 1
                }
                if i == buffer.count { break }  // the length is not whole yet
                if buffer[i] == 0x20 && i - start < 10 {
                    let body = i + 1
                    if length > maxFrame {
                        guard buffer.count - body >= maxFrame else { break }
                        more = deliver(body, maxFrame, full: length) && more
                        start = body + maxFrame
                        skipCount = length - maxFrame
                        continue
                    }
                    guard buffer.count - body >= length else { break }
                    more = deliver(body, length, full: length) && more
                    start = body + length
                    continue
                }
                // Digits not followed by a space: a line that starts with a digit.
            }
            guard let lf = buffer[start...].firstIndex(of: 0x0A) else {
                if buffer.count - start > maxFrame {
                    cut = (Array(buffer[start..<(start + maxFrame)]), buffer.count - start)
                    start = buffer.count
                }
                break
            }
            var end = lf
            if end > start && buffer[end - 1] == 0x0D { end -= 1 }
            if end - start > maxFrame {
                more = deliver(start, maxFrame, full: end - start) && more
            } else if end > start {
                more = deliver(start, end - start, full: end - start) && more
            }
            start = lf + 1
        }
        return more
    }

    private func deliver(_ from: Int, _ count: Int, full: Int) -> Bool {
        buffer.withUnsafeBytes { raw in
            inbox.deliver(stream: stream, UnsafeRawBufferPointer(rebasing: raw[from..<(from + count)]), fullLength: full)
        }
    }

    /// The connection closed with a frame not ended by LF: it is a message all the same.
    private func flushPartial() {
        if let held = cut {
            _ = held.bytes.withUnsafeBytes { inbox.deliver(stream: stream, $0, fullLength: held.length) }
            cut = nil
            return
        }
        guard start < buffer.count, skipCount == 0 else { return }
        var end = buffer.count
        while end > start && (buffer[end - 1] == 0x0D || buffer[end - 1] == 0) { end -= 1 }
        if end > start { _ = deliver(start, min(end - start, maxFrame), full: end - start) }
        start = buffer.count
    }
}
