#!/usr/bin/python3
"""Writes ../resources/packet/parser-vectors.txt: frames built by scapy, with the verdict and fields
panamux's PacketParser must report for each (ParserVectorsTest reads it).

The frames come from scapy's own builders (lengths, checksums, fragmentation by scapy.fragment), so
they check the parser against a second, independent way of making packets. Regenerate with
    /usr/bin/python3 fastpath/src/test/python/make_parser_vectors.py
and commit the result; the test does not need scapy.

Line format: description|frame hex|verdict metric name|key=value,... (fields checked when OK).
"""

import os

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPerror, IPv6, PadN, Raw, TCPerror, UDPerror,
                       fragment, raw)
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6PacketTooBig,
                                ICMPv6TimeExceeded, IPerror6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, fragment6)
from scapy.layers.ipsec import AH, ESP

CLIENT, VIP, REPORTER = "198.51.100.7", "192.0.2.10", "203.0.113.1"
CLIENT6, VIP6, REPORTER6 = "2001:db8:c::7", "2001:db8:100::10", "2001:db8:ffff::1"
L2 = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:0a")

vectors = []


def add(description, frame, verdict="none", **fields):
    data = raw(frame)
    if len(data) < 60 and verdict == "none" and not fields.pop("no_pad", False):
        data += b"\x00" * (60 - len(data))
    vectors.append("%s|%s|%s|%s" % (description, data.hex(), verdict,
                                     ",".join("%s=%s" % kv for kv in sorted(fields.items()))))


def flow4(proto, sport, dport, src=CLIENT, dst=VIP, **extra):
    return dict(ip=4, proto=proto, src=src, dst=dst, sport=sport, dport=dport, **extra)


def flow6(proto, sport, dport, src=CLIENT6, dst=VIP6, **extra):
    return dict(ip=6, proto=proto, src=src, dst=dst, sport=sport, dport=dport, **extra)


# Forwarded.
add("scapy IPv4 TCP SYN", L2 / IP(src=CLIENT, dst=VIP, flags="DF") / TCP(sport=40000, dport=80, flags="S"),
    **flow4(6, 40000, 80, l3len=40, l4off=34, flags=2, df=1, frag=0))
add("scapy IPv4 UDP with options", L2 / IP(src=CLIENT, dst=VIP, options=b"\x94\x04\x00\x00") /
    UDP(sport=5353, dport=53) / Raw(b"q" * 20), **flow4(17, 5353, 53, l3len=52, l4off=38, df=0, frag=0))
add("scapy 802.1Q IPv6 TCP", L2 / Dot1Q(vlan=300, prio=6) / IPv6(src=CLIENT6, dst=VIP6, tc=0x2e) /
    TCP(sport=40001, dport=443, flags="PA") / Raw(b"x" * 10), vlan=300, tos=0x2e,
    **flow6(6, 40001, 443, l3len=70, l4off=58, flags=0x18, frag=0))
add("scapy IPv6 hop-by-hop, routing, destination options, UDP", L2 / IPv6(src=CLIENT6, dst=VIP6) /
    IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting() / IPv6ExtHdrDestOpt() / UDP(sport=5000, dport=53),
    **flow6(17, 5000, 53, l3len=72, l4off=78, frag=0))

datagram = IP(src=CLIENT, dst=VIP, id=0x4321) / UDP(sport=5353, dport=53) / Raw(b"d" * 2000)
pieces = fragment(datagram, fragsize=1000)
add("scapy IPv4 first fragment", L2 / pieces[0], **flow4(17, 5353, 53, frag=1, first=1, fragid=0x4321, fragoff=0))
add("scapy IPv4 middle fragment", L2 / pieces[1], **flow4(17, 0, 0, frag=1, first=0, fragid=0x4321, fragoff=pieces[1].frag * 8))
add("scapy IPv4 last fragment", L2 / pieces[-1], **flow4(17, 0, 0, frag=1, first=0, fragid=0x4321,
                                                       fragoff=pieces[-1].frag * 8))
