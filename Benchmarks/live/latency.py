#!/usr/bin/env python3
"""Alert latency of a live wardwatch: from a line appended to a tailed file (or a syslog datagram sent
to `wardwatch listen`) to its alert on stdout. Prints p50, p99 and max over N lines sent at RATE a second.

    python3 Benchmarks/live/latency.py tail   [--lines 10000] [--rate 1000] [--wardwatch .build/release/wardwatch]
    python3 Benchmarks/live/latency.py listen [--lines 10000] [--rate 1000]

Each line is a real sshd failure with a unique port number, so that its alert names it.
"""
import argparse, json, os, select, socket, subprocess, sys, tempfile, threading, time

LINE = "Nov 28 10:00:00 ehr-db01 sshd[4101]: Failed password for invalid user admin from 203.0.113.50 port {} ssh2"

def main():
    a = argparse.ArgumentParser()
    a.add_argument("mode", choices=["tail", "listen"])
    a.add_argument("--lines", type=int, default=10000)
    a.add_argument("--rate", type=float, default=1000)
    a.add_argument("--wardwatch", default=".build/release/wardwatch")
    a.add_argument("--port", type=int, default=15514)
    o = a.parse_args()
    work = tempfile.mkdtemp(prefix="wardwatch-latency-")
    log = os.path.join(work, "auth.log")
    open(log, "w").close()
    rules = ["--rules", "Rules/linux", "--threads", "2"]
    if o.mode == "tail":
        cmd = [o.wardwatch, "tail", "--checkpoint", os.path.join(work, "ck")] + rules + [log]
    else:
        cmd = [o.wardwatch, "listen", "--udp", "127.0.0.1:%d" % o.port] + rules
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    # Ready when it says so on stderr.
    ready = b"following" if o.mode == "tail" else b"listening"
    buf = b""
    while ready not in buf:
        chunk = p.stderr.read1(4096) if hasattr(p.stderr, "read1") else os.read(p.stderr.fileno(), 4096)
        if not chunk:
            sys.exit("wardwatch ended before it was ready: " + buf.decode(errors="replace"))
        buf += chunk
    threading.Thread(target=lambda: [None for _ in iter(lambda: p.stderr.read(65536), b"")], daemon=True).start()
    sent = {}
    def send():
        if o.mode == "tail":
            f = open(log, "ab", buffering=0)
            put = lambda s: f.write(s.encode() + b"\n")
        else:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            put = lambda s: u.sendto(b"<38>" + s.encode(), ("127.0.0.1", o.port))
        start = time.monotonic()
        for i in range(o.lines):
            due = start + i / o.rate
            while time.monotonic() < due:
                time.sleep(max(0, min(0.0005, due - time.monotonic())))
            port = 10000 + i
            sent[port] = time.monotonic()
            put(LINE.format(port))
    t = threading.Thread(target=send)
    t.start()
    latencies = []
    rest = b""
    deadline = time.monotonic() + o.lines / o.rate + 30
    while len(latencies) < o.lines and time.monotonic() < deadline:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if not r:
            continue
        data = os.read(p.stdout.fileno(), 1 << 20)
        now = time.monotonic()
        rest += data
        *lines, rest = rest.split(b"\n")
        for line in lines:
            alert = json.loads(line)
            port = alert.get("source.port")
            if alert.get("rule.name") == "SSH password authentication failed" and port in sent:
                latencies.append(now - sent[port])
    t.join()
    p.terminate()
    p.wait()
    latencies.sort()
    if not latencies:
        sys.exit("no alerts came back")
    q = lambda f: latencies[min(len(latencies) - 1, int(f * len(latencies)))] * 1000
    print("%s: %d of %d lines alerted at %.0f lines/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (o.mode, len(latencies), o.lines, o.rate, q(0.50), q(0.99), latencies[-1] * 1000))

main()
