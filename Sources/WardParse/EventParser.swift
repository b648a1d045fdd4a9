import WardCore
import WardRegex

/// Parses chunks into event batches: splits lines, detects each line's format, runs its parser.
///
/// A line that no parser accepts still becomes an event, `event.dataset: unparsed` with
/// `message` = the line, so nothing is lost; when it looked like syslog but broke the grammar,
/// `error.message` says where (`RFC 5424: expected … at byte 25 of the line.`).
public struct EventParser: Sendable {
    public var options: ParseOptions {
        didSet { captures = Self.captures(for: options.formats) }
    }
    /// Where site formats' patterns put their groups: one per parser, and each worker has its own
    /// parser (``forWorker()``).
    private(set) var captures: CaptureScratch?

    public init(options: ParseOptions = ParseOptions()) {
        self.options = options
        captures = Self.captures(for: options.formats)
    }

    static func captures(for formats: UserFormatSet) -> CaptureScratch? {
        formats.isEmpty ? nil : CaptureScratch(groups: formats.maximumGroups)
    }

    /// Whether hospital audit content (HL7, ATNA, FHIR) is looked for: in every format unless the
    /// operator reveals patient data, so that a forced `--format raw` is no way around the redaction.
    public var auditContent: Bool { options.format == .auto || !options.patientData.reveal }

    /// The rule by which the sources must group lines into records for this parser.
    public var framing: any RecordFraming { auditContent ? AuditRecordFraming() : LineFraming() }

    /// A parser for one worker: the same options, its own pseudonym cache (no lock shared by workers).
    public func forWorker() -> EventParser {
        var copy = options
        copy.patientData = options.patientData.forWorker()
        return EventParser(options: copy)
    }

    /// Replaces `batch`'s contents with the events of `chunk`, one or more per record as the source
    /// framed them (``framing``).
    /// - Complexity: O(*n*) in the chunk's size; no allocation once `batch` has grown to the chunk.
    public func parse(_ chunk: Chunk, into batch: inout EventBatch) {
        batch.reset()
        let reference = chunk.origin.referenceTime
        let hl7 = auditContent
        // Site formats: those the chunk's path (or a line test alone) selects are tried first; the
        // fallback ones only on lines no built-in parser understood.
        let formats = !options.formats.isEmpty && options.format == .auto
        let candidates = formats && options.formats.hasGated ? options.formats.candidates(forPath: chunk.origin.path) : 0
        let fallback = formats && options.formats.hasFallback
        chunk.withUnsafeBytes { buf in
            guard let base = buf.baseAddress else { return }
            for record in chunk.records {
                let start = Int(record.start)
                let length = Int(record.length)
                let p = base + start
                switch record.kind {
                case .hl7Unit, .strayHL7:
                    emitUnit(base, start: start, end: start + length, line: record.line, into: &batch)
                    if record.isTruncated, !batch.events.isEmpty {
                        let last = batch.events.count - 1
                        batch.events[last].fullLength = start + Int(record.fullLength) - Int(batch.events[last].lineStart)
                        batch.events[last].flags.insert(.truncated)
                    }
                case .embeddedHL7, .xml:
                    batch.beginEvent(lineStart: start, lineLength: length, fullLength: Int(record.fullLength),
                                     lineNumber: record.line)
                    parseLine(p, count: length, base: start, reference: reference, hl7: true, into: &batch)
                default:
                    let whole = !record.isTruncated
                    // A line cut at the limit is parsed alone (the cut stays flagged), but still as hospital
                    // audit content when it looks like some: its patient data is redacted all the same.
                    if hl7, !whole, length > 0, Self.mayHoldPatientData(p, count: length) {
                        batch.beginEvent(lineStart: start, lineLength: length, fullLength: Int(record.fullLength),
                                         lineNumber: record.line)
                        parseLine(p, count: length, base: start, reference: reference, hl7: true, into: &batch)
                        continue
                    }
                    if (hl7 || options.format == .json), whole, length > 0, p[0] == UInt8(ascii: "{"),
                       FHIRAuditEvent.mentions(p, count: length),
                       emitFHIR(p, count: length, base: start, line: record.line, into: &batch) {
                        continue
                    }
                    // Hospital audit content (HL7, ATNA, FHIR) goes to its own parsers whatever a site format
                    // says: they redact its patient data.
                    if candidates != 0, length > 0, record.kind != .auditLine,
                       let index = matchSelected(p, count: length, candidates: candidates),
                       !(hl7 && Self.mayHoldPatientData(p, count: length)) {
                        emitUserFormat(index, p, count: length, base: start, line: record.line, fullLength: Int(record.fullLength),
                                       reference: reference, into: &batch)
                        continue
                    }
                    let mark = batch.mark()
                    batch.beginEvent(lineStart: start, lineLength: length, fullLength: Int(record.fullLength),
                                     lineNumber: record.line)
                    // A one-line audit message still needs the look inside.
                    parseLine(p, count: length, base: start, reference: reference, hl7: record.kind == .auditLine,
                              into: &batch)
                    // A line no built-in parser understood: the site's fallback formats.
                    if fallback, length > 0, batch.events[batch.events.count - 1].dataset == .unparsed,
                       record.kind != .auditLine, !(hl7 && Self.mayHoldPatientData(p, count: length)),
                       let index = matchFallback(p, count: length) {
                        batch.events.removeLast()
                        batch.rollback(to: mark)
                        emitUserFormat(index, p, count: length, base: start, line: record.line, fullLength: Int(record.fullLength),
                                       reference: reference, into: &batch)
                    }
                }
            }
        }
    }

