#!/usr/bin/env python3
"""The decoder's limit on the benchmark videos: pictures/s with N sessions decoding every
packet in parallel, no picture mapped, copied or converted (issue #6, "the limit").

Each session decodes one camera's packets (held in memory) as one stream, over and over, for
--seconds; N = 1, 7, 14, 21, 28 on NVDEC (7 engines on an H100) and N = the number of CPU
cores on the CPU back end (one libavcodec thread per session). Workloads divide their
decoded pictures/s by the best of these to say how much of the decoder they use.

--raw adds the same session counts on bare cuvid (Note [The raw limit]: one parser and one
NVDEC session per thread that only submit pictures), whole files and GOP by GOP, the limit
bench/suite.py uses, so they can be compared in one run.

Usage: python3 bench/bench_limit.py [--backends nvdec,cpu] [--raw] [--seconds 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import on_demand_video_decoder as nvc  # noqa: E402
from bench_nvdec import DEFAULT_VIDEOS, find_videos, machine  # noqa: E402


# (threads, sessions per thread, GOP by GOP, pictures in flight per session: 0 = never waits) for --raw.
RAW_RUNS = ((1, 1, False, 0), (7, 1, False, 0), (7, 2, False, 0), (7, 4, False, 0), (14, 1, False, 0),
            (14, 2, False, 0), (28, 1, False, 0), (7, 4, True, 0),
            (1, 1, False, 2), (7, 1, False, 2), (12, 1, False, 2), (14, 1, False, 2), (21, 1, False, 2),
            (28, 1, False, 2), (14, 1, False, 1), (14, 1, False, 4))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    p.add_argument("--cameras", type=int, default=6)
    p.add_argument("--backends", default="nvdec,cpu")
    p.add_argument("--gpu", type=int, default=0)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--raw", action="store_true", help="also measure bare cuvid (NVDEC)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    paths = find_videos(args.videos, args.cameras)
    rows = []
    for backend in args.backends.split(","):
        gpu = args.gpu if backend == "nvdec" else -1
        counts = (1, 7, 14, 21, 28) if gpu >= 0 else (os.cpu_count() or 1,)
        for streams in counts:
            r = nvc._odvd._decode_throughput(paths, gpu, streams, args.seconds)
            rows.append({"backend": backend, **r})
        if gpu >= 0 and args.raw:
            for threads, per_thread, per_gop, in_flight in RAW_RUNS:
                r = nvc._odvd._decode_throughput(paths, gpu, threads, args.seconds, raw=True, per_gop=per_gop,
                                                 sessions_per_thread=per_thread, in_flight=in_flight)
                name = (f"nvdec (bare cuvid{', GOP by GOP' if per_gop else ''}, {threads} threads"
                        f"{f', waiting {in_flight} behind' if in_flight else ''})")
                rows.append({"backend": name, **r})
    print(f"\nlimit: {len(paths)} cameras from {args.videos}; machine {machine()}")
    print("| back end | sessions | pictures | seconds | pictures/s |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['backend']} | {r['streams']} | {r['pictures']} | {r['seconds']:.2f} | {r['pictures_per_s']:.0f} |")
    best = {}
    for r in rows:
        best[r["backend"]] = max(best.get(r["backend"], 0.0), r["pictures_per_s"])
    for backend, value in best.items():
        print(f"limit_{backend}_pictures_per_s: {value:.0f}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "videos": paths, "rows": rows, "limit": best}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
