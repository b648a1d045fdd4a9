import WardCore

/// Writes events as JSON lines: one flat object per event with dotted ECS keys.
///
/// Key order is fixed: `@timestamp`, `event.dataset`, the parser's fields in the order it found them,
/// `log.flags` for cut lines, then `event.original` (for HL7, ATNA and FHIR events the copy with
/// patient data redacted that the parser made, unless the operator revealed it), `log.file.path`, `log.offset`. Dotted keys
/// (`"host.hostname"`) are what Elasticsearch, OpenSearch and Splunk index as object paths, and what
/// Sigma rules name after field mapping, so a key means the same thing in every tool.
public struct EventEncoder: Sendable {
    /// `"name":` for every well-known field, built once.
    private let keys: [[UInt8]]

    public init() {
        keys = FieldID.names.map { Array("\"\($0)\":".utf8) }
    }

    /// Appends the events of `batch` (parsed from `chunk`) to `out`, one line each.
    /// - Complexity: O(*n*) in the bytes written.
    public func encode(_ batch: EventBatch, chunk: Chunk, to out: inout JSONWriter) {
        var path = chunk.origin.path
        batch.withValues(in: chunk) { values in
            path.withUTF8 { pathBytes in
                for index in batch.events.indices {
                    out.append(byte: UInt8(ascii: "{"))
                    writeFields(index, batch, values, origin: chunk.origin, path: pathBytes, to: &out)
                    out.append("}\n")
                }
            }
        }
    }

    /// Writes the members of event `index` (without braces): the `@timestamp` … `log.offset` keys.
    public func writeFields(_ index: Int, _ batch: EventBatch, _ values: EventValues, origin: ChunkOrigin,
                            path: UnsafeBufferPointer<UInt8>, includeTimestamp: Bool = true, to out: inout JSONWriter) {
        let event = batch.events[index]
        if includeTimestamp && event.timestamp != EventRecord.noTimestamp {
            out.append("\"@timestamp\":\"")
            TimestampFormat.appendRFC3339(event.timestamp, to: &out.bytes)
            out.append("\",")
        }
        out.append("\"event.dataset\":\"")
        out.bytes.append(contentsOf: event.dataset.name.utf8)
        out.append(byte: UInt8(ascii: "\""))
        var original: ByteRef?
        for slot in batch.fields[batch.fieldRange(of: index)] {
            // The redacted original replaces the line; the HL7 message slot is internal.
            if slot.id == .eventOriginal && slot.name.count == 0 {
                original = slot.value
                continue
            }
            if slot.id == .hl7Message { continue }
            out.append(byte: UInt8(ascii: ","))
            writeKey(slot, values, to: &out)
            switch slot.kind {
            case .text: out.appendString(values[slot.value])
            case .number: out.appendNumber(values[slot.value])
            }
        }
        if event.flags.contains(.truncated) {
            out.append(",\"log.flags\":[\"truncated\"]")
        }
        out.append(",\"event.original\":")
        if let original {
            out.appendString(values[original])
        } else {
            out.appendString(values.line(of: event))
        }
        if let peer = origin.peer {
            out.append(",\"log.source.address\":")
            out.appendString(peer.address)
            out.append(",\"log.source.port\":")
            out.appendInteger(Int64(peer.port))
            out.append(",\"network.transport\":")
            out.appendString(peer.transport)
            if peer.tls { out.append(",\"tls.established\":true") }
            return
        }
        out.append(",\"log.file.path\":")
        out.appendString(path)
        out.append(",\"log.offset\":")
        out.appendInteger(origin.offset + Int64(event.lineStart))
    }

    private func writeKey(_ slot: FieldSlot, _ values: EventValues, to out: inout JSONWriter) {
        if slot.name.count == 0 {
            out.bytes.append(contentsOf: keys[Int(slot.id.rawValue)])
            return
        }
        // "namespace.name": (JSON-lines fields have an empty namespace: "name":)
        let key = keys[Int(slot.id.rawValue)]
        out.bytes.append(contentsOf: key[0..<(key.count - 2)])
        if key.count > 3 { out.append(byte: UInt8(ascii: ".")) }
        out.appendEscaped(values[slot.name])
        out.append("\":")
    }
}
