import Foundation
import Testing
import WardCore
import WardParse
import WardTestSupport

/// `input` after 1…`edits` random edits: a byte replaced by or inserted from `interesting`, up to
/// `longestCut` bytes removed, or the rest cut off.
func mutate(_ input: [UInt8], edits: Int, longestCut: Int, _ interesting: [UInt8],
            _ generator: inout SeededGenerator) -> [UInt8] {
    var text = input
    for _ in 0..<Int.random(in: 1...edits, using: &generator) {
        guard !text.isEmpty else { break }
        let at = Int.random(in: 0..<text.count, using: &generator)
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: text[at] = interesting.randomElement(using: &generator)!
        case 1: text.insert(interesting.randomElement(using: &generator)!, at: at)
        case 2: text.removeSubrange(at..<min(text.count, at + Int.random(in: 1...longestCut, using: &generator)))
        default: text = Array(text[0..<at])  // truncated
        }
    }
    return text
}

/// Bad input never crashes and never loses a line: mutated real lines and random bytes through the
/// per-line detection and every parser.
@Suite struct FuzzTests {
    static func seeds() throws -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for file in ["SampleLogs/linux/auth.log", "SampleLogs/linux/messages", "SampleLogs/ehr/ehr-app.log"] {
            let data = try Data(contentsOf: Paths.root.appendingPathComponent(file))
            lines += data.split(separator: 0x0A).map { Array($0) }
        }
        lines.append(Array(#"{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\x.exe","Command Line":"a \"b\" \u00e9"}}}"#.utf8))
        lines.append(Array(#"{"a":[1,{"b":[true,false,null,-1.5e3]}],"c":"\ud83d\ude00"}"#.utf8))
        return lines
    }

    @Test func mutatedAndRandomLinesAlwaysBecomeEvents() throws {
        var generator = SeededGenerator(seed: 2027)
        let seeds = try Self.seeds()
        let interesting: [UInt8] = Array("<>[]{}\":\\ -=,0123456789TZ.\u{0}\r\n".utf8) + [0xEF, 0xBB, 0xBF, 0xFF, 0xC3]
        var lines: [[UInt8]] = []
        for _ in 0..<6000 {
            let line = mutate(seeds.randomElement(using: &generator)!, edits: 6, longestCut: 8, interesting, &generator)
            lines.append(line.filter { $0 != 0x0A })
        }
        for _ in 0..<2000 {
            lines.append((0..<Int.random(in: 0...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                .filter { $0 != 0x0A })
        }
        for format in [LogFormat.auto, .rfc5424, .rfc3164, .json] {
            let bytes = Array(lines.joined(separator: [0x0A]))
            let parser = EventParser(options: ParseOptions(format: format))
            let chunk = Chunk(bytes: bytes, origin: testOrigin(), framing: parser.framing)
            var batch = EventBatch()
            parser.parse(chunk, into: &batch)
            #expect(batch.events.count == lines.count, "\(format)")
            // Every event keeps its line, and every field lies inside the chunk or the scratch area.
            for (i, event) in batch.events.enumerated() {
                let crlf = lines[i].last == 0x0D ? 1 : 0  // a \r before the newline is the line end
                #expect(Int(event.lineLength) == lines[i].count - crlf)
                for slot in batch.fields[batch.fieldRange(of: i)] {
                    let limit = slot.value.inScratch ? batch.scratch.count : chunk.count
                    #expect(Int(slot.value.start) + Int(slot.value.count) <= limit)
                }
            }
        }
    }
}

/// HL7 v2, ATNA and FHIR inputs mutated at random (delimiters, escapes, frame bytes, tags, quotes):
/// never a crash, every field inside the chunk or scratch, every line inside some event.
@Suite(.needsShared) struct AuditFuzzTests {
    static func seeds() throws -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        for name in ["sample_hl7", "sample_file1", "sample_batch", "rep_sample_hl7", "sample_bad_file1"] {
            seeds.append(Array(try Data(contentsOf: Paths.sample("hl7v2_python-hl7/\(name).hl7"))))
        }
        for file in ["SampleLogs/hl7/interface-engine.log", "SampleLogs/ehr/atna-audit.log", "SampleLogs/ehr/fhir-audit.jsonl"] {
            let data = try Data(contentsOf: Paths.root.appendingPathComponent(file))
            seeds += data.split(separator: 0x0A).map { Array($0) }
        }
        seeds.append(Array("\u{0B}MSH#$*@!#A#B#C#D#2026##ADT$A08#M3#P#2.6\rPID###X@X41@1$$$AUTH!1\u{1C}\r".utf8))
        return seeds
    }

    @Test func mutatedAuditMessagesNeverCrashAndKeepEveryLine() throws {
        var generator = SeededGenerator(seed: 2028)
        let seeds = try Self.seeds()
        let interesting: [UInt8] = Array("|^~\\&#\r\n<>/\"=:{}[],MSHPIDX0129 ".utf8) + [0x0B, 0x1C, 0xEF, 0xFF, 0x00]
        var bytes: [UInt8] = []
        for _ in 0..<3000 {
            let text = mutate(seeds.randomElement(using: &generator)!, edits: 8, longestCut: 16, interesting, &generator)
            bytes += text + [0x0A]
        }
        let chunk = Chunk(bytes: bytes, origin: testOrigin(), framing: AuditRecordFraming())
        var batch = EventBatch()
        EventParser().parse(chunk, into: &batch)
        var covered = [Bool](repeating: false, count: bytes.count)
        for (i, event) in batch.events.enumerated() {
            #expect(Int(event.lineStart) + Int(event.lineLength) <= bytes.count)
            for k in Int(event.lineStart)..<(Int(event.lineStart) + Int(event.lineLength)) { covered[k] = true }
            for slot in batch.fields[batch.fieldRange(of: i)] {
                let limit = slot.value.inScratch ? batch.scratch.count : chunk.count
                #expect(Int(slot.value.start) + Int(slot.value.count) <= limit)
            }
        }
        // Every byte that is not a line or segment separator or frame byte belongs to an event.
        let lost = bytes.indices.filter { !covered[$0] && ![0x0A, 0x0D, 0x0B, 0x1C].contains(bytes[$0]) }
        #expect(lost.isEmpty, "\(lost.count) bytes in no event, first at \(lost.first ?? -1)")
    }
}

/// Inputs libFuzzer found (`Fuzz/run.sh`), kept as regression tests.
@Suite struct FuzzFindingTests {
    /// FuzzParse, 2026-11-28: an HL7 v2 XML element whose name ends in a huge part number
    /// (`<TS.1=20080427092114>` reads as part 120080427092114) made the ER7 rebuild write that many
    /// separators — minutes of work and gigabytes for 300 bytes. Parts beyond 1,000 are not placed.
    @Test func anHL7XMLPartNumberBeyondAnyMessageIsNotPlaced() throws {
        let xml = #"<ORU_R01 xmlns="urn:hl7-org:v2xml"><MSH><MSH.1>|</MSH.1><MSH.2>^~\&amp;</MSH.2><MSH.9><MSG.1>ORU</MSG.1><MSG.2>R01</MSG.2></MSH.9><MSH.12><VID.1>2.5</VID.1></MSH.12></MSH><PID><PID.7><TS.1=20080427092114</TS.1></PID.7><PID.5><XPN.99999999999>x</XPN.99999999999></PID.5></PID></ORU_R01>"#
        let parser = EventParser(options: ParseOptions(patientData: .randomKey()))
        let chunk = Chunk(bytes: Array((xml + "\n").utf8), origin: testOrigin(path: "finding.xml"), framing: parser.framing)
        var batch = EventBatch()
        parser.parse(chunk, into: &batch)
        let events = batch.readEvents(in: chunk)
        #expect(events.map(\.dataset) == ["hl7.v2"])
        #expect(events.first?.fields["message"] == "MSH|^~\\&|||||||ORU^R01|||2.5\rPID|||||||[redacted]")
    }
}

extension FuzzFindingTests {
    /// FuzzParse, 2026-11-28: a FortiGate `eventtime` of 11 to 15 digits is seconds, and seconds that
    /// many overflow nanoseconds: the parser trapped. Now the line parses, without a time from it.
    @Test func aFortiGateEventTimeTooLargeForNanosecondsIsNoTime() throws {
        let line = #"date=2026-11-22 time=04:10:02 devname="FG-HOSP-01" devid="FGT60F0000000001" eventtime=999999999999999 tz="+0000" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=10.20.4.31 srcport=50555 dstip=45.133.1.20 dstport=80 action="deny""#
        let parser = EventParser(options: ParseOptions(patientData: .randomKey()))
        let chunk = Chunk(bytes: Array((line + "\n").utf8), origin: testOrigin(path: "fw.log"), framing: parser.framing)
        var batch = EventBatch()
        parser.parse(chunk, into: &batch)
        let events = batch.readEvents(in: chunk)
        #expect(events.map(\.dataset) == ["firewall.fortigate"])
        #expect(events.first?.fields["event.action"] == "deny")
    }
}

extension FuzzFindingTests {
    /// FuzzParse, 2026-11-28: an HL7 batch (FHS … MSH …) mutated so that its redacted copy came out
    /// shorter than the original; the `message` field pointed past the copy's end with a negative
    /// length, and writing the event trapped. Every field of every event is now readable.
    @Test func aMessageNeverReachesPastItsRedactedCopy() throws {
        let base64 = [
            "RkhTfF5+XCZ8fEFCQ0hTfHxBVVNESFNWfDIwMDcwMTAxMTIzNDAxfGl8Ymh8YXMyMDA3MDEwMTEyMzQwMS5obDd8DU1TSHxeflwmfHxBQkNIU3",
            "x8QVVTREhTVnwyMDA3MDEwMTExMjk1MXx8QURUXkEwNF5BRlRfQTAxfDEyMzM0NDU2Nzc4ODkwfFB8Mi41fHx8TkV8TkV8QVV8QVNDSUkNRVZO",
            "fEEwNHwyMDA2MDcwNTAwMDAwMA1QSUR8MXx8MDAwMDExMjIzNF5eXjEwMF5BfHxYSFhYWFhYWFhYXl5eXl5eU3x8MTAxMzExMTN8MXx8NHxeXl",
            "JJQ0hNT05EXl4zMTIxfHx8fDEyMDF8fHx8fHx8fDExMDB8fHx8fHx8fHxBQUENUEQxfHwyDU5LMXwxfHwxfHx8fHx8fHx8fHx8fHx8fHx8Mg1Q",
            "VjF8MXxPfHx8fF5eXl5eMQ1NU0h8Xn5cJnx8QUJDSFN8fEEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAMS5obDd8DU1TSH",
            "xeflwmfHxBQkNIU3x8QVVTREhTVnwyMDA3MDEwMTExMjk1MXx8QURUXkEwNF5BRlRfQTAxfDEyMzM0NDU2Nzc4ODkwfFB8Mi41fHx8TkV8TkV8",
            "QVV8QVNDSUkNRVZOfEEwNHwyMDA2MDcwNTAwMDAwMA1QSUR8MXx8MDAwMDExMjIzNF5eXjEwMF5BfHxYSFhYWFhYWFhYXl5eXl5eU3x8MTAxMz",
            "ExMTN8MXx8NHxeXlJJQ0hNT05EXl4zMTIxfHx8fDEyMDF8fHx8fHx8fDExMDB8fHx8fHx8fHxBQUENUEQ6MjQ6MzEgZnRkLWZ3LTAxIDogJUZU",
            "RC02LTMwMjAyMDogQnVpbHQgb3V0Ym91bmQgSUNNUCBjb25uZWN0aW9uIGZvciBmYWRkciAyMDMuMC4xMTMuMjAvMCBnYWRkciAxOTguNTEuMT",
            "AwLjEwLzAgbGFkZHIgMTkyLjAuMi4zMC8wIHR5cGUgOCBjb2RlIDAgCjwxNjY+QXVnIDE4IDIwMjYgMTg6MjQ6MzIgZnRkLWZ3LTAxWFheXl5e",
            "Xl5TfHwxMDEzMTExM3wxfHw0fF5eUklDSE1PTkReXjMxMjF8fHx8MTIwMXx8fHx8fHx8MTEwMHx8fHx8fHx8fEFBQQ1QRDF8fDINTksxfDF8fD",
            "F8fHx8fHx8fHx8fHx8fHx8fHwyDVBWMXwxfE98fHx8Xl5eXl4xDU1TSHxeflwmfHxBQkNIU3x8QQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAxLmhsN3wNTVNIfF5+XCZ8fEFCQ0hTfHxBVVNESFNWfDIwMDcwMTAxMTEyOTUxfHxBRFReQTA0XkFGVF9BMDF8MTIzMzQ0NT",
            "Y3Nzg4OTB8UHwyLjV8fHxORXxORXxBVXxBU0NJSQ1FVk58QTA0fDIwMDYwNzA1MDAwMDAwDVBJRHwxfHwwMDAwMTEyMjM0Xl5eMTAwXkF8fFhI",
            "WFhYWFhYWFheXl5eXl5TfHwxMDEzMTExM3wxfHw0fF5eUklDSE1PTkReXjMxMjF8fHx8MTIwMXx8fHx8fHx8MTEwMHx8fHx8fHx8fEFBQQ1QRD",
            "oyNDozMSBmdGQtZnctMDEgOiAlRlRELTYtMzAyMDIwOiBCdWlsdCBvdXRib3VuZCBJQ01QIGNvbm5lY3Rpb24gZm9yIGZhZGRyIDIwMy4wLjEx",
            "My4yMC8wIGdhZGRyIDE5OC41MS4xMDAuMTAvMCBsYWRkciAxOTIuMC4yLjMwLzAgdHlwZSA4IGNvZGUgMCAKPDE2Nj5BdWcgMTggMjAyNiAxOD",
            "oyNDozMiBmdGQtZnctMDEgOiAlRlRELTYtMzAyMDIwOiBCdWlsdCBpbmJvdW5kIElDTVAgY29ubmVjdGlvbiBmb3IgZmFkZHIgb3V0c2lkZToy",
            "MDMuMC4xMTMuMjAvMCBnYWRkciAxOTguNTEuMTAwLjEwLzAgbGFkZHIgaW5zaWRlOjE5Mi4wLjIuMzAvMCB0eXBlIDggY29kZSAwIAo8MTY2Pk",
            "F1ZyAxOCAyMDI2IDE4OjI0OjMzIGZ0ZC1mdy0wMSA6ICVGVEQtNi0zMDIwMjA6IEJ1aWx0IG91dGJvdW5kIElDTVAgY29ubmVjdGlvbiBmb3Ig",
            "ZmFkZHIgb52dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2ddXRzMXx8Mg1OSzF8MXx8MXx8fHx8fHx8fHx8fHx8fHx8fDINUFYxfD",
            "F8T3x8fHxeXl5eXjENTVNIfF5+XCZ8fEFCQ0hTfHxBAAAAAAAAIDogJUZURC02LTMwMjAyMDogQnVpbHQgaW5ib3VuZCBJQ01QIGNvbm5lY3Rp",
            "b24gZm9yIGZhZGRyIG91dHNpZGU6MjAzLjAuMTEzLjIwLzAgZ2FkZHIgMTk4LjUxLjEwMC4xMC8wIGxhZGRyIGluc2lkZToxOTIuMC4yLjMwLz",
            "AgdHlwZSA4IGNvZGUgMCAKPDE2Nj5BdWcgMTggMjAyNiAxODoyNDozMyBmdGQtZnctMDEgOiAlRlRELTYtMzAyMDIwOiBCdWlsdCBvdXRib3Vu",
            "ZCBJQ01QIGNvbm5lY3Rpb24gZm9yIGZhZGRyIG+dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnXV0czF8fDINTksxfDF8fDF8fH",
            "x8fHx8fHx8fHx8fHx8fHwyDVBWMXwxfE98fHx8Xl5eXl4xDU1TSHxeflwmfHxBQkNIU3x8QQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAiIiIiIiIiIiIiIiIiIiIiIiIiIiIfHx8fHx8fHx8fHx8fDINUFYxfDF8T3x8fHxeXl5eXjENRlRTfDEN",
        ].joined()
        let bytes = try #require(Data(base64Encoded: base64))
        let parser = EventParser(options: ParseOptions(patientData: .randomKey()))
        let chunk = Chunk(bytes: Array(bytes), origin: testOrigin(path: "batch.hl7"), framing: parser.framing)
        var batch = EventBatch()
        parser.parse(chunk, into: &batch)
        let events = batch.readEvents(in: chunk)  // reads every field's bytes
        #expect(events.count == 5)
        #expect(events.allSatisfy { ($0.fields["message"] ?? "").utf8.count < bytes.count })
    }
}

extension FuzzFindingTests {
    /// FuzzParse, 2026-11-28: a Cisco ASA 106100 endpoint with a `(` before its slash, or ending in
    /// `(`, made an inverted range and trapped. The line now parses.
    @Test func anASAEndpointWithAStrayParenthesisParses() throws {
        let lines = [
            "<166>Oct 04 2019 15:27:55 asa-edge01 : %ASA-5-106100: access-list AL-IN denied udp in(1)/10.0.0.1(53) -> out/10.0.0.2(53) hit-cnt 1 first hit",
            "<166>Oct 04 2019 15:27:55 asa-edge01 : %ASA-5-106100: access-list AL-IN denied udp inside/10.0.0.1( -> out/10.0.0.2( hit-cnt 1 first hit",
        ]
        let parser = EventParser(options: ParseOptions(year: 2019, patientData: .randomKey()))
        let chunk = Chunk(bytes: Array((lines.joined(separator: "\n") + "\n").utf8), origin: testOrigin(path: "asa.log"),
                          framing: parser.framing)
        var batch = EventBatch()
        parser.parse(chunk, into: &batch)
        let events = batch.readEvents(in: chunk)
        #expect(events.map(\.dataset) == ["firewall.cisco_asa", "firewall.cisco_asa"])
        #expect(events.first?.fields["destination.ip"] == "10.0.0.2")
        #expect(events.first?.fields["destination.port"] == "53")
    }
}
