import WardCore

/// Normalized authentication and account fields for the syslog messages of Linux's login and
/// account programs, named and valued as Elastic's `system.auth` ingest pipeline does (the oracle is
/// that integration's pipeline tests, `Tests/WardParseTests/LinuxAuthTests.swift`).
///
/// Which messages give what:
///
/// | program (syslog tag) | message | fields |
/// | --- | --- | --- |
/// | `sshd`, `sshd-session` | `Accepted password for alice from 10.0.0.5 port 52711 ssh2` | `event.action` `ssh_login`, `event.outcome` `success` (`Failed …`/`Invalid …`: `failure`), `user.name`, `source.ip` (or `source.domain`), `source.port`, `system.auth.ssh.event`/`.method`/`.signature` |
/// | `sshd` | `Invalid user bob from 10.0.0.5`, `… user bob from host` | the same, without the port and method |
/// | `sshd` | `Did not receive identification string from 10.0.0.5` | `source.ip` |
/// | `sudo` | `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id` | `user.name`, `user.effective.name`, `system.auth.sudo.tty`/`.pwd`/`.user`/`.command`/`.error` |
/// | any | `pam_unix(sshd:session): session opened for user root by alice(uid=1000)` | `event.action` `logged-on`/`logged-off`, `user.name` (the "by" user, else the "for" user), `user.id`, `user.effective.name` |
/// | any | `pam_unix(…:auth): authentication failure; … ruser=alice rhost=10.0.0.5 user=root` | `event.action` `authentication_failure`, `event.outcome` `failure`, `user.name` (`ruser`, else `user`), `user.effective.name`, `source.ip` |
/// | any | `pam_unix(passwd:chauthtok): password changed for alice` | `event.action` `password-changed`, `event.outcome`, `user.name`, `user.target.name` |
/// | any | `pam_faillock(sshd:auth): Consecutive login failures for user bob account temporarily locked` | `event.action` `account-locked`, `event.outcome` `failure`, `user.name` |
/// | `unix_chkpwd` | `password check failed for user (bob)` | `event.action` `authentication_failure`, `event.outcome` `failure`, `user.name` |
/// | `useradd` | `new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash` | `event.action` `user-created`, `user.name`, `user.id`, `user.target.name`, `group.id`, `system.auth.useradd.home`/`.shell` |
/// | `groupadd`, `useradd` | `new group: name=staff, GID=1002`; `group added to /etc/group: name=staff` | `event.action` `group-created`; `group-added`; `group.name`, `group.id` |
/// | `usermod` | `add 'bob' to group 'wheel'` | `event.action` `group-member-added`, `user.name`, `user.target.name`, `group.name` |
/// | `userdel` | `delete user 'bob'`; `delete 'bob' from group 'wheel'`; `removed group 'bob' owned by 'bob'` | `user-deleted`; `group-member-removed`; `group-deleted`, with `user.name`/`user.target.name`/`group.name` |
/// | `groupdel` | `group 'staff' removed from /etc/group` | `event.action` `group-deleted`, `group.name` |
/// | `gpasswd` | `user bob added by root to group wheel` | `event.action` `group-user-added`/`-removed`, `user.name` (root), `user.target.name`, `group.name` |
///
/// `useradd`, `usermod`, `userdel`, `groupadd`, `groupdel` and `groupmod` messages get `event.outcome`
/// `failure` when they mention "fail", else `success`; `user '…'` in any message names `user.name`.
///
/// Where Elastic's patterns give a value nobody wants, we give the clean one: `for invalid user bob`
/// is `bob` (not `" bob"`), `for user root(uid=0)` is `root`, and an empty "by" user (`by (uid=0)`)
/// leaves `user.name` to the "for" user.
///
/// Values are byte ranges of the line (constants in scratch); nothing is allocated per line.
public enum LinuxAuth {
    /// The programs whose messages are read (the syslog tag, case-sensitive).
    public enum Program: UInt8, Sendable {
        case sshd, sudo, su, passwd, chpasswd, unixChkpwd, gpasswd
        case useradd, usermod, userdel, groupadd, groupdel, groupmod

        /// The account tools whose every message is an IAM event with an outcome.
        var isAccountTool: Bool { rawValue >= Program.useradd.rawValue }
    }

