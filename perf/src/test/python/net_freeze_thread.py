#!/usr/bin/env python3
"""Stops one thread of a running process (not the process) for a while, then lets it run again.

The network end-to-end test uses it to make a MUX's worker stop cycling while the rest of the MUX (its
control thread, its BGP speaker) runs on: PTRACE_SEIZE attaches to that one thread only, PTRACE_INTERRUPT
stops it, PTRACE_DETACH resumes it. Needs root (or CAP_SYS_PTRACE).

usage: net_freeze_thread.py --match TEXT --thread PREFIX --seconds S
  --match    a text the process's command line contains (the first such process is taken)
  --thread   the start of the thread's name (/proc/PID/task/TID/comm)
"""
import argparse
import ctypes
import os
import sys
import time

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000


def find_thread(match, prefix):
    for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if match not in cmdline or "net_freeze_thread" in cmdline:
            continue
        for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
            try:
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    if f.read().strip().startswith(prefix):
                        return int(pid), int(tid)
            except OSError:
                continue
        sys.exit(f"process {pid} has no thread named {prefix}*")
    sys.exit(f"no process whose command line contains {match!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--match", required=True)
    parser.add_argument("--thread", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    pid, tid = find_thread(args.match, args.thread)
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
        sys.exit(f"cannot attach to thread {tid}: {os.strerror(ctypes.get_errno())}")
    if libc.ptrace(PTRACE_INTERRUPT, tid, None, None) != 0:
        sys.exit(f"cannot stop thread {tid}: {os.strerror(ctypes.get_errno())}")
    os.waitpid(tid, WALL)
    print(f"stopped thread {tid} of process {pid} for {args.seconds} s", flush=True)
    time.sleep(args.seconds)
    libc.ptrace(PTRACE_DETACH, tid, None, None)
    print(f"released thread {tid}", flush=True)


if __name__ == "__main__":
    main()
