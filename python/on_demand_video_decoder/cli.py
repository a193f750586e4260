"""The ``odvd`` command-line tool: inspect a video, dump frames, run the random-access demo.

    odvd info FILE [--json]
    odvd decode FILE --frames 0,17,250 --out DIR [--bgr] [--format png|npy]
    odvd demo [--dir DIR] [--iterations N] [--out PNG] [--gpu N] [--seed S]
    odvd gops extract FILES_OR_DIRS... --out DIR [--workers N]

``main(argv)`` returns the exit code instead of exiting, so tests and other
programs can call it in-process. Bad input (a frame id out of range, a file that
cannot be read) is reported as one ``odvd: error: ...`` line with exit code 2,
never a traceback: the library's exceptions already name the file and cause.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import _odvd
from ._gop_store import extract_gops
from ._png import write_png
from ._progress import Progress
from ._sample import ensure_sample

PROG = "odvd"
EXIT_OK = 0
EXIT_ERROR = 2
MAX_BATCH = 64

# FFmpeg's AVPixelFormat numbers (libavutil 57; checked against its pixfmt.h).
PIXEL_FORMAT_NAMES = {0: "yuv420p", 4: "yuv422p", 5: "yuv444p", 8: "gray", 12: "yuvj420p",
                      13: "yuvj422p", 14: "yuvj444p", 23: "nv12", 24: "nv21", 45: "yuv420p16le",
                      49: "yuv444p16le", 62: "yuv420p10le", 64: "yuv422p10le", 68: "yuv444p10le",
                      123: "yuv420p12le", 131: "yuv444p12le", 159: "p010le", 170: "p016le"}

# AVColorRange / AVColorSpace numbers, for GetIndexInfo's colour fields.
COLOR_RANGE_NAMES = {0: "unspecified", 1: "limited (tv)", 2: "full (pc)"}
COLOR_MATRIX_NAMES = {0: "rgb", 1: "bt709", 2: "unspecified", 4: "fcc", 5: "bt470bg",
                      6: "smpte170m", 7: "smpte240m", 8: "ycgco", 9: "bt2020nc", 10: "bt2020c"}
# What the decoders assume where a file signals nothing (SPEC §5; the README's "Colour").
ASSUMED_WHEN_UNSPECIFIED = {"color_range": (0, "limited (tv)"), "color_matrix": (2, "bt601")}


# ----------------------------------------------------------------------------- helpers

def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _cli_words(message: str) -> str:
    """The library speaks of its Python arguments; a CLI user has options."""
    return (message.replace("iGpu=-1", "--gpu -1").replace("fallback='cpu' (the default)", "the default")
            .replace("iGpu=", "--gpu "))


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def codec_name(codec_id: int) -> str:
    """The library's name of the codec with FFmpeg's AVCodecID `codec_id` (its codec
    table), or the number when it is not one we know."""
    from . import _odvd
    for entry in _odvd.codec_table():
        if entry["av_codec_id"] == codec_id:
            return str(entry["name"])
    return f"codec #{codec_id}"


def pixel_format_name(fmt: int) -> str:
    """FFmpeg pixel format name, or the number when it is not one we know."""
    return PIXEL_FORMAT_NAMES.get(fmt, f"pix_fmt #{fmt}")


def _rational(num: int, den: int) -> Optional[Fraction]:
    return Fraction(num, den) if den else None


def _jsonable(value: Any) -> Any:
    """Turn extension values (enums, numpy arrays, tuples) into plain JSON types."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    name = getattr(value, "name", None)  # pybind11 / Python enums
    return name if isinstance(name, str) else str(value)


def _index_function() -> Optional[Callable[..., Dict[str, Any]]]:
    """The extension's ``GetIndexInfo`` if this build has it (it arrives with the frame index API)."""
    return getattr(_odvd, "GetIndexInfo", None)


