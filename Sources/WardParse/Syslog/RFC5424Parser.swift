import WardCore

/// RFC 5424 syslog: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]`.
///
/// The header is validated as the RFC's ABNF says, byte by byte, so that a rejected line gets the
/// column of the first byte that does not fit (the influxdata/go-syslog conformance table is the
/// test). Structured data becomes `log.syslog.structured_data.<SD-ID>.<PARAM>` fields, with `\"`,
/// `\\` and `\]` unescaped; a BOM before MSG is dropped from `message`. One leniency: spaces between
/// a parameter's `=` and its opening quote are accepted (see below).
///
/// Values are byte ranges into the line; only unescaped SD values and SD field names are written to
/// the batch's scratch area. Nothing is allocated per line.
public enum RFC5424Parser {
    /// Parses one line into the current event of `batch` (between `beginEvent` and `endEvent`).
    ///
    /// - Parameters:
    ///   - line: the line's first byte; columns in errors count from here.
    ///   - count: the line's length.
    ///   - base: the line's offset in the chunk (field references are chunk-relative).
    /// - Returns: the timestamp (``EventRecord/noTimestamp`` for `-`), or where and why the line is
    ///   not RFC 5424. On failure the fields added so far are left for the caller to roll back.
    /// - Complexity: O(*n*) in the line's length; no allocation.
    @inlinable
    public static func parse(
        _ line: UnsafePointer<UInt8>, count end: Int, base: Int, options: ParseOptions,
        into batch: inout EventBatch
    ) -> Result<Int64, LineParseError> {
        // PRI
        let pri: (value: Int, next: Int)
        switch SyslogPriority.parse(line, at: 0, end: end) {
        case .success(let value): pri = value
        case .failure(let error): return .failure(error)
        }
        var i = pri.next
        SyslogPriority.addFields(pri.value, start: base + 1, count: i - 2, to: &batch)

        // VERSION: 1-999, then SP.
        let versionStart = i
        guard i < end, line[i] &- 0x31 < 9 else {
            return .failure(LineParseError(column: i, message: "expected a version from 1 to 999"))
        }
        i += 1
        while i < end, ASCII.isDigit(line[i]) {
            if i - versionStart == 3 {
                return .failure(LineParseError(column: i, message: "expected a version from 1 to 999"))
            }
            i += 1
        }
        batch.addField(.syslogVersion, .text, start: base + versionStart, count: i - versionStart)
        guard i < end, line[i] == ASCII.space else {
            return .failure(LineParseError(column: i, message: "expected a space after the version"))
        }
        i += 1

        // TIMESTAMP: RFC 3339 (upper-case, at most microseconds) or '-'.
        var timestamp = EventRecord.noTimestamp
        if i < end, line[i] == UInt8(ascii: "-") {
            i += 1
        } else {
            let stamp = RFC3339.parse(line, from: i, to: end, strict: true)
            if let at = stamp.errorAt {
                return .failure(LineParseError(
                    column: at,
                    message: stamp.isRangeError ? "timestamp names a day that does not exist"
                        : "expected an RFC 3339 timestamp or '-'"))
            }
            timestamp = stamp.nanos
            i = stamp.end
        }
        guard i < end, line[i] == ASCII.space else {
            return .failure(LineParseError(column: i, message: "expected a space after the timestamp"))
        }
        i += 1

        // HOSTNAME, APP-NAME, PROCID, MSGID: 1*N PRINTUSASCII or '-', each followed by SP.
        var msgID: Range<Int>?
        for field in 0..<4 {
            let range: Range<Int>?
            switch headerField(line, &i, end, maxLength: headerLimits[field], message: headerMessages[field]) {
            case .success(let value): range = value
            case .failure(let error): return .failure(error)
            }
            guard let range else { continue }
            switch field {
            case 0: batch.addField(.hostHostname, start: base + range.lowerBound, count: range.count)
            case 1: batch.addField(.processName, start: base + range.lowerBound, count: range.count)
            case 2:
                if range.count <= 10, isAllDigits(line, range) {
                    batch.addField(.processPID, .number, start: base + range.lowerBound, count: range.count)
                } else {
                    batch.addField(.syslogProcID, start: base + range.lowerBound, count: range.count)
                }
            default:
                msgID = range
                batch.addField(.syslogMsgID, start: base + range.lowerBound, count: range.count)
            }
        }

        // Firewalls that write their payload where structured data goes — Juniper SRX's
        // `[junos@2636…]` after a security event's name in MSGID (some releases quote values with
        // U+201D) and Check Point's `[key:"value"; …]` — keep it as the message in auto mode, for the
        // firewall parsers. (Other Junos daemons' lines keep their structured data.)
        if options.format == .auto, i < end, line[i] == UInt8(ascii: "["),
           isVendorPayload(line, at: i, end: end, msgID: msgID) {
            batch.addField(.message, start: base + i, count: end - i)
            return .success(timestamp)
        }

        // STRUCTURED-DATA: '-' or one or more elements.
        if i < end, line[i] == UInt8(ascii: "-") {
            i += 1
        } else if i < end, line[i] == UInt8(ascii: "[") {
            if let error = structuredData(line, &i, end, base: base, into: &batch) { return .failure(error) }
        } else {
            return .failure(LineParseError(column: i, message: "expected structured data ('[id param=\"value\"]') or '-'"))
        }

        // MSG
        if i < end {
            guard line[i] == ASCII.space else {
                return .failure(LineParseError(column: i, message: "expected a space before the message"))
            }
            i += 1
            if end - i >= 3, line[i] == 0xEF, line[i + 1] == 0xBB, line[i + 2] == 0xBF {
                i += 3
                if options.requireUTF8AfterBOM, let bad = UTF8Scan.firstInvalidByte(line, from: i, to: end) {
                    return .failure(LineParseError(column: bad, message: "a message that starts with a BOM must be valid UTF-8"))
                }
            }
            if i < end { batch.addField(.message, start: base + i, count: end - i) }
        }
        return .success(timestamp)
    }

