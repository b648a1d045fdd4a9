import WardCore

/// The bytes of one line while a firewall parser reads it: the line, where it sits in the chunk,
/// and the range the vendor's text occupies (the syslog MSG, or the whole line without header).
public struct FirewallText {
    public let line: UnsafePointer<UInt8>
    /// Offset of the line in the chunk (field references are chunk-relative).
    public let base: Int
    public let start: Int
    public let end: Int

    public init(line: UnsafePointer<UInt8>, base: Int, start: Int, end: Int) {
        self.line = line
        self.base = base
        self.start = start
        self.end = end
    }

    subscript(i: Int) -> UInt8 { line[i] }

    /// Whether the text at `i` starts with `literal`.
    func has(_ literal: StaticString, at i: Int) -> Bool { ByteScan.has(literal, in: line, at: i, end: end) }

    /// The first index of `literal` in `from..<end`, or `nil`.
    func find(_ literal: StaticString, from: Int) -> Int? { ByteScan.find(literal, in: line, from: from, to: end) }

    /// A `"…"` value opening at `i` (backslash escapes skipped, an unclosed one runs to `end`): its
    /// content, with `i` moved past the closing quote. `nil` (and `i` unchanged) when `i` is no quote.
    func quoted(at i: inout Int, end: Int) -> Range<Int>? {
        guard i < end, line[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let s = i
        while i < end, line[i] != UInt8(ascii: "\"") { i += line[i] == UInt8(ascii: "\\") ? 2 : 1 }
        defer { i = min(end, i + 1) }
        return s..<min(i, end)
    }
}

/// Shared by the vendor parsers: adding fields, normalizing actions, reading key=value text.
public enum FirewallFields {
    /// Adds a well-known field with the bytes `range` of the line.
    static func add(_ id: FieldID, _ text: FirewallText, _ range: Range<Int>, _ kind: ValueKind = .text,
                    into batch: inout EventBatch) {
        guard !range.isEmpty else { return }
        batch.addField(id, kind, start: text.base + range.lowerBound, count: range.count)
    }

    /// Adds `<namespace>.<key>` with the value `value` (both ranges of the line).
    static func addVendor(_ namespace: FieldID, _ text: FirewallText, key: Range<Int>, value: ByteRef,
                          into batch: inout EventBatch) {
        guard !key.isEmpty else { return }
        batch.addNamedField(namespace, name: ByteRef(start: text.base + key.lowerBound, count: key.count, inScratch: false),
                            value: value)
    }

    /// Adds `<namespace>.<name>` for a fixed name (CSV positions, message parts).
    static func addVendor(_ namespace: FieldID, _ name: StaticString, _ text: FirewallText, _ range: Range<Int>,
                          into batch: inout EventBatch) {
        guard !range.isEmpty else { return }
        let start = batch.scratch.count
        name.withUTF8Buffer { batch.scratch.append(contentsOf: $0) }
        batch.addNamedField(namespace, name: ByteRef(start: start, count: name.utf8CodeUnitCount, inScratch: true),
                            value: ByteRef(start: text.base + range.lowerBound, count: range.count, inScratch: false))
    }

    /// Vendor words for each normalized action (compared case-insensitively).
    static let actionWords: [(word: StaticString, action: StaticString)] = [
        ("accept", "allow"), ("allow", "allow"), ("allowed", "allow"), ("accepted", "allow"), ("permit", "allow"),
        ("permitted", "allow"), ("pass", "allow"), ("built", "allow"), ("start", "allow"),
        ("deny", "deny"), ("denied", "deny"), ("block", "deny"), ("blocked", "deny"), ("reject", "deny"),
        ("rejected", "deny"), ("prohibit", "deny"),
        ("drop", "drop"), ("dropped", "drop"), ("discard", "drop"), ("discarded", "drop"),
        ("reset", "reset"), ("reset-both", "reset"), ("reset-client", "reset"), ("reset-server", "reset"),
        ("client-rst", "reset"), ("server-rst", "reset"),
        ("close", "close"), ("closed", "close"), ("teardown", "close"), ("timeout", "close"), ("end", "close"),
    ]

