import WardCore

/// Which format to parse lines as.
public enum LogFormat: String, Sendable, CaseIterable {
    /// Detect per line (the default): syslog, firewall formats inside or without a syslog header,
    /// JSON lines.
    case auto
    /// RFC 5424 or RFC 3164, detected per line, without looking for firewall formats inside.
    case syslog
    /// RFC 5424 only.
    case rfc5424
    /// RFC 3164 (BSD syslog, as written to `/var/log`) only.
    case rfc3164
    /// One JSON object per line (Windows events exported as JSON included).
    case json
    /// No parsing: every line is an `unparsed` event with `message` = the line — except HL7, ATNA and
    /// FHIR content, which every format recognizes so that its patient data is redacted (unless the
    /// operator reveals it, `PatientDataPolicy/reveal`).
    case raw
}

/// Settings the parsers need besides the bytes.
public struct ParseOptions: Sendable {
    public var format: LogFormat
    /// Year for year-less RFC 3164 timestamps; `nil` infers it from the input's modification time.
    public var year: Int?
    /// Offset east of UTC, in seconds, of timestamps that carry no zone (RFC 3164); 0 = UTC.
    public var assumedOffsetSeconds: Int
    /// RFC 5424: a message that starts with a BOM must be valid UTF-8 (RFC 5424 §6.4), otherwise the
    /// line is rejected. Off by default: a SOC would rather keep the bytes.
    public var requireUTF8AfterBOM: Bool
    /// Pseudonym key and whether patient data may be shown (HL7, ATNA, FHIR).
    public var patientData: PatientDataPolicy
    /// The site's own formats (`Rules/formats`, `--formats`), tried as ``EventParser`` describes.
    public var formats: UserFormatSet

    public init(format: LogFormat = .auto, year: Int? = nil, assumedOffsetSeconds: Int = 0,
                requireUTF8AfterBOM: Bool = false, patientData: PatientDataPolicy = .randomKey(),
                formats: UserFormatSet = UserFormatSet()) {
        self.format = format
        self.formats = formats
        self.patientData = patientData
        self.year = year
        self.assumedOffsetSeconds = assumedOffsetSeconds
        self.requireUTF8AfterBOM = requireUTF8AfterBOM
    }
}

/// Why a line was not accepted by a parser: a message and the byte column (0-based, from the start
/// of the line) where parsing stopped.
public struct LineParseError: Error, Sendable, Equatable {
    public var column: Int
    public var message: StaticString

    @inlinable
    public init(column: Int, message: StaticString) {
        self.column = column
        self.message = message
    }

    public static func == (lhs: LineParseError, rhs: LineParseError) -> Bool {
        lhs.column == rhs.column && lhs.message.description == rhs.message.description
    }
}
