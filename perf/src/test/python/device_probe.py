#!/usr/bin/python3
"""Client side of DeviceMatrixTest: probe frames for the MUX, and the check that they came out encapsulated.

    device_probe.py write IN.pcap             the probe frames, as a pcap (net_pcap, or a testpmd peer)
    device_probe.py check OUT.pcap...         exit 0 when at least one probe came out IPIP-encapsulated
    device_probe.py iface IFACE SECONDS       on a kernel interface (tap, veth): send the probes until one
                                              comes back encapsulated (exit 0) or SECONDS pass (exit 1)

A probe is a TCP SYN from 198.51.100.7 to the VIP 192.0.2.10:80, one per source port so that with several
RX queues some reach each worker; it comes out as IPv4 10.0.0.10 -> 10.1.0.1, protocol 4, around it.
Decoded by scapy, not by panamux.
"""

import os
import subprocess
import sys
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, rdpcap, sendp, wrpcap

MUX, BACKEND, CLIENT, VIP = "10.0.0.10", "10.1.0.1", "198.51.100.7", "192.0.2.10"
PROBES = [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:0a") / IP(src=CLIENT, dst=VIP) /
          TCP(sport=40000 + i, dport=80, flags="S", seq=1000 + i) for i in range(16)]


def encapsulated(frame):
    if not frame.haslayer(IP):
        return False
    outer = frame[IP]
    if outer.src != MUX or outer.dst != BACKEND or outer.proto != 4 or not outer.payload.haslayer(TCP):
        return False
    inner = outer.payload
    return inner.src == CLIENT and inner.dst == VIP and inner[TCP].dport == 80 and 40000 <= inner[TCP].sport < 40016


def main():
    mode = sys.argv[1]
    if mode == "write":
        wrpcap(sys.argv[2], PROBES)
        return 0
    if mode == "check":
        found, frames = 0, 0
        for path in sys.argv[2:]:
            if os.path.exists(path) and os.path.getsize(path) > 24:
                for f in rdpcap(path):
                    frames += 1
                    found += encapsulated(f)
        print("%d of %d frame(s) out are probes encapsulated to %s" % (found, frames, BACKEND))
        return 0 if found else 1
    if mode == "iface":
        iface, seconds = sys.argv[2], float(sys.argv[3])
        deadline = time.time() + seconds
        while not os.path.exists("/sys/class/net/" + iface):
            if time.time() > deadline:
                print("no interface " + iface)
                return 1
            time.sleep(0.2)
        subprocess.run(["ip", "link", "set", iface, "up"], check=True)
        sniffer = AsyncSniffer(iface=iface, lfilter=encapsulated, count=1)
        sniffer.start()
        time.sleep(0.5)
        sent = 0
        while time.time() < deadline and not sniffer.results:
            sendp(PROBES, iface=iface, verbose=False)
            sent += len(PROBES)
            time.sleep(0.5)
        time.sleep(0.3)
        # The sniffer stops by itself after the first match (count=1).
        if sniffer.running:
            sniffer.stop()
        results = sniffer.results or []
        print("%d probe(s) sent on %s, %d came back encapsulated to %s" % (sent, iface, len(results), BACKEND))
        return 0 if results else 1
    print("unknown mode " + mode)
    return 2


if __name__ == "__main__":
    sys.exit(main())
