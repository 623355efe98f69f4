#!/usr/bin/python3
"""Test vectors for the host agent's decapsulator and neighbour responder, built by scapy.

Usage: make_decap_vectors.py OUT.json

Every input frame and every expected output is made here by scapy, independently of the Java code:
tunnels over IPv6 (IPv6-in-IPv6, IPv4-in-IPv6, GRE and GUE over IPv6) and over IPv4, with extension
headers before the tunnel header, every row of RFC 6040's decapsulation table, sources that may and may
not tunnel, and malformed packets; ARP requests and IPv6 neighbour solicitations with the answers the
agent must give. The Java test (DecapsulatorScapyTest) runs each input through the agent's code and
compares verdict and bytes. A missing scapy is an import error (non-zero exit), on purpose.
"""

import json
import sys

from scapy.all import (ARP, GRE, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IP,
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, TCP, UDP,
                       Ether, Raw, raw)
from scapy.layers.ipsec import AH

HOST_MAC = "02:99:00:00:15:02"
ROUTER_MAC = "02:98:00:00:15:01"
HOST4, MUX4 = "198.18.21.2", "198.18.11.2"
HOST6, MUX6 = "2001:db8:21::2", "2001:db8:11::2"
AGENT6 = "2001:db8:2::2"          # inside pool.agents 2001:db8:2::/64
OUTSIDER6 = "2001:db8:66::6"
ROUTER6 = "2001:db8:21::1"
CLIENT4, VIP4 = "198.18.1.2", "192.0.2.10"
CLIENT6, VIP6 = "2001:db8:1::2", "2001:db8:f::10"
GUE_PORT = 6080

# RFC 6040 Figure 4, [inner][outer] -> inner to forward, or None (drop). 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE.
RFC6040 = [[0, 0, 0, None], [1, 1, 1, 3], [2, 1, 2, 3], [3, 3, 3, 3]]

vectors = []


def inner4(ecn=0):
    return IP(src=CLIENT4, dst=VIP4, tos=0x20 | ecn, flags="DF") / TCP(sport=40000, dport=80, flags="S") / Raw(b"x" * 10)


def inner6(ecn=0):
    return IPv6(src=CLIENT6, dst=VIP6, tc=0x20 | ecn, fl=0x12345) / TCP(sport=40000, dport=80, flags="S") / Raw(b"y" * 10)


def ether(payload):
    return Ether(dst=HOST_MAC, src=ROUTER_MAC) / payload


def add(name, frame, verdict, inner=None, outer_source=None):
    data = raw(frame)
    entry = {"name": name, "input": data.hex(), "verdict": verdict}
    if verdict == "DECAPSULATED":
        etype = 0x0800 if inner.version == 4 else 0x86DD
        entry["output"] = raw(Ether(dst=HOST_MAC, src=ROUTER_MAC, type=etype) / inner).hex()
        entry["outer_source"] = outer_source
    vectors.append(entry)


def v6outer(src=MUX6, dst=HOST6, tc=0):
    return IPv6(src=src, dst=dst, tc=tc, hlim=61)


# --- the four tunnel kinds over IPv6, and over IPv4 for comparison ----------------------------------------
for iname, mk in (("v4", inner4), ("v6", inner6)):
    i = mk()
    nh = 4 if iname == "v4" else 41
    add(f"ip-in-ipv6 inner {iname}", ether(v6outer() / i), "DECAPSULATED", i, MUX6)
    add(f"gre over ipv6 inner {iname}", ether(v6outer() / GRE(proto=0x0800 if iname == "v4" else 0x86DD) / i),
        "DECAPSULATED", i, MUX6)
    add(f"gre with key and sequence over ipv6 inner {iname}",
        ether(v6outer() / GRE(key_present=1, seqnum_present=1, key=7, sequence_number=9,
                              proto=0x0800 if iname == "v4" else 0x86DD) / i), "DECAPSULATED", i, MUX6)
    add(f"gue over ipv6 inner {iname}", ether(v6outer() / UDP(sport=50123, dport=GUE_PORT) / i), "DECAPSULATED", i, MUX6)
    add(f"ip-in-ipv4 inner {iname}", ether(IP(src=MUX4, dst=HOST4, proto=nh) / i), "DECAPSULATED", i, MUX4)
    add(f"gue over ipv4 inner {iname}", ether(IP(src=MUX4, dst=HOST4) / UDP(sport=50123, dport=GUE_PORT) / i),
        "DECAPSULATED", i, MUX4)
    add(f"from an agent host's prefix inner {iname}", ether(v6outer(src=AGENT6) / i), "DECAPSULATED", i, AGENT6)
    add(f"from an outsider inner {iname}", ether(v6outer(src=OUTSIDER6) / i), "REFUSED_SOURCE")

