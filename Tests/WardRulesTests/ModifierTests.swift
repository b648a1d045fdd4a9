import Foundation
import Testing
import WardCore
import WardRules
import WardTestSupport

@Suite struct ModifierTests {
    @Test func plainValuesAreWholeValueCaseInsensitiveEquality() {
        #expect(matchTable("f", "'cmd.exe'", ["cmd.exe", "CMD.EXE", "xcmd.exe", "cmd.exe "]) == [true, true, false, false])
        #expect(matchTable("f", "['a', 'b']", ["A", "b", "c"]) == [true, true, false])
        #expect(matchTable("f", "8080", ["8080", "08080", "80800"]) == [true, true, false])
    }

    @Test func containsStartswithEndswith() {
        #expect(matchTable("f|contains", "'mimi'", ["xMIMIkatz", "mim"]) == [true, false])
        #expect(matchTable("f|startswith", "'C:\\Windows\\'", ["c:\\windows\\system32", "d:\\windows\\"]) == [true, false])
        #expect(matchTable("f|endswith", "'\\cmd.exe'", ["C:\\Windows\\System32\\CMD.exe", "cmd.exe"]) == [true, false])
        // No double wildcard when the value already has one.
        #expect(matchTable("f|contains", "'*a*'", ["xax", "b"]) == [true, false])
    }

    @Test func wildcardsAndEscapingFollowTheSpec() {
        // `*` any run, `?` exactly one character (a UTF-8 character, not a byte).
        #expect(matchTable("f", "'a*c'", ["ac", "abbbc", "abd"]) == [true, true, false])
        #expect(matchTable("f", "'a?c'", ["abc", "ac", "aéc", "abbc"]) == [true, false, true, false])
        // `\*` literal star; `\\*` backslash then wildcard; `\\\*` backslash then literal star.
        #expect(matchTable("f", #"'a\*'"#, ["a*", "ab"]) == [true, false])
        #expect(matchTable("f", #"'C:\\*'"#, [#"C:\x"#, #"C:x"#]) == [true, false])
        #expect(matchTable("f", #"'C:\\\*'"#, [#"C:\*"#, #"C:\x"#]) == [true, false])
        // A backslash before an ordinary character is a literal backslash.
        #expect(matchTable("f", #"'C:\Windows\System32'"#, [#"c:\windows\system32"#]) == [true])
        #expect(SigmaString(parsing: #"C:\Windows\*"#).tokens == [.literal(Array(#"C:\Windows*"#.utf8))])
        #expect(SigmaString(parsing: #"C:\Windows\\*"#).tokens == [.literal(Array(#"C:\Windows\"#.utf8)), .anyRun])
        #expect(SigmaString(parsing: #"a\\\\b"#).tokens == [.literal(Array(#"a\\b"#.utf8))])
        #expect(SigmaString(parsing: #"trailing\"#).tokens == [.literal(Array(#"trailing\"#.utf8))])
    }

    @Test func allRequiresEveryValue() {
        #expect(matchTable("f|contains|all", "['curl', '| sh']", ["curl -s x | sh", "curl -s x", "x | sh"]) == [true, false, false])
        // Keywords with |all: every keyword somewhere in the line.
        let rule = loadRule("""
            title: t
            logsource: {product: linux}
            detection:
                keywords:
                    '|all': ['pkexec', 'GCONV_PATH']
                condition: keywords
            """)!
        #expect(evaluate(rule, TestEvent(original: "polkitd[1]: pkexec ... GCONV_PATH=.")) == true)
        #expect(evaluate(rule, TestEvent(original: "pkexec only")) == false)
    }

    @Test func keywordsAreCaseInsensitiveSubstringsOfTheWholeLine() {
        let rule = loadRule("""
            title: t
            logsource: {product: linux, service: sshd}
            detection:
                keywords:
                    - 'unexpected internal error'
                    - 'bad client public DH value'
                condition: keywords
            """)!
        #expect(evaluate(rule, TestEvent(original: "Nov 22 sshd[1]: fatal: Unexpected Internal Error in kex")) == true)
        #expect(evaluate(rule, TestEvent(original: "Nov 22 sshd[1]: Accepted password")) == false)
    }

