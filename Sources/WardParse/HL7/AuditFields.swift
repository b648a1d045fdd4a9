import WardCore

/// Field writing shared by the ATNA and FHIR audit parsers: values by range (decoded only when they hold
/// an escape), `event.action` and `event.outcome` from the audit codes both standards share, counts.
enum AuditFields {
    /// How values are escaped in the document: XML entities (`&amp;`) or JSON escapes (`\"`).
    enum Encoding {
        case xml, json

        var escape: UInt8 { self == .xml ? UInt8(ascii: "&") : UInt8(ascii: "\\") }

        func appendDecoded(_ p: UnsafePointer<UInt8>, _ r: Range<Int>, to out: inout [UInt8]) {
            switch self {
            case .xml: XMLScanner.appendDecoded(p, r, to: &out)
            case .json: JSONNav.appendDecoded(p, r, to: &out)
            }
        }
    }

    /// The value of `p[r]` as a reference: into the chunk (`base` is the chunk offset of `p`) when it
    /// holds no escape, else decoded into scratch.
    static func value(_ p: UnsafePointer<UInt8>, _ r: Range<Int>, base: Int, _ encoding: Encoding,
                      into batch: inout EventBatch) -> ByteRef {
        guard ByteScan.firstIndex(of: encoding.escape, in: p, from: r.lowerBound, to: r.upperBound) != nil else {
            return ByteRef(start: base + r.lowerBound, count: r.count, inScratch: false)
        }
        let from = batch.scratch.count
        encoding.appendDecoded(p, r, to: &batch.scratch)
        return ByteRef(start: from, count: batch.scratch.count - from, inScratch: true)
    }

    /// Adds well-known field `id` = `p[r]` (nothing for a missing or empty value).
    static func add(_ id: FieldID, _ p: UnsafePointer<UInt8>, _ r: Range<Int>?, base: Int, _ encoding: Encoding,
                    into batch: inout EventBatch) {
        guard let r, !r.isEmpty else { return }
        let v = value(p, r, base: base, encoding, into: &batch)
        batch.fields.append(FieldSlot(id: id, kind: .text, value: v))
    }

    /// Adds `<namespace>.<name>` = `p[r]`.
    static func add(_ namespace: FieldID, _ name: StaticString, _ p: UnsafePointer<UInt8>, _ r: Range<Int>?, base: Int,
                    _ encoding: Encoding, into batch: inout EventBatch) {
        guard let r, !r.isEmpty else { return }
        let nameRef = self.name(name, into: &batch)
        batch.addNamedField(namespace, name: nameRef, value: value(p, r, base: base, encoding, into: &batch))
    }

    /// Adds `<namespace>.<name>` = `n` (a number).
    static func add(_ namespace: FieldID, _ name: StaticString, count n: Int, into batch: inout EventBatch) {
        let nameRef = self.name(name, into: &batch)
        let from = batch.scratch.count
        batch.appendDecimal(n)
        batch.addNamedField(namespace, name: nameRef,
                            value: ByteRef(start: from, count: batch.scratch.count - from, inScratch: true), .number)
    }

    static func name(_ name: StaticString, into batch: inout EventBatch) -> ByteRef {
        let start = batch.scratch.count
        name.withUTF8Buffer { batch.scratch.append(contentsOf: $0) }
        return ByteRef(start: start, count: batch.scratch.count - start, inScratch: true)
    }

    /// `event.action` from an RFC 3881 / FHIR action code: C, R, U, D, E.
    static func addAction(_ p: UnsafePointer<UInt8>, _ r: Range<Int>?, into batch: inout EventBatch) {
        guard let r, r.count == 1 else { return }
        switch p[r.lowerBound] {
        case UInt8(ascii: "C"): batch.addField(.eventAction, literal: "create")
        case UInt8(ascii: "R"): batch.addField(.eventAction, literal: "read")
        case UInt8(ascii: "U"): batch.addField(.eventAction, literal: "update")
        case UInt8(ascii: "D"): batch.addField(.eventAction, literal: "delete")
        case UInt8(ascii: "E"): batch.addField(.eventAction, literal: "execute")
        default: break
        }
    }

    /// `event.outcome` from an outcome indicator: 0 is success; 4, 8 and 12 (minor, serious, major
    /// failure) are failure.
    static func addOutcome(_ p: UnsafePointer<UInt8>, _ r: Range<Int>?, into batch: inout EventBatch) {
        guard let o = r else { return }
        if XMLScanner.equals(p, o, "0") {
            batch.addField(.eventOutcome, literal: "success")
        } else if XMLScanner.equals(p, o, "4") || XMLScanner.equals(p, o, "8") || XMLScanner.equals(p, o, "12") {
            batch.addField(.eventOutcome, literal: "failure")
        }
    }
}