    /// After the prefix of an event was parsed (fields since `mark`), parses the HL7 message at `at` in the
    /// line: its fields, the redacted `event.original`, and `message` redacted too. Returns the MSH-7 time.
    @usableFromInline
    func embeddedHL7(_ line: UnsafePointer<UInt8>, count: Int, base: Int, at: Int, since mark: EventBatch.Mark,
                     into batch: inout EventBatch) -> Int64? {
        // The first message runs to the next MSH that starts a segment.
        var end = count
        var i = at + 3
        while i < count, let next = HL7Framer.embeddedStart(line, from: i, to: count) {
            if ER7.endsSegment(line[next - 1]) { end = next; break }
            i = next + 3
        }
        while end > at, ER7.endsSegment(line[end - 1]) { end -= 1 }
        guard case .success(let timestamp) = HL7Parser.parseMessage(line, start: at, end: end, base: base,
                                                                     options: options, into: &batch) else { return nil }
        let policy = options.patientData
        addRedactedCopy(since: mark, base: base, into: &batch) {
            HL7Redactor.appendRedacted(line, start: 0, hl7Start: at, end: count, policy: policy, to: &$0)
        }
        return timestamp
    }

    /// Parses an ATNA `AuditMessage` in the line (after a syslog header or alone), redacting
    /// `event.original` and `message`. Returns its EventDateTime, or `nil` when the line holds none.
    @usableFromInline
    func embeddedATNA(_ line: UnsafePointer<UInt8>, count: Int, base: Int, since mark: EventBatch.Mark,
                      into batch: inout EventBatch) -> Int64? {
        guard let at = ATNAParser.opening(line, from: 0, to: count) else { return nil }
        let policy = options.patientData
        guard let timestamp = ATNAParser.parse(line, start: at, end: count, base: base, policy: policy,
                                               into: &batch) else { return nil }
        addRedactedCopy(since: mark, base: base, into: &batch) {
            ATNAParser.appendRedacted(line, start: 0, xmlStart: at, end: count, policy: policy, to: &$0)
        }
        return timestamp
    }

