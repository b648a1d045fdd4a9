import Foundation
import NIOCore
import NIOPosix
import WardOutput

/// Alerts waiting for one remote output: bounded; when full, new alerts are dropped and counted
/// (the receiver is slow or down, and the run must not wait for it).
final class AlertQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [[UInt8]] = []
    private var head = 0
    private var closed = false
    let capacity: Int
    private(set) var dropped = 0

    init(capacity: Int) { self.capacity = capacity }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }

    /// Queues `line`; `false` (counted) when the queue is full.
    func append(_ line: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        if items.count - head >= capacity {
            dropped += 1
            return
        }
        items.append(line)
        condition.signal()
    }

    /// No more alerts will come.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Up to `limit` alerts, waiting for the first while the queue is open and empty, and up to
    /// `linger` for more (to fill a batch). Empty: closed and drained.
    func take(_ limit: Int, linger: Double) -> [[UInt8]] {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed { condition.wait() }
        if linger > 0 && items.count - head < limit && !closed {
            let deadline = Date(timeIntervalSinceNow: linger)
            while items.count - head < limit && !closed && condition.wait(until: deadline) {}
        }
        let n = min(limit, items.count - head)
        let batch = Array(items[head..<(head + n)])
        head += n
        if head > 4096 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return batch
    }

    /// Empties the queue; returns how many alerts it held.
    func drain() -> Int {
        condition.lock()
        defer { condition.unlock() }
        let n = items.count - head
        items.removeAll()
        head = 0
        return n
    }
}

/// Why a send failed: try the same alerts again later, or give them up (the receiver refused them).
enum SendError: Error, CustomStringConvertible {
    case retry(String)
    case rejected(String)

    var description: String {
        switch self {
        case .retry(let m), .rejected(let m): return m
        }
    }
}

/// One way of delivering a batch of alerts (whole JSON lines, without their line ends).
protocol AlertTransport: AnyObject {
    /// Why the last send refused some alerts itself (too large to send), if it did.
    var note: String? { get }
    /// Delivers `batch`; returns how many of its alerts the receiver refused (an Elastic `_bulk` answer
    /// can refuse some items of a batch it took).
    func send(_ batch: [[UInt8]]) throws(SendError) -> Int
    func close()
}

/// Feeds one remote output from its queue on a thread of its own: batches, retries with exponential
/// backoff (0.5 s doubling to 30 s) while the receiver is down, and at the end of the input gives the
/// queue `spec.timeout` to drain.
final class OutputDriver: @unchecked Sendable {
    let spec: RemoteOutputSpec
    let queue: AlertQueue
    let transport: AlertTransport
    private let lock = NSLock()
    private var report: ForwardReport
    private var closedAt: Date?
    /// Alerts of the batch being sent (guarded by `lock`): counted as not delivered if the send is
    /// still hanging when the time is up.
    private var inFlight = 0
    /// The time ran out; the thread's later outcome is not counted (guarded by `lock`).
    private var abandoned = false
    /// Whether the thread ended (its connection is closed).
    private(set) var ended = false
    private let done = DispatchSemaphore(value: 0)
    private let warn: @Sendable (String) -> Void

    init(spec: RemoteOutputSpec, transport: AlertTransport, warn: @escaping @Sendable (String) -> Void) {
        self.spec = spec
        self.transport = transport
        self.warn = warn
        queue = AlertQueue(capacity: spec.queue)
        report = ForwardReport(output: spec.displayName)
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "wardwatch-forward"
        thread.start()
    }

    /// The input ended: what is queued has `spec.timeout` to be delivered.
    func close() {
        lock.lock()
        closedAt = Date()
        lock.unlock()
        queue.close()
    }