    @Test func regexIsAnUnanchoredCaseSensitiveSearchWithFlags() {
        #expect(matchTable("f|re", #"'failed password for (invalid user )?\w+'"#, ["x failed password for root", "FAILED PASSWORD for root"]) == [true, false])
        #expect(matchTable("f|re|i", "'^failed'", ["FAILED x", "x failed"]) == [true, false])
        #expect(matchTable("f|re|m", "'^b$'", ["a\nb\nc", "abc"]) == [true, false])
        #expect(matchTable("f|re|s", "'a.c'", ["a\nc", "ac"]) == [true, false])
        #expect(matchTable("f|re", "'(?i)mimikatz'", ["MimiKatz"]) == [true])
        let broken = diagnostics(selectionRule("f|re", "'a(b'"))
        #expect(broken.count == 1)
        #expect(broken[0].hasPrefix("broken.yml:5:17: error: invalid regular expression: missing closing parenthesis at offset 3"))
    }

    @Test func cidrMatchesIPv4AndIPv6Networks() {
        #expect(matchTable("f|cidr", "['10.0.0.0/8', '192.168.0.0/16']", ["10.1.2.3", "192.168.7.7", "11.0.0.1", "not an ip", ""]) == [true, true, false, false, false])
        #expect(matchTable("f|cidr", "'fe80::/10'", ["fe80::1", "FE80::abcd:1", "fec0::1", "10.0.0.1"]) == [true, true, false, false])
        #expect(matchTable("f|cidr", "'172.16.0.0/12'", ["172.31.255.255", "172.32.0.0"]) == [true, false])
        #expect(matchTable("f|cidr", "'2001:db8::/32'", ["2001:db8:1::5", "2001:db9::1"]) == [true, false])
        #expect(diagnostics(selectionRule("f|cidr", "'10.0.0.0/33'")) == ["broken.yml:5:19: error: '10.0.0.0/33' is not an IPv4 or IPv6 network (like 10.0.0.0/8 or fe80::/10)"])
    }

    @Test func base64AndBase64offset() throws {
        #expect(matchTable("f|base64|contains", "'IEX'", ["x SUVY y", "IEX"]) == [true, false])
        let rule = try #require(loadRule(selectionRule("f|base64offset|contains", "'foobar'")))
        let variants = rule.searches[0].expression.items[0].groups[0].map { matcher -> String in
            guard case .pattern(let p) = matcher else { return "" }
            return p.source.description
        }
        #expect(variants == ["*Zm9vYmFy*", "*Zvb2Jhc*", "*mb29iYX*"])
        for text in ["foobar", " foobar", "  foobar", "xx foobar yy"] {
            let encoded = Data(text.utf8).base64EncodedString()
            #expect(evaluate(rule, TestEvent(["f": encoded])), "\(text) → \(encoded)")
        }
        #expect(diagnostics(selectionRule("f|contains|base64", "'a'")) == ["broken.yml:5:30: error: 'base64' cannot encode wildcards; put it before 'contains', 'startswith' or 'endswith'"])
    }

    @Test func utf16EncodingsKeepWildcards() {
        let le: [UInt8] = [0x63, 0, 0x6D, 0, 0x64, 0]
        let be: [UInt8] = [0, 0x63, 0, 0x6D, 0, 0x64]
        for (modifier, bytes) in [("wide", le), ("utf16le", le), ("utf16be", be), ("utf16", [0xFF, 0xFE] + le)] {
            let rule = loadRule(selectionRule("f|\(modifier)|contains", "'cmd'"))!
            #expect(evaluate(rule, TestEvent(bytes: ["f": [0x41, 0] + bytes + [0x42, 0]])), "\(modifier)")
            #expect(!evaluate(rule, TestEvent(["f": "cmd"])), "\(modifier)")
        }
        // wide, then base64offset, then contains (the SharePoint rule's chain).
        let rule = loadRule(selectionRule("f|wide|base64offset|contains", "'cmd'"))!
        let blob = Data([0x20] + le + [0x20, 0]).base64EncodedString()
        #expect(evaluate(rule, TestEvent(["f": blob])))
    }

    @Test func windashGivesTheTwentyFiveVariantsOfTheSpecExample() throws {
        let rule = try #require(loadRule(selectionRule("f|windash|contains", "'-param-1 -param2'")))
        let group = rule.searches[0].expression.items[0].groups[0]
        #expect(group.count == 25)
        let texts = Set(group.map { matcher -> String in
            guard case .pattern(let p) = matcher else { return "" }
            return p.source.description
        })
        #expect(texts.count == 25)
        #expect(texts.contains("*/param-1 \u{2014}param2*"))
        #expect(texts.contains("*\u{2015}param-1 -param2*"))
        #expect(!texts.contains { $0.contains("param/1") })  // the inner dash starts no word
        #expect(evaluate(rule, TestEvent(["f": "tool.exe /param-1 \u{2013}param2"])))
        // A value that would explode is an error, not a hang.
        #expect(diagnostics(selectionRule("f|windash", "'-a -b -c -d -e -f -g'")) == ["broken.yml:5:22: error: 'windash' expands this value to 78125 variants (at most 10000); split it into several values"])
    }

