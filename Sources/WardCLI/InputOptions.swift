import ArgumentParser
import Foundation
import WardIngest
import WardParse
import WardPipeline

extension LogFormat: ExpressibleByArgument {}
extension InputOrder: ExpressibleByArgument {}

/// The inputs of a command that reads files or stdin, and how they are read and parsed.
public struct InputOptions: ParsableArguments {
    public init() {}

    @Argument(help: "Files or directories to read (directories recursively, in name order; .gz detected by content). '-' or nothing reads stdin.")
    public var paths: [String] = []

    @Option(help: "Order of output across several inputs: event-time (merged by the events' own time; the default for scan with several inputs) or input (input after input).")
    public var order: InputOrder?

    @Option(name: .customLong("reorder-window"),
            help: "Seconds by which events inside one input may be out of order and still be put in order (with --order event-time).")
    public var reorderWindow: Int = 60

    @OptionGroup var read: ReadOptions

    public mutating func validate() throws {
        guard reorderWindow >= 0, reorderWindow <= 86_400 * 366 else {
            throw ValidationError("'--reorder-window' must be between 0 and 31622400 seconds, not \(reorderWindow).")
        }
    }

    public func parseOptions(format: LogFormat) throws -> ParseOptions { try read.parseOptions(format: format) }
    public func ingestOptions(for parser: EventParser) -> IngestOptions { read.ingestOptions(for: parser) }
}

/// How lines are read and parsed (time zone, limits, patient data); shared by every command that
/// reads logs, whatever its inputs.
public struct ReadOptions: ParsableArguments {
    public init() {}

    @Option(help: "Year of year-less syslog timestamps ('Mmm dd hh:mm:ss'). Default: inferred from each file's modification time.")
    public var year: Int?

    @Option(name: .customLong("tz-offset"),
            help: "UTC offset of timestamps without a zone, as +HH:MM or -HH:MM.")
    public var tzOffset: String = "+00:00"

    @Option(name: .customLong("max-line-bytes"), help: "Cut lines longer than this many bytes (the cut is flagged and reported).")
    public var maxLineBytes: Int = 1 << 20

    @Option(name: .customLong("max-record-bytes"),
            help: "Cut multi-line records (an HL7 message one segment per line, an XML audit message) longer than this many bytes (the cut is flagged and reported).")
    public var maxRecordBytes: Int = 16 << 20

    @Option(name: .customLong("phi-key-file"),
            help: "File holding the secret key (16 bytes or more) for patient pseudonyms; also WARDWATCH_PHI_KEY. Without one, a random key for this run.")
    public var phiKeyFile: String?

    @Option(name: .customLong("formats"),
            help: "Folder or file of log format definitions (YAML: grok patterns, time layouts) to use besides the bundled Rules/formats; may be repeated.")
    public var formats: [String] = []

    @Flag(name: .customLong("reveal-phi"),
          help: "Write patient names, birth dates, addresses and identifiers as read (HL7, ATNA, FHIR). Off by default.")
    public var revealPHI = false

    public mutating func validate() throws {
        guard maxLineBytes >= 64, maxLineBytes <= 1 << 30 else {
            throw ValidationError("'--max-line-bytes' must be between 64 and 1073741824, not \(maxLineBytes).")
        }
        guard maxRecordBytes >= maxLineBytes, maxRecordBytes <= 1 << 30 else {
            throw ValidationError("'--max-record-bytes' must be between '--max-line-bytes' (\(maxLineBytes)) and 1073741824, not \(maxRecordBytes).")
        }
        if let year, !(1970...2261).contains(year) {
            throw ValidationError("'--year' must be between 1970 and 2261, not \(year).")
        }
        guard Self.offsetSeconds(tzOffset) != nil else {
            throw ValidationError("'--tz-offset' must look like +01:00 or -05:30, not '\(tzOffset)'.")
        }
    }

    public func parseOptions(format: LogFormat) throws -> ParseOptions {
        ParseOptions(format: format, year: year, assumedOffsetSeconds: Self.offsetSeconds(tzOffset) ?? 0,
                     patientData: try patientDataPolicy(), formats: try SiteFormats.load(extra: formats))
    }

    /// The pseudonym key: `--phi-key-file`, else `WARDWATCH_PHI_KEY`, else random (warned about at the end
    /// of a run that made pseudonyms).
    public func patientDataPolicy() throws -> PatientDataPolicy {
        var key: [UInt8]?
        var source = "random"
        if let phiKeyFile {
            guard let bytes = FileManager.default.contents(atPath: phiKeyFile) else {
                throw ValidationError("cannot read the patient-data key file '\(phiKeyFile)'.")
            }
            key = Array(bytes)
            source = "file"
        } else if let text = ProcessInfo.processInfo.environment["WARDWATCH_PHI_KEY"] {
            key = Array(text.utf8)
            source = "environment"
        }
        if var k = key {
            while let last = k.last, last == 0x0A || last == 0x0D || last == 0x20 { k.removeLast() }
            guard k.count >= 16 else {
                throw ValidationError("the patient-data key (\(source)) must be at least 16 bytes, not \(k.count).")
            }
            return PatientDataPolicy(key: k, keySource: source, reveal: revealPHI)
        }
        return .randomKey(reveal: revealPHI)
    }

    /// How sources read and frame records for `parser`.
    public func ingestOptions(for parser: EventParser) -> IngestOptions {
        IngestOptions(lineLimit: maxLineBytes, recordLimit: maxRecordBytes, framing: parser.framing)
    }

    /// Seconds east of UTC of `±HH:MM` (also `Z`).
    public static func offsetSeconds(_ text: String) -> Int? {
        if text == "Z" || text == "z" { return 0 }
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"),
              bytes[3] == UInt8(ascii: ":"),
              let hours = Int(String(decoding: bytes[1...2], as: UTF8.self)),
              let minutes = Int(String(decoding: bytes[4...5], as: UTF8.self)),
              hours <= 23, minutes <= 59
        else { return nil }
        let seconds = hours * 3600 + minutes * 60
        return bytes[0] == UInt8(ascii: "-") ? -seconds : seconds
    }
}
