/// `--json-style nested`: an alert's flat dotted keys (`"rule.id":…`) as nested objects
/// (`"rule":{"id":…}`), for stores that want ECS's object form.
///
/// Values are copied byte for byte; members keep the order in which their first key appeared. Where a
/// key is both a value and a prefix of others (`hl7.PID.3` and `hl7.PID.3.1`), the later of the two
/// stays a dotted key at the top level (a plain key `a` after `a.b` becomes `a._value`), so that no key
/// is lost and no object has a key twice.
public enum NestedJSON {
    /// Rewrites every line of `bytes` that is a JSON object; other lines are kept as they are.
    public static func rewrite(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            if let line = nest(bytes[start..<end]) { out += line } else { out += bytes[start..<end] }
            if end < bytes.count { out.append(0x0A) }
            start = end + 1
        }
        return out
    }

    /// Keys of more parts than this stay dotted (no real ECS or vendor field comes near it; the tree is
    /// written recursively).
    static let maximumDepth = 32

    /// One node of the tree being built: a value's bytes, or an object's members in order.
    private final class Node {
        var value: ArraySlice<UInt8>?
        var keys: [[UInt8]] = []
        var children: [[UInt8]: Node] = [:]
        init(value: ArraySlice<UInt8>? = nil) { self.value = value }
    }

    /// The object `line` nested; `nil` when it is not one flat-keyed JSON object.
    static func nest(_ line: ArraySlice<UInt8>) -> [UInt8]? {
        var i = line.startIndex
        func skipSpace() { while i < line.endIndex && (line[i] == 0x20 || line[i] == 0x09 || line[i] == 0x0D) { i += 1 } }
        skipSpace()
        guard i < line.endIndex, line[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        let root = Node()
        // Dotted keys that could not be nested, kept at the top level after the tree.
        var flat: [(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)] = []
        skipSpace()
        if i < line.endIndex && line[i] == UInt8(ascii: "}") { return Array(line) }
        while true {
            skipSpace()
            guard i < line.endIndex, line[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i
            guard let keyEnd = skipString(line, from: i) else { return nil }
            i = keyEnd
            let rawKey = line[(keyStart + 1)..<(keyEnd - 1)]
            skipSpace()
            guard i < line.endIndex, line[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            let valueStart = i
            guard let valueEnd = skipValue(line, from: i) else { return nil }
            i = valueEnd
            let value = line[valueStart..<valueEnd]
            if !insert(rawKey, value, into: root) {
                let key = rawKey.contains(UInt8(ascii: ".")) ? line[keyStart..<keyEnd]
                    : ArraySlice(Array("\"".utf8) + rawKey + Array("._value\"".utf8))
                // A key the line already had (the input repeated it) is written once.
                if !flat.contains(where: { $0.key.elementsEqual(key) }) { flat.append((key, value)) }
            }
            skipSpace()
            guard i < line.endIndex else { return nil }
            if line[i] == UInt8(ascii: ",") { i += 1; continue }
            if line[i] == UInt8(ascii: "}") { break }
            return nil
        }
        var out: [UInt8] = []
        out.reserveCapacity(line.count + 64)
        write(root, to: &out, extra: flat)
        return out
    }

    /// Places `value` under the dotted `key`; `false` when a value or object is already where it goes.
    private static func insert(_ key: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>, into root: Node) -> Bool {
        let parts = key.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map(Array.init)
        // An empty part (`a..b`, a leading or trailing dot) cannot be an object key path, and a key
        // deeper than any real field (a log line can hold a key of 10,000 dots) stays flat too.
        guard parts.count <= maximumDepth, !parts.contains(where: \.isEmpty) else { return false }
        var node = root
        for part in parts.dropLast() {
            if let child = node.children[part] {
                guard child.value == nil else { return false }
                node = child
            } else {
                let child = Node()
                node.children[part] = child
                node.keys.append(part)
                node = child
            }
        }
        let last = parts[parts.count - 1]
        guard node.children[last] == nil else { return false }
        node.children[last] = Node(value: value)
        node.keys.append(last)
        return true
    }

    private static func write(_ node: Node, to out: inout [UInt8], extra: [(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)] = []) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for key in node.keys {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out += key
            out += Array("\":".utf8)
            let child = node.children[key]!
            if let value = child.value { out += value } else { write(child, to: &out) }
        }
        for (key, value) in extra {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out += key
            out.append(UInt8(ascii: ":"))
            out += value
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The index after the JSON string that starts at `i`.
    private static func skipString(_ s: ArraySlice<UInt8>, from start: Int) -> Int? {
        var i = start + 1
        while i < s.endIndex {
            switch s[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return nil
    }

    /// The index after the JSON value that starts at `i` (strings, numbers, literals, arrays, objects).
    private static func skipValue(_ s: ArraySlice<UInt8>, from start: Int) -> Int? {
        guard start < s.endIndex else { return nil }
        switch s[start] {
        case UInt8(ascii: "\""):
            return skipString(s, from: start)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            var depth = 0
            var i = start
            while i < s.endIndex {
                switch s[i] {
                case UInt8(ascii: "\""):
                    guard let end = skipString(s, from: i) else { return nil }
                    i = end
                    continue
                case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default: break
                }
                i += 1
            }
            return nil
        default:
            var i = start
            while i < s.endIndex, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0D].contains(s[i]) { i += 1 }
            return i > start ? i : nil
        }
    }
}
