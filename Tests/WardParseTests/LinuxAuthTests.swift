import Foundation
import Testing
import WardCore
import WardParse
import WardTestSupport
import XCTest

/// Parses one syslog line as `wardwatch parse` does (format detection, then the syslog parsers).
private func authEvent(_ line: String) -> ReadEvent {
    parse(Array(line.utf8), .detected, options: ParseOptions(year: 2026)).event
}

/// Hand-picked lines with every field written out: what each message shape must give, and nothing
/// about the programs' other lines.
@Suite struct LinuxAuthTests {
    /// The fields ``LinuxAuth`` may add; a test lists every one it expects, so a stray one fails it.
    static let authFields = linuxAuthFieldNames

    static func authFields(of line: String) -> [String: String] {
        authEvent(line).fields.filter { authFields.contains($0.key) }
    }

    @Test func acceptedPassword() {
        let line = "Nov 22 07:31:02 ehr-app01 sshd[31877]: Accepted password for jmiller from 10.30.14.77 port 52711 ssh2"
        let event = authEvent(line)
        #expect(event.dataset == "syslog.rfc3164")
        #expect(event.fields["process.name"] == "sshd")
        #expect(Self.authFields(of: line) == [
            "event.action": "ssh_login", "event.outcome": "success", "user.name": "jmiller",
            "source.ip": "10.30.14.77", "source.port": "52711",
            "system.auth.ssh.event": "Accepted", "system.auth.ssh.method": "password",
        ])
    }

    @Test func failedPasswordForInvalidUser() {
        let line = "Nov 22 03:14:07 ehr-app01 sshd[2211]: Failed password for invalid user admin from 203.0.113.45 port 40022 ssh2"
        #expect(Self.authFields(of: line) == [
            "event.action": "ssh_login", "event.outcome": "failure", "user.name": "admin",
            "source.ip": "203.0.113.45", "source.port": "40022",
            "system.auth.ssh.event": "Failed", "system.auth.ssh.method": "password",
        ])
        // The same from OpenSSH 9.8's session process, and over IPv6.
        let v6 = "<38>1 2026-11-22T03:14:08Z ehr-app01 sshd-session 2212 - - Failed publickey for root from 2001:db8::7 port 40023 ssh2: ED25519 SHA256:abc"
        #expect(Self.authFields(of: v6) == [
            "event.action": "ssh_login", "event.outcome": "failure", "user.name": "root",
            "source.ip": "2001:db8::7", "source.port": "40023", "system.auth.ssh.event": "Failed",
            "system.auth.ssh.method": "publickey", "system.auth.ssh.signature": "ED25519 SHA256:abc",
        ])
    }

    @Test func sudoCommand() {
        let line = "Nov 22 07:36:52 ehr-app01 sudo:  jmiller : TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/bash -c id ; whoami"
        #expect(Self.authFields(of: line) == [
            "user.name": "jmiller", "user.effective.name": "root", "system.auth.sudo.tty": "pts/1",
            "system.auth.sudo.pwd": "/tmp", "system.auth.sudo.user": "root",
            "system.auth.sudo.command": "/usr/bin/bash -c id ; whoami",
        ])
        let refused = "Nov 22 07:37:00 ehr-app01 sudo[77]: nurse1 : command not allowed ; PWD=/home/nurse1 ; USER=root ; GROUP=wheel ; COMMAND=/bin/sh"
        #expect(Self.authFields(of: refused) == [
            "user.name": "nurse1", "user.effective.name": "root", "system.auth.sudo.error": "command not allowed",
            "system.auth.sudo.pwd": "/home/nurse1", "system.auth.sudo.user": "root", "system.auth.sudo.command": "/bin/sh",
        ])
    }

    @Test func useraddNewUser() {
        let line = "Nov 22 09:00:01 ehr-app01 useradd[5120]: new user: name=svc_backup, UID=1005, GID=1005, home=/home/svc_backup, shell=/bin/bash, from=/dev/pts/2"
        #expect(Self.authFields(of: line) == [
            "event.action": "user-created", "event.outcome": "success", "user.name": "svc_backup", "user.id": "1005",
            "user.target.name": "svc_backup", "group.id": "1005", "system.auth.useradd.home": "/home/svc_backup",
            "system.auth.useradd.shell": "/bin/bash",
        ])
    }

    @Test func usermodAddToGroup() {
        let line = "Nov 22 09:01:44 ehr-app01 usermod[5133]: add 'svc_backup' to group 'wheel'"
        #expect(Self.authFields(of: line) == [
            "event.action": "group-member-added", "event.outcome": "success", "user.name": "svc_backup",
            "user.target.name": "svc_backup", "group.name": "wheel",
        ])
    }

    @Test func pamSessionAndGpasswd() {
        let session = "Nov 22 07:40:00 ehr-app01 su[81]: pam_unix(su:session): session opened for user root(uid=0) by jmiller(uid=1001)"
        #expect(Self.authFields(of: session) == [
            "event.action": "logged-on", "user.name": "jmiller", "user.id": "1001", "user.effective.name": "root",
        ])
        let gpasswd = "Nov 22 07:41:00 ehr-app01 gpasswd[90]: user alice removed by root from group sudo"
        #expect(Self.authFields(of: gpasswd) == [
            "event.action": "group-user-removed", "event.outcome": "success", "user.name": "root",
            "user.target.name": "alice", "group.name": "sudo",
        ])
    }

    /// Only the tags of the auth programs are read: the same text from another program gets nothing.
    @Test func otherProgramsAreLeftAlone() {
        for line in [
            "Nov 22 07:31:02 ehr-app01 sshdx[1]: Accepted password for jmiller from 10.30.14.77 port 52711 ssh2",
            "Nov 22 07:31:02 ehr-app01 CRON[2]: pam_unix(cron:session): session opened for user root by (uid=0)",
            "Nov 22 07:31:02 ehr-app01 myapp: add 'x' to group 'wheel'",
        ] {
            #expect(Self.authFields(of: line).isEmpty, "\(line)")
        }
    }

    /// Malformed and cut messages from the auth programs never trap and add nothing half-read.
    @Test func brokenMessagesAreSafe() {
        let prefixes = ["sshd[1]: ", "sudo: ", "usermod[2]: ", "userdel[3]: ", "groupadd[4]: ", "useradd[5]: ", "gpasswd[6]: ",
                        "passwd[7]: ", "unix_chkpwd[8]: ", "su[9]: ", "groupdel[10]: "]
        let messages = [
            "Accepted password for jmiller from 10.30.14.77 port 52711 ssh2: RSA x",
            "alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id",
            "add 'testuser' to shadow group 'shadow'", "removed group 'g' owned by 'u'",
            "new user: name=a, UID=1, GID=2, home=/h, shell=/s", "new group: name=g, GID=3",
            "group added to /etc/group: name=g, GID=4", "user alice added by root to group sudo",
            "pam_unix(sshd:session): session opened for user vagrant by vagrant(uid=",
            "authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=fe80::1%eth0 user=x",
            "password check failed for user (", "delete 'x' from group '", "group 'x",
        ]
        for prefix in prefixes {
            for message in messages {
                let full = "Nov 22 07:31:02 h " + prefix + message
                for cut in stride(from: 20, through: full.utf8.count, by: 1) {
                    let line = String(decoding: Array(full.utf8)[0..<cut], as: UTF8.self)
                    let event = authEvent(line)
                    #expect(event.dataset == "syslog.rfc3164" || event.dataset == "unparsed")
                    for (key, value) in event.fields where Self.authFields.contains(key) {
                        #expect(!value.isEmpty, "\(key) empty in \(line)")
                    }
                }
            }
        }
    }
}

