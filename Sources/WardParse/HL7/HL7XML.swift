import WardCore

/// HL7 v2 messages in the XML encoding (`<ADT_A17 xmlns="urn:hl7-org:v2xml"><MSH><MSH.1>|</MSH.1>…`),
/// rewritten as ER7 with the standard delimiters so that one parser, one redactor and one set of paths
/// serve both encodings.
enum HL7XML {
    static let namespace: StaticString = "urn:hl7-org:v2xml"

    /// Whether `p[from..<to]` holds a start tag in the HL7 v2 XML namespace.
    static func mentions(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Bool {
        let n = namespace.utf8CodeUnitCount
        var i = from
        while let lt = ByteScan.firstIndex(of: UInt8(ascii: "<"), in: p, from: i, to: to) {
            let gt = ByteScan.firstIndex(of: UInt8(ascii: ">"), in: p, from: lt, to: to) ?? to
            var k = lt
            while k + n <= gt {
                if XMLScanner.equals(p, k..<(k + n), namespace) { return true }
                k += 1
            }
            i = lt + 1
        }
        return false
    }

    /// Appends the ER7 form of the XML message in `p[from..<to]` to `out`. Returns `false` (and appends
    /// nothing) when there is no MSH segment.
    static func appendER7(_ p: UnsafePointer<UInt8>, from: Int, to: Int, to out: inout [UInt8]) -> Bool {
        let start = out.count
        var s = XMLScanner(p, from: from, to: to)
        var header = false
        var separators = 0  // field separators written in this segment
        var field = 0  // open field number, 0 = none
        var componentsWritten = 1, subcomponentsWritten = 1
        var depth = 0  // 0 outside, 1 segment, 2 field, 3 component, 4 sub-component
        var sawMSH = false
        while let tag = s.next() {
            let n = tag.name
            if tag.isClosing {
                if depth > 0 { depth -= 1 }
                continue
            }
            if depth == 0 {
                // A segment: three capitals or digits, no dot (groups such as OMD_O03.PATIENT are skipped).
                guard n.count == 3, ER7.isSegmentStart(p, at: n.lowerBound, end: n.upperBound, field: 0),
                      !tag.isEmpty else { continue }
                if out.count > start { out.append(ASCII.carriageReturn) }
                out.append(contentsOf: UnsafeBufferPointer(start: p + n.lowerBound, count: 3))
                let id = ER7.segmentID(p, at: n.lowerBound)
                header = ER7.isHeader(id)
                if id == ER7.msh { sawMSH = true }
                separators = 0
                field = 0
                depth = 1
                continue
            }
            // A numbered part: "<NAME>.<n>".
            guard let dot = ByteScan.lastIndex(of: UInt8(ascii: "."), in: p, from: n.lowerBound, to: n.upperBound) else {
                if !tag.isEmpty { depth += 1 }
                continue
            }
            var number = 0
            for k in (dot + 1)..<n.upperBound where ASCII.isDigit(p[k]) {
                number = number * 10 + Int(p[k] &- 0x30)
                if number > Self.largestPart { break }
            }
            // A part number no HL7 message has (`<PID.5.99999999999>`) would have us write that many
            // separators: the element is not placed.
            guard number <= Self.largestPart else {
                if !tag.isEmpty { depth += 1 }
                continue
            }
            switch depth {
            case 1:
                if header && number == 1 {
                    // MSH-1 is the separator written below.
                    if !tag.isEmpty { depth = 2; field = 1 }
                    if separators == 0 { out.append(UInt8(ascii: "|")); separators = 1 }
                    _ = s.text()
                    continue
                }
                let needed = header ? number - 1 : number
                if number == field && needed == separators {
                    out.append(UInt8(ascii: "~"))  // a repetition
                } else {
                    while separators < needed { out.append(UInt8(ascii: "|")); separators += 1 }
                }
                field = number
                componentsWritten = 1
                if !tag.isEmpty {
                    depth = 2
                    if header && number == 2 {
                        XMLScanner.appendDecoded(p, s.text(), to: &out)  // the encoding characters, as they are
                    } else {
                        appendText(p, s.text(), to: &out)
                    }
                }
            case 2:
                while componentsWritten < number { out.append(UInt8(ascii: "^")); componentsWritten += 1 }
                subcomponentsWritten = 1
                if !tag.isEmpty {
                    depth = 3
                    appendText(p, s.text(), to: &out)
                }
            case 3:
                while subcomponentsWritten < number { out.append(UInt8(ascii: "&")); subcomponentsWritten += 1 }
                if !tag.isEmpty {
                    depth = 4
                    appendText(p, s.text(), to: &out)
                }
            default:
                if !tag.isEmpty { depth += 1 }
            }
        }
        if !sawMSH { out.removeSubrange(start...) }
        return sawMSH
    }

    /// The largest field, component or subcomponent number placed (HL7 v2 segments stop well below).
    static let largestPart = 1_000

    /// Appends element text, entities decoded and ER7 delimiters escaped (`|` → `\F\`, …).
    static func appendText(_ p: UnsafePointer<UInt8>, _ r: Range<Int>, to out: inout [UInt8]) {
        guard !r.isEmpty, ByteScan.firstIndex(of: UInt8(ascii: "<"), in: p, from: r.lowerBound, to: r.upperBound) == nil else {
            return
        }
        var decoded: [UInt8] = []
        XMLScanner.appendDecoded(p, r, to: &decoded)
        for b in decoded {
            switch b {
            case UInt8(ascii: "|"): out.append(contentsOf: Array(#"\F\"#.utf8))
            case UInt8(ascii: "^"): out.append(contentsOf: Array(#"\S\"#.utf8))
            case UInt8(ascii: "&"): out.append(contentsOf: Array(#"\T\"#.utf8))
            case UInt8(ascii: "~"): out.append(contentsOf: Array(#"\R\"#.utf8))
            case UInt8(ascii: "\\"): out.append(contentsOf: Array(#"\E\"#.utf8))
            case ASCII.carriageReturn, ASCII.newline: out.append(ASCII.space)
            default: out.append(b)
            }
        }
    }
}
