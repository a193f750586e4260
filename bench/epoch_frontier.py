#!/usr/bin/env python3
"""What a shuffle buffer of N bytes buys (issue #21): EpochSampler's order, simulated.

The order EpochSampler emits depends only on the GOP layout, the samples' size and the buffer
(EpochSampler.simulate runs the same ShuffleBuffer code without decoding), so the randomness
side of the frontier needs no GPU. For the base config's layout (recordings of 6 cameras, 235
frames at GOP 30) and samples held as (448, 800) uint8 (6.45 MB a 1-frame sample), it prints,
per buffer size, the most samples of one recording in a batch of 32 (mean and max over the
epoch's batches), the median lag between samples of one GOP, and a uniform permutation's
figures; 4-frame clips too.

    python3 bench/epoch_frontier.py [--recordings 24] [--batch 32]
"""

from __future__ import annotations

import argparse
from fractions import Fraction

import numpy as np

from on_demand_video_decoder.torch import EpochSampler, MultiCameraClipDataset, randomness_report
from on_demand_video_decoder.torch._index import CameraFile, ClipIndex, Sample

FRAMES, GOP, CAMERAS = 235, 30, 6
SAMPLE_BYTES = CAMERAS * 448 * 800 * 3


def layout(recordings: int) -> ClipIndex:
    cams = tuple(CameraFile(f"rec{r}_cam{k}.mp4", FRAMES, Fraction(1, 10), np.arange(FRAMES, dtype=np.int64),
                            tuple(range(0, FRAMES, GOP))) for r in range(recordings) for k in range(CAMERAS))
    return ClipIndex._from_samples([Sample(f"rec{r}", cams[r * CAMERAS:(r + 1) * CAMERAS])
                                    for r in range(recordings)])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recordings", type=int, default=24)
    p.add_argument("--batch", type=int, default=32)
    args = p.parse_args()
    index = layout(args.recordings)
    print(f"{args.recordings} recordings x {CAMERAS} cameras x {FRAMES} frames, GOP {GOP}; "
          f"samples (448, 800) uint8; batches of {args.batch}")
    print("| clip | buffer | samples held | per recording in a batch: mean / max (mean, largest) | GOP lag median | "
          "uniform permutation: the same |")
    print("|---|---|---|---|---|---|")
    for clip_len in (1, 4):
        ds = MultiCameraClipDataset(index, clip_len=clip_len, step=clip_len, iGpu=-1)
        sample = SAMPLE_BYTES * clip_len
        for gib in (0.25, 1, 2, 4, 8, 16):
            sampler = EpochSampler(ds, buffer_bytes=int(gib * 2**30), seed=1)
            order = sampler.simulate(sample)
            r = randomness_report(order, ds, args.batch, seed=1)
            o, u = r["order"], r["uniform"]
            print(f"| {clip_len} frame{'s' if clip_len > 1 else ''} | {gib:g} GiB | {int(gib * 2**30) // sample} | "
                  f"{o['same_recording_mean']:.2f} / {o['same_recording_max_mean']:.1f}, {o['same_recording_max']:.0f} | "
                  f"{o['gop_lag_median']:.0f} | {u['same_recording_mean']:.2f} / {u['same_recording_max_mean']:.1f}, "
                  f"{u['same_recording_max']:.0f}; lag {u['gop_lag_median']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
