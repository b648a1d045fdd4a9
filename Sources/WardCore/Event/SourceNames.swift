import Synchronization

/// The names of a run's inputs by number, for what refers to an event after its chunk is gone
/// (a correlation alert's `correlation.events`, a state snapshot). The command's inputs come first,
/// by their index; a source that multiplexes many files (a tail) registers each file as it opens it,
/// and its chunks carry that number (``ChunkOrigin/nameIndex``). Append-only; safe from any thread.
public final class SourceNames: Sendable {
    private let names: Mutex<[String]>

    public init(_ names: [String] = []) { self.names = Mutex(names) }

    /// The name numbered `index`; empty when there is none.
    public func name(_ index: Int) -> String {
        names.withLock { index >= 0 && index < $0.count ? $0[index] : "" }
    }

    /// The number of `name`, registered when new.
    public func index(of name: String) -> Int {
        names.withLock { list in
            if let i = list.lastIndex(of: name) { return i }
            list.append(name)
            return list.count - 1
        }
    }

    /// A new number for `name`, even when it was registered before (a file rotated onto a path).
    public func register(_ name: String) -> Int {
        names.withLock { list in
            list.append(name)
            return list.count - 1
        }
    }

    public var count: Int { names.withLock { $0.count } }
}
