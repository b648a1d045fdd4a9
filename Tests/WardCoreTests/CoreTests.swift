import Foundation
import Testing
import WardCore
import WardTestSupport

@Suite struct TimeTests {
    @Test func civilDaysRoundTripOverFourCenturies() {
        #expect(CivilTime.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilTime.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilTime.daysFromCivil(year: 1969, month: 12, day: 31) == -1)
        var day = CivilTime.daysFromCivil(year: 1800, month: 1, day: 1)
        for year in 1800..<2200 {
            for month in 1...12 {
                for d in 1...CivilTime.daysInMonth(year: year, month: month) {
                    #expect(CivilTime.daysFromCivil(year: year, month: month, day: d) == day)
                    let back = CivilTime.civilFromDays(day)
                    if back.year != year || back.month != month || back.day != d {
                        Issue.record("civilFromDays(\(day)) = \(back), want \(year)-\(month)-\(d)")
                    }
                    day += 1
                }
            }
        }
    }

    @Test func rfc3339ParsesFractionsOffsetsAndAgreesWithFoundation() {
        for text in ["2003-10-11T22:14:15.003Z", "2003-08-24T05:14:15.000003-07:00", "2016-01-15T00:04:01+00:00",
                     "2024-02-29T23:59:59Z", "1985-04-12T23:20:50.52Z", "2018-12-31T23:59:59.999999-23:59"] {
            let bytes = Array(text.utf8)
            let parsed = bytes.withUnsafeBufferPointer {
                RFC3339.parse($0.baseAddress!, from: 0, to: bytes.count, strict: true)
            }
            #expect(parsed.errorAt == nil, "\(text)")
            #expect(parsed.end == bytes.count)
            #expect(parsed.nanos == referenceNanos(text), "\(text)")
        }
    }

    @Test func rfc3339ReportsTheFirstByteThatCannotContinue() {
        let cases: [(String, Int, Bool)] = [
            ("2003-13-01T00:00:00Z", 6, false), ("2003-02-30T00:00:00Z", 20, true), ("2003-09-31T00:00:00Z", 20, true),
            ("2023-02-29T00:00:00Z", 20, true), ("2003-01-01T24:00:00Z", 12, false), ("2003-01-01t00:00:00Z", 10, false),
            ("2003-01-01T00:00:00.1234567Z", 26, false), ("2003-01-01T00:00:00", 19, false),
        ]
        for (text, column, range) in cases {
            let bytes = Array(text.utf8)
            let parsed = bytes.withUnsafeBufferPointer {
                RFC3339.parse($0.baseAddress!, from: 0, to: bytes.count, strict: true)
            }
            #expect(parsed.errorAt == column, "\(text)")
            #expect(parsed.isRangeError == range, "\(text)")
        }
        // Lenient (rsyslog high precision, JSON logs): lower case, 9 digits, no zone = assumed offset.
        let lenient = Array("2003-01-01t00:00:00.123456789".utf8)
        let parsed = lenient.withUnsafeBufferPointer {
            RFC3339.parse($0.baseAddress!, from: 0, to: lenient.count, strict: false, assumedOffsetSeconds: 3600)
        }
        #expect(parsed.nanos == referenceNanos("2002-12-31T23:00:00Z") + 123_456_789)
    }

    @Test func bsdStampsAsDevicesWriteThem() {
        func stamp(_ text: String, year: Int? = 2024) -> (Int64, Int)? {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBufferPointer {
                BSDTimestamp.parse($0.baseAddress!, from: 0, to: bytes.count, year: year,
                                   referenceSeconds: 1_700_000_000, offsetSeconds: 0).map { ($0.nanos, $0.end) }
            }
        }
        #expect(stamp("Jan  6 15:22:26 x")! == (referenceNanos("2024-01-06T15:22:26Z"), 15))
        #expect(stamp("AUG 10 22:18:24 x")! == (referenceNanos("2024-08-10T22:18:24Z"), 15))
        #expect(stamp("Mar 7 2008 19:06:53: x")! == (referenceNanos("2008-03-07T19:06:53Z"), 19))
        #expect(stamp("Mar  1 18:48:50.483 UTC")! == (referenceNanos("2024-03-01T18:48:50.483Z"), 19))
        #expect(stamp("Feb 29 00:00:00 x", year: 2023) == nil)
        #expect(stamp("Foo  1 00:00:00 x") == nil)
        #expect(stamp("Jan 32 00:00:00 x") == nil)
        #expect(stamp("Jan  1 25:00:00 x") == nil)
    }

    @Test func timestampsFormatAsRFC3339UTCWithTheNeededPrecision() {
        #expect(TimestampFormat.rfc3339(0) == "1970-01-01T00:00:00.000Z")
        #expect(TimestampFormat.rfc3339(referenceNanos("2003-08-24T05:14:15.000003-07:00")) == "2003-08-24T12:14:15.000003Z")
        #expect(TimestampFormat.rfc3339(1_000_000_001) == "1970-01-01T00:00:01.000000001Z")
        #expect(TimestampFormat.rfc3339(-1_000_000) == "1969-12-31T23:59:59.999Z")
    }
}

