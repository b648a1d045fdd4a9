import WardCore

/// Turns one HL7 v2 message (ER7, starting at its MSH) into the normalized `hl7.*` fields.
///
/// Only the handful of fields below are decoded at parse time; any other field is reachable by path
/// (`hl7.PID.3.1`, ``HL7Path``) from the message's bytes, which the event keeps as an internal
/// `hl7.message` slot — so a message is decoded only as far as a rule asks.
public enum HL7Parser {
    /// Parses the message at `p[start..<end]` into `batch`. Returns the MSH-7 time, or
    /// ``EventRecord/noTimestamp`` when MSH-7 is empty or not an HL7 DTM.
    /// - Parameter base: the chunk offset of `p[0]`.
    @inlinable
    /// - Parameter inScratch: `p` is a copy of the batch's scratch bytes at `base` (an XML message
    ///   rewritten as ER7), not the chunk.
    public static func parseMessage(_ p: UnsafePointer<UInt8>, start: Int, end: Int, base: Int, options: ParseOptions,
                                    inScratch: Bool = false,
                                    into batch: inout EventBatch) -> Result<Int64, LineParseError> {
        let mshEnd = ER7.segmentEnd(p, from: start, to: end)
        guard ER7.segmentID(p, at: start) == ER7.msh || ER7.segmentID(p, at: start) == ER7.fhs
                || ER7.segmentID(p, at: start) == ER7.bhs else {
            return .failure(LineParseError(column: start, message: "expected an MSH segment"))
        }
        guard let d = HL7Delimiters.read(p, start: start, end: mshEnd) else {
            return .failure(LineParseError(column: start + 3, message: "invalid encoding characters in MSH-1/MSH-2"))
        }
        let msh = start..<mshEnd
        var evn: Range<Int>?
        var pid: Range<Int>?
        var pv1: Range<Int>?
        var i = mshEnd
        while i < end {
            while i < end, ER7.endsSegment(p[i]) { i += 1 }
            guard i < end else { break }
            let segEnd = ER7.segmentEnd(p, from: i, to: end)
            if segEnd - i >= 3 {
                let id = ER7.segmentID(p, at: i)
                if id == evnID, evn == nil { evn = i..<segEnd }
                if id == pidID, pid == nil { pid = i..<segEnd }
                if id == pv1ID, pv1 == nil { pv1 = i..<segEnd }
            }
            i = segEnd
        }
        batch.fields.append(FieldSlot(id: .hl7Message, kind: .text,
                                      value: ByteRef(start: base + start, count: end - start, inScratch: inScratch)))
        add(.hl7MessageType, p, msh, field: 9, component: 1, d, base, &batch, joinNext: true, inScratch: inScratch)
        add(.hl7TriggerEvent, p, msh, field: 9, component: 2, d, base, &batch, inScratch: inScratch)
        add(.hl7MessageStructure, p, msh, field: 9, component: 3, d, base, &batch, inScratch: inScratch)
        add(.hl7ControlID, p, msh, field: 10, component: 0, d, base, &batch, inScratch: inScratch)
        add(.hl7ProcessingID, p, msh, field: 11, component: 1, d, base, &batch, inScratch: inScratch)
        add(.hl7Version, p, msh, field: 12, component: 1, d, base, &batch, inScratch: inScratch)
        add(.hl7SendingApplication, p, msh, field: 3, component: 1, d, base, &batch, inScratch: inScratch)
        add(.hl7SendingFacility, p, msh, field: 4, component: 1, d, base, &batch, inScratch: inScratch)
        add(.hl7ReceivingApplication, p, msh, field: 5, component: 1, d, base, &batch, inScratch: inScratch)
        add(.hl7ReceivingFacility, p, msh, field: 6, component: 1, d, base, &batch, inScratch: inScratch)
        if let evn {
            add(.hl7EVNOperatorID, p, evn, field: 5, component: 1, d, base, &batch, inScratch: inScratch)
            add(.userName, p, evn, field: 5, component: 1, d, base, &batch, inScratch: inScratch)
        }
        if let pid, let f = ER7.field(3, of: p, start: pid.lowerBound, end: pid.upperBound, delimiters: d),
           let id = ER7.value(of: p, field: f, component: 1, delimiters: d), !id.isEmpty {
            addPseudonym(p, id, d, options.patientData, &batch)
        }
        if let pv1 {
            add(.hl7PV1PatientClass, p, pv1, field: 2, component: 0, d, base, &batch, inScratch: inScratch)
            add(.hl7PV1AssignedLocation, p, pv1, field: 3, component: 0, d, base, &batch, inScratch: inScratch)
        }
        var timestamp = EventRecord.noTimestamp
        if let f = ER7.field(7, of: p, start: msh.lowerBound, end: msh.upperBound, delimiters: d),
           let t = ER7.value(of: p, field: f, component: 1, delimiters: d),
           let parsed = HL7Time.parse(p, t, assumedOffsetSeconds: options.assumedOffsetSeconds) {
            timestamp = parsed.nanos
            batch.addField(.hl7TimestampPrecision, literal: parsed.precision)
        }
        return .success(timestamp)
    }

    @usableFromInline static let evnID = ER7.id("EVN"), pidID = ER7.id("PID"), pv1ID = ER7.id("PV1")

