#!/usr/bin/env python3
"""Peer: PyNvVideoCodec on the random-access workload of bench/bench_nvdec.py, same run.

The peer is bench/peers/pynvvideocodec.py (one SimpleDecoder per camera, the 6 cameras of a
call decoded in parallel; every call's frames wrapped with torch.from_dlpack and the device
synchronised, so they are complete); host CPU time (user +
system, all threads) per returned frame is reported too. Then the same call
sequence (same seed, same ids) on on_demand_video_decoder's PyNvGopDecoder(6, 0), and the
ratio. Warm-up calls are not timed.

PyNvVideoCodec is installed on the GPU machine from .carry/wheels (tools/device/prepare.sh;
run_gpu.sh puts it on the path). Usage:
    python3 bench/peers/pynvvideocodec_random.py [--calls 200] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import on_demand_video_decoder as odvd  # noqa: E402
from bench_nvdec import DEFAULT_VIDEOS, NvmlSampler, find_videos, index_infos, machine, random_calls  # noqa: E402


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def time_calls(call, calls) -> tuple[list[float], float]:
    seconds = []
    cpu = cpu_seconds()
    for ids in calls:
        t = time.perf_counter()
        call(ids)
        torch.cuda.synchronize()
        seconds.append(time.perf_counter() - t)
    return seconds, cpu_seconds() - cpu


def summary(name: str, seconds: list[float], cpu: float, frames_per_call: int, util: dict) -> dict:
    total = sum(seconds)
    frames = frames_per_call * len(seconds)
    return {"library": name, "calls": len(seconds), "frames_per_s": frames / total,
            "median_ms": 1e3 * statistics.median(seconds),
            "p90_ms": 1e3 * sorted(seconds)[int(0.9 * (len(seconds) - 1))],
            "cpu_ms_per_frame": 1e3 * cpu / frames, "nvml": util}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--gpu", type=int, default=0)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    try:
        from peers import pynvvideocodec as peer
    except Exception as e:  # noqa: BLE001 - report why the peer cannot run, do not fail the suite
        print(f"peer skipped: PyNvVideoCodec cannot be imported here ({e})")
        return 0
    paths = find_videos(args.videos, 6)
    counts = [i["frame_count"] for i in index_infos(paths)]
    warm = random_calls(counts, args.warmup, args.seed + 1000)
    calls = random_calls(counts, args.calls, args.seed)

    peer_call = peer.Caller(paths, args.gpu)

    ours = odvd.PyNvGopDecoder(len(paths), args.gpu, True)

    def our_call(ids):
        return [torch.as_tensor(f, device="cuda") for f in ours.DecodeN12ToRGB(paths, ids)]

    results = []
    for name, call in (("PyNvVideoCodec " + peer.VERSION, peer_call),
                       ("on_demand_video_decoder", our_call)):
        time_calls(call, warm)
        sampler = NvmlSampler(args.gpu)
        sampler.start()
        seconds, cpu = time_calls(call, calls)
        results.append(summary(name, seconds, cpu, len(paths), sampler.stop()))
    a, b = peer_call(calls[0]), our_call(calls[0])
    diff = max(float((x.float() - y.float()).abs().max()) for x, y in zip(a, b)) if a[0].shape == b[0].shape else None

    print(f"\nrandom access, 6 cameras, one random frame per camera per call, seed {args.seed}; {machine()}")
    print("| library | calls | frames/s | median ms/call | p90 ms/call | host CPU ms/frame | NVML mean / max |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        u = r["nvml"]
        util = f"{u['mean_percent']:.1f}% / {u['max_percent']}%" if u.get("available") else "n/a"
        print(f"| {r['library']} | {r['calls']} | {r['frames_per_s']:.1f} | {r['median_ms']:.2f} | "
              f"{r['p90_ms']:.2f} | {r['cpu_ms_per_frame']:.2f} | {util} |")
    ratio = results[1]["frames_per_s"] / results[0]["frames_per_s"]
    print(f"ours_vs_pynvvideocodec_frames_per_s: {ratio:.2f}x")
    print(f"max |RGB difference| between the two libraries on one call: {diff} (different colour math)")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results, "ratio": ratio, "max_abs_diff": diff},
                                        indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
