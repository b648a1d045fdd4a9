import WardCore

/// Where HL7 v2 messages sit in the input, as interface engines and captures write them:
/// one message per line with `\r`-separated segments, segments on consecutive lines, MLLP frames
/// (`0x0B … 0x1C 0x0D`), batch files (`FHS/BHS … BTS/FTS`), or a message after a syslog header or log prefix.
///
/// The parser groups lines into a *unit*: a line that starts with `MSH`, `FHS`, `BHS` or an MLLP start
/// byte, plus the lines after it that are segments too. ``validate(_:start:end:)`` checks the unit's
/// structure; ``EventParser`` then makes one event per message and one per run of batch envelope segments.
public enum HL7Framer {
    /// The field separator when the line `p[0..<count]` starts an HL7 unit by itself.
    @inlinable
    public static func opening(_ p: UnsafePointer<UInt8>, count: Int) -> UInt8? {
        var i = 0
        while i < count, p[i] == 0x0B { i += 1 }
        guard count - i >= 8 else { return nil }
        // A header with broken encoding characters still opens a unit: it is rejected with the reason.
        guard ER7.isHeader(ER7.segmentID(p, at: i)), HL7Delimiters.isDelimiterByte(p[i + 3]) else { return nil }
        return p[i + 3]
    }

    /// The field separator when the line is a patient segment on its own (`PID|…`, `NK1|…` without a
    /// message header): it is kept as a rejected HL7 unit so that its personal data is redacted.
    @inlinable
    public static func strayPatientSegment(_ p: UnsafePointer<UInt8>, count: Int) -> UInt8? {
        guard count >= 4, p[3] == UInt8(ascii: "|"), ER7.isSegmentStart(p, at: 0, end: count, field: p[3]),
              HL7Redactor.isPersonal(ER7.segmentID(p, at: 0)) else { return nil }
        return p[3]
    }

    /// Whether the line `p[0..<count]` continues a unit whose field separator is `field`.
    @inlinable
    public static func continues(_ p: UnsafePointer<UInt8>, count: Int, field: UInt8) -> Bool {
        guard count > 0 else { return false }
        if p[0] == 0x0B || p[0] == 0x1C { return true }
        return ER7.isSegmentStart(p, at: 0, end: count, field: field)
    }

    /// The start of an `MSH|` segment with valid encoding characters inside `p[from..<to]`, preceded by
    /// a byte that cannot be part of a word (a log prefix: `… received: MSH|^~\&|…`).
    ///
    /// Every line that is not HL7 by itself pays for this search, so it looks for `|` with `memchr`
    /// (most log lines have none) and checks for `MSH` before it: a message after a prefix must use the
    /// standard field separator. A line that *starts* with a header may use any delimiters.
    @inlinable
    public static func embeddedStart(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
        var i = from + 3
        while i < to, let bar = ByteScan.firstIndex(of: UInt8(ascii: "|"), in: p, from: i, to: to) {
            let at = bar - 3
            if p[at] == UInt8(ascii: "M"), p[at + 1] == UInt8(ascii: "S"), p[at + 2] == UInt8(ascii: "H"),
               at == 0 || !(ASCII.isLetter(p[at - 1]) || ASCII.isDigit(p[at - 1])),
               HL7Delimiters.read(p, start: at, end: to) != nil {
                return at
            }
            i = bar + 1
        }
        return nil
    }

    /// Checks the segment structure of the unit `p[start..<end]`: every segment follows an MSH, batches
    /// and files do not nest twice. Returns the first problem.
    @inlinable
    public static func validate(_ p: UnsafePointer<UInt8>, start: Int, end: Int) -> LineParseError? {
        var d = HL7Delimiters.standard
        var inMessage = false
        var batchOpen = false
        var fileOpen = false
        var i = start
        while i < end {
            while i < end, ER7.endsSegment(p[i]) { i += 1 }
            guard i < end else { break }
            let segEnd = ER7.segmentEnd(p, from: i, to: end)
            let id = segEnd - i >= 3 ? ER7.segmentID(p, at: i) : 0
            if ER7.isHeader(id) {
                guard let read = HL7Delimiters.read(p, start: i, end: segEnd) else {
                    return LineParseError(column: i + 3 - start, message: "invalid encoding characters in MSH-1/MSH-2")
                }
                d = read
            }
            guard ER7.isSegmentStart(p, at: i, end: segEnd, field: d.field) else {
                return LineParseError(column: i - start, message: "expected a segment ID (three letters or digits)")
            }
            switch id {
            case ER7.fhs:
                if fileOpen {
                    return LineParseError(column: i - start, message: "second file header (FHS) before the file trailer (FTS)")
                }
                fileOpen = true
                inMessage = false
            case ER7.bhs:
                if batchOpen {
                    return LineParseError(column: i - start, message: "second batch header (BHS) before the batch trailer (BTS)")
                }
                batchOpen = true
                inMessage = false
            case ER7.bts:
                batchOpen = false
                inMessage = false
            case ER7.fts:
                fileOpen = false
                inMessage = false
            case ER7.msh:
                inMessage = true
            default:
                if !inMessage {
                    return LineParseError(column: i - start, message: "segment before any message header (MSH)")
                }
            }
            i = segEnd
        }
        return nil
    }
}

