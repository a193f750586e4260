#!/usr/bin/env python3
"""Makes the benchmark videos of issue #6 with the ffmpeg CLI (libx265 / libx264).

The configurations are those NVIDIA's accvlab decoder published its numbers on: cameras of
1600x900 at 10 fps, 235 frames per clip, HEVC, GOP 30, no B-frames (`hevc_gop30_b0`, the base),
and its sweeps around that base: GOP 1/12/60/250, B-frames 2/4, and H.264 instead of HEVC; and
1080p H.264 (`h264_gop30_b0_1080p`, the training-batch benchmark's second clip).
CONFIGS below is the one list the suite (bench/suite.py) and tools/device/prepare.sh use.

Each camera is testsrc2 (moving pattern, scrolling gradient, clock) rendered at a quarter of the
size and scaled up, with its own start frame and hue, so no two cameras' frames are alike; every
GOP is closed, key frames fall every GOP frames exactly (no scene-cut keys), and B-frames use a
fixed pattern (b-adapt 0), so a config means exactly what its name says. Output:
DIR/<config>/cam<k>.mp4. Existing files are kept (delete them to re-encode).

Usage:
    python3 bench/make_videos.py --out DIR [--configs all|base|NAME,...] [--cameras 6] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

WIDTH, HEIGHT, FPS, FRAMES, CRF = 1600, 900, 10, 235, 30


@dataclass(frozen=True)
class Config:
    codec: str  # "hevc" or "h264"
    gop: int
    bframes: int
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def name(self) -> str:
        size = "" if (self.width, self.height) == (WIDTH, HEIGHT) else f"_{self.height}p"
        return f"{self.codec}_gop{self.gop}_b{self.bframes}{size}"


BASE = Config("hevc", 30, 0)
CONFIGS = [BASE, Config("hevc", 1, 0), Config("hevc", 12, 0), Config("hevc", 60, 0), Config("hevc", 250, 0),
           Config("hevc", 30, 2), Config("hevc", 30, 4), Config("h264", 30, 0),
           Config("h264", 30, 0, 1920, 1080)]  # 1080p H.264: the training-batch benchmark's second clip
BY_NAME = {c.name: c for c in CONFIGS}


def select(spec: str) -> list[Config]:
    if spec == "all":
        return list(CONFIGS)
    if spec == "base":
        return [BASE]
    unknown = [n for n in spec.split(",") if n not in BY_NAME]
    if unknown:
        raise SystemExit(f"make_videos: unknown config(s) {unknown}; known: {sorted(BY_NAME)}")
    return [BY_NAME[n] for n in spec.split(",")]


def encode_args(config: Config) -> list[str]:
    g = str(config.gop)
    if config.codec == "hevc":
        params = (f"keyint={g}:min-keyint={g}:scenecut=0:open-gop=0:bframes={config.bframes}:b-adapt=0"
                  ":log-level=error")
        return ["-c:v", "libx265", "-preset", "fast", "-crf", str(CRF), "-x265-params", params, "-tag:v", "hvc1"]
    return ["-c:v", "libx264", "-preset", "fast", "-crf", str(CRF), "-g", g, "-keyint_min", g,
            "-sc_threshold", "0", "-bf", str(config.bframes), "-b_strategy", "0", "-x264-params", "open-gop=0"]


def encode(ffmpeg: str, config: Config, camera: int, out: Path) -> None:
    src = (f"testsrc2=size={config.width // 4}x{config.height // 4}:rate={FPS},trim=start_frame={camera * 40},"
           f"setpts=PTS-STARTPTS,hue=h={camera * 60},scale={config.width}:{config.height}:flags=bicubic")
    tmp = out.with_suffix(".tmp.mp4")
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", src,
           "-frames:v", str(FRAMES), "-pix_fmt", "yuv420p", "-color_range", "tv", "-colorspace", "bt709",
           "-color_primaries", "bt709", "-color_trc", "bt709", *encode_args(config),
           "-fflags", "+bitexact", "-map_metadata", "-1", str(tmp)]
    subprocess.run(cmd, check=True)
    tmp.replace(out)


def camera_path(root: Path, config: Config, camera: int) -> Path:
    return root / config.name / f"cam{camera}.mp4"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--configs", default="all")
    p.add_argument("--cameras", type=int, default=6)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--ffmpeg", default=os.environ.get("FFMPEG", "ffmpeg"))
    args = p.parse_args(argv)
    if shutil.which(args.ffmpeg) is None:
        raise SystemExit(f"make_videos: no ffmpeg CLI ({args.ffmpeg}); bash tools/install_deps.sh installs it")
    todo = []
    for config in select(args.configs):
        (args.out / config.name).mkdir(parents=True, exist_ok=True)
        todo += [(config, cam) for cam in range(args.cameras) if not camera_path(args.out, config, cam).exists()]
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        list(pool.map(lambda t: encode(args.ffmpeg, t[0], t[1], camera_path(args.out, *t)), todo))
    for config in select(args.configs):
        sizes = [camera_path(args.out, config, c).stat().st_size for c in range(args.cameras)]
        print(f"make_videos: {config.name}: {args.cameras} camera(s), {sum(sizes) / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