    /// The program a syslog tag names, or `nil` (the only cost for every other line).
    /// - Complexity: O(1): a length switch and at most three short comparisons. Inlined into
    ///   `EventParser.parseLine`: every syslog line asks.
    @inlinable
    public static func program(_ line: UnsafePointer<UInt8>, tag: Range<Int>) -> Program? {
        let p = line + tag.lowerBound
        switch tag.count {
        case 2: return same(p, "su") ? .su : nil
        case 4: return same(p, "sshd") ? .sshd : same(p, "sudo") ? .sudo : nil
        case 6: return same(p, "passwd") ? .passwd : nil
        case 7:
            if same(p, "gpasswd") { return .gpasswd }
            guard same(p, "user") else { return nil }
            return same(p + 4, "add") ? .useradd : same(p + 4, "mod") ? .usermod : same(p + 4, "del") ? .userdel : nil
        case 8:
            if same(p, "chpasswd") { return .chpasswd }
            guard same(p, "group") else { return nil }
            return same(p + 5, "add") ? .groupadd : same(p + 5, "mod") ? .groupmod : same(p + 5, "del") ? .groupdel : nil
        case 11: return same(p, "unix_chkpwd") ? .unixChkpwd : nil
        // OpenSSH 9.8 and later log the session side under this name.
        case 12: return same(p, "sshd-session") ? .sshd : nil
        default: return nil
        }
    }

    /// Adds the fields of `line[message]` (the syslog MSG of `program`) to the current event.
    /// - Parameters:
    ///   - line: the line; `base` is its offset in the chunk (fields are chunk offsets).
    ///   - message: the MSG's range in `line`.
    /// - Complexity: O(*n*) in the message's length (a few `memchr` scans); no allocation.
    public static func parse(_ line: UnsafePointer<UInt8>, base: Int, message: Range<Int>, program: Program,
                             into batch: inout EventBatch) {
        let t = AuthText(p: line, start: message.lowerBound, end: message.upperBound)
        guard t.end > t.start else { return }
        var f = Found()

        // Elastic's "specific messages" grok, each pattern asked only of the program that writes it.
        var sudoLine = false
        switch program {
        case .sshd:
            if !sshLogin(t, &f), !sshUserFrom(t, &f), t.has("Did not receive identification string from ", at: t.start) {
                let a = t.start + 43
                f.droppedIP = a..<t.addressEnd(from: a)
            }
        case .sudo:
            sudoLine = sudoCommand(t, &f)
        case .useradd, .groupadd:
            if !newGroup(t, &f), program == .useradd { newUser(t, &f) }
        default:
            break
        }

        let faillock = t.contains("pam_faillock(")
        let chkpwd = t.contains("password check failed")
        var pamUser: Range<Int>?
        if faillock, let k = t.find("for user ", from: t.start) {
            pamUser = (k + 9)..<t.usernameEnd(from: k + 9)
        }
        if chkpwd, let k = t.find("for user ", from: t.start) {
            var u = k + 9
            if u < t.end, t[u] == UInt8(ascii: "(") { u += 1 }
            pamUser = u..<t.usernameEnd(from: u)
        }

        var gpasswdTarget: Range<Int>?
        if program == .gpasswd { gpasswdTarget = gpasswd(t, &f, actor: &pamUser) }
        accountTool(t, program, &f)

        // Elastic's "PAM users" grok (not for sudo lines: their user is already known).
        var forUser: Range<Int>?, byUser: Range<Int>?, byUID: Range<Int>?, quotedUser: Range<Int>?
        if !faillock, !chkpwd, !sudoLine {
            pamUsers(t, forUser: &forUser, byUser: &byUser, byUID: &byUID, quoted: &quotedUser)
        }

        // pam_unix(<service>:<category>)
        var category = Category.none
        if t.has("pam_unix(", at: t.start) || t.has("pam_sss(", at: t.start) {
            category = pamCategory(t)
        }
        if category == .chauthtok {
            f.action = "password-changed"
            f.outcome = t.contains("password changed") ? "success" : "failure"
        }
        var rhost: Range<Int>?
        var ruser: Range<Int>?, uid: Range<Int>?, euid: Range<Int>?
        if t.contains("rhost=") {
            pamKeyValues(t, rhost: &rhost, user: &pamUser)
            if pamUser != nil {
                ruser = t.value(after: " ruser=")
                uid = t.value(after: " uid=")
                euid = t.value(after: " euid=")
            }
        }
        if let k = t.find("password changed for ", from: t.start) {
            let u = k + 21
            let e = t.usernameEnd(from: u)
            if e == t.end { pamUser = u..<e }
        }
        if category == .auth { f.outcome = "success" }
        if t.contains("authentication failure") {
            f.outcome = "failure"
            f.action = "authentication_failure"
        }
        if faillock {
            f.outcome = "failure"
            f.action = "account-locked"
        }
        if chkpwd {
            f.outcome = "failure"
            f.action = "authentication_failure"
        }
        if t.contains("session opened") { f.action = "logged-on" }
        if t.contains("session closed") { f.action = "logged-off" }

        // Who: the "by" user acts; the "for" user is the one acted upon (or the actor when alone).
        if let byUser, f.user == nil {
            f.user = byUser
            f.userID = byUID
        }
        if let forUser {
            if f.user == nil { f.user = forUser } else if f.effective == nil { f.effective = forUser }
        }
        if let quotedUser, f.user == nil { f.user = quotedUser }
        if let rhost, f.address == nil { f.address = rhost }
        if let pamUser, !pamUser.isEmpty {
            if let ruser, !ruser.isEmpty, f.user == nil {
                // `ruser` asked for the authentication as `user` (sudo, su).
                f.user = ruser
                f.userID = uid.flatMap { $0.isEmpty ? nil : $0 }
                f.effective = pamUser
                f.effectiveID = euid.flatMap { $0.isEmpty ? nil : $0 }
            } else if f.user == nil {
                f.user = pamUser
            }
        }
        if category == .chauthtok, let user = f.user { f.target = user }
        if let gpasswdTarget { f.target = gpasswdTarget }
        if let ip = f.droppedIP, t.isIP(ip) { f.address = ip }

        // Elastic's ssh script: only these three words are a login.
        if let event = f.sshEvent {
            if t.equals(event, "Accepted") {
                f.action = "ssh_login"
                f.outcome = "success"
            } else if t.equals(event, "Invalid") || t.equals(event, "Failed") {
                f.action = "ssh_login"
                f.outcome = "failure"
            }
        }
        if program.isAccountTool { f.outcome = t.contains("fail") ? "failure" : "success" }

        f.add(t, base: base, into: &batch)
    }

