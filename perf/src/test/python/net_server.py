#!/usr/bin/env python3
"""A plain HTTP server for the network end-to-end tests, run unmodified on a backend host.

It binds the given addresses (the VIPs on the backend's loopback) on one port and answers:
  GET /id                      -> "<name>\n" (which backend answered)
  GET /stream?bytes=N&rate=R[&release=PATH][&seed=S]
                               -> N bytes, paced at about R bytes per second (a long transfer); with release,
                                  paced only until the file PATH exists, then the rest at full speed (a transfer
                                  that lasts exactly as long as a test needs, however slow the machine); with
                                  seed, byte k of the body is pattern(S)[k % 256] (see pattern()), so that the
                                  client can check every byte, else "x"
  POST /upload?rate=R          -> reads the body (paced at about R bytes per second), answers "<name> <bytes>\n"
Every connection is closed after its answer, so each request is its own TCP connection.

usage: net_server.py --name b1 --port 80 --bind 192.0.2.10 --bind 192.0.2.11 --bind 2001:db8:f::10 ...
"""
import argparse
import os
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse


def pattern(seed, length):
    """The body of /stream?seed=S: byte k is (31 * k + 7 * S) mod 256, so it repeats every 256 bytes; the
    first `length` + 256 bytes, from which any chunk at offset o is [o % 256 : o % 256 + n]."""
    return bytes((31 * k + 7 * seed) & 0xFF for k in range(length + 256))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    name = "?"

    def log_message(self, *args):
        pass

    def _query(self):
        q = parse_qs(urlparse(self.path).query)
        return {k: v[0] for k, v in q.items()}

    def do_GET(self):
        path = urlparse(self.path).path
        if path == "/id":
            body = (self.name + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Backend", self.name)
            self.end_headers()
            self.wfile.write(body)
        elif path == "/stream":
            q = self._query()
            total = int(q.get("bytes", "1000000"))
            rate = float(q.get("rate", "0"))
            release = q.get("release")
            self.send_response(200)
            self.send_header("Content-Length", str(total))
            self.send_header("X-Backend", self.name)
            self.end_headers()
            seed = q.get("seed")
            chunk = pattern(int(seed), 8192) if seed is not None else b"x" * (8192 + 256)
            sent = 0
            start = time.monotonic()
            while sent < total:
                n = min(8192, total - sent)
                o = sent % 256 if seed is not None else 0
                self.wfile.write(chunk[o:o + n])
                sent += n
                if release and os.path.exists(release):
                    rate = 0
                if rate > 0:
                    ahead = sent / rate - (time.monotonic() - start)
                    if ahead > 0:
                        time.sleep(ahead)
        else:
            self.send_error(404)

    def do_POST(self):
        q = self._query()
        rate = float(q.get("rate", "0"))
        length = int(self.headers.get("Content-Length", "0"))
        got = 0
        start = time.monotonic()
        while got < length:
            data = self.rfile.read(min(8192, length - got))
            if not data:
                break
            got += len(data)
            if rate > 0:
                ahead = got / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
        body = f"{self.name} {got}\n".encode()
        self.send_response(200 if got == length else 400)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", self.name)
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


class Server6(Server):
    address_family = socket.AF_INET6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--bind", action="append", required=True)
    args = ap.parse_args()
    Handler.name = args.name
    servers = [(Server6 if ":" in address else Server)((address, args.port), Handler) for address in args.bind]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(f"net_server {args.name}: listening on {', '.join(args.bind)} port {args.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
