"""The demo's sample: a small multi-camera rig, generated on first use with ffmpeg.

Shipping videos inside the wheel would bloat it, and ffmpeg makes an equivalent
set in seconds. Each "camera" is an H.264 MP4 of the lavfi ``testsrc2`` pattern
with its own hue, so cameras differ from each other and frames differ over time
(testsrc2 animates and draws a counter), which makes a wrong frame visible on
the demo's contact sheet. The fixed GOP (no scene-cut key frames) gives the
random-access cost that real dash-cam footage has.

Generation is idempotent: a ``sample.json`` written after the last video
records what the folder holds; a folder without it (or from another generator
version) is regenerated. Each video is written to a temporary name and renamed,
so an interrupted run never leaves a truncated ``camN.mp4`` that looks complete.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Union

GENERATOR_VERSION = 1
MANIFEST_NAME = "sample.json"

PathLike = Union[str, "os.PathLike[str]"]


class SampleError(RuntimeError):
    """The sample cannot be generated (ffmpeg missing or failing)."""


@dataclass(frozen=True)
class SampleSpec:
    """Shape of a generated sample; the defaults are the demo's rig."""

    cameras: int = 6
    width: int = 640
    height: int = 360
    fps: int = 25
    frames: int = 250
    gop: int = 30


@dataclass(frozen=True)
class Sample:
    """A complete sample on disk."""

    directory: Path
    spec: SampleSpec
    paths: List[Path]


def default_sample_dir() -> Path:
    """``$XDG_CACHE_HOME/on_demand_video_decoder/sample`` (``~/.cache/...`` by default)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "on_demand_video_decoder" / "sample"


def camera_file_names(spec: SampleSpec) -> List[str]:
    """``cam0.mp4`` ... one per camera."""
    return [f"cam{i}.mp4" for i in range(spec.cameras)]


def find_ffmpeg(ffmpeg: Optional[str] = None) -> str:
    """Locate the ffmpeg binary (argument, then ``$FFMPEG``, then PATH) or explain what is missing."""
    name = ffmpeg or os.environ.get("FFMPEG") or "ffmpeg"
    found = shutil.which(name)
    if found is None:
        raise SampleError(
            f"cannot generate the sample videos: '{name}' was not found. Install ffmpeg with libx264 "
            "(e.g. 'apt-get install ffmpeg'), set $FFMPEG, or pass --dir with an existing sample")
    return found


def ffmpeg_command(ffmpeg: str, out: PathLike, *, width: int, height: int, fps: int, frames: int,
                   gop: int, hue_degrees: float = 0.0) -> List[str]:
    """The ffmpeg command line for one camera (separate so it can be inspected and tested)."""
    x264_params = f"keyint={gop}:min-keyint={gop}:scenecut=0"
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}",
        "-vf", f"hue=h={hue_degrees:g},format=yuv420p",
        "-frames:v", str(frames),
        "-c:v", "libx264", "-preset", "veryfast", "-x264-params", x264_params,
        # Signal the colour description so the decoder need not guess it.
        "-color_range", "tv", "-colorspace", "smpte170m",
        "-color_primaries", "smpte170m", "-color_trc", "smpte170m",
        "-an", "-movflags", "+faststart", "-f", "mp4", os.fspath(out),
    ]


def make_video(path: PathLike, *, width: int = 640, height: int = 360, fps: int = 25,
               frames: int = 250, gop: int = 30, hue_degrees: float = 0.0,
               ffmpeg: Optional[str] = None) -> Path:
    """Encode one test video at ``path`` (atomically: temporary file, then rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp.mp4")
    cmd = ffmpeg_command(find_ffmpeg(ffmpeg), tmp, width=width, height=height, fps=fps,
                         frames=frames, gop=gop, hue_degrees=hue_degrees)
    try:
        result = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            detail = result.stderr.strip().splitlines()[-1:] or [f"exit code {result.returncode}"]
            raise SampleError(f"ffmpeg failed to generate '{target}': {detail[0]}")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def load_sample(directory: PathLike) -> Optional[Sample]:
    """The sample in ``directory`` if its manifest is current and every video exists, else None."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST_NAME).read_text())
        if manifest.get("generator_version") != GENERATOR_VERSION:
            return None
        spec = SampleSpec(**manifest["spec"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    paths = [directory / name for name in camera_file_names(spec)]
    if not all(p.is_file() and p.stat().st_size > 0 for p in paths):
        return None
    return Sample(directory, spec, paths)


def generate_sample(directory: PathLike, spec: SampleSpec = SampleSpec(), *,
                    ffmpeg: Optional[str] = None,
                    log: Optional[Callable[[str], None]] = None) -> Sample:
    """Generate every camera of ``spec`` into ``directory`` and write the manifest last."""
    directory = Path(directory)
    binary = find_ffmpeg(ffmpeg)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST_NAME).unlink(missing_ok=True)
    paths = []
    for i, name in enumerate(camera_file_names(spec)):
        if log is not None:
            log(f"  {name} ({i + 1}/{spec.cameras})")
        paths.append(make_video(directory / name, width=spec.width, height=spec.height, fps=spec.fps,
                                frames=spec.frames, gop=spec.gop, hue_degrees=(60.0 * i) % 360,
                                ffmpeg=binary))
    manifest = {"generator_version": GENERATOR_VERSION, "spec": dataclasses.asdict(spec),
                "files": camera_file_names(spec)}
    tmp = directory / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, directory / MANIFEST_NAME)
    return Sample(directory, spec, paths)


def ensure_sample(directory: Optional[PathLike] = None, spec: Optional[SampleSpec] = None, *,
                  ffmpeg: Optional[str] = None,
                  log: Optional[Callable[[str], None]] = None) -> Sample:
    """Return the sample in ``directory`` (default: the user cache), generating it if needed.

    With ``spec=None`` any complete sample already there is used as is (so a test
    or a user can prepare a smaller one); a missing one is generated with the
    default spec. With an explicit ``spec`` the existing sample must match it.
    ``log`` receives progress lines, only when generation actually happens.
    """
    directory = Path(directory) if directory is not None else default_sample_dir()
    existing = load_sample(directory)
    if existing is not None and (spec is None or existing.spec == spec):
        return existing
    wanted = spec or SampleSpec()
    if log is not None:
        log(f"generating the sample videos in {directory} ({wanted.cameras} cameras, "
            f"{wanted.width}x{wanted.height}, {wanted.frames} frames; one-time, needs ffmpeg)")
    return generate_sample(directory, wanted, ffmpeg=ffmpeg, log=log)
