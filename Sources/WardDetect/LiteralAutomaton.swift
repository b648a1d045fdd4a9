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
    let classCount: Int
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
        // Trie.
        var children: [[UInt8: Int32]] = [[:]]
        var own: [[Int32]] = [[]]
        for (id, pattern) in patterns.enumerated() where !pattern.isEmpty {
            var state: Int32 = 0
            for b in pattern {
                let c = classOf[Int(b)]
                if let child = children[Int(state)][c] {
                    state = child
                } else {
                    children.append([:])
                    own.append([])
                    let child = Int32(children.count - 1)
                    children[Int(state)][c] = child
                    state = child
                }
            }
            own[Int(state)].append(Int32(id))
        }
        // Breadth-first: failure links, DFA rows, dictionary links.
        let states = children.count
        var next = [Int32](repeating: 0, count: states * classCount)
        var fail = [Int32](repeating: 0, count: states)
        var dictionary = [Int32](repeating: -1, count: states)
        var queue: [Int32] = []
        queue.reserveCapacity(states)
        for c in 0..<classCount {
            if let child = children[0][UInt8(c)] {
                next[c] = child
                queue.append(child)
            }
        }
        var head = 0
        while head < queue.count {
            let u = Int(queue[head])
            head += 1
            let f = Int(fail[u])
            dictionary[u] = own[f].isEmpty ? dictionary[f] : Int32(f)
            for c in 0..<classCount {
                if let child = children[u][UInt8(c)] {
                    next[u * classCount + c] = child
                    fail[Int(child)] = next[f * classCount + c]
                    queue.append(child)
                } else {
                    next[u * classCount + c] = next[f * classCount + c]
                }
            }
        }
        var outputStart: [Int32] = [0]
        var outputs: [Int32] = []
        for s in 0..<states {
            outputs += own[s]
            outputStart.append(Int32(outputs.count))
        }
        // Premultiply (a transition holds the target's row offset) and mark targets that report
        // something with the sign bit: the scan loop then does one load and one test per byte.
        for k in next.indices {
            let target = Int(next[k])
            let reports = !own[target].isEmpty || dictionary[target] >= 0
            let offset = Int32(target * classCount)
            next[k] = reports ? ~offset : offset
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
                    row = Int(~t)
                    report(row / classCount, hit)
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