    @Test func existsCasedNeqAndSpecialValues() {
        #expect(matchTable("g|exists", "true", field: "g", ["", "x"]) == [true, true])
        let rule = loadRule(selectionRule("g|exists", "false"))!
        #expect(evaluate(rule, TestEvent(["f": "x"])) == true)
        #expect(evaluate(rule, TestEvent(["g": ""])) == false)
        #expect(matchTable("f|cased", "'Admin'", ["Admin", "admin"]) == [true, false])
        // neq: none of the values; also true when the field is absent (pySigma).
        let neq = loadRule(selectionRule("f|neq", "['a', 'b']"))!
        #expect([evaluate(neq, TestEvent(["f": "a"])), evaluate(neq, TestEvent(["f": "c"])), evaluate(neq, TestEvent([:]))] == [false, true, true])
        // null: absent; '': present and empty.
        let null = loadRule(selectionRule("f", "null"))!
        #expect([evaluate(null, TestEvent([:])), evaluate(null, TestEvent(["f": ""]))] == [true, false])
        let empty = loadRule(selectionRule("f", "''"))!
        #expect([evaluate(empty, TestEvent([:])), evaluate(empty, TestEvent(["f": ""])), evaluate(empty, TestEvent(["f": "x"]))] == [false, true, false])
        #expect(diagnostics(selectionRule("f|exists", "'yes'")) == ["broken.yml:5:21: error: 'exists' needs true or false"])
        #expect(diagnostics(selectionRule("f", "['', null]")) == ["broken.yml:5:14: error: null cannot be one value of a list; use a separate selection"])
    }

    @Test func fieldrefComparesWithAnotherFieldOfTheSameEvent() {
        let rule = loadRule(selectionRule("TargetFilename|fieldref", "'Image'"))!
        #expect(evaluate(rule, TestEvent(["TargetFilename": "C:\\x.exe", "Image": "c:\\X.EXE"])) == true)
        #expect(evaluate(rule, TestEvent(["TargetFilename": "C:\\x.exe", "Image": "C:\\y.exe"])) == false)
        #expect(evaluate(rule, TestEvent(["TargetFilename": "C:\\x.exe"])) == false)
        let contains = loadRule(selectionRule("CommandLine|fieldref|contains", "'User'"))!
        #expect(evaluate(contains, TestEvent(["CommandLine": "runas /user:jmiller cmd", "User": "JMILLER"])) == true)
    }

    @Test func numericComparisons() {
        #expect(matchTable("f|gt", "100", ["101", "100", "99", "1e3", "x"]) == [true, false, false, true, false])
        #expect(matchTable("f|gte", "100", ["100", "99.5"]) == [true, false])
        #expect(matchTable("f|lt", "0.5", ["0.25", "0.5"]) == [true, false])
        #expect(matchTable("f|lte", "-3", ["-3", "-2"]) == [true, false])
        #expect(diagnostics(selectionRule("f|lt", "'ten'")) == ["broken.yml:5:17: error: 'lt' needs a number, not 'ten'"])
    }

    @Test func timePartsOfAFieldsTimestamp() {
        let at = "2026-11-22T03:15:00Z"  // a Sunday; ISO week 47
        #expect(matchTable("f|minute", "15", [at]) == [true])
        #expect(matchTable("f|hour", "3", [at, "2026-11-22T04:00:00Z"]) == [true, false])
        #expect(matchTable("f|hour|lt", "6", [at, "2026-11-22T21:00:00+00:00"]) == [true, false])
        #expect(matchTable("f|day", "22", [at]) == [true])
        #expect(matchTable("f|week", "47", [at, "2026-01-01T00:00:00Z"]) == [true, false])
        #expect(matchTable("f|week", "53", ["2026-12-31T12:00:00Z"]) == [true])
        #expect(matchTable("f|month", "11", [at]) == [true])
        #expect(matchTable("f|year", "2026", [at, "not a time"]) == [true, false])
    }

