#!/usr/bin/python3
"""Independent decoder for panamux's encapsulated packets and ICMP too-big replies.

Usage: check_tunnel_output.py OUTPUT.pcap MANIFEST.json

The pcap holds the frames the encapsulator and the too-big writer produced, the manifest (a JSON
array, one object per frame, same order) what each frame must be. scapy decodes every frame and
recomputes every checksum; nothing here shares code with the Java implementation.

Exit status 0 when every frame passes, 1 otherwise (each problem is printed); a missing scapy is an
import error, also non-zero, on purpose: CI installs python3-scapy.
"""

import json
import socket
import sys

from scapy.all import GRE, ICMP, IP, UDP, Dot1Q, Ether, IPv6, raw, rdpcap
from scapy.layers.inet6 import ICMPv6PacketTooBig, in6_chksum
from scapy.utils import checksum

TUNNEL_PROTOCOLS = {"gre": 47, "gue": 17}


def same(a, b):
    """Address equality whatever the text form (IPv6 compression)."""
    family = socket.AF_INET6 if ":" in a else socket.AF_INET
    return socket.inet_pton(family, a) == socket.inet_pton(family, b)


def zeroed(data, offset):
    """The bytes with the 16-bit checksum field at offset set to zero."""
    copy = bytearray(data)
    copy[offset:offset + 2] = b"\x00\x00"
    return bytes(copy)


def ipv4_checksum_ok(ip):
    """scapy rebuilds the header without the checksum field and recomputes it."""
    rebuilt = ip.copy()
    del rebuilt.chksum
    return IP(raw(rebuilt)).chksum == ip.chksum


def check_encap(frame, entry, problems):
    eth = Ether(frame)
    if Dot1Q in eth:
        problems.append("outer frame has a VLAN tag")
    if eth.dst != entry["gateway"] or eth.src != entry["port_mac"]:
        problems.append("ethernet %s -> %s" % (eth.src, eth.dst))
    inner = bytes.fromhex(entry["inner"])
    inner_v6 = inner[0] >> 4 == 6
    kind = entry["type"]
    expected_protocol = TUNNEL_PROTOCOLS.get(kind, 41 if inner_v6 else 4)

    if entry["outer"] == 4:
        if eth.type != 0x0800 or IP not in eth:
            problems.append("ethertype %#x, not IPv4" % eth.type)
            return
        ip = eth[IP]
        header = raw(ip)
        if ip.version != 4 or ip.ihl != 5:
            problems.append("outer version %d ihl %d" % (ip.version, ip.ihl))
        if not ipv4_checksum_ok(ip):
            problems.append("outer IPv4 checksum %#x is wrong" % ip.chksum)
        if ip.len != len(header):
            problems.append("outer total length %d for %d bytes" % (ip.len, len(header)))
        if not same(ip.src, entry["mux4"]) or not same(ip.dst, entry["backend4"]):
            problems.append("outer %s -> %s" % (ip.src, ip.dst))
        if ip.ttl != 64:
            problems.append("outer TTL %d" % ip.ttl)
        if ip.tos != entry["tos"]:
            problems.append("outer TOS %#x, inner %#x" % (ip.tos, entry["tos"]))
        if bool(ip.flags.DF) != entry["df"]:
            problems.append("outer DF %s, expected %s" % (bool(ip.flags.DF), entry["df"]))
        if ip.proto != expected_protocol:
            problems.append("outer protocol %d, expected %d" % (ip.proto, expected_protocol))
        payload = header[20:]
        outer = ip
    else:
        if eth.type != 0x86DD or IPv6 not in eth:
            problems.append("ethertype %#x, not IPv6" % eth.type)
            return
        ip6 = eth[IPv6]
        header = raw(ip6)
        if ip6.version != 6 or ip6.plen != len(header) - 40:
            problems.append("outer version %d payload length %d" % (ip6.version, ip6.plen))
        if not same(ip6.src, entry["mux6"]) or not same(ip6.dst, entry["backend6"]):
            problems.append("outer %s -> %s" % (ip6.src, ip6.dst))
        if ip6.hlim != 64:
            problems.append("outer hop limit %d" % ip6.hlim)
        if ip6.tc != entry["tos"]:
            problems.append("outer traffic class %#x, inner %#x" % (ip6.tc, entry["tos"]))
        if ip6.nh != expected_protocol:
            problems.append("outer next header %d, expected %d" % (ip6.nh, expected_protocol))
        payload = header[40:]
        outer = ip6

    if kind == "gre":
        gre = GRE(payload[:4])
        if gre.chksum_present or gre.key_present or gre.seqnum_present or gre.version != 0:
            problems.append("GRE flags or version set")
        expected = 0x86DD if inner_v6 else 0x0800
        if gre.proto != expected:
            problems.append("GRE protocol type %#x, expected %#x" % (gre.proto, expected))
        carried = payload[4:]
    elif kind == "gue":
        udp = UDP(payload[:8])
        if udp.dport != entry["gue_port"]:
            problems.append("GUE UDP port %d, expected %d" % (udp.dport, entry["gue_port"]))
        if not 49152 <= udp.sport <= 65535:
            problems.append("GUE source port %d outside the dynamic range" % udp.sport)
        if udp.len != len(payload):
            problems.append("UDP length %d for %d bytes" % (udp.len, len(payload)))
        if entry["outer"] == 4:
            if udp.chksum != 0:
                problems.append("UDP checksum %#x over IPv4, expected 0" % udp.chksum)
        else:
            recomputed = in6_chksum(17, outer, zeroed(payload, 6))
            if udp.chksum == 0 or udp.chksum != (recomputed or 0xFFFF):
                problems.append("UDP checksum %#x over IPv6, scapy computes %#x" % (udp.chksum, recomputed))
        if payload[8] >> 6 != 1:
            problems.append("GUE variant 1 needs an IP header right after UDP")
        carried = payload[8:]
    else:
        carried = payload

    if carried != inner:
        problems.append("inner packet differs from the input's IP packet")
    decoded = IPv6(carried) if inner_v6 else IP(carried)
    if raw(decoded) != inner:
        problems.append("inner packet does not decode to itself")


