import CPCRE2
#if canImport(Glibc)
import Glibc
#endif

/// A compiled regular expression (PCRE2 with JIT), matched against raw bytes.
///
/// Sigma `re` values are compiled once, at rule load, never per event (`PERF-NOTES.md` §1: Swift
/// `Regex` is 4,000× slower). Matching is an unanchored search, as Sigma v2.2 and pySigma define it.
/// Patterns are UTF-8 (`PCRE2_UTF`), and subjects may hold invalid UTF-8 (`PCRE2_MATCH_INVALID_UTF`):
/// log lines are untrusted bytes.
///
/// A program is immutable and `Sendable`; matching needs a ``RegexScratch`` per thread.
public final class RegexProgram: @unchecked Sendable {
    /// Sigma's regex flags (`re|i`, `re|m`, `re|s`).
    public struct Options: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let caseInsensitive = Options(rawValue: 1)
        public static let multiline = Options(rawValue: 2)
        public static let dotAll = Options(rawValue: 4)
        /// Matches only at the start of the subject (site formats; compiled in, so the JIT runs it).
        public static let anchored = Options(rawValue: 8)
    }

    /// A pattern PCRE2 rejected: its message and the 0-based offset in the pattern.
    public struct CompileError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var offset: Int
        public var description: String { "\(message) at offset \(offset) of the pattern" }
    }

    public let pattern: String
    public let options: Options
    private let code: OpaquePointer
    private let jitted: Bool
    /// The same pattern compiled with `PCRE2_USE_OFFSET_LIMIT`, for long subjects searched a window of
    /// start positions at a time (``search(_:scratch:)``). Apart: the option makes the JIT's code for
    /// every other search a few per cent slower.
    private let windowed: OpaquePointer
    private let windowedJitted: Bool

    /// Compiles `pattern`; throws ``CompileError`` with PCRE2's message when it is not a valid regex.
    public init(_ pattern: String, options: Options = []) throws(CompileError) {
        var flags = UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF)
        if options.contains(.caseInsensitive) { flags |= UInt32(PCRE2_CASELESS) }
        if options.contains(.multiline) { flags |= UInt32(PCRE2_MULTILINE) }
        if options.contains(.dotAll) { flags |= UInt32(PCRE2_DOTALL) }
        if options.contains(.anchored) { flags |= UInt32(PCRE2_ANCHORED) }
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        func compile(_ flags: UInt32) -> OpaquePointer? {
            pattern.utf8CString.withUnsafeBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: buf.count) { p in
                    pcre2_compile_8(p, buf.count - 1, flags, &errorCode, &errorOffset, nil)
                }
            }
        }
        guard let compiled = compile(flags), let windowed = compile(flags | UInt32(PCRE2_USE_OFFSET_LIMIT)) else {
            var message = [UInt8](repeating: 0, count: 256)
            let n = pcre2_get_error_message_8(errorCode, &message, message.count)
            throw CompileError(message: String(decoding: message.prefix(max(0, Int(n))), as: UTF8.self),
                               offset: errorOffset)
        }
        self.pattern = pattern
        self.options = options
        self.code = compiled
        self.jitted = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        self.windowed = windowed
        self.windowedJitted = pcre2_jit_compile_8(windowed, UInt32(PCRE2_JIT_COMPLETE)) == 0
    }

    deinit {
        pcre2_code_free_8(code)
        pcre2_code_free_8(windowed)
    }

    /// What a search found.
    public enum Outcome: Sendable, Equatable {
        case match, noMatch
        /// PCRE2 gave up (match or depth limit, JIT stack, …): the answer is unknown.
        case error(Int32)
    }

    /// Searches `subject` for the pattern. Matching runs on the scratch's JIT stack (up to
    /// ``RegexScratch/jitStackLimit``) and within ``RegexScratch/matchLimit`` steps per start position,
    /// and a subject longer than ``windowedAbove`` bytes is searched a window of start positions at a
    /// time within ``RegexScratch/timeBudgetNanoseconds``: PCRE2 restarts its step count at every start
    /// position, so a pattern that backtracks over the rest of the line from each one (`(a|b)+c` on
    /// 1 MiB of `abab…`) would otherwise take hours. When PCRE2 or the budget gives up, the outcome says so.
    /// - Complexity: depends on the pattern; does not allocate.
    public func search(_ subject: UnsafeBufferPointer<UInt8>, scratch: RegexScratch) -> Outcome {
        guard subject.count > Self.windowedAbove else { return run(subject, from: 0, scratch.matchData, scratch.context) }
        // Windows of start positions small enough that one costs well under the budget even when each
        // position scans the rest of the line: about 2^28 steps at most.
        let window = max(16, (1 << 28) / subject.count)
        let deadline = RegexScratch.now() &+ scratch.timeBudgetNanoseconds
        defer { pcre2_set_offset_limit_8(scratch.context, ~0) }
        var start = 0
        while start <= subject.count {
            pcre2_set_offset_limit_8(scratch.context, start + window - 1)
            let outcome = run(subject, from: start, scratch.matchData, scratch.context, windowed: true)
            if outcome != .noMatch { return outcome }
            start += window
            if start <= subject.count, RegexScratch.now() > deadline { return .error(Self.timeBudgetExceeded) }
        }
        return .noMatch
    }

    /// Subjects up to this many bytes are searched in one call (a quadratic search of 4 KiB is
    /// milliseconds).
    public static let windowedAbove = 4096

    /// The code of a search stopped by ``RegexScratch/timeBudgetNanoseconds`` (PCRE2's own are above -100).
    public static let timeBudgetExceeded: Int32 = -1000

    /// One PCRE2 match from `start` (JIT when the pattern was JIT-compiled) into `matchData`.
    @inline(__always)
    func run(_ subject: UnsafeBufferPointer<UInt8>, from start: Int = 0, _ matchData: OpaquePointer,
             _ context: OpaquePointer, windowed: Bool = false) -> Outcome {
        let base = subject.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let program = windowed ? self.windowed : code
        let rc = (windowed ? windowedJitted : jitted)
            ? pcre2_jit_match_8(program, base, subject.count, start, 0, matchData, context)
            : pcre2_match_8(program, base, subject.count, start, 0, matchData, context)
        if rc >= 0 { return .match }
        if rc == PCRE2_ERROR_NOMATCH { return .noMatch }
        return .error(rc)
    }

    /// Whether the pattern occurs anywhere in `subject`. A search PCRE2 gave up on counts in
    /// ``RegexScratch/errors`` and answers ``RegexScratch/errorAnswer`` (the engine evaluates a rule
    /// both ways when that happens).
    public func matches(_ subject: UnsafeBufferPointer<UInt8>, scratch: RegexScratch) -> Bool {
        switch search(subject, scratch: scratch) {
        case .match: return true
        case .noMatch: return false
        case .error(let code):
            scratch.errors &+= 1
            scratch.lastError = code
            return scratch.errorAnswer
        }
    }

    /// PCRE2's message for an error code (or wardwatch's, for ``timeBudgetExceeded``).
    public static func message(_ code: Int32) -> String {
        if code == timeBudgetExceeded {
            return "the search of a long line ran past its time budget of \(RegexScratch.defaultTimeBudgetNanoseconds / 1_000_000) ms"
        }
        var message = [UInt8](repeating: 0, count: 256)
        let n = pcre2_get_error_message_8(code, &message, message.count)
        return String(decoding: message.prefix(max(0, Int(n))), as: UTF8.self)
    }

    /// Convenience for tests and one-off checks.
    public func matches(_ subject: String) -> Bool {
        let scratch = RegexScratch()
        var copy = subject
        return copy.withUTF8 { matches($0, scratch: scratch) }
    }
}

