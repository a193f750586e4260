#!/usr/bin/env python3
"""Random access to single frames on the CPU back end vs PyAV seek + decode.

Workload: a 1080p H.264 file, GOP 30 (x264 defaults otherwise, so B-frames), generated
on demand into bench/videos/ (never committed). Each call asks for one random frame
(seeded); both decoders get the same frame ids, interleaved in one run (alternating
which goes first), and both return RGB24 in host memory. PyAV seeks to the key frame
at or before the target (by pts) and decodes until the target's pts comes out — the
usual best random-access path with PyAV; its demuxing for the pts table is done once
beforehand and not timed. Frame threading is enabled for both.

Prints a Markdown table and writes JSON (--json). Usage:
    python3 bench/bench_random_access_cpu.py [--frames 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

import on_demand_video_decoder as nvc
from peers.pyav import PyAvSeeker

HERE = Path(__file__).resolve().parent
VIDEO_DIR = HERE / "videos"


def ensure_video(width: int, height: int, frames: int, gop: int) -> Path:
    """Generates the benchmark clip once (ffmpeg CLI, libx264)."""
    path = VIDEO_DIR / f"h264_{width}x{height}_gop{gop}_{frames}f.mp4"
    if path.exists():
        return path
    VIDEO_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={width}x{height}:rate=25,format=yuv420p", "-frames:v", str(frames),
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                    "-x264-params", f"keyint={gop}:min-keyint={gop}:scenecut=0", str(tmp)], check=True)
    tmp.rename(path)
    return path


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run(path: Path, frame_ids: list[int]) -> dict:
    ours = nvc.PyNvGopDecoder(maxfiles=1, iGpu=-1, suppressNoColorRangeWarning=True)
    pyav = PyAvSeeker(path)
    info = nvc._odvd.GetIndexInfo(str(path))
    assert info["frame_count"] == len(pyav.pts), "frame counts disagree"
    # Warm-up (index scan, decoder creation) outside the timed loop, for both.
    ours.DecodeN12ToRGB([str(path)], [0])
    pyav.frame(0)
    t_ours, t_pyav, max_diff = [], [], 0
    for i, fid in enumerate(frame_ids):
        runs = [("ours", lambda: np.asarray(ours.DecodeN12ToRGB([str(path)], [fid])[0])),
                ("pyav", lambda: pyav.frame(fid))]
        if i % 2:
            runs.reverse()
        results = {}
        for name, fn in runs:
            seconds, image = timed(fn)
            (t_ours if name == "ours" else t_pyav).append(seconds)
            results[name] = image
        max_diff = max(max_diff, int(np.abs(results["ours"].astype(int) - results["pyav"].astype(int)).max()))
    med_ours, med_pyav = statistics.median(t_ours), statistics.median(t_pyav)
    return {
        "video": path.name, "frames_requested": len(frame_ids), "frame_count": info["frame_count"],
        "ours_median_ms": 1e3 * med_ours, "pyav_median_ms": 1e3 * med_pyav,
        "ours_p90_ms": 1e3 * sorted(t_ours)[int(0.9 * len(t_ours))],
        "pyav_p90_ms": 1e3 * sorted(t_pyav)[int(0.9 * len(t_pyav))],
        "ours_frames_per_s": len(t_ours) / sum(t_ours), "pyav_frames_per_s": len(t_pyav) / sum(t_pyav),
        "speedup_median": med_pyav / med_ours, "max_abs_rgb_diff_vs_pyav": max_diff,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200, help="random frames to request")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    path = ensure_video(1920, 1080, 300, 30)
    rng = random.Random(args.seed)
    count = nvc._odvd.GetIndexInfo(str(path))["frame_count"]
    result = run(path, [rng.randrange(count) for _ in range(args.frames)])
    print("| decoder | median ms/frame | p90 ms/frame | frames/s |")
    print("|---|---|---|---|")
    print(f"| on_demand_video_decoder (CPU) | {result['ours_median_ms']:.1f} | {result['ours_p90_ms']:.1f} | "
          f"{result['ours_frames_per_s']:.1f} |")
    print(f"| PyAV seek+decode | {result['pyav_median_ms']:.1f} | {result['pyav_p90_ms']:.1f} | "
          f"{result['pyav_frames_per_s']:.1f} |")
    print(f"\nspeed-up (median): {result['speedup_median']:.2f}x; "
          f"max |RGB difference| vs PyAV: {result['max_abs_rgb_diff_vs_pyav']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
