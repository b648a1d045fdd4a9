/// A problem reading an input: the stage that failed is ingest, the run goes on with the other
/// inputs, and the exit code is 3 (`DESIGN.md`).
public struct IngestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case notFound, unreadable, readFailed, corruptGzip, truncatedGzip
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The path does not exist.
        public static let notFound = Code(.notFound)
        /// The path exists but cannot be opened or listed (permissions, not a regular file).
        public static let unreadable = Code(.unreadable)
        /// A read failed part-way (I/O error).
        public static let readFailed = Code(.readFailed)
        /// The gzip stream is corrupt (bad header, bad data, CRC mismatch).
        public static let corruptGzip = Code(.corruptGzip)
        /// The gzip stream ends inside a member.
        public static let truncatedGzip = Code(.truncatedGzip)

        public var description: String {
            switch wrapped {
            case .notFound: return "not-found"
            case .unreadable: return "unreadable"
            case .readFailed: return "read-failed"
            case .corruptGzip: return "corrupt-gzip"
            case .truncatedGzip: return "truncated-gzip"
            }
        }
    }

    public var code: Code
    /// The input as the user named it (or as the directory walk found it).
    public var path: String
    /// Byte offset in the file where the problem was found (compressed offset for gzip); `nil` when
    /// the input could not be opened at all.
    public var offset: Int64?
    /// Decompressed bytes delivered before the problem (gzip only).
    public var decompressedOffset: Int64?
    /// A sentence saying what went wrong, without the path.
    public var message: String

    public init(code: Code, path: String, offset: Int64? = nil, decompressedOffset: Int64? = nil, message: String) {
        self.code = code
        self.path = path
        self.offset = offset
        self.decompressedOffset = decompressedOffset
        self.message = message
    }

    /// One line for stderr: `PATH: byte N: message`.
    public var description: String {
        var text = path
        if let offset {
            text += ": byte \(offset)"
            if let decompressedOffset { text += " (decompressed byte \(decompressedOffset))" }
        }
        return text + ": " + message
    }
}

/// Something worth telling the operator that is not an error: the input was still read whole.
public struct IngestNotice: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var offset: Int64
    public var message: String

    public init(path: String, offset: Int64, message: String) {
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(path): byte \(offset): \(message)" }
}
