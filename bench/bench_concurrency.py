#!/usr/bin/env python3
"""Random access with several decoder objects at once (a data loader's worker threads):
total frames/s and NVDEC utilisation for K = 1, 2, 4 concurrent callers; and one decoder
object with parallel_calls=N driven by a Prefetcher with N workers.

Each caller owns a PyNvGopDecoder(6, iGpu) and repeats the random-access call of
bench_nvdec.py (one uniformly random frame of each of the 6 cameras, DecodeN12ToRGB) for
--seconds. One random access call is latency-bound (each camera's GOP decodes picture
after picture on one NVDEC session), so this shows how much more the engines give when
more sessions work at once.

Usage: python3 bench/bench_concurrency.py [--callers 1,2,4] [--seconds 4] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import on_demand_video_decoder as nvc  # noqa: E402
from bench_nvdec import DEFAULT_VIDEOS, NvmlSampler, find_videos, index_infos, machine  # noqa: E402


def warm_up(decoders, paths) -> None:
    """One call per entry of `decoders`, all at once: with a shared object each concurrent
    call leases its own session set, so every set opens its files and makes its NVDEC
    decoders before timing (sequential warm-up calls would all reuse one set)."""
    for _ in range(2):
        threads = [threading.Thread(target=d.DecodeN12ToRGB, args=(paths, [0] * len(paths))) for d in decoders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def run(paths, counts, gpu: int, callers: int, seconds: float, shared: bool = False) -> dict:
    if shared:  # one object, one session set per caller
        one = nvc.PyNvGopDecoder(len(paths), gpu, True, parallel_calls=callers)
        decoders = [one] * callers
    else:
        decoders = [nvc.PyNvGopDecoder(len(paths), gpu, True) for _ in range(callers)]
    warm_up(decoders, paths)
    done = [0] * callers
    deadline = time.perf_counter() + seconds

    def loop(i: int) -> None:
        rng = random.Random(i)
        while time.perf_counter() < deadline:
            frames = decoders[i].DecodeN12ToRGB(paths, [rng.randrange(c) for c in counts])
            done[i] += len(frames)

    sampler = NvmlSampler(gpu) if gpu >= 0 else None
    if sampler:
        sampler.start()
    start = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    util = sampler.stop() if sampler else {"available": False}
    label = f"{callers} callers, 1 object (parallel_calls={callers})" if shared else callers
    return {"callers": label, "frames": sum(done), "seconds": wall, "frames_per_s": sum(done) / wall, "nvml": util}


def run_prefetched(paths, counts, gpu: int, parallel: int, seconds: float) -> dict:
    """One decoder object with parallel_calls=N, fed by a Prefetcher with N workers."""
    dec = nvc.PyNvGopDecoder(len(paths), gpu, True, parallel_calls=parallel)
    rng = random.Random(7)
    deadline = time.perf_counter() + seconds

    def requests():
        while time.perf_counter() < deadline:
            yield paths, [rng.randrange(c) for c in counts]

    warm_up([dec] * parallel, paths)
    sampler = NvmlSampler(gpu) if gpu >= 0 else None
    if sampler:
        sampler.start()
    start = time.perf_counter()
    frames = 0
    with nvc.Prefetcher(dec, requests(), depth=2 * parallel, workers=parallel) as batches:
        for batch in batches:
            frames += len(batch)
    wall = time.perf_counter() - start
    util = sampler.stop() if sampler else {"available": False}
    return {"callers": f"1 object, parallel_calls={parallel}, Prefetcher workers={parallel}", "frames": frames,
            "seconds": wall, "frames_per_s": frames / wall, "nvml": util}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    p.add_argument("--gpu", type=int, default=0)
    p.add_argument("--callers", default="1,2,4")
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--profile", action="store_true", help="print where time goes per row (set ODVD_PROFILE=1)")
    p.add_argument("--shared", default="", help="caller counts for rows where the callers share one object")
    p.add_argument("--prefetch", default="1,2,4", help="parallel_calls values for the one-object Prefetcher rows")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    paths = find_videos(args.videos, 6)
    counts = [i["frame_count"] for i in index_infos(paths)]
    def profiled(row: dict) -> dict:
        if args.profile:
            prof = nvc._odvd._profile(True)
            row["profile_ms_per_frame"] = {k: 1e3 * v[0] / max(1, row["frames"]) for k, v in prof.items()}
        return row

    nvc._odvd._profile(True)
    rows = [profiled(run(paths, counts, args.gpu, int(k), args.seconds)) for k in args.callers.split(",")]
    rows += [profiled(run(paths, counts, args.gpu, int(k), args.seconds, shared=True))
             for k in args.shared.split(",") if k]
    rows += [run_prefetched(paths, counts, args.gpu, int(k), args.seconds) for k in args.prefetch.split(",") if k]
    print(f"\nrandom access, concurrent callers; machine {machine()}")
    print("| callers | frames | seconds | frames/s | NVML mean/max |")
    print("|---|---|---|---|---|")
    for r in rows:
        u = r["nvml"]
        util = f"{u['mean_percent']:.1f}% / {u['max_percent']}%" if u.get("available") else "n/a"
        print(f"| {r['callers']} | {r['frames']} | {r['seconds']:.2f} | {r['frames_per_s']:.1f} | {util} |")
    for r in rows:
        if "profile_ms_per_frame" in r:
            top = sorted(r["profile_ms_per_frame"].items(), key=lambda kv: -kv[1])[:8]
            print(f"profile {r['callers']}: " + ", ".join(f"{k} {v:.2f}" for k, v in top) + " (ms per frame)")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