    // MARK: - What a message gave

    /// The values found in one message; emitted together at the end, in a fixed order.
    struct Found {
        var action: StaticString?
        var outcome: StaticString?
        var user: Range<Int>?
        var userID: Range<Int>?
        var effective: Range<Int>?
        var effectiveID: Range<Int>?
        var target: Range<Int>?
        var group: Range<Int>?
        var groupID: Range<Int>?
        var address: Range<Int>?
        var port: Range<Int>?
        var droppedIP: Range<Int>?
        var sshEvent: Range<Int>?
        var sshMethod: Range<Int>?
        var sshSignature: Range<Int>?
        var sudoTTY: Range<Int>?
        var sudoPWD: Range<Int>?
        var sudoUser: Range<Int>?
        var sudoCommand: Range<Int>?
        var sudoError: Range<Int>?
        var home: Range<Int>?
        var shell: Range<Int>?

        func add(_ t: AuthText, base: Int, into batch: inout EventBatch) {
            if let action { batch.addField(.eventAction, literal: action) }
            if let outcome { batch.addField(.eventOutcome, literal: outcome) }
            Self.add(.userName, user, base, &batch)
            Self.add(.userID, userID, base, &batch)
            Self.add(.userEffectiveName, effective ?? sudoUser, base, &batch)
            Self.add(.userEffectiveID, effectiveID, base, &batch)
            Self.add(.userTargetName, target, base, &batch)
            Self.add(.groupName, group, base, &batch)
            Self.add(.groupID, groupID, base, &batch)
            if let address, !address.isEmpty {
                Self.add(t.isIP(address) ? .sourceIP : .sourceDomain, address, base, &batch)
            }
            Self.add(.sourcePort, port, base, &batch, .number)
            Self.add(.sshEvent, sshEvent, base, &batch)
            Self.add(.sshMethod, sshMethod, base, &batch)
            Self.add(.sshSignature, sshSignature, base, &batch)
            Self.add(.sudoError, sudoError, base, &batch)
            Self.add(.sudoTTY, sudoTTY, base, &batch)
            Self.add(.sudoPWD, sudoPWD, base, &batch)
            Self.add(.sudoUser, sudoUser, base, &batch)
            Self.add(.sudoCommand, sudoCommand, base, &batch)
            Self.add(.useraddHome, home, base, &batch)
            Self.add(.useraddShell, shell, base, &batch)
        }