    /// Waits for the queue to be delivered (or the timeout), then reports.
    func finish() -> ForwardReport {
        if done.wait(timeout: .now() + spec.timeout + 5) == .timedOut {
            // A send that hangs past the timeout (a receiver that stopped reading): the batch in flight
            // and what is queued are not delivered.
            lock.lock()
            report.undelivered += inFlight + queue.drain()
            report.lastError = report.lastError ?? "the receiver stopped taking alerts"
            inFlight = 0
            abandoned = true
            lock.unlock()
        } else {
            ended = true
        }
        lock.lock()
        defer { lock.unlock() }
        var result = report
        result.dropped = queue.dropped
        return result
    }

    private var deadline: Date? {
        lock.lock()
        defer { lock.unlock() }
        return closedAt.map { $0.addingTimeInterval(spec.timeout) }
    }

    private func run() {
        let limit = spec.isSyslog ? 256 : spec.batch
        let linger = spec.isSyslog ? 0 : 0.2
        var backoff = 0.5
        var failing = false
        while true {
            let batch = queue.take(limit, linger: linger)
            if batch.isEmpty { break }
            lock.lock()
            if abandoned {
                lock.unlock()
                return
            }
            inFlight = batch.count
            lock.unlock()
            attempt: while true {
                do throws(SendError) {
                    let refused = try transport.send(batch)
                    lock.lock()
                    if abandoned {
                        lock.unlock()
                        return
                    }
                    report.delivered += batch.count - refused
                    report.rejected += refused
                    if refused > 0, let note = transport.note { report.lastError = note }
                    inFlight = 0
                    lock.unlock()
                    if failing { warn("\(spec.displayName): delivering again") }
                    failing = false
                    backoff = 0.5
                    break attempt
                } catch {
                    switch error {
                    case .rejected(let message):
                        lock.lock()
                        if !abandoned { report.rejected += batch.count }
                        report.lastError = message
                        inFlight = 0
                        lock.unlock()
                        warn("\(spec.displayName): \(batch.count) alerts refused: \(message)")
                        break attempt
                    case .retry(let message):
                        lock.lock()
                        report.retries += 1
                        report.lastError = message
                        lock.unlock()
                        if !failing { warn("\(spec.displayName): \(message); retrying with backoff, alerts queue meanwhile (at most \(spec.queue))") }
                        failing = true
                    }
                    if let deadline = deadline, Date().addingTimeInterval(backoff) >= deadline {
                        lock.lock()
                        if !abandoned { report.undelivered += batch.count + queue.drain() }
                        inFlight = 0
                        lock.unlock()
                        transport.close()
                        return
                    }
                    Thread.sleep(forTimeInterval: backoff)
                    backoff = min(30, backoff * 2)
                }
            }
        }
        transport.close()
    }
}

/// Reads alert lines from a descriptor and hands each to every output's queue; at the end of the
/// input, lets the outputs drain and returns their reports.
public struct Forwarder {
    let drivers: [OutputDriver]
    let group: MultiThreadedEventLoopGroup

    public init(_ specs: [RemoteOutputSpec], warn: @escaping @Sendable (String) -> Void) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        drivers = try specs.map { spec in
            let transport: AlertTransport = spec.isSyslog ? try SyslogTransport(spec: spec, group: group)
                                                         : try HTTPTransport(spec: spec, group: group)
            return OutputDriver(spec: spec, transport: transport, warn: warn)
        }
    }

    /// Forwards the lines read from `fd` until its end; returns every output's report.
    public func run(reading fd: Int32) -> [ForwardReport] {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var pending: [UInt8] = []
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += buffer[0..<n]
            var start = 0
            while let end = pending[start...].firstIndex(of: 0x0A) {
                if end > start { deliver(Array(pending[start..<end])) }
                start = end + 1
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty { deliver(pending) }
        for driver in drivers { driver.close() }
        let reports = drivers.map { $0.finish() }
        // A driver still blocked in a send keeps using the event loop: leave it to the process's exit.
        if drivers.allSatisfy(\.ended) { try? group.syncShutdownGracefully() }
        return reports
    }

    private func deliver(_ line: [UInt8]) {
        for driver in drivers { driver.queue.append(line) }
    }
}
