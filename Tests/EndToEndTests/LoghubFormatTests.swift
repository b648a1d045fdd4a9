import Foundation
import Testing
import WardTestSupport

/// Every Loghub dataset parsed with the shipped definitions (`Rules/formats/loghub`, or the built-in
/// syslog parser for Linux and OpenSSH) gives, line by line, what the dataset's `_structured.csv` states
/// (logparser's own reading of each line, `../shared/samples/loghub/FORMATS.md`).
///
/// Names: the time → `@timestamp` (wall clock as written, UTC; `--year 2017` for stamps without a year),
/// `Content` → `message`, `Pid` → `process.pid`, `Level` → `log.level`, `Component` → `log.logger`, a
/// node or host column → `host.hostname`. Differences of convention, each on purpose:
/// - Linux `Level` and OpenSSH `Component` hold the host (the columns are misnamed upstream) → `host.hostname`;
///   Linux `Component` is the program → `process.name`.
/// - Zookeeper `Node` and Hadoop `Process` are thread names (`QuorumPeer[myid=1]/0`, `main`) →
///   `process.thread.name`; Zookeeper `Id` is the logging line → `log.origin.file.line`; Android `Tid` →
///   `process.thread.id`; Proxifier `Program` → `process.name`.
/// - Columns with no ECS name keep the dataset's: `bgl.label`, `bgl.epoch` (BGL's UNIX time; `@timestamp`
///   is its written time), `bgl.date`, `bgl.node_repeat`, `bgl.type`, `hpc.log_id`, `hpc.state`,
///   `hpc.flag`, `openstack.log_record`, `openstack.context` (`ADDR`).
/// - HPC's time is a UNIX time, so `@timestamp` is that instant (UTC).
@Suite(.needsShared) struct LoghubFormatTests {
    /// Per dataset: CSV column → field, and how the CSV's time columns read as `yyyy-MM-dd HH:mm:ss[.f]`.
    static let datasets: [(name: String, columns: [String: String], time: @Sendable ([String: String]) -> String)] = [
        ("Android", ["Pid": "process.pid", "Tid": "process.thread.id", "Level": "log.level", "Component": "log.logger",
                     "Content": "message"], { "2017-\($0["Date"]!) \($0["Time"]!)" }),
        ("Apache", ["Level": "log.level", "Content": "message"], { r in
            let p = r["Time"]!.split(separator: " ")
            return "\(p[4])-\(month(p[1]))-\(p[2]) \(p[3])"
        }),
        ("BGL", ["Label": "bgl.label", "Timestamp": "bgl.epoch", "Date": "bgl.date", "Node": "host.hostname",
                 "NodeRepeat": "bgl.node_repeat", "Type": "bgl.type", "Component": "log.logger", "Level": "log.level",
                 "Content": "message"], { r in
            let t = r["Time"]!  // 2005-06-03-15.42.50.675872
            let d = t.prefix(10), rest = t.dropFirst(11).split(separator: ".")
            return "\(d) \(rest[0]):\(rest[1]):\(rest[2]).\(rest[3])"
        }),
        ("HDFS", ["Pid": "process.pid", "Level": "log.level", "Component": "log.logger", "Content": "message"], { r in
            let d = Array(r["Date"]!), t = Array(r["Time"]!)
            return "20\(String(d[0..<2]))-\(String(d[2..<4]))-\(String(d[4..<6])) \(String(t[0..<2])):\(String(t[2..<4])):\(String(t[4..<6]))"
        }),
        ("HPC", ["LogId": "hpc.log_id", "Node": "host.hostname", "Component": "log.logger", "State": "hpc.state",
                 "Flag": "hpc.flag", "Content": "message"], { r in
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyy-MM-dd HH:mm:ss"
            return f.string(from: Date(timeIntervalSince1970: Double(r["Time"]!)!))
        }),
        ("Hadoop", ["Level": "log.level", "Process": "process.thread.name", "Component": "log.logger", "Content": "message"],
         { "\($0["Date"]!) \($0["Time"]!.replacingOccurrences(of: ",", with: "."))" }),
        ("Linux", ["Level": "host.hostname", "Component": "process.name", "PID": "process.pid", "Content": "message"], { r in
            "2017-\(month(Substring(r["Month"]!)))-\(pad(r["Date"]!)) \(r["Time"]!)"
        }),
        ("OpenSSH", ["Component": "host.hostname", "Pid": "process.pid", "Content": "message"], { r in
            "2017-\(month(Substring(r["Date"]!)))-\(pad(r["Day"]!)) \(r["Time"]!)"
        }),
        ("OpenStack", ["Logrecord": "openstack.log_record", "Pid": "process.pid", "Level": "log.level", "Component": "log.logger",
                       "ADDR": "openstack.context", "Content": "message"], { "\($0["Date"]!) \($0["Time"]!)" }),
        ("Proxifier", ["Program": "process.name", "Content": "message"], { r in
            let p = r["Time"]!.split(separator: " "), md = p[0].split(separator: ".")
            return "2017-\(md[0])-\(md[1]) \(p[1])"
        }),
        ("Spark", ["Level": "log.level", "Component": "log.logger", "Content": "message"], { r in
            "20\(r["Date"]!.replacingOccurrences(of: "/", with: "-")) \(r["Time"]!)"
        }),
        ("Windows", ["Level": "log.level", "Component": "log.logger", "Content": "message"], { "\($0["Date"]!) \($0["Time"]!)" }),
        ("Zookeeper", ["Level": "log.level", "Node": "process.thread.name", "Component": "log.logger", "Id": "log.origin.file.line",
                       "Content": "message"], { "\($0["Date"]!) \($0["Time"]!.replacingOccurrences(of: ",", with: "."))" }),
    ]

