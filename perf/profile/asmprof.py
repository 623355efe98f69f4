#!/usr/bin/env python3
"""Instruction-level profile of the bench's Java worker next to its C baseline (asm-profile.sh runs it).

Attributes `perf record` samples of one thread to the instructions HotSpot printed (-XX:+PrintAssembly
through hsdis, with -XX:+DebugNonSafepoints so that nearly every instruction carries its inlining chain), as
JMH's perfasm does, and adds what perfasm does not: only the thread's last busy stretch is counted (the
measured window, not the warm-up), the samples are put in classes (stack spills and reloads, FFM segment
checks, safepoint polls, flow-table loads), and the C baseline's thread is shown by symbol and offset with
objdump's disassembly around its hottest addresses. Samples land on the instruction after the one that
stalled (timer sampling, no hardware counters in a VM), so each class also counts the instruction before.

usage: asmprof.py JVM_OUTPUT PERF_DATA [--thread measured-panamu] [--c-thread measured-c-base]
                  [--c-library PATH] [--top 25] [--context 6]
"""
import argparse
import bisect
import collections
import re
import subprocess

HEADER = re.compile(r'^Compiled method \((c[12])\)\s+\d+\s+\d+\s+.*?\s(\S+::\S+)')
MAIN_CODE = re.compile(r'^\s*main code\s+\[0x([0-9a-f]+),0x([0-9a-f]+)\]')
INSTRUCTION = re.compile(r'^\s+0x([0-9a-f]+):\s+(.*)$')
SEGMENT_CHECK = re.compile(r'checkBounds|checkValidState|checkAccess|checkAlign|sessionImpl|checkReadOnly|checkEnclosing')
STACK = re.compile(r'\[rsp[+\]]')
# Helpers the bench's frame writer (FrameReplay.refill, outside the measured cycles) calls as real calls.
UNMEASURED = ('Memory::getU16Be', 'Memory::putU16Be', 'FrameReplay::', 'ClientFrames::')


def parse_assembly(path):
    """The printed nmethods: [start, end, 'c2 Class::method', [[address, text, [comment lines]]]]."""
    methods, current = [], None
    with open(path, errors='replace') as f:
        for line in f:
            m = HEADER.match(line)
            if m:
                current = [0, 0, m.group(1) + ' ' + m.group(2), []]
                methods.append(current)
                continue
            if current is None:
                continue
            m = MAIN_CODE.match(line)
            if m:
                current[0], current[1] = int(m.group(1), 16), int(m.group(2), 16)
                continue
            m = INSTRUCTION.match(line)
            if m:
                current[3].append([int(m.group(1), 16), m.group(2).rstrip(), []])
            elif line.strip().startswith(';') and current[3]:
                current[3][-1][2].append(line.strip())
    methods = [m for m in methods if m[1] > m[0] and m[3]]
    methods.sort(key=lambda m: m[0])
    return methods