@Suite struct EventTests {
    @Test func fieldIDsAreTheECSNamesOfDesignMD() {
        #expect(FieldID.names.count == Set(FieldID.names).count)
        for (i, name) in FieldID.names.enumerated() {
            #expect(FieldID(named: name)?.rawValue == UInt16(i))
        }
        let expected: [(FieldID, String)] = [
            (.timestamp, "@timestamp"), (.message, "message"), (.eventOriginal, "event.original"),
            (.logOffset, "log.offset"), (.hostHostname, "host.hostname"), (.processPID, "process.pid"),
            (.syslogFacilityCode, "log.syslog.facility.code"), (.structuredData, "log.syslog.structured_data"),
            (.sourceIP, "source.ip"), (.destinationPort, "destination.port"), (.observerVendor, "observer.vendor"),
            (.ruleName, "rule.name"), (.userName, "user.name"), (.hl7MessageType, "hl7.message_type"),
            (.hl7EVNOperatorID, "hl7.evn.operator_id"), (.patientID, "patient.id"),
        ]
        for (id, name) in expected { #expect(id.name == name) }
        #expect(FieldID(named: "no.such.field") == nil)
    }

    @Test func linesSplitOnNewlineDropCRAndAreCutAtTheLimit() {
        let bytes = Array("one\r\n\r\n\(String(repeating: "z", count: 100))\nlast".utf8)
        var origin = testOrigin()
        origin.firstLine = 41
        let chunk = Chunk(bytes: bytes, origin: origin, lineLimit: 64)
        #expect(chunk.recordCount == 4)
        let lines = chunk.records
        #expect(lines.map(\.start) == [0, 5, 7, 108])
        #expect(lines.map(\.length) == [3, 0, 64, 4])
        #expect(lines.map(\.fullLength) == [3, 0, 100, 4])
        #expect(lines.map(\.line) == [41, 42, 43, 44])
        #expect(lines.map(\.kind) == [.line, .line, .line, .line])
    }

    @Test func batchReuseAllocatesNothingOnceGrown() {
        var batch = EventBatch()
        let capacity = (batch.events.capacity, batch.fields.capacity, batch.scratch.capacity)
        for _ in 0..<3 {
            batch.reset()
            for i in 0..<10_000 {
                batch.beginEvent(lineStart: i, lineLength: 1, fullLength: 1, lineNumber: Int64(i))
                batch.addField(.message, start: i, count: 1)
                batch.addField(.processPID, integer: i)
                batch.endEvent(dataset: .syslogRFC3164, timestamp: 0)
            }
        }
        #expect((batch.events.capacity, batch.fields.capacity, batch.scratch.capacity) == capacity)
        #expect(batch.events.count == 10_000)
        let chunk = Chunk(bytes: [UInt8](repeating: 0x61, count: 10_000), origin: testOrigin())
        let read = batch.readEvents(in: chunk)
        #expect(read[9_999].fields == ["message": "a", "process.pid": "9999"])
    }

    @Test func rollbackForgetsAHalfParsedLine() {
        var batch = EventBatch()
        batch.beginEvent(lineStart: 0, lineLength: 3, fullLength: 3, lineNumber: 1)
        let mark = batch.mark()
        batch.addField(.processName, literal: "sshd")
        batch.addField(.processPID, integer: -42)
        batch.rollback(to: mark)
        batch.addField(.message, start: 0, count: 3)
        batch.endEvent(dataset: .unparsed, timestamp: EventRecord.noTimestamp)
        let read = batch.readEvents(in: Chunk(bytes: Array("abc".utf8), origin: testOrigin()))
        #expect(read[0].order == ["message"])
        #expect(batch.scratch.isEmpty)
    }
}

@Suite struct ByteTests {
    /// The UTF-8 scan must agree with Swift's own decoder on where text is ill-formed.
    @Test func utf8ScanAgreesWithSwiftsDecoder() {
        var generator = SeededGenerator(seed: 2027)
        let alphabet: [UInt8] = [0x41, 0x80, 0xBF, 0xC2, 0xC0, 0xE0, 0xA0, 0xED, 0x9F, 0xF0, 0x90, 0xF4, 0x8F, 0xFF, 0xE2, 0x82, 0xAC]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...8, using: &generator)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
            let valid = String(validating: bytes, as: UTF8.self) != nil
            let firstBad = bytes.withUnsafeBufferPointer {
                UTF8Scan.firstInvalidByte($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, from: 0, to: count)
            }
            #expect((firstBad == nil) == valid, "\(bytes)")
        }
    }

    @Test func memchrHelpersFindFirstLastAndCount() {
        let bytes = Array("a\nb\nc".utf8)
        bytes.withUnsafeBufferPointer { buf in
            let p = buf.baseAddress!
            #expect(ByteScan.firstIndex(of: 0x0A, in: p, from: 0, to: 5) == 1)
            #expect(ByteScan.firstIndex(of: 0x0A, in: p, from: 2, to: 5) == 3)
            #expect(ByteScan.lastIndex(of: 0x0A, in: p, from: 0, to: 5) == 3)
            #expect(ByteScan.lastIndex(of: 0x0A, in: p, from: 0, to: 3) == 1)
            #expect(ByteScan.count(of: 0x0A, in: p, from: 0, to: 5) == 2)
            #expect(ByteScan.firstIndex(of: 0x0A, in: p, from: 4, to: 5) == nil)
        }
    }
}
