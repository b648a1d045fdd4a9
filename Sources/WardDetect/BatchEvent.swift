import WardCore
import WardParse
import WardRules

/// One event of a parsed batch, seen through the interface the rules evaluate against.
///
/// Field look-ups scan the event's slots (a syslog event has about a dozen); well-known fields compare
/// their `FieldID`, namespaced ones (`log.syslog.structured_data.meta.x`) their name bytes. A few
/// fields are not slots but properties of the event: `event.dataset`, `event.original`, `log.file.path`.
///
/// It holds raw buffers, not the batch: building one per event costs no reference counting.
/// Valid only inside ``EventBatch/withEventBuffers(in:_:)`` (or while the buffers it was made from live).
public struct BatchEvent: SigmaEvent {
    public let events: UnsafeBufferPointer<EventRecord>
    public let fields: UnsafeBufferPointer<FieldSlot>
    public let values: EventValues
    public let index: Int
    public let path: UnsafeBufferPointer<UInt8>

    public init(events: UnsafeBufferPointer<EventRecord>, fields: UnsafeBufferPointer<FieldSlot>, values: EventValues,
                index: Int, path: UnsafeBufferPointer<UInt8>) {
        self.events = events
        self.fields = fields
        self.values = values
        self.index = index
        self.path = path
    }

    var record: EventRecord { events[index] }

    var slots: UnsafeBufferPointer<FieldSlot> {
        let e = events[index]
        return UnsafeBufferPointer(rebasing: fields[Int(e.firstField)..<Int(e.firstField + e.fieldCount)])
    }

    public var timestamp: Int64? {
        let t = record.timestamp
        return t == EventRecord.noTimestamp ? nil : t
    }

    public func withOriginal<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        body(values.line(of: record))
    }

    /// The whole line.
    var originalBytes: UnsafeBufferPointer<UInt8> { values.line(of: record) }

    /// The bytes of a slot or event property given by id (well-known) or by full name (namespaced);
    /// `nil` when absent. `event.dataset` and HL7 paths are served by ``withBytes(id:name:_:)``.
    func bytes(id: FieldID?, name: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        if let id {
            if id == .eventOriginal { return originalBytes }
            if id == .logFilePath { return path }
            for slot in slots where slot.id == id && slot.name.count == 0 { return values[slot.value] }
            return nil
        }
        for slot in slots where slot.name.count > 0 {
            let prefix = FieldID.nameBytes(of: slot.id)
            let rest = values[slot.name]
            let dot = prefix.isEmpty ? 0 : 1
            guard name.count == prefix.count + dot + rest.count else { continue }
            if !prefix.isEmpty {
                guard name[prefix.count] == UInt8(ascii: "."), name.starts(with: prefix) else { continue }
            }
            if zip(name[(prefix.count + dot)...], rest).allSatisfy({ $0 == $1 }) { return values[slot.value] }
        }
        return nil
    }

    /// Every value a rule can name — ``bytes(id:name:)`` plus `event.dataset` and `hl7.<SEG>.<n>` paths
    /// extracted on demand. The one look-up both the literal prefilter and rule evaluation use.
    @inline(__always)
    func withBytes<R>(id: FieldID?, name: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        if id == .eventDataset { return Dataset.nameBytes(of: record.dataset).withUnsafeBufferPointer { body($0) } }
        if id == nil, Self.isHL7Path(name) { return withHL7Path(name, body) }
        return body(bytes(id: id, name: name))
    }

    /// `hl7.` and an upper-case letter: a path into the HL7 message.
    static func isHL7Path(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        name.count > 7 && name[0] == UInt8(ascii: "h") && name[1] == UInt8(ascii: "l") && name[2] == UInt8(ascii: "7")
            && name[3] == UInt8(ascii: ".") && ASCII.isUpper(name[4])
    }

    public func withValue<R>(of field: FieldRef, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        // Well-known fields need no name bytes: skip borrowing them.
        if let id = field.id { return withBytes(id: id, name: UnsafeBufferPointer(start: nil, count: 0), body) }
        return field.nameBytes.withUnsafeBufferPointer { withBytes(id: nil, name: $0, body) }
    }
}

extension BatchEvent {
    /// `hl7.<SEG>.<field>[.<component>[.<subcomponent>]]`, extracted from the event's HL7 message on
    /// demand (first occurrence of the segment, first repetition), escape sequences decoded.
    func withHL7Path<R>(_ name: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
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

extension EventBatch {
    /// Calls `body` with the raw buffers a ``BatchEvent`` is made of.
    /// - warning: Do not escape the buffers or the events made of them from the closure.
    public func withEventBuffers<R>(
        in chunk: Chunk,
        _ body: (UnsafeBufferPointer<EventRecord>, UnsafeBufferPointer<FieldSlot>, EventValues) throws -> R
    ) rethrows -> R {
        try withValues(in: chunk) { values in
            try events.withUnsafeBufferPointer { events in
                try fields.withUnsafeBufferPointer { fields in try body(events, fields, values) }
            }
        }
    }
}