def samples(data):
    """(thread name, time, ip, symbol+offset, dso) of every sample."""
    out = subprocess.run(['perf', 'script', '-i', data, '-F', 'comm,time,ip,sym,symoff,dso'],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = re.match(r'^\s*(.+?)\s+(\d+\.\d+):\s+([0-9a-f]+)\s+(.*?)\s*\((.*)\)\s*$', line)
        if m:
            yield m.group(1), float(m.group(2)), int(m.group(3), 16), m.group(4), m.group(5)


def last_busy_stretch(times, step=0.1, shortest=0.8):
    """The thread's last run of busy tenths of a second (at least half the busiest tenth's samples) lasting
    `shortest` seconds or more: its measured window, not its warm-up nor the idle polls after it."""
    if not times:
        return 0, 0
    first = min(times)
    bins = collections.Counter(int((t - first) / step) for t in times)
    busy = max(bins.values()) / 2
    stretches, start = [], None
    for b in range(max(bins) + 2):
        if bins.get(b, 0) >= busy:
            start = b if start is None else start
        elif start is not None:
            stretches.append((first + start * step, first + b * step))
            start = None
    long_enough = [s for s in stretches if s[1] - s[0] >= shortest]
    return long_enough[-1] if long_enough else stretches[-1]


def scope_of(lines, k):
    """The inlining chain of instruction k: its own debug info or the nearest before it."""
    for j in range(k, max(-1, k - 40), -1):
        chain = [c[4:] for c in lines[j][2] if c.startswith('; - ')]
        if chain:
            return chain
    return []


def java_profile(args, methods, rows):
    starts = [m[0] for m in methods]
    times = [t for name, t, *_ in rows if name.startswith(args.thread)]
    lo, hi = last_busy_stretch(times)
    hist, outside, total = collections.Counter(), collections.Counter(), 0
    for name, t, ip, sym, dso in rows:
        if not name.startswith(args.thread) or not lo <= t <= hi:
            continue
        total += 1
        i = bisect.bisect_right(starts, ip) - 1
        if i >= 0 and methods[i][0] <= ip < methods[i][1]:
            hist[(i, ip)] += 1
        else:
            outside[re.sub(r'\+0x[0-9a-f]+$', '', sym) + ' (' + dso.split('/')[-1] + ')'] += 1
    if total == 0:
        print(f'no samples of thread {args.thread}')
        return
    pct = lambda n: f'{100 * n / total:6.2f}%'
    print(f'=== Java worker: {total} samples of thread {args.thread} in its last busy stretch '
          f'({hi - lo:.1f} s; the frame writer FrameReplay/ClientFrames/Memory.*U16Be runs outside the measured cycles)')
    per_method, by_line, by_site, classes, where = (collections.Counter() for _ in range(5))
    for (i, ip), n in hist.items():
        per_method[methods[i][2]] += n
        lines = methods[i][3]
        k = max(0, bisect.bisect_right([x[0] for x in lines], ip) - 1)
        chain = scope_of(lines, k)
        by_line[chain[0] if chain else methods[i][2] + ' (no debug info)'] += n
        sites = [c for c in chain if 'WorkerAgent::' in c]
        by_site[sites[0] if sites else (chain[-1] if chain else methods[i][2])] += n
        if any(u in methods[i][2] for u in UNMEASURED):
            continue
        text, before = lines[k][1], lines[k - 1][1] if k > 0 else ''
        joined = ' '.join(chain)
        if '{poll' in text or '{poll' in before:
            c = 'safepoint poll'
        elif STACK.search(text) or STACK.search(before):
            c = 'stack spill/reload'
        elif SEGMENT_CHECK.search(joined):
            c = 'FFM segment check'
        elif 'FlowTable' in joined and 'Unaligned' in joined:
            c = 'flow-table load/store'
        else:
            c = 'other'
        classes[c] += n
        if c in ('stack spill/reload', 'FFM segment check'):
            own = [s for s in chain if 'io.panamux' in s][:3]
            where[f'{c}: {methods[i][2]} | ' + ' < '.join(own)] += n
    print('\n-- by compiled method')
    for s, n in per_method.most_common(15):
        print(pct(n), s)
    print('\n-- outside the printed methods (perf symbol)')
    for s, n in outside.most_common(15):
        print(pct(n), s)
    print('\n-- by class (printed methods, frame writer excluded)')
    for s, n in classes.most_common():
        print(pct(n), s)
    print('\n-- spills and segment checks by place')
    for s, n in where.most_common(20):
        print(pct(n), s)
    print('\n-- by innermost source line')
    for s, n in by_line.most_common(30):
        print(pct(n), s)
    print('\n-- by WorkerAgent call site')
    for s, n in by_site.most_common(20):
        print(pct(n), s)
    print(f'\n-- hottest {args.top} instructions, {args.context} before each')
    for (i, ip), n in hist.most_common(args.top):
        lines = methods[i][3]
        k = max(0, bisect.bisect_right([x[0] for x in lines], ip) - 1)
        print(f'--- {pct(n).strip()} at {ip:x} in {methods[i][2]}')
        for j in range(max(0, k - args.context), min(len(lines), k + 2)):
            a, text, comments = lines[j]
            print(f"{'>>' if j == k else '  '}{pct(hist.get((i, a), 0))} {text}")
            for c in comments:
                if c.startswith('; - '):
                    print(f'              {c}')


def c_profile(args, rows):
    times = [t for name, t, *_ in rows if name.startswith(args.c_thread)]
    if not times:
        return
    lo, hi = last_busy_stretch(times)
    by_symbol, by_offset, total = collections.Counter(), collections.Counter(), 0
    for name, t, ip, sym, dso in rows:
        if name.startswith(args.c_thread) and lo <= t <= hi:
            total += 1
            by_symbol[re.sub(r'\+0x[0-9a-f]+$', '', sym) + ' (' + dso.split('/')[-1] + ')'] += 1
            if args.c_library and dso.endswith(args.c_library.split('/')[-1]):
                by_offset[sym] += 1
    print(f'\n\n=== C baseline: {total} samples of thread {args.c_thread} ({hi - lo:.1f} s)')
    for s, n in by_symbol.most_common(15):
        print(f'{100 * n / total:6.2f}% {s}')
    if not args.c_library:
        return
    dump = subprocess.run(['objdump', '-d', '--no-show-raw-insn', '-M', 'intel', args.c_library],
                          capture_output=True, text=True).stdout.splitlines()
    symbols = {}
    for k, line in enumerate(dump):
        m = re.match(r'^([0-9a-f]+) <(\S+)>:', line)
        if m:
            symbols[m.group(2)] = int(m.group(1), 16)
    index = {}
    for k, line in enumerate(dump):
        m = re.match(r'^\s+([0-9a-f]+):', line)
        if m:
            index[int(m.group(1), 16)] = k
    print(f'\n-- hottest {args.top} addresses of {args.c_library.split("/")[-1]}, {args.context} before each')
    for s, n in by_offset.most_common(args.top):
        m = re.match(r'^(\S+)\+0x([0-9a-f]+)$', s)
        if not m or m.group(1) not in symbols:
            continue
        k = index.get(symbols[m.group(1)] + int(m.group(2), 16))
        print(f'--- {100 * n / total:.2f}% at {s}')
        if k is not None:
            print('\n'.join(dump[max(0, k - args.context):k + 2]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('jvm_output')
    p.add_argument('perf_data')
    p.add_argument('--thread', default='measured-panamu')
    p.add_argument('--c-thread', default='measured-c-base')
    p.add_argument('--c-library')
    p.add_argument('--top', type=int, default=25)
    p.add_argument('--context', type=int, default=6)
    args = p.parse_args()
    methods = parse_assembly(args.jvm_output)
    rows = list(samples(args.perf_data))
    java_profile(args, methods, rows)
    c_profile(args, rows)


if __name__ == '__main__':
    main()
