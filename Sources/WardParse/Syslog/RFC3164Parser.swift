import WardCore

/// RFC 3164 (BSD) syslog as it really appears: in `/var/log` files without `<PRI>`, from relays with
/// it, with the year-less `Mmm dd hh:mm:ss` stamp or an RFC 3339 one in its place (rsyslog's
/// high-precision format), with or without a hostname, and a tag with or without `[pid]`.
///
/// `<PRI>? TIMESTAMP SP [HOSTNAME SP] [TAG[ '[' PID ']' ] ':' SP*] MSG`
///
/// What counts as a tag follows what Elastic's and Loghub's parsers accept, since that is what real
/// files hold: the text up to the first `:` or `[pid]`, which may contain one inner space
/// (`syslogd 1.4.1: restart.`), but not two (then the line has no tag, as in
/// `host Some message here`). A token after the timestamp that ends in `:` or holds `[` is the tag of a
/// line without hostname.
public enum RFC3164Parser {
    /// The longest tag we look for; real tags are far shorter, and bounding the scan keeps a line
    /// without tag from being searched to its end.
    @usableFromInline static let maxTagLength = 128

    /// Parses one line into the current event of `batch`.
    /// - Parameters: as ``RFC5424Parser/parse(_:count:base:options:into:)``; `referenceSeconds` dates
    ///   year-less stamps.
    /// - Returns: the timestamp, or why the line is not RFC 3164 (no recognizable timestamp).
    /// - Complexity: O(*n*) in the line's length; no allocation.
    @inlinable
    public static func parse(
        _ line: UnsafePointer<UInt8>, count end: Int, base: Int, options: ParseOptions, referenceSeconds: Int64,
        into batch: inout EventBatch
    ) -> Result<Int64, LineParseError> {
        var i = 0
        if end > 0, line[0] == UInt8(ascii: "<") {
            switch SyslogPriority.parse(line, at: 0, end: end) {
            case .success(let pri):
                SyslogPriority.addFields(pri.value, start: base + 1, count: pri.next - 2, to: &batch)
                i = pri.next
            case .failure(let error):
                return .failure(error)
            }
            while i < end, line[i] == ASCII.space { i += 1 }
        }

        // TIMESTAMP
        let timestamp: Int64
        if let bsd = BSDTimestamp.parse(line, from: i, to: end, year: options.year, referenceSeconds: referenceSeconds,
                                        offsetSeconds: options.assumedOffsetSeconds) {
            timestamp = bsd.nanos
            i = bsd.end
        } else {
            let iso = RFC3339.parse(line, from: i, to: end, strict: false, assumedOffsetSeconds: options.assumedOffsetSeconds)
            guard iso.errorAt == nil else {
                return .failure(LineParseError(column: i, message: "expected a syslog timestamp ('Mmm dd hh:mm:ss' or RFC 3339)"))
            }
            timestamp = iso.nanos
            i = iso.end
        }
        if i < end, line[i] == UInt8(ascii: ":") { i += 1 }  // Cisco: "Mar  7 19:06:53: host ..."
        guard i == end || line[i] == ASCII.space else {
            return .failure(LineParseError(column: i, message: "expected a space after the timestamp"))
        }
        while i < end, line[i] == ASCII.space { i += 1 }
        if i == end { return .success(timestamp) }

        // HOSTNAME, unless the first token is already the tag.
        var tokenEnd = i
        var tokenHasBracket = false
        while tokenEnd < end, line[tokenEnd] != ASCII.space {
            if line[tokenEnd] == UInt8(ascii: "[") { tokenHasBracket = true }
            tokenEnd += 1
        }
        let tokenIsTag = tokenHasBracket || line[tokenEnd - 1] == UInt8(ascii: ":")
        if !tokenIsTag {
            batch.addField(.hostHostname, start: base + i, count: tokenEnd - i)
            i = tokenEnd
            while i < end, line[i] == ASCII.space { i += 1 }
        }

        // TAG[PID]:
        let messageStart = tag(line, from: i, end: end, base: base, into: &batch)
        if messageStart < end {
            batch.addField(.message, start: base + messageStart, count: end - messageStart)
        }
        return .success(timestamp)
    }

    /// Finds a tag at `start`, adds `process.name` (and `process.pid` or `log.syslog.procid`).
    /// - Returns: where the message starts (`start` when there is no tag).
    @inlinable
    static func tag(_ line: UnsafePointer<UInt8>, from start: Int, end: Int, base: Int,
                    into batch: inout EventBatch) -> Int {
        let limit = min(end, start + maxTagLength)
        var spaces = 0
        var j = start
        while j < limit {
            let b = line[j]
            if b == UInt8(ascii: ":") {
                guard j > start, line[j - 1] != ASCII.space else { return start }
                // "CEF:0|…" and "LEEF:1.0|…" are the message, not a tag.
                let n = j - start
                if (n == 3 || n == 4), j + 1 < end, ASCII.isDigit(line[j + 1]),
                   (n == 3 && line[start] == UInt8(ascii: "C") && line[start + 1] == UInt8(ascii: "E") && line[start + 2] == UInt8(ascii: "F"))
                    || (n == 4 && line[start] == UInt8(ascii: "L") && line[start + 1] == UInt8(ascii: "E")
                        && line[start + 2] == UInt8(ascii: "E") && line[start + 3] == UInt8(ascii: "F")) {
                    return start
                }
                batch.addField(.processName, start: base + start, count: j - start)
                j += 1
                while j < end, line[j] == ASCII.space { j += 1 }  // "sudo:  alice : TTY=…"
                return j
            }
            if b == UInt8(ascii: "[") {
                guard j > start, line[j - 1] != ASCII.space else { return start }
                var k = j + 1
                while k < limit, line[k] != UInt8(ascii: "]") { k += 1 }
                guard k < limit else { return start }
                let after = k + 1
                guard after == end || line[after] == UInt8(ascii: ":") || line[after] == ASCII.space else { return start }
                batch.addField(.processName, start: base + start, count: j - start)
                let pid = (j + 1)..<k
                if !pid.isEmpty {
                    if pid.count <= 10, RFC5424Parser.isAllDigits(line, pid) {
                        batch.addField(.processPID, .number, start: base + pid.lowerBound, count: pid.count)
                    } else {
                        batch.addField(.syslogProcID, start: base + pid.lowerBound, count: pid.count)
                    }
                }
                var m = after
                if m < end, line[m] == UInt8(ascii: ":") { m += 1 }
                while m < end, line[m] == ASCII.space { m += 1 }
                return m
            }
            if b == ASCII.space {
                spaces += 1
                if spaces > 1 { return start }
            }
            // "date=… time=17:31:09" and "1,2026/11/22 08:01:02,…" are data, not tags.
            if b == UInt8(ascii: "=") || b == UInt8(ascii: ",") { return start }
            j += 1
        }
        return start
    }
}
