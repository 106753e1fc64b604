#!/usr/bin/env python3
"""Compare two replay logs (log.jsonl) step by step: for every metric the
largest difference, absolute and relative to the larger magnitude, and the
first row where a metric parts by more than the tolerance (the same rule as
`referee replay --check --tolerance`: absolute, or relative, whichever is
looser).  Stdlib only.

    compare_logs.py A/log.jsonl B/log.jsonl [--tolerance X] [--json OUT]
Exit 0 when every row agrees within the tolerance, 1 otherwise, 2 on bad
input.
"""
import argparse
import json
import sys


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except ValueError as e:
                    raise SystemExit("compare_logs: %s:%d: %s" % (path, n, e))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--tolerance", type=float, default=1e-3)
    ap.add_argument("--json")
    args = ap.parse_args()
    try:
        a, b = load(args.a), load(args.b)
    except OSError as e:
        print("compare_logs: %s" % e, file=sys.stderr)
        return 2
    worst = {}
    first = None
    for i, (ra, rb) in enumerate(zip(a, b), 1):
        if ra.get("type") != rb.get("type") or ra.get("step") != rb.get("step"):
            first = first or {"line": i, "detail": "rows differ in type/step"}
            break
        for k, va in ra.items():
            vb = rb.get(k)
            if k in ("type", "step") or not isinstance(va, (int, float)) or not isinstance(vb, (int, float)):
                continue
            d = abs(va - vb)
            rel = d / max(abs(va), abs(vb), 1e-30)
            key = "%s.%s" % (ra.get("type"), k)
            w = worst.setdefault(key, {"max_abs": 0.0, "max_rel": 0.0, "rows": 0})
            w["rows"] += 1
            w["max_abs"] = max(w["max_abs"], d)
            w["max_rel"] = max(w["max_rel"], rel if d > 0 else 0.0)
            if first is None and d > args.tolerance and rel > args.tolerance:
                first = {"line": i, "type": ra.get("type"), "step": ra.get("step"),
                         "metric": k, "a": va, "b": vb}
    if len(a) != len(b) and first is None:
        first = {"line": min(len(a), len(b)) + 1, "detail": "logs have %d and %d rows" % (len(a), len(b))}
    res = {"a": args.a, "b": args.b, "rows": [len(a), len(b)], "tolerance": args.tolerance,
           "agree": first is None, "first_difference": first, "metrics": worst}
    for k in sorted(worst):
        w = worst[k]
        print("%-24s max abs %.3e  max rel %.3e  (%d rows)" % (k, w["max_abs"], w["max_rel"], w["rows"]))
    print("agree within %g: %s%s" % (args.tolerance, "yes" if first is None else "NO",
                                      "" if first is None else " -- first at %s" % json.dumps(first)))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1)
    return 0 if first is None else 1


if __name__ == "__main__":
    sys.exit(main())