def parse_frame_list(text: str) -> List[int]:
    """Parse ``0,17,250`` (and ranges such as ``10-19``) into a list of ids, in order."""
    ids: List[int] = []
    for part in text.split(","):
        part = part.strip()
        span = re.fullmatch(r"(\d+)-(\d+)", part)
        try:
            if span:
                first, last = int(span.group(1)), int(span.group(2))
                if last < first:
                    raise ValueError
                ids.extend(range(first, last + 1))
            else:
                ids.append(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid frame list {text!r}: expected ids such as 0,17,250 or ranges such as 10-19")
    return ids


def describe_gops(first_ids: Sequence[int], lengths: Sequence[int]) -> str:
    """One line summarising a GOP layout, e.g. ``9 GOPs of 30 frames (last: 10)``."""
    count = len(lengths)
    if count == 0:
        return "no GOPs"
    head = list(lengths[:-1]) or list(lengths)
    if len(set(head)) == 1:
        text = f"{count} GOP{'s' if count > 1 else ''} of {head[0]} frames"
        if count > 1 and lengths[-1] != head[0]:
            text += f" (last: {lengths[-1]})"
        return text
    return f"{count} GOPs of {min(lengths)}..{max(lengths)} frames (mean {sum(lengths) / count:.1f})"


def _short_list(values: Sequence[int], limit: int = 12) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


# ----------------------------------------------------------------------------- info

def stream_summary(path: str, video_stream: int = -1) -> Dict[str, Any]:
    """Everything ``info`` reports about ``path`` (its ``video_stream``-th video stream, -1:
    the best), as a JSON-ready dict; ``video_streams`` lists every video stream."""
    fsi = _odvd.GetFastInitInfo([path], video_stream=video_stream)[0]
    tb = _rational(fsi.time_base_num, fsi.time_base_den)
    avg = _rational(fsi.avg_frame_rate_num, fsi.avg_frame_rate_den)
    real = _rational(fsi.r_frame_rate_num, fsi.r_frame_rate_den)
    summary: Dict[str, Any] = {
        "file": path,
        "stream_index": fsi.stream_index,
        "codec": codec_name(fsi.codec_id),
        "codec_id": fsi.codec_id,
        "width": fsi.width,
        "height": fsi.height,
        "pixel_format": pixel_format_name(fsi.format),
        "pixel_format_id": fsi.format,
        "bit_depth": fsi.bit_depth,
        "avg_frame_rate": [fsi.avg_frame_rate_num, fsi.avg_frame_rate_den],
        "r_frame_rate": [fsi.r_frame_rate_num, fsi.r_frame_rate_den],
        "frame_rate_fps": float(avg or real or 0) if (avg or real) else None,
        "time_base": [fsi.time_base_num, fsi.time_base_den],
        "start_time": fsi.start_time,
        "duration": fsi.duration,
        # The container's duration is informational only: frame ids come from the index.
        "duration_seconds": float(fsi.duration * tb) if (tb and fsi.duration > 0) else None,
        "video_stream": video_stream,
        "video_streams": [{"video_stream": k, "stream_index": s.stream_index, "codec": codec_name(s.codec_id),
                           "width": s.width, "height": s.height, "pixel_format": pixel_format_name(s.format)}
                          for k, s in enumerate(_odvd.GetVideoStreams(path))],
        "index": None,
    }
    get_index = _index_function()
    if get_index is not None:
        # Drop nested stream objects: their fields are already reported above.
        index = {k: v for k, v in get_index(path, video_stream=video_stream).items()
                 if not isinstance(v, _odvd.FastStreamInfo)}
        summary["index"] = _jsonable(index)
    return summary


def format_info(s: Dict[str, Any]) -> str:
    """Human-readable form of :func:`stream_summary`."""
    num, den = s["avg_frame_rate"]
    rate = f"{num}/{den}" + (f" ({s['frame_rate_fps']:g} fps)" if s["frame_rate_fps"] else "")
    if s["r_frame_rate"] != s["avg_frame_rate"]:
        rate += f", r_frame_rate {s['r_frame_rate'][0]}/{s['r_frame_rate'][1]}"
    duration = (f"{s['duration_seconds']:.3f} s (container)" if s["duration_seconds"] is not None
                else "unknown")
    chosen = "best" if s["video_stream"] < 0 else f"0:v:{s['video_stream']}"
    lines = [
        f"file:          {s['file']}",
        f"video stream:  #{s['stream_index']} ({chosen}; --video-stream K picks the K-th)",
        f"codec:         {s['codec']} (AVCodecID {s['codec_id']})",
        f"size:          {s['width']}x{s['height']}",
        f"pixel format:  {s['pixel_format']} ({s['bit_depth']}-bit)",
        f"frame rate:    {rate}",
        f"time base:     {s['time_base'][0]}/{s['time_base'][1]}",
        f"start time:    {s['start_time']}",
        f"duration:      {duration}",
    ]
    if len(s["video_streams"]) > 1:
        for v in s["video_streams"]:
            mark = "*" if v["stream_index"] == s["stream_index"] else " "
            lines.append(f"  {mark} 0:v:{v['video_stream']}  #{v['stream_index']} {v['codec']} "
                         f"{v['width']}x{v['height']} {v['pixel_format']}")
    index = s["index"]
    if index is None:
        lines.append("frame index: not available in this build")
    else:
        lines.extend(_format_index(index))
    return "\n".join(lines)


def _format_index(index: Dict[str, Any]) -> List[str]:
    firsts = list(index.get("gop_first_frame_ids") or [])
    lengths = list(index.get("gop_lengths") or [])
    keys = list(index.get("key_frame_ids") or [])
    lines = []
    for key, label, names in (("container", "container", {}),
                              ("color_range", "color range", COLOR_RANGE_NAMES),
                              ("color_matrix", "color matrix", COLOR_MATRIX_NAMES)):
        value = index.get(key)
        if value is not None:
            text = f"{label + ':':<15}{names.get(value, value)}"
            unspecified, assumed = ASSUMED_WHEN_UNSPECIFIED.get(key, (None, ""))
            if value == unspecified:
                text += f" (the file signals none: {assumed} is assumed)"
            lines.append(text)
    frames = f"frames:        {index.get('frame_count')}"
    declared = index.get("declared_frames")
    if declared and declared != index.get("frame_count"):
        frames += f" (the container declares {declared})"
    lines.append(frames)
    lines.append(f"GOPs:          {describe_gops(firsts, lengths)}")
    if firsts:
        lines.append(f"GOP starts:    {_short_list(firsts)}")
    if keys and keys != firsts:
        lines.append(f"key frames:    {_short_list(keys)}")
    return lines


def cmd_info(args: argparse.Namespace) -> int:
    """``odvd info``: stream parameters and, where the build has it, the frame index."""
    summary = stream_summary(args.file, args.video_stream)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_info(summary))
    return EXIT_OK


