#!/usr/bin/env python3
"""The operator's side of the soak test (SoakTest), run in a MUX's namespace against its admin API: a storm of
backend changes on one VIP (add, remove, drain, weight, and the sequence "drain every backend, then add one"),
with valid and invalid reloads of the MUX's configuration file in between.

The same --seed on every MUX of the pool gives every MUX the same sequence at about the same time (a pool
changes together). Each step is checked: a backend change answers 200, or 4xx when it is refused (adding a
backend that is there, removing one that is not); a valid reload answers 200; an invalid one 4xx with
nothing changed (the storm VIP's backends are the same before and after). Anything else (5xx, no answer
within 10 s, an invalid file accepted, a valid one refused) is a problem. At the end the file is the
original again, reloaded, and the storm VIP's backends are back to their configured state (both at weight 1,
the extra backend removed), so the test can check it; then one JSON document goes to --out:
  {"steps": N, "by_op": {OP: {STATUS: N}}, "problems": ["..."] (at most 50)}

usage: net_soak_storm.py --config FILE --vip 192.0.2.13:80/tcp --backend A --backend B --extra C
                         --seconds S --seed N --out FILE [--admin 127.0.0.1:9480]
The configuration file must contain the extra backend's line of the storm VIP commented out with "#soak-extra "
in front, and a health-check "interval-ms: 500" for the reloads to vary.
"""
import argparse
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request


class Admin:
    def __init__(self, address):
        self.base = "http://" + address

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, json.loads(text or b"{}")
            except ValueError:
                return e.code, {"error": text.decode("latin-1")[:200]}


def vip_state(admin, key):
    """The storm VIP's backends as the MUX reports them (address -> (weight, state)), or None."""
    status, body = admin.call("GET", "/v1/vips")
    if status != 200:
        return None
    for v in body.get("vips", []):
        if v.get("vip") == key:
            return json.dumps(v.get("backends"), sort_keys=True)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--admin", default="127.0.0.1:9480")
    ap.add_argument("--config", required=True)
    ap.add_argument("--vip", required=True)
    ap.add_argument("--backend", action="append", required=True)
    ap.add_argument("--extra", required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--interval", type=float, default=0.4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    admin = Admin(args.admin)
    rnd = random.Random(args.seed)
    with open(args.config) as f:
        original = f.read()
    if "#soak-extra " not in original or "interval-ms: 500" not in original:
        print("net_soak_storm: the configuration has no #soak-extra line or interval-ms: 500", file=sys.stderr)
        return 2
    valid = [original, original.replace("#soak-extra ", ""), original.replace("interval-ms: 500", "interval-ms: 700"),
             original.replace("#soak-extra ", "").replace("interval-ms: 500", "interval-ms: 600")]
    invalid = {
        "unknown-key": original + "\nbogus-key: 1\n",
        "needs-restart": original.replace("workers: 1", "workers: 2", 1),
        "truncated": original[: len(original) // 2],
        "bad-weight": original.replace("weight: 1 }", "weight: -1 }", 1),
    }
    current = original
    by_op = {}
    problems = []
    steps = 0

    def note(op, status):
        by_op.setdefault(op, {}).setdefault(str(status), 0)
        by_op[op][str(status)] += 1

    def problem(text):
        if len(problems) < 50:
            problems.append("t=%.1f %s" % (time.monotonic() - start, text))

    def backend(op, address, weight=None):
        body = {"vip": args.vip, "address": address}
        if weight is not None:
            body["weight"] = weight
        try:
            status, answer = admin.call("POST", "/v1/backends/" + op, body)
        except Exception as e:  # no answer at all is a problem, whatever the exception
            problem("%s %s: no answer: %s" % (op, address, e))
            note(op, "none")
            return
        note(op, status)
        if status != 200 and not 400 <= status < 500:
            problem("%s %s: %d %s" % (op, address, status, answer))

    def write(text):
        with open(args.config, "w") as f:
            f.write(text)

    def reload(expect_ok, what):
        before = vip_state(admin, args.vip)
        try:
            status, answer = admin.call("POST", "/v1/reload")
        except Exception as e:
            problem("reload %s: no answer: %s" % (what, e))
            note("reload-" + what, "none")
            return False
        note("reload-" + what, status)
        if expect_ok and status != 200:
            problem("valid reload %s refused: %d %s" % (what, status, answer))
        elif not expect_ok:
            if not 400 <= status < 500:
                problem("invalid reload %s answered %d %s" % (what, status, answer))
            elif vip_state(admin, args.vip) != before:
                # The storm runs alone on this VIP, so a change here came from the refused reload.
                problem("invalid reload %s changed the VIP: %s -> %s" % (what, before, vip_state(admin, args.vip)))
        return status == 200

    start = time.monotonic()
    addresses = args.backend + [args.extra]
    while time.monotonic() - start < args.seconds:
        steps += 1
        r = rnd.random()
        if r < 0.18:
            backend("add", args.extra, rnd.randint(1, 3))
        elif r < 0.32:
            backend("remove", args.extra)
        elif r < 0.50:
            backend("drain", rnd.choice(addresses))
        elif r < 0.72:
            backend("weight", rnd.choice(addresses), rnd.randint(0, 4))
        elif r < 0.80:
            # Issue 9 item 1: every backend drained, then one added (the table was empty in between).
            backend("remove", args.extra)
            for a in args.backend:
                backend("drain", a)
            backend("add", args.extra, 1)
        elif r < 0.90:
            current = rnd.choice(valid)
            write(current)
            reload(True, "valid")
        else:
            what = rnd.choice(sorted(invalid))
            write(invalid[what])
            reload(False, what)
            write(current)
        time.sleep(args.interval)

    # Back to the configured state: the original file, and the storm VIP's backends as it says.
    write(original)
    reload(True, "valid")
    for a in args.backend:
        backend("weight", a, 1)
    backend("remove", args.extra)
    with open(args.out + ".tmp", "w") as f:
        json.dump({"steps": steps, "by_op": by_op, "problems": problems}, f, indent=1)
    os.replace(args.out + ".tmp", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
