import Foundation
import WardCore

/// An alert line read back — flat (`"rule.name"`) or nested (`{"rule":{…}}`) — as its flat fields:
/// what `report` and CEF work from.
enum AlertFields {
    /// The line's fields by dotted name (`correlation.group` stays an object); `nil` when the line is
    /// not a JSON object.
    static func read(_ line: some Collection<UInt8>) -> [String: Any]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
        var fields: [String: Any] = [:]
        flatten(object, "", into: &fields)
        return fields
    }

    static func flatten(_ object: [String: Any], _ prefix: String, into out: inout [String: Any]) {
        for (key, value) in object {
            let name = prefix.isEmpty ? key : prefix + "." + key
            if let child = value as? [String: Any], name != "correlation.group" {
                flatten(child, name, into: &out)
            } else {
                out[name] = value
            }
        }
    }

    /// An RFC 3339 time (`2026-11-22T07:36:52.123Z`) as UTC nanoseconds.
    static func nanos(_ value: Any?) -> Int64? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        let bytes = Array(text.utf8)
        let parsed = bytes.withUnsafeBufferPointer { RFC3339.parse($0.baseAddress!, from: 0, to: $0.count, strict: false) }
        return parsed.errorAt == nil ? parsed.nanos : nil
    }
}
