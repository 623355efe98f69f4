#!/usr/bin/env python3
"""A plain Linux backend's tunnel endpoint for the network lab, where the kernel has no tunnel drivers.

The lab's kernel (a minimal VM kernel) has no ipip, sit or ip6tnl module, so a backend cannot decapsulate with
`ip link add ... type ipip` as it would in production. This program does what those devices do for IP-in-IP:
it takes every packet of protocol 4 (IPv4 inside) or 41 (IPv6 inside) addressed to this host, over IPv4 or
IPv6, through raw sockets (the kernel has no handler of its own for them, so it sends no ICMP error either),
strips the outer header and writes the inner packet into a TUN device, where the kernel receives it as if it
had arrived on a link: a packet for a VIP on the loopback is delivered locally, and the answer leaves by the
host's ordinary routes, straight to the client (direct server return). GRE and GUE are not handled: the lab's
VIPs on these backends use the default, IP-in-IP.

SIGUSR1 stops decapsulating (the packets are read and dropped, the host's address still answers), SIGUSR2
starts again: a broken tunnel whose host looks healthy. Every packet is counted in the file given with
--counts, rewritten once a second.

usage: net_decap.py --tun pmxd0 [--counts FILE]
"""
import argparse
import fcntl
import json
import os
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tun", default="pmxd0")
    ap.add_argument("--counts")
    args = ap.parse_args()
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", args.tun.encode(), IFF_TUN | IFF_NO_PI))
    # IPv4 raw sockets hand over the IPv4 header too; IPv6 raw sockets only the payload (the inner packet).
    socks = {}
    for family, proto in ((socket.AF_INET, 4), (socket.AF_INET, 41), (socket.AF_INET6, 4), (socket.AF_INET6, 41)):
        s = socket.socket(family, socket.SOCK_RAW, proto)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        socks[s.fileno()] = (s, family)
    state = {"decapsulating": True, "decapsulated": 0, "dropped": 0}

    def pause(*_):
        state["decapsulating"] = False

    def resume(*_):
        state["decapsulating"] = True

    signal.signal(signal.SIGUSR1, pause)
    signal.signal(signal.SIGUSR2, resume)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"net_decap: IP-in-IP over IPv4 and IPv6 into {args.tun}", flush=True)
    poller = select.poll()
    for fd in socks:
        poller.register(fd, select.POLLIN)
    written = 0.0
    while True:
        try:
            events = poller.poll(1000)
        except InterruptedError:
            continue
        for fd, _ in events:
            s, family = socks[fd]
            try:
                data = s.recv(65535)
            except (BlockingIOError, InterruptedError):
                continue
            if family == socket.AF_INET:
                data = data[(data[0] & 0x0F) * 4:]
            if not state["decapsulating"]:
                state["dropped"] += 1
                continue
            try:
                os.write(tun, data)
                state["decapsulated"] += 1
            except OSError:
                state["dropped"] += 1
        now = time.monotonic()
        if args.counts and now - written >= 1.0:
            written = now
            tmp = args.counts + ".tmp"
            with open(tmp, "w") as f:
                json.dump(state, f)
            os.replace(tmp, args.counts)


if __name__ == "__main__":
    sys.exit(main())