# ----------------------------------------------------------------------------- decode

def frame_output_path(out_dir: Path, video: str, frame_id: int, fmt: str) -> Path:
    """``DIR/<stem>-<8 hex>_frame<id>.<fmt>``: the hex digits are a CRC-32 of the video's
    absolute path, so same-named videos of different folders (``a/cam0.mp4``,
    ``b/cam0.mp4``) written into one folder do not overwrite each other."""
    import zlib
    tag = zlib.crc32(str(Path(video).resolve()).encode()) & 0xFFFFFFFF
    return out_dir / f"{Path(video).stem}-{tag:08x}_frame{frame_id}.{fmt}"


def cmd_decode(args: argparse.Namespace) -> int:
    """``odvd decode``: write the requested frames as PNG (always RGB) or .npy (RGB or BGR).

    Ids are de-duplicated and decoded in ascending order so that frames of one GOP
    land in the same call (the decoder then decodes that GOP once) and batches
    that follow continue forward instead of restarting GOPs.
    """
    _resolve_gpu(args)
    ids = sorted(set(args.frames))
    if not ids:
        raise ValueError("--frames names no frame")
    batch = min(len(ids), MAX_BATCH)
    decoder = _odvd.PyNvGopDecoder(batch, args.gpu, True, video_stream=args.video_stream)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with Progress(len(ids), "decoding", unit="frames", enabled=True if args.progress else None) as bar:
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            frames = decoder.DecodeN12ToRGB([args.file] * len(chunk), chunk, args.bgr)
            for frame_id, frame in zip(chunk, frames):
                pixels = _host_array(frame)
                path = frame_output_path(out_dir, args.file, frame_id, args.format)
                if args.format == "npy":
                    np.save(path, pixels)
                else:
                    write_png(path, pixels[:, :, ::-1] if args.bgr else pixels)
                print(path)
                bar.update()
    return EXIT_OK


def _host_array(frame: Any) -> np.ndarray:
    """A frame's pixels in host memory.

    CPU frames convert without a copy. GPU frames need a CUDA-aware array library;
    torch is used when it happens to be installed (it is not a dependency).
    """
    try:
        return np.asarray(frame)
    except (TypeError, ValueError, BufferError, RuntimeError):
        try:
            import torch  # noqa: PLC0415 - optional, only for GPU frames
        except ImportError:
            raise RuntimeError("copying GPU frames to host memory needs PyTorch; "
                               "use --gpu -1 or install torch") from None
        return torch.as_tensor(frame, device="cuda").cpu().numpy()


