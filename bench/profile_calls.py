#!/usr/bin/env python3
"""Where a call's time goes: runs random-access (or sequential) calls on the 6 benchmark
cameras with ODVD_PROFILE set and prints, per named scope of the library, the total wall
time per call and per occurrence (scopes on worker threads overlap: six files decode at
once, so their sums exceed the call time).

Usage: ODVD_PROFILE=1 python3 bench/profile_calls.py [--gpu 0] [--calls 100] [--sequential]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ODVD_PROFILE", "1")

import on_demand_video_decoder as nvc  # noqa: E402
from bench_nvdec import DEFAULT_VIDEOS, find_videos, index_infos  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    p.add_argument("--gpu", type=int, default=0)
    p.add_argument("--calls", type=int, default=100)
    p.add_argument("--sequential", action="store_true")
    args = p.parse_args(argv)
    paths = find_videos(args.videos, 6)
    counts = [i["frame_count"] for i in index_infos(paths)]
    dec = nvc.PyNvGopDecoder(6, args.gpu, True)
    dec.DecodeN12ToRGB(paths, [0] * 6)
    nvc._odvd._profile(True)
    rng = random.Random(1)
    start = time.perf_counter()
    for k in range(args.calls):
        ids = [(k + 1) % c for c in counts] if args.sequential else [rng.randrange(c) for c in counts]
        dec.DecodeN12ToRGB(paths, ids)
    wall = time.perf_counter() - start
    prof = nvc._odvd._profile(True)
    print(f"{args.calls} {'sequential' if args.sequential else 'random'} calls, {1e3 * wall / args.calls:.2f} ms/call")
    print("| scope | ms per call | CPU ms per call | count per call | us per occurrence |")
    print("|---|---|---|---|---|")
    for name, (seconds, count, cpu) in sorted(prof.items(), key=lambda kv: -kv[1][0]):
        print(f"| {name} | {1e3 * seconds / args.calls:.2f} | {1e3 * cpu / args.calls:.2f} | {count / args.calls:.1f} "
              f"| {1e6 * seconds / count:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
