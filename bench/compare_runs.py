#!/usr/bin/env python3
"""Compares two bench/suite.py runs (JSON): frames/s per config and workload, and the ratio
second / first. Prints a Markdown table. Usage:
    python3 bench/compare_runs.py BEFORE.json AFTER.json [--labels before,after]
"""

from __future__ import annotations

import argparse
import json
import sys


def rows(path: str) -> dict:
    out = {}
    for c in json.load(open(path))["configs"]:
        for r in c["rows"]:
            out[(c["config"], r["workload"], r["backend"])] = r
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("first")
    p.add_argument("second")
    p.add_argument("--labels", default="before,after")
    args = p.parse_args(argv)
    a_name, b_name = args.labels.split(",")
    a, b = rows(args.first), rows(args.second)
    print(f"| config | workload | back end | {a_name} frames/s | {b_name} frames/s | {b_name}/{a_name} | "
          f"decoded/returned {a_name} → {b_name} |")
    print("|---|---|---|---|---|---|---|")
    worst = None
    for key in [k for k in a if k in b]:
        ra, rb = a[key], b[key]
        ratio = rb["frames_per_s"] / ra["frames_per_s"]
        worst = ratio if worst is None else min(worst, ratio)
        da, db = ra.get("decoded_per_returned"), rb.get("decoded_per_returned")
        work = f"{da:.2f} → {db:.2f}" if da is not None and db is not None else "–"
        print(f"| {key[0]} | {key[1]} | {key[2]} | {ra['frames_per_s']:.1f} | {rb['frames_per_s']:.1f} | "
              f"{ratio:.2f}x | {work} |")
    if worst is not None:
        print(f"\nlowest {b_name}/{a_name}: {worst:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
