import Dispatch
import Synchronization
import WardIngest

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT/SIGTERM: stop after the window in flight (its alerts are written), print the summary and
/// exit with 128 + the signal. Alerts already delivered are on disk: sinks write straight through.
/// A scan waiting for input (stdin) is woken: its input ends there.
final class StopRequest: Sendable {
    private let state = Atomic<Int32>(0)  // 0 running, >0 signal number
    private let broken = Atomic<Bool>(false)
    private nonisolated(unsafe) var sources: [DispatchSourceSignal] = []
    /// The input being read, so a signal can end it even while it waits on a pipe.
    private let current = Mutex<PrefetchingReader?>(nil)

    static func install() -> StopRequest {
        let request = StopRequest()
        for sig in [SIGINT, SIGTERM] {
            Glibc.signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                request.state.store(sig, ordering: .relaxed)
                request.current.withLock { $0?.interrupt() }
                // Last resort if the scan cannot reach its end (a stuck output).
                DispatchQueue.global().asyncAfter(deadline: .now() + 5) { exit(128 + sig) }
            }
            source.resume()
            request.sources.append(source)
        }
        return request
    }

    var requested: Bool { state.load(ordering: .relaxed) != 0 || broken.load(ordering: .relaxed) }
    var signal: Int32? {
        let s = state.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    func outputFailed() { broken.store(true, ordering: .relaxed) }

    /// Registers the input being read (`nil` when done with it).
    func reading(_ reader: PrefetchingReader?) {
        current.withLock { $0 = reader }
        if reader != nil, signal != nil { reader?.interrupt() }
    }
    var outputBroken: Bool { broken.load(ordering: .relaxed) }
}
