import WardCore
import WardRegex
import WardRules

/// Every rule compiled to flat data: its log source and condition as one small program over
/// *predicates*, with no objects walked and no reference counting while an event is matched.
///
/// A leaf is one value of a search (or one condition of a log source's route):
/// - a case-insensitive ASCII `contains` / `startswith` / `endswith` / equality of a prefilter
///   literal is **decided** by the field's automaton alone: the literal occurred anywhere / at the
///   start / at the end / as the whole value (``LiteralDecision``);
/// - any other value is a **predicate**: each distinct (field, matcher) of all rules gets one id
///   and is evaluated at most once per event, and not at all when its own literal is absent (then
///   it cannot match): regexes gated by their required literal, `cidr`, numbers, `exists`, …
///
/// A rule is answered in two passes, both in Kleene logic (no / maybe / yes; and = min, or = max,
/// not = 2 − x), short-circuiting left to right: first with every predicate read as "maybe" unless
/// its literal is absent (a route's conditions, cheap, are evaluated already) — a rule that needs `a and b` where only `a` occurred ends here, as does a
/// rule made only of decided values — then, for the rules left undecided, with the predicates
/// evaluated. Only a regular expression PCRE2 gave up on leaves a predicate "maybe" in the second
/// pass (reported by the engine, the alert flagged).
///
/// Program layout, prefix order: `and`/`or` are two words (kind with the operand count; the index
/// after the operands), every other operation one word (kind in the low 4 bits, argument above).
struct RuleCircuit {
    enum Answer: UInt8 {
        case no = 0, maybe = 1, yes = 2
    }

    enum Kind {
        /// Argument: an ``Answer``.
        static let constant: Int32 = 0
        /// Argument: operand count; the next word is the index after the operands.
        static let and: Int32 = 1
        static let or: Int32 = 2
        static let not: Int32 = 3
        /// Argument: a predicate id.
        static let predicate: Int32 = 4
        /// Argument: a global pattern index; yes when the pattern occurred anywhere (8), at the
        /// value's start (9), at its end (10), as the whole value (11) — the stamp at
        /// `4 × index + kind − 8` — else no.
        static let contains: Int32 = 8
        static let prefix: Int32 = 9
        static let suffix: Int32 = 10
        static let equals: Int32 = 11
    }

    /// What a predicate tests.
    enum Test {
        /// A matcher on a field's value; `nil`: keywords (some text of the event).
        case value(FieldRef?, ValueMatcher)
        /// A log source route's condition: the field is one of these values (ASCII case-insensitive).
        case route(FieldRef, [[UInt8]])
    }

    /// A predicate, evaluated through a reference the engine holds unretained: its test's payloads
    /// (field references, patterns, regular expressions) are read as borrowed `let`s, so evaluating
    /// one touches no reference count — shared by all workers, a count is a cache line the cores
    /// fight over.
    final class Predicate {
        /// The test, its payloads as plain stored properties (binding an enum's payloads, or
        /// unwrapping an optional one, copies them: a retain on objects all workers share).
        let field: FieldRef
        /// Keywords: the matcher searches the event's texts, not `field`.
        let isKeyword: Bool
        let matcher: ValueMatcher
        let isRoute: Bool
        /// A route's values, one after the other, and where each starts (`routeStart.last`: the end).
        let routeBytes: [UInt8]
        let routeStart: [Int]

        init(_ test: Test) {
            switch test {
            case .value(let field, let matcher):
                (self.field, isKeyword) = (field ?? FieldRef("event.original"), field == nil)
                (self.matcher, isRoute, routeBytes, routeStart) = (matcher, false, [], [0])
            case .route(let field, let values):
                (self.field, isKeyword, matcher, isRoute) = (field, false, .exists(true), true)
                routeBytes = values.flatMap { $0 }
                var starts = [0]
                for value in values { starts.append(starts.last! + value.count) }
                routeStart = starts
            }
        }

        /// No / yes, or maybe with PCRE2's code when a regular expression gave up.
        func evaluate(_ event: BatchEvent, scratch: MatchScratch) -> (UInt8, Int32) {
            if isRoute { return (routeAccepts(event) ? 2 : 0, 0) }
            let regex = scratch.regex
            let errors = regex.errors
            let matched: Bool
            if isKeyword {
                matched = event.anyKeywordText { matcher.matches($0, event: event, scratch: scratch) }
            } else {
                matched = event.withValue(of: field) { matcher.matches($0, event: event, scratch: scratch) }
            }
            if regex.errors != errors { return (1, regex.lastError) }
            return (matched ? 2 : 0, 0)
        }

