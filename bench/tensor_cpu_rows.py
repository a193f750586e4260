#!/usr/bin/env python3
"""DecodeToTensor on the CPU back end by output form (RESULTS §19.1): uint8 at full size (no
float step), float32 at full size, and float16 resized to (448, 800) with ImageNet's mean/std.
One worker and one decoder thread; each call 5 consecutive frames of 2 cameras; best of 3
passes over frames 0-29. Prints frames/s per form, with `label` first (run two builds side by
side: PYTHONPATH=OLD_PKG python3 bench/tensor_cpu_rows.py before; python3 bench/tensor_cpu_rows.py after).

    python3 bench/tensor_cpu_rows.py LABEL [VIDEO_DIR]   (default .carry/videos/hevc_gop30_b0)
"""

from __future__ import annotations

import glob
import sys
import time

import on_demand_video_decoder as nvc

FORMS = (
    ("u8", dict(dtype="uint8")),
    ("f32", dict(dtype="float32")),
    ("f16_448x800_norm", dict(dtype="float16", size=(448, 800), mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])),
)


def main() -> None:
    label = sys.argv[1] if len(sys.argv) > 1 else "run"
    folder = sys.argv[2] if len(sys.argv) > 2 else ".carry/videos/hevc_gop30_b0"
    paths = sorted(glob.glob(f"{folder}/cam*.mp4"))[:2]
    if len(paths) < 2:
        sys.exit(f"need 2 camera files in {folder} (bench/make_videos.py)")
    d = nvc.PyNvGopDecoder(10, -1, True, worker_threads=1, decoder_threads=1)
    files = [p for p in paths for _ in range(5)]
    best: dict[str, float] = {}
    for _ in range(3):
        for name, kw in FORMS:
            t, n = time.perf_counter(), 0
            for k in range(0, 30, 5):
                d.DecodeToTensor(files, [k + j for _ in paths for j in range(5)], **kw)
                n += len(files)
            best[name] = max(best.get(name, 0.0), n / (time.perf_counter() - t))
    print(label, {k: round(v, 1) for k, v in best.items()})


if __name__ == "__main__":
    main()
