import WardCore
import WardIngest
import WardOutput

/// The state and checkpoint files written by hand: `JSONEncoder` takes a quarter of a second for a
/// state of 100,000 correlation groups, which a live tail writes every few seconds. The keys and
/// types are those of the `Codable` conformances, so `JSONDecoder` reads the files back.
extension StateSnapshot {
    /// The snapshot as JSON. Non-finite numbers (a value_sum that overflowed) are left out.
    public func json() -> [UInt8] {
        var w = JSONWriter(capacity: 4096)
        write(to: &w)
        return w.bytes
    }

    func write(to w: inout JSONWriter) {
        w.append("{\"version\":")
        w.appendInteger(Int64(version))
        w.append(",\"paths\":")
        Self.strings(paths, to: &w)
        w.append(",\"correlations\":{")
        for (i, key) in correlations.keys.sorted().enumerated() {
            if i > 0 { w.append(",") }
            w.appendString(key)
            w.append(":[")
            for (k, g) in correlations[key]!.enumerated() {
                if k > 0 { w.append(",") }
                w.append("{\"key\":")
                w.appendString(g.key)
                w.append(",\"values\":")
                Self.strings(g.values, to: &w)
                w.append(",\"newest\":")
                w.appendInteger(g.newest)
                w.append(g.firing ? ",\"firing\":true,\"entries\":[" : ",\"firing\":false,\"entries\":[")
                for (e, entry) in g.entries.enumerated() {
                    if e > 0 { w.append(",") }
                    w.append("{\"t\":")
                    w.appendInteger(entry.t)
                    w.append(",\"p\":")
                    w.appendInteger(Int64(entry.p))
                    w.append(",\"o\":")
                    w.appendInteger(entry.o)
                    w.append(",\"r\":")
                    w.appendInteger(Int64(entry.r))
                    if let n = entry.n, n.isFinite {
                        w.append(",\"n\":")
                        w.bytes += Array("\(n)".utf8)
                    }
                    if let v = entry.v {
                        w.append(",\"v\":")
                        w.bytes += Array(String(v).utf8)
                    }
                    w.append("}")
                }
                w.append("]}")
            }
            w.append("]")
        }
        w.append("},\"suppression\":[")
        for (i, s) in suppression.enumerated() {
            if i > 0 { w.append(",") }
            w.append("{\"rule\":")
            w.appendString(s.rule)
            w.append(",\"key\":")
            w.appendString(s.key)
            w.append(",\"first\":")
            w.appendInteger(s.first)
            w.append(",\"last\":")
            w.appendInteger(s.last)
            w.append(",\"end\":")
            w.appendInteger(s.end)
            w.append(",\"count\":")
            w.appendInteger(Int64(s.count))
            w.append(",\"fields\":")
            Self.strings(s.fields, to: &w)
            w.append(",\"values\":[")
            for (k, v) in s.values.enumerated() {
                if k > 0 { w.append(",") }
                if let v { w.appendString(v) } else { w.append("null") }
            }
            w.append("]}")
        }
        w.append("]")
        if let now = suppressionNow {
            w.append(",\"suppressionNow\":")
            w.appendInteger(now)
        }
        w.append("}")
    }

    static func strings(_ list: [String], to w: inout JSONWriter) {
        w.append("[")
        for (i, s) in list.enumerated() {
            if i > 0 { w.append(",") }
            w.appendString(s)
        }
        w.append("]")
    }
}

extension TailCheckpoint {
    public func json() -> [UInt8] {
        var w = JSONWriter(capacity: 4096)
        w.append("{\"version\":")
        w.appendInteger(Int64(version))
        w.append(",\"written\":")
        w.appendString(written)
        w.append(",\"patterns\":")
        StateSnapshot.strings(patterns, to: &w)
        w.append(",\"files\":[")
        for (i, f) in files.enumerated() {
            if i > 0 { w.append(",") }
            w.append("{\"path\":")
            w.appendString(f.path)
            w.append(",\"location\":")
            w.appendString(f.location)
            w.append(",\"device\":")
            w.bytes += Array(String(f.device).utf8)
            w.append(",\"inode\":")
            w.bytes += Array(String(f.inode).utf8)
            w.append(",\"headLength\":")
            w.appendInteger(Int64(f.headLength))
            w.append(",\"headHash\":")
            w.appendString(f.headHash)
            w.append(",\"offset\":")
            w.appendInteger(f.offset)
            w.append(",\"line\":")
            w.appendInteger(f.line)
            w.append(f.released ? ",\"released\":true}" : ",\"released\":false}")
        }
        w.append("]")
        if let state {
            w.append(",\"state\":")
            state.write(to: &w)
        }
        w.append("}\n")
        return w.bytes
    }
}
