#!/usr/bin/env python3
"""Pattern 2's decoding half alone, at several depths: where a batch's time goes.

`dataloader_p2_depth4` ran at a tenth of depth 1 on an H100 (bench/RESULTS.md §22.4, §23.2),
with the DataLoader's workers, their start-up and a 2 s window in the same figure. This takes
them out: the batches (4 clips x 6 cameras, GOP bundles merged by collate_gops) are demuxed up
front in this process, then GopBatchDecoder.decode_all(batches, depth=k) decodes the same list
at each depth with a decoder of its own (parallel_calls=k), and the library's profile scopes
(ODVD_PROFILE; records.*, nvdec.*) say where the time went per batch.

Per depth: the first batch's latency (sessions made), the steady rate (first delivery to the
last), p50/p99 between deliveries, pictures decoded per frame, and the scopes per batch (scopes
on worker threads overlap, so their sums exceed the wall time).

Usage: python3 bench/p2_depth.py [--videos DIR] [--gpu 0] [--batches 60] [--depths 1,2,4]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ODVD_PROFILE", "1")

import on_demand_video_decoder as nvc  # noqa: E402
from bench_nvdec import DEFAULT_VIDEOS, find_videos  # noqa: E402
from dataloader_workload import _consume  # noqa: E402


def make_batches(paths: list[str], batches: int, batch: int, clip_len: int, seed: int) -> list[dict]:
    from on_demand_video_decoder.torch import ClipIndex, GopClipDataset, collate_gops
    ds = GopClipDataset(ClipIndex([paths], progress=False), clip_len=clip_len, step=1)
    rng = random.Random(seed)
    return [collate_gops([ds[rng.randrange(len(ds))] for _ in range(batch)]) for _ in range(batches)]


def run_depth(gpu: int, batches: list[dict], depth: int) -> dict:
    from on_demand_video_decoder.torch import GopBatchDecoder
    decoder = GopBatchDecoder(gpu, parallel_calls=depth)
    nvc._odvd._profile(True)  # reset
    start = time.perf_counter()
    frames, lat, more = _consume(decoder.decode_all(batches, depth=depth))  # lat[0]: the first batch
    wall = time.perf_counter() - start
    prof = nvc._odvd._profile(True)
    gaps = sorted(lat[1:])
    sent = decoder._decoder.get(len(batches[0]["entry_ids"]))._stats()["packets_sent"]
    return {"depth": depth, "first_ms": 1e3 * lat[0], "frames_per_s": frames / wall,
            "steady": more["steady_frames_per_s"],
            "p50_ms": 1e3 * statistics.median(gaps) if gaps else float("nan"),
            "p99_ms": 1e3 * gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))] if gaps else float("nan"),
            "decoded_per_frame": sent / frames, "profile": prof}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    p.add_argument("--gpu", type=int, default=0, help="CUDA device, -1 for the CPU back end")
    p.add_argument("--batches", type=int, default=60)
    p.add_argument("--batch", type=int, default=4, help="clips a batch")
    p.add_argument("--clip-len", type=int, default=1)
    p.add_argument("--depths", default="1,2,4")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    paths = find_videos(args.videos, 6)
    t = time.perf_counter()
    batches = make_batches(paths, args.batches, args.batch, args.clip_len, args.seed)
    print(f"{len(batches)} batches of {args.batch} clips x {len(paths)} cameras x {args.clip_len} frames demuxed "
          f"in {time.perf_counter() - t:.1f} s; decoding on {'cpu' if args.gpu < 0 else f'cuda:{args.gpu}'}")
    rows = [run_depth(args.gpu, batches, int(d)) for d in args.depths.split(",")]
    print("\n| depth | frames/s (all) | steady | first batch ms | p50 ms | p99 ms | decoded/returned |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        steady = f"{r['steady']:.1f}" if r["steady"] else "-"
        print(f"| {r['depth']} | {r['frames_per_s']:.1f} | {steady} | {r['first_ms']:.1f} | {r['p50_ms']:.2f} "
              f"| {r['p99_ms']:.2f} | {r['decoded_per_frame']:.2f} |")
    names = sorted({n for r in rows for n in r["profile"]}, key=lambda n: -max(
        r["profile"].get(n, (0.0, 0))[0] for r in rows))
    print("\nscopes, ms per batch (count per batch) at depth " + " / ".join(str(r["depth"]) for r in rows))
    for n in names:
        cells = []
        for r in rows:
            sec, cnt = r["profile"].get(n, (0.0, 0))
            cells.append(f"{1e3 * sec / len(batches):.2f} ({cnt / len(batches):.1f})")
        print(f"  {n}: " + " / ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
