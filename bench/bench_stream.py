#!/usr/bin/env python3
"""Sequential access on 6 cameras: the sample reader on NVDEC vs the CPU back end, same run.

Videos: as bench_nvdec.py (.carry/videos/hevc_gop30_b0: 6 cameras, 1600x900 HEVC, GOP 30, no B-frames,
235 frames). Workload: call k asks every camera for frame k (one entry per camera, entry
i on reader slot i), k = 0, 1, 2, ... to the end of the clip, with
PyNvSampleReader.DecodeN12ToRGB; the reader continues each file's decode instead of
restarting at a key (Note [Continuing a GOP]). The same loop also runs on the random
access object (PyNvGopDecoder), which streams once it sees the sequential pattern, and
with DecodeN12ToRGBAsync one call ahead. NVML decoder utilisation is sampled during the
NVDEC runs. Every run decodes each frame once, so frames/s is also decoded frames/s; the
packets the decoders received are reported from the objects' counters.

Each run starts with a new object, so its frames/s include opening the 6 files and creating
their decoders (on a 235-frame clip that is most of the NVDEC run's time); bench/suite.py's
`sequential` workload is the steady-state number (first pass untimed, reported apart).

Prints a Markdown table and writes JSON (--json). Usage:
    python3 bench/bench_stream.py [--backends nvdec,cpu] [--cpu-frames 60]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import on_demand_video_decoder as nvc  # noqa: E402
from bench_nvdec import DEFAULT_VIDEOS, NvmlSampler, find_videos, index_infos, machine  # noqa: E402


def run(kind: str, gpu: int, paths: list[str], frames: int, nvml: bool) -> dict:
    n = len(paths)
    if kind == "gop_decoder":
        obj = nvc.PyNvGopDecoder(n, gpu, True)
        call = lambda k: obj.DecodeN12ToRGB(paths, [k] * n)  # noqa: E731
    else:
        obj = nvc.PyNvSampleReader(1, n, gpu, True)
        call = lambda k: obj.DecodeN12ToRGB(paths, [k] * n)  # noqa: E731
    sampler = NvmlSampler(gpu) if nvml else None
    if sampler:
        sampler.start()
    seconds = []
    start = time.perf_counter()
    if kind == "reader_async":
        obj.DecodeN12ToRGBAsync(paths, [0] * n)
        for k in range(frames):
            t = time.perf_counter()
            out = obj.DecodeN12ToRGBAsyncGetBuffer(paths, [k] * n)
            if k + 1 < frames:
                obj.DecodeN12ToRGBAsync(paths, [k + 1] * n)
            seconds.append(time.perf_counter() - t)
            assert len(out) == n
    else:
        for k in range(frames):
            t = time.perf_counter()
            assert len(call(k)) == n
            seconds.append(time.perf_counter() - t)
    wall = time.perf_counter() - start
    util = sampler.stop() if sampler else {"available": False}
    stats = obj._stats()
    return {"kind": kind, "backend": "nvdec" if gpu >= 0 else "cpu", "calls": frames, "frames": frames * n,
            "wall_s": wall, "frames_per_s": frames * n / wall, "median_ms": 1e3 * statistics.median(seconds),
            "p90_ms": 1e3 * sorted(seconds)[int(0.9 * (len(seconds) - 1))], "packets_sent": stats["packets_sent"],
            "gop_starts": stats["gop_starts"], "nvml": util}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    p.add_argument("--cameras", type=int, default=6)
    p.add_argument("--backends", default="nvdec,cpu")
    p.add_argument("--gpu", type=int, default=0)
    p.add_argument("--cpu-frames", type=int, default=60, help="frames per camera on the CPU back end (default 60)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    paths = find_videos(args.videos, args.cameras)
    infos = index_infos(paths)
    frames = min(i["frame_count"] for i in infos)
    results = []
    for backend in args.backends.split(","):
        gpu = args.gpu if backend == "nvdec" else -1
        count = frames if gpu >= 0 else min(frames, args.cpu_frames)
        for kind in ("reader", "reader_async", "gop_decoder"):
            results.append(run(kind, gpu, paths, count, nvml=gpu >= 0))
    print(f"\nvideos: {len(paths)} x {infos[0]['stream'].width}x{infos[0]['stream'].height} {infos[0]['codec']}, "
          f"GOP lengths {sorted(set(infos[0]['gop_lengths']))}; machine {machine()}")
    print("| back end | object | calls | frames/s | median ms/call | p90 ms/call | packets sent | GOP starts | NVML mean/max |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        util = r["nvml"]
        u = f"{util['mean_percent']:.1f}% / {util['max_percent']}%" if util.get("available") else "n/a"
        print(f"| {r['backend']} | {r['kind']} | {r['calls']} | {r['frames_per_s']:.1f} | {r['median_ms']:.2f} | "
              f"{r['p90_ms']:.2f} | {r['packets_sent']} | {r['gop_starts']} | {u} |")
    by = {(r["backend"], r["kind"]): r for r in results}
    if ("nvdec", "reader") in by and ("cpu", "reader") in by:
        print(f"nvdec_vs_cpu_sequential_frames_per_s: "
              f"{by['nvdec', 'reader']['frames_per_s'] / by['cpu', 'reader']['frames_per_s']:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "videos": paths, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
