import WardCore

#if canImport(Glibc)
import Glibc
#endif

/// Writes events as JSON lines: one flat object per event with dotted ECS keys.
///
/// Key order is fixed: `@timestamp`, `event.dataset`, the parser's fields in the order it found them,
/// `log.flags` for cut lines, then `event.original` (for HL7, ATNA and FHIR events the copy with
/// patient data redacted that the parser made, unless the operator revealed it), `log.file.path`, `log.offset`. Dotted keys
/// (`"host.hostname"`) are what Elasticsearch, OpenSearch and Splunk index as object paths, and what
/// Sigma rules name after field mapping, so a key means the same thing in every tool.
public struct EventEncoder: Sendable {
    /// `"name":` for every well-known field, built once for the process: buffers, not arrays, so that
    /// appending one touches no reference count (an array's storage, shared by all workers, is a cache
    /// line the cores fight over).
    nonisolated(unsafe) static let keys = FieldID.permanentBuffers(FieldID.names.map { Array("\"\($0)\":".utf8) })

    public init() {}

    /// Fields of ECS type `ip`: a value that is not an address (a parser met `device` or
    /// `10.0.0.1(LOCAL\\user)` where an address belongs) would make Elasticsearch refuse the whole
    /// document, so it is written under `<prefix>.address` (ECS keyword) instead.
    static let addressFields: [FieldID: [UInt8]] = [
        .sourceIP: Array("\"source.address\":".utf8), .destinationIP: Array("\"destination.address\":".utf8),
        .sourceNATIP: Array("\"source.nat.address\":".utf8), .destinationNATIP: Array("\"destination.nat.address\":".utf8),
    ]

    /// In an alert, `rule.*` is the Sigma rule; an event's own rule (a firewall's policy) is written as
    /// `observer.rule.*`.
    static let observerRule: [FieldID: [UInt8]] = [
        .ruleName: Array("\"observer.rule.name\":".utf8), .ruleID: Array("\"observer.rule.id\":".utf8),
    ]