# The next header says IPv4 but the inner packet is IPv6 (and the other way round).
add("next header 4 over an ipv6 inner", ether(IPv6(src=MUX6, dst=HOST6, nh=4) / inner6()), "MALFORMED")
add("next header 41 over an ipv4 inner", ether(IPv6(src=MUX6, dst=HOST6, nh=41) / inner4()), "MALFORMED")

# --- extension headers before the tunnel header --------------------------------------------------------------
i = inner6()
add("hop-by-hop then ipv6-in-ipv6", ether(v6outer() / IPv6ExtHdrHopByHop() / i), "DECAPSULATED", i, MUX6)
add("destination options then gre", ether(v6outer() / IPv6ExtHdrDestOpt() / GRE(proto=0x86DD) / i), "DECAPSULATED", i, MUX6)
add("hop-by-hop, routing (segments left 0), destination options then gue",
    ether(v6outer() / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting(segleft=0, addresses=[]) / IPv6ExtHdrDestOpt()
          / UDP(sport=50000, dport=GUE_PORT) / i), "DECAPSULATED", i, MUX6)
add("atomic fragment then ipv6-in-ipv6", ether(v6outer() / IPv6ExtHdrFragment(offset=0, m=0, id=5) / i), "DECAPSULATED", i, MUX6)
add("first fragment of a tunnel packet", ether(v6outer() / IPv6ExtHdrFragment(offset=0, m=1, id=6) / i), "FRAGMENT")
add("later fragment of a tunnel packet", ether(v6outer() / IPv6ExtHdrFragment(offset=8, m=0, id=6, nh=41) / raw(i)[64:]),
    "FRAGMENT")
add("routing header with segments left", ether(v6outer() / IPv6ExtHdrRouting(segleft=1, addresses=["2001:db8::99"]) / i),
    "EXTENSION_DROP")
# AH: 12 bytes of header + 12 of ICV = 24 bytes, payload length field (24 / 4) - 2 = 4.
add("authentication header over a tunnel", ether(v6outer() / AH(nh=41, payloadlen=4, spi=1, seq=1, icv=b"\0" * 12) / i),
    "EXTENSION_DROP")
chain = v6outer()
for _ in range(9):
    chain = chain / IPv6ExtHdrDestOpt()
add("nine destination options headers", ether(chain / i), "EXTENSION_DROP")
add("extension headers from an outsider go to the kernel",
    ether(v6outer(src=OUTSIDER6) / IPv6ExtHdrRouting(segleft=1, addresses=["2001:db8::99"]) / i), "NOT_A_TUNNEL")
cut = raw(ether(v6outer() / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / i))
add("extension chain cut short", Ether(cut[:14 + 40 + 12]), "EXTENSION_DROP")

# --- RFC 6040: every row, IPv6 in IPv6 and IPv4 in IPv6 ----------------------------------------------------------
for inner_ecn in range(4):
    for outer_ecn in range(4):
        for iname, mk in (("v6", inner6), ("v4", inner4)):
            expected = RFC6040[inner_ecn][outer_ecn]
            frame = ether(v6outer(tc=0xB8 | outer_ecn) / mk(inner_ecn))
            name = f"ecn inner {inner_ecn} outer {outer_ecn} inner {iname}"
            if expected is None:
                add(name, frame, "ECN_DROP")
            else:
                out = mk(expected)
                if iname == "v4":
                    out = IP(raw(out))  # checksum computed over the new TOS by scapy
                add(name, frame, "DECAPSULATED", out, MUX6)

# --- not tunnels, and broken ones ------------------------------------------------------------------------------
add("ipv6-in-ipv6 to another host", ether(v6outer(dst="2001:db8:21::3") / inner6()), "NOT_A_TUNNEL")
add("tcp to this host", ether(IPv6(src=MUX6, dst=HOST6) / TCP(sport=1, dport=22)), "NOT_A_TUNNEL")
add("udp to another port", ether(v6outer() / UDP(sport=1, dport=53) / Raw(b"q" * 20)), "NOT_A_TUNNEL")
add("esp to this host", ether(IPv6(src=MUX6, dst=HOST6, nh=50) / Raw(b"\0\0\0\1\0\0\0\1" + b"e" * 40)), "NOT_A_TUNNEL")
whole = raw(ether(v6outer() / inner6()))
add("payload length beyond the frame", Ether(whole[:-6]), "MALFORMED")
add("gre with the routing bit", ether(v6outer() / GRE(routing_present=1, proto=0x86DD) / inner6()), "MALFORMED")
add("gre header cut short", ether(IPv6(src=MUX6, dst=HOST6, nh=47, plen=2) / Raw(b"\0\0")), "MALFORMED")
add("inner packet longer than the tunnel", Ether(raw(ether(IPv6(src=MUX6, dst=HOST6, nh=41, plen=50) / raw(inner6())[:50]))),
    "MALFORMED")

