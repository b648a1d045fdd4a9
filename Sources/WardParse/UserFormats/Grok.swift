/// Grok syntax (`%{IPV4:source.ip}`, `%{INT:process.pid:int}`), as Logstash and Elastic ingest pipelines
/// write it, translated into one PCRE2 pattern with named groups.
///
/// `%{NAME}` inserts a named pattern (the base set below, or the format's own `patterns:`) without
/// capturing; `%{NAME:field}` captures what it matched as `field`; `%{NAME:field:type}` also gives the
/// field's type (`int`/`integer`, `float`, `ip`, `keyword`). Plain PCRE2 named groups
/// (`(?<source.ip>…)`, `(?P<user.name>…)`) capture too, and their names may hold the dots and `@` that
/// field names need. Every capturing group is renamed `_gN` in the compiled pattern, so any field name works.
public enum Grok {
    /// A field captured by the pattern: its group name in the compiled pattern, its field name and type.
    public struct Capture: Sendable, Equatable {
        public var group: String
        public var field: String
        public var type: String?
    }

    /// A pattern that cannot be translated: what is wrong and the 0-based offset in the text.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var offset: Int
        public var description: String { message }
    }

    /// The base pattern set, written for wardwatch. Names follow Logstash's where both have one.
    public static let base: [String: String] = [
        // Text.
        "WORD": #"\b\w+\b"#,
        "NOTSPACE": #"\S+"#,
        "SPACE": #"\s*"#,
        "DATA": #".*?"#,
        "GREEDYDATA": #".*"#,
        "QUOTEDSTRING": #"(?>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`)"#,
        "QS": "%{QUOTEDSTRING}",
        "UUID": #"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}"#,
        "USERNAME": #"[a-zA-Z0-9._-]+"#,
        "USER": "%{USERNAME}",
        "EMAILLOCALPART": #"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*"#,
        "EMAILADDRESS": "%{EMAILLOCALPART}@%{HOSTNAME}",
        // Numbers.
        "INT": #"[+-]?\d+"#,
        "POSINT": #"\b[1-9]\d*\b"#,
        "NONNEGINT": #"\b\d+\b"#,
        "NUMBER": #"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"#,
        "BASE10NUM": "%{NUMBER}",
        "BASE16NUM": #"(?:0[xX])?[0-9A-Fa-f]+"#,
        // Networks.
        "IPV4": #"(?<![0-9])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![0-9])"#,
        "IPV6": #"(?=[0-9A-Fa-f:.]*:[0-9A-Fa-f.]*:)(?:[0-9A-Fa-f]{1,4}|:)(?::[0-9A-Fa-f]{0,4}){1,7}(?:(?<=:)%{IPV4})?(?:%[0-9A-Za-z]+)?"#,
        "IP": "(?:%{IPV6}|%{IPV4})",
        "HOSTNAME": #"\b(?:[0-9A-Za-z][0-9A-Za-z_-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z_-]{0,62}))*\.?"#,
        "HOST": "%{HOSTNAME}",
        "IPORHOST": "(?:%{IP}|%{HOSTNAME})",
        "HOSTPORT": "%{IPORHOST}:%{POSINT}",
        "MAC": #"(?:(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}|(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4})"#,
        // Paths and URIs.
        "UNIXPATH": #"(?:/[^/\s]*)+"#,
        "WINPATH": #"(?:[A-Za-z]:|\\)(?:\\[^\\\s]*)+"#,
        "PATH": "(?:%{UNIXPATH}|%{WINPATH})",
        "URIPROTO": #"[A-Za-z][A-Za-z0-9+.-]*"#,
        "URIHOST": "%{IPORHOST}(?::%{POSINT})?",
        "URIPATH": #"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+"#,
        "URIQUERY": #"[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*"#,
        "URIPARAM": #"\?%{URIQUERY}"#,
        "URIPATHPARAM": "%{URIPATH}(?:%{URIPARAM})?",
        "URI": #"%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?"#,
        // Dates and times.
        "MONTH": #"\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:a|ä)?r(?:ch|z)?|[Aa]pr(?:il)?|[Mm]a(?:y|i)?|[Jj]un(?:e|i)?|[Jj]ul(?:y|i)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo](?:c|k)?t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e(?:c|z)(?:ember)?)\b"#,
        "MONTHNUM": "(?:0?[1-9]|1[0-2])",
        "MONTHNUM2": "(?:0[1-9]|1[0-2])",
        "MONTHDAY": #"(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])"#,
        "DAY": #"(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)"#,
        "YEAR": #"(?>\d\d){1,2}"#,
        "HOUR": "(?:2[0123]|[01]?[0-9])",
        "MINUTE": "(?:[0-5][0-9])",
        "SECOND": #"(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)"#,
        "TIME": "(?<![0-9])%{HOUR}:%{MINUTE}(?::%{SECOND})(?![0-9])",
        "DATE_US": "%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}",
        "DATE_EU": "%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}",
        "DATE": "(?:%{DATE_US}|%{DATE_EU})",
        "ISO8601_TIMEZONE": "(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))",
        "ISO8601_SECOND": "%{SECOND}",
        "TIMESTAMP_ISO8601": "%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?",
        "DATESTAMP": #"%{DATE}[- ]%{TIME}"#,
        "SYSLOGTIMESTAMP": "%{MONTH} +%{MONTHDAY} %{TIME}",
        "HTTPDATE": "%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}",
        "EPOCH": #"\d{9,19}(?:\.\d+)?"#,
        // Logs.
        "LOGLEVEL": #"(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo(?:rmation)?|INFO(?:RMATION)?|[Ww]arn(?:ing)?|WARN(?:ING)?|[Ee]rr(?:or)?|ERR(?:OR)?|[Cc]rit(?:ical)?|CRIT(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)"#,
        "PROG": #"[\x21-\x5a\x5c\x5e-\x7e]+"#,
        "SYSLOGPROG": #"%{PROG:process.name}(?:\[%{POSINT:process.pid:int}\])?"#,
        "SYSLOGHOST": "%{IPORHOST}",
    ]

    /// The field types a capture may name.
    public static let types: Set<String> = ["int", "integer", "long", "float", "ip", "keyword", "string"]

    /// Translates `pattern` into PCRE2. `custom` holds the format's own named patterns (they may use
    /// each other and the base set; a custom name hides a base one).
    public static func translate(_ pattern: String, custom: [String: String] = [:]) throws(SyntaxError) -> (regex: String, captures: [Capture]) {
        var captures: [Capture] = []
        var out = ""
        try expand(Array(pattern.unicodeScalars), custom: custom, depth: 0, chain: [], out: &out, captures: &captures, top: true)
        return (out, captures)
    }

    private static let maximumDepth = 32

    private static func expand(_ s: [Unicode.Scalar], custom: [String: String], depth: Int, chain: [String],
                               out: inout String, captures: inout [Capture], top: Bool) throws(SyntaxError) {
        var i = 0
        func offset(_ at: Int) -> Int { top ? String(String.UnicodeScalarView(s[0..<at])).utf8.count : 0 }
        while i < s.count {
            let c = s[i]
            if c == "\\", i + 1 < s.count {
                out.unicodeScalars.append(c)
                out.unicodeScalars.append(s[i + 1])
                i += 2
                continue
            }
            if c == "%", i + 1 < s.count, s[i + 1] == "{" {
                guard let close = s[(i + 2)...].firstIndex(of: "}") else {
                    throw SyntaxError(message: "'%{' without its closing '}'", offset: offset(i))
                }
                let parts = String(String.UnicodeScalarView(s[(i + 2)..<close])).split(separator: ":", maxSplits: 2,
                                                                                        omittingEmptySubsequences: false).map(String.init)
                let name = parts[0]
                guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" }) else {
                    throw SyntaxError(message: "'%{\(parts.joined(separator: ":"))}' does not start with a pattern name", offset: offset(i))
                }
                guard let body = custom[name] ?? base[name] else {
                    throw SyntaxError(message: "unknown grok pattern '\(name)'", offset: offset(i))
                }
                guard !chain.contains(name) else {
                    throw SyntaxError(message: "grok pattern '\(name)' refers to itself (\((chain + [name]).joined(separator: " → ")))", offset: offset(i))
                }
                guard depth < maximumDepth else {
                    throw SyntaxError(message: "grok patterns nest deeper than \(maximumDepth) levels at '\(name)'", offset: offset(i))
                }
                var field: String?
                var type: String?
                if parts.count > 1, !parts[1].isEmpty { field = parts[1] }
                if parts.count > 2 {
                    guard types.contains(parts[2]) else {
                        throw SyntaxError(message: "unknown field type '\(parts[2])' in '%{\(parts.joined(separator: ":"))}' (int, integer, long, float, ip, keyword, string)", offset: offset(i))
                    }
                    type = parts[2]
                }
                if let field {
                    let group = "_g\(captures.count)"
                    captures.append(Capture(group: group, field: field, type: type))
                    out += "(?<\(group)>"
                } else {
                    out += "(?:"
                }
                try expand(Array(body.unicodeScalars), custom: custom, depth: depth + 1, chain: chain + [name], out: &out,
                           captures: &captures, top: false)
                out += ")"
                i = close + 1
                continue
            }
            // A named group: (?<name>…), (?P<name>…), (?'name'…) — not the lookbehinds (?<= (?<!.
            if c == "(", i + 2 < s.count, s[i + 1] == "?" {
                var j = i + 2
                var closer: Unicode.Scalar = ">"
                if s[j] == "P", j + 1 < s.count, s[j + 1] == "<" { j += 2 } else if s[j] == "<" { j += 1 } else if s[j] == "'" {
                    j += 1
                    closer = "'"
                } else { j = -1 }
                if j > 0, j < s.count, s[j] != "=", s[j] != "!", let end = s[j...].firstIndex(of: closer) {
                    let field = String(String.UnicodeScalarView(s[j..<end]))
                    guard !field.isEmpty, !field.unicodeScalars.contains(where: { $0 == " " || $0 == "(" || $0 == ")" }) else {
                        throw SyntaxError(message: "bad group name '\(field)'", offset: offset(i))
                    }
                    let group = "_g\(captures.count)"
                    captures.append(Capture(group: group, field: field, type: nil))
                    out += "(?<\(group)>"
                    i = end + 1
                    continue
                }
            }
            out.unicodeScalars.append(c)
            i += 1
        }
    }
}