def check_reply(frame, entry, problems):
    eth = Ether(frame)
    if eth.dst != entry["router_mac"] or eth.src != entry["port_mac"]:
        problems.append("reply ethernet %s -> %s, not swapped" % (eth.src, eth.dst))
    if entry["vlan_tci"] >= 0:
        if Dot1Q not in eth:
            problems.append("reply lost its VLAN tag")
        else:
            tag = eth[Dot1Q]
            tci = (tag.prio << 13) | (tag.id << 12) | tag.vlan
            if tci != entry["vlan_tci"]:
                problems.append("reply TCI %#x, expected %#x" % (tci, entry["vlan_tci"]))
    elif Dot1Q in eth:
        problems.append("reply has a VLAN tag the request did not have")
    original = bytes.fromhex(entry["original"])

    if entry["version"] == 4:
        ip = eth[IP]
        header = raw(ip)
        if not ipv4_checksum_ok(ip):
            problems.append("reply IPv4 checksum wrong")
        if not same(ip.src, entry["vip"]) or not same(ip.dst, entry["client"]) or ip.proto != 1 or ip.ttl != 64:
            problems.append("reply %s -> %s proto %d ttl %d" % (ip.src, ip.dst, ip.proto, ip.ttl))
        if ip.len != len(header) or ip.len > 576:
            problems.append("reply total length %d for %d bytes (at most 576)" % (ip.len, len(header)))
        icmp = header[20:]
        decoded = ICMP(icmp)
        if decoded.type != 3 or decoded.code != 4:
            problems.append("ICMP type %d code %d, expected 3/4" % (decoded.type, decoded.code))
        if decoded.nexthopmtu != entry["mtu"]:
            problems.append("next-hop MTU %d, expected %d" % (decoded.nexthopmtu, entry["mtu"]))
        if checksum(zeroed(icmp, 2)) != decoded.chksum:
            problems.append("ICMP checksum %#x, scapy computes %#x" % (decoded.chksum, checksum(zeroed(icmp, 2))))
        limit = 576 - 28
    else:
        ip6 = eth[IPv6]
        header = raw(ip6)
        if not same(ip6.src, entry["vip"]) or not same(ip6.dst, entry["client"]) or ip6.nh != 58 or ip6.hlim != 64:
            problems.append("reply %s -> %s nh %d hlim %d" % (ip6.src, ip6.dst, ip6.nh, ip6.hlim))
        if ip6.plen != len(header) - 40 or len(header) > 1280:
            problems.append("reply payload length %d for %d bytes (at most 1280)" % (ip6.plen, len(header)))
        if ICMPv6PacketTooBig not in ip6:
            problems.append("scapy does not see a packet too big")
            return
        too_big = ip6[ICMPv6PacketTooBig]
        if too_big.mtu != entry["mtu"]:
            problems.append("MTU %d, expected %d" % (too_big.mtu, entry["mtu"]))
        icmp = header[40:]
        recomputed = in6_chksum(58, ip6, zeroed(icmp, 2))
        if too_big.cksum != recomputed:
            problems.append("ICMPv6 checksum %#x, scapy computes %#x" % (too_big.cksum, recomputed))
        limit = 1280 - 48

    quote = icmp[8:]
    if quote != original[:min(len(original), limit)]:
        problems.append("quote (%d bytes) is not the start of the original packet" % len(quote))


def main():
    frames = rdpcap(sys.argv[1])
    with open(sys.argv[2]) as manifest:
        entries = json.load(manifest)
    if len(frames) != len(entries):
        print("%d frames for %d manifest entries" % (len(frames), len(entries)))
        return 1
    failed = 0
    for frame, entry in zip(frames, entries):
        problems = []
        if entry["kind"] == "encap":
            check_encap(bytes(frame), entry, problems)
        else:
            check_reply(bytes(frame), entry, problems)
        if problems:
            failed += 1
            print("FAIL %s: %s" % (entry["description"], "; ".join(problems)))
    print("scapy %s checked %d frames, %d with problems" % (
        __import__("scapy").__version__, len(entries), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
