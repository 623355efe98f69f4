#!/usr/bin/env python3
"""Decodes the MUX's health-check probes through the tunnel with scapy, independently of panamux's code.

Reads one frame per line on stdin, as hex; writes one JSON object per frame on stdout: the Ethernet, outer IP,
tunnel (GRE, GUE's UDP), inner IP and TCP fields, and whether each checksum scapy recomputes equals the one
in the frame (outer and inner IPv4 header, GUE's UDP over IPv6, TCP).
"""
import json
import sys

from scapy.all import Ether, GRE, IP, IPv6, TCP, UDP  # noqa: E402


def same_checksum(layer_cls, raw, field_layer):
    """Whether the checksum of field_layer in layer_cls(raw) equals what scapy computes from scratch."""
    pkt = layer_cls(raw)
    original = pkt[field_layer].chksum
    del pkt[field_layer].chksum
    again = layer_cls(bytes(pkt))
    return original == again[field_layer].chksum


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        raw = bytes.fromhex(line)
        eth = Ether(raw)
        out = {"eth_dst": eth.dst, "eth_src": eth.src, "eth_type": eth.type}
        outer = eth.payload
        outer_raw = bytes(outer)
        if isinstance(outer, IP):
            out.update(outer_version=4, outer_src=outer.src, outer_dst=outer.dst, outer_proto=outer.proto, outer_ttl=outer.ttl,
                       outer_df=bool(outer.flags.DF), outer_len=outer.len, outer_chksum_ok=same_checksum(IP, outer_raw, IP))
            proto = outer.proto
        else:
            out.update(outer_version=6, outer_src=outer.src, outer_dst=outer.dst, outer_proto=outer.nh, outer_ttl=outer.hlim,
                       outer_len=outer.plen)
            proto = outer.nh
        if proto == 47:
            gre = GRE(bytes(outer.payload))
            out["gre_proto"] = gre.proto
            inner_raw = bytes(gre.payload)
        elif proto == 17:
            udp = UDP(bytes(outer.payload))
            out.update(udp_sport=udp.sport, udp_dport=udp.dport, udp_len=udp.len, udp_chksum=udp.chksum)
            if out["outer_version"] == 6:
                out["udp_chksum_ok"] = same_checksum(IPv6, outer_raw, UDP)
            inner_raw = bytes(udp.payload)
        else:
            inner_raw = bytes(outer.payload)
        version = inner_raw[0] >> 4
        inner_cls = IP if version == 4 else IPv6
        inner = inner_cls(inner_raw)
        out.update(inner_version=version, inner_src=inner.src, inner_dst=inner.dst)
        if version == 4:
            out.update(inner_ttl=inner.ttl, inner_df=bool(inner.flags.DF), inner_len=inner.len,
                       inner_chksum_ok=same_checksum(IP, inner_raw, IP))
        else:
            out.update(inner_ttl=inner.hlim, inner_len=inner.plen)
        tcp = inner[TCP]
        out.update(tcp_sport=tcp.sport, tcp_dport=tcp.dport, tcp_seq=tcp.seq, tcp_ack=tcp.ack, tcp_flags=str(tcp.flags),
                   tcp_window=tcp.window, tcp_dataofs=tcp.dataofs, tcp_options=[[str(k), v] for k, v in tcp.options],
                   tcp_payload=len(bytes(tcp.payload)), tcp_payload_text=bytes(tcp.payload).decode("latin-1"), tcp_chksum_ok=same_checksum(inner_cls, inner_raw, TCP))
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
