#!/usr/bin/env bash
# tail of a file growing at full speed against scan of the same file: the seconds each takes to write
# the file's alerts. Usage: Benchmarks/live/throughput.sh CORPUS [THREADS]
# (a corpus: wardwatch bench --corpus syslog --write-corpus /tmp/c.log --bytes 200000000)
set -euo pipefail
corpus=$1; threads=${2:-2}
W=${WARDWATCH:-.build/release/wardwatch}
work=$(mktemp -d)
trap 'kill $tp 2>/dev/null || true; rm -rf "$work"' EXIT
# scan, of the file under the name tail will read it by (the alerts name it).
cp "$corpus" "$work/app.log"
start=$(date +%s.%N)
"$W" scan ${RULES:-} --threads "$threads" "$work/app.log" > "$work/scan.jsonl" 2>/dev/null
scan=$(echo "$(date +%s.%N) - $start" | bc)
want=$(stat -c %s "$work/scan.jsonl")
: > "$work/app.log"
"$W" tail ${RULES:-} --threads "$threads" --checkpoint "$work/ck" --output "$work/tail.jsonl" "$work/app.log" 2>"$work/tail.err" & tp=$!
until grep -q following "$work/tail.err" 2>/dev/null; do sleep 0.05; done
start=$(date +%s.%N)
cat "$corpus" >> "$work/app.log"
# Done when as many alert bytes were written as scan wrote (polling a size keeps the measurement off
# the CPUs it measures).
until [ "$(stat -c %s "$work/tail.jsonl" 2>/dev/null || echo 0)" -ge "$want" ]; do sleep 0.01; done
tail=$(echo "$(date +%s.%N) - $start" | bc)
kill -TERM $tp; wait $tp || true
same=$(cmp -s "$work/scan.jsonl" "$work/tail.jsonl" && echo "the same alerts" || echo "DIFFERENT alerts")
echo "scan $scan s, tail $tail s: tail at $(echo "scale=0; 100 * $scan / $tail" | bc) % of scan's rate; $same"