# ----------------------------------------------------------------------------- demo

def contact_sheet(images: Sequence[np.ndarray], columns: int = 3, step: int = 2,
                  gap: int = 4) -> np.ndarray:
    """Tile images in a grid, each downscaled ``step`` times by striding (no filtering)."""
    tiles = [np.asarray(img)[::step, ::step] for img in images]
    tile_h = max(t.shape[0] for t in tiles)
    tile_w = max(t.shape[1] for t in tiles)
    rows = math.ceil(len(tiles) / columns)
    sheet = np.zeros((rows * tile_h + (rows - 1) * gap, columns * tile_w + (columns - 1) * gap, 3),
                     dtype=np.uint8)
    for i, tile in enumerate(tiles):
        y = (i // columns) * (tile_h + gap)
        x = (i % columns) * (tile_w + gap)
        sheet[y:y + tile.shape[0], x:x + tile.shape[1]] = tile
    return sheet


def _percentile_ms(latencies: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(latencies), q)) * 1e3


def run_random_access(decoder: Any, paths: List[str], frame_count: int, iterations: int,
                      seed: int, progress: Progress) -> Tuple[List[float], int, List[Any]]:
    """Time ``iterations`` calls, each decoding one random frame of every camera.

    This is the multi-camera training pattern: one sample = the same moment (here:
    an independent random moment per camera, the worst case) from every camera.
    Returns (latencies in seconds, frames returned, frames of the last call).
    """
    rng = np.random.default_rng(seed)
    latencies: List[float] = []
    returned = 0
    last: List[Any] = []
    with progress:
        for _ in range(iterations):
            ids = [int(i) for i in rng.integers(0, frame_count, size=len(paths))]
            start = time.perf_counter()
            last = decoder.DecodeN12ToRGB(paths, ids, False)
            latencies.append(time.perf_counter() - start)
            returned += len(last)
            progress.update()
    return latencies, returned, last


def _resolve_gpu(args: argparse.Namespace) -> None:
    """``--gpu`` not given: NVDEC on device 0 when a GPU is usable, else the CPU back end."""
    if args.gpu is None:
        args.gpu = 0 if _odvd.cuda_device_count() > 0 else -1


def cmd_demo(args: argparse.Namespace) -> int:
    """``odvd demo``: random access across a 6-camera sample, with throughput and a contact sheet."""
    _resolve_gpu(args)
    if args.iterations < 1:
        raise ValueError("--iterations must be at least 1")
    sample = ensure_sample(args.dir, log=lambda line: print(line, file=sys.stderr))
    spec = sample.spec
    paths = [str(p) for p in sample.paths]
    print(f"sample:  {spec.cameras} cameras, {spec.width}x{spec.height} H.264, {spec.frames} frames "
          f"at {spec.fps} fps, GOP {spec.gop} ({sample.directory})")
    backend = "CPU (libavcodec)" if args.gpu < 0 else f"GPU {args.gpu} (NVDEC)"
    print(f"decoder: {backend}, seed {args.seed}")
    decoder = _odvd.PyNvGopDecoder(len(paths), args.gpu, True)

    wall_start = time.perf_counter()
    latencies, returned, last = run_random_access(
        decoder, paths, spec.frames, args.iterations, args.seed,
        Progress(args.iterations, "decoding", unit="calls", enabled=True if args.progress else None))
    wall = time.perf_counter() - wall_start

    print(f"{args.iterations} calls x {len(paths)} cameras: {returned} frames in {wall:.2f} s "
          f"-> {returned / wall:.1f} frames/s")
    print(f"latency per call: p50 {_percentile_ms(latencies, 50):.1f} ms, "
          f"p90 {_percentile_ms(latencies, 90):.1f} ms, max {max(latencies) * 1e3:.1f} ms "
          f"(first call {latencies[0] * 1e3:.1f} ms, includes opening the files)")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_png(out, contact_sheet([_host_array(f) for f in last]))
    print(f"contact sheet: {out} (last call's {len(last)} frames, 3x2, downscaled 2x)")
    return EXIT_OK