/// Elastic's `system.auth` pipeline tests as the oracle: for every `*-expected.json` beside a test
/// log in `../shared`, each field below that Elastic states must have the same value in wardwatch's
/// event for the same line.
final class LinuxAuthElasticOracleTests: XCTestCase {
    static let folder = "elastic_integrations/packages/system/data_stream/auth/_dev/test/pipeline"

    /// The fields wardwatch normalizes, compared wherever Elastic states them.
    static let compared = [
        "event.action", "event.outcome", "user.name", "source.ip", "source.port", "group.name", "process.name",
        "user.target.name", "user.effective.name", "user.id", "user.effective.id", "group.id", "source.domain",
        "system.auth.ssh.event", "system.auth.ssh.method", "system.auth.ssh.signature", "system.auth.sudo.tty",
        "system.auth.sudo.pwd", "system.auth.sudo.user", "system.auth.sudo.command", "system.auth.sudo.error",
        "system.auth.useradd.home", "system.auth.useradd.shell",
    ]

    /// Where the oracle files disagree with each other (they come from different upstream commits), the
    /// value wardwatch gives, asserted instead: `file#document#field`.
    static let conflicts: [String: String] = [
        // test-pam-faillock (newer) and the pipeline say `account-locked`; this older file `account_locked`.
        "test-pam-extraction.log-expected.json#5#event.action": "account-locked",
    ]