/// Per-thread match state for ``RegexProgram`` (PCRE2 match data, a JIT stack, limits), shared by
/// all programs.
public final class RegexScratch {
    /// The JIT stack grows to this: PCRE2's default 32 KiB machine stack gives up on `(.){200,}`
    /// from about 1,500 bytes of subject; 64 MiB lets every SigmaHQ pattern run over a 1 MiB line.
    public static let jitStackLimit = 64 << 20
    /// Steps a search may take (PCRE2's "match limit") before it gives up: bounds a pathological
    /// pattern (nested unbounded quantifiers) on a long line to well under a second.
    public static let matchLimit: UInt32 = 20_000_000
    /// Nesting depth for the interpreter (patterns the JIT could not compile).
    public static let depthLimit: UInt32 = 1_000_000
    /// How long one search of a long subject may take (``RegexProgram/search(_:scratch:)``).
    public static let defaultTimeBudgetNanoseconds: UInt64 = 1_000_000_000
    public var timeBudgetNanoseconds = defaultTimeBudgetNanoseconds

    /// The monotonic clock, in nanoseconds.
    @inline(__always)
    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    let matchData: OpaquePointer
    let context: OpaquePointer
    let jitStack: OpaquePointer?
    /// Searches PCRE2 gave up on, and the last one's code.
    public var errors = 0
    public var lastError: Int32 = 0
    /// What ``RegexProgram/matches(_:scratch:)`` answers for such a search.
    public var errorAnswer = false

    public init() {
        // One pair of offsets is enough: Sigma only asks whether a pattern matches.
        matchData = pcre2_match_data_create_8(1, nil)
        context = pcre2_match_context_create_8(nil)
        jitStack = pcre2_jit_stack_create_8(32 << 10, Self.jitStackLimit, nil)
        pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack))
        pcre2_set_match_limit_8(context, Self.matchLimit)
        pcre2_set_depth_limit_8(context, Self.depthLimit)
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(context)
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    }
}

