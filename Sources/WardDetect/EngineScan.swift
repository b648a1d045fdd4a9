import WardCore

/// One value being run through a field's automaton: where it is, how far, in which state.
struct DFAStream {
    var base: UnsafePointer<UInt8>
    var count: Int
    var i = 0
    var row = 0
    let classOf: UnsafePointer<UInt8>
    let next: UnsafePointer<Int32>
    let classCount: Int
    /// The engine's table index of the field.
    let table: Int

    init(_ value: UnsafeBufferPointer<UInt8>, _ t: FieldTable, table: Int) {
        base = value.baseAddress!
        count = value.count
        classOf = t.classOf
        next = t.next
        classCount = t.classCount
        self.table = table
    }
}

/// Runs a premultiplied DFA (``LiteralAutomaton``) until it enters a state that reports patterns:
/// returns that state, with the stream past the byte; or -1 at the end of the value. Kept apart from
/// the reporting code so that the loop's few values stay in registers (inlined into the engine's
/// loop, they were spilled to the stack on every byte).
@inline(never)
func dfaRun(_ s: inout DFAStream) -> Int {
    var k = s.i
    var r = s.row
    defer {
        s.i = k
        s.row = r
    }
    while k < s.count {
        let t = s.next[r &+ Int(s.classOf[Int(s.base[k])])]
        k &+= 1
        if t < 0 {
            let state = Int(~t)
            r = state &* s.classCount
            return state
        }
        r = Int(t)
    }
    return -1
}

/// Runs two values through their automata in one loop: each byte's table load depends on the last
/// one's, so one stream leaves the core waiting on memory; two independent ones overlap. Returns
/// `(0, state)` or `(1, state)` when that stream entered a reporting state, `(-1, 0)` when either
/// reached its end.
@inline(never)
func dfaRun2(_ a: inout DFAStream, _ b: inout DFAStream) -> (stream: Int, state: Int) {
    var ka = a.i, ra = a.row, kb = b.i, rb = b.row
    defer {
        a.i = ka
        a.row = ra
        b.i = kb
        b.row = rb
    }
    let an = a.count, bn = b.count
    while ka < an && kb < bn {
        let ta = a.next[ra &+ Int(a.classOf[Int(a.base[ka])])]
        let tb = b.next[rb &+ Int(b.classOf[Int(b.base[kb])])]
        ka &+= 1
        if ta < 0 {
            ra = Int(~ta) &* a.classCount
            return (0, Int(~ta))  // b's step is not taken: it is computed again next time
        }
        ra = Int(ta)
        kb &+= 1
        if tb < 0 {
            rb = Int(~tb) &* b.classCount
            return (1, Int(~tb))
        }
        rb = Int(tb)
    }
    return (-1, 0)
}

extension DetectionEngine {
    /// Runs every field of the event's lane through its automaton: stamps the literals that occur
    /// (anywhere, at the start, at the end, as the whole value) and collects the rules they make
    /// candidates. The values that live in the event's buffers are run two at a time (``dfaRun2``).
    func scanLiterals(_ event: BatchEvent, dataset: Dataset, stamp: UInt32, scratch: EngineScratch,
                      candidates: inout [Int32]) {
        let bit: UInt64 = dataset.rawValue < 64 ? 1 << UInt64(dataset.rawValue) : 0
        let patternStamp = scratch.patternStamp, ruleStamp = scratch.ruleStamp
        let tables = lanes.tables
        func report(_ state: Int, at i: Int, count: Int, table: Int) {
            let t = tables[table]
            // Patterns ending here (an occurrence ending after byte `length` starts the value).
            var k = Int(t.reportStart[state])
            let end = Int(t.reportStart[state + 1])
            while k < end {
                let pattern = Int(t.reports[k])
                let atStart = i == Int(t.reports[k + 1])
                k += 2
                let p = (t.patternOffset + pattern) &* 4
                if atStart { patternStamp[p + 1] = stamp }
                if i == count {
                    patternStamp[p + 2] = stamp
                    if atStart { patternStamp[p + 3] = stamp }
                }
                if patternStamp[p] == stamp { continue }
                patternStamp[p] = stamp
                for j in Int(t.ruleStart[pattern])..<Int(t.ruleStart[pattern + 1]) {
                    let rule = Int(t.patternRules[j])
                    if ruleStamp[rule] == stamp { continue }
                    ruleStamp[rule] = stamp
                    if masks[rule] & bit != 0 { candidates.append(Int32(rule)) }
                }
            }
        }
        func finish(_ s: inout DFAStream) {
            while true {
                let state = dfaRun(&s)
                if state < 0 { return }
                report(state, at: s.i, count: s.count, table: s.table)
            }
        }
        func scan(_ value: UnsafeBufferPointer<UInt8>, table: Int) {
            guard value.count > 0 else { return }
            var s = DFAStream(value, tables[table], table: table)
            finish(&s)
        }
        // The values in the event's buffers are collected; the rest are scanned at once.
        var longest: DFAStream?, second: DFAStream?
        for f in lanes.lane(of: dataset) {
            let t = tables[f]
            if t.isOriginal && event.keywordsSearchValues {
                // Keywords of a structured event search its values, each on its own.
                _ = event.anyKeywordText { value in
                    scan(value, table: f)
                    return false
                }
                continue
            }
            let id: FieldID? = t.isOriginal ? .eventOriginal : t.id
            if event.isDerived(id: id, name: t.nameBytes) {
                event.withBytes(id: id, name: t.nameBytes) { value in
                    if let value { scan(value, table: f) }
                }
                continue
            }
            guard let value = event.bytes(id: id, name: t.nameBytes), value.count > 0 else { continue }
            // The two longest values (the line and the message, mostly) run together; the others alone:
            // the new one is put in its place among the two kept, and the one left over runs now.
            var spare: DFAStream? = DFAStream(value, t, table: f)
            if (longest?.count ?? -1) < spare!.count { swap(&spare, &longest) }
            if (second?.count ?? -1) < (spare?.count ?? -1) { swap(&spare, &second) }
            if var done = spare { finish(&done) }
        }
        guard var a = longest else { return }
        guard var b = second else { return finish(&a) }
        while true {
            let (which, state) = dfaRun2(&a, &b)
            if which < 0 { break }
            if which == 0 {
                report(state, at: a.i, count: a.count, table: a.table)
            } else {
                report(state, at: b.i, count: b.count, table: b.table)
            }
        }
        finish(&a)
        finish(&b)
    }
}