    /// `event.action` in wardwatch's vocabulary (`allow`, `deny`, `drop`, `reset`, `close`, `other`)
    /// for a vendor's word.
    static func normalizedAction(_ text: FirewallText, _ range: Range<Int>) -> StaticString {
        for entry in actionWords where equals(text, range, entry.word) { return entry.action }
        return "other"
    }

    static func addAction(_ vendorAction: Range<Int>, _ text: FirewallText, namespace: FieldID,
                          into batch: inout EventBatch) {
        guard !vendorAction.isEmpty else { return }
        batch.addField(.eventAction, literal: normalizedAction(text, vendorAction))
        addVendor(namespace, "action", text, vendorAction, into: &batch)
    }

    static func addVendorIdentity(_ vendor: StaticString, _ product: StaticString, into batch: inout EventBatch) {
        batch.addField(.observerVendor, literal: vendor)
        batch.addField(.observerProduct, literal: product)
    }

    /// Reads `key=value` pairs in `text.start..<text.end`: keys are `[A-Za-z0-9_.-]+`; values are
    /// double-quoted (backslash escapes kept as written) or run to the next space. Calls `pair`
    /// with the key and the value's range (without quotes). Stray tokens are skipped.
    /// - Complexity: O(*n*); no allocation.
    static func forEachPair(_ text: FirewallText, from: Int? = nil, _ pair: (Range<Int>, Range<Int>) -> Void) {
        var i = from ?? text.start
        let end = text.end
        while i < end {
            while i < end, text[i] == ASCII.space { i += 1 }
            let keyStart = i
            while i < end, isKeyByte(text[i]) { i += 1 }
            guard i < end, text[i] == UInt8(ascii: "="), i > keyStart else {
                // Not a pair: skip the token.
                while i < end, text[i] != ASCII.space { i += 1 }
                continue
            }
            let key = keyStart..<i
            i += 1
            if i < end, text[i] == UInt8(ascii: "\"") {
                i += 1
                let valueStart = i
                while i < end, text[i] != UInt8(ascii: "\"") {
                    if text[i] == UInt8(ascii: "\\") { i += 1 }
                    i += 1
                }
                let valueEnd = min(i, end)
                pair(key, valueStart..<valueEnd)
                i = min(end, i + 1)
            } else {
                let valueStart = i
                while i < end, text[i] != ASCII.space { i += 1 }
                pair(key, valueStart..<i)
            }
        }
    }

    static func isKeyByte(_ b: UInt8) -> Bool {
        ASCII.isLetter(b) || ASCII.isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    /// Compares a range of the text with a lower-case ASCII key.
    static func equals(_ text: FirewallText, _ range: Range<Int>, _ key: StaticString) -> Bool {
        guard range.count == key.utf8CodeUnitCount else { return false }
        let p = key.utf8Start
        for k in 0..<range.count where ASCII.lower(text[range.lowerBound + k]) != p[k] { return false }
        return true
    }

    /// Splits `a.b.c.d/port` (or `iface:a.b.c.d/port`): the interface, the address and the port.
    static func endpoint(_ text: FirewallText, _ range: Range<Int>) -> (interface: Range<Int>, ip: Range<Int>, port: Range<Int>) {
        var ipStart = range.lowerBound
        // An interface name before a colon, unless the address itself is IPv6 (several colons).
        var colons = 0
        var firstColon = -1
        for i in range where text[i] == UInt8(ascii: ":") {
            colons += 1
            if firstColon < 0 { firstColon = i }
        }
        var interface = range.lowerBound..<range.lowerBound
        if colons >= 1, firstColon >= 0 {
            let afterColon = firstColon + 1
            let rest = afterColon..<range.upperBound
            let restColons = rest.filter { text[$0] == UInt8(ascii: ":") }.count
            if colons == 1 || restColons >= 2 {
                interface = range.lowerBound..<firstColon
                ipStart = afterColon
            }
        }
        var slash = range.upperBound
        for i in ipStart..<range.upperBound where text[i] == UInt8(ascii: "/") {
            slash = i
            break
        }
        let port = slash < range.upperBound ? (slash + 1)..<range.upperBound : range.upperBound..<range.upperBound
        return (interface, ipStart..<slash, port)
    }
}