    /// Adds field `field` (first repetition; component `component`, 0 = whole) of `segment` as `id`,
    /// escape-decoded. `joinNext`: the value is `component^next component` when the next one is not
    /// empty (`ADT^A01`), written with `^` whatever the message's component separator.
    @inlinable
    static func add(_ id: FieldID, _ p: UnsafePointer<UInt8>, _ segment: Range<Int>, field: Int, component: Int,
                    _ d: HL7Delimiters, _ base: Int, _ batch: inout EventBatch, joinNext: Bool = false,
                    inScratch: Bool = false) {
        guard let f = ER7.field(field, of: p, start: segment.lowerBound, end: segment.upperBound, delimiters: d),
              let v = ER7.value(of: p, field: f, component: component, delimiters: d), !v.isEmpty else { return }
        var next: Range<Int>?
        if joinNext, let n = ER7.value(of: p, field: f, component: component + 1, delimiters: d), !n.isEmpty {
            next = n
        }
        if next == nil && !ER7.needsDecoding(p, v, delimiters: d) {
            batch.fields.append(FieldSlot(id: id, kind: .text,
                                          value: ByteRef(start: base + v.lowerBound, count: v.count, inScratch: inScratch)))
            return
        }
        let start = batch.scratch.count
        appendDecoded(p, v, d, to: &batch.scratch)
        if let next {
            batch.scratch.append(UInt8(ascii: "^"))
            appendDecoded(p, next, d, to: &batch.scratch)
        }
        batch.addScratchField(id, from: start)
    }

    /// Appends the escape-decoded bytes of `p[range]` to `out`.
    @inlinable
    public static func appendDecoded(_ p: UnsafePointer<UInt8>, _ range: Range<Int>, _ d: HL7Delimiters,
                                     to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: range.count))
        let n = out.withUnsafeMutableBufferPointer { buf in
            ER7.decode(p, range, delimiters: d, into: buf.baseAddress! + start)
        }
        out.removeLast(range.count - n)
    }

    /// Adds `patient.id`: the pseudonym of the decoded identifier at `p[range]`.
    @inlinable
    static func addPseudonym(_ p: UnsafePointer<UInt8>, _ range: Range<Int>, _ d: HL7Delimiters,
                             _ policy: PatientDataPolicy, _ batch: inout EventBatch) {
        let start = batch.scratch.count
        appendPseudonym(p, range, d, policy, to: &batch.scratch)
        batch.addScratchField(.patientID, from: start)
    }

    /// Appends the pseudonym of the identifier at `p[range]`, escapes decoded on the stack first.
    @inlinable
    public static func appendPseudonym(_ p: UnsafePointer<UInt8>, _ range: Range<Int>, _ d: HL7Delimiters,
                                       _ policy: PatientDataPolicy, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, range.count)) { tmp in
            let n = ER7.decode(p, range, delimiters: d, into: tmp.baseAddress!)
            policy.appendPseudonym(UnsafeBufferPointer(rebasing: tmp[0..<n]), to: &out)
        }
    }
}

/// HL7 DTM (`YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`): any precision, with or without an offset.
public enum HL7Time {
    public struct Parsed {
        public var nanos: Int64
        public var precision: StaticString
        @inlinable init(nanos: Int64, precision: StaticString) {
            self.nanos = nanos
            self.precision = precision
        }
    }

    @inlinable
    public static func parse(_ p: UnsafePointer<UInt8>, _ range: Range<Int>, assumedOffsetSeconds: Int) -> Parsed? {
        var i = range.lowerBound
        let end = range.upperBound
        func digits(_ n: Int) -> Int? {
            guard end - i >= n else { return nil }
            var v = 0
            for k in 0..<n {
                let b = p[i + k]
                guard ASCII.isDigit(b) else { return nil }
                v = v * 10 + Int(b &- 0x30)
            }
            i += n
            return v
        }
        func more() -> Bool { i < end && ASCII.isDigit(p[i]) }
        guard let year = digits(4) else { return nil }
        var month = 1, day = 1, hour = 0, minute = 0, second = 0
        var nanos: Int64 = 0
        var precision: StaticString = "year"
        if more() {
            guard let m = digits(2), (1...12).contains(m) else { return nil }
            month = m; precision = "month"
            if more() {
                guard let dd = digits(2), dd >= 1, dd <= CivilTime.daysInMonth(year: year, month: month) else { return nil }
                day = dd; precision = "day"
                if more() {
                    guard let h = digits(2), h < 24 else { return nil }
                    hour = h; precision = "hour"
                    if more() {
                        guard let mi = digits(2), mi < 60 else { return nil }
                        minute = mi; precision = "minute"
                        if more() {
                            guard let s = digits(2), s < 60 else { return nil }
                            second = s; precision = "second"
                            if i < end, p[i] == UInt8(ascii: ".") {
                                i += 1
                                var scale: Int64 = 100_000_000
                                var n = 0
                                while i < end, ASCII.isDigit(p[i]), n < 9 {
                                    nanos += Int64(p[i] &- 0x30) * scale
                                    scale /= 10
                                    n += 1
                                    i += 1
                                }
                                guard n > 0 else { return nil }
                                precision = "fraction"
                            }
                        }
                    }
                }
            }
        }
        var offset = assumedOffsetSeconds
        if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
            let negative = p[i] == UInt8(ascii: "-")
            i += 1
            guard let hh = digits(2), let mm = digits(2), hh < 24, mm < 60 else { return nil }
            offset = (hh * 3600 + mm * 60) * (negative ? -1 : 1)
        }
        guard i == end, (CivilTime.representableYears).contains(year) else { return nil }
        return Parsed(nanos: CivilTime.epochNanos(year: year, month: month, day: day, hour: hour, minute: minute,
                                                  second: second, nanos: nanos, offsetSeconds: offset),
                      precision: precision)
    }
}