add("scapy IPv6 first fragment", L2 / IPv6(src=CLIENT6, dst=VIP6) / IPv6ExtHdrFragment(m=1, offset=0, id=77) /
    UDP(sport=5000, dport=53) / Raw(b"f" * 100), **flow6(17, 5000, 53, frag=1, first=1, fragid=77, fragoff=0))
add("scapy IPv6 later fragment", L2 / IPv6(src=CLIENT6, dst=VIP6) / IPv6ExtHdrFragment(nh=17, m=0, offset=13,
    id=77) / Raw(b"f" * 40), **flow6(17, 0, 0, frag=1, first=0, fragid=77, fragoff=104))


# Extension headers around the fragment header (RFC 8200 §4.5): hop-by-hop, destination options for the
# routing header and routing stay in every fragment (unfragmentable part); destination options and AH after
# the fragment header belong to the fragmentable part, so only the first fragment holds them and the
# upper-layer header. A later fragment then names destination options (60) or AH (51) as its next header:
# ports 0, that number as protocol (PacketInfo.upperProtocolUnknown), forwarded by the 3-tuple.
def fragments6(description, unfragmentable, fragmentable, proto, sport, dport, l2=L2, vlan=None, fragid=0x5001,
               upper=None):
    # scapy fills in every next header but the fragment header's before AH and AH's own, and not AH's length
    # ((12 + 12-byte ICV) / 4 - 2 = 4): given here.
    header = IPv6ExtHdrFragment(id=fragid, nh=51) if isinstance(fragmentable, AH) else IPv6ExtHdrFragment(id=fragid)
    ip = IPv6(src=CLIENT6, dst=VIP6)
    datagram = (ip if unfragmentable is None else ip / unfragmentable) / header / fragmentable / Raw(b"p" * 1400)
    pieces = fragment6(datagram, 1000)
    assert len(pieces) >= 2, description
    extra = {} if vlan is None else {"vlan": vlan}
    later_proto = upper if upper is not None else proto
    add(description + ": first fragment", l2 / pieces[0],
        **flow6(proto, sport, dport, frag=1, first=1, fragid=fragid, fragoff=0, **extra))
    for n, piece in enumerate(pieces[1:], start=1):
        add("%s: fragment %d" % (description, n + 1), l2 / piece,
            **flow6(later_proto, 0, 0, frag=1, first=0, fragid=fragid,
                    fragoff=piece[IPv6ExtHdrFragment].offset * 8, **extra))


fragments6("scapy IPv6 fragmented UDP, destination options after the fragment header", None,
           IPv6ExtHdrDestOpt() / UDP(sport=5001, dport=53), 17, 5001, 53, upper=60)
fragments6("scapy IPv6 fragmented TCP, 16-byte destination options after the fragment header", None,
           IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 12)]) / TCP(sport=40010, dport=80, flags="PA"), 6, 40010,
           80, upper=60)
fragments6("scapy IPv6 fragmented TCP, AH after the fragment header", None,
           AH(nh=6, payloadlen=4, spi=0x100, seq=1, icv=b"\x00" * 12) / TCP(sport=40011, dport=80, flags="PA"), 6, 40011, 80, upper=51)
fragments6("scapy IPv6 fragmented UDP, AH then destination options after the fragment header", None,
           AH(nh=60, payloadlen=4, spi=0x101, seq=2, icv=b"\x00" * 12) / IPv6ExtHdrDestOpt() / UDP(sport=5002, dport=53), 17, 5002, 53,
           upper=51)
fragments6("scapy IPv6 fragmented UDP, hop-by-hop, destination options, routing before the fragment header",
           IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(), UDP(sport=5003, dport=53), 17, 5003, 53)
fragments6("scapy IPv6 fragmented TCP, hop-by-hop before and destination options after the fragment header",
           IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt() / TCP(sport=40012, dport=443, flags="A"), 6, 40012, 443,
           upper=60)
