#!/usr/bin/env python3
"""Hostile datagrams for a MUX's peer port (the flow-ownership protocol, PeerMessageDescriptor), for the soak
test: each kind is refused by the MUX for its own reason (BadMessage), which it counts.

  truncated        shorter than a header and a tag
  bad_magic        full length, another magic
  bad_tag          a well-formed message signed with another key (forged)
  unknown_sender   signed with the pool's key, the sender not a member
  wrong_recipient  signed, addressed to another member
  stale            signed, a timestamp a minute old
  replayed         a valid ANSWER (matching no query: counted answers_unmatched), sent again unchanged
The valid message's sender is --member, a pool member that sends nothing itself (the replay window of a real
member is left alone), and its sequence starts at the wall clock in microseconds like a real sender's.

Prints one JSON line: {"truncated": N, ..., "replayed": N, "accepted": N} (what the MUX should count).
usage: net_peer_forge.py --key-hex HEX --to HOST:PORT --recipient A --member A --other A --outsider A --count N
"""
import argparse
import hashlib
import hmac
import ipaddress
import json
import os
import socket
import struct
import sys
import time

MAGIC = 0x504D5850
VERSION = 1
TYPE_ANSWER = 3
HEADER = 56
ANSWER_LENGTH = 8 + 56 + 8


def addr16(text):
    return ipaddress.IPv6Address("::ffff:" + text).packed


def message(key, sender, recipient, sequence, timestamp_ms, magic=MAGIC):
    payload = bytearray(ANSWER_LENGTH)
    struct.pack_into(">Q", payload, 0, int.from_bytes(os.urandom(8), "big"))  # a query id nobody asked
    # Flow entry: IPv4 TCP 198.18.1.2:40000 -> 192.0.2.10:80, backend family 0 (no answer).
    struct.pack_into(">BBHHBB", payload, 8, 4, 6, 40000, 80, 0, 0)
    struct.pack_into(">QQQQ", payload, 16, 0, int(ipaddress.IPv4Address("198.18.1.2")), 0, int(ipaddress.IPv4Address("192.0.2.10")))
    head = struct.pack(">IBBH", magic, VERSION, TYPE_ANSWER, 1) + addr16(sender) + addr16(recipient) \
        + struct.pack(">QQ", sequence, timestamp_ms)
    body = head + bytes(payload)
    return body + hmac.new(key, body, hashlib.sha256).digest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key-hex", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--recipient", required=True)
    ap.add_argument("--member", required=True)
    ap.add_argument("--other", required=True)
    ap.add_argument("--outsider", required=True)
    ap.add_argument("--count", type=int, default=10)
    args = ap.parse_args()
    key = bytes.fromhex(args.key_hex)
    wrong_key = hashlib.sha256(key).digest()
    host, port = args.to.rsplit(":", 1)
    to = (host, int(port))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = {k: 0 for k in ("truncated", "bad_magic", "bad_tag", "unknown_sender", "wrong_recipient", "stale", "replayed", "accepted")}
    sequence = int(time.time() * 1e6)

    def send(kind, data):
        s.sendto(data, to)
        sent[kind] += 1
        time.sleep(0.01)  # a trickle: the point is each reason, not the socket's buffer

    for _ in range(args.count):
        now = int(time.time() * 1000)
        sequence += 1
        send("truncated", os.urandom(40))
        send("bad_magic", message(key, args.member, args.recipient, sequence, now, magic=0x12345678))
        send("bad_tag", message(wrong_key, args.member, args.recipient, sequence, now))
        send("unknown_sender", message(key, args.outsider, args.recipient, sequence, now))
        send("wrong_recipient", message(key, args.member, args.other, sequence, now))
        send("stale", message(key, args.member, args.recipient, sequence, now - 60_000))
        valid = message(key, args.member, args.recipient, sequence, now)
        send("accepted", valid)
        send("replayed", valid)
    print(json.dumps(sent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