def cmd_gops_extract(args: argparse.Namespace) -> int:
    """``odvd gops extract``: store every GOP of a dataset as bundle files, with an index."""
    if args.workers < 0:
        raise ValueError("--workers must be >= 0")
    bar = Progress(None, "extracting", unit="videos", enabled=True if args.progress else None)
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update()

    counts: Dict[str, int] = {}
    with bar:
        index, failures = extract_gops(args.inputs, args.out, args.workers, progress,
                                       video_stream=args.video_stream, counts=counts)
    videos = index["videos"]
    gops = sum(len(v["gops"]) for v in videos.values())
    frames = sum(v["frame_count"] for v in videos.values())
    skipped = counts.get("skipped", 0)
    done_before = f"; {_plural(skipped, 'video')} already extracted, skipped" if skipped else ""
    print(f"{_plural(len(videos), 'video')}, {_plural(gops, 'GOP')}, {_plural(frames, 'frame')} -> "
          f"{Path(args.out) / 'index.json'} ({time.perf_counter() - start:.1f} s{done_before})")
    for path, message in sorted(failures.items()):
        _error(f"{path}: {message}")
    return EXIT_ERROR if failures else EXIT_OK


# ----------------------------------------------------------------------------- doctor

def _doctor_video(args: argparse.Namespace, problems: List[str], scratch: Path) -> Optional[str]:
    """The video the test decodes use: --video, else the demo's sample, else a small one
    made with ffmpeg in `scratch`."""
    if args.video:
        return str(args.video)
    from ._sample import default_sample_dir, load_sample, make_video
    sample = load_sample(default_sample_dir())
    if sample is not None:
        return str(sample.paths[0])
    try:
        return str(make_video(scratch / "doctor.mp4", width=320, height=180, frames=60))
    except Exception as e:  # noqa: BLE001 - no ffmpeg: say so, test nothing
        problems.append(f"no test video ({e}): pass one with --video FILE, or run tools/demo.sh once")
        return None


def _decode_check(path: str, gpu: int) -> Dict[str, Any]:
    """Decodes the first and last frame of `path` on one back end (NVDEC alone on a GPU)."""
    start = time.perf_counter()
    decoder = _odvd.PyNvGopDecoder(2, gpu, True, fallback="raise")
    last = _odvd.GetIndexInfo(path)["frame_count"] - 1
    frames = decoder.DecodeN12ToRGB([path, path], [0, last])
    return {"frames": [0, last], "seconds": round(time.perf_counter() - start, 3), "images": frames,
            "engines": sorted({f.backend for f in frames if f is not None})}


def doctor_report(args: argparse.Namespace) -> Dict[str, Any]:
    """Everything `odvd doctor` looks at, and the problems found with what to do."""
    import platform
    import tempfile
    from ._api import build_info
    problems: List[str] = []
    info = build_info()
    report: Dict[str, Any] = {"package": {"version": info["version"], "python": sys.version.split()[0],
                                          "platform": platform.platform()},
                              "build": info, "cpu": {"cores": os.cpu_count(), "features": info["cpu_features"]}}
    if "--enable-gpl" in info["ffmpeg_configuration"]:
        report["build"]["note"] = "this FFmpeg is built with --enable-gpl: GPL terms apply to what you ship with it"
    driver = _odvd.cuda_driver_version()
    count = _odvd.cuda_device_count()
    report["driver"] = {"cuda": f"{driver // 1000}.{driver % 1000 // 10}" if driver else None, "devices": count}
    if not info["nvdec"]:
        report["driver"]["note"] = ("this build has no NVDEC back end (built without the CUDA toolkit or the "
                                    "ffnvcodec headers): decoding runs on the CPU; for GPUs build where both are")
    elif count == 0:
        report["driver"]["note"] = ("no usable NVIDIA driver or GPU: decoding runs on the CPU (--gpu -1); "
                                    "for NVDEC install the NVIDIA driver (nvidia-smi must list the GPU)")
    gpus = _odvd.describe_gpus() if info["nvdec"] and count > 0 else []
    report["gpus"] = []
    for g in gpus:
        entry: Dict[str, Any] = {"ordinal": g["ordinal"], "name": g["name"]}
        if g["error"]:
            problems.append(f"GPU {g['ordinal']}: {g['error']}")
        used: Dict[str, List[str]] = {}
        for c in g["nvdec"]:
            if c["used"]:
                used.setdefault(c["codec"], []).append(f"{c['bit_depth']}-bit")
        entry["nvdec_decodes"] = {codec: depths for codec, depths in used.items()}
        entry["on_the_cpu"] = [e["name"] for e in _odvd.codec_table() if e["name"] not in used] + [
            "4:2:2 and 4:4:4 of every codec"]
        entry["caps"] = g["nvdec"]
        report["gpus"].append(entry)
    with tempfile.TemporaryDirectory(prefix="odvd-doctor-") as scratch:
        video = _doctor_video(args, problems, Path(scratch))
        report["test_video"] = video
        checks: Dict[str, Any] = {}
        if video is not None:
            cpu_images = None
            for name, gpu in [("cpu", -1)] + [(f"gpu {g['ordinal']}", g["ordinal"]) for g in gpus]:
                try:
                    result = _decode_check(video, gpu)
                except (RuntimeError, ValueError, OSError) as e:
                    checks[name] = {"ok": False, "error": str(e)}
                    advice = ("is it a video file this FFmpeg reads? `odvd info FILE` says more" if gpu < 0 else
                              "NVDEC refused or failed: decoders with the default fallback='cpu' decode such "
                              "files on the CPU; check the driver with nvidia-smi")
                    problems.append(f"the test decode on {name} failed: {e} ({advice})")
                    continue
                images = result.pop("images")
                result["ok"] = True
                if gpu < 0:
                    cpu_images = [np.asarray(i) for i in images]
                elif cpu_images is not None:
                    try:
                        import torch.utils.dlpack
                        same = all(np.array_equal(torch.utils.dlpack.from_dlpack(g).cpu().numpy(), c)
                                   for g, c in zip(images, cpu_images))
                        result["bit_exact_with_cpu"] = same
                        if not same:
                            problems.append(f"{name}: NVDEC's frames differ from the CPU's (please report: "
                                            f"odvd doctor --json output and the video)")
                    except ImportError:
                        result["bit_exact_with_cpu"] = None  # torch reads GPU memory for the comparison
                checks[name] = result
        report["decode_checks"] = checks
    report["problems"] = problems
    return report


