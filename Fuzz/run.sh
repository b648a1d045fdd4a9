#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzzer + address sanitizers) and runs each for SECONDS (default 30)
# on seed corpora made from SampleLogs/, Rules/ (rules and site formats) and ../shared/samples. Crashes are written to
# Fuzz/findings/<harness>/; the exit status is non-zero when a harness found one. Leak detection is off
# (DETECT_LEAKS=1 turns it on): LeakSanitizer reports allocations of the condition parser made while
# FuzzParse loads the bundled rules once, at exit — not per input; still to be looked into.
#   bash Fuzz/run.sh [SECONDS] [HARNESS...]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"; shift || true
harnesses=("${@:-FuzzParse FuzzRules FuzzCondition FuzzFormats}")
read -r -a harnesses <<< "${harnesses[*]}"

swift build -c debug --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library

corpus=.build-fuzz/corpus
mkdir -p "$corpus/FuzzParse" "$corpus/FuzzRules" "$corpus/FuzzCondition" "$corpus/FuzzFormats"
# Seeds: every sample log (first 4 KiB of each, gzip excluded), every rule, a few conditions.
n=0
while IFS= read -r -d '' f; do
    head -c 4096 "$f" > "$corpus/FuzzParse/seed-$n"; n=$((n + 1))
done < <(find ../SampleLogs ../../shared/samples -type f \( -name '*.log' -o -name '*.jsonl' -o -name '*.txt' -o -name '*.hl7' -o -name '*.xml' -o -name 'messages' -o -name 'secure' \) -size -2M -print0 2>/dev/null | head -z -n 400)
# Lines for the harness's own site formats (a line test, 'then' into each parser, a fallback).
printf '%s\n' 'F|1795000000000|10.1.2.3|DOE^JANE|MRN1|0.5|<13>Nov 22 10:00:00 host sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2' \
    'K 2026-11-22T10:00:00.000+01:00 a=1 b="x y" c=3' 'C ward3 release by mwong 12 Main St' \
    'X CEF:0|Vendor|Product|1|100|name|5|src=10.1.2.3 dst=10.5.6.7' 'H MSH|^~\&|A|B|C|D|20261122100000||ADT^A01|1|P|2.5' \
    'app J{"user":"x","n":1}' '03-17 16:13:38.811  1702  2395 D WindowManager: x' > "$corpus/FuzzParse/seed-formats"
n=0
while IFS= read -r -d '' f; do
    cp "$f" "$corpus/FuzzRules/seed-$n"; n=$((n + 1))
done < <(find ../Rules ../../shared/sigma/rules/linux -name '*.yml' -print0 2>/dev/null | head -z -n 300)
printf '%s' 'a and not b' > "$corpus/FuzzCondition/seed-0"
printf '%s' '1 of sel_* or (a and b)' > "$corpus/FuzzCondition/seed-1"
printf '%s' 'all of them and not (sel_c or sel_d)' > "$corpus/FuzzCondition/seed-2"
# Site format definitions: the shipped ones.
n=0
for f in ../Rules/formats/*/*.yml ../Rules/formats/*.yml; do
    [ -f "$f" ] && cp "$f" "$corpus/FuzzFormats/seed-$n" && n=$((n + 1))
done

# LeakSanitizer's check at exit too (libFuzzer's -detect_leaks covers only the per-input one).
export ASAN_OPTIONS="detect_leaks=${DETECT_LEAKS:-0}${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
status=0
for h in "${harnesses[@]}"; do
    mkdir -p "findings/$h"
    echo "== $h: ${seconds} s"
    if ! ".build-fuzz/debug/$h" "$corpus/$h" -max_total_time="$seconds" -seed=1 -timeout=10 -rss_limit_mb=4096 \
        -max_len=65536 -detect_leaks="${DETECT_LEAKS:-0}" -artifact_prefix="findings/$h/" -print_final_stats=1 2> "findings/$h/log.txt"; then
        status=1
        echo "$h found a problem: see Fuzz/findings/$h/"
    fi
    grep -E "stat::number_of_executed_units|cov: " "findings/$h/log.txt" | tail -2 || true
done
exit $status
