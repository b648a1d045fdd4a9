import Foundation
import WardCore
import WardRegex

/// Site formats inside the parser: which one a line gets, and the event it makes.
///
/// A format with a `paths:` or line test (`prefix:`, `contains:`) is tried *before* the built-in parsers
/// on the lines it selects — a site knows its own files better than any detection. A format with
/// neither is tried on lines no built-in parser understood (they would be `unparsed`). The first
/// format whose pattern matches makes the event.
extension EventParser {
    /// The first of the `candidates` formats (bit = index; ``UserFormatSet/candidates(forPath:)``) whose
    /// line test passes and whose pattern matches the line; its groups are then in ``captures``.
    @inline(__always)
    func matchSelected(_ p: UnsafePointer<UInt8>, count: Int, candidates: UInt64) -> Int? {
        var left = candidates
        while left != 0 {
            let i = left.trailingZeroBitCount
            left &= left - 1
            let format = options.formats.formats[i]
            guard format.linePasses(p, count: count) else { continue }
            if matches(format, p, count: count) { return i }
        }
        return nil
    }

    /// The first fallback format (no path or line test) whose pattern matches the line.
    func matchFallback(_ p: UnsafePointer<UInt8>, count: Int) -> Int? {
        for (i, format) in options.formats.formats.enumerated() where !format.isGated {
            if matches(format, p, count: count) { return i }
        }
        return nil
    }

    @inline(__always)
    func matches(_ format: UserFormat, _ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        guard let captures else { return false }
        // A search PCRE2 gave up on (its limits) is no match: the line goes on to the other parsers.
        return format.program.match(UnsafeBufferPointer(start: p, count: count), captures: captures) == .match
    }

    /// Makes the event of a line that format `index` matched (its groups in ``captures``).
    func emitUserFormat(_ index: Int, _ p: UnsafePointer<UInt8>, count: Int, base: Int, line: Int64, fullLength: Int,
                        reference: Int64, into batch: inout EventBatch) {
        batch.beginEvent(lineStart: base, lineLength: count, fullLength: fullLength, lineNumber: line)
        let mark = batch.mark()
        let timestamp = fillUserFormat(index, p, count: count, from: 0, base: base, reference: reference, depth: 0, into: &batch)
        let format = options.formats.formats[index]
        if format.holdsPatientData { redactPersonalData(p, count: count, base: base, since: mark, into: &batch) }
        batch.endEvent(dataset: format.dataset, timestamp: timestamp)
    }

    /// Adds the fields of format `index` for `p[from..<from+count]` (already matched: groups in
    /// ``captures``, relative to `p + from`). Returns the event's time, if the text gave one.
    func fillUserFormat(_ index: Int, _ p: UnsafePointer<UInt8>, count: Int, from: Int, base: Int, reference: Int64,
                        depth: Int, into batch: inout EventBatch) -> Int64 {
        let format = options.formats.formats[index]
        guard let captures else { return EventRecord.noTimestamp }
        var timestamp = EventRecord.noTimestamp
        var handedOn: Range<Int>?
        let mark = batch.mark()
        for capture in format.captures {
            guard let r = captures.range(capture.group), !r.isEmpty else { continue }
            let start = from + r.lowerBound
            if capture.handedOn { handedOn = start..<(from + r.upperBound) }
            if capture.hidden { continue }
            switch capture.role {
            case .timestamp:
                if let time = format.time, let t = time.parse(p, from: start, to: from + r.upperBound, year: options.year,
                                                               referenceSeconds: reference,
                                                               offsetSeconds: format.zoneSeconds ?? options.assumedOffsetSeconds) {
                    timestamp = t
                } else {
                    addFormatError(format, "'@timestamp' does not fit the layout", at: r.lowerBound + from, into: &batch)
                }
                continue
            case .integer:
                if !Self.isInteger(p, start, from + r.upperBound) {
                    addFormatError(format, "a value that should be an integer is not", at: start, into: &batch)
                }
            case .float:
                if !Self.isFloat(p, start, from + r.upperBound) {
                    addFormatError(format, "a value that should be a number is not", at: start, into: &batch)
                }
            case .ip:
                if !AuthText(p: p, start: start, end: from + r.upperBound).isIP(start..<(from + r.upperBound)) {
                    addFormatError(format, "a value that should be an IP address is not", at: start, into: &batch)
                    continue
                }
            case .text, .personal, .patientIdentifier:
                break
            }
            let kind: ValueKind = capture.role == .integer || capture.role == .float ? .number : .text
            let value = ByteRef(start: base + start, count: r.count, inScratch: false)
            addUserField(capture.id, capture.name, value, kind, into: &batch)
        }
        for constant in format.constants {
            let at = batch.scratch.count
            batch.scratch.append(contentsOf: constant.value)
            addUserField(constant.id, constant.name, ByteRef(start: at, count: constant.value.count, inScratch: true), .text,
                         into: &batch)
        }
        guard let next = format.next, let range = handedOn else { return timestamp }
        // The next parser's fields come after the format's own; a field both give keeps the format's.
        let own = batch.fields.count
        let inner = handOn(next, p, range, base: base, reference: reference, depth: depth, into: &batch)
        if timestamp == EventRecord.noTimestamp { timestamp = inner }
        dropRepeated(ownFrom: mark.fields, ownTo: own, into: &batch)
        return timestamp
    }