def format_doctor(r: Dict[str, Any]) -> str:
    b = r["build"]
    lines = [f"package:       on_demand_video_decoder {r['package']['version']} (Python {r['package']['python']}, "
             f"{r['package']['platform']})",
             f"FFmpeg:        {b['ffmpeg_version']} (libavcodec {b['libavcodec']}, libavformat {b['libavformat']}, "
             f"libavutil {b['libavutil']}); {b['ffmpeg_license']}",
             f"NVDEC build:   {'yes' if b['nvdec'] else 'no'}",
             f"CPU:           {r['cpu']['cores']} cores; colour conversion uses "
             f"{', '.join(r['cpu']['features']) or 'the portable loop'}"]
    if "note" in b:
        lines.append(f"               {b['note']}")
    d = r["driver"]
    lines.append(f"NVIDIA driver: {'CUDA ' + d['cuda'] if d['cuda'] else 'none'}; {d['devices']} device(s)")
    if "note" in d:
        lines.append(f"               {d['note']}")
    for g in r["gpus"]:
        decodes = ", ".join(f"{c} {'/'.join(depths)}" for c, depths in g["nvdec_decodes"].items()) or "nothing"
        lines.append(f"GPU {g['ordinal']}:         {g['name']}: NVDEC decodes {decodes} (4:2:0)")
        lines.append(f"               on the CPU instead (fallback='cpu'): {', '.join(g['on_the_cpu'])}")
    lines.append(f"test video:    {r['test_video'] or 'none'}")
    for name, c in r["decode_checks"].items():
        if c["ok"]:
            exact = "" if "bit_exact_with_cpu" not in c else {
                True: ", bit-exact with the CPU", False: ", DIFFERS from the CPU",
                None: " (not compared: torch is needed to read GPU memory)"}[c["bit_exact_with_cpu"]]
            lines.append(f"decode {name + ':':<9}ok, frames {c['frames'][0]} and {c['frames'][1]} in "
                         f"{c['seconds']} s{exact}")
        else:
            lines.append(f"decode {name + ':':<9}FAILED: {c['error']}")
    if r["problems"]:
        lines.append(f"{_plural(len(r['problems']), 'problem')}:")
        lines.extend(f"  - {p}" for p in r["problems"])
    else:
        lines.append("no problems found")
    return "\n".join(lines)