        static func add(_ id: FieldID, _ range: Range<Int>?, _ base: Int, _ batch: inout EventBatch,
                        _ kind: ValueKind = .text) {
            guard let range, !range.isEmpty else { return }
            batch.addField(id, kind, start: base + range.lowerBound, count: range.count)
        }
    }

    enum Category { case none, auth, session, chauthtok, other }

    // MARK: - sshd

    /// `<event> <method> for [invalid user ]<user> from <address> port <port> ssh2[: <signature>]`.
    static func sshLogin(_ t: AuthText, _ f: inout Found) -> Bool {
        guard let space = t.firstIndex(of: ASCII.space, from: t.start), space > t.start,
              let forAt = t.find(" for ", from: space + 1) else { return false }
        var u = forAt + 5
        if t.has("invalid user ", at: u) { u += 13 }
        var from = u
        while let at = t.find(" from ", from: from) {
            from = at + 1
            let a = at + 6
            let aEnd = t.addressEnd(from: a)
            guard aEnd > a, t.has(" port ", at: aEnd) else { continue }
            let portStart = aEnd + 6
            var portEnd = portStart
            while portEnd < t.end, ASCII.isDigit(t[portEnd]) { portEnd += 1 }
            guard portEnd > portStart, t.has(" ssh2", at: portEnd) else { continue }
            f.sshEvent = t.start..<space
            f.sshMethod = (space + 1)..<forAt
            f.user = u..<at
            f.address = a..<aEnd
            f.port = portStart..<portEnd
            if t.has(": ", at: portEnd + 5) { f.sshSignature = (portEnd + 7)..<t.end }
            return true
        }
        return false
    }

    /// `<event> user <user> from <address>` (`Invalid user bob from 10.0.0.5 port 4242`).
    static func sshUserFrom(_ t: AuthText, _ f: inout Found) -> Bool {
        var from = t.start
        while let k = t.find(" user ", from: from) {
            from = k + 1
            let u = k + 6
            var next = u
            while let at = t.find(" from ", from: next) {
                next = at + 1
                let a = at + 6
                let aEnd = t.addressEnd(from: a)
                guard aEnd > a, at > u else { continue }
                f.sshEvent = t.start..<k
                f.user = u..<at
                f.address = a..<aEnd
                return true
            }
            return false
        }
        return false
    }

    // MARK: - sudo

    /// `<user> : [<error> ; ][TTY=<tty> ; ]PWD=<pwd> ; USER=<user> ; [… ; ]COMMAND=<command>`.
    static func sudoCommand(_ t: AuthText, _ f: inout Found) -> Bool {
        guard let colon = t.find(" : ", from: t.start), colon > t.start else { return false }
        var i = colon + 3
        var error: Range<Int>?
        if !t.has("TTY=", at: i), !t.has("PWD=", at: i) {
            guard let semi = t.find(" ; ", from: i) else { return false }
            error = i..<semi
            i = semi + 3
            guard t.has("TTY=", at: i) || t.has("PWD=", at: i) else { return false }
        }
        var tty: Range<Int>?, pwd: Range<Int>?, user: Range<Int>?
        while i < t.end {
            if t.has("COMMAND=", at: i) {
                guard user != nil else { return false }
                f.user = t.start..<colon
                f.sudoError = error
                f.sudoTTY = tty
                f.sudoPWD = pwd
                f.sudoUser = user
                f.sudoCommand = (i + 8)..<t.end
                return true
            }
            guard let semi = t.find(" ; ", from: i) else { return false }
            if t.has("TTY=", at: i) { tty = (i + 4)..<semi }
            else if t.has("PWD=", at: i) { pwd = (i + 4)..<semi }
            else if t.has("USER=", at: i) { user = (i + 5)..<semi }
            i = semi + 3
        }
        return false
    }

    // MARK: - Account tools