# --- ARP and neighbour discovery -------------------------------------------------------------------------------------
neighbours = []


def neighbour(name, frame, answer):
    neighbours.append({"name": name, "input": raw(frame).hex(), "answer": None if answer is None else raw(answer).hex()})


neighbour("arp request for this host",
          Ether(dst="ff:ff:ff:ff:ff:ff", src=ROUTER_MAC) / ARP(op=1, hwsrc=ROUTER_MAC, psrc="198.18.21.1", hwdst="00:00:00:00:00:00",
                                                              pdst=HOST4),
          Ether(dst=ROUTER_MAC, src=HOST_MAC) / ARP(op=2, hwsrc=HOST_MAC, psrc=HOST4, hwdst=ROUTER_MAC, pdst="198.18.21.1"))
neighbour("arp request for another host",
          Ether(dst="ff:ff:ff:ff:ff:ff", src=ROUTER_MAC) / ARP(op=1, hwsrc=ROUTER_MAC, psrc="198.18.21.1", pdst="198.18.21.9"), None)
neighbour("arp probe (sender 0.0.0.0)",
          Ether(dst="ff:ff:ff:ff:ff:ff", src=ROUTER_MAC) / ARP(op=1, hwsrc=ROUTER_MAC, psrc="0.0.0.0", pdst=HOST4), None)
neighbour("arp reply to this host", Ether(dst=HOST_MAC, src=ROUTER_MAC) / ARP(op=2, hwsrc=ROUTER_MAC, psrc="198.18.21.1", pdst=HOST4),
          None)
solicited = "ff02::1:ff00:2"
ns = IPv6(src=ROUTER6, dst=solicited, hlim=255) / ICMPv6ND_NS(tgt=HOST6) / ICMPv6NDOptSrcLLAddr(lladdr=ROUTER_MAC)
neighbour("neighbour solicitation for this host", Ether(dst="33:33:ff:00:00:02", src=ROUTER_MAC) / ns,
          Ether(dst=ROUTER_MAC, src=HOST_MAC) / IPv6(src=HOST6, dst=ROUTER6, hlim=255)
          / ICMPv6ND_NA(tgt=HOST6, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=HOST_MAC))
neighbour("neighbour solicitation without a source link-layer option",
          Ether(dst="33:33:ff:00:00:02", src=ROUTER_MAC) / IPv6(src=ROUTER6, dst=solicited, hlim=255) / ICMPv6ND_NS(tgt=HOST6),
          Ether(dst=ROUTER_MAC, src=HOST_MAC) / IPv6(src=HOST6, dst=ROUTER6, hlim=255)
          / ICMPv6ND_NA(tgt=HOST6, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=HOST_MAC))
neighbour("neighbour solicitation for another address",
          Ether(dst="33:33:ff:00:00:03", src=ROUTER_MAC) / IPv6(src=ROUTER6, dst="ff02::1:ff00:3", hlim=255)
          / ICMPv6ND_NS(tgt="2001:db8:21::3"), None)
neighbour("neighbour solicitation routed here (hop limit 64)",
          Ether(dst="33:33:ff:00:00:02", src=ROUTER_MAC) / IPv6(src=ROUTER6, dst=solicited, hlim=64) / ICMPv6ND_NS(tgt=HOST6), None)
neighbour("duplicate address detection probe",
          Ether(dst="33:33:ff:00:00:02", src=ROUTER_MAC) / IPv6(src="::", dst=solicited, hlim=255) / ICMPv6ND_NS(tgt=HOST6), None)
bad = bytearray(raw(Ether(dst="33:33:ff:00:00:02", src=ROUTER_MAC) / ns))
bad[14 + 40 + 2] ^= 0xFF
neighbour("neighbour solicitation with a bad checksum", Ether(bytes(bad)), None)

with open(sys.argv[1], "w") as out:
    json.dump({"decap": vectors, "neighbours": neighbours}, out, indent=1)
print(f"{len(vectors)} decapsulation vectors, {len(neighbours)} neighbour vectors")
