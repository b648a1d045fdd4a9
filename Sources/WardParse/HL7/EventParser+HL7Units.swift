import WardCore

/// HL7 v2 units inside the parser: one event per message, one per run of batch envelope segments.
extension EventParser {
    /// Makes the events of the HL7 unit `p[start..<end]`: one per message, one per run of batch envelope
    /// segments; a unit that breaks the segment structure is one `unparsed` event with the reason.
    func emitUnit(_ p: UnsafePointer<UInt8>, start: Int, end: Int, line: Int64, into batch: inout EventBatch) {
        let policy = options.patientData
        if let error = HL7Framer.validate(p, start: start, end: end) {
            batch.beginEvent(lineStart: start, lineLength: end - start, fullLength: end - start, lineNumber: line)
            addError("HL7", error, to: &batch)
            addRedactedCopy(since: batch.mark(), base: 0, into: &batch) {
                HL7Redactor.appendRedacted(p, start: start, hl7Start: start, end: end, policy: policy, to: &$0)
            }
            batch.endEvent(dataset: .unparsed, timestamp: EventRecord.noTimestamp)
            return
        }
        var state = UnitCursor(lineNumber: line, counted: start)
        var i = start
        while i < end {
            while i < end, ER7.endsSegment(p[i]) { i += 1 }
            guard i < end else { break }
            let segEnd = ER7.segmentEnd(p, from: i, to: end)
            let id = ER7.segmentID(p, at: i)
            let isEnvelope = id == ER7.fhs || id == ER7.bhs || id == ER7.bts || id == ER7.fts
            if state.eventStart < 0 || id == ER7.msh || isEnvelope != state.envelope {
                flush(p, &state, policy: policy, into: &batch)
                state.eventStart = i
                state.envelope = isEnvelope
            }
            state.eventEnd = segEnd
            i = segEnd
        }
        flush(p, &state, policy: policy, into: &batch)
    }

    /// Where ``emitUnit(_:start:end:line:into:)`` is in its unit.
    struct UnitCursor {
        var lineNumber: Int64
        var counted: Int
        var eventStart = -1
        var eventEnd = -1
        var envelope = false
    }

    /// Makes the event of the message (or envelope run) the cursor has gathered.
    func flush(_ p: UnsafePointer<UInt8>, _ state: inout UnitCursor, policy: PatientDataPolicy,
               into batch: inout EventBatch) {
        guard state.eventStart >= 0 else { return }
        let s = state.eventStart, e = state.eventEnd
        state.lineNumber += Int64(ByteScan.count(of: ASCII.newline, in: p, from: state.counted, to: s))
        state.counted = s
        batch.beginEvent(lineStart: s, lineLength: e - s, fullLength: e - s, lineNumber: state.lineNumber)
        var timestamp = EventRecord.noTimestamp
        if state.envelope {
            timestamp = addEnvelopeFields(p, start: s, end: e, into: &batch)
        } else if case .success(let t) = HL7Parser.parseMessage(p, start: s, end: e, base: 0, options: options, into: &batch) {
            timestamp = t
        }
        addRedactedCopy(since: batch.mark(), base: 0, into: &batch) {
            HL7Redactor.appendRedacted(p, start: s, hl7Start: s, end: e, policy: policy, to: &$0)
        }
        batch.endEvent(dataset: state.envelope ? .hl7Batch : .hl7v2, timestamp: timestamp)
        state.eventStart = -1
    }

    /// `hl7.*` fields of a run of envelope segments: sender, receiver, time and control ID of its first
    /// FHS/BHS, and the message count of its BTS/FTS.
    func addEnvelopeFields(_ p: UnsafePointer<UInt8>, start: Int, end: Int, into batch: inout EventBatch) -> Int64 {
        var timestamp = EventRecord.noTimestamp
        var d = HL7Delimiters.standard
        var i = start
        var header = false
        while i < end {
            while i < end, ER7.endsSegment(p[i]) { i += 1 }
            guard i < end else { break }
            let segEnd = ER7.segmentEnd(p, from: i, to: end)
            let id = ER7.segmentID(p, at: i)
            let seg = i..<segEnd
            if ER7.isHeader(id), !header, let read = HL7Delimiters.read(p, start: i, end: segEnd) {
                header = true
                d = read
                HL7Parser.add(.hl7SendingApplication, p, seg, field: 3, component: 1, d, 0, &batch)
                HL7Parser.add(.hl7SendingFacility, p, seg, field: 4, component: 1, d, 0, &batch)
                HL7Parser.add(.hl7ReceivingApplication, p, seg, field: 5, component: 1, d, 0, &batch)
                HL7Parser.add(.hl7ReceivingFacility, p, seg, field: 6, component: 1, d, 0, &batch)
                HL7Parser.add(.hl7ControlID, p, seg, field: 11, component: 0, d, 0, &batch)
                if let f = ER7.field(7, of: p, start: i, end: segEnd, delimiters: d),
                   let t = ER7.value(of: p, field: f, component: 1, delimiters: d),
                   let parsed = HL7Time.parse(p, t, assumedOffsetSeconds: options.assumedOffsetSeconds) {
                    timestamp = parsed.nanos
                }
            } else if id == ER7.bts || id == ER7.fts {
                HL7Parser.add(.hl7BatchMessageCount, p, seg, field: 1, component: 0, d, 0, &batch)
            }
            i = segEnd
        }
        return timestamp
    }
}