def cmd_doctor(args: argparse.Namespace) -> int:
    """``odvd doctor``: what this installation is, what the machine offers, whether decoding
    works on each back end, and what to do about each problem found."""
    report = doctor_report(args)
    print(json.dumps(_jsonable(report), indent=2) if args.json else format_doctor(report))
    return EXIT_ERROR if report["problems"] else EXIT_OK


# ----------------------------------------------------------------------------- entry point

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Decode exactly the video frames you ask for.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_odvd.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = sub.add_parser("info", help="stream parameters, frame count and GOP layout of a video")
    info.add_argument("file")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.add_argument("--video-stream", type=int, default=-1, metavar="K",
                      help="the K-th video stream (ffmpeg's 0:v:K); default -1: the best one")
    info.set_defaults(handler=cmd_info)

    decode = sub.add_parser("decode", help="write chosen frames of a video as PNG or .npy files")
    decode.add_argument("file")
    decode.add_argument("--frames", required=True, type=parse_frame_list,
                        help="frame ids (0-based, display order), e.g. 0,17,250 or 10-19")
    decode.add_argument("--out", required=True, help="output folder (created if missing)")
    decode.add_argument("--bgr", action="store_true",
                        help="decode to BGR (.npy keeps BGR; PNG is always stored as RGB)")
    decode.add_argument("--format", choices=("png", "npy"), default="png")
    decode.add_argument("--video-stream", type=int, default=-1, metavar="K",
                        help="the K-th video stream (ffmpeg's 0:v:K); default -1: the best one")
    decode.add_argument("--gpu", type=int, default=None,
                        help="CUDA device, -1 = CPU (default: GPU 0 when there is one, else the CPU)")
    decode.add_argument("--progress", action="store_true",
                        help="draw the progress bar even when stderr is not a terminal")
    decode.set_defaults(handler=cmd_decode)

    demo = sub.add_parser("demo", help="random access across a 6-camera sample (generated on first use)")
    demo.add_argument("--dir", default=None,
                      help="sample folder (default: ~/.cache/on_demand_video_decoder/sample)")
    demo.add_argument("--iterations", type=int, default=50, help="decode calls to time (default 50)")
    demo.add_argument("--out", default=str(Path("odvd_demo") / "contact_sheet.png"),
                      help="contact sheet PNG (default odvd_demo/contact_sheet.png)")
    demo.add_argument("--gpu", type=int, default=None,
                      help="CUDA device, -1 = CPU (default: GPU 0 when there is one, else the CPU)")
    demo.add_argument("--seed", type=int, default=0, help="random seed of the frame ids (default 0)")
    demo.add_argument("--progress", action="store_true",
                      help="draw the progress bar even when stderr is not a terminal")
    demo.set_defaults(handler=cmd_demo)

    doctor = sub.add_parser("doctor", help="check the installation: versions, GPUs and NVDEC, a test decode on "
                            "each back end, and what to do about problems")
    doctor.add_argument("--video", default=None,
                        help="video for the test decodes (default: the demo's sample, else one made with ffmpeg)")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    doctor.set_defaults(handler=cmd_doctor)

    gops = sub.add_parser("gops", help="GOP bundles of a dataset (decode without the source videos)")
    gops_sub = gops.add_subparsers(dest="gops_command", required=True, metavar="ACTION")
    extract = gops_sub.add_parser("extract", help="store every GOP of every video as a bundle file, with an index; "
                                  "resumable (videos already done are skipped)")
    extract.add_argument("inputs", nargs="+", metavar="FILES_OR_DIRS",
                         help="video files, or folders searched recursively for video files")
    extract.add_argument("--out", required=True, help="output folder (index.json and videos/)")
    extract.add_argument("--workers", type=int, default=0, help="parallel videos (default: up to 8)")
    extract.add_argument("--video-stream", type=int, default=-1, metavar="K",
                         help="the K-th video stream of each file (ffmpeg's 0:v:K); default -1: the best one")
    extract.add_argument("--progress", action="store_true",
                         help="draw the progress bar even when stderr is not a terminal")
    extract.set_defaults(handler=cmd_gops_extract)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the tool; returns the exit code (0 ok, 2 bad usage or input, 130 interrupted)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, usage errors
        return stop.code if isinstance(stop.code, int) else EXIT_ERROR
    try:
        code: int = args.handler(args)
        return code
    except BrokenPipeError:
        # The reader went away (`odvd info FILE | head`): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return EXIT_OK
    except (ValueError, RuntimeError, OSError) as exc:
        _error(_cli_words(str(exc)))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
