import WardCore

/// ArcSight Common Event Format: `CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|ext`.
///
/// Header fields escape `|` and `\` with a backslash. The extension is `key=value` pairs whose values
/// may contain spaces: a value ends where the next ` key=` starts; inside values `\=`, `\\`, `\n`
/// and `\r` are escapes. The ArcSight keys `src dst spt dpt act proto suser duser` become ECS fields;
/// custom pairs (`cs1Label=Ward cs1=ICU`) become named fields (`cef.Ward`). Every key is `cef.<key>`,
/// the header is `cef.version`, `cef.device_vendor`, … `cef.severity`.
public enum CEFParser {
    /// The index of `CEF:` at the start of the text (after spaces), if any.
    public static func start(_ t: FirewallText) -> Int? {
        var i = t.start
        while i < t.end, t[i] == ASCII.space { i += 1 }
        return t.has("CEF:", at: i) ? i : nil
    }

    static let headerNames: [StaticString] = ["version", "device_vendor", "device_product", "device_version",
                                              "signature_id", "name", "severity"]

    /// - Returns: `false` when the header is incomplete (the line stays `unparsed`).
    public static func parse(_ t: FirewallText, at cef: Int, into batch: inout EventBatch) -> Bool {
        // Header: seven fields separated by unescaped '|' (kept on the stack: no allocation).
        return withUnsafeTemporaryAllocation(of: (range: Range<Int>, escaped: Bool).self, capacity: 7) { header in
            var i = cef + 4
            var n = 0
            var start = i
            var escaped = false
            while i < t.end, n < 7 {
                let b = t[i]
                if b == UInt8(ascii: "\\"), i + 1 < t.end {
                    escaped = true
                    i += 2
                    continue
                }
                if b == UInt8(ascii: "|") {
                    header[n] = (start..<i, escaped)
                    n += 1
                    start = i + 1
                    escaped = false
                }
                i += 1
            }
            guard n == 7 else { return false }
            for k in 0..<7 {
                let value = header[k].escaped ? unescapeHeader(t, header[k].range, into: &batch)
                    : ByteRef(start: t.base + header[k].range.lowerBound, count: header[k].range.count, inScratch: false)
                let nameStart = batch.scratch.count
                headerNames[k].withUTF8Buffer { batch.scratch.append(contentsOf: $0) }
                batch.addNamedField(.cefNamespace, name: ByteRef(start: nameStart, count: headerNames[k].utf8CodeUnitCount, inScratch: true), value: value)
                switch k {
                case 1: batch.fields.append(FieldSlot(id: .observerVendor, kind: .text, value: value))
                case 2: batch.fields.append(FieldSlot(id: .observerProduct, kind: .text, value: value))
                case 4: batch.fields.append(FieldSlot(id: .eventCode, kind: .text, value: value))
                default: break
                }
            }
            extensions(t, from: start, into: &batch)
            return true
        }
    }

    static func unescapeHeader(_ t: FirewallText, _ r: Range<Int>, into batch: inout EventBatch) -> ByteRef {
        let out = batch.scratch.count
        var i = r.lowerBound
        while i < r.upperBound {
            if t[i] == UInt8(ascii: "\\"), i + 1 < r.upperBound {
                batch.scratch.append(t[i + 1])
                i += 2
            } else {
                batch.scratch.append(t[i])
                i += 1
            }
        }
        return ByteRef(start: out, count: batch.scratch.count - out, inScratch: true)
    }

