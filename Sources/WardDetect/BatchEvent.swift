import WardCore
import WardRules

/// One event of a parsed batch, seen through the interface the rules evaluate against.
///
/// Field look-ups scan the event's slots (a syslog event has about a dozen); well-known fields compare
/// their `FieldID`, namespaced ones (`log.syslog.structured_data.meta.x`) their name bytes. A few
/// fields are not slots but properties of the event: `event.dataset`, `event.original`, `log.file.path`;
/// and some are derived on demand by the parse stage's ``DerivedFieldResolver`` (HL7 paths), so that
/// detection knows no log format.
///
/// It holds raw buffers, not the batch: building one per event costs no reference counting.
/// Valid only inside ``EventBatch/withEventBuffers(in:_:)`` (or while the buffers it was made from live).
public struct BatchEvent: SigmaEvent {
    public let events: UnsafeBufferPointer<EventRecord>
    public let fields: UnsafeBufferPointer<FieldSlot>
    public let values: EventValues
    public let index: Int
    public let path: UnsafeBufferPointer<UInt8>
    public let resolver: (any DerivedFieldResolver)?
    /// Where the engine has indexed this event's well-known fields (``SlotIndex``): a look-up is then
    /// one read instead of a scan of the slots (the engine looks up a dozen fields per event).
    var slotIndex: SlotIndex?

    public init(events: UnsafeBufferPointer<EventRecord>, fields: UnsafeBufferPointer<FieldSlot>, values: EventValues,
                index: Int, path: UnsafeBufferPointer<UInt8>, resolver: (any DerivedFieldResolver)? = nil) {
        self.events = events
        self.fields = fields
        self.values = values
        self.index = index
        self.path = path
        self.resolver = resolver
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

    /// Whether keywords search this event's values (structured events) rather than its line.
    var keywordsSearchValues: Bool {
        let d = record.dataset
        return d == .json || d == .windowsEventLog
    }

    public func anyKeywordText(_ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        guard keywordsSearchValues else { return body(values.line(of: record)) }
        for slot in slots where body(values[slot.value]) { return true }
        return false
    }

    /// The whole line.
    var originalBytes: UnsafeBufferPointer<UInt8> { values.line(of: record) }

    /// The bytes of a slot or event property given by id (well-known) or by full name (namespaced);
    /// `nil` when absent. `event.dataset` and HL7 paths are served by ``withBytes(id:name:_:)``.
    func bytes(id: FieldID?, name: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        if let id {
            if id == .eventOriginal { return originalBytes }
            if id == .logFilePath { return path }
            if let index = slotIndex, Int(id.rawValue) < SlotIndex.capacity {
                let raw = Int(id.rawValue)
                guard index.stamps[raw] == index.stamp else { return nil }
                return values[fields[Int(record.firstField) + Int(index.slotOf[raw])].value]
            }
            for slot in slots where slot.id == id && slot.name.count == 0 { return values[slot.value] }
            return nil
        }
        for slot in slots where slot.name.count > 0 {
            let prefix = FieldID.nameBuffer(of: slot.id)
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

    /// Whether the value is made for the look-up (`event.dataset`, `@timestamp`, the fields the resolver
    /// derives) rather than stored in the event's buffers: such a value is valid only inside
    /// ``withBytes(id:name:_:)``'s closure; any other is ``bytes(id:name:)``, valid with the buffers.
    @inline(__always)
    func isDerived(id: FieldID?, name: UnsafeBufferPointer<UInt8>) -> Bool {
        id == .eventDataset || id == .timestamp || (id == nil && resolver?.serves(name) == true)
    }

    /// Every value a rule can name — ``bytes(id:name:)`` plus `event.dataset`, `@timestamp` and the
    /// fields the resolver derives. The one look-up both the literal prefilter and rule evaluation use.
    @inline(__always)
    func withBytes<R>(id: FieldID?, name: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        if id == .eventDataset { return Dataset.nameBytes(of: record.dataset).withUnsafeBufferPointer { body($0) } }
        if id == .timestamp {
            // The event's time (UTC, RFC 3339), for rules that name `@timestamp` (time modifiers).
            guard record.timestamp != EventRecord.noTimestamp else { return body(nil) }
            var stamp: [UInt8] = []
            TimestampFormat.appendRFC3339(record.timestamp, to: &stamp)
            return stamp.withUnsafeBufferPointer { body($0) }
        }
        if id == nil, let resolver, resolver.serves(name) {
            return resolver.withValue(name, slots: slots, values: values, body)
        }
        return body(bytes(id: id, name: name))
    }

    public func withValue<R>(of field: FieldRef, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        // Well-known fields need no name bytes: skip borrowing them.
        if let id = field.id { return withBytes(id: id, name: UnsafeBufferPointer(start: nil, count: 0), body) }
        return field.nameBytes.withUnsafeBufferPointer { withBytes(id: nil, name: $0, body) }
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

/// Per well-known field id, the position among an event's slots of the first one holding it (no
/// name), valid where its stamp is the event's: built once per event by the engine (``index(_:)``).
struct SlotIndex {
    static let capacity = FieldID.names.count
    let slotOf: UnsafeMutablePointer<Int32>
    let stamps: UnsafeMutablePointer<UInt32>
    let stamp: UInt32

    /// Indexes `event`'s slots under `stamp` and returns the event with the index attached.
    static func index(_ event: BatchEvent, slotOf: UnsafeMutablePointer<Int32>, stamps: UnsafeMutablePointer<UInt32>,
                      stamp: UInt32) -> BatchEvent {
        let slots = event.slots
        for i in slots.indices where slots[i].name.count == 0 {
            let raw = Int(slots[i].id.rawValue)
            if raw < capacity && stamps[raw] != stamp {
                stamps[raw] = stamp
                slotOf[raw] = Int32(i)
            }
        }
        var indexed = event
        indexed.slotIndex = SlotIndex(slotOf: slotOf, stamps: stamps, stamp: stamp)
        return indexed
    }
}
