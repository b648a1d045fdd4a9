import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT/SIGTERM: stop after the window in flight (its alerts are written), print the summary and
/// exit with 128 + the signal. Alerts already delivered are on disk: sinks write straight through.
/// If the scan is blocked waiting for input (stdin), the process exits two seconds after the signal.
final class StopRequest: Sendable {
    private let state = Atomic<Int32>(0)  // 0 running, >0 signal number
    private let broken = Atomic<Bool>(false)
    private nonisolated(unsafe) var sources: [DispatchSourceSignal] = []

    static func install() -> StopRequest {
        let request = StopRequest()
        for sig in [SIGINT, SIGTERM] {
            Glibc.signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                request.state.store(sig, ordering: .relaxed)
                DispatchQueue.global().asyncAfter(deadline: .now() + 2) { exit(128 + sig) }
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
    var outputBroken: Bool { broken.load(ordering: .relaxed) }
}