    static func isKeyByte(_ b: UInt8) -> Bool {
        ASCII.isLetter(b) || ASCII.isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "[") || b == UInt8(ascii: "]")
    }

    /// If a `key=` starts at `i`, the index of its '='.
    static func keyAt(_ t: FirewallText, _ i: Int) -> Int? {
        var j = i
        while j < t.end, isKeyByte(t[j]) { j += 1 }
        return j > i && j < t.end && t[j] == UInt8(ascii: "=") ? j : nil
    }

    static func extensions(_ t: FirewallText, from: Int, into batch: inout EventBatch) {
        // Pairs are remembered to resolve custom labels after the loop: the first 24 (on the stack;
        // a larger buffer would be heap-allocated per event, and real CEF lines carry fewer labels).
        withUnsafeTemporaryAllocation(of: (key: Range<Int>, value: ByteRef).self, capacity: 24) { pairs in
            var count = 0
            var i = from
            while i < t.end, t[i] == ASCII.space { i += 1 }
            while i < t.end {
                guard let eq = keyAt(t, i) else {
                    // Not a pair (e.g. "n,me=value"): skip the token.
                    while i < t.end, t[i] != ASCII.space { i += 1 }
                    while i < t.end, t[i] == ASCII.space { i += 1 }
                    continue
                }
                let key = i..<eq
                var j = eq + 1
                let valueStart = j
                var valueEnd = t.end
                var hasEscape = false
                while j < t.end {
                    if t[j] == UInt8(ascii: "\\") {
                        hasEscape = true
                        j += 2
                        continue
                    }
                    if t[j] == ASCII.space, keyAt(t, j + 1) != nil {
                        valueEnd = j
                        break
                    }
                    j += 1
                }
                valueEnd = min(valueEnd, t.end)
                var trimmed = valueEnd
                while trimmed > valueStart, t[trimmed - 1] == ASCII.space { trimmed -= 1 }
                let value = hasEscape ? unescapeValue(t, valueStart..<trimmed, into: &batch)
                    : ByteRef(start: t.base + valueStart, count: trimmed - valueStart, inScratch: false)
                if count < 24 {
                    pairs[count] = (key, value)
                    count += 1
                }
                FirewallFields.addVendor(.cefNamespace, t, key: key, value: value, into: &batch)
                map(t, key, value, into: &batch)
                i = valueEnd
                while i < t.end, t[i] == ASCII.space { i += 1 }
            }
            // Custom labels: "<key>Label=<name>" names the value of "<key>".
            for a in 0..<count {
                let key = pairs[a].key
                guard key.count > 5, t.has("Label", at: key.upperBound - 5) else { continue }
                let base = key.lowerBound..<(key.upperBound - 5)
                for b in 0..<count where pairs[b].key.count == base.count
                    && zip(pairs[b].key, base).allSatisfy({ t[$0] == t[$1] }) {
                    batch.addNamedField(.cefNamespace, name: pairs[a].value, value: pairs[b].value)
                }
            }
        }
    }

    static func unescapeValue(_ t: FirewallText, _ r: Range<Int>, into batch: inout EventBatch) -> ByteRef {
        let out = batch.scratch.count
        var i = r.lowerBound
        while i < r.upperBound {
            if t[i] == UInt8(ascii: "\\"), i + 1 < r.upperBound {
                switch t[i + 1] {
                case UInt8(ascii: "n"): batch.scratch.append(0x0A)
                case UInt8(ascii: "r"): batch.scratch.append(0x0D)
                case UInt8(ascii: "="), UInt8(ascii: "\\"): batch.scratch.append(t[i + 1])
                default:
                    batch.scratch.append(t[i])
                    batch.scratch.append(t[i + 1])
                }
                i += 2
            } else {
                batch.scratch.append(t[i])
                i += 1
            }
        }
        return ByteRef(start: out, count: batch.scratch.count - out, inScratch: true)
    }

    /// The ArcSight keys that are ECS fields.
    static func map(_ t: FirewallText, _ key: Range<Int>, _ value: ByteRef, into batch: inout EventBatch) {
        func add(_ id: FieldID, _ kind: ValueKind = .text) {
            if value.count > 0 { batch.fields.append(FieldSlot(id: id, kind: kind, value: value)) }
        }
        switch key.count {
        case 3 where FirewallFields.equals(t, key, "src"): add(.sourceIP)
        case 3 where FirewallFields.equals(t, key, "dst"): add(.destinationIP)
        case 3 where FirewallFields.equals(t, key, "spt"): add(.sourcePort, .number)
        case 3 where FirewallFields.equals(t, key, "dpt"): add(.destinationPort, .number)
        case 3 where FirewallFields.equals(t, key, "act"):
            if !value.inScratch {
                let r = (Int(value.start) - t.base)..<(Int(value.start) - t.base + Int(value.count))
                batch.addField(.eventAction, literal: FirewallFields.normalizedAction(t, r))
            }
        case 5 where FirewallFields.equals(t, key, "proto"):
            if !value.inScratch {
                IANAProtocol.add(t, (Int(value.start) - t.base)..<(Int(value.start) - t.base + Int(value.count)), into: &batch)
            }
        case 5 where FirewallFields.equals(t, key, "suser"):
            add(.userName)
            add(.sourceUserName)
        case 5 where FirewallFields.equals(t, key, "duser"): add(.destinationUserName)
        default: break
        }
    }
}