    /// Adds `event.original` as `write` makes it (the line with patient data redacted) and points
    /// `message` into it; nothing when the operator reveals patient data.
    @usableFromInline
    func addRedactedCopy(since mark: EventBatch.Mark, base: Int, into batch: inout EventBatch,
                         _ write: (inout [UInt8]) -> Void) {
        guard !options.patientData.reveal else { return }
        let from = batch.scratch.count
        write(&batch.scratch)
        redirectMessage(since: mark, base: base, to: from, in: &batch)
        batch.addScratchField(.eventOriginal, from: from)
    }

    /// Whether a line looks like HL7, ATNA or FHIR content (for lines that are not parsed as a unit).
    static func mayHoldPatientData(_ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        HL7Framer.opening(p, count: count) != nil || isSegmentLine(p, count: count)
            || HL7Framer.embeddedStart(p, from: 0, to: count) != nil || ATNAParser.opening(p, from: 0, to: count) != nil
            || p[0] == UInt8(ascii: "{") && FHIRAuditEvent.mentions(p, count: count) || ByteScan.firstIndex(of: UInt8(ascii: "<"), in: p, from: 0, to: count) != nil
                && (HL7XML.mentions(p, from: 0, to: count) || isAuditXMLFragment(p, count: count))
    }

    /// A line that starts like an HL7 segment (`DST|…`, `ZPI|…`): part of a message broken by a cut line.
    static func isSegmentLine(_ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        count >= 4 && p[3] == UInt8(ascii: "|") && ER7.isSegmentStart(p, at: 0, end: count, field: p[3])
    }

    /// A line of an ATNA or HL7-XML document on its own (the document was broken by a cut line):
    /// it starts with a `ParticipantObject…` tag or an HL7 XML part such as `<PID.5>` or `<XPN.1>`.
    static func isAuditXMLFragment(_ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        var i = 0
        while i < count, p[i] == ASCII.space || p[i] == ASCII.tab { i += 1 }
        guard i < count, p[i] == UInt8(ascii: "<") else { return false }
        i += 1
        if i < count, p[i] == UInt8(ascii: "/") { i += 1 }
        let name = i
        while i < count, ASCII.isLetter(p[i]) || ASCII.isDigit(p[i]) || p[i] == UInt8(ascii: "_") || p[i] == UInt8(ascii: ".") {
            i += 1
        }
        let n = name..<i
        if n.count >= 17, XMLScanner.equals(p, name..<(name + 17), "ParticipantObject") { return true }
        // <XX.n> … <XXXX.n>: two to four capitals or digits, a dot, digits.
        guard let dot = ByteScan.firstIndex(of: UInt8(ascii: "."), in: p, from: name, to: i), dot - name >= 2, dot - name <= 4,
              dot + 1 < i else { return false }
        for k in name..<dot where !(ASCII.isUpper(p[k]) || ASCII.isDigit(p[k])) { return false }
        for k in (dot + 1)..<i where !ASCII.isDigit(p[k]) { return false }
        return true
    }

    /// The last resort for a line that looks like patient data but could not be parsed as such (cut,
    /// broken): `message` and `event.original` become the HL7 text redacted segment by segment, or are
    /// withheld entirely.
    @usableFromInline
    func withholdPatientData(_ line: UnsafePointer<UInt8>, count: Int, base: Int, since mark: EventBatch.Mark,
                             into batch: inout EventBatch) {
        guard !options.patientData.reveal, Self.mayHoldPatientData(line, count: count) else { return }
        let policy = options.patientData
        let hl7Start = HL7Framer.opening(line, count: count) != nil || Self.isSegmentLine(line, count: count)
            ? 0 : HL7Framer.embeddedStart(line, from: 0, to: count)
        addRedactedCopy(since: mark, base: base, into: &batch) { out in
            if let hl7Start {
                HL7Redactor.appendRedacted(line, start: 0, hl7Start: hl7Start, end: count, policy: policy, to: &out)
            } else {
                PatientDataPolicy.placeholder.withUTF8Buffer { out.append(contentsOf: $0) }
            }
        }
        // Withheld: `message` pointed into the copy only where the copy keeps the line's bytes.
        if hl7Start == nil {
            let placeholder = batch.fields.last!.value
            for k in mark.fields..<batch.fields.count where batch.fields[k].id == .message && batch.fields[k].name.count == 0 {
                batch.fields[k].value = placeholder
            }
        }
    }