fragments6("scapy IPv6 fragmented UDP, routing before, destination options after, 802.1Q",
           IPv6ExtHdrRouting(), IPv6ExtHdrDestOpt() / UDP(sport=5004, dport=53), 17, 5004, 53,
           l2=L2 / Dot1Q(vlan=42), vlan=42, upper=60)
fragments6("scapy IPv6 fragmented TCP, 802.1Q, no other extension header", None, TCP(sport=40013, dport=80, flags="PA"),
           6, 40013, 80, l2=L2 / Dot1Q(vlan=7), vlan=7)
add("scapy IPv6 AH then TCP, not fragmented", L2 / IPv6(src=CLIENT6, dst=VIP6) / AH(nh=6, payloadlen=4, spi=0x102, seq=3, icv=b"\x00" * 12) /
    TCP(sport=40014, dport=80, flags="S"), **flow6(6, 40014, 80, l4off=78, flags=2, frag=0))
add("scapy IPv6 atomic fragment, destination options, UDP", L2 / IPv6(src=CLIENT6, dst=VIP6) /
    IPv6ExtHdrFragment(m=0, offset=0, id=9) / IPv6ExtHdrDestOpt() / UDP(sport=5005, dport=53),
    **flow6(17, 5005, 53, frag=0))
v4pieces = fragment(IP(src=CLIENT, dst=VIP, id=0x4322) / TCP(sport=40015, dport=80, flags="PA") / Raw(b"v" * 1500),
                    fragsize=800)
add("scapy 802.1Q IPv4 first fragment", L2 / Dot1Q(vlan=99) / v4pieces[0],
    **flow4(6, 40015, 80, vlan=99, frag=1, first=1, fragid=0x4322, fragoff=0))
add("scapy 802.1Q IPv4 later fragment", L2 / Dot1Q(vlan=99) / v4pieces[-1],
    **flow4(6, 0, 0, vlan=99, frag=1, first=0, fragid=0x4322, fragoff=v4pieces[-1].frag * 8))

add("scapy ICMP port unreachable about a UDP reply", L2 / IP(src=REPORTER, dst=VIP) / ICMP(type=3, code=3) /
    IPerror(src=VIP, dst=CLIENT) / UDPerror(sport=53, dport=5353), icmp=1, icmptype=3,
    **flow4(17, 5353, 53))
add("scapy ICMP time exceeded about a TCP reply", L2 / IP(src=REPORTER, dst=VIP) / ICMP(type=11, code=0) /
    IPerror(src=VIP, dst=CLIENT) / TCPerror(sport=80, dport=40000, flags="SA"), icmp=1, icmptype=11,
    **flow4(6, 40000, 80, flags=0))
add("scapy ICMPv6 packet too big about TCP", L2 / IPv6(src=REPORTER6, dst=VIP6) / ICMPv6PacketTooBig(mtu=1280) /
    IPerror6(src=VIP6, dst=CLIENT6) / TCPerror(sport=443, dport=40001), icmp=1, icmptype=2,
    **flow6(6, 40001, 443))
add("scapy ICMPv6 unreachable about UDP", L2 / IPv6(src=REPORTER6, dst=VIP6) / ICMPv6DestUnreach(code=4) /
    IPerror6(src=VIP6, dst=CLIENT6) / UDPerror(sport=53, dport=5000), icmp=1, icmptype=1,
    **flow6(17, 5000, 53))
add("scapy ICMPv6 time exceeded about UDP", L2 / IPv6(src=REPORTER6, dst=VIP6) / ICMPv6TimeExceeded() /
    IPerror6(src=VIP6, dst=CLIENT6) / UDPerror(sport=53, dport=5000), icmp=1, icmptype=3,
    **flow6(17, 5000, 53))