        func routeAccepts(_ event: BatchEvent) -> Bool {
            event.withValue(of: field) { value -> Bool in
                guard let value else { return false }
                return routeBytes.withUnsafeBufferPointer { bytes in
                    for w in 0..<(routeStart.count - 1) where routeStart[w + 1] - routeStart[w] == value.count {
                        let base = routeStart[w]
                        var k = 0
                        while k < value.count && bytes[base + k] == ((value[k] &- 0x41) < 26 ? value[k] | 0x20 : value[k]) { k += 1 }
                        if k == value.count { return true }
                    }
                    return false
                }
            }
        }
    }

    var ops: [Int32] = []
    /// Rule r's program starts at `start[r]`.
    var start: [Int32] = []
    var tests: [Test] = []
    /// Per predicate, the global pattern index of its literal (absent: the predicate is false); -1:
    /// none; -2: none, and so cheap (a route's condition) that the first pass evaluates it.
    var predicateLiteral: [Int32] = []
    private var predicateIDs: [PredicateKey: Int] = [:]

    struct PredicateKey: Hashable {
        var field: String?
        var matcher: ValueMatcher.Identity?
        var values: [[UInt8]] = []
    }

    /// Appends the program of one rule: its routes, and its condition. `pattern(field, literal)`
    /// gives the global index of a literal in the engine's automata, or -1 when it is not loaded.
    mutating func add(_ rule: SigmaRule, pattern: (FieldRef?, [UInt8]) -> Int) {
        start.append(Int32(ops.count))
        func emit(_ kind: Int32, _ argument: Int) { ops.append(kind | Int32(argument) << 4) }
        func constant(_ answer: Answer) { emit(Kind.constant, Int(answer.rawValue)) }
        /// `and`/`or` of the operands `body` emits (`count` of them): nothing for one, a constant for none.
        func combine(_ kind: Int32, _ count: Int, empty: Answer, _ body: () -> Void) {
            if count == 0 { return constant(empty) }
            if count == 1 { return body() }
            emit(kind, count)
            let end = ops.count
            ops.append(0)
            body()
            ops[end] = Int32(ops.count)
        }
        func predicate(_ key: PredicateKey, _ test: Test, literal: Int) {
            let id: Int
            if let known = predicateIDs[key] {
                id = known
            } else {
                id = tests.count
                predicateIDs[key] = id
                tests.append(test)
                predicateLiteral.append(Int32(literal))
            }
            emit(Kind.predicate, id)
        }
        func value(_ field: FieldRef?, _ matcher: ValueMatcher) {
            var index = -1
            if let literal = matcher.prefilterLiteral {
                index = pattern(field, literal.bytes)
                if index >= 0 {
                    switch literal.decision {
                    case .contains: return emit(Kind.contains, index)
                    case .prefix: return emit(Kind.prefix, index)
                    case .suffix: return emit(Kind.suffix, index)
                    case .equals: return emit(Kind.equals, index)
                    case .maybe: break
                    }
                }
            }
            predicate(PredicateKey(field: field?.name, matcher: matcher.identity), .value(field, matcher), literal: index)
        }
        func item(_ item: DetectionItem) {
            if item.negated { emit(Kind.not, 0) }
            combine(item.requireAll ? Kind.and : Kind.or, item.groups.count, empty: item.requireAll ? .yes : .no) {
                for group in item.groups {
                    combine(Kind.or, group.count, empty: .no) {
                        for matcher in group { value(item.field, matcher) }
                    }
                }
            }
        }
        func expression(_ e: SearchExpression) {
            switch e {
            case .allOf(let items): combine(Kind.and, items.count, empty: .yes) { items.forEach(item) }
            case .anyOf(let alternatives): combine(Kind.or, alternatives.count, empty: .no) { alternatives.forEach(expression) }
            }
        }
        func condition(_ c: Condition) {
            switch c {
            case .search(let i): expression(rule.searches[i].expression)
            case .and(let parts): combine(Kind.and, parts.count, empty: .yes) { parts.forEach(condition) }
            case .or(let parts): combine(Kind.or, parts.count, empty: .no) { parts.forEach(condition) }
            case .not(let inner):
                emit(Kind.not, 0)
                condition(inner)
            case .constant(let value): constant(value ? .yes : .no)
            }
        }
        // The rule: one of its routes accepts the event, and its condition holds.
        combine(Kind.and, 2, empty: .yes) {
            combine(Kind.or, rule.routes.count, empty: .no) {
                for route in rule.routes {
                    combine(Kind.and, route.conditions.count, empty: .yes) {
                        for condition in route.conditions {
                            predicate(PredicateKey(field: condition.field.name, matcher: nil, values: condition.values),
                                      .route(condition.field, condition.values), literal: -2)
                        }
                    }
                }
            }
            condition(rule.condition)
        }
    }

    /// Every literal the programs of `rule` use, with its field: what the automata must find.
    static func literals(of rule: SigmaRule) -> [(field: FieldRef?, bytes: [UInt8])] {
        var out: [(FieldRef?, [UInt8])] = []
        for search in rule.searches {
            for item in search.expression.items {
                for group in item.groups {
                    for matcher in group { if let literal = matcher.prefilterLiteral { out.append((item.field, literal.bytes)) } }
                }
            }
        }
        return out
    }
}

