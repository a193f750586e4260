#!/usr/bin/env python3
"""Where a shuffled epoch's time goes (issue #21): runs the suite's `epoch_T1` setup (24
recordings of the 6 benchmark cameras, every path distinct, samples resized to 448x800 uint8)
through EpochSampler once per variant, with the library's profiler on (ODVD_PROFILE), and
prints per variant: frames/s over the epoch, NVDEC utilisation (NVML), how long a group's
decoding call took (median / p90), and per group the wall time and count of each named scope
of the library, with the CPU time of the threads that ran it (scopes on worker threads overlap:
the six cameras of a group decode at once; CPU near wall time in a scope that waits, such as
`nvdec.map_copy_sync`, means the wait spins on a core).

A variant is `inflight=K,ahead=A,cache=MiB` (groups decoding at once, groups handed out ahead,
the decoder's session_cache_mib); the default list compares the suite's setting with more
groups in flight and with a session cache holding every file's session (what making and
dropping decode sessions costs when each group opens files no session has seen).

Usage: python3 bench/epoch_profile.py [--videos .carry/videos/hevc_gop30_b0] [--gpu 0]
           [--seconds 12] [--buffer-mib 4096] [--variant inflight=4 --variant inflight=8,ahead=16 ...] [--json F]
A variant stops at its time cap (groups not started by then are not decoded) or at the end of the
epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ODVD_PROFILE", "1")

import on_demand_video_decoder as nvc  # noqa: E402
from bench_nvdec import DEFAULT_VIDEOS, NvmlSampler, find_videos  # noqa: E402
from epoch_workload import SIZE, recordings  # noqa: E402

DEFAULT_VARIANTS = ["inflight=4", "inflight=4,cache=16384", "inflight=8", "inflight=8,ahead=16"]


def parse_variant(text: str) -> dict:
    v = {"inflight": 4, "ahead": None, "cache": None}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        if key not in v:
            raise SystemExit(f"--variant: unknown key {key!r} in {text!r} (inflight, ahead, cache)")
        v[key] = int(value)
    return v


def run_variant(index, gpu: int, seconds: float, v: dict, buffer_mib: int = 4096) -> dict:
    from on_demand_video_decoder.torch import EpochSampler, MultiCameraClipDataset

    options = {"session_cache_mib": v["cache"]} if v["cache"] else {}
    ds = MultiCameraClipDataset(index, clip_len=1, step=1, iGpu=gpu, parallel_calls=v["inflight"], size=SIZE,
                                decoder_options=options)
    sampler = EpochSampler(ds, buffer_bytes=buffer_mib << 20, groups_in_flight=v["inflight"], groups_ahead=v["ahead"],
                           seed=1)
    biggest = max(sampler.groups, key=len)
    ds.__getitems__(biggest)  # the decoder at its final size, its CUDA context made
    calls: list[float] = []
    decoded = [0]  # camera frames of the groups decoded (the buffer holds some at the end)
    decode_group = sampler._decode_group
    deadline = [float("inf")]

    def timed(indices):
        t = time.perf_counter()
        if t > deadline[0]:
            return []  # past the time cap: the epoch ends without decoding its other groups
        try:
            items = decode_group(indices)
            decoded[0] += sum(it["frames"].shape[0] * it["frames"].shape[1] for it in items)
            return items
        finally:
            calls.append(time.perf_counter() - t)

    sampler._decode_group = timed
    nvc._odvd._profile(True)  # reset
    util = NvmlSampler(gpu) if gpu >= 0 else None
    if util:
        util.start()
    frames, start = 0, time.perf_counter()
    deadline[0] = start + seconds
    for item in sampler:
        frames += item["frames"].shape[0] * item["frames"].shape[1]
        if time.perf_counter() > deadline[0]:
            break
    wall = time.perf_counter() - start
    nvml = util.stop() if util else {}
    scopes = nvc._odvd._profile(True)
    stats = ds._decoder.get(1)._stats()
    groups = max(1, len(calls))
    calls.sort()
    return {
        "variant": v, "frames": frames, "seconds": wall, "frames_per_s": frames / wall,
        "decoded_frames_per_s": decoded[0] / wall, "groups": len(calls),
        "group_call_ms_p50": 1e3 * statistics.median(calls) if calls else None,
        "group_call_ms_p90": 1e3 * calls[int(0.9 * (len(calls) - 1))] if calls else None,
        "nvml_mean": nvml.get("mean_percent"), "warm_sessions": stats.get("warm_sessions"),
        "nvdec_sessions_made": stats.get("nvdec_sessions_made"),  # None before the counter existed
        "scopes_per_group": {name: {"ms": 1e3 * s / groups, "cpu_ms": 1e3 * cpu / groups, "count": c / groups}
                             for name, (s, c, cpu) in scopes.items()},
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    p.add_argument("--gpu", type=int, default=0)
    p.add_argument("--seconds", type=float, default=12.0, help="time cap per variant (an epoch is ~6 s on an H100)")
    p.add_argument("--buffer-mib", type=int, default=4096, help="the shuffle buffer (default 4096, the suite's)")
    p.add_argument("--variant", action="append", help=f"default: {' '.join(DEFAULT_VARIANTS)}")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    from on_demand_video_decoder.torch import ClipIndex

    paths = find_videos(args.videos, 6)
    index = ClipIndex(recordings(paths, Path(tempfile.mkdtemp(prefix="odvd-epoch-profile-"))), progress=False)
    rows = []
    for text in args.variant or DEFAULT_VARIANTS:
        row = run_variant(index, args.gpu, args.seconds, parse_variant(text), args.buffer_mib)
        rows.append(row)
        print(f"== {text}: {row['frames_per_s']:.0f} frames/s emitted, {row['decoded_frames_per_s']:.0f} decoded, over "
              f"{row['seconds']:.1f} s ({row['groups']} groups), "
              f"NVML {row['nvml_mean']}%, group call p50 {row['group_call_ms_p50']:.1f} ms / p90 "
              f"{row['group_call_ms_p90']:.1f} ms, warm sessions after {row['warm_sessions']}, NVDEC decoders made "
              f"{row['nvdec_sessions_made']}", flush=True)
        for name, s in sorted(row["scopes_per_group"].items(), key=lambda kv: -kv[1]["ms"]):
            print(f"   {name:40s} {s['ms']:9.2f} ms/group  {s['cpu_ms']:9.2f} CPU ms/group  {s['count']:7.2f} per group")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
