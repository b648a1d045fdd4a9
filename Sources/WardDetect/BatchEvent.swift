import WardCore
import WardRules

/// One event of a parsed batch, seen through the interface the rules evaluate against.
///
/// Field look-ups scan the event's slots (a syslog event has about a dozen); well-known fields compare
/// their `FieldID`, namespaced ones (`log.syslog.structured_data.meta.x`) their name bytes. A few
/// fields are not slots but properties of the event: `event.dataset`, `event.original`, `log.file.path`.
public struct BatchEvent: SigmaEvent {
    public let batch: EventBatch
    public let values: EventValues
    public let index: Int
    public let path: UnsafeBufferPointer<UInt8>

    public init(batch: EventBatch, values: EventValues, index: Int, path: UnsafeBufferPointer<UInt8>) {
        self.batch = batch
        self.values = values
        self.index = index
        self.path = path
    }

    public var timestamp: Int64? {
        let t = batch.events[index].timestamp
        return t == EventRecord.noTimestamp ? nil : t
    }

    public func withOriginal<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        body(values.line(of: batch.events[index]))
    }

    public func withValue<R>(of field: FieldRef, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        if let id = field.id {
            switch id {
            case .eventDataset:
                var name = batch.events[index].dataset.name
                return name.withUTF8 { body($0) }
            case .eventOriginal:
                return body(values.line(of: batch.events[index]))
            case .logFilePath:
                return body(path)
            default:
                for slot in batch.fields[batch.fieldRange(of: index)] where slot.id == id && slot.name.count == 0 {
                    return body(values[slot.value])
                }
                return body(nil)
            }
        }
        // A namespaced name: the slot's namespace, a dot, then its own name bytes.
        let wanted = field.nameBytes
        for slot in batch.fields[batch.fieldRange(of: index)] where slot.name.count > 0 {
            let prefix = FieldID.nameBytes(of: slot.id)
            let rest = values[slot.name]
            let dot = prefix.isEmpty ? 0 : 1
            guard wanted.count == prefix.count + dot + rest.count else { continue }
            if !prefix.isEmpty {
                guard wanted[prefix.count] == UInt8(ascii: "."), wanted.starts(with: prefix) else { continue }
            }
            if zip(wanted[(prefix.count + dot)...], rest).allSatisfy({ $0 == $1 }) {
                return body(values[slot.value])
            }
        }
        return body(nil)
    }
}
