#!/usr/bin/python3
"""Client side of the MUX-pool end-to-end test, with scapy (never panamux's own parser).

usage: pool_traffic.py IFACE=MUXMAC [IFACE=MUXMAC ...]

Sniffs every IFACE (the test's end of a veth pair whose other end is one MUX's net_af_packet port) for the
frames the MUXes send towards backends, then reads commands, one JSON object per line on stdin:

  {"send": IFACE, "src": "198.51.100.7", "dst": "192.0.2.10", "sport": 40001, "dport": 80, "flags": "S",
   "tag": 17, "wait": 5.0}

sends one client TCP frame (IP identification = tag, so its output can be told apart) into IFACE, towards the
MUX's MAC, and waits up to "wait" seconds for it to come out, IP-in-IP, of any MUX. It answers one JSON line:

  {"tag": 17, "iface": "pmx..p1", "outer_src": "10.0.0.11", "outer_dst": "10.1.0.2", "inner_ok": true}

or {"tag": 17, "missing": true}. inner_ok says the inner packet is the one sent, byte for byte. {"quit": true}
ends it. Prints {"ready": true} once the sniffers run.
"""
import json
import sys
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, Raw, sendp

CLIENT_MAC = "02:00:00:00:77:01"


def main():
    macs = dict(arg.split("=", 1) for arg in sys.argv[1:])
    seen = {}
    lock = threading.Condition()

    def on_frame(frame):
        if not frame.haslayer(IP):
            return
        outer = frame[IP]
        # IP-in-IP: protocol 4, the inner IPv4 packet right after the outer header.
        if outer.proto != 4 or not outer.haslayer(TCP):
            return
        inner = outer.payload
        if not isinstance(inner, IP):
            return
        with lock:
            seen.setdefault(inner.id, []).append({
                "iface": frame.sniffed_on,
                "outer_src": outer.src,
                "outer_dst": outer.dst,
                "inner": bytes(inner),
            })
            lock.notify_all()

    sniffer = AsyncSniffer(iface=list(macs), prn=on_frame, store=False)
    sniffer.start()
    # AsyncSniffer opens its sockets on a thread of its own: wait until they exist.
    deadline = time.time() + 10
    while not getattr(sniffer, "running", False) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    print(json.dumps({"ready": True}), flush=True)

    for line in sys.stdin:
        command = json.loads(line)
        if command.get("quit"):
            break
        tag = int(command["tag"])
        packet = (IP(src=command["src"], dst=command["dst"], id=tag, ttl=64, flags="DF")
                  / TCP(sport=int(command["sport"]), dport=int(command.get("dport", 80)), flags=command["flags"],
                        seq=1000 + tag, ack=0 if command["flags"] == "S" else 1)
                  / Raw(b"panamux-pool-%d" % tag))
        sent = bytes(packet)
        frame = Ether(src=CLIENT_MAC, dst=macs[command["send"]]) / packet
        sendp(frame, iface=command["send"], verbose=False)
        deadline = time.time() + float(command.get("wait", 5.0))
        with lock:
            while tag not in seen and time.time() < deadline:
                lock.wait(timeout=max(0.0, deadline - time.time()))
            hits = seen.get(tag, [])
        if not hits:
            print(json.dumps({"tag": tag, "missing": True}), flush=True)
            continue
        # Give a duplicate a moment to show itself: every packet must come out exactly once.
        time.sleep(0.05)
        with lock:
            hits = seen.get(tag, [])
        first = hits[0]
        print(json.dumps({
            "tag": tag,
            "iface": first["iface"],
            "outer_src": first["outer_src"],
            "outer_dst": first["outer_dst"],
            "inner_ok": first["inner"] == sent,
            "copies": len(hits),
        }), flush=True)

    sniffer.stop()


if __name__ == "__main__":
    main()