    static func month(_ name: Substring) -> String {
        let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return pad(String(names.firstIndex(of: String(name.prefix(3)))! + 1))
    }

    static func pad(_ s: String) -> String { s.count == 1 ? "0" + s : s }

    /// `yyyy-MM-dd HH:mm:ss[.f]` as wardwatch writes it: RFC 3339 UTC with 3, 6 or 9 fraction digits.
    static func rfc3339(_ text: String) -> String {
        let parts = text.split(separator: ".", maxSplits: 1)
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        while fraction.count < 3 || (fraction.count > 3 && fraction.count < 6) || (fraction.count > 6 && fraction.count < 9) { fraction += "0" }
        if fraction.count == 6, fraction.hasSuffix("000") { fraction.removeLast(3) }
        return parts[0].replacingOccurrences(of: " ", with: "T") + "." + fraction + "Z"
    }

    /// RFC 4180 rows.
    static func csv(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = text.makeIterator()
        var pending: Character?
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    let next = chars.next()
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true
            } else if c == "," { row.append(field); field = ""
            } else if c == "\n" || c == "\r\n" { row.append(field); rows.append(row); row = []; field = ""
            } else if c != "\r" { field.append(c) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    @Test(arguments: datasets.map(\.name)) func everyLineGivesWhatTheStructuredCSVStates(_ name: String) throws {
        let dataset = Self.datasets.first { $0.name == name }!
        let log = Paths.sample("loghub/\(name)/\(name)_2k.log")
        let rows = Self.csv(try String(contentsOf: Paths.sample("loghub/\(name)/\(name)_2k.log_structured.csv"), encoding: .utf8))
        let header = rows[0]
        let run = try wardwatch(["parse", "--year", "2017", log.path])
        #expect(run.status == 0, "\(run.stderr)")
        let events = try run.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(events.count == 2000)
        #expect(rows.count - 1 == 2000)
        var mismatches: [String] = []
        for (row, event) in zip(rows.dropFirst(), events) {
            let r = Dictionary(uniqueKeysWithValues: zip(header, row))
            let line = r["LineId"]!
            let expected = Self.rfc3339(dataset.time(r))
            if event["@timestamp"] as? String != expected {
                mismatches.append("line \(line): @timestamp \(event["@timestamp"] ?? "none") ≠ \(expected)")
            }
            if name != "Linux" && name != "OpenSSH", event["event.dataset"] as? String == "unparsed" {
                mismatches.append("line \(line): unparsed")
            }
            for (column, field) in dataset.columns {
                let want = r[column]!.trimmingCharacters(in: .whitespaces)
                let got = event[field].map { "\($0)" }?.trimmingCharacters(in: .whitespaces)
                if want.isEmpty ? got != nil : got != want {
                    mismatches.append("line \(line): \(field) '\(got ?? "absent")' ≠ \(column) '\(want)'")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5).joined(separator: "; "))")
    }
}