/// Writes HL7 v2 text with the patient's personal fields replaced, for `event.original` and `message`.
///
/// PID-3 (the patient identifier list) becomes the patient's pseudonym; names, birth dates, addresses,
/// phone numbers and national identifiers (PID-2, 4–7, 9, 11–14, 18–21, 23, 29; NK1, GT1, IN2 and MRG
/// except their set IDs and relationship codes; IN1-16, 18, 19, 42–44, 49; NTE-3, free-text comments)
/// become `[redacted]`, and so
/// does every field of a segment not known to be free of personal data (Z-segments, QPD/QRD queries,
/// site-specific segments such as DST). Segment and field structure are kept, so the line still reads as HL7.
public enum HL7Redactor {
    /// Appends `p[start..<end]` to `out`: bytes before `hl7Start` as they are, the segments from there on
    /// with patient fields replaced.
    public static func appendRedacted(_ p: UnsafePointer<UInt8>, start: Int, hl7Start: Int, end: Int,
                                      policy: PatientDataPolicy, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: p + start, count: hl7Start - start))
        var d = HL7Delimiters.standard
        var i = hl7Start
        while i < end {
            while i < end, ER7.endsSegment(p[i]) {
                out.append(p[i])
                i += 1
            }
            guard i < end else { break }
            let segEnd = ER7.segmentEnd(p, from: i, to: end)
            defer { i = segEnd }
            guard segEnd - i >= 3 else {
                out.append(contentsOf: UnsafeBufferPointer(start: p + i, count: segEnd - i))
                continue
            }
            let id = ER7.segmentID(p, at: i)
            if ER7.isHeader(id), let read = HL7Delimiters.read(p, start: i, end: segEnd) { d = read }
            let rule = personalFields(id)
            guard rule.redact != 0 || rule.all || rule.pseudonym != 0 else {
                out.append(contentsOf: UnsafeBufferPointer(start: p + i, count: segEnd - i))
                continue
            }
            // Segment ID, then field by field.
            out.append(contentsOf: UnsafeBufferPointer(start: p + i, count: 3))
            var sep = i + 3
            var n = 1
            while sep < segEnd, p[sep] == d.field {
                out.append(d.field)
                let fieldStart = sep + 1
                let fieldEnd = ByteScan.firstIndex(of: d.field, in: p, from: fieldStart, to: segEnd) ?? segEnd
                let bit: UInt64 = n < 64 ? 1 << UInt64(n) : 0
                if fieldEnd == fieldStart {
                    // Empty stays empty.
                } else if rule.pseudonym & bit != 0,
                          let v = ER7.value(of: p, field: fieldStart..<fieldEnd, component: 1, delimiters: d), !v.isEmpty {
                    HL7Parser.appendPseudonym(p, v, d, policy, to: &out)
                } else if rule.redact & bit != 0 || (rule.all && !(rule.keep & bit != 0)) {
                    PatientDataPolicy.placeholder.withUTF8Buffer { out.append(contentsOf: $0) }
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(start: p + fieldStart, count: fieldEnd - fieldStart))
                }
                sep = fieldEnd
                n += 1
            }
        }
    }

    /// Which fields of a segment hold personal data: bit *n* = field *n*.
    struct Rule {
        var redact: UInt64 = 0
        var pseudonym: UInt64 = 0
        /// Every field except `keep`.
        var all = false
        var keep: UInt64 = 0
    }

    static func bits(_ fields: Int...) -> UInt64 { fields.reduce(0) { $0 | 1 << UInt64($1) } }

    static let pid = Rule(redact: bits(2, 4, 5, 6, 7, 9, 11, 12, 13, 14, 18, 19, 20, 21, 23, 29), pseudonym: bits(3))
    static let nk1 = Rule(all: true, keep: bits(1, 3, 7))
    static let everythingButSetID = Rule(all: true, keep: bits(1))
    static let in1 = Rule(redact: bits(16, 18, 19, 42, 43, 44, 49))
    static let mrg = Rule(all: true)
    /// NTE-3, the comment: free text, where a clerk writes "Patient Jane Doe called back".
    static let nte = Rule(redact: bits(3))
    static let none = Rule()

    /// The segments that exist to describe a person (PID, NK1, GT1, IN1, IN2, MRG).
    public static func isPersonal(_ id: UInt32) -> Bool {
        id == ER7.id("PID") || id == ER7.id("NK1") || id == ER7.id("GT1") || id == ER7.id("IN1")
            || id == ER7.id("IN2") || id == ER7.id("MRG")
    }

    /// Segments that carry no direct patient identifiers (message control, visit, orders, results,
    /// diagnoses, batch envelopes): kept as they are.
    static let withoutPersonalData: Set<UInt32> = Set([
        "MSH", "EVN", "MSA", "ERR", "SFT", "PV1", "PV2", "ORC", "OBR", "OBX", "TQ1", "TQ2", "SPM", "SAC",
        "DG1", "DRG", "PR1", "AL1", "ROL", "FT1", "TXA", "QAK", "RCP", "PD1", "RXA", "RXR", "RXE", "RXO", "RXC",
        "RXD", "RXG", "IAM", "ACC", "UB1", "UB2", "MFI", "MFE", "STF", "PRA", "ORG", "LOC", "AIS", "AIG", "AIL",
        "AIP", "SCH", "ARQ", "FHS", "FTS", "BHS", "BTS",
    ].map { s in s.utf8.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } })

    static func personalFields(_ id: UInt32) -> Rule {
        switch id {
        case ER7.id("PID"): return pid
        case ER7.id("NK1"): return nk1
        case ER7.id("GT1"), ER7.id("IN2"): return everythingButSetID
        case ER7.id("IN1"): return in1
        case ER7.id("MRG"): return mrg
        case ER7.id("NTE"): return nte
        default:
            // Unknown, site-specific (Z…) and query segments (QPD, QRD carry the patient searched for):
            // everything redacted, since nothing says what they hold.
            return withoutPersonalData.contains(id) ? none : mrg
        }
    }
}