    /// Parses an HL7 v2 message in its XML encoding (alone, or after a syslog header), rewritten as ER7:
    /// its fields, and `event.original` and `message` as the redacted ER7. Returns MSH-7's time, or `nil`
    /// when the line holds no such message.
    @usableFromInline
    func embeddedHL7XML(_ line: UnsafePointer<UInt8>, count: Int, base: Int, since mark: EventBatch.Mark,
                        into batch: inout EventBatch) -> Int64? {
        guard HL7XML.mentions(line, from: 0, to: count) else { return nil }
        var er7: [UInt8] = []
        guard HL7XML.appendER7(line, from: 0, to: count, to: &er7) else { return nil }
        let copy = batch.scratch.count
        batch.scratch.append(contentsOf: er7)
        let parsed = er7.withUnsafeBufferPointer { buf in
            HL7Parser.parseMessage(buf.baseAddress!, start: 0, end: buf.count, base: copy, options: options,
                                   inScratch: true, into: &batch)
        }
        guard case .success(let timestamp) = parsed else {
            batch.rollback(to: mark)
            return nil
        }
        let policy = options.patientData
        if !policy.reveal {
            let from = batch.scratch.count
            er7.withUnsafeBufferPointer { buf in
                HL7Redactor.appendRedacted(buf.baseAddress!, start: 0, hl7Start: 0, end: buf.count, policy: policy,
                                           to: &batch.scratch)
            }
            let redacted = ByteRef(start: from, count: batch.scratch.count - from, inScratch: true)
            for k in mark.fields..<batch.fields.count where batch.fields[k].id == .message && batch.fields[k].name.count == 0 {
                batch.fields[k].value = redacted
            }
            batch.fields.append(FieldSlot(id: .eventOriginal, kind: .text, value: redacted))
        }
        return timestamp
    }

    /// Points `message` (a range of the line) at the same range of the redacted copy at `from` in scratch
    /// (the copy keeps everything before the redacted part byte for byte).
    @usableFromInline
    func redirectMessage(since mark: EventBatch.Mark, base: Int, to from: Int, in batch: inout EventBatch) {
        for k in mark.fields..<batch.fields.count where batch.fields[k].id == .message
            && batch.fields[k].name.count == 0 && !batch.fields[k].value.inScratch {
            // The copy may be shorter than the original (a redacted name, a cut message): the message
            // never reaches past the copy's end (it did: FuzzParse, 2026-11-28, a negative length).
            let available = batch.scratch.count - from
            let offset = min(max(0, Int(batch.fields[k].value.start) - base), available)
            batch.fields[k].value = ByteRef(start: from + offset, count: available - offset, inScratch: true)
        }
    }

