#!/usr/bin/env python3
"""The client side of the soak test (SoakTest), run in a client namespace of the network lab with real Linux TCP.

Long connections: one HTTP download per --long, paced by the server (net_server.py /stream with a seed, so that
every byte is known) until the release file exists, then finished at full speed; every byte is compared with the
pattern the server sends, and the length with the one asked for.
Short connections: --short VIP:THREADS threads per VIP, each opening a new TCP connection for GET /id, reading the
answer, closing it, and pausing --pause seconds, until the release file exists.

When the release file exists (or --max-seconds have passed), the short loops stop, the downloads are awaited (at
most --finish-seconds) and one JSON document is written to --out:
  {"long": [{"vip", "seed", "backend", "bytes", "received", "ok", "error"}, ...],
   "short": {VIP: {"ok": N, "failed": N, "backends": {NAME: N}, "errors": ["t=SECONDS what", ...] (at most 50)}}}

usage: net_soak_client.py --release PATH --out FILE --long VIP:SEED:BYTES:RATE ... --short VIP:THREADS ...
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

PORT = 80


def pattern(seed, length):
    """The same bytes as net_server.pattern()."""
    return bytes((31 * k + 7 * seed) & 0xFF for k in range(length + 256))


def read_head(sock):
    """Reads the status line and headers; returns (status, headers, the body bytes already read)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise IOError("connection closed in the headers after %d bytes" % len(data))
        data += chunk
        if len(data) > 65536:
            raise IOError("headers too long")
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def download(result, vip, seed, total, rate, release, stall_seconds):
    expected = pattern(seed, 65536)
    received = 0
    try:
        sock = socket.create_connection((vip, PORT), timeout=10)
        sock.settimeout(stall_seconds)
        try:
            sock.sendall(("GET /stream?bytes=%d&rate=%d&seed=%d&release=%s HTTP/1.0\r\nHost: %s\r\n\r\n"
                          % (total, rate, seed, release, vip)).encode())
            status, headers, body = read_head(sock)
            result["backend"] = headers.get("x-backend", "?")
            if status != 200:
                raise IOError("status %d" % status)
            while True:
                while body:
                    n = min(len(body), 65536)
                    o = received % 256
                    if body[:n] != expected[o:o + n]:
                        bad = next(i for i in range(n) if body[i] != expected[o + i])
                        raise IOError("byte %d differs from the pattern" % (received + bad))
                    received += n
                    body = body[n:]
                if received > total:
                    raise IOError("more bytes than asked for")
                body = sock.recv(65536)
                if not body:
                    break
        finally:
            sock.close()
        if received != total:
            raise IOError("connection closed after %d of %d bytes" % (received, total))
        result["ok"] = True
    except Exception as e:  # every failure is the result, whatever it is
        result["error"] = "%s: %s" % (type(e).__name__, e)
    result["received"] = received


class ShortStats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.failed = 0
        self.backends = {}
        self.errors = []


def short_loop(stats, vip, stop, pause, start):
    while not stop.is_set():
        try:
            sock = socket.create_connection((vip, PORT), timeout=10)
            sock.settimeout(10)
            try:
                sock.sendall(("GET /id HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n" % vip).encode())
                status, headers, body = read_head(sock)
                while True:
                    more = sock.recv(4096)
                    if not more:
                        break
                    body += more
            finally:
                sock.close()
            name = body.decode("latin-1").strip()
            if status != 200 or name != headers.get("x-backend"):
                raise IOError("status %d, body %r" % (status, body[:40]))
            with stats.lock:
                stats.ok += 1
                stats.backends[name] = stats.backends.get(name, 0) + 1
        except Exception as e:
            with stats.lock:
                stats.failed += 1
                if len(stats.errors) < 50:
                    stats.errors.append("t=%.1f %s: %s" % (time.monotonic() - start, type(e).__name__, e))
        stop.wait(pause)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--release", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--long", action="append", default=[], help="VIP:SEED:BYTES:RATE")
    ap.add_argument("--short", action="append", default=[], help="VIP:THREADS")
    ap.add_argument("--pause", type=float, default=0.1)
    ap.add_argument("--max-seconds", type=float, default=3600)
    ap.add_argument("--finish-seconds", type=float, default=180)
    ap.add_argument("--stall-seconds", type=float, default=60)
    args = ap.parse_args()
    start = time.monotonic()

    longs = []
    for spec in args.long:
        vip, seed, total, rate = spec.split(":")
        r = {"vip": vip, "seed": int(seed), "backend": None, "bytes": int(total), "received": 0, "ok": False, "error": None}
        t = threading.Thread(target=download, args=(r, vip, int(seed), int(total), int(rate), args.release, args.stall_seconds),
                             daemon=True)
        t.start()
        longs.append((r, t))

    stop = threading.Event()
    shorts = {}
    threads = []
    for spec in args.short:
        vip, n = spec.split(":")
        stats = shorts.setdefault(vip, ShortStats())
        for _ in range(int(n)):
            t = threading.Thread(target=short_loop, args=(stats, vip, stop, args.pause, start), daemon=True)
            t.start()
            threads.append(t)

    while not os.path.exists(args.release) and time.monotonic() - start < args.max_seconds:
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(30)
    deadline = time.monotonic() + args.finish_seconds
    for r, t in longs:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            r["error"] = "still running after %d s" % args.finish_seconds
    out = {"long": [r for r, _ in longs],
           "short": {vip: {"ok": s.ok, "failed": s.failed, "backends": s.backends, "errors": s.errors}
                     for vip, s in shorts.items()}}
    with open(args.out + ".tmp", "w") as f:
        json.dump(out, f, indent=1)
    os.replace(args.out + ".tmp", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
