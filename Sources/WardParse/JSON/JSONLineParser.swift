import WardCore

/// One JSON object per line (JSON lines: ECS documents, Winlogbeat, exported Windows events, …).
///
/// Nested objects are flattened to dotted keys (`{"a": {"b": 1}}` → `a.b`); an array's scalars all
/// take the array's key. Keys that are ECS names (`host.hostname`, `message`) become those fields;
/// the others live under ``FieldID/jsonField`` with the whole key as their name. `@timestamp`,
/// `timestamp` and a Windows event's `TimeCreated_SystemTime` give the event its time.
///
/// Windows events (`{"Event": {"System": …}}`, dataset `windows.eventlog`) are named as Sigma rules
/// expect, as SigmaHQ's regression runner, Chainsaw and Hayabusa do: `System` children by their name
/// (`EventID`, `Channel`), their XML attributes as `Tag_Attribute` (`Provider_Name`), `EventData`
/// and `UserData` children by their name with spaces removed (`CommandLine`, `SourceName`).
///
/// A byte-level parser, no DOM: names and unescaped strings go to the batch's scratch area, plain
/// strings and numbers stay ranges of the line. Nesting deeper than 32 levels is rejected.
public enum JSONLineParser {
    static let maxDepth = 32

    /// A key of the current path: a range of the line, or of scratch when it had escapes.
    struct Key {
        var start: Int
        var count: Int
        var inScratch: Bool
    }

    /// Parses one line into the current event of `batch`.
    /// - Returns: the event's time and whether it is a Windows event, or why the line is not JSON.
    public static func parse(
        _ line: UnsafePointer<UInt8>, count end: Int, base: Int, into batch: inout EventBatch
    ) -> Result<(timestamp: Int64, windows: Bool), LineParseError> {
        withUnsafeTemporaryAllocation(of: Key.self, capacity: maxDepth) { path in
            var state = State(line: line, end: end, base: base, path: path)
            do {
                state.skipSpace()
                guard state.i < end, line[state.i] == UInt8(ascii: "{") else {
                    throw LineParseError(column: state.i, message: "expected '{'")
                }
                try state.object(depth: 0, into: &batch)
                state.skipSpace()
                if state.i != end { throw LineParseError(column: state.i, message: "unexpected bytes after the JSON object") }
                return .success((state.timestamp, state.windows))
            } catch let error as LineParseError {
                return .failure(error)
            } catch {
                return .failure(LineParseError(column: state.i, message: "invalid JSON"))
            }
        }
    }

    struct State {
        let line: UnsafePointer<UInt8>
        let end: Int
        let base: Int
        let path: UnsafeMutableBufferPointer<Key>
        var i = 0
        var timestamp = EventRecord.noTimestamp
        var windows = false
        /// Objects and arrays open around the current byte (arrays add no key, so `depth` alone
        /// would not bound the recursion).
        var nesting = 0

        mutating func skipSpace() {
            while i < end, line[i] == 0x20 || line[i] == 0x09 || line[i] == 0x0D || line[i] == 0x0A { i += 1 }
        }

        func byte(_ key: Key, _ batch: EventBatch, _ k: Int) -> UInt8 {
            key.inScratch ? batch.scratch[key.start + k] : line[key.start + k]
        }

        func keyEquals(_ key: Key, _ batch: EventBatch, _ text: StaticString) -> Bool {
            guard key.count == text.utf8CodeUnitCount else { return false }
            let t = text.utf8Start
            for k in 0..<key.count where byte(key, batch, k) != t[k] { return false }
            return true
        }

