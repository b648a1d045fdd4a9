import WardCore

/// The framing rule for hospital audit content: which lines belong together as one HL7 v2 unit or one
/// XML audit document. The source's chunker applies it (the one place records are framed); the
/// parsers read the records it made.
///
/// - A line that starts with `MSH`, `FHS`, `BHS` or an MLLP start byte opens an HL7 unit; the segment
///   lines after it (with the unit's field separator) continue it; an MLLP start byte begins the next.
/// - A patient segment without a header (`PID|…`) opens a stray unit (kept, rejected and redacted).
/// - An XML audit message (`<AuditMessage>`, an HL7 v2 XML root, an `<?xml …?>` declaration) that does
///   not close on its line opens a document that runs to `</AuditMessage>` or its last XML line.
/// - An `MSH|` after a log prefix opens an embedded message whose segments follow on the next lines.
public struct AuditRecordFraming: RecordFraming {
    public init() {}

    public func opens(_ p: UnsafePointer<UInt8>, count: Int) -> RecordOpening {
        if let field = HL7Framer.opening(p, count: count) { return RecordOpening(kind: .hl7Unit, field: field) }
        if let field = HL7Framer.strayPatientSegment(p, count: count) { return RecordOpening(kind: .strayHL7, field: field) }
        if ATNAParser.opening(p, from: 0, to: count) != nil {
            return RecordOpening(kind: ATNAParser.closes(p, count: count) ? .auditLine : .xml)
        }
        if let at = HL7Framer.embeddedStart(p, from: 1, to: count) {
            return RecordOpening(kind: .embeddedHL7, field: p[at + 3])
        }
        return RecordOpening(kind: .line)
    }

    public func continues(_ record: RecordOpening, _ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        switch record.kind {
        case .xml:
            return ATNAParser.continues(p, count: count)
        case .embeddedHL7:
            // Up to the next message.
            return HL7Framer.continues(p, count: count, field: record.field) && HL7Framer.opening(p, count: count) == nil
        case .hl7Unit, .strayHL7:
            // An MLLP start byte begins a new unit; so does a header after stray segments.
            return count > 0 && p[0] != 0x0B && HL7Framer.continues(p, count: count, field: record.field)
                && !(record.kind == .strayHL7 && HL7Framer.opening(p, count: count) != nil)
        default:
            return false
        }
    }

    public func closes(_ record: RecordOpening, _ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        record.kind == .xml && ATNAParser.closes(p, count: count)
    }
}

/// Serves `hl7.<SEG>.<field>[.<component>[.<subcomponent>]]`: values of the event's HL7 message
/// extracted on demand (first occurrence of the segment, first repetition), escape sequences decoded.
/// The detection engine asks for them through ``DerivedFieldResolver`` and knows no HL7.
public struct HL7PathResolver: DerivedFieldResolver {
    public init() {}

    /// `hl7.` and an upper-case letter: a path into the HL7 message.
    public func serves(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        name.count > 7 && name[0] == UInt8(ascii: "h") && name[1] == UInt8(ascii: "l") && name[2] == UInt8(ascii: "7")
            && name[3] == UInt8(ascii: ".") && ASCII.isUpper(name[4])
    }

    public func withValue<R>(_ name: UnsafeBufferPointer<UInt8>, slots: UnsafeBufferPointer<FieldSlot>, values: EventValues,
                             _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        guard let path = HL7Path(name: UnsafeBufferPointer(rebasing: name[4...])) else { return body(nil) }
        for slot in slots where slot.id == .hl7Message {
            let message = values[slot.value]
            guard let p = message.baseAddress,
                  let (range, d) = path.locate(in: p, count: message.count) else { return body(nil) }
            guard ER7.needsDecoding(p, range, delimiters: d) else {
                return body(UnsafeBufferPointer(start: p + range.lowerBound, count: range.count))
            }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: range.count) { tmp in
                let n = ER7.decode(p, range, delimiters: d, into: tmp.baseAddress!)
                return body(UnsafeBufferPointer(rebasing: tmp[0..<n]))
            }
        }
        return body(nil)
    }
}