/// Patterns prone to catastrophic backtracking ("ReDoS"), for `rules lint`.
public enum RegexLint {
    /// Whether `pattern` repeats, without bound, a group that itself holds an unbounded quantifier —
    /// `(a+)+`, `(\\w+\\s*)*`, `(?:x|y*){2,}` — the shape that makes a backtracking engine take
    /// exponential time on a near-miss. A heuristic over the pattern's text: escapes and character
    /// classes are skipped; alternations of fixed strings are not flagged.
    public static func hasNestedUnboundedQuantifier(_ pattern: String) -> Bool {
        let c = Array(pattern.utf8)
        var stack: [Bool] = []  // per open group: whether it holds an unbounded quantifier
        var i = 0
        /// Whether an unbounded quantifier starts at `j` (`*`, `+`, `{n,}`).
        func unbounded(at j: Int) -> Bool {
            guard j < c.count else { return false }
            if c[j] == UInt8(ascii: "*") || c[j] == UInt8(ascii: "+") { return true }
            guard c[j] == UInt8(ascii: "{") else { return false }
            var k = j + 1
            while k < c.count && c[k] >= UInt8(ascii: "0") && c[k] <= UInt8(ascii: "9") { k += 1 }
            return k > j + 1 && k + 1 < c.count && c[k] == UInt8(ascii: ",") && c[k + 1] == UInt8(ascii: "}")
        }
        func markUnbounded() { if !stack.isEmpty { stack[stack.count - 1] = true } }
        while i < c.count {
            let b = c[i]
            switch b {
            case UInt8(ascii: "\\"):
                i += 2
                if unbounded(at: i) { markUnbounded() }
                continue
            case UInt8(ascii: "["):
                // Skip the class: `]` right after `[` or `[^` is a member.
                var k = i + 1
                if k < c.count && c[k] == UInt8(ascii: "^") { k += 1 }
                if k < c.count && c[k] == UInt8(ascii: "]") { k += 1 }
                while k < c.count && c[k] != UInt8(ascii: "]") { k += c[k] == UInt8(ascii: "\\") ? 2 : 1 }
                i = k + 1
                if unbounded(at: i) { markUnbounded() }
                continue
            case UInt8(ascii: "("):
                stack.append(false)
            case UInt8(ascii: ")"):
                let inner = stack.popLast() ?? false
                if unbounded(at: i + 1) {
                    if inner { return true }
                    markUnbounded()
                } else if inner {
                    markUnbounded()
                }
            default:
                if unbounded(at: i + 1) && b != UInt8(ascii: "(") { markUnbounded() }
            }
            i += 1
        }
        return false
    }
}

/// Capturing groups: for site formats, whose patterns take fields out of a line.
extension RegexProgram {
    /// The number of capturing groups in the pattern.
    public var captureCount: Int {
        var n: UInt32 = 0
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_CAPTURECOUNT), &n)
        return Int(n)
    }

    /// The number of the group named `name`, if the pattern has one.
    public func groupNumber(_ name: String) -> Int? {
        let n = name.withCString { pcre2_substring_number_from_name_8(code, UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self)) }
        return n > 0 ? Int(n) : nil
    }

    /// Matches `subject` (from its first byte when compiled ``Options/anchored``), recording where each
    /// group matched in `captures` (``CaptureScratch/range(_:)``).
    /// - Complexity: depends on the pattern; does not allocate.
    public func match(_ subject: UnsafeBufferPointer<UInt8>, captures: CaptureScratch) -> Outcome {
        run(subject, captures.matchData, captures.context)
    }
}

/// Per-thread match state for capturing matches (``RegexProgram/match(_:captures:)``): room
/// for `groups` groups, a JIT stack and the same limits as ``RegexScratch``.
public final class CaptureScratch: @unchecked Sendable {
    let matchData: OpaquePointer
    let context: OpaquePointer
    let jitStack: OpaquePointer?
    let ovector: UnsafeMutablePointer<Int>
    public let groups: Int

    public init(groups: Int) {
        self.groups = groups
        matchData = pcre2_match_data_create_8(UInt32(groups + 1), nil)
        context = pcre2_match_context_create_8(nil)
        jitStack = pcre2_jit_stack_create_8(32 << 10, RegexScratch.jitStackLimit, nil)
        pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack))
        pcre2_set_match_limit_8(context, RegexScratch.matchLimit)
        pcre2_set_depth_limit_8(context, RegexScratch.depthLimit)
        ovector = UnsafeMutableRawPointer(pcre2_get_ovector_pointer_8(matchData)).assumingMemoryBound(to: Int.self)
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(context)
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    }

    /// Where group `group` (0: the whole match) matched in the last successful match; `nil` when it
    /// took no part in it.
    @inline(__always)
    public func range(_ group: Int) -> Range<Int>? {
        guard group <= groups else { return nil }
        let start = ovector[2 * group], end = ovector[2 * group + 1]
        guard start != -1, end >= start else { return nil }
        return start..<end
    }
}