    /// Whether `bytes` is an IPv4 or IPv6 address as Elasticsearch's `ip` type takes it.
    public static func isAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count >= 2, bytes.count <= 45 else { return false }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 46) { text in
            for (i, b) in bytes.enumerated() { text[i] = CChar(bitPattern: b) }
            text[bytes.count] = 0
            var address = (UInt64(0), UInt64(0))
            let family = bytes.contains(UInt8(ascii: ":")) ? AF_INET6 : AF_INET
            return inet_pton(family, text.baseAddress!, &address) == 1
        }
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
                            path: UnsafeBufferPointer<UInt8>, includeTimestamp: Bool = true, alert: Bool = false,
                            to out: inout JSONWriter) {
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
        // JSON and Windows events carry their input's own keys: one that names a key wardwatch writes
        // itself (or, in an alert, one of the alert's: rule.*, threat.*, event.kind …) goes under
        // `json.`, and a key the input repeats is written once — a JSON line must not be able to
        // set its own alert's level or time, or make a document with duplicate keys.
        let structured = event.dataset == .json || event.dataset == .windowsEventLog
        let fields = batch.fieldRange(of: index)
        // Hashes of the keys written so far, as a 256-bit filter: only a key whose bit is already set is
        // compared with the slots before it.
        var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for i in fields {
            let slot = batch.fields[i]
            // The redacted original replaces the line; the HL7 message slot is internal.
            if slot.id == .eventOriginal && slot.name.count == 0 {
                original = slot.value
                continue
            }
            if slot.id == .hl7Message { continue }
            var renamed = false
            if structured {
                renamed = Self.isReserved(slot, values, alert: alert)
                // The first of a repeated key is written (no allocation: compared with the slots before).
                // A key moved under `json.`, or the input's own `json.…`, is always compared; any other is
                // compared only when the filter has seen its (id, name) hash.
                let special = renamed || Self.literalJSON(slot, values)
                let bit = special ? 0 : Self.filterBit(slot, values)
                let mask: UInt64 = 1 << UInt64(bit & 63)
                let word: UInt64
                switch bit >> 6 {
                case 0: word = seen.0
                case 1: word = seen.1
                case 2: word = seen.2
                default: word = seen.3
                }
                if special || word & mask != 0,
                   (fields.lowerBound..<i).contains(where: { Self.sameOutputKey(batch.fields[$0], slot, values, alert: alert) }) {
                    continue
                }
                switch bit >> 6 {
                case 0: seen.0 |= mask
                case 1: seen.1 |= mask
                case 2: seen.2 |= mask
                default: seen.3 |= mask
                }
            }
            out.append(byte: UInt8(ascii: ","))
            let id = slot.id
            if renamed {
                out.append("\"json.")
                if slot.name.count == 0 {
                    out.appendEscaped(FieldID.nameBuffer(of: slot.id))
                } else {
                    out.appendEscaped(values[slot.name])
                }
                out.append("\":")
            } else if slot.name.count == 0 && (id == .sourceIP || id == .destinationIP || id == .sourceNATIP || id == .destinationNATIP)
                && !Self.isAddress(values[slot.value]) {
                out.bytes += Self.addressFields[id]!
            } else if alert && slot.name.count == 0 && (id == .ruleName || id == .ruleID) {
                out.bytes += Self.observerRule[id]!
            } else {
                writeKey(slot, values, to: &out)
            }
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
            // The syslog connection's transport, unless the event names its own (a firewall's flow).
            if batch.firstField(.networkTransport, inEvent: index) == nil {
                out.append(",\"network.transport\":")
                out.appendString(peer.transport)
            }
            if peer.tls { out.append(",\"tls.established\":true") }
            return
        }
        out.append(",\"log.file.path\":")
        out.appendString(path)
        out.append(",\"log.offset\":")
        out.appendInteger(origin.offset + Int64(event.lineStart))
    }

    /// Whether two slots of an event have the same key (the same well-known field, or the same name in
    /// the same namespace).
    static func sameKey(_ a: FieldSlot, _ b: FieldSlot, _ values: EventValues) -> Bool {
        a.id == b.id && a.name.count == b.name.count && (a.name.count == 0 || values[a.name].elementsEqual(values[b.name]))
    }

    /// The namespace of JSON and Windows keys (`""`: the key is the whole name).
    static let inputKeys = FieldID(rawValue: UInt16(FieldID.names.firstIndex(of: "")!))

    /// A slot's bit in the 256-bit filter of written keys: from its id, length and first, middle and last
    /// bytes (a few operations; a collision only costs an exact comparison).
    @inline(__always)
    static func filterBit(_ slot: FieldSlot, _ values: EventValues) -> Int {
        var h = UInt64(slot.id.rawValue) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(slot.name.count) &* 0xC2B2_AE3D_27D4_EB4F
        if slot.name.count > 0 {
            let v = values[slot.name]
            h ^= UInt64(v[0]) << 3 ^ UInt64(v[v.count / 2]) << 11 ^ UInt64(v[v.count - 1]) << 19
            h &*= 0x1656_67B1_9E37_79F9
        }
        return Int(truncatingIfNeeded: h >> 56)
    }

    /// An input key that itself begins with `json.`.
    static func literalJSON(_ s: FieldSlot, _ values: EventValues) -> Bool {
        guard s.name.count > 5, s.id == inputKeys else { return false }
        let v = values[s.name]
        return v[0] == UInt8(ascii: "j") && v[1] == UInt8(ascii: "s") && v[2] == UInt8(ascii: "o") && v[3] == UInt8(ascii: "n")
            && v[4] == UInt8(ascii: ".")
    }

    /// Whether two slots are written under the same key: the same key, or a reserved key moved under
    /// `json.` (``isReserved``) and the input's own key of that name.
    static func sameOutputKey(_ a: FieldSlot, _ b: FieldSlot, _ values: EventValues, alert: Bool) -> Bool {
        if sameKey(a, b, values) { return true }
        let (aj, bj) = (literalJSON(a, values), literalJSON(b, values))
        guard aj != bj else { return false }
        let (literal, other) = aj ? (a, b) : (b, a)
        guard isReserved(other, values, alert: alert) else { return false }
        let rest = values[literal.name].dropFirst(5)
        return other.name.count == 0 ? rest.elementsEqual(FieldID.nameBytesTable[Int(other.id.rawValue)])
                                     : rest.elementsEqual(values[other.name])
    }

    /// Keys the encoder writes itself, around the event's fields.
    static let encoderKeys: [[UInt8]] = ["@timestamp", "event.dataset", "event.original", "log.file.path", "log.offset",
                                         "log.flags", "log.source.address", "log.source.port", "tls.established"].map { Array($0.utf8) }

    /// Whether a structured event's key is one the encoder writes itself, or (in an alert) one of the
    /// alert's own members (``AlertEncoder``): such a key goes under `json.`. Keys in a vendor namespace
    /// (`fortinet.…`) never are.
    static func isReserved(_ slot: FieldSlot, _ values: EventValues, alert: Bool) -> Bool {
        func check<K: Collection<UInt8>>(_ key: K) -> Bool {
            // Every reserved key begins with one of these (Windows' capitalized names never do).
            guard let first = key.first, first == UInt8(ascii: "@") || first == UInt8(ascii: "e") || first == UInt8(ascii: "l")
                || first == UInt8(ascii: "t") || first == UInt8(ascii: "r") else { return false }
            return encoderKeys.contains { $0.elementsEqual(key) }
                || alert && (key.starts(with: "rule.".utf8) || key.starts(with: "threat.".utf8) || key.elementsEqual("event.kind".utf8)
                    || key.elementsEqual("event.severity".utf8) || key.elementsEqual("event.id".utf8) || key.elementsEqual("ecs.version".utf8))
        }
        if slot.name.count == 0 { return check(FieldID.nameBuffer(of: slot.id)) }
        return slot.id == inputKeys && check(values[slot.name])
    }

    private func writeKey(_ slot: FieldSlot, _ values: EventValues, to out: inout JSONWriter) {
        if slot.name.count == 0 {
            out.bytes.append(contentsOf: Self.keys[Int(slot.id.rawValue)])
            return
        }
        // "namespace.name": (JSON-lines fields have an empty namespace: "name":)
        let key = Self.keys[Int(slot.id.rawValue)]
        out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: key[0..<(key.count - 2)]))
        if key.count > 3 { out.append(byte: UInt8(ascii: ".")) }
        out.appendEscaped(values[slot.name])
        out.append("\":")
    }
}
