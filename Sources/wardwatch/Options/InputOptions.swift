import ArgumentParser
import WardIngest
import WardParse

extension LogFormat: ExpressibleByArgument {}

/// How inputs are read and parsed; shared by the commands that read logs.
struct InputOptions: ParsableArguments {
    @Argument(help: "Files or directories to read (directories recursively, in name order; .gz detected by content). '-' or nothing reads stdin.")
    var paths: [String] = []

    @Option(help: "Year of year-less syslog timestamps ('Mmm dd hh:mm:ss'). Default: inferred from each file's modification time.")
    var year: Int?

    @Option(name: .customLong("tz-offset"),
            help: "UTC offset of timestamps without a zone, as +HH:MM or -HH:MM.")
    var tzOffset: String = "+00:00"

    @Option(name: .customLong("max-line-bytes"), help: "Cut lines longer than this many bytes (the cut is flagged and reported).")
    var maxLineBytes: Int = 1 << 20

    mutating func validate() throws {
        guard maxLineBytes >= 64, maxLineBytes <= 1 << 30 else {
            throw ValidationError("'--max-line-bytes' must be between 64 and 1073741824, not \(maxLineBytes).")
        }
        if let year, !(1970...2261).contains(year) {
            throw ValidationError("'--year' must be between 1970 and 2261, not \(year).")
        }
        guard Self.offsetSeconds(tzOffset) != nil else {
            throw ValidationError("'--tz-offset' must look like +01:00 or -05:30, not '\(tzOffset)'.")
        }
    }

    func parseOptions(format: LogFormat) -> ParseOptions {
        ParseOptions(format: format, year: year, assumedOffsetSeconds: Self.offsetSeconds(tzOffset) ?? 0)
    }

    var ingestOptions: IngestOptions {
        IngestOptions(lineLimit: maxLineBytes)
    }

    /// Seconds east of UTC of `±HH:MM` (also `Z`).
    static func offsetSeconds(_ text: String) -> Int? {
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
