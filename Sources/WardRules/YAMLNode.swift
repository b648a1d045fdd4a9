import Yams

/// Small helpers over Yams nodes: positions, scalars as Sigma sees them.
extension Node {
    var location: SourceLocation {
        guard let mark else { return .unknown }
        return SourceLocation(line: mark.line, column: mark.column)
    }

    /// The scalar's text, whatever its resolved type (`2017-05-09` stays text, not a date).
    var scalarText: String? {
        if case .scalar(let scalar) = self { return scalar.string }
        return nil
    }

    var isScalar: Bool {
        if case .scalar = self { return true }
        return false
    }

    /// Mapping entries with their keys as text, in document order.
    var entries: [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = self else { return nil }
        return mapping.map { (key: $0.key.scalarText ?? "", keyNode: $0.key, value: $0.value) }
    }

    subscript(key name: String) -> Node? {
        guard case .mapping(let mapping) = self else { return nil }
        return mapping.first { $0.key.scalarText == name }?.value
    }

    /// A string or a list of strings (`author`, `tags`, `references` are written both ways).
    var stringList: [String]? {
        switch self {
        case .scalar(let s): return [s.string]
        case .sequence(let seq): return seq.compactMap(\.scalarText)
        default: return nil
        }
    }

    /// A YAML plain scalar that resolves to null (`null`, `~`, empty).
    var isNull: Bool {
        guard case .scalar(let s) = self, s.style == .plain || s.style == .any else { return false }
        return ["null", "Null", "NULL", "~", ""].contains(s.string)
    }
}

/// What a Sigma value is, as written in YAML.
enum ScalarKind: Equatable {
    case string(String)
    case integer(String)
    case float(String)
    case boolean(Bool)
    case null
}

extension Node {
    /// Classifies a scalar as YAML 1.1 would resolve it, keeping the text: a quoted `'8080'` is a
    /// string, a plain `8080` an integer.
    var scalarKind: ScalarKind? {
        guard case .scalar(let s) = self else { return nil }
        if s.style != .plain && s.style != .any { return .string(s.string) }
        if isNull { return .null }
        switch s.string {
        case "true", "True", "TRUE": return .boolean(true)
        case "false", "False", "FALSE": return .boolean(false)
        default: break
        }
        let text = s.string
        if Int(text) != nil { return .integer(text) }
        if Double(text) != nil, text.contains("."), !text.hasPrefix("."), !text.hasSuffix(".") { return .float(text) }
        return .string(text)
    }
}
