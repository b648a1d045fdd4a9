import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import WardOutput

/// Collects one response (head and up to 8 MiB of body) for the request in flight.
final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    /// Set and used on the channel's event loop only.
    var promise: EventLoopPromise<(HTTPResponseHead, [UInt8])>?
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.removeAll()
        case .body(var b):
            if body.count < 8 << 20, let bytes = b.readBytes(length: b.readableBytes) { body += bytes }
        case .end:
            if let head { promise?.succeed((head, body)) }
            promise = nil
            head = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.fail(SinkError(message: "the server closed the connection"))
        promise = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise?.fail(error)
        promise = nil
        context.close(promise: nil)
    }
}

/// NDJSON batches by HTTP POST, on one kept-alive connection: to an Elastic (or OpenSearch) `_bulk`
/// API (each alert after a `{"create":{}}` line; items the answer marks failed are counted as
/// refused), a Splunk HTTP Event Collector (`/services/collector…`: each alert as an event), or any
/// endpoint that takes JSON lines. Headers from `WARDWATCH_HTTP_HEADER_<NAME>` variables
/// (`WARDWATCH_HTTP_HEADER_AUTHORIZATION='ApiKey …'`), so that secrets stay out of the command line.
final class HTTPTransport: AlertTransport {
    enum Shape { case lines, bulk, splunkEvents }

    let spec: RemoteOutputSpec
    let group: EventLoopGroup
    let tls: NIOSSLContext?
    let headers: [(String, String)]
    let shape: Shape
    private var channel: Channel?
    private var collector: ResponseCollector?
    var note: String? { nil }

    init(spec: RemoteOutputSpec, group: EventLoopGroup, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.spec = spec
        self.group = group
        tls = try clientTLS(spec)
        headers = Self.headers(from: environment)
        let route = spec.path.prefix { $0 != "?" }
        if route.hasSuffix("/_bulk") {
            shape = .bulk
        } else if route.contains("/services/collector") && !route.hasSuffix("/raw") {
            shape = .splunkEvents
        } else {
            shape = .lines
        }
    }

    /// `WARDWATCH_HTTP_HEADER_X_API_KEY=…` → `X-Api-Key: …`.
    static func headers(from environment: [String: String]) -> [(String, String)] {
        let prefix = "WARDWATCH_HTTP_HEADER_"
        return environment.filter { $0.key.hasPrefix(prefix) && $0.key.count > prefix.count }.sorted { $0.key < $1.key }.map { key, value in
            let name = key.dropFirst(prefix.count).split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }
            return (name.joined(separator: "-"), value)
        }
    }

    private func connect() throws(SendError) -> (Channel, ResponseCollector) {
        if let channel, let collector, channel.isActive { return (channel, collector) }
        channel = nil
        let collector = ResponseCollector()
        let tls = self.tls, host = spec.host
        do {
            let c = try ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        if let tls { try sync.addHandler(try clientHandler(tls, host: host)) }
                        try sync.addHTTPClientHandlers()
                        try sync.addHandler(collector)
                    }
                }
                .connect(host: spec.host, port: spec.port).wait()
            channel = c
            self.collector = collector
            return (c, collector)
        } catch {
            throw .retry("cannot connect: \(error)")
        }
    }

    func body(_ batch: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(batch.reduce(0) { $0 + $1.count + 64 })
        for line in batch {
            switch shape {
            case .lines:
                out += line
            case .bulk:
                out += Array("{\"create\":{}}\n".utf8)
                out += line
            case .splunkEvents:
                out += Array("{\"sourcetype\":\"wardwatch:alert\",\"source\":\"wardwatch\",\"event\":".utf8)
                out += line
                out += Array("}".utf8)
            }
            out.append(0x0A)
        }
        return out
    }

    func send(_ batch: [[UInt8]]) throws(SendError) -> Int {
        let (channel, collector) = try connect()
        let payload = body(batch)
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: spec.path)
        head.headers.add(name: "Host", value: spec.port == (spec.isTLS ? 443 : 80) ? spec.hostForURL : "\(spec.hostForURL):\(spec.port)")
        head.headers.add(name: "User-Agent", value: "wardwatch/\(AlertEncoder.productVersion)")
        head.headers.add(name: "Content-Type", value: shape == .splunkEvents ? "application/json" : "application/x-ndjson")
        head.headers.add(name: "Content-Length", value: String(payload.count))
        for (name, value) in headers { head.headers.replaceOrAdd(name: name, value: value) }
        let response: (HTTPResponseHead, [UInt8])
        do {
            let promise = channel.eventLoop.makePromise(of: (HTTPResponseHead, [UInt8]).self)
            let timeout = channel.eventLoop.scheduleTask(in: .seconds(30)) {
                promise.fail(SinkError(message: "no answer within 30 s"))
            }
            try channel.eventLoop.submit { collector.promise = promise }.wait()
            var buffer = channel.allocator.buffer(capacity: payload.count)
            buffer.writeBytes(payload)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
            try waitBounded(channel.writeAndFlush(HTTPClientRequestPart.end(nil)), on: channel.eventLoop)
            response = try promise.futureResult.wait()
            timeout.cancel()
        } catch {
            channel.close(promise: nil)
            self.channel = nil
            throw .retry("request failed: \(error)")
        }
        let (status, answer) = (response.0.status.code, response.1)
        if response.0.headers["connection"].contains(where: { $0.lowercased() == "close" }) || !response.0.isKeepAlive {
            channel.close(promise: nil)
            self.channel = nil
        }
        // The receiver's words, on one line: its answer cannot write lines of its own on our stderr.
        let excerpt = String(String.UnicodeScalarView(String(decoding: answer.prefix(300), as: UTF8.self).unicodeScalars
            .map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        switch status {
        case 200..<300:
            guard shape == .bulk else { return 0 }
            guard let failed = Self.failedItems(answer, count: batch.count) else {
                // A proxy's page or a cut answer: nothing says the alerts were indexed.
                throw .rejected("HTTP \(status), but not an Elasticsearch bulk answer\(excerpt.isEmpty ? "" : ": " + excerpt)")
            }
            return failed
        case 408, 429, 500..<600:
            throw .retry("HTTP \(status) \(response.0.status.reasonPhrase)\(excerpt.isEmpty ? "" : ": " + excerpt)")
        default:
            throw .rejected("HTTP \(status) \(response.0.status.reasonPhrase)\(excerpt.isEmpty ? "" : ": " + excerpt)")
        }
    }

    /// Items of an Elastic `_bulk` answer that were not created; `nil` when the answer is not a bulk
    /// answer (no `errors` flag, or items missing when it says there were errors).
    static func failedItems(_ answer: [UInt8], count: Int) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any],
              let errors = object["errors"] as? Bool else { return nil }
        guard errors else { return 0 }
        guard let items = object["items"] as? [[String: Any]] else { return nil }
        return items.filter { item in
            guard let result = item.values.first as? [String: Any], let status = result["status"] as? Int else { return true }
            return status >= 300
        }.count
    }

    func close() {
        try? channel?.close().wait()
        channel = nil
    }
}