    /// Runs the `then:` parser over `p[range]`; returns the time it found.
    func handOn(_ next: UserFormat.Next, _ p: UnsafePointer<UInt8>, _ range: Range<Int>, base: Int, reference: Int64,
                depth: Int, into batch: inout EventBatch) -> Int64 {
        let q = p + range.lowerBound
        let n = range.count
        let at = base + range.lowerBound
        switch next {
        case .syslog:
            // Parsed as a line of its own (any built-in format), inside this event.
            let before = batch.events.count
            batch.beginEvent(lineStart: at, lineLength: n, fullLength: n, lineNumber: 0)
            parseLine(q, count: n, base: at, reference: reference, hl7: auditContent, into: &batch)
            // Fold the inner event into the outer one: keep its fields, drop its record.
            let inner = batch.events.removeLast()
            precondition(batch.events.count == before)
            batch.events[before - 1].fieldCount = UInt32(batch.fields.count) - batch.events[before - 1].firstField
            return inner.timestamp
        case .json:
            let mark = batch.mark()
            switch JSONLineParser.parse(q, count: n, base: at, into: &batch) {
            case .success(let parsed): return parsed.timestamp
            case .failure(let error):
                batch.rollback(to: mark)
                addError("JSON", error, to: &batch)
                return EventRecord.noTimestamp
            }
        case .kv:
            KeyValueText.parse(q, count: n, base: at, into: &batch)
            return EventRecord.noTimestamp
        case .cef:
            let text = FirewallText(line: p, base: base, start: range.lowerBound, end: range.upperBound)
            let mark = batch.mark()
            if let start = CEFParser.start(text), CEFParser.parse(text, at: start, into: &batch) { return EventRecord.noTimestamp }
            batch.rollback(to: mark)
            addError("CEF", LineParseError(column: range.lowerBound, message: "not a CEF message"), to: &batch)
            return EventRecord.noTimestamp
        case .format(let to):
            guard depth < 16, matches(options.formats.formats[to], q, count: n) else {
                addFormatError(options.formats.formats[to], "the pattern does not match the text handed on", at: range.lowerBound,
                               into: &batch)
                return EventRecord.noTimestamp
            }
            return fillUserFormat(to, p, count: n, from: range.lowerBound, base: base, reference: reference, depth: depth + 1,
                                  into: &batch)
        }
    }

    /// Removes the fields after `ownTo` that repeat a well-known field the format set itself (`ownFrom..<ownTo`).
    func dropRepeated(ownFrom: Int, ownTo: Int, into batch: inout EventBatch) {
        guard ownTo < batch.fields.count, ownFrom < ownTo else { return }
        var write = ownTo
        for read in ownTo..<batch.fields.count {
            let slot = batch.fields[read]
            let repeated = slot.name.count == 0 && slot.id != .errorMessage
                && (ownFrom..<ownTo).contains { batch.fields[$0].id == slot.id && batch.fields[$0].name.count == 0 }
            if !repeated {
                batch.fields[write] = slot
                write += 1
            }
        }
        batch.fields.removeSubrange(write...)
    }

    @inline(__always)
    func addUserField(_ id: FieldID, _ name: [UInt8], _ value: ByteRef, _ kind: ValueKind, into batch: inout EventBatch) {
        if name.isEmpty {
            batch.fields.append(FieldSlot(id: id, kind: kind, value: value))
        } else {
            let at = batch.scratch.count
            batch.scratch.append(contentsOf: name)
            batch.addNamedField(id, name: ByteRef(start: at, count: name.count, inScratch: true), value: value, kind)
        }
    }

