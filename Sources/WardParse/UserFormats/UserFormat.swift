import Foundation
import WardCore
import WardRegex

/// A site format as written in YAML (`Rules/formats/*.yml`), before it is compiled.
public struct UserFormatDefinition: Sendable {
    public var name: String
    /// Where it was defined, for diagnostics.
    public var file: String
    public var line: Int
    /// Globs on the input path (`*` within a name, `**` across folders); on the file name alone
    /// when the glob has no `/`.
    public var paths: [String] = []
    /// The line must start with one of these (when given).
    public var prefixes: [String] = []
    /// The line must contain one of these (when given).
    public var contains: [String] = []
    /// Grok syntax, or plain PCRE2 (`regex`); exactly one of the two.
    public var pattern: String?
    public var regex: String?
    public var patternLine = 0
    /// The format's own grok patterns.
    public var patterns: [String: String] = [:]
    /// How `@timestamp` is read (``TimeLayout``), and its zone when the text carries none.
    public var timestamp: String?
    public var zone: String?
    /// Per field: `integer`, `float`, `ip`, `keyword`.
    public var types: [String: String] = [:]
    /// Fields that hold personal data (redacted) and patient identifiers (pseudonymized).
    public var personal: Set<String> = []
    public var patientIdentifiers: Set<String> = []
    /// Fields every event of the format gets (`observer.product: EHR`).
    public var constants: [(field: String, value: String)] = []
    /// A captured field handed to another parser: `syslog`, `json`, `kv`, `cef`, or a site format's name.
    /// (Not HL7: a line that holds HL7, ATNA or FHIR content always goes to wardwatch's own audit parsers,
    /// which redact its patient data, never to a site format.)
    public var then: (field: String, parser: String)?
    /// The Sigma log source its events are (`product`, `service`, `category`).
    public var logsource: [String: String] = [:]

    public init(name: String, file: String, line: Int) {
        self.name = name
        self.file = file
        self.line = line
    }
}

/// A problem in a format definition, at its place in the file.
public struct FormatDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public init(file: String, line: Int, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var description: String { "\(file):\(line): \(message)" }
}

/// A compiled site format: one anchored PCRE2 program and what to do with each of its groups.
public struct UserFormat: Sendable {
    /// What a captured group becomes.
    enum Role: Sendable, Equatable {
        case text, integer, float, ip
        /// Read as the event's time.
        case timestamp
        /// Replaced by `[redacted]` unless patient data is revealed.
        case personal
        /// Replaced by its pseudonym unless patient data is revealed.
        case patientIdentifier
    }

    struct Capture: Sendable {
        var group: Int
        var id: FieldID
        /// The full field name for names that are not well-known (slot of the JSON namespace).
        var name: [UInt8]
        var role: Role
        /// The `then:` field: handed to the next parser.
        var handedOn: Bool
        /// Captured only to be handed on (name starts with `_`): not stored.
        var hidden: Bool
    }

    enum Next: Sendable, Equatable {
        case syslog, json, kv, cef
        case format(Int)

        /// The built-in parser `name` names, if it names one (otherwise it names a format).
        init?(builtIn name: String) {
            switch name {
            case "syslog": self = .syslog
            case "json": self = .json
            case "kv": self = .kv
            case "cef": self = .cef
            default: return nil
            }
        }
    }

    public let name: String
    public let dataset: Dataset
    public let definition: UserFormatDefinition
    let program: RegexProgram
    let captures: [Capture]
    let time: TimeLayout?
    let zoneSeconds: Int?
    let constants: [(id: FieldID, name: [UInt8], value: [UInt8])]
    var next: Next?
    let prefixes: [[UInt8]]
    let contains: [[UInt8]]
    let paths: [String]
    /// Some field of the format, or of a format its `then:` hands on to, holds patient data: the
    /// event's `event.original` is redacted (decided once the chains are known).
    public internal(set) var holdsPatientData: Bool

    /// Whether the line test or the path decides where it applies (otherwise it is a fallback for
    /// lines no built-in parser understood).
    public var isGated: Bool { !paths.isEmpty || !prefixes.isEmpty || !contains.isEmpty }