/// ``RuleCircuit`` as raw memory owned by the engine (read without reference counting), and its
/// evaluation.
struct CircuitTable {
    let ops: UnsafePointer<Int32>
    let start: UnsafePointer<Int32>
    let predicateLiteral: UnsafePointer<Int32>
    let predicateCount: Int
    /// The predicates, read unretained: each is retained once here (``deallocate()`` releases it), so
    /// that this table is plain data — copied into every event's ``CircuitRun`` at no cost.
    let predicates: UnsafePointer<Unmanaged<RuleCircuit.Predicate>>

    init(_ circuit: RuleCircuit) {
        ops = FieldTable.copy(circuit.ops)
        start = FieldTable.copy(circuit.start)
        predicateLiteral = FieldTable.copy(circuit.predicateLiteral)
        predicateCount = circuit.tests.count
        predicates = FieldTable.copy(circuit.tests.map { Unmanaged.passRetained(RuleCircuit.Predicate($0)) })
    }

    func deallocate() {
        for i in 0..<predicateCount { predicates[i].release() }
        for p in [UnsafeMutableRawPointer(mutating: ops), UnsafeMutableRawPointer(mutating: start),
                  UnsafeMutableRawPointer(mutating: predicateLiteral), UnsafeMutableRawPointer(mutating: predicates)] {
            p.deallocate()
        }
    }
}

/// One event's evaluation state: the literal stamps the scan left, and the predicates evaluated so far.
struct CircuitRun {
    let table: CircuitTable
    let stamps: UnsafeMutableBufferPointer<UInt32>
    let stamp: UInt32
    /// Per predicate: the stamp of the event it was evaluated for, its answer, its PCRE2 error code.
    let predicateStamp: UnsafeMutablePointer<UInt32>
    let predicateValue: UnsafeMutablePointer<UInt8>
    let predicateError: UnsafeMutablePointer<Int32>
    let event: BatchEvent
    let scratch: MatchScratch
    /// Set when the second pass read a predicate PCRE2 gave up on: its error code.
    var error: Int32 = 0

    /// The rule's answer: `full` false reads predicates as "maybe" (or "no" when their literal is
    /// absent); `full` true evaluates them.
    @inline(__always)
    mutating func answer(_ rule: Int, full: Bool) -> RuleCircuit.Answer {
        RuleCircuit.Answer(rawValue: evaluate(Int(table.start[rule]), full: full).value) ?? .maybe
    }

    /// Evaluates the operation at `k`; returns its value and the index after it.
    mutating func evaluate(_ k: Int, full: Bool) -> (value: UInt8, next: Int) {
        let op = table.ops[k]
        let argument = Int(op >> 4)
        switch op & 15 {
        case RuleCircuit.Kind.constant:
            return (UInt8(truncatingIfNeeded: argument), k + 1)
        case RuleCircuit.Kind.and, RuleCircuit.Kind.or:
            // and = min, stopping at no; or = max, stopping at yes. (Kleene, with not = 2 − x.)
            let isAnd = op & 15 == RuleCircuit.Kind.and
            let end = Int(table.ops[k + 1])
            let decisive: UInt8 = isAnd ? 0 : 2
            var value: UInt8 = 2 - decisive
            var j = k + 2
            for _ in 0..<argument {
                let (v, next) = evaluate(j, full: full)
                value = isAnd ? min(value, v) : max(value, v)
                if value == decisive { break }
                j = next
            }
            return (value, end)
        case RuleCircuit.Kind.not:
            let (v, next) = evaluate(k + 1, full: full)
            return (2 - v, next)
        case RuleCircuit.Kind.predicate:
            let literal = Int(table.predicateLiteral[argument])
            if literal >= 0 && stamps[literal &* 4] != stamp { return (0, k + 1) }
            guard full || literal == -2 else { return (1, k + 1) }
            if predicateStamp[argument] != stamp {
                predicateStamp[argument] = stamp
                (predicateValue[argument], predicateError[argument]) = test(argument)
            }
            if predicateValue[argument] == 1 { error = predicateError[argument] }
            return (predicateValue[argument], k + 1)
        default:  // contains, prefix, suffix, equals
            return (stamps[argument &* 4 &+ Int(op & 3)] == stamp ? 2 : 0, k + 1)
        }
    }

    /// Evaluates one predicate: no / yes, or maybe with PCRE2's code when a regular expression gave up.
    @inline(__always)
    func test(_ id: Int) -> (UInt8, Int32) {
        table.predicates[id]._withUnsafeGuaranteedRef { $0.evaluate(event, scratch: scratch) }
    }
}
