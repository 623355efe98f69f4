#!/usr/bin/env python3
"""Sends hand-made Fastpath messages (hostagent RedirectMessage) to a host agent, to check that it refuses
what it must: a bad tag (forged), an old issue time (stale), a backend that is not the sender
(not_from_backend), and the same sequence twice (replayed). Run it inside a backend's namespace: the
datagrams leave through that host's agent like any other traffic.

usage: net_redirect.py --key-file F --to 198.18.2.2 --sender 198.18.21.2 --other-backend 198.18.22.2 \
           --vip 192.0.2.12 CASE...      (CASE: forged stale not_from_backend replayed)
"""
import argparse
import hashlib
import hmac
import random
import socket
import struct
import sys
import time

MAGIC, VERSION, REDIRECT = 0x5046, 1, 1
PORT = 6081


def ip(text):
    return struct.unpack(">I", socket.inet_aton(text))[0]


def message(key, client, vip, backend, issued_ms, sequence, client_port, forge=False):
    body = struct.pack(">HBBB3xIIHHIqq", MAGIC, VERSION, REDIRECT, 6, ip(client), ip(vip), client_port, 80, ip(backend),
                       issued_ms, sequence)
    tag = hmac.new(key, body, hashlib.sha256).digest()[:16]
    if forge:
        tag = bytes(b ^ 0x5A for b in tag)
    return body + tag


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key-file", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--sender", required=True)
    ap.add_argument("--other-backend", required=True)
    ap.add_argument("--vip", required=True)
    ap.add_argument("cases", nargs="+")
    args = ap.parse_args()
    key = bytes.fromhex(open(args.key_file).read().strip())
    now = int(time.time() * 1000)
    # Far above what the agent's own clock-based sequences reach (time in ms << 16), so the first use of a
    # sequence is fresh and the replay is caught by the window, not by age.
    base = (now << 16) + (1 << 40) + random.randrange(1 << 20)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.sender, 0))
    sent = 0
    for i, case in enumerate(args.cases):
        port = 40000 + i
        if case == "forged":
            datagrams = [message(key, args.to, args.vip, args.sender, now, base + i * 10, port, forge=True)]
        elif case == "stale":
            datagrams = [message(key, args.to, args.vip, args.sender, now - 60_000, base + i * 10, port)]
        elif case == "not_from_backend":
            datagrams = [message(key, args.to, args.vip, args.other_backend, now, base + i * 10, port)]
        elif case == "replayed":
            m = message(key, args.to, args.vip, args.sender, now, base + i * 10, port)
            datagrams = [m, m]
        else:
            print(f"unknown case {case}", file=sys.stderr)
            return 2
        for d in datagrams:
            s.sendto(d, (args.to, PORT))
            sent += 1
            time.sleep(0.05)
    print(f"sent {sent} datagram(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
