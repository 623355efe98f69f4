#!/usr/bin/env python3
"""A paced HTTP upload that lasts as long as a test needs: it sends the body at about RATE bytes per second
until the file RELEASE exists, then the rest at full speed, and prints the server's answer ("b1 3000000").
A real Linux TCP client: the kernel's stack does the rest.

usage: net_upload.py --url http://192.0.2.12/upload --bytes 3000000 --rate 200000 --release /run/x/go
"""
import argparse
import os
import socket
import sys
import time
from urllib.parse import urlparse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--bytes", type=int, required=True)
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--release", required=True)
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    url = urlparse(args.url)
    s = socket.create_connection((url.hostname, url.port or 80), timeout=args.timeout)
    path = url.path + ("?" + url.query if url.query else "")
    s.sendall(f"POST {path} HTTP/1.0\r\nHost: {url.hostname}\r\nContent-Type: application/octet-stream\r\n"
              f"Content-Length: {args.bytes}\r\n\r\n".encode())
    chunk = b"\0" * 4096
    sent = 0
    start = time.monotonic()
    paced = True
    while sent < args.bytes:
        n = min(len(chunk), args.bytes - sent)
        s.sendall(chunk[:n])
        sent += n
        if paced and os.path.exists(args.release):
            paced = False
        if paced:
            ahead = sent / args.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    answer = b""
    while True:
        data = s.recv(65536)
        if not data:
            break
        answer += data
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b" ")[1].decode() if head else "000"
    print(f"{body.decode().strip()} {status}")
    return 0 if status == "200" else 1


if __name__ == "__main__":
    sys.exit(main())