/// IBM QRadar Log Event Extended Format: `LEEF:1.0|Vendor|Product|Version|EventID|` then
/// tab-separated `key=value` attributes; LEEF 2.0 adds a delimiter field after the event ID (a
/// character, or its hex code such as `^` or `x5E`). `src dst srcPort dstPort proto usrName action`
/// become ECS fields; every key is `leef.<key>`.
public enum LEEFParser {
    public static func start(_ t: FirewallText) -> Int? {
        var i = t.start
        while i < t.end, t[i] == ASCII.space { i += 1 }
        return t.has("LEEF:", at: i) ? i : nil
    }

    public static func parse(_ t: FirewallText, at leef: Int, into batch: inout EventBatch) -> Bool {
        var i = leef + 5
        let version2 = t.has("2.0", at: i)
        let wanted = version2 ? 6 : 5
        var barsFound = 0
        var positions: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)
        while i < t.end, barsFound < wanted {
            if t[i] == UInt8(ascii: "|") {
                withUnsafeMutableBytes(of: &positions) { $0.bindMemory(to: Int.self)[barsFound] = i }
                barsFound += 1
            }
            i += 1
        }
        guard barsFound == wanted else { return false }
        func p(_ k: Int) -> Int { withUnsafeBytes(of: positions) { $0.load(fromByteOffset: k * MemoryLayout<Int>.stride, as: Int.self) } }
        let vendor = (p(0) + 1)..<p(1), product = (p(1) + 1)..<p(2), eventID = (p(3) + 1)..<p(4)
        FirewallFields.add(.observerVendor, t, vendor, into: &batch)
        FirewallFields.add(.observerProduct, t, product, into: &batch)
        FirewallFields.add(.eventCode, t, eventID, into: &batch)
        FirewallFields.addVendor(.leefNamespace, "version", t, (leef + 5)..<p(0), into: &batch)
        FirewallFields.addVendor(.leefNamespace, "event_id", t, eventID, into: &batch)
        var delimiter: UInt8 = 0x09
        if version2 {
            let d = (p(4) + 1)..<p(5)
            if d.count == 1 {
                delimiter = t[d.lowerBound]
            } else if d.count >= 2, let hex = hexByte(t, d) {
                delimiter = hex
            }
        }
        var k = p(wanted - 1) + 1
        while k < t.end {
            var e = k
            while e < t.end, t[e] != delimiter { e += 1 }
            if let eq = (k..<e).first(where: { t[$0] == UInt8(ascii: "=") }), eq > k {
                let key = k..<eq, value = (eq + 1)..<e
                FirewallFields.addVendor(.leefNamespace, t, key: key, value: ByteRef(start: t.base + value.lowerBound, count: value.count, inScratch: false), into: &batch)
                if FirewallFields.equals(t, key, "src") { FirewallFields.add(.sourceIP, t, value, into: &batch) }
                else if FirewallFields.equals(t, key, "dst") { FirewallFields.add(.destinationIP, t, value, into: &batch) }
                else if FirewallFields.equals(t, key, "srcport") { FirewallFields.add(.sourcePort, t, value, .number, into: &batch) }
                else if FirewallFields.equals(t, key, "dstport") { FirewallFields.add(.destinationPort, t, value, .number, into: &batch) }
                else if FirewallFields.equals(t, key, "proto") { IANAProtocol.add(t, value, into: &batch) }
                else if FirewallFields.equals(t, key, "usrname") { FirewallFields.add(.userName, t, value, into: &batch) }
                else if FirewallFields.equals(t, key, "action") {
                    batch.addField(.eventAction, literal: FirewallFields.normalizedAction(t, value))
                }
            }
            k = e + 1
        }
        return true
    }

    /// `x5E`, `0x5E` or `5E` → 0x5E.
    static func hexByte(_ t: FirewallText, _ r: Range<Int>) -> UInt8? {
        var digits = r
        if t[digits.lowerBound] | 0x20 == UInt8(ascii: "x") { digits = (digits.lowerBound + 1)..<digits.upperBound }
        else if digits.count > 2, t[digits.lowerBound] == UInt8(ascii: "0"), t[digits.lowerBound + 1] | 0x20 == UInt8(ascii: "x") {
            digits = (digits.lowerBound + 2)..<digits.upperBound
        }
        guard digits.count == 2 else { return nil }
        var v: UInt8 = 0
        for i in digits {
            let c = t[i] | 0x20
            if ASCII.isDigit(t[i]) { v = v << 4 | (t[i] - 0x30) } else if c >= 0x61 && c <= 0x66 { v = v << 4 | (c - 0x57) } else { return nil }
        }
        return v
    }
}
