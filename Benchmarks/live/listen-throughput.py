#!/usr/bin/env python3
"""Messages a second `wardwatch listen` takes over TCP on loopback: N syslog lines of a real corpus
(LF framing) sent over C connections as fast as the listener reads them; the time runs from the
first byte sent to the listener's exit after SIGTERM (it drains what it received first).

    python3 Benchmarks/live/listen-throughput.py CORPUS [--messages 2000000] [--connections 4] [--threads 2]
(a corpus: wardwatch bench --corpus syslog --write-corpus /tmp/c.log --bytes 200000000)
"""
import argparse, os, re, signal, socket, subprocess, sys, threading, time

a = argparse.ArgumentParser()
a.add_argument("corpus")
a.add_argument("--messages", type=int, default=2_000_000)
a.add_argument("--connections", type=int, default=4)
a.add_argument("--threads", type=int, default=2)
a.add_argument("--wardwatch", default=".build/release/wardwatch")
a.add_argument("--rules", default=None)
o = a.parse_args()
lines = []
with open(o.corpus, "rb") as f:
    for line in f:
        lines.append(line)
        if len(lines) >= o.messages:
            break
per = [b"".join(lines[i::o.connections]) for i in range(o.connections)]
cmd = [o.wardwatch, "listen", "--tcp", "127.0.0.1:0", "--threads", str(o.threads), "--output", "/dev/null"]
if o.rules:
    cmd += ["--rules", o.rules]
p = subprocess.Popen(cmd, stderr=subprocess.PIPE)
buf = b""
while b"listening on" not in buf:
    buf += p.stderr.read1(4096)
port = int(re.search(rb"tcp 127.0.0.1:(\d+)", buf).group(1))
start = time.monotonic()
def send(data):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    s.close()
threads = [threading.Thread(target=send, args=(d,)) for d in per]
for t in threads: t.start()
for t in threads: t.join()
sent = time.monotonic() - start
p.send_signal(signal.SIGTERM)
err = p.stderr.read().decode()
p.wait()
took = time.monotonic() - start
m = re.search(r"listen: (\d+) messages", err)
got = int(m.group(1)) if m else 0
print("%d of %d messages over %d connections in %.2f s (sent in %.2f s): %.0f messages/s with %d threads"
      % (got, len(lines), o.connections, took, sent, got / took, o.threads))
print("\n".join(l for l in err.splitlines() if "alerts:" in l or "pauses" in l or "events by dataset" in l))