    init(definition d: UserFormatDefinition, dataset: Dataset, program: RegexProgram, captures: [Capture], time: TimeLayout?, zoneSeconds: Int?, constants: [(FieldID, [UInt8], [UInt8])], next: Next?) {
        name = d.name
        self.dataset = dataset
        definition = d
        self.program = program
        self.captures = captures
        self.time = time
        self.zoneSeconds = zoneSeconds
        self.constants = constants
        self.next = next
        prefixes = d.prefixes.map { Array($0.utf8) }
        contains = d.contains.map { Array($0.utf8) }
        paths = d.paths
        holdsPatientData = captures.contains { $0.role == .personal || $0.role == .patientIdentifier }
    }

    /// Whether the format applies to the input at `path` (always, when it names no paths).
    public func applies(toPath path: String) -> Bool {
        guard !paths.isEmpty else { return true }
        let name = (path as NSString).lastPathComponent
        return paths.contains { glob in
            glob.contains("/") ? Glob.matches(glob, path) : Glob.matches(glob, name)
        }
    }

    /// The cheap line test: one of the prefixes and one of the `contains` strings (each when given).
    @inline(__always)
    func linePasses(_ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        if !prefixes.isEmpty {
            guard prefixes.contains(where: { prefix in
                prefix.count <= count && prefix.withUnsafeBufferPointer { memcmp(p, $0.baseAddress!, prefix.count) == 0 }
            }) else { return false }
        }
        if !contains.isEmpty {
            guard contains.contains(where: { needle in
                needle.withUnsafeBufferPointer { ByteScan.contains($0, in: p, count: count) }
            }) else { return false }
        }
        return true
    }
}

/// Shell-style globs for `paths:`: `*` and `?` within one name, `**` across folders, `[abc]`.
enum Glob {
    static func matches(_ glob: String, _ text: String) -> Bool {
        fnmatch(glob.replacingOccurrences(of: "**", with: "*"), text, glob.contains("**") ? 0 : FNM_PATHNAME) == 0
    }
}

/// The site formats of a run, compiled, in the order they are tried.
public struct UserFormatSet: Sendable {
    public private(set) var formats: [UserFormat] = []
    /// Problems found while compiling; the formats they concern are left out.
    public private(set) var diagnostics: [FormatDiagnostic] = []
    /// The most groups any format's pattern has (the size of each worker's capture scratch).
    public private(set) var maximumGroups = 0

    public init() {}

    public var isEmpty: Bool { formats.isEmpty }
    /// Some format is tried before the built-in parsers (a path or line test selects it).
    private(set) var hasGated = false
    /// Some format is tried on lines no built-in parser understood.
    private(set) var hasFallback = false

    /// Names of the fields a format may capture but never set: wardwatch sets them itself.
    static let reserved: Set<String> = ["event.dataset", "event.original", "log.file.path", "log.offset", "log.flags",
                                        "error.message", "hl7.message",
                                        // An alert's own keys (`rule.name` and `rule.id` are moved under `observer.`).
                                        "event.kind", "event.severity", "event.id", "ecs.version"]

    /// Whether a format may set `field` (not one wardwatch writes itself, in an event or an alert).
    static func isReserved(_ field: String) -> Bool {
        reserved.contains(field) || field.hasPrefix("threat.") || field.hasPrefix("correlation.")
            || field.hasPrefix("suppression.") || (field.hasPrefix("rule.") && field != "rule.name" && field != "rule.id")
    }