    @usableFromInline static let headerLimits = [255, 48, 128, 32]
    @usableFromInline static let headerMessages: [StaticString] = [
        "expected a hostname of 1 to 255 printable ASCII characters or '-'",
        "expected an app-name of 1 to 48 printable ASCII characters or '-'",
        "expected a procid of 1 to 128 printable ASCII characters or '-'",
        "expected a msgid of 1 to 32 printable ASCII characters or '-'",
    ]

    /// Reads a header field ending in SP; `nil` for the NILVALUE `-`. On failure, `i` is the column.
    @inlinable
    static func headerField(
        _ line: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int, maxLength: Int, message: StaticString
    ) -> Result<Range<Int>?, LineParseError> {
        let start = i
        while i < end, ASCII.isPrintNoSpace(line[i]) {
            if i - start == maxLength { return .failure(LineParseError(column: i, message: message)) }
            i += 1
        }
        guard i > start, i < end, line[i] == ASCII.space else {
            return .failure(LineParseError(column: i, message: message))
        }
        let field = start..<i
        i += 1
        if field.count == 1, line[start] == UInt8(ascii: "-") { return .success(nil) }
        return .success(field)
    }

    @inlinable
    static func isAllDigits(_ line: UnsafePointer<UInt8>, _ range: Range<Int>) -> Bool {
        for j in range where !ASCII.isDigit(line[j]) { return false }
        return true
    }

    /// Whether the bracket at `i` opens a Juniper (`[junos@` after an event name the Juniper parser
    /// reads) or Check Point (`[key:"` or `[key::`) payload rather than RFC 5424 structured data.
    @inlinable
    static func isVendorPayload(_ line: UnsafePointer<UInt8>, at i: Int, end: Int, msgID: Range<Int>?) -> Bool {
        if ByteScan.has("[junos@", in: line, at: i, end: end) {
            return msgID.map { JuniperSRXParser.readsStructuredData(line, msgID: $0) } ?? false
        }
        var j = i + 1
        while j < end, j - i < 48, ASCII.isLetter(line[j]) || ASCII.isDigit(line[j]) || line[j] == UInt8(ascii: "_") { j += 1 }
        return j > i + 1 && j + 1 < end && line[j] == UInt8(ascii: ":")
            && (line[j + 1] == UInt8(ascii: "\"") || line[j + 1] == UInt8(ascii: ":"))
    }

    /// SD-NAME: 1*32 PRINTUSASCII except `=`, SP, `]`, `"`.
    @inlinable
    static func isSDNameByte(_ b: UInt8) -> Bool {
        ASCII.isPrintNoSpace(b) && b != UInt8(ascii: "=") && b != UInt8(ascii: "]") && b != UInt8(ascii: "\"")
    }