    /// Makes one event per FHIR AuditEvent in the JSON line (one, or the entries of a Bundle), with
    /// `event.original` redacted. A line that mentions AuditEvent but is not valid JSON is kept as an
    /// `unparsed` event with the reason and its original withheld (it cannot be redacted reliably).
    /// Returns `false` when the line holds no AuditEvent (it is parsed as ordinary JSON).
    func emitFHIR(_ p: UnsafePointer<UInt8>, count: Int, base: Int, line: Int64, into batch: inout EventBatch) -> Bool {
        let policy = options.patientData
        guard let end = JSONNav.skipValue(p, 0, count), JSONNav.skipSpace(p, end, count) == count else {
            batch.beginEvent(lineStart: base, lineLength: count, fullLength: count, lineNumber: line)
            let mark = batch.mark()
            let result = JSONLineParser.parse(p, count: count, base: base, into: &batch)
            batch.rollback(to: mark)
            if case .failure(let error) = result {
                addError("JSON", error, to: &batch)
            } else {
                addError("JSON", LineParseError(column: 0, message: "nested too deeply for an AuditEvent"), to: &batch)
            }
            if !policy.reveal { batch.addField(.eventOriginal, literal: PatientDataPolicy.placeholder) }
            batch.endEvent(dataset: .unparsed, timestamp: EventRecord.noTimestamp)
            return true
        }
        var any = false
        FHIRAuditEvent.forEachAuditEvent(p, 0..<end) { resource in
            any = true
            batch.beginEvent(lineStart: base, lineLength: count, fullLength: count, lineNumber: line)
            // Fields are offsets into the chunk: `p` is the line, at `base`.
            let timestamp = FHIRAuditEvent.parse(p, resource, base: base, policy: policy, into: &batch)
            if !policy.reveal {
                let from = batch.scratch.count
                FHIRAuditEvent.appendRedacted(p, 0..<count, policy: policy, to: &batch.scratch)
                batch.addScratchField(.eventOriginal, from: from)
            }
            batch.endEvent(dataset: .fhirAuditEvent, timestamp: timestamp)
        }
        return any
    }