    /// `new group: name=<group>, GID=<gid>`.
    static func newGroup(_ t: AuthText, _ f: inout Found) -> Bool {
        guard t.has("new group: name=", at: t.start) else { return false }
        let n = t.start + 16
        guard let comma = t.find(", GID=", from: n) else { return false }
        let g = comma + 6
        let gEnd = t.digitsEnd(from: g)
        guard gEnd > g else { return false }
        f.group = n..<comma
        f.groupID = g..<gEnd
        f.action = "group-created"
        return true
    }

    /// `new user: name=<user>, UID=<uid>, GID=<gid>, home=<home>, shell=<shell>[, from=<tty>]`.
    static func newUser(_ t: AuthText, _ f: inout Found) {
        guard t.has("new user: name=", at: t.start) else { return }
        let n = t.start + 15
        guard let c1 = t.find(", UID=", from: n) else { return }
        let uEnd = t.digitsEnd(from: c1 + 6)
        guard uEnd > c1 + 6, t.has(", GID=", at: uEnd) else { return }
        let gEnd = t.digitsEnd(from: uEnd + 6)
        guard gEnd > uEnd + 6, t.has(", home=", at: gEnd) else { return }
        let h = gEnd + 7
        guard let c2 = t.find(", shell=", from: h) else { return }
        let s = c2 + 8
        f.user = n..<c1
        f.userID = (c1 + 6)..<uEnd
        f.groupID = (uEnd + 6)..<gEnd
        f.home = h..<c2
        f.shell = s..<(t.find(", ", from: s) ?? t.end)
        f.target = f.user
        f.action = "user-created"
    }

    /// `user <target> added|removed by <actor> to|from group <group>`: returns the target.
    static func gpasswd(_ t: AuthText, _ f: inout Found, actor: inout Range<Int>?) -> Range<Int>? {
        guard t.has("user ", at: t.start) else { return nil }
        let u = t.start + 5
        let uEnd = t.usernameEnd(from: u)
        guard uEnd > u else { return nil }
        let added = t.has(" added by ", at: uEnd)
        guard added || t.has(" removed by ", at: uEnd) else { return nil }
        let a = uEnd + (added ? 10 : 12)
        let aEnd = t.usernameEnd(from: a)
        guard aEnd > a, let g = t.has(" to group ", at: aEnd) ? aEnd + 10 : t.has(" from group ", at: aEnd) ? aEnd + 12 : nil,
              g < t.end else { return nil }
        actor = a..<aEnd
        f.group = g..<t.end
        f.action = added ? "group-user-added" : "group-user-removed"
        f.outcome = "success"
        return u..<uEnd
    }

    /// The messages of usermod, userdel, groupadd and groupdel that Elastic names an action for.
    static func accountTool(_ t: AuthText, _ program: Program, _ f: inout Found) {
        switch program {
        case .usermod:
            // add '<user>' to [shadow ]group '<group>'
            guard t.has("add '", at: t.start), let (user, rest) = t.quoted(at: t.start + 4),
                  let g = t.has(" to group ", at: rest) ? rest + 10 : t.has(" to shadow group ", at: rest) ? rest + 17 : nil,
                  let (group, _) = t.quoted(at: g) else { return }
            f.user = user
            f.target = user
            f.group = group
            f.action = "group-member-added"
        case .userdel:
            if t.has("delete user '", at: t.start), let (user, _) = t.quoted(at: t.start + 12) {
                f.target = user
                f.action = "user-deleted"
            } else if t.has("delete '", at: t.start), let (user, rest) = t.quoted(at: t.start + 7),
                      let g = t.has(" from group ", at: rest) ? rest + 12 : t.has(" from shadow group ", at: rest) ? rest + 19 : nil,
                      let (group, _) = t.quoted(at: g) {
                f.target = user
                f.group = group
                f.action = "group-member-removed"
            } else if let g = t.has("removed group '", at: t.start) ? t.start + 14
                        : t.has("removed shadow group '", at: t.start) ? t.start + 21 : nil,
                      let (group, rest) = t.quoted(at: g) {
                f.group = group
                if t.has(" owned by '", at: rest), let (owner, _) = t.quoted(at: rest + 10) { f.target = owner }
                f.action = "group-deleted"
            }
        case .groupadd:
            // group added to /etc/group: name=<group>[, GID=<gid>]
            guard f.group == nil, t.has("group added to ", at: t.start),
                  let n = t.find(": name=", from: t.start + 15) else { return }
            let g = n + 7
            if let comma = t.find(", GID=", from: g) {
                f.group = g..<comma
                let idEnd = t.digitsEnd(from: comma + 6)
                if idEnd > comma + 6 { f.groupID = (comma + 6)..<idEnd }
            } else {
                f.group = g..<t.end
            }
            f.action = "group-added"
        case .groupdel:
            // group '<group>' removed[ from /etc/group]
            guard t.has("group '", at: t.start), let (group, rest) = t.quoted(at: t.start + 6),
                  t.has(" removed", at: rest) else { return }
            f.group = group
            f.action = "group-deleted"
        default:
            break
        }
    }