    /// Adds the event's `error.message` (the first problem only: one event, one message).
    func addFormatError(_ format: UserFormat, _ message: String, at column: Int, into batch: inout EventBatch) {
        let first = Int(batch.events[batch.events.count - 1].firstField)
        guard !batch.fields[first...].contains(where: { $0.id == .errorMessage }) else { return }
        let start = batch.scratch.count
        batch.scratch.append(contentsOf: "format \(format.name): \(message) at byte \(column) of the line.".utf8)
        batch.addScratchField(.errorMessage, from: start)
    }

    /// Patient data in a site format's event: personal fields become `[redacted]`, patient identifiers
    /// their pseudonyms, and `event.original` (and every other value that contained them) is the line
    /// with those parts replaced. Nothing changes when the operator reveals patient data.
    func redactPersonalData(_ p: UnsafePointer<UInt8>, count: Int, base: Int, since mark: EventBatch.Mark,
                            into batch: inout EventBatch) {
        let policy = options.patientData
        guard !policy.reveal else { return }
        let fields = mark.fields..<batch.fields.count
        // The personal values' ranges in the line, in order, outermost first; the same text elsewhere in
        // the line (a name repeated in the message) is personal too.
        var spans: [(range: Range<Int>, slot: Int, identifier: Bool)] = []
        for k in fields {
            let slot = batch.fields[k]
            guard !slot.value.inScratch, let role = personalRole(slot, in: batch) else { continue }
            let r = Int(slot.value.start) - base..<Int(slot.value.start + slot.value.count) - base
            spans.append((r, k, role == .patientIdentifier))
        }
        guard !spans.isEmpty else { return }
        for span in spans where span.range.count >= 3 {
            var at = 0
            while at + span.range.count <= count {
                guard let hit = ByteScan.firstIndex(of: p[span.range.lowerBound], in: p, from: at, to: count - span.range.count + 1) else { break }
                if hit != span.range.lowerBound, memcmp(p + hit, p + span.range.lowerBound, span.range.count) == 0 {
                    spans.append((hit..<(hit + span.range.count), -1, span.identifier))
                }
                at = hit + 1
            }
        }
        spans.sort { $0.range.lowerBound < $1.range.lowerBound || ($0.range.lowerBound == $1.range.lowerBound && $0.range.count > $1.range.count) }
        // The copy: the line with each outermost span replaced; `shifts` maps line offsets to copy offsets.
        let copy = batch.scratch.count
        var shifts: [(at: Int, delta: Int)] = []
        var i = 0
        var delta = 0
        for span in spans where span.range.lowerBound >= i {
            batch.scratch.append(contentsOf: UnsafeBufferPointer(start: p + i, count: span.range.lowerBound - i))
            let replacement = batch.scratch.count
            if span.identifier {
                policy.appendPseudonym(UnsafeBufferPointer(start: p + span.range.lowerBound, count: span.range.count), to: &batch.scratch)
            } else {
                PatientDataPolicy.placeholder.withUTF8Buffer { batch.scratch.append(contentsOf: $0) }
            }
            let written = batch.scratch.count - replacement
            if span.slot >= 0 { batch.fields[span.slot].value = ByteRef(start: replacement, count: written, inScratch: true) }
            delta += written - span.range.count
            shifts.append((span.range.upperBound, delta))
            i = span.range.upperBound
        }
        batch.scratch.append(contentsOf: UnsafeBufferPointer(start: p + i, count: max(0, count - i)))
        let length = batch.scratch.count - copy
        // Nested personal values (inside one already replaced) are replaced as their own field.
        for span in spans where span.slot >= 0 && !batch.fields[span.slot].value.inScratch {
            let at = batch.scratch.count
            if span.identifier {
                policy.appendPseudonym(UnsafeBufferPointer(start: p + span.range.lowerBound, count: span.range.count), to: &batch.scratch)
            } else {
                PatientDataPolicy.placeholder.withUTF8Buffer { batch.scratch.append(contentsOf: $0) }
            }
            batch.fields[span.slot].value = ByteRef(start: at, count: batch.scratch.count - at, inScratch: true)
        }
        func mapped(_ offset: Int) -> Int {
            var d = 0
            for shift in shifts where shift.at <= offset { d = shift.delta }
            return copy + offset + d
        }
        // Values that contained a personal part now point into the copy; a value cut through one is withheld.
        let personal = Set(spans.map(\.slot))
        for k in fields where !personal.contains(k) && !batch.fields[k].value.inScratch {
            let v = batch.fields[k].value
            let r = Int(v.start) - base..<Int(v.start + v.count) - base
            guard spans.contains(where: { $0.range.overlaps(r) }) else { continue }
            if spans.allSatisfy({ !$0.range.overlaps(r) || (r.lowerBound <= $0.range.lowerBound && $0.range.upperBound <= r.upperBound) }) {
                let start = mapped(r.lowerBound)
                batch.fields[k].value = ByteRef(start: start, count: min(mapped(r.upperBound), copy + length) - start, inScratch: true)
            } else {
                let at = batch.scratch.count
                PatientDataPolicy.placeholder.withUTF8Buffer { batch.scratch.append(contentsOf: $0) }
                batch.fields[k].value = ByteRef(start: at, count: batch.scratch.count - at, inScratch: true)
            }
        }
        batch.fields.append(FieldSlot(id: .eventOriginal, kind: .text, value: ByteRef(start: copy, count: length, inScratch: true)))
    }

