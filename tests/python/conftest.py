"""Shared fixtures: the generated test videos and their oracles (tests/videos)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

VIDEOS_DIR = Path(__file__).resolve().parents[1] / "videos"
sys.path.insert(0, str(VIDEOS_DIR))

import generate  # noqa: E402
import watermark  # noqa: E402


@pytest.fixture(scope="session")
def manifest() -> dict:
    return generate.ensure_generated(generate.DEFAULT_OUT)


@pytest.fixture(scope="session")
def video_dir(manifest) -> Path:
    return generate.DEFAULT_OUT


def video_path(manifest: dict, name: str) -> str:
    return str(generate.DEFAULT_OUT / manifest["videos"][name]["file"])


def bad_path(manifest: dict, name: str) -> str:
    return str(generate.DEFAULT_OUT / manifest["bad"][name]["file"])


def read_framemd5(path: Path) -> list[str]:
    """MD5 per frame, in frame order, from an `ffmpeg -f framemd5` file."""
    out = []
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            out.append(line.split(",")[-1].strip())
    return out


def planar_yuv_bytes(frame) -> bytes:
    """The frame as FFmpeg's planar yuv420p / yuv420p10le bytes (what framemd5 hashes)."""
    a = np.asarray(frame)
    h, w = frame.height, frame.width
    if a.dtype == np.uint16:
        a = a >> (16 - frame.bit_depth)
    cw = (w + 1) // 2
    y, uv = a[:h, :w], a[h:, : 2 * cw]
    planes = (y, uv[:, 0::2], uv[:, 1::2])
    dtype = "<u2" if a.dtype == np.uint16 else np.uint8
    return b"".join(np.ascontiguousarray(p).astype(dtype).tobytes() for p in planes)


def luma(frame) -> np.ndarray:
    return np.asarray(frame)[: frame.height, : frame.width]


def frame_watermark(frame) -> int:
    """The frame number drawn into a decoded YUV frame."""
    a = luma(frame)
    if a.dtype == np.uint16:
        a = a >> (16 - frame.bit_depth)
    return watermark.read_watermark(a, bit_depth=frame.bit_depth)