    // MARK: - PAM

    /// Elastic's four username patterns, the first that matches:
    /// `for user U by B[(uid=N)]` at the end, `for user U` at the end, `by user B` at the end,
    /// `<not a space> user 'U'` anywhere (quotes `'` or `"`).
    static func pamUsers(_ t: AuthText, forUser: inout Range<Int>?, byUser: inout Range<Int>?,
                         byUID: inout Range<Int>?, quoted: inout Range<Int>?) {
        if let k = t.find("for user ", from: t.start) {
            let u = t.skipQuote(k + 9)
            if let by = t.find(" by ", from: u) {
                forUser = t.withoutUID(t.trimQuote(u..<by))
                var b = t.skipQuote(by + 4)
                var bEnd = t.end
                // (uid=N) at the end
                if bEnd > b, t[bEnd - 1] == UInt8(ascii: ")"),
                   let open = t.lastIndex(of: UInt8(ascii: "("), from: b, to: bEnd), t.has("(uid=", at: open),
                   t.digitsEnd(from: open + 5) == bEnd - 1, bEnd - 1 > open + 5 {
                    byUID = (open + 5)..<(bEnd - 1)
                    bEnd = open
                }
                b = min(b, bEnd)
                let name = t.trimQuote(b..<bEnd)
                if name.isEmpty { byUID = nil } else { byUser = name }
            } else {
                forUser = t.withoutUID(t.trimQuote(u..<t.end))
            }
            return
        }
        if let k = t.find("by user ", from: t.start) {
            byUser = t.trimQuote(t.skipQuote(k + 8)..<t.end)
            return
        }
        var from = t.start
        while let k = t.find(" user ", from: from) {
            from = k + 1
            guard k == t.start || t[k - 1] != ASCII.space, let (user, _) = t.quoted(at: k + 6, anyQuote: true) else { continue }
            quoted = user
            return
        }
    }

    /// The word after the `:` in `pam_unix(<service>:<category>)`.
    static func pamCategory(_ t: AuthText) -> Category {
        guard let open = t.firstIndex(of: UInt8(ascii: "("), from: t.start),
              let close = t.firstIndex(of: UInt8(ascii: ")"), from: open),
              let colon = t.firstIndex(of: UInt8(ascii: ":"), from: open), colon < close else { return .none }
        let word = (colon + 1)..<close
        if t.equals(word, "auth") { return .auth }
        if t.equals(word, "session") { return .session }
        if t.equals(word, "chauthtok") { return .chauthtok }
        return .other
    }

    /// `rhost=<address>[ +user=<user>]` or `rhost= +user=<user>`, at the end of the message.
    static func pamKeyValues(_ t: AuthText, rhost: inout Range<Int>?, user: inout Range<Int>?) {
        guard let k = t.find("rhost=", from: t.start) else { return }
        let a = k + 6
        let aEnd = t.addressEnd(from: a)
        var i = aEnd
        while i < t.end, t[i] == ASCII.space { i += 1 }
        if i == t.end {
            if aEnd > a { rhost = a..<aEnd }
            return
        }
        guard t.has("user=", at: i) else { return }
        if aEnd > a { rhost = a..<aEnd }
        user = (i + 5)..<t.end
    }
}

extension LinuxAuth {
    /// Whether the bytes at `p` are `literal` (the caller has checked there are enough).
    @inlinable
    static func same(_ p: UnsafePointer<UInt8>, _ literal: StaticString) -> Bool {
        let q = literal.utf8Start
        for k in 0..<literal.utf8CodeUnitCount where p[k] != q[k] { return false }
        return true
    }
}