        mutating func object(depth: Int, into batch: inout EventBatch) throws {
            guard depth < JSONLineParser.maxDepth, nesting < JSONLineParser.maxDepth else {
                throw LineParseError(column: i, message: "JSON nested deeper than 32 levels")
            }
            nesting += 1
            defer { nesting -= 1 }
            i += 1  // {
            skipSpace()
            if i < end, line[i] == UInt8(ascii: "}") {
                i += 1
                return
            }
            while true {
                skipSpace()
                guard i < end, line[i] == UInt8(ascii: "\"") else { throw LineParseError(column: i, message: "expected a key in double quotes") }
                path[depth] = try string(into: &batch)
                if depth == 1, keyEquals(path[0], batch, "Event"), keyEquals(path[1], batch, "System") { windows = true }
                skipSpace()
                guard i < end, line[i] == UInt8(ascii: ":") else { throw LineParseError(column: i, message: "expected ':' after the key") }
                i += 1
                skipSpace()
                try value(depth: depth + 1, into: &batch)
                skipSpace()
                guard i < end else { throw LineParseError(column: i, message: "the object is not closed") }
                if line[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard line[i] == UInt8(ascii: "}") else { throw LineParseError(column: i, message: "expected ',' or '}'") }
                i += 1
                return
            }
        }

        /// A value whose key path is `path[0..<depth]`.
        mutating func value(depth: Int, into batch: inout EventBatch) throws {
            guard i < end else { throw LineParseError(column: i, message: "expected a value") }
            switch line[i] {
            case UInt8(ascii: "{"):
                try object(depth: depth, into: &batch)
            case UInt8(ascii: "["):
                guard nesting < JSONLineParser.maxDepth else { throw LineParseError(column: i, message: "JSON nested deeper than 32 levels") }
                nesting += 1
                defer { nesting -= 1 }
                i += 1
                skipSpace()
                if i < end, line[i] == UInt8(ascii: "]") {
                    i += 1
                    return
                }
                while true {
                    skipSpace()
                    try value(depth: depth, into: &batch)
                    skipSpace()
                    guard i < end else { throw LineParseError(column: i, message: "the array is not closed") }
                    if line[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    guard line[i] == UInt8(ascii: "]") else { throw LineParseError(column: i, message: "expected ',' or ']'") }
                    i += 1
                    return
                }
            case UInt8(ascii: "\""):
                let s = try string(into: &batch)
                emit(depth: depth, value: ByteRef(start: s.inScratch ? s.start : base + s.start, count: s.count, inScratch: s.inScratch),
                     kind: .text, into: &batch)
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                let start = i
                for word: StaticString in ["true", "false", "null"] {
                    let n = word.utf8CodeUnitCount
                    if end - i >= n, (0..<n).allSatisfy({ line[i + $0] == word.utf8Start[$0] }) {
                        i += n
                        if n != 4 || line[start] != UInt8(ascii: "n") {
                            emit(depth: depth, value: ByteRef(start: base + start, count: n, inScratch: false), kind: .text, into: &batch)
                        }
                        return
                    }
                }
                throw LineParseError(column: i, message: "expected a value")
            default:
                let start = i
                if line[i] == UInt8(ascii: "-") { i += 1 }
                guard i < end, ASCII.isDigit(line[i]) else { throw LineParseError(column: start, message: "expected a value") }
                while i < end, ASCII.isDigit(line[i]) || line[i] == UInt8(ascii: ".") || line[i] == UInt8(ascii: "e")
                    || line[i] == UInt8(ascii: "E") || line[i] == UInt8(ascii: "+") || line[i] == UInt8(ascii: "-") { i += 1 }
                let integer = (start..<i).allSatisfy { ASCII.isDigit(line[$0]) || ($0 == start && line[$0] == UInt8(ascii: "-")) }
                emit(depth: depth, value: ByteRef(start: base + start, count: i - start, inScratch: false),
                     kind: integer ? .number : .text, into: &batch)
            }
        }

        /// A string at `i` (on its opening quote). Without escapes it is a range of the line;
        /// with them it is unescaped into scratch.
        mutating func string(into batch: inout EventBatch) throws -> Key {
            i += 1
            let start = i
            while i < end, line[i] != UInt8(ascii: "\""), line[i] != UInt8(ascii: "\\") { i += 1 }
            guard i < end else { throw LineParseError(column: i, message: "the string is not closed") }
            if line[i] == UInt8(ascii: "\"") {
                i += 1
                return Key(start: start, count: i - 1 - start, inScratch: false)
            }
            let out = batch.scratch.count
            batch.scratch.append(contentsOf: UnsafeBufferPointer(start: line + start, count: i - start))
            while true {
                guard i < end else { throw LineParseError(column: i, message: "the string is not closed") }
                let b = line[i]
                if b == UInt8(ascii: "\"") {
                    i += 1
                    return Key(start: out, count: batch.scratch.count - out, inScratch: true)
                }
                guard b == UInt8(ascii: "\\") else {
                    batch.scratch.append(b)
                    i += 1
                    continue
                }
                guard i + 1 < end else { throw LineParseError(column: i, message: "the string is not closed") }
                let e = line[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): batch.scratch.append(0x0A)
                case UInt8(ascii: "t"): batch.scratch.append(0x09)
                case UInt8(ascii: "r"): batch.scratch.append(0x0D)
                case UInt8(ascii: "b"): batch.scratch.append(0x08)
                case UInt8(ascii: "f"): batch.scratch.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00, i + 1 < end, line[i] == UInt8(ascii: "\\"), line[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low <= 0xDFFF {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            // An unpaired high surrogate (U+FFFD), then the second escape on its own.
                            batch.scratch.append(0xEF)
                            batch.scratch.append(0xBF)
                            batch.scratch.append(0xBD)
                            scalar = low
                        }
                    }
                    let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    for unit in UTF8.encode(s)! { batch.scratch.append(unit) }
                default: batch.scratch.append(e)
                }
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard end - i >= 4 else { throw LineParseError(column: i, message: "bad \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = line[i] | 0x20
                let d: UInt32
                if ASCII.isDigit(line[i]) { d = UInt32(line[i] - 0x30) } else if c >= 0x61 && c <= 0x66 { d = UInt32(c - 0x61 + 10) } else {
                    throw LineParseError(column: i, message: "bad \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        // MARK: - Names

        /// Adds the field for a scalar at `path[0..<depth]`.
        mutating func emit(depth: Int, value: ByteRef, kind: ValueKind, into batch: inout EventBatch) {
            let nameStart = batch.scratch.count
            if !windowsName(depth: depth, into: &batch) {
                for d in 0..<depth {
                    if d > 0 { batch.scratch.append(UInt8(ascii: ".")) }
                    append(path[d], stripSpaces: false, into: &batch)
                }
            }
            let nameCount = batch.scratch.count - nameStart
            if nameCount == 0 { return }  // an attribute of the root element: not a field
            let wellKnown = batch.scratch.withUnsafeBufferPointer {
                FieldID.wellKnown(UnsafeBufferPointer(rebasing: $0[nameStart..<(nameStart + nameCount)]))
            }
            let isTime = wellKnown.map { $0 == .timestamp } ?? isTimeField(nameStart, nameCount, batch)
            if wellKnown == .timestamp, timestamp == EventRecord.noTimestamp, let nanos = time(of: value, batch) {
                // `@timestamp` is the event's time, written once by the encoder, not a field.
                batch.scratch.removeSubrange(nameStart...)
                timestamp = nanos
                return
            }
            if let id = wellKnown, id != .timestamp {
                batch.scratch.removeSubrange(nameStart...)
                batch.fields.append(FieldSlot(id: id, kind: kind, value: value))
            } else {
                batch.addNamedField(.jsonField, name: ByteRef(start: nameStart, count: nameCount, inScratch: true), value: value, kind)
            }
            if timestamp == EventRecord.noTimestamp, isTime, let nanos = time(of: value, batch) { timestamp = nanos }
        }

        func time(of value: ByteRef, _ batch: EventBatch) -> Int64? {
            let parsed: ParsedTimestamp = value.inScratch
                ? batch.scratch.withUnsafeBufferPointer { RFC3339.parse($0.baseAddress! + Int(value.start), from: 0, to: Int(value.count), strict: false) }
                : RFC3339.parse(line + (Int(value.start) - base), from: 0, to: Int(value.count), strict: false)
            return parsed.errorAt == nil && parsed.end == Int(value.count) ? parsed.nanos : nil
        }

        func isTimeField(_ start: Int, _ count: Int, _ batch: EventBatch) -> Bool {
            batch.scratch.withUnsafeBufferPointer { s in
                let name = UnsafeBufferPointer(rebasing: s[start..<(start + count)])
                return name.elementsEqual("timestamp".utf8) || name.elementsEqual("TimeCreated_SystemTime".utf8)
            }
        }

        /// Sigma names for a Windows event's fields; `false` if the path is not one of them.
        mutating func windowsName(depth: Int, into batch: inout EventBatch) -> Bool {
            guard depth >= 2, keyEquals(path[0], batch, "Event") else { return false }
            if keyEquals(path[1], batch, "#attributes") { return true }  // xmlns: no field
            if keyEquals(path[1], batch, "System") {
                if depth == 3 {
                    append(path[2], stripSpaces: false, into: &batch)
                    return true
                }
                // An element with attributes and text: `"EventID":{"#attributes":{"Qualifiers":16384},"#text":7036}`
                // (Service Control Manager and other classic providers) — the text is the element's value.
                if depth == 4, keyEquals(path[3], batch, "#text") {
                    append(path[2], stripSpaces: false, into: &batch)
                    return true
                }
                if depth == 5, keyEquals(path[3], batch, "#attributes") {
                    append(path[2], stripSpaces: false, into: &batch)
                    batch.scratch.append(UInt8(ascii: "_"))
                    append(path[4], stripSpaces: false, into: &batch)
                    return true
                }
                return false
            }
            if keyEquals(path[1], batch, "EventData"), depth == 3 {
                append(path[2], stripSpaces: true, into: &batch)
                return true
            }
            if keyEquals(path[1], batch, "UserData"), depth == 4 {
                append(path[3], stripSpaces: true, into: &batch)
                return true
            }
            return false
        }

        func append(_ key: Key, stripSpaces: Bool, into batch: inout EventBatch) {
            for k in 0..<key.count {
                let b = byte(key, batch, k)
                if stripSpaces && b == ASCII.space { continue }
                batch.scratch.append(b)
            }
        }
    }
}
