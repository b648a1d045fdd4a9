import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import WardCore
import WardOutput

/// TLS for a client: the system's trust store (or `ca=`), the server's name or address verified.
func clientTLS(_ spec: RemoteOutputSpec) throws -> NIOSSLContext? {
    guard spec.isTLS else { return nil }
    var configuration = TLSConfiguration.makeClientConfiguration()
    configuration.minimumTLSVersion = .tlsv12
    if let ca = spec.caFile {
        guard FileManager.default.isReadableFile(atPath: ca) else {
            throw SinkError(message: "\(spec.displayName): cannot read the CA file '\(ca)'.")
        }
        configuration.trustRoots = .file(ca)
    }
    if spec.insecure { configuration.certificateVerification = .none }
    do {
        return try NIOSSLContext(configuration: configuration)
    } catch {
        throw SinkError(message: "\(spec.displayName): cannot set up TLS: \(error).")
    }
}

/// A TLS client handler naming the server (SNI and the name checked) unless it is an address: then the
/// certificate is checked against the address connected to.
func clientHandler(_ context: NIOSSLContext, host: String) throws -> NIOSSLClientHandler {
    let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
    return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
}

/// Waits for `future`, failing after `seconds` (a receiver that stopped reading never completes a write).
func waitBounded(_ future: EventLoopFuture<Void>, on loop: EventLoop, seconds: Int64 = 30) throws {
    let promise = loop.makePromise(of: Void.self)
    future.cascade(to: promise)
    let timeout = loop.scheduleTask(in: .seconds(seconds)) {
        promise.fail(SinkError(message: "the receiver took nothing for \(seconds) s"))
    }
    defer { timeout.cancel() }
    try promise.futureResult.wait()
}

/// Closes the connection when the receiver closes its side or errs, so that the next send reconnects,
/// and keeps the error (a failed TLS handshake) for the message.
final class CloseOnError: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    private let lock = NSLock()
    private var error: Error?
    var lastError: Error? { lock.withLock { error } }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        lock.withLock { self.error = error }
        context.close(promise: nil)
    }
}

/// Syslog to a collector: RFC 5424 messages, octet-counted over TCP and TLS (RFC 6587 §3.4.1,
/// RFC 5425), one per datagram over UDP (RFC 5426).
final class SyslogTransport: AlertTransport {
    let spec: RemoteOutputSpec
    let group: EventLoopGroup
    let tls: NIOSSLContext?
    let hostname: String
    let processID = getppid()
    private var channel: Channel?
    private var address: SocketAddress?
    private var errors: CloseOnError?

    init(spec: RemoteOutputSpec, group: EventLoopGroup) throws {
        self.spec = spec
        self.group = group
        tls = try clientTLS(spec)
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        hostname = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func connect() throws(SendError) -> Channel {
        if let channel, channel.isActive { return channel }
        channel = nil
        do {
            if spec.kind == .syslogUDP {
                let remote = try SocketAddress.makeAddressResolvingHost(spec.host, port: spec.port)
                address = remote
                let c = try DatagramBootstrap(group: group)
                    .bind(host: remote.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).wait()
                channel = c
                return c
            }
            let tls = self.tls, host = spec.host
            let errors = CloseOnError()
            self.errors = errors
            let c = try ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(try clientHandler(tls, host: host)) }
                        try channel.pipeline.syncOperations.addHandler(errors)
                    }
                }
                .connect(host: spec.host, port: spec.port).wait()
            channel = c
            return c
        } catch {
            throw .retry("cannot connect: \(error)")
        }
    }

    /// Alerts too large for one UDP datagram (not sent; counted as refused).
    private(set) var oversized = 0

    var note: String? {
        oversized > 0 ? "\(oversized) alerts larger than one UDP datagram (65,000 bytes) were not sent; syslog:// (TCP) or syslog+tls:// carry them" : nil
    }

    func send(_ batch: [[UInt8]]) throws(SendError) -> Int {
        let channel = try connect()
        var refused = 0
        var stamp: [UInt8] = []
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        TimestampFormat.appendRFC3339(Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) / 1_000_000 * 1_000_000, to: &stamp)
        let timestamp = String(decoding: stamp, as: UTF8.self)
        var buffer = channel.allocator.buffer(capacity: batch.reduce(0) { $0 + $1.count + 96 })
        var last: EventLoopFuture<Void>?
        for line in batch {
            let slice = line[...]
            let body: [UInt8]
            if spec.format == "cef" {
                guard let cef = SyslogFormat.cef(slice, version: AlertEncoder.productVersion) else {
                    refused += 1
                    continue
                }
                body = cef
            } else {
                body = line
            }
            let message = SyslogFormat.message(body[...], level: SyslogFormat.level(ofAlert: slice), facility: spec.facility,
                                               timestamp: timestamp, hostname: hostname, processID: processID)
            if spec.kind == .syslogUDP {
                // One datagram per message; one larger than UDP allows cannot be sent.
                guard message.count <= 65_000, let address else {
                    refused += 1
                    oversized += 1
                    continue
                }
                var datagram = channel.allocator.buffer(capacity: message.count)
                datagram.writeBytes(message)
                last = channel.write(AddressedEnvelope(remoteAddress: address, data: datagram))
            } else {
                buffer.writeString("\(message.count) ")
                buffer.writeBytes(message)
            }
        }
        do {
            if spec.kind == .syslogUDP {
                channel.flush()
                if let last { try waitBounded(last, on: channel.eventLoop) }
            } else if buffer.readableBytes > 0 {
                // A receiver that stops reading fills the socket: give up after 30 s and reconnect.
                try waitBounded(channel.writeAndFlush(buffer), on: channel.eventLoop)
            }
        } catch {
            channel.close(promise: nil)
            self.channel = nil
            // The connection's own error (a refused TLS certificate) says more than "I/O on closed channel".
            throw .retry("sending failed: \(errors?.lastError.map { "\($0)" } ?? "\(error)")")
        }
        return refused
    }

    func close() {
        try? channel?.close().wait()
        channel = nil
    }
}
