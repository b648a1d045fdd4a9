/// An Aho–Corasick automaton over case-folded bytes: finds which of many literals occur in a value
/// in one pass, whatever their number.
///
/// The DFA is dense over byte *classes* (one class per distinct lower-cased byte that occurs in a
/// literal, plus one for every other byte), so the table stays small: about 60 classes for real
/// rule sets instead of 256. Upper-case bytes map to the class of their lower-case form, so matching
/// is ASCII case-insensitive at no cost. A pure-Swift DFA of this kind runs at 280–465 MB/s per core
/// (`PERF-NOTES.md` §1.1).
public struct LiteralAutomaton: Sendable {
    /// Byte → class.
    let classOf: [UInt8]
    public let classCount: Int
    /// `next[state * classCount + class]`.
    let next: [Int32]
    /// Per state: its own patterns, `outputs[outputStart[s] ..< outputStart[s + 1]]`.
    let outputStart: [Int32]
    let outputs: [Int32]
    /// Per state: the nearest proper suffix state that has outputs, or -1 (dictionary link).
    let dictionary: [Int32]
    public let patternCount: Int
    public var stateCount: Int { dictionary.count }

    /// Builds the automaton for `patterns` (already lower-cased ASCII; empty patterns are ignored).
    public init(patterns: [[UInt8]]) {
        // Classes.
        var classOf = [UInt8](repeating: 0, count: 256)
        var used = [Bool](repeating: false, count: 256)
        for pattern in patterns { for b in pattern { used[Int(b)] = true } }
        var classCount = 1
        var classOfLower = [UInt8](repeating: 0, count: 256)
        for b in 0..<256 where used[b] {
            classOfLower[b] = UInt8(truncatingIfNeeded: classCount)
            classCount += 1
        }
        precondition(classCount <= 256, "at most 255 distinct literal bytes")
        for b in 0..<256 {
            let lower = (UInt8(b) &- 0x41) < 26 ? UInt8(b) | 0x20 : UInt8(b)
            classOf[b] = classOfLower[Int(lower)]
        }
        // Trie, built directly in the dense table: `next[s * classCount + c]` is the child, 0 for none
        // (the root is nobody's child). Pattern ids ending at each state: `ends`, as (state, id).
        var next = [Int32](repeating: 0, count: classCount)
        var ends: [(state: Int32, id: Int32)] = []
        var states = 1
        for (id, pattern) in patterns.enumerated() where !pattern.isEmpty {
            var state = 0
            for b in pattern {
                let k = state * classCount + Int(classOf[Int(b)])
                if next[k] == 0 {
                    next[k] = Int32(states)
                    states += 1
                    next.append(contentsOf: repeatElement(0, count: classCount))
                }
                state = Int(next[k])
            }
            ends.append((Int32(state), Int32(id)))
        }
        ends.sort { $0.state != $1.state ? $0.state < $1.state : $0.id < $1.id }
        var outputStart = [Int32](repeating: 0, count: states + 1)
        for end in ends { outputStart[Int(end.state) + 1] += 1 }
        for s in 0..<states { outputStart[s + 1] += outputStart[s] }
        let outputs = ends.map(\.id)
        @inline(__always) func reportsOwn(_ s: Int) -> Bool { outputStart[s] != outputStart[s + 1] }
        // Breadth-first: failure links, the rest of each DFA row (a row's missing transitions are its
        // failure state's, whose row is complete by then), dictionary links.
        var fail = [Int32](repeating: 0, count: states)
        var dictionary = [Int32](repeating: -1, count: states)
        var queue: [Int32] = []
        queue.reserveCapacity(states)
        for c in 0..<classCount where next[c] != 0 { queue.append(next[c]) }
        var head = 0
        while head < queue.count {
            let u = Int(queue[head])
            head += 1
            let f = Int(fail[u])
            dictionary[u] = reportsOwn(f) ? Int32(f) : dictionary[f]
            for c in 0..<classCount {
                let child = next[u * classCount + c]
                if child != 0 {
                    fail[Int(child)] = next[f * classCount + c]
                    queue.append(child)
                } else {
                    next[u * classCount + c] = next[f * classCount + c]
                }
            }
        }
        // Premultiply (a transition holds the target's row offset) and mark targets that report
        // something with the sign bit, holding the state (`~state`; its row is `state × classCount`):
        // the scan loop then does one load and one test per byte, and no division on a report.
        for k in next.indices {
            let target = Int(next[k])
            let reports = reportsOwn(target) || dictionary[target] >= 0
            next[k] = reports ? ~Int32(target) : Int32(target * classCount)
        }
        self.classOf = classOf
        self.classCount = classCount
        self.next = next
        self.outputStart = outputStart
        self.outputs = outputs
        self.dictionary = dictionary
        self.patternCount = patterns.count
    }

    /// Calls `hit` with the id of every pattern occurrence in `value` (a pattern may be reported
    /// more than once).
    /// - Complexity: O(*n* + occurrences); no allocation.
    @inline(__always)
    public func scan(_ value: UnsafeBufferPointer<UInt8>, _ hit: (Int32) -> Void) {
        classOf.withUnsafeBufferPointer { classOf in
            next.withUnsafeBufferPointer { next in
                var row = 0  // premultiplied state: state × classCount
                for b in value {
                    let t = next[row &+ Int(classOf[Int(b)])]
                    if t >= 0 {
                        row = Int(t)
                        continue
                    }
                    row = Int(~t) * classCount
                    report(Int(~t), hit)
                }
            }
        }
    }

    /// Reports the patterns ending at `state`: its own, then along its dictionary links.
    private func report(_ state: Int, _ hit: (Int32) -> Void) {
        var r = outputStart[state] != outputStart[state + 1] ? Int32(state) : dictionary[state]
        while r >= 0 {
            for k in Int(outputStart[Int(r)])..<Int(outputStart[Int(r) + 1]) { hit(outputs[k]) }
            r = dictionary[Int(r)]
        }
    }
}