    /// Compiles `definitions` (in order; a format's `then:` may name any of them). Each definition
    /// that cannot be compiled is reported and left out.
    public init(_ definitions: [UserFormatDefinition]) {
        var seen: [String: (file: String, line: Int)] = [:]
        var compiled: [UserFormat] = []
        var pending: [(Int, String, String, Int)] = []
        for d in definitions {
            if let first = seen[d.name] {
                diagnostics.append(FormatDiagnostic(file: d.file, line: d.line, "format '\(d.name)' is defined twice (first at \(first.file):\(first.line))"))
                continue
            }
            seen[d.name] = (d.file, d.line)
            guard let format = compile(d) else { continue }
            if let then = d.then, UserFormat.Next(builtIn: then.parser) == nil {
                pending.append((compiled.count, then.parser, d.file, d.line))
            }
            compiled.append(format)
        }
        // `then:` naming another format: it must exist, and no chain may come back to where it started.
        var drop: Set<Int> = []
        for (index, target, file, line) in pending {
            guard let to = compiled.firstIndex(where: { $0.name == target }) else {
                diagnostics.append(FormatDiagnostic(file: file, line: line, "'then' names '\(target)', which is neither a built-in parser (syslog, json, kv, cef) nor a format"))
                drop.insert(index)
                continue
            }
            compiled[index].next = .format(to)
        }
        for (index, _, file, line) in pending where !drop.contains(index) {
            var chain = [compiled[index].name]
            var at = index
            while case .format(let to)? = compiled[at].next {
                chain.append(compiled[to].name)
                if to == index {
                    diagnostics.append(FormatDiagnostic(file: file, line: line, "'then' makes a cycle: \(chain.joined(separator: " → "))"))
                    drop.insert(index)
                    break
                }
                if chain.count > compiled.count + 1 { break }
                at = to
            }
        }
        formats = compiled.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
        // Indexes of `then` targets moved when formats were dropped: resolve them again by name.
        if !drop.isEmpty {
            for k in formats.indices {
                if case .format? = formats[k].next, let target = formats[k].definition.then?.parser {
                    formats[k].next = formats.firstIndex { $0.name == target }.map { .format($0) }
                }
            }
        }
        // Patient data anywhere down a `then:` chain makes the whole event's original redacted.
        for k in formats.indices {
            var at = formats[k].next
            var hops = 0
            while !formats[k].holdsPatientData, case .format(let to)? = at, hops < formats.count {
                formats[k].holdsPatientData = formats[to].holdsPatientData
                at = formats[to].next
                hops += 1
            }
        }
        maximumGroups = formats.map(\.program.captureCount).max() ?? 0
        hasGated = formats.contains { $0.isGated }
        hasFallback = formats.contains { !$0.isGated }
    }