    /// Whether a slot holds a value a format marked as patient data (looked up by its field).
    func isPersonal(_ slot: FieldSlot, in batch: EventBatch) -> Bool {
        personalRole(slot, in: batch) != nil
    }

    func isPatientIdentifier(_ slot: FieldSlot, in batch: EventBatch) -> Bool {
        personalRole(slot, in: batch) == .patientIdentifier
    }

    func personalRole(_ slot: FieldSlot, in batch: EventBatch) -> UserFormat.Role? {
        for format in options.formats.formats where format.holdsPatientData {
            for capture in format.captures where capture.role == .personal || capture.role == .patientIdentifier {
                guard capture.id == slot.id else { continue }
                if capture.name.isEmpty, slot.name.count == 0 { return capture.role }
                if !capture.name.isEmpty, slot.name.inScratch, Int(slot.name.count) == capture.name.count,
                   batch.scratch[Int(slot.name.start)..<Int(slot.name.start + slot.name.count)].elementsEqual(capture.name) {
                    return capture.role
                }
            }
        }
        return nil
    }

    static func isInteger(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        if i < end, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") { i += 1 }
        guard i < end, end - i <= 19 else { return false }
        while i < end { guard ASCII.isDigit(p[i]) else { return false }; i += 1 }
        return true
    }

    static func isFloat(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        if i < end, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") { i += 1 }
        var digits = 0
        var dot = false
        while i < end {
            if ASCII.isDigit(p[i]) { digits += 1 } else if p[i] == UInt8(ascii: "."), !dot { dot = true } else { return false }
            i += 1
        }
        return digits > 0
    }

}

/// `key=value` text handed on by a site format (`then: {parser: kv}`): pairs separated by spaces,
/// commas or semicolons; values may be quoted. Each becomes `kv.<key>`.
enum KeyValueText {
    static func parse(_ p: UnsafePointer<UInt8>, count: Int, base: Int, into batch: inout EventBatch) {
        var i = 0
        while i < count {
            while i < count, p[i] == ASCII.space || p[i] == UInt8(ascii: ",") || p[i] == UInt8(ascii: ";") || p[i] == ASCII.tab { i += 1 }
            let keyStart = i
            while i < count, p[i] != UInt8(ascii: "="), p[i] != ASCII.space { i += 1 }
            guard i < count, p[i] == UInt8(ascii: "="), i > keyStart else {
                while i < count, p[i] != ASCII.space { i += 1 }
                continue
            }
            let key = keyStart..<i
            i += 1
            var valueStart = i
            var valueEnd: Int
            if i < count, p[i] == UInt8(ascii: "\"") || p[i] == UInt8(ascii: "'") {
                let quote = p[i]
                valueStart = i + 1
                i += 1
                while i < count, p[i] != quote { i += p[i] == UInt8(ascii: "\\") ? 2 : 1 }
                valueEnd = min(i, count)
                i += 1
            } else {
                while i < count, p[i] != ASCII.space, p[i] != UInt8(ascii: ","), p[i] != UInt8(ascii: ";") { i += 1 }
                valueEnd = i
            }
            batch.addNamedField(.keyValueNamespace, name: ByteRef(start: base + key.lowerBound, count: key.count, inScratch: false),
                                value: ByteRef(start: base + valueStart, count: max(0, valueEnd - valueStart), inScratch: false))
        }
    }
}