    /// Parses one line into the event just begun in `batch`, and ends the event.
    @inlinable
    /// - Parameter hl7: look for an HL7 message after the prefix (``parse(_:into:)`` knows, per line).
    public func parseLine(_ line: UnsafePointer<UInt8>, count: Int, base: Int, reference: Int64, hl7: Bool = true,
                          into batch: inout EventBatch) {
        let mark = batch.mark()
        let result: Result<Int64, LineParseError>
        let dataset: Dataset
        let grammar: StaticString
        switch detect(line, count: count) {
        case .rfc5424:
            result = RFC5424Parser.parse(line, count: count, base: base, options: options, into: &batch)
            dataset = .syslogRFC5424
            grammar = "RFC 5424"
        case .rfc3164:
            result = RFC3164Parser.parse(line, count: count, base: base, options: options,
                                         referenceSeconds: reference, into: &batch)
            dataset = .syslogRFC3164
            grammar = "RFC 3164"
        case .json:
            switch JSONLineParser.parse(line, count: count, base: base, into: &batch) {
            case .success(let parsed):
                batch.endEvent(dataset: parsed.windows ? .windowsEventLog : .json, timestamp: parsed.timestamp)
                return
            case .failure(let error):
                result = .failure(error)
                dataset = .json
                grammar = "JSON"
            }
        default:
            batch.addField(.message, start: base, count: count)
            if options.format == .auto {
                // A firewall line without syslog header ("%ASA-…", "CEF:…", "date=… devname=…").
                let text = FirewallText(line: line, base: base, start: 0, end: count)
                if let firewall = FirewallDispatch.parse(text, processName: nil, into: &batch) {
                    batch.endEvent(dataset: firewall.0, timestamp: firewall.1 ?? EventRecord.noTimestamp)
                    return
                }
            }
            do {
                if hl7, let t = embeddedATNA(line, count: count, base: base, since: mark, into: &batch) {
                    batch.endEvent(dataset: .atna, timestamp: t)
                    return
                }
                if hl7, let t = embeddedHL7XML(line, count: count, base: base, since: mark, into: &batch) {
                    batch.endEvent(dataset: .hl7v2, timestamp: t)
                    return
                }
                // An HL7 message after an application's log prefix.
                if hl7, let at = HL7Framer.embeddedStart(line, from: 0, to: count),
                   let hl7 = embeddedHL7(line, count: count, base: base, at: at, since: mark, into: &batch) {
                    batch.endEvent(dataset: .hl7v2, timestamp: hl7)
                    return
                }
            }
            withholdPatientData(line, count: count, base: base, since: mark, into: &batch)
            batch.endEvent(dataset: .unparsed, timestamp: EventRecord.noTimestamp)
            return
        }
        switch result {
        case .success(let timestamp):
            if hl7, let t = embeddedATNA(line, count: count, base: base, since: mark, into: &batch) {
                batch.endEvent(dataset: .atna, timestamp: t == EventRecord.noTimestamp ? timestamp : t)
                return
            }
            if hl7, let t = embeddedHL7XML(line, count: count, base: base, since: mark, into: &batch) {
                batch.endEvent(dataset: .hl7v2, timestamp: t == EventRecord.noTimestamp ? timestamp : t)
                return
            }
            if hl7, let at = HL7Framer.embeddedStart(line, from: 0, to: count),
               let hl7 = embeddedHL7(line, count: count, base: base, at: at, since: mark, into: &batch) {
                batch.endEvent(dataset: .hl7v2, timestamp: hl7 == EventRecord.noTimestamp ? timestamp : hl7)
                return
            }
            let parts = syslogParts(since: mark, in: batch)
            if options.format == .auto, let firewall = firewall(line, base: base, parts, into: &batch) {
                batch.endEvent(dataset: firewall.0, timestamp: firewall.1 ?? timestamp)
                return
            }
            linuxAuth(line, base: base, parts, into: &batch)
            batch.endEvent(dataset: dataset, timestamp: timestamp)
        case .failure(let error):
            batch.rollback(to: mark)
            // Devices that send "<PRI>" and then their own format with no syslog header
            // ("<189>date=2026-11-22 time=… devname=…", FortiGate's default).
            if options.format == .auto, case .success(let pri) = SyslogPriority.parse(line, at: 0, end: count) {
                SyslogPriority.addFields(pri.value, start: base + 1, count: pri.next - 2, to: &batch)
                batch.addField(.message, start: base + pri.next, count: count - pri.next)
                let text = FirewallText(line: line, base: base, start: pri.next, end: count)
                if let firewall = FirewallDispatch.parse(text, processName: nil, into: &batch) {
                    batch.endEvent(dataset: firewall.0, timestamp: firewall.1 ?? EventRecord.noTimestamp)
                    return
                }
                batch.rollback(to: mark)
            }
            batch.addField(.message, start: base, count: count)
            // A message after a prefix that is not syslog (`2026-11-22 08:02:40,511 INFO … MSH|…`).
            if hl7 {
                if let t = embeddedATNA(line, count: count, base: base, since: mark, into: &batch) {
                    batch.endEvent(dataset: .atna, timestamp: t)
                    return
                }
                if let t = embeddedHL7XML(line, count: count, base: base, since: mark, into: &batch) {
                    batch.endEvent(dataset: .hl7v2, timestamp: t)
                    return
                }
                if let at = HL7Framer.embeddedStart(line, from: 0, to: count),
                   let t = embeddedHL7(line, count: count, base: base, at: at, since: mark, into: &batch) {
                    batch.endEvent(dataset: .hl7v2, timestamp: t)
                    return
                }
            }
            addError(grammar, error, to: &batch)
            withholdPatientData(line, count: count, base: base, since: mark, into: &batch)
            batch.endEvent(dataset: .unparsed, timestamp: EventRecord.noTimestamp)
        }
    }

    /// The syslog MSG and tag (`process.name`) the header parser found: fields added since `mark`,
    /// as chunk ranges. Inlined: it runs for every syslog line (a walk over its few fields).
    @inlinable
    func syslogParts(since mark: EventBatch.Mark, in batch: EventBatch) -> (message: ByteRef?, tag: ByteRef?) {
        var message: ByteRef?
        var tag: ByteRef?
        for slot in batch.fields[mark.fields...] {
            if slot.id == .message && slot.name.count == 0 && !slot.value.inScratch { message = slot.value }
            if slot.id == .processName && !slot.value.inScratch { tag = slot.value }
        }
        return (message, tag)
    }

