import Dispatch
import Synchronization
import WardIngest

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT/SIGTERM: the run stops after the work in flight (its output is written), every source
/// waiting for input is woken (its input ends there), and the command prints its summary and exits
/// with 128 + the signal.
public final class StopController: Sendable {
    private let state = Atomic<Int32>(0)  // 0 running, >0 signal number
    private nonisolated(unsafe) var handlers: [DispatchSourceSignal] = []
    private let sources = Mutex<[ObjectIdentifier: any RecordSource]>([:])

    public init() {}

    /// Catches SIGINT and SIGTERM from now on.
    public static func install() -> StopController {
        let stop = StopController()
        for sig in [SIGINT, SIGTERM] {
            Glibc.signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.request(signal: sig) }
            source.resume()
            stop.handlers.append(source)
        }
        return stop
    }

    /// Stops the run as a signal would.
    public func request(signal: Int32) {
        state.store(signal, ordering: .relaxed)
        IngestCancellation.cancel()
        sources.withLock { for s in $0.values { s.interrupt() } }
        // Last resort if the run cannot reach its end (a stuck output).
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { exit(128 + signal) }
    }

    public var requested: Bool { state.load(ordering: .relaxed) != 0 }
    public var signal: Int32? {
        let s = state.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    func opened(_ source: any RecordSource) {
        sources.withLock { $0[ObjectIdentifier(source)] = source }
        if requested { source.interrupt() }
    }

    func closed(_ source: any RecordSource) {
        _ = sources.withLock { $0.removeValue(forKey: ObjectIdentifier(source)) }
    }
}