# Verdicts that are not forwarding.
add("scapy ARP who-has", L2 / ARP(pdst=VIP, psrc=CLIENT), "arp")
add("scapy ICMP echo", L2 / IP(src=CLIENT, dst=VIP) / ICMP(), "icmp_not_error")
add("scapy ICMPv6 echo", L2 / IPv6(src=CLIENT6, dst=VIP6) / ICMPv6EchoRequest(), "icmp_not_error")
add("scapy ICMPv6 neighbour solicitation", L2 / IPv6(src=CLIENT6, dst="ff02::1:ff00:10") / ICMPv6ND_NS(tgt=VIP6),
    "icmpv6_neighbor_discovery")
add("scapy QinQ", Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:0a", type=0x8100) / Dot1Q(vlan=1) /
    Dot1Q(vlan=2) / IP(src=CLIENT, dst=VIP) / TCP(), "multiple_vlan")
add("scapy IPv6 later fragment of an ESP datagram (the first is unsupported too)", L2 / IPv6(src=CLIENT6, dst=VIP6) /
    IPv6ExtHdrFragment(nh=50, m=0, offset=100, id=11) / Raw(b"e" * 40), "unsupported_protocol")
add("scapy IPv6 later fragment naming a routing header (belongs before the fragment header)",
    L2 / IPv6(src=CLIENT6, dst=VIP6) / IPv6ExtHdrFragment(nh=43, m=0, offset=100, id=12) / Raw(b"r" * 40),
    "unsupported_protocol")
add("scapy IPv6 ESP, not fragmented", L2 / IPv6(src=CLIENT6, dst=VIP6) / ESP(spi=0x200, seq=1, data=b"x" * 24),
    "unsupported_protocol")
add("scapy IPv4 SCTP", L2 / IP(src=CLIENT, dst=VIP, proto=132) / Raw(b"s" * 12), "unsupported_protocol")

# Malformed.
add("scapy IPv4 IHL 4", L2 / IP(src=CLIENT, dst=VIP, ihl=4) / TCP(), "ipv4_bad_ihl")
add("scapy IPv4 total length 10", L2 / IP(src=CLIENT, dst=VIP, len=10) / TCP(), "ipv4_length_below_header")
add("scapy IPv4 total length 400 in a short frame", L2 / IP(src=CLIENT, dst=VIP, len=400) / TCP(),
    "ipv4_length_beyond_frame")
add("scapy TCP data offset 3", L2 / IP(src=CLIENT, dst=VIP) / TCP(dataofs=3), "tcp_bad_data_offset")
add("scapy UDP length 4", L2 / IP(src=CLIENT, dst=VIP) / UDP(len=4), "udp_bad_length")
add("scapy IPv6 payload length beyond frame", L2 / IPv6(src=CLIENT6, dst=VIP6, plen=200) / TCP(),
    "ipv6_length_beyond_frame")
add("scapy ICMP error quoting 4 bytes of L4", L2 / IP(src=REPORTER, dst=VIP) / ICMP(type=3, code=1) /
    Raw(raw(IPerror(src=VIP, dst=CLIENT, proto=17))[:20] + b"\x00\x35\x14\xe9"), "icmp_quote_truncated")
add("scapy ICMP error about another source", L2 / IP(src=REPORTER, dst=VIP) / ICMP(type=3, code=3) /
    IPerror(src="10.9.9.9", dst=CLIENT) / UDPerror(sport=53, dport=5353), "icmp_quote_mismatch")
add("scapy ICMPv6 error quoting a later fragment", L2 / IPv6(src=REPORTER6, dst=VIP6) / ICMPv6DestUnreach() /
    IPerror6(src=VIP6, dst=CLIENT6, nh=44) / IPv6ExtHdrFragment(nh=17, offset=2, m=1) / Raw(b"z" * 16),
    "icmp_quote_fragment")

here = os.path.dirname(os.path.abspath(__file__))
target = os.path.join(here, "..", "resources", "packet", "parser-vectors.txt")
with open(target, "w") as out:
    out.write("# Generated by src/test/python/make_parser_vectors.py with scapy; do not edit by hand.\n")
    for line in vectors:
        out.write(line + "\n")
print("%d vectors written to %s" % (len(vectors), os.path.normpath(target)))