    /// Parses SD-ELEMENTs starting at `[`. Returns an error, or `nil` with `i` after the last `]`.
    @inlinable
    static func structuredData(
        _ line: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int, base: Int, into batch: inout EventBatch
    ) -> LineParseError? {
        // SD-IDs seen so far in this line, to reject duplicates (RFC 5424 §6.3.2) without allocating.
        var seen: (Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>) =
            (0..<0, 0..<0, 0..<0, 0..<0, 0..<0, 0..<0, 0..<0, 0..<0)
        var seenCount = 0
        while i < end, line[i] == UInt8(ascii: "[") {
            i += 1
            let idStart = i
            while i < end, isSDNameByte(line[i]) {
                if i - idStart == 32 { return LineParseError(column: i, message: "expected an SD-ID of 1 to 32 characters") }
                i += 1
            }
            if i == idStart { return LineParseError(column: i, message: "expected an SD-ID of 1 to 32 characters") }
            let id = idStart..<i
            let duplicate = withUnsafeBytes(of: &seen) { raw -> Bool in
                let ranges = raw.bindMemory(to: Range<Int>.self)
                for k in 0..<min(seenCount, 8) where ranges[k].count == id.count
                    && memcmpEqual(line, ranges[k].lowerBound, id.lowerBound, id.count) {
                    return true
                }
                return false
            }
            if duplicate { return LineParseError(column: i, message: "duplicate SD-ID in structured data") }
            if seenCount < 8 {
                withUnsafeMutableBytes(of: &seen) { raw in raw.bindMemory(to: Range<Int>.self)[seenCount] = id }
            }
            seenCount += 1
            // SD-PARAMs
            while true {
                guard i < end else { return LineParseError(column: i, message: "structured data element is not closed with ']'") }
                if line[i] == UInt8(ascii: "]") {
                    i += 1
                    break
                }
                guard line[i] == ASCII.space else {
                    return LineParseError(column: i, message: "expected a space and a parameter, or ']'")
                }
                i += 1
                let nameStart = i
                while i < end, isSDNameByte(line[i]) {
                    if i - nameStart == 32 { return LineParseError(column: i, message: "expected a parameter name of 1 to 32 characters") }
                    i += 1
                }
                if i == nameStart { return LineParseError(column: i, message: "expected a parameter name of 1 to 32 characters") }
                let name = nameStart..<i
                guard i < end, line[i] == UInt8(ascii: "=") else { return LineParseError(column: i, message: "expected '=' after the parameter name") }
                i += 1
                // Leniency: RFC 5424's own example 3 circulates as `eventSource= "Application"`; rsyslog
                // and Vector accept the space, and so do we rather than lose the line's header.
                while i < end, line[i] == ASCII.space { i += 1 }
                guard i < end, line[i] == UInt8(ascii: "\"") else { return LineParseError(column: i, message: "expected '\"' to open the parameter value") }
                i += 1
                let valueStart = i
                var escaped = false
                while true {
                    guard i < end else { return LineParseError(column: i, message: "parameter value is not closed with '\"'") }
                    let b = line[i]
                    if b == UInt8(ascii: "\\") {
                        escaped = true
                        i += i + 1 < end ? 2 : 1
                    } else if b == UInt8(ascii: "\"") {
                        break
                    } else if b == UInt8(ascii: "]") {
                        return LineParseError(column: i, message: "']' must be escaped as '\\]' inside a parameter value")
                    } else {
                        i += 1
                    }
                }
                let valueEnd = i
                i += 1  // closing quote
                // Name: "<SD-ID>.<PARAM-NAME>" in scratch.
                let nameRef = batch.scratch.count
                batch.scratch.append(contentsOf: UnsafeBufferPointer(start: line + id.lowerBound, count: id.count))
                batch.scratch.append(UInt8(ascii: "."))
                batch.scratch.append(contentsOf: UnsafeBufferPointer(start: line + name.lowerBound, count: name.count))
                let nameBytes = ByteRef(start: nameRef, count: batch.scratch.count - nameRef, inScratch: true)
                let value: ByteRef
                if escaped {
                    let valueRef = batch.scratch.count
                    var j = valueStart
                    while j < valueEnd {
                        let b = line[j]
                        if b == UInt8(ascii: "\\"), j + 1 < valueEnd,
                           line[j + 1] == UInt8(ascii: "\"") || line[j + 1] == UInt8(ascii: "\\") || line[j + 1] == UInt8(ascii: "]") {
                            batch.scratch.append(line[j + 1])
                            j += 2
                        } else {
                            batch.scratch.append(b)
                            j += 1
                        }
                    }
                    value = ByteRef(start: valueRef, count: batch.scratch.count - valueRef, inScratch: true)
                } else {
                    value = ByteRef(start: base + valueStart, count: valueEnd - valueStart, inScratch: false)
                }
                batch.addNamedField(.structuredData, name: nameBytes, value: value)
                guard i < end, line[i] == ASCII.space || line[i] == UInt8(ascii: "]") else {
                    return LineParseError(column: i, message: "expected a space and a parameter, or ']'")
                }
            }
        }
        return nil
    }

    @inlinable
    static func memcmpEqual(_ p: UnsafePointer<UInt8>, _ a: Int, _ b: Int, _ n: Int) -> Bool {
        for k in 0..<n where p[a + k] != p[b + k] { return false }
        return true
    }
}
