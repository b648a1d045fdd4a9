/// A problem in a rule file, with its position: `file:line:col: error|warning: message`.
///
/// Rules are reported all at once (hayabusa and chainsaw collect every problem of a rule set; an
/// author fixing rules wants the whole list, not the first item of it).
public struct RuleDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error, warning
    }

    public var severity: Severity
    public var file: String
    /// 1-based line and column of the YAML node at fault (0 when the file could not be read).
    public var line: Int
    public var column: Int
    public var message: String

    public init(_ severity: Severity, file: String, line: Int, column: Int, _ message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }
}

/// A position in a rule file (1-based).
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static let unknown = SourceLocation(line: 0, column: 0)
    public var description: String { "\(line):\(column)" }
}

/// Collects the diagnostics of one file.
struct DiagnosticSink {
    let file: String
    var items: [RuleDiagnostic] = []
    /// Placeholders this file uses that were given as empty lists.
    var emptyPlaceholders: [String] = []

    mutating func error(_ at: SourceLocation, _ message: String) {
        items.append(RuleDiagnostic(.error, file: file, line: at.line, column: at.column, message))
    }

    mutating func warning(_ at: SourceLocation, _ message: String) {
        items.append(RuleDiagnostic(.warning, file: file, line: at.line, column: at.column, message))
    }

    var hasErrors: Bool { items.contains { $0.severity == .error } }
}
