#!/usr/bin/python3
"""Independent check of a panamux pcap replay, with scapy.

usage: check_replay.py IN.pcap OUT.pcap EXPECT.tsv CONFIG.json

Decodes every output frame with scapy (not with panamux's parser) and checks, against what each input frame
had to become (EXPECT.tsv: kind, vip, flow, group per input frame):
  - every frame to forward comes out exactly once, encapsulated as the VIP's encapsulation says (IPIP / GRE /
    GUE; outer IPv6 for an IPv6 backend), to a backend of its VIP, with a valid outer IPv4 checksum, an outer
    TTL/hop limit of 64 and the inner packet byte-identical to the input's IP packet;
  - every flow goes to one backend, every fragment of a datagram to the same backend, every ICMP error to its
    flow's backend; flows spread over backends by weight;
  - too-big packets come back as ICMP "fragmentation needed" from the VIP to the client, quoting the packet;
  - nothing comes out for frames that must be dropped.
Prints a summary; exits 1 with the list of failures.
"""
import collections
import json
import struct
import sys

from scapy.all import ICMP, IP, Ether, IPv6
from scapy.utils import RawPcapReader, checksum


def ip_of_frame(frame):
    """The IP packet inside an input Ethernet frame (after an optional 802.1Q tag), trimmed to its length."""
    if len(frame) < 18:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    off = 14
    if etype == 0x8100:
        etype = struct.unpack("!H", frame[16:18])[0]
        off = 18
    body = frame[off:]
    if etype == 0x0800 and len(body) >= 20:
        return body[:struct.unpack("!H", body[2:4])[0]]
    if etype == 0x86DD and len(body) >= 40:
        return body[:40 + struct.unpack("!H", body[4:6])[0]]
    return None


