import Foundation
import WardCore
import WardParse
import WardTestSupport

/// Result of running one parser on one line.
struct LineOutcome {
    var error: LineParseError?
    var event: ReadEvent
}

enum Grammar { case rfc5424, rfc3164, detected }

/// Runs one parser (or the per-line detection) on `bytes` as a single line.
func parse(_ bytes: [UInt8], _ grammar: Grammar, options: ParseOptions = ParseOptions(),
           reference: Int64 = 1_700_000_000) -> LineOutcome {
    var batch = EventBatch()
    let chunk = Chunk(bytes: bytes, origin: testOrigin(reference: reference), framing: AuditRecordFraming())
    var error: LineParseError?
    bytes.withUnsafeBufferPointer { buf in
        let p = buf.baseAddress ?? UnsafePointer(bitPattern: 1)!
        batch.beginEvent(lineStart: 0, lineLength: bytes.count, fullLength: bytes.count, lineNumber: 1)
        switch grammar {
        case .rfc5424:
            switch RFC5424Parser.parse(p, count: bytes.count, base: 0, options: options, into: &batch) {
            case .success(let ts): batch.endEvent(dataset: .syslogRFC5424, timestamp: ts)
            case .failure(let e):
                error = e
                batch.endEvent(dataset: .unparsed, timestamp: EventRecord.noTimestamp)
            }
        case .rfc3164:
            switch RFC3164Parser.parse(p, count: bytes.count, base: 0, options: options, referenceSeconds: reference,
                                       into: &batch) {
            case .success(let ts): batch.endEvent(dataset: .syslogRFC3164, timestamp: ts)
            case .failure(let e):
                error = e
                batch.endEvent(dataset: .unparsed, timestamp: EventRecord.noTimestamp)
            }
        case .detected:
            EventParser(options: options).parseLine(p, count: bytes.count, base: 0, reference: reference, into: &batch)
        }
    }
    return LineOutcome(error: error, event: batch.readEvents(in: chunk)[0])
}

/// The line of a vector: `line`, or `line_base64` where the input is not valid UTF-8.
func vectorLine(_ row: [String: Any]) -> [UInt8] {
    if let text = row["line"] as? String { return Array(text.utf8) }
    return Array(Data(base64Encoded: row["line_base64"] as! String)!)
}

/// `"... [col 25]"` → 25.
func errorColumn(_ message: String) -> Int? {
    guard let open = message.range(of: "[col ", options: .backwards),
          let close = message.range(of: "]", range: open.upperBound..<message.endIndex) else { return nil }
    return Int(message[open.upperBound..<close.lowerBound])
}

let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]

/// Fields every syslog event gets from its PRI, which the vectors do not list.
let derivedFieldNames: Set<String> = ["log.syslog.facility.name", "log.syslog.severity.name"]

/// Fields `LinuxAuth` reads from the MSG of sshd, sudo, PAM and account-tool lines, which header
/// vectors do not list.
let linuxAuthFieldNames: Set<String> = [
    "event.action", "event.outcome", "user.name", "user.id", "user.effective.name", "user.effective.id",
    "user.target.name", "group.name", "group.id", "source.ip", "source.domain", "source.port",
    "system.auth.ssh.event", "system.auth.ssh.method", "system.auth.ssh.signature", "system.auth.sudo.tty",
    "system.auth.sudo.pwd", "system.auth.sudo.user", "system.auth.sudo.command", "system.auth.sudo.error",
    "system.auth.useradd.home", "system.auth.useradd.shell",
]