    func folder() throws -> URL {
        guard FileManager.default.fileExists(atPath: Paths.shared.path) else {
            throw XCTSkip("\(Paths.shared.path) is absent: Elastic's system/auth oracle (../shared/samples) cannot be read.")
        }
        let url = Paths.sample(Self.folder)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is absent: Elastic's system/auth oracle cannot be read.")
        }
        return url
    }

    /// The log's records as Elastic's input frames them: a line that starts with a space or tab
    /// continues the one before (`test-multiline.log`).
    static func records(_ url: URL) throws -> [String] {
        var out: [String] = []
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true) {
            if let first = line.first, first == " " || first == "\t", !out.isEmpty {
                out[out.count - 1] += "\n" + line
            } else {
                out.append(String(line))
            }
        }
        return out
    }

    static func flatten(_ object: [String: Any], _ prefix: String = "") -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in object {
            if let nested = value as? [String: Any] {
                out.merge(flatten(nested, prefix + key + "."), uniquingKeysWith: { a, _ in a })
            } else if let text = value as? String {
                out[prefix + key] = text
            } else if let number = value as? NSNumber {
                out[prefix + key] = number.stringValue
            }
        }
        return out
    }

    func testEveryExpectedDocumentAgreesOnTheNormalizedFields() throws {
        let folder = try folder()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix("-expected.json") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 12, "Elastic's expected files are missing from \(folder.path).")
        var documents = 0, agreed = 0, conflictsSeen = 0
        var perField: [String: Int] = [:]
        for file in files {
            let log = folder.appendingPathComponent(String(file.dropLast("-expected.json".count)))
            let records = try Self.records(log)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(file)))
            let expected = try XCTUnwrap((json as? [String: Any])?["expected"] as? [[String: Any]], file)
            XCTAssertEqual(expected.count, records.count, "\(file): one document per record")
            for (index, (record, document)) in zip(records, expected).enumerated() {
                documents += 1
                let theirs = Self.flatten(document)
                if let original = theirs["event.original"] {
                    XCTAssertEqual(original, record, "\(file) #\(index): the document is not this record's")
                }
                let firstLine = String(record.prefix { $0 != "\n" })
                let ours = authEvent(firstLine)
                XCTAssertNotEqual(ours.dataset, "unparsed", "\(file) #\(index)")
                for field in Self.compared {
                    guard let value = theirs[field], !value.isEmpty else { continue }
                    if let ruled = Self.conflicts["\(file)#\(index)#\(field)"] {
                        XCTAssertNotEqual(value, ruled, "\(file) #\(index) \(field): the conflict is gone")
                        XCTAssertEqual(ours.fields[field], ruled, "\(file) #\(index) \(field)")
                        conflictsSeen += 1
                        continue
                    }
                    XCTAssertEqual(ours.fields[field], value, "\(file) #\(index) \(field) in \(firstLine)")
                    if ours.fields[field] == value {
                        agreed += 1
                        perField[field, default: 0] += 1
                    }
                }
            }
        }
        XCTAssertEqual(conflictsSeen, Self.conflicts.count)
        print("LinuxAuth oracle: \(files.count) files, \(documents) documents, \(agreed) field values agree, "
              + "\(conflictsSeen) known conflicts; by field: \(perField.sorted { $0.key < $1.key })")
    }

    /// The logs without an oracle here still parse, and their sshd and sudo lines get the fields.
    func testLogsWithoutAnOracleGetTheFields() throws {
        let folder = try folder()
        var sshd = 0, sudo = 0
        for name in ["test-auth-ubuntu1204.log", "test-iam-systemctl.log", "test-secure-rhel7.log"] {
            for line in try Self.records(folder.appendingPathComponent(name)) {
                let event = authEvent(line)
                XCTAssertEqual(event.dataset, "syslog.rfc3164", line)
                let f = event.fields
                if let message = f["message"], f["process.name"] == "sshd",
                   let verb = ["Accepted ", "Failed "].first(where: { message.hasPrefix($0) }) {
                    sshd += 1
                    XCTAssertEqual(f["event.action"], "ssh_login", line)
                    XCTAssertEqual(f["event.outcome"], verb == "Accepted " ? "success" : "failure", line)
                    XCTAssertEqual(f["user.name"], message.components(separatedBy: " for ")[1].components(separatedBy: " from ")[0], line)
                    XCTAssertEqual(f["source.ip"], message.components(separatedBy: " from ")[1].components(separatedBy: " ")[0], line)
                    XCTAssertEqual(f["source.port"], message.components(separatedBy: " port ")[1].components(separatedBy: " ")[0], line)
                }
                if let message = f["message"], f["process.name"] == "sudo", message.contains(" ; COMMAND=") {
                    sudo += 1
                    XCTAssertEqual(f["user.name"], message.components(separatedBy: " : ")[0], line)
                    XCTAssertEqual(f["user.effective.name"], message.components(separatedBy: "USER=")[1].components(separatedBy: " ; ")[0], line)
                    XCTAssertEqual(f["system.auth.sudo.command"], message.components(separatedBy: " ; COMMAND=")[1], line)
                }
            }
        }
        XCTAssertEqual(sshd, 10)
        XCTAssertEqual(sudo, 26)

        // The IAM lines, as upstream's newer oracle for this log names them (its `group added to` line
        // says `group-created`; the older test-groupdel oracle here says `group-added`, which we follow).
        let iam = try Self.records(folder.appendingPathComponent("test-iam-systemctl.log"))
        let expected: [(Int, String, [String: String])] = [
            (0, "user-created", ["user.name": "testuser", "user.target.name": "testuser", "user.id": "16004", "group.id": "16004"]),
            (1, "user-deleted", ["user.name": "testuser1", "user.target.name": "testuser1"]),
            (2, "group-created", ["group.name": "testgroup", "group.id": "16005"]),
            (3, "group-deleted", ["group.name": "testgroup"]),
            (4, "group-created", ["group.name": "testuser1", "group.id": "16004"]),
            (5, "group-deleted", ["group.name": "testuser1", "user.target.name": "testuser1"]),
            (6, "group-deleted", ["group.name": "testsiemlog", "user.target.name": "testsiemlog"]),
            (10, "group-deleted", ["group.name": "testgroup"]),
        ]
        for (index, action, fields) in expected {
            let f = authEvent(iam[index]).fields
            XCTAssertEqual(f["event.action"], action, iam[index])
            XCTAssertEqual(f["event.outcome"], "success", iam[index])
            for (key, value) in fields { XCTAssertEqual(f[key], value, "\(key) in \(iam[index])") }
        }
    }
}