def main():
    inp, out, expect_file, config_file = sys.argv[1:5]
    config = json.load(open(config_file))
    expects = [line.rstrip("\n").split("\t") for line in open(expect_file)]
    # The frames' own bytes (re-serializing dissected malformed input would not give them back).
    frames_in = [bytes(data) for data, _ in RawPcapReader(inp)]
    frames_out = [bytes(data) for data, _ in RawPcapReader(out)]
    assert len(frames_in) == len(expects), (len(frames_in), len(expects))

    by_inner = collections.defaultdict(list)
    for i, f in enumerate(frames_in):
        ip = ip_of_frame(f)
        if ip is not None:
            by_inner[ip].append(i)

    failures = []
    seen = collections.Counter()
    flow_backends = collections.defaultdict(set)
    group_backends = collections.defaultdict(set)
    too_big_replies = set()
    encaps = collections.Counter()

    for n, f in enumerate(frames_out):
        e = Ether(f)
        # Dispatch on the outer EtherType: scapy also finds an inner IP layer inside IPv6 (protocol 4).
        if e.type == 0x0800 and e[IP].proto == 1 and ICMP in e and e[ICMP].type == 3 and e[ICMP].code == 4:
            outer = e[IP]
            quote = f[14 + outer.ihl * 4 + 8:14 + outer.len]
            matches = [i for i, x in enumerate(expects) if x[0] == "too_big" and ip_of_frame(frames_in[i])[:len(quote)] == quote]
            if len(matches) != 1:
                failures.append("output %d: ICMP fragmentation-needed quoting no too-big input" % n)
                continue
            i = matches[0]
            src_ip = IP(ip_of_frame(frames_in[i]))
            if outer.src != src_ip.dst or outer.dst != src_ip.src:
                failures.append("output %d: ICMP reply %s -> %s, expected VIP -> client" % (n, outer.src, outer.dst))
            if checksum(f[14:14 + outer.ihl * 4]) != 0:
                failures.append("output %d: ICMP reply has a bad IPv4 checksum" % n)
            if e[ICMP].nexthopmtu <= 0 or e[ICMP].nexthopmtu >= 1500:
                failures.append("output %d: next-hop MTU %d" % (n, e[ICMP].nexthopmtu))
            too_big_replies.add(i)
            seen[i] += 1
            continue

        if e.type == 0x0800:
            outer = e[IP]
            header = outer.ihl * 4
            # A header with a valid checksum sums (ones' complement) to zero.
            if checksum(f[14:14 + header]) != 0:
                failures.append("output %d: bad outer IPv4 checksum %#x" % (n, outer.chksum))
            if outer.ttl != 64:
                failures.append("output %d: outer TTL %d" % (n, outer.ttl))
            proto, dst, rest = outer.proto, outer.dst, f[14 + header:14 + outer.len]
        elif e.type == 0x86DD:
            outer = e[IPv6]
            if outer.hlim != 64:
                failures.append("output %d: outer hop limit %d" % (n, outer.hlim))
            proto, dst, rest = outer.nh, outer.dst, f[14 + 40:14 + 40 + outer.plen]
        else:
            failures.append("output %d: neither IPv4 nor IPv6" % n)
            continue

        if proto in (4, 41):
            encap, inner = "ipip", rest
        elif proto == 47:
            flags_version, ptype = struct.unpack("!HH", rest[:4])
            if flags_version != 0:
                failures.append("output %d: GRE flags/version %#x" % (n, flags_version))
            encap, inner = "gre", rest[4:]
            expected_type = 0x0800 if inner[0] >> 4 == 4 else 0x86DD
            if ptype != expected_type:
                failures.append("output %d: GRE protocol type %#x, inner is %#x" % (n, ptype, expected_type))
        elif proto == 17:
            sport, dport, length, _ = struct.unpack("!HHHH", rest[:8])
            if length != len(rest):
                failures.append("output %d: UDP length %d for %d bytes" % (n, length, len(rest)))
            encap, inner = "gue", rest[8:]
        else:
            failures.append("output %d: outer protocol %d" % (n, proto))
            continue
        if proto == 4 and inner[0] >> 4 != 4 or proto == 41 and inner[0] >> 4 != 6:
            failures.append("output %d: IPIP protocol %d for an IPv%d inner packet" % (n, proto, inner[0] >> 4))
        encaps[encap] += 1

        candidates = by_inner.get(inner, [])
        if not candidates:
            failures.append("output %d: inner packet matches no input (changed bytes?)" % n)
            continue
        i = candidates[0]
        kind, vip, flow, group = expects[i]
        seen[i] += 1
        if kind != "forward":
            failures.append("output %d: input %d should have been %s" % (n, i, kind))
            continue
        vcfg = config["vips"][vip]
        if encap != vcfg["encapsulation"]:
            failures.append("output %d: %s for a %s VIP" % (n, encap, vcfg["encapsulation"]))
        # A VIP's own gue-port, else the configuration's (dataplane.gue-port).
        gue_port = vcfg.get("gue_port", config["gue_port"])
        if encap == "gue" and dport != gue_port:
            failures.append("output %d: GUE port %d for %s, expected %d" % (n, dport, vip, gue_port))
        if dst not in vcfg["backends"]:
            failures.append("output %d: to %s, not a backend of %s" % (n, dst, vip))
        flow_backends[(vip, flow)].add(dst)
        if group:
            group_backends[group].add(dst)

    for i, (kind, vip, flow, group) in enumerate(expects):
        if kind in ("forward", "too_big") and seen[i] != 1:
            failures.append("input %d (%s %s %s) came out %d times" % (i, kind, vip, flow, seen[i]))
        if kind == "drop" and seen[i]:
            failures.append("input %d (must be dropped) came out" % i)
    for key, backends in flow_backends.items():
        if len(backends) != 1:
            failures.append("flow %s went to %d backends: %s" % (key, len(backends), sorted(backends)))
    for g, backends in group_backends.items():
        if len(backends) != 1:
            failures.append("fragments of %s went to %s" % (g, sorted(backends)))

    spread = {}
    for vip, vcfg in config["vips"].items():
        flows = collections.Counter()
        for (v, flow), backends in flow_backends.items():
            if v == vip and len(backends) == 1 and not flow.startswith("frag"):
                flows[next(iter(backends))] += 1
        total = sum(flows.values())
        weights = sum(vcfg["backends"].values())
        spread[vip] = {b: flows[b] for b in vcfg["backends"]}
        for b, w in vcfg["backends"].items():
            expected = total * w / weights
            # Binomial spread: 5 standard deviations, and at least 5 flows of slack.
            p = w / weights
            slack = max(5.0, 5 * (total * p * (1 - p)) ** 0.5)
            if abs(flows[b] - expected) > slack:
                failures.append("%s: backend %s got %d flows, expected %.0f +- %.0f" % (vip, b, flows[b], expected, slack))

    print(json.dumps({"outputs": len(frames_out), "inputs": len(frames_in), "encapsulations": encaps,
                      "too_big_replies": len(too_big_replies), "flows": len(flow_backends), "spread": spread}, sort_keys=True))
    if failures:
        print("FAILURES (%d):" % len(failures))
        for f in failures[:50]:
            print("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
