import Dispatch
import WardCore
import WardDetect
import WardIngest
import WardOutput
import WardParse
import WardRegex
import WardRules

extension Pipeline {
    // MARK: - Worker

    /// Parses the slot's chunk, matches it, filters and encodes the matches, and notes what the merge
    /// needs. Touches only the slot and the lane's own state.
    func work(_ slot: inout Slot, lane: Lane, filters: [any MatchFilter], levels: [UInt8], perLevel: Bool,
              annotations: MatchAnnotations?, fromMessage: [[Bool]]) {
        let r = slot.result!
        r.reset()
        let chunk = slot.chunk
        r.source = chunk.origin.sourceIndex
        r.stream = chunk.origin.stream
        r.received = chunk.origin.peer != nil
        r.path = chunk.origin.path
        r.endOffset = chunk.endOffset
        r.bytes = chunk.endOffset - chunk.origin.offset
        lane.parser.parse(chunk, into: &slot.batch)
        let batch = slot.batch
        r.events = batch.events.count
        for record in chunk.records where record.isTruncated {
            r.cut.append((record.line, chunk.origin.offset + Int64(record.start), record.fullLength, Int(record.length),
                          record.kind.isMultiLine))
        }
        slot.hits.removeAll(keepingCapacity: true)
        let engine = config.engine
        if let engine, let scratch = lane.scratch {
            scratch.evaluationErrors.removeAll(keepingCapacity: true)
            engine.match(batch, chunk: chunk, scratch: scratch) { slot.hits.append($0) }
            for error in scratch.evaluationErrors {
                r.evaluationErrors.append((error.rule, Int64(batch.events[error.event].lineNumber), error.code))
            }
        } else if engine == nil {
            for e in 0..<batch.events.count { slot.hits.append(RuleHit(event: e, rule: Int(Match.noRule))) }
        }
        let hits = slot.hits
        // The result is a class: its arrays are worked on as locals (no exclusivity check per event),
        // then put back.
        var out = JSONWriter(capacity: 0)
        var matches: [Match] = []
        var effectiveTime: [Int64] = []
        var newestBefore: [Int64] = []
        var byDataset: [Int] = []
        var fieldBytes: [UInt8] = []
        swap(&fieldBytes, &r.output.fields)
        let policy = lane.parser.options.patientData
        var pseudonym: [UInt8] = []
        swap(&out.bytes, &r.output.encoded)
        swap(&matches, &r.output.matches)
        swap(&effectiveTime, &r.effectiveTime)
        swap(&newestBefore, &r.newestBefore)
        swap(&byDataset, &r.byDataset)
        var filtered = 0
        var earliest = Int64.max
        var newest = Int64.min
        var last = Int64.min
        var path = chunk.origin.path
        var alertEncoder: AlertEncoder?
        var eventEncoder: EventEncoder?
        switch config.encoding {
        case .alerts(let e): alertEncoder = e
        case .events(let e): eventEncoder = e
        case .none: break
        }
        batch.withEventBuffers(in: chunk) { events, fields, values in
            path.withUTF8 { pathBytes in
                var h = 0
                for e in 0..<events.count {
                    byDataset[min(63, Int(events[e].dataset.rawValue))] += 1
                    let t = events[e].timestamp
                    while h < hits.count && hits[h].event == e {
                        let rule = hits[h].rule
                        h += 1
                        var m = Match(event: Int32(e), rule: Int32(rule), sourceIndex: Int32(chunk.origin.nameIndex), timestamp: t,
                                      offset: chunk.origin.offset + Int64(events[e].lineStart))
                        if !filters.isEmpty && !filters.allSatisfy({ $0.keeps(m) }) {
                            // Dropped, unless a stage needs it and only a filter that does not gate
                            // stages dropped it: then it goes on silent.
                            guard let annotations, rule >= 0, annotations.feedsStages[rule],
                                  filters.allSatisfy({ !$0.gatesStages || $0.keeps(m) }) else {
                                filtered += 1
                                continue
                            }
                            filtered += 1
                            m.flags |= Match.silent
                        }
                        if let annotations, rule >= 0 {
                            if annotations.silent[rule] { m.flags |= Match.silent }
                            let wanted = annotations.fields[rule]
                            if !wanted.isEmpty, let engine {
                                m.fieldsStart = Int32(truncatingIfNeeded: fieldBytes.count)
                                let event = BatchEvent(events: events, fields: fields, values: values, index: e,
                                                       path: pathBytes, resolver: engine.resolver)
                                for (k, field) in wanted.enumerated() {
                                    // A value read from inside an HL7 message (a path such as PID-5) may
                                    // be a patient's name or birth date: stages get its pseudonym.
                                    let derived = !policy.reveal && fromMessage[rule][k]
                                    event.withValue(of: field) { value in
                                        if derived, let value {
                                            pseudonym.removeAll(keepingCapacity: true)
                                            policy.appendPseudonym(value, to: &pseudonym)
                                            pseudonym.withUnsafeBufferPointer { MatchFields.append($0, to: &fieldBytes) }
                                        } else {
                                            MatchFields.append(value, to: &fieldBytes)
                                        }
                                    }
                                }
                            }
                        }
                        if let scratch = lane.scratch, !scratch.evaluationErrors.isEmpty,
                           scratch.evaluationErrors.contains(where: { $0.event == e && Int($0.rule) == rule && $0.uncertain }) {
                            m.flags |= Match.evaluationError
                        }
                        if perLevel && rule >= 0 { m.sink = levels[rule] }
                        let start = out.bytes.count
                        if m.isSilent {
                            // Feeds the stages only: nothing to encode.
                        } else if alertEncoder != nil, let engine, let scratch = lane.scratch, rule >= 0 {
                            let event = BatchEvent(events: events, fields: fields, values: values, index: e,
                                                   path: pathBytes, resolver: engine.resolver)
                            // A flagged match lists the searches true with the search that gave up read as a match.
                            let flagged = m.flags & Match.evaluationError != 0
                            if flagged { scratch.match.regex.errorAnswer = true }
                            m.searches = engine.matchedSearchMask(rule, event, scratch: scratch)
                            if flagged { scratch.match.regex.errorAnswer = false }
                            // Called through the optional, not bound: binding copies the encoder's tables
                            // (a retain of each, per alert, on objects all workers share).
                            alertEncoder?.encode(event: e, rule: rule, searches: m.searches, batch: batch, values: values,
                                                origin: chunk.origin, path: pathBytes,
                                                evaluationError: m.flags & Match.evaluationError != 0, to: &out)
                        } else if let eventEncoder {
                            out.append(byte: UInt8(ascii: "{"))
                            eventEncoder.writeFields(e, batch, values, origin: chunk.origin, path: pathBytes, to: &out)
                            out.append("}\n")
                        }
                        m.encodedStart = Int32(truncatingIfNeeded: start)
                        m.encodedLength = Int32(truncatingIfNeeded: out.bytes.count - start)
                        matches.append(m)
                        effectiveTime.append(t != EventRecord.noTimestamp ? t : last)
                        newestBefore.append(newest)
                    }
                    if t != EventRecord.noTimestamp {
                        if t > newest { newest = t }
                        if t < earliest { earliest = t }
                        last = t
                    }
                }
            }
        }
        swap(&fieldBytes, &r.output.fields)
        swap(&out.bytes, &r.output.encoded)
        swap(&matches, &r.output.matches)
        swap(&effectiveTime, &r.effectiveTime)
        swap(&newestBefore, &r.newestBefore)
        swap(&byDataset, &r.byDataset)
        r.filtered = filtered
        r.earliest = earliest
        r.newest = newest
        r.lastTime = last
    }
}