    private mutating func compile(_ d: UserFormatDefinition) -> UserFormat? {
        func fail(_ message: String, line: Int? = nil) -> UserFormat? {
            diagnostics.append(FormatDiagnostic(file: d.file, line: line ?? d.line, "format '\(d.name)': \(message)"))
            return nil
        }
        guard !d.name.isEmpty else { return fail("a format needs a 'name'") }
        guard (d.pattern == nil) != (d.regex == nil) else { return fail("give either 'pattern' (grok) or 'regex' (PCRE2), not both or neither") }
        let translated: (regex: String, captures: [Grok.Capture])
        do {
            translated = try Grok.translate(d.pattern ?? d.regex!, custom: d.patterns)
        } catch {
            return fail("\(error.message) (at character \(error.offset + 1) of the pattern)", line: d.patternLine)
        }
        let program: RegexProgram
        do {
            program = try RegexProgram(translated.regex, options: .anchored)
        } catch {
            return fail("the pattern is not a valid regular expression: \(error.message)", line: d.patternLine)
        }
        var time: TimeLayout?
        if let spec = d.timestamp {
            do { time = try TimeLayout(spec) } catch { return fail(error.message) }
        }
        var zone: Int?
        if let text = d.zone {
            guard let seconds = Self.zoneSeconds(text) else { return fail("'zone' must be UTC or an offset such as +01:00, not '\(text)'") }
            zone = seconds
        }
        var captures: [Grok.Capture] = translated.captures
        for (field, type) in d.types {
            guard Self.typeRoles[type] != nil else { return fail("field '\(field)': unknown type '\(type)' (integer, float, ip, keyword)") }
            guard captures.contains(where: { $0.field == field }) else { return fail("'fields' gives a type to '\(field)', which the pattern does not capture") }
            for k in captures.indices where captures[k].field == field { captures[k].type = type }
        }
        for field in d.personal.union(d.patientIdentifiers) where !captures.contains(where: { $0.field == field }) {
            return fail("'\(field)' is marked as patient data but the pattern does not capture it")
        }
        if captures.contains(where: { $0.field == "@timestamp" }), time == nil {
            return fail("the pattern captures '@timestamp': say how to read it with 'timestamp' (a layout such as yyyy-MM-dd HH:mm:ss, epoch_s, rfc3339 or bsd)")
        }
        if time != nil, !captures.contains(where: { $0.field == "@timestamp" }) {
            return fail("'timestamp' is given but the pattern captures no '@timestamp'")
        }
        if let then = d.then, !captures.contains(where: { $0.field == then.field }) {
            return fail("'then' hands on '\(then.field)', which the pattern does not capture")
        }
        var compiled: [UserFormat.Capture] = []
        for capture in captures {
            guard !Self.isReserved(capture.field), !capture.field.isEmpty else {
                return fail("'\(capture.field)' cannot be captured: wardwatch sets it itself")
            }
            guard let group = program.groupNumber(capture.group) else { continue }
            var role: UserFormat.Role = capture.type.flatMap { Self.typeRoles[$0] } ?? .text
            // Patient data by name: `patient.id` is always pseudonymized, any other `patient.*` redacted.
            if capture.field == "@timestamp" { role = .timestamp }
            if d.patientIdentifiers.contains(capture.field) || capture.field == "patient.id" { role = .patientIdentifier }
            else if d.personal.contains(capture.field) || capture.field.hasPrefix("patient.") { role = .personal }
            let target = Self.target(capture.field)
            compiled.append(UserFormat.Capture(group: group, id: target.id, name: target.name, role: role,
                                               handedOn: d.then?.field == capture.field, hidden: capture.field.hasPrefix("_")))
        }
        var constants: [(FieldID, [UInt8], [UInt8])] = []
        for (field, value) in d.constants {
            guard !Self.isReserved(field), field != "@timestamp" else { return fail("'\(field)' cannot be a constant: wardwatch sets it itself") }
            let target = Self.target(field)
            constants.append((target.id, target.name, Array(value.utf8)))
        }
        // A format's name is resolved once every format is compiled.
        let next = d.then.flatMap { UserFormat.Next(builtIn: $0.parser) }
        guard let dataset = Dataset.register(d.name) else {
            return fail("more than \(Dataset.userCapacity) site formats are loaded; this one is left out")
        }
        guard dataset.isUserFormat else { return fail("'\(d.name)' is the name of a built-in dataset") }
        return UserFormat(definition: d, dataset: dataset, program: program, captures: compiled, time: time, zoneSeconds: zone, constants: constants, next: next)
    }

    /// Where a field goes: the well-known field of that name, or a field of its own in the JSON
    /// namespace (the full name kept as bytes).
    static func target(_ field: String) -> (id: FieldID, name: [UInt8]) {
        if let id = FieldID(named: field), !FieldID.namespaces.contains(id.rawValue) { return (id, []) }
        return (.jsonField, Array(field.utf8))
    }

    static let typeRoles: [String: UserFormat.Role] = [
        "int": .integer, "integer": .integer, "long": .integer, "float": .float, "double": .float,
        "ip": .ip, "keyword": .text, "string": .text, "text": .text,
    ]

    /// `UTC`, `Z`, `+01:00`, `-0530`, `+01` (read as firewalls' zone fields are, ``FirewallClock/zone(_:_:)``).
    static func zoneSeconds(_ text: String) -> Int? {
        let bytes = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        return bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress, !b.isEmpty else { return nil }
            return FirewallClock.zone(FirewallText(line: base, base: 0, start: 0, end: b.count), 0..<b.count)
        }
    }

    /// The formats tried before the built-in parsers on the lines of the input at `path` (bit = index):
    /// those whose `paths:` match it, and those with only a line test. Zero for most inputs, so that
    /// their lines pay nothing for the site's formats.
    func candidates(forPath path: String) -> UInt64 {
        var mask: UInt64 = 0
        for (i, format) in formats.enumerated() where i < 64 && format.isGated && format.applies(toPath: path) { mask |= 1 << UInt64(i) }
        return mask
    }
}