    /// Runs the firewall parsers on the syslog message just parsed.
    @usableFromInline
    func firewall(_ line: UnsafePointer<UInt8>, base: Int, _ parts: (message: ByteRef?, tag: ByteRef?),
                  into batch: inout EventBatch) -> (Dataset, Int64?)? {
        guard let message = parts.message else { return nil }
        let start = Int(message.start) - base
        let text = FirewallText(line: line, base: base, start: start, end: start + Int(message.count))
        let tagRange = parts.tag.map { (Int($0.start) - base)..<(Int($0.start) - base + Int($0.count)) }
        return FirewallDispatch.parse(text, processName: tagRange, into: &batch)
    }

    /// Adds the authentication fields of an sshd, sudo, PAM or account-tool message (``LinuxAuth``);
    /// for any other tag this is the tag check alone (inlined, so such a line pays no call).
    @inlinable
    func linuxAuth(_ line: UnsafePointer<UInt8>, base: Int, _ parts: (message: ByteRef?, tag: ByteRef?),
                   into batch: inout EventBatch) {
        guard let tag = parts.tag, let message = parts.message,
              let program = LinuxAuth.program(line, tag: (Int(tag.start) - base)..<(Int(tag.start) - base + Int(tag.count)))
        else { return }
        let start = Int(message.start) - base
        LinuxAuth.parse(line, base: base, message: start..<(start + Int(message.count)), program: program, into: &batch)
    }

    /// Which parser a line goes to (``LogFormat/raw`` for none).
    @inlinable
    public func detect(_ line: UnsafePointer<UInt8>, count: Int) -> LogFormat {
        switch options.format {
        case .raw: return .raw
        case .rfc5424: return .rfc5424
        case .rfc3164: return .rfc3164
        case .json: return .json
        case .auto, .syslog: break
        }
        guard count > 0 else { return .raw }
        let first = line[0]
        if first == UInt8(ascii: "{") && options.format == .auto { return .json }
        if first == UInt8(ascii: "<") {
            // <PRI>VERSION SP → RFC 5424; <PRI> followed by anything else → RFC 3164.
            var i = 1
            while i < count, i < 5, ASCII.isDigit(line[i]) { i += 1 }
            guard i > 1, i < count, line[i] == UInt8(ascii: ">") else { return .raw }
            i += 1
            let versionStart = i
            while i < count, i - versionStart < 4, ASCII.isDigit(line[i]) { i += 1 }
            if i > versionStart, i == count || line[i] == ASCII.space { return .rfc5424 }
            return .rfc3164
        }
        // A BSD month name or an RFC 3339 year starts a /var/log line.
        if ASCII.isLetter(first) {
            guard count >= 15, line[3] == ASCII.space,
                  BSDTimestamp.month(line[0], line[1], line[2]) != 0 else { return .raw }
            return .rfc3164
        }
        if ASCII.isDigit(first) {
            guard count >= 20, line[4] == UInt8(ascii: "-"), ASCII.isDigit(line[3]) else { return .raw }
            return .rfc3164
        }
        return .raw
    }

    /// Writes `error.message` = "<grammar>: <message> at byte <column> of the line." to scratch.
    @usableFromInline
    func addError(_ grammar: StaticString, _ error: LineParseError, to batch: inout EventBatch) {
        let start = batch.scratch.count
        grammar.withUTF8Buffer { batch.scratch.append(contentsOf: $0) }
        batch.scratch.append(UInt8(ascii: ":"))
        batch.scratch.append(ASCII.space)
        error.message.withUTF8Buffer { batch.scratch.append(contentsOf: $0) }
        let at: StaticString = " at byte "
        at.withUTF8Buffer { batch.scratch.append(contentsOf: $0) }
        batch.appendDecimal(error.column)
        let tail: StaticString = " of the line."
        tail.withUTF8Buffer { batch.scratch.append(contentsOf: $0) }
        batch.addScratchField(.errorMessage, from: start)
    }
}