    @Test func expandFillsPlaceholdersAndNamesTheMissingOne() {
        let yaml = selectionRule("Computer|expand", "'%Workstations%'")
        let rule = loadRule(yaml, placeholders: ["Workstations": ["WS-ICU-*", "WS-ED-01"]])!
        #expect(evaluate(rule, TestEvent(["Computer": "ws-icu-07"])) == true)
        #expect(evaluate(rule, TestEvent(["Computer": "WS-ED-01"])) == true)
        #expect(evaluate(rule, TestEvent(["Computer": "PACS-01"])) == false)
        #expect(diagnostics(yaml) == ["broken.yml:5:28: error: placeholder '%Workstations%' has no values; the rule is skipped. Give them with --placeholders FILE (a YAML map like 'Workstations: [value, …]')"])
        // An empty list is valid: the value matches nothing (`not` of it matches everything).
        let empty = loadRule(yaml, placeholders: ["Workstations": []])!
        #expect(evaluate(empty, TestEvent(["Computer": "WS-ED-01"])) == false)
        #expect(diagnostics(yaml, placeholders: ["Workstations": []]) == ["broken.yml:5:28: warning: placeholder '%Workstations%' is an empty list: this value matches nothing"])
        let negated = loadRule("""
            title: t
            logsource: {product: test}
            detection:
                known:
                    Computer|expand: '%Workstations%'
                condition: not known
            """, placeholders: ["Workstations": []])!
        #expect(evaluate(negated, TestEvent(["Computer": "WS-ED-01"])) == true)
        // Without `expand`, %TEMP% is literal.
        #expect(matchTable("f|contains", "'%TEMP%'", ["C:\\%TEMP%\\x", "C:\\tmp"]) == [true, false])
        // cidr|expand
        let cidr = loadRule(selectionRule("ip|cidr|expand", "'%Internal%'"), placeholders: ["Internal": ["10.0.0.0/8"]])!
        #expect(evaluate(cidr, TestEvent(["ip": "10.9.9.9"])) == true)
    }

    @Test func expansionsStayORedUnderAll() {
        // (any variant of 'ab') AND (any variant of 'cd').
        let rule = loadRule(selectionRule("f|base64offset|contains|all", "['abc', 'xyz']"))!
        #expect(rule.searches[0].expression.items[0].groups.map(\.count) == [3, 3])
        let both = Data("..abc..xyz".utf8).base64EncodedString()
        #expect(evaluate(rule, TestEvent(["f": both])) == true)
    }

    @Test func unknownAndMisplacedModifiersAreErrorsWithPositions() {
        #expect(diagnostics(selectionRule("f|contians", "'x'")) == ["broken.yml:5:9: error: unknown modifier 'contians' (did you mean 'contains'?)"])
        #expect(diagnostics(selectionRule("f|contains|re", "'x'")) == ["broken.yml:5:9: error: modifier 're' must come first in the chain"])
        #expect(diagnostics(selectionRule("f|i", "'x'")) == ["broken.yml:5:9: error: regex flag 'i' needs 're' before it"])
    }
}

/// Numbers are read from the field's bytes without making a string; the answers are those of
/// `Double(text.trimmingCharacters(in: .whitespaces))` and `Int64(text)`, which they replace.
@Suite struct NumberReadingTests {
    @Test func numericComparisonsReadValuesAsFoundationDoes() {
        var g = SeededGenerator(seed: 41)
        let pieces = [" ", "\t", "+", "-", "0", "7", "9", "12", ".", "5", "e", "E3", "\u{a0}", "x", "inf", "nan", "00"]
        let scratch = MatchScratch()
        for _ in 0..<4000 {
            let text = (0..<Int.random(in: 0...6, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
            let expected = Double(text.trimmingCharacters(in: .whitespaces))
            let event = TestEvent(["n": text])
            for bound in [-1.0, 0, 7, 1000] {
                for (comparison, holds) in [(NumericComparison.lt, { (a: Double, b: Double) in a < b }),
                                            (.gte, { $0 >= $1 }), (.eq, { $0 == $1 })] {
                    let matcher = ValueMatcher.numeric(comparison, bound)
                    let got = event.withValue(of: FieldRef("n")) { matcher.matches($0, event: event, scratch: scratch) }
                    #expect(got == (expected.map { holds($0, bound) } ?? false), "'\(text)' \(comparison) \(bound)")
                }
            }
            if let number = Int64(text) {
                let matcher = ValueMatcher.integer(number, CompiledPattern(SigmaString(tokens: [.literal(Array("#".utf8))]), caseSensitive: false))
                #expect(event.withValue(of: FieldRef("n")) { matcher.matches($0, event: event, scratch: scratch) }, "'\(text)'")
            }
        }
    }
}
