#!/usr/bin/env python3
"""Python's `re` as the oracle for SigmaHQ's `|re` values on long, padded lines.

For every `|re` value in ../shared/sigma/rules*/ this writes one JSON line to
Tests/WardRulesTests/Fixtures/sigma-regex-oracle.jsonl: where the value is (file, search, map, key,
index), a short line Python's re matches (generated from the pattern's parse tree, then checked),
and for each way it is padded to 2 KiB, 64 KiB and 1 MiB (padding after it, or on both sides) what
Python's re.search answers: `subjects` = [[left padding, right padding, answer], …].
The patterns themselves stay in ../shared (the test reads them from there). Run from the repository
root:  python3 Tests/Tools/sigma_regex_oracle.py
"""
import glob, json, os, re, signal, sys
import yaml

try:
    import re._parser as sre_parse
    import re._constants as C
except ImportError:  # Python < 3.11
    import sre_parse
    import sre_constants as C

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "sigma")
OUT = os.path.join(os.path.dirname(__file__), "..", "WardRulesTests", "Fixtures", "sigma-regex-oracle.jsonl")
SIZES = [2 << 10, 64 << 10, 1 << 20]
PAD = "padding "  # words and spaces, as attackers pad command lines


def example(node, groups):
    out = []
    for op, av in node:
        if op == C.LITERAL:
            out.append(chr(av))
        elif op == C.NOT_LITERAL:
            out.append("a" if av != ord("a") else "b")
        elif op == C.ANY:
            out.append("a")
        elif op == C.IN:
            out.append(pick(av))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) or str(op) == "POSSESSIVE_REPEAT":
            lo, hi, sub = av
            out.append(example(sub, groups) * max(lo, 0))
        elif op == C.SUBPATTERN:
            gid, _, _, sub = av
            text = example(sub, groups)
            if gid is not None:
                groups[gid] = text
            out.append(text)
        elif op == C.BRANCH:
            out.append(example(av[1][0], groups))
        elif op == C.GROUPREF:
            out.append(groups.get(av, ""))
        elif op == C.CATEGORY:
            out.append(category(av))
        elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            pass
        elif str(op) == "ATOMIC_GROUP":
            out.append(example(av, groups))
        else:
            raise ValueError("unsupported %s" % op)
    return "".join(out)


def category(c):
    name = str(c)
    return {"CATEGORY_DIGIT": "1", "CATEGORY_NOT_DIGIT": "a", "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": "a",
            "CATEGORY_WORD": "a", "CATEGORY_NOT_WORD": " "}.get(name, "a")


def pick(items):
    negate = any(op == C.NEGATE for op, _ in items)
    def member(ch):
        for op, av in items:
            if op == C.LITERAL and ord(ch) == av:
                return True
            if op == C.RANGE and av[0] <= ord(ch) <= av[1]:
                return True
            if op == C.CATEGORY and re.fullmatch({"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
                                                  "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w",
                                                  "CATEGORY_NOT_WORD": r"\W"}.get(str(av), "."), ch):
                return True
        return False
    for ch in "a1 A_-./\\:x":
        if member(ch) != negate:
            return ch
    for code in range(32, 127):
        if member(chr(code)) != negate:
            return chr(code)
    return "a"


class Timeout(Exception):
    pass


def alarm(*_):
    raise Timeout()


def values():
    for path in sorted(glob.glob(os.path.join(SHARED, "rules*", "**", "*.yml"), recursive=True)):
        try:
            doc = yaml.safe_load(open(path, encoding="utf-8"))
        except Exception:
            continue
        if not isinstance(doc, dict):
            continue
        rel = os.path.relpath(path, SHARED)
        for name, search in (doc.get("detection") or {}).items():
            maps = search if isinstance(search, list) else [search]
            for m, item in enumerate(maps):
                if not isinstance(item, dict):
                    continue
                for key, value in item.items():
                    if not isinstance(key, str) or "|re" not in key:
                        continue
                    for index, v in enumerate(value if isinstance(value, list) else [value]):
                        yield rel, name, m, key, index, str(v)


def flags(key):
    mods = key.split("|")[1:]
    f = 0
    if "i" in mods: f |= re.I
    if "m" in mods: f |= re.M
    if "s" in mods: f |= re.S
    return f


def main():
    signal.signal(signal.SIGALRM, alarm)
    rows, skipped = [], []
    for rel, search, m, key, index, pattern in values():
        where = {"file": rel, "search": search, "map": m, "key": key, "index": index}
        try:
            compiled = re.compile(pattern, flags(key))
            text = example(sre_parse.parse(pattern, flags(key)), {})
        except Exception as error:
            skipped.append(dict(where, why="no example: %s" % error))
            continue
        if not compiled.search(text):
            skipped.append(dict(where, why="the generated example does not match"))
            continue
        subjects = []
        for size in SIZES:
            for placement in ("after", "around"):
                room = max(0, size - len(text))
                left = (PAD * (room // 2 // len(PAD) + 1))[: room // 2] if placement == "around" else ""
                right = (PAD * (room // len(PAD) + 1))[: room - len(left)]
                subject = left + text + right
                signal.alarm(20)
                try:
                    answer = compiled.search(subject) is not None
                except Timeout:
                    skipped.append(dict(where, why="Python's re took over 20 s on %d bytes" % size))
                    continue
                finally:
                    signal.alarm(0)
                subjects.append([len(left), len(right), answer])
        rows.append(dict(where, example=text, subjects=subjects))
    with open(OUT, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print("%d patterns, %d subjects; %d skipped" % (len(rows), sum(len(r["subjects"]) for r in rows), len(skipped)),
          file=sys.stderr)
    for s in skipped:
        print("skipped: %s" % json.dumps(s), file=sys.stderr)


if __name__ == "__main__":
    main()
