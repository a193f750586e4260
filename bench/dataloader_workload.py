"""The `dataloader` workloads of bench/suite.py (issue #20): the PyTorch data path against the
same frames decoded directly.

The config's 6 camera files are one sample of a ClipIndex; clips of one frame per camera
(sync by frame id), visited in a seeded random order, 4 clips per batch. Every workload
decodes exactly these frames as uint8 RGB-equivalent tensors (no resize):

  dataloader_direct  the calls themselves through DecodeN12ToRGB, 4 in flight (Prefetcher,
                     parallel_calls=4): the `random_x4` of these frames
  dataloader_p1      pattern 1: MultiCameraClipDataset + ClipBatchLoader(depth=4) in this
                     process (one DecodeToTensor call per batch, batches decoding ahead)
  dataloader_p2      pattern 2: GopClipDataset in 4 DataLoader workers (spawn; demux only) +
                     GopBatchDecoder in this process
  dataloader_p2_depth<k>  the same with decode_all(depth=k) and parallel_calls=k: k batches
                     decoding ahead (only by name)
  dataloader_<direct|p1|p2>_T<n>  clips of n consecutive frames per camera instead of one
                     (only by name; direct: a call per clip of 6n entries)

Rows report frames/s (samples/s = frames/s / 6); summary() gives each pattern's rate over the
direct one (goal for pattern 1: >= 0.95).
"""

from __future__ import annotations

import random
import re
import time

import on_demand_video_decoder as nvc
from overlap import TimedDecoder, run_in_flight, steady_rate

BATCH = 4


def _frames_of(batch) -> int:
    """Camera frames in a collated batch: frames are (clips, cameras, T, ...)."""
    shape = batch["frames"].shape
    return shape[0] * shape[1] * shape[2]


def _consume(batches, deadline=None):
    """Takes collated batches until they end or, after 3, the deadline passes: (frames, the
    seconds between deliveries, {"steady_frames_per_s"}), as suite.measure's run() returns."""
    got, lat, t, seen = 0, [], time.perf_counter(), []
    for b in batches:
        now = time.perf_counter()
        seen.append((now, _frames_of(b)))
        got += seen[-1][1]
        lat.append(now - t)
        t = now
        if deadline is not None and now > deadline and len(lat) >= 3:
            break
    return got, lat, {"steady_frames_per_s": steady_rate(seen)}


def _collate(items):  # module level: spawn workers import it
    from on_demand_video_decoder.torch import collate_gops
    return collate_gops(items)


def ours_dataloader(clip, gpu: int, seconds: float, batches: int, measure, counted, pattern: str,
                    depth: int = 1, clip_len: int = 1) -> dict | str:
    try:
        import torch
        from on_demand_video_decoder.torch import (ClipBatchLoader, ClipIndex, GopBatchDecoder, GopClipDataset,
                                                   MultiCameraClipDataset)
    except ImportError as e:
        return f"PyTorch is not installed ({e})"
    index = ClipIndex([clip.paths], progress=False)
    n = len(clip.paths)
    starts = min(clip.frame_counts) - clip_len + 1  # clips of clip_len frames, step 1
    rng = random.Random(clip.seed * 7919)
    order = [[rng.randrange(starts) for _ in range(BATCH)] for _ in range(batches)]
    warm = [[rng.randrange(starts) for _ in range(BATCH)] for _ in range(4)]
    suffix = (f"_depth{depth}" if depth > 1 else "") + (f"_T{clip_len}" if clip_len > 1 else "")

    if pattern == "direct":
        paths = [p for p in clip.paths for _ in range(clip_len)]

        def entries(f):
            return [f + t for _ in clip.paths for t in range(clip_len)]

        calls = [entries(f) for batch in order for f in batch]

        def make():
            return TimedDecoder(nvc.PyNvGopDecoder(n * clip_len, gpu, True, parallel_calls=4))

        def warm_up(d):
            run_in_flight(d, paths, [entries(f) for batch in warm for f in batch], 4)
            d.seconds.clear()

        def run(d, deadline):
            return run_in_flight(d, paths, calls, 4, deadline), list(d.seconds)

        return measure("dataloader_direct" + suffix, gpu, make, run, warm=warm_up,
                       decoded=lambda d: counted(d.decoder), seconds=seconds)

    if pattern == "p1":
        def make():
            return MultiCameraClipDataset(index, clip_len=clip_len, step=1, iGpu=gpu, parallel_calls=5)

        def loop(ds, batches_, deadline=None):
            return _consume(ClipBatchLoader(ds, batches_, depth=4), deadline)

        return measure("dataloader_p1" + suffix, gpu, make, lambda ds, dl: loop(ds, order, dl),
                       warm=lambda ds: loop(ds, warm) and None,
                       decoded=lambda ds: counted(ds._decoder.get(BATCH * n * clip_len)), seconds=seconds)

    def make():
        gops = GopClipDataset(index, clip_len=clip_len, step=1)
        loader = torch.utils.data.DataLoader(gops, batch_sampler=order, num_workers=4, collate_fn=_collate,
                                             multiprocessing_context="spawn", persistent_workers=True, prefetch_factor=4)
        return loader, GopBatchDecoder(gpu, parallel_calls=depth)

    def loop(obj, deadline):
        loader, decoder = obj
        return _consume(decoder.decode_all(loader, depth=depth), deadline)

    def warm_up(obj):
        loader, decoder = obj
        next(iter(decoder.decode_all(loader)))  # starts the workers

    return measure("dataloader_p2" + suffix, gpu, make, loop, warm=warm_up,
                   decoded=lambda obj: counted(obj[1]._decoder.get(BATCH * n * clip_len)), seconds=seconds)


def summary(config: dict) -> list[str]:
    """Each pattern's rate over the direct one of the same clip length (rows ending _T<n>
    against dataloader_direct_T<n>)."""
    lines = []
    for backend in ("nvdec", "cpu"):
        rows = {r["workload"]: r for r in config["rows"] if r["backend"] == backend}
        for direct_name in sorted(w for w in rows if re.fullmatch(r"dataloader_direct(_T\d+)?", w)):
            tail = direct_name[len("dataloader_direct"):]
            per_sample = 6 * (int(tail[2:]) if tail else 1)  # frames of a sample: 6 cameras x T
            direct = rows[direct_name]
            parts = [f"{backend}: direct{tail} {direct['frames_per_s']:.1f} frames/s"]
            others = sorted(w for w in rows if w != direct_name and w.startswith("dataloader_")
                            and re.fullmatch(r"dataloader_(p1|p2)(_depth\d+)?" + re.escape(tail), w))
            for name in others:
                r = rows[name]
                goal = " (goal >= 0.95)" if name == "dataloader_p1" else ""
                steady = r.get("steady_frames_per_s")
                parts.append(f"{name} {r['frames_per_s']:.1f} frames/s = {r['frames_per_s'] / per_sample:.1f} samples/s, "
                             f"{r['frames_per_s'] / direct['frames_per_s']:.3f}x{goal}"
                             + (f" (steady {steady:.1f} frames/s, first to last batch)" if steady else ""))
            lines.append("- " + "; ".join(parts))
    return lines
