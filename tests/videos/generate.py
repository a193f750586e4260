#!/usr/bin/env python3
"""Generate small synthetic test videos plus bit-exact reference data.

Every picture carries its own frame number as a watermark (see watermark.py),
so a decoded frame can be identified without any reference image. For each
good video this writes into the output folder (default: ./generated next to
this script, git-ignored):

* the video itself;
* ``<name>.framemd5``: ffmpeg's per-frame MD5 of the decoded pictures in the
  decoder's native pixel format, in display order;
* an entry in ``manifest.json`` (frame count, watermark of every frame,
  key frames, pts, ...).

It also writes a set of broken inputs for error tests (``manifest["bad"]``).

Usage:  python3 tests/videos/generate.py [--out DIR] [--force]
Import: ``ensure_generated(out_dir) -> manifest`` (e.g. from a pytest session
fixture). Generation is skipped when the manifest already records
GENERATOR_VERSION and all its files exist.

Only the standard library, numpy and the ffmpeg/ffprobe command-line tools
(ffmpeg >= 5.1 for ``-fps_mode``, with libx264, libx265, libaom and libvpx)
are used. Reading an existing, complete manifest needs neither tool, so tests
run on machines without ffmpeg when the generated folder is copied there.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import watermark  # noqa: E402  (sibling module)

# Bump whenever the generated files or the manifest layout change.
GENERATOR_VERSION = 15

# Chroma gradients behind the watermark (which sets luma only; every other test video is
# grey, red = blue): red-dominant everywhere, so channel order and chroma handling show.
COLOUR_FILTER = "geq=lum='lum(X,Y)':cb='40+mod(3*X+Y,60)':cr='170+mod(2*X+3*Y,60)'"

DEFAULT_OUT = Path(__file__).resolve().parent / "generated"
MANIFEST = "manifest.json"
FFMPEG = os.environ.get("FFMPEG", "ffmpeg")
FFPROBE = os.environ.get("FFPROBE", "ffprobe")

# Options shared by every encode: quiet, no encoder/version strings in the
# container, no metadata copied from the lavfi inputs.
FF_COMMON = ["-hide_banner", "-nostdin", "-v", "error", "-y"]
MUX_BITEXACT = ["-fflags", "+bitexact", "-map_metadata", "-1"]


# --------------------------------------------------------------------------
# Small helpers around the ffmpeg / ffprobe command-line tools
# --------------------------------------------------------------------------

def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command, raising with its stderr if it fails."""
    proc = subprocess.run(cmd, capture_output=True, **kwargs)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"command failed ({proc.returncode}): "
                           f"{' '.join(cmd)}\n{err}")
    return proc


def ffprobe_json(path: Path, *args: str) -> dict:
    out = run([FFPROBE, "-v", "error", "-of", "json", *args, str(path)])
    return json.loads(out.stdout)


def video_stream(path: Path) -> dict:
    """ffprobe's description of the first video stream."""
    streams = ffprobe_json(path, "-show_streams")["streams"]
    return next(s for s in streams if s["codec_type"] == "video")


def probe_frames(path: Path) -> list[dict]:
    """Decoded frames of the first video stream, in display order."""
    return ffprobe_json(
        path, "-select_streams", "v:0", "-show_frames", "-show_entries",
        "frame=key_frame,pict_type,pts,best_effort_timestamp")["frames"]


def probe_packets(path: Path) -> list[dict]:
    """Packets of the first video stream, in file (decode) order."""
    return ffprobe_json(
        path, "-select_streams", "v:0", "-show_packets", "-show_entries",
        "packet=pts,dts,flags")["packets"]


def nal_unit_types(path: Path) -> list[int]:
    """nal_unit_type of every NAL unit of the first video stream (extradata
    first, then packets in decode order), via the trace_headers bitstream
    filter, which logs at info level."""
    proc = run([FFMPEG, "-hide_banner", "-nostdin", "-v", "info", "-i",
                str(path), "-map", "0:v:0", "-c", "copy", "-bsf:v",
                "trace_headers", "-f", "null", "-"])
    types = []
    for line in proc.stderr.decode(errors="replace").splitlines():
        if "nal_unit_type" in line and "=" in line:
            types.append(int(line.rsplit("=", 1)[1]))
    return types


def write_framemd5(path: Path, md5_path: Path) -> int:
    """Write ffmpeg's framemd5 of the first video stream; return its number
    of frames."""
    out = run([FFMPEG, "-v", "error", "-nostdin", "-i", str(path),
               "-map", "0:v:0", "-fps_mode", "passthrough",
               "-f", "framemd5", "-"]).stdout
    md5_path.write_bytes(out)
    return count_framemd5_frames(md5_path)


def count_framemd5_frames(md5_path: Path) -> int:
    lines = md5_path.read_text().splitlines()
    return sum(1 for line in lines if line and not line.startswith("#"))


def decode_luma(path: Path, width: int, height: int,
                bit_depth: int) -> np.ndarray:
    """Decode the first video stream sequentially; return its luma planes as
    an (n, height, width) array (uint8, or uint16 for > 8 bits)."""
    out = run([FFMPEG, "-v", "error", "-nostdin", "-i", str(path),
               "-map", "0:v:0", "-fps_mode", "passthrough",
               "-vf", "extractplanes=y", "-f", "rawvideo", "-"]).stdout
    dtype = np.uint8 if bit_depth <= 8 else np.dtype("<u2")
    return np.frombuffer(out, dtype=dtype).reshape(-1, height, width)


def read_watermarks(path: Path, width: int, height: int,
                    bit_depth: int) -> list[int]:
    """Watermark of every frame, decoding with the ffmpeg CLI."""
    planes = decode_luma(path, width, height, bit_depth)
    return [watermark.read_watermark(p, bit_depth) for p in planes]


# --------------------------------------------------------------------------
# Encoder settings
# --------------------------------------------------------------------------

def x264(keyint: int, bframes: int = 0, open_gop: bool = False,
         crf: int = 12, pyramid: str = "normal") -> list[str]:
    """libx264 with a fixed GOP: keyframe every ``keyint`` frames, exactly
    ``bframes`` consecutive B-frames (b-adapt=0) with a B-pyramid
    (``pyramid``: normal, strict or none; none below 2 B-frames)."""
    params = [f"keyint={keyint}", f"min-keyint={keyint}", "scenecut=0",
              f"bframes={bframes}", "b-adapt=0",
              f"b-pyramid={pyramid if bframes >= 2 else 'none'}",
              f"open-gop={int(open_gop)}"]
    return ["-c:v", "libx264", "-preset", "fast", "-crf", str(crf),
            "-x264-params", ":".join(params)]


def x265(keyint: int, bframes: int = 0, open_gop: bool = False,
         crf: int = 12, pyramid: bool = True, extra: tuple = ()) -> list[str]:
    """libx265 with a fixed GOP (like ``x264``). x265 defaults to open GOP,
    so closed GOP is requested explicitly."""
    params = [f"keyint={keyint}", f"min-keyint={keyint}", "scenecut=0",
              f"bframes={bframes}", "b-adapt=0",
              f"b-pyramid={int(pyramid and bframes >= 2)}",
              f"open-gop={int(open_gop)}", "log-level=error", *extra]
    return ["-c:v", "libx265", "-preset", "fast", "-crf", str(crf),
            "-x265-params", ":".join(params)]


def aom_av1(keyint: int, crf: int = 20) -> list[str]:
    """libaom AV1 with a key frame every ``keyint`` frames. The default
    look-ahead makes libaom emit hidden (alt-ref) frames and
    show_existing_frame headers, so temporal units are not one picture each."""
    return ["-c:v", "libaom-av1", "-cpu-used", "8", "-crf", str(crf),
            "-g", str(keyint), "-keyint_min", str(keyint), "-threads", "1"]


def vpx_vp9(keyint: int, crf: int = 20, realtime: bool = False,
            tiles: int = 0) -> list[str]:
    """libvpx VP9 profile 0 (8-bit 4:2:0), constant quality, a key frame
    every ``keyint`` frames. The default ("good" deadline, look-ahead) makes
    libvpx emit hidden alt-ref frames in superframes; ``realtime`` does not
    (no look-ahead: one shown picture per packet). ``tiles``: log2 of the
    tile columns."""
    deadline = ["-deadline", "realtime", "-lag-in-frames", "0"] if realtime \
        else ["-deadline", "good"]
    return ["-c:v", "libvpx-vp9", *deadline, "-cpu-used", "8",
            "-crf", str(crf), "-b:v", "0", "-g", str(keyint),
            "-keyint_min", str(keyint), "-tile-columns", str(tiles),
            "-threads", "1"]


# Variable frame rate timestamps, in milliseconds: a 40 ms (25 fps) base
# with 0..30 ms of deterministic jitter and a 200 ms gap every 20 frames.
# Strictly increasing since the jitter is smaller than the base step.
VFR_SETPTS = "settb=1/1000,setpts=N*40+5*mod(N*N\\,7)+200*floor(N/20)"


# --------------------------------------------------------------------------
# The test videos
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Case:
    """One good test video."""
    name: str
    container: str            # file extension: mp4, mov, mkv, ts, webm
    codec: str                # h264 | hevc | av1 | vp9 (ffprobe's name)
    encoder: list[str]        # encoder options (see x264, x265, aom_av1...)
    frames: int
    width: int = 192
    height: int = 108
    fps: int = 25
    description: str = ""
    pix_fmt: str = "yuv420p"  # encoded pixel format
    extra_filters: str = ""   # appended after the watermark filter
    output_args: tuple = ()   # extra muxer / output options
    audio_first: bool = False  # AAC stream 0, video stream 1
    cut_seconds: Optional[float] = None  # stream-copy cut -> edit list
    video_delay: Optional[float] = None  # AAC from 0 s, video from here (empty edit)
    # A raw elementary stream whose picture size changes: (width, height,
    # frames) per part, each part its own encode starting with an IDR, the
    # parts' bytes concatenated; width/height/frames describe the whole.
    parts: tuple = ()
    features: tuple = ()      # tags for tests, e.g. ("open_gop",)
    verify: Optional[Callable[[Path, dict], None]] = None

    @property
    def file(self) -> str:
        return f"{self.name}.{self.container}"


def _require(cond: bool, msg: str) -> None:
    if not cond:
        raise RuntimeError(msg)


def verify_h264_open_gop(path: Path, entry: dict) -> None:
    """Exactly one IDR slice (type 5); the later key frames are I frames in
    non-IDR slices (type 1) with leading B-frames."""
    types = nal_unit_types(path)
    _require(types.count(5) == 1, f"{path.name}: expected a single IDR")
    _require(len(entry["keyframe_ids"]) > 1,
             f"{path.name}: expected recovery-point key frames after the IDR")


def verify_hevc_open_gop(path: Path, entry: dict) -> None:
    """CRA key frames (type 21) followed by RASL leading pictures (8/9)."""
    types = nal_unit_types(path)
    _require(21 in types, f"{path.name}: no CRA NAL units")
    _require(8 in types or 9 in types, f"{path.name}: no RASL NAL units")


def verify_hvc1(path: Path, entry: dict) -> None:
    _require(entry["codec_tag"] == "hvc1", f"{path.name}: tag is not hvc1")


def verify_edit_list(path: Path, entry: dict) -> None:
    """The cut keeps the packets before the cut point but flags them as
    discarded, so fewer frames come out than packets go in."""
    _require(entry["discarded_packet_count"] > 0,
             f"{path.name}: no packet has the discard flag")
    _require(entry["frame_count"] < entry["packet_count"],
             f"{path.name}: frame count not below packet count")


def verify_vfr(path: Path, entry: dict) -> None:
    steps = set(np.diff(entry["frame_pts"]).tolist())
    _require(len(steps) > 3, f"{path.name}: timestamps are not irregular")


def verify_video_delay(path: Path, entry: dict) -> None:
    _require(entry["stream_index"] == 1, f"{path.name}: video not stream 1")
    start = float(video_stream(path).get("start_time", 0))
    _require(start > 0.5, f"{path.name}: video starts at {start} s")


def verify_audio_first(path: Path, entry: dict) -> None:
    _require(entry["stream_index"] == 1, f"{path.name}: video not stream 1")


# NVDEC has minimum picture sizes per codec (cuvidGetDecoderCaps: 48x16 for
# H.264, 144x144 for HEVC, 128x128 for VP9 and AV1 on current GPUs) and the
# library refuses smaller streams on the GPU. HEVC, VP9 and AV1 cases are
# therefore at least 144x144, so the NVDEC tests can compare them with the
# CPU back end.
NVDEC_HEVC = dict(width=256, height=144)
NVDEC_SMALL = dict(width=160, height=144)

CASES: list[Case] = [
    Case("h264_gop30", "mp4", "h264", x264(30), 90,
         description="H.264, closed GOP 30, no B-frames"),
    Case("h264_bframes_gop24", "mp4", "h264", x264(24, bframes=3), 100,
         description="H.264, GOP 24, 3 B-frames with normal pyramid",
         features=("bframes",)),
    Case("h264_open_gop", "mp4", "h264", x264(24, 3, open_gop=True), 100,
         description="H.264 open GOP: one IDR, then non-IDR I key frames "
                     "(recovery point SEI) with leading B-frames",
         features=("bframes", "open_gop"), verify=verify_h264_open_gop),
    Case("hevc_hvc1_bframes_gop24", "mp4", "hevc", x265(24, bframes=4), 100,
         **NVDEC_HEVC,
         output_args=("-tag:v", "hvc1"),
         description="HEVC tagged hvc1, closed GOP 24, 4 B-frames pyramid",
         features=("bframes", "hvc1"), verify=verify_hvc1),
    Case("hevc_hev1_open_gop", "mp4", "hevc", x265(24, 3, open_gop=True), 100,
         **NVDEC_HEVC,
         description="HEVC tagged hev1, open GOP 24: CRA key frames with "
                     "RASL leading pictures, 3 B-frames",
         features=("bframes", "open_gop", "hev1"),
         verify=verify_hevc_open_gop),
    Case("hevc_10bit", "mkv", "hevc", x265(24, bframes=3), 60,
         **NVDEC_HEVC,
         pix_fmt="yuv420p10le", extra_filters="format=yuv420p10le",
         description="HEVC Main 10 (yuv420p10le) in Matroska, GOP 24, "
                     "3 B-frames", features=("bframes", "10bit")),
    Case("h264_odd_size", "mov", "h264", x264(25, bframes=2), 50,
         width=642, height=362,
         description="H.264 in QuickTime MOV, 642x362 (not a multiple of "
                     "16), GOP 25, 2 B-frames", features=("bframes",)),
    Case("h264_bframes", "ts", "h264", x264(25, bframes=3), 75,
         description="H.264 in MPEG-TS, GOP 25, 3 B-frames",
         features=("bframes",)),
    Case("h264_audio_first", "mp4", "h264", x264(25, bframes=2), 75,
         audio_first=True,
         description="H.264 MP4 whose stream 0 is AAC audio; video is "
                     "stream 1", features=("bframes", "audio"),
         verify=verify_audio_first),
    Case("h264_edit_list", "mp4", "h264", x264(25, bframes=3), 100,
         cut_seconds=1.5,
         description="H.264 MP4 (GOP 25, 3 B-frames) stream-copied from "
                     "1.5 s: it starts at the preceding key frame, whose "
                     "packets up to the cut point are flagged discard by "
                     "the edit list, so the first frame shown is a B-frame",
         features=("bframes", "edit_list"), verify=verify_edit_list),
    Case("h264_vfr", "mp4", "h264", x264(30), 60,
         extra_filters=VFR_SETPTS,
         output_args=("-fps_mode", "passthrough", "-enc_time_base", "-1",
                      "-video_track_timescale", "1000"),
         description="H.264 MP4, variable frame rate: 40 ms steps with "
                     "0..30 ms jitter and a 200 ms gap every 20 frames "
                     "(time base 1/1000), GOP 30",
         features=("vfr",), verify=verify_vfr),
    Case("h264_vfr", "mkv", "h264", x264(30), 60,
         extra_filters=VFR_SETPTS,
         output_args=("-fps_mode", "passthrough", "-enc_time_base", "-1"),
         description="Same as h264_vfr.mp4 in Matroska",
         features=("vfr",), verify=verify_vfr),
    # A camera rig (issue #20's time-synchronised sampling): three cameras of one
    # drive recorded at different rates and start times (time base 1/1000).
    Case("rig_cam0", "mkv", "h264", x264(10), 50,
         extra_filters="settb=1/1000,setpts=N*40",
         output_args=("-fps_mode", "passthrough", "-enc_time_base", "-1"),
         description="Camera rig, camera 0: 25 fps from 0 ms (frame k at 40k ms), GOP 10",
         features=("rig",), verify=lambda p, e: _require(e["frame_pts"][:3] == [0, 40, 80], f"{p.name}: pts")),
    Case("rig_cam1_offset", "mkv", "h264", x264(10), 50,
         extra_filters="settb=1/1000,setpts=N*40",
         output_args=("-fps_mode", "passthrough", "-enc_time_base", "-1", "-output_ts_offset", "0.31"),
         description="Camera rig, camera 1: 25 fps starting 310 ms late (frame k at 310 + 40k ms)",
         features=("rig",), verify=lambda p, e: _require(e["frame_pts"][:2] == [310, 350], f"{p.name}: pts")),
    Case("rig_cam2_15fps", "mkv", "h264", x264(10), 30,
         extra_filters="settb=1/1000,setpts=round(N*1000/15)",
         output_args=("-fps_mode", "passthrough", "-enc_time_base", "-1"),
         description="Camera rig, camera 2: 15 fps from 0 ms (frame k at round(1000k/15) ms)",
         features=("rig",), verify=lambda p, e: _require(e["frame_pts"][:4] == [0, 67, 133, 200], f"{p.name}: pts")),
    Case("hevc_long_gop", "mp4", "hevc", x265(300), 320,
         **NVDEC_SMALL,
         description="HEVC, GOP 300 (key frames 0 and 300), no B-frames",
         features=("long_gop",)),
    Case("h264_intra", "mp4", "h264", x264(1), 40,
         description="H.264 all-intra (GOP 1)", features=("intra",)),
    # The watermarks leave the chroma planes flat (grey frames, red equal to blue): this one
    # paints chroma gradients behind the same luma, so channel order (as_bgr) shows.
    Case("h264_colour", "mp4", "h264", x264(15), 30,
         extra_filters=COLOUR_FILTER,
         description="H.264, GOP 15, red-dominant chroma gradients (red differs from blue "
                     "everywhere)", features=("colour",)),
    Case("hevc_colour_10bit", "mkv", "hevc", x265(15), 30, **NVDEC_HEVC,
         pix_fmt="yuv420p10le",
         extra_filters=f"{COLOUR_FILTER},format=yuv420p10le",
         description="HEVC Main 10, GOP 15, the chroma gradients of h264_colour",
         features=("colour", "10bit")),
    Case("h264_colour_444", "mp4", "h264", x264(15) + ["-profile:v", "high444"], 30,
         pix_fmt="yuv444p", extra_filters=f"{COLOUR_FILTER},format=yuv444p",
         description="H.264 High 4:4:4, GOP 15, the chroma gradients of h264_colour "
                     "(full-resolution chroma)", features=("colour", "444")),
    Case("hevc_bframes", "ts", "hevc", x265(24, bframes=3), 75,
         **NVDEC_HEVC,
         description="HEVC in MPEG-TS, closed GOP 24, 3 B-frames",
         features=("bframes",)),
    Case("hevc_bframes", "mkv", "hevc", x265(24, 3, open_gop=True), 75,
         **NVDEC_HEVC,
         description="HEVC in Matroska, open GOP 24, 3 B-frames",
         features=("bframes", "open_gop"), verify=verify_hevc_open_gop),
    # Codecs and profiles beyond H.264 / HEVC 8-bit: few frames, since libaom
    # is slow. NVDEC on Turing/GA100/Hopper GPUs decodes VP9 profile 0 but
    # neither AV1 nor H.264 High 10, so these also test its refusal.
    Case("av1_gop8", "mp4", "av1", aom_av1(8), 24, **NVDEC_SMALL,
         description="AV1 (libaom, 8-bit 4:2:0) in MP4 (av01), 160x144, key "
                     "frame every 8 frames, with hidden alt-ref frames",
         features=("av1",)),
    Case("vp9_gop8", "webm", "vp9", vpx_vp9(8), 24, **NVDEC_SMALL,
         description="VP9 profile 0 (libvpx, 8-bit 4:2:0) in WebM, 160x144, "
                     "key frame every 8 frames", features=("vp9",)),
    # Odd picture sizes (issue #15): VP9 codes any size, so its 4:2:0 frames
    # can be odd in both directions (chroma planes round up). H.264 and HEVC
    # 4:2:0 crop in units of two samples: their odd-looking sizes are even
    # sizes that are not multiples of the block size (cropped). Several
    # encoder settings: alt-ref superframes or none, tiles, three containers.
    Case("vp9_odd_both", "webm", "vp9", vpx_vp9(24), 48,
         width=641, height=361,
         description="VP9 641x361 (both odd) in WebM, GOP 24, hidden "
                     "alt-ref frames in superframes",
         features=("vp9", "odd_size")),
    Case("vp9_odd_width", "mkv", "vp9", vpx_vp9(16, realtime=True, tiles=1),
         40, width=321, height=180,
         description="VP9 321x180 (odd width) in Matroska, realtime: no "
                     "alt-ref, 2 tile columns, GOP 16",
         features=("vp9", "odd_size")),
    Case("vp9_odd_height", "mp4", "vp9", vpx_vp9(30, crf=30), 40,
         width=256, height=147,
         description="VP9 256x147 (odd height) in MP4 (vp09), GOP 30, "
                     "alt-ref frames", features=("vp9", "odd_size")),
    Case("vp9_odd_small", "webm", "vp9", vpx_vp9(10, realtime=True), 30,
         width=129, height=131,
         description="VP9 129x131 (both odd, just above NVDEC's 128x128 "
                     "minimum) in WebM, realtime, GOP 10",
         features=("vp9", "odd_size")),
    Case("hevc_cropped", "mkv", "hevc", x265(20, bframes=2), 40,
         width=258, height=146,
         description="HEVC 258x146 (not multiples of 8: conformance window "
                     "crop on both sides), GOP 20, 2 B-frames",
         features=("bframes", "odd_size")),
    Case("h264_cropped", "mp4", "h264", x264(20), 40,
         width=178, height=98,
         description="H.264 178x98 (not multiples of 16: frame cropping), "
                     "GOP 20, no B-frames", features=("odd_size",)),
    # Open GOP as cameras and x264 defaults make it (issue #15): key frames
    # at display 30, 60, ... are non-IDR I frames with a recovery point;
    # B-pyramid reference B-frames are unreferenced by MMCO commands that
    # name pictures of the previous GOP.
    Case("h264_open_gop_pyramid", "mp4", "h264",
         x264(30, 3, open_gop=True), 96,
         description="H.264 open GOP 30, 3 B-frames, normal B-pyramid "
                     "(MMCO unref of the previous GOP's pictures)",
         features=("bframes", "open_gop"), verify=verify_h264_open_gop),
    Case("h264_open_gop_strict", "mkv", "h264",
         x264(20, 3, open_gop=True, pyramid="strict"), 64,
         description="H.264 open GOP 20 in Matroska, 3 B-frames, strict "
                     "B-pyramid",
         features=("bframes", "open_gop"), verify=verify_h264_open_gop),
    Case("hevc_open_gop_flat", "mp4", "hevc",
         x265(20, 4, open_gop=True, pyramid=False), 64, **NVDEC_HEVC,
         description="HEVC open GOP 20, 4 B-frames without B-pyramid, "
                     "CRA with RASL pictures",
         features=("bframes", "open_gop"), verify=verify_hevc_open_gop),
    # Older codecs whose headers live in the container's extradata: every GOP
    # bundle must carry them (issue #15).
    Case("mpeg4_late_start", "mp4", "mpeg4",
         ["-c:v", "mpeg4", "-g", "3", "-bf", "0", "-q:v", "3"], 40,
         video_delay=0.6,
         description="MPEG-4 Part 2 in MP4, mostly intra (GOP 3), AAC from "
                     "0 s and video from 0.6 s (an empty edit), VOL header "
                     "only in the extradata", features=("mpeg4", "audio"),
         verify=verify_video_delay),
    Case("mpeg2_gop12", "mkv", "mpeg2video",
         ["-c:v", "mpeg2video", "-g", "12", "-bf", "2", "-q:v", "4"], 36,
         description="MPEG-2 in Matroska, GOP 12 with 2 B-frames, sequence "
                     "header in the extradata", features=("mpeg2", "bframes")),
    # Raw elementary streams (Annex-B, no container, no timestamps), as
    # camera rigs and NVIDIA's samples write them (issue #15): frame id =
    # display order, from the pictures' POC.
    Case("raw_h264_pyramid", "h264", "h264", x264(12, bframes=3), 48,
         description="raw H.264 (.h264), GOP 12, 3 B-frames with B-pyramid",
         features=("raw", "bframes")),
    Case("raw_h264_open_gop", "264", "h264", x264(16, 2, open_gop=True), 48,
         description="raw H.264 (.264), open GOP 16 (recovery points), "
                     "2 B-frames", features=("raw", "bframes", "open_gop")),
    Case("raw_hevc_open_gop", "hevc", "hevc", x265(16, 3, open_gop=True), 48,
         **NVDEC_HEVC,
         description="raw HEVC (.hevc), open GOP 16 (CRA + RASL), "
                     "3 B-frames, parameter sets only at the start",
         features=("raw", "bframes", "open_gop")),
    Case("raw_h265_repeat_headers", "h265", "hevc",
         x265(10, extra=("repeat-headers=1",)), 30,
         **NVDEC_HEVC,
         description="raw HEVC (.h265), closed GOP 10, no B-frames, "
                     "parameter sets before every key frame",
         features=("raw",)),
    # The picture size changes at an IDR (a new SPS): every frame comes back
    # at its own size.
    Case("raw_h264_size_change", "h264", "h264", x264(8, bframes=2), 40,
         width=192, height=108, parts=((192, 108, 16), (256, 144, 24)),
         description="raw H.264: 16 frames at 192x108, then 24 at 256x144 "
                     "(new SPS at an IDR), GOP 8, 2 B-frames",
         features=("raw", "bframes", "size_change")),
    Case("raw_hevc_size_change", "hevc", "hevc", x265(12, bframes=2), 36,
         width=320, height=180, parts=((320, 180, 12), (256, 144, 24)),
         description="raw HEVC: 12 frames at 320x180, then 24 at 256x144 "
                     "(new VPS/SPS at an IDR), GOP 12, 2 B-frames",
         features=("raw", "bframes", "size_change")),
    # 4:2:2 (issue #15): webcams' MJPEG (full range), H.264 High 4:2:2 and
    # HEVC Main 4:2:2 10.
    Case("mjpeg_422", "avi", "mjpeg", ["-c:v", "mjpeg", "-q:v", "3"], 30,
         pix_fmt="yuvj422p", extra_filters="format=yuv422p",
         description="MJPEG yuvj422p (full range) in AVI, as webcams write "
                     "it; every frame a key frame", features=("422",)),
    Case("h264_422", "mp4", "h264", x264(12, bframes=2), 36,
         pix_fmt="yuv422p", extra_filters="format=yuv422p",
         description="H.264 High 4:2:2 (yuv422p) in MP4, GOP 12, "
                     "2 B-frames", features=("422", "bframes")),
    Case("h264_422_10bit", "mkv", "h264", x264(12, bframes=2), 36,
         pix_fmt="yuv422p10le", extra_filters="format=yuv422p10le",
         description="H.264 High 4:2:2 10-bit (yuv422p10le) in Matroska, "
                     "GOP 12, 2 B-frames", features=("422", "10bit", "bframes")),
    Case("hevc_422_10bit", "mp4", "hevc", x265(12, bframes=2), 36,
         **NVDEC_HEVC, pix_fmt="yuv422p10le", extra_filters="format=yuv422p10le",
         description="HEVC Main 4:2:2 10 (yuv422p10le) in MP4, GOP 12, "
                     "2 B-frames", features=("422", "10bit", "bframes")),
    Case("h264_10bit", "mp4", "h264",
         x264(12, bframes=2) + ["-profile:v", "high10"], 36,
         width=64, height=48, pix_fmt="yuv420p10le",
         extra_filters="format=yuv420p10le",
         description="H.264 High 10 (yuv420p10le) in MP4, 64x48, GOP 12, "
                     "2 B-frames", features=("bframes", "10bit")),
    Case("h264_444", "mp4", "h264",
         x264(12, bframes=2) + ["-profile:v", "high444"], 36,
         pix_fmt="yuv444p", extra_filters="format=yuv444p",
         description="H.264 High 4:4:4 Predictive (yuv444p) in MP4, GOP 12, 2 B-frames "
                     "(NVDEC has no H.264 4:4:4)", features=("444", "bframes")),
    # Below NVDEC's 144x144 HEVC minimum: a GPU decoder refuses it (fallback="raise")
    # or decodes it on the CPU (fallback="cpu").
    Case("hevc_tiny", "mp4", "hevc", x265(12, bframes=2), 36,
         width=96, height=64,
         description="HEVC 96x64 in MP4 (below NVDEC's minimum size), GOP 12, "
                     "2 B-frames", features=("bframes", "tiny")),
]


def lavfi_video(case: Case, first: int = 0) -> str:
    """lavfi graph producing the watermarked frames of ``case`` (from frame
    ``first`` on: the watermarks keep counting from the source's start)."""
    # trim makes the source finite (with an audio input, -frames:v alone
    # does not stop ffmpeg).
    # lavfi's colour source rounds 4:2:0 sizes down to even: make odd sizes
    # in 4:4:4 and let the conversion to 4:2:0 keep them.
    odd = case.width % 2 or case.height % 2
    graph = (f"color=c=black:s={case.width}x{case.height}:r={case.fps},"
             f"trim=end_frame={first + case.frames},"
             f"{'format=yuv444p,' if odd else ''}format=yuv420p,"
             f"{watermark.geq_filter()}")
    if first:
        graph += f",trim=start_frame={first},setpts=PTS-STARTPTS"
    if case.extra_filters:
        graph += "," + case.extra_filters
    return graph


def encode_command(case: Case, out: Path, first: int = 0) -> list[str]:
    cmd = [FFMPEG, *FF_COMMON]
    if case.audio_first:
        seconds = case.frames / case.fps
        cmd += ["-f", "lavfi", "-i",
                f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    cmd += ["-f", "lavfi", "-i", lavfi_video(case, first)]
    if case.audio_first:
        cmd += ["-map", "0:a", "-map", "1:v", "-c:a", "aac", "-b:a", "64k",
                "-flags:a", "+bitexact"]
    cmd += ["-frames:v", str(case.frames), *case.encoder,
            "-pix_fmt", case.pix_fmt, *case.output_args, *MUX_BITEXACT,
            str(out)]
    return cmd


def part_cases(case: Case) -> list[tuple[Case, int]]:
    """The single-size cases a ``parts`` case is made of, with the id of
    each one's first frame."""
    out, first = [], 0
    for width, height, frames in case.parts:
        out.append((dataclasses.replace(case, width=width, height=height,
                                        frames=frames, parts=()), first))
        first += frames
    return out


def encode_parts(case: Case, out: Path, tmp: Path) -> list[Path]:
    """Encode each part of a ``parts`` case into ``tmp`` and their bytes,
    concatenated, to ``out``; returns the parts' files (their oracles)."""
    pieces = []
    for k, (part, first) in enumerate(part_cases(case)):
        pieces.append(tmp / f"{k}.{case.container}")
        run(encode_command(part, pieces[-1], first))
    out.write_bytes(b"".join(p.read_bytes() for p in pieces))
    return pieces


def encode(case: Case, out: Path) -> None:
    """Encode ``case`` to ``out`` (via a stream-copy cut if it has one)."""
    if case.video_delay is not None:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / case.file
            run(encode_command(case, source))
            seconds = case.frames / case.fps + case.video_delay
            run([FFMPEG, *FF_COMMON, "-f", "lavfi", "-i",
                 f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                 "-itsoffset", str(case.video_delay), "-i", str(source),
                 "-map", "0:a", "-map", "1:v", "-c:a", "aac", "-b:a", "64k",
                 "-flags:a", "+bitexact", "-c:v", "copy", *MUX_BITEXACT,
                 str(out)])
        return
    if case.cut_seconds is None:
        run(encode_command(case, out))
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / case.file
        run(encode_command(case, source))
        run([FFMPEG, *FF_COMMON, "-ss", str(case.cut_seconds),
             "-i", str(source), "-map", "0", "-c", "copy", *MUX_BITEXACT,
             str(out)])


def bit_depth_of(pix_fmt: str) -> int:
    for depth in (16, 14, 12, 10, 9):
        if f"p{depth}" in pix_fmt:
            return depth
    return 8


def write_parts_oracle(case: Case, pieces: list[Path], md5_path: Path) -> list[int]:
    """framemd5 and watermarks of a ``parts`` case from its parts' files
    (ffmpeg's CLI would scale every frame to the first part's size)."""
    lines, marks = [], []
    for piece, (part, _) in zip(pieces, part_cases(case)):
        md5 = piece.with_suffix(".framemd5")
        write_framemd5(piece, md5)
        lines += [x for x in md5.read_text().splitlines()
                  if x and not x.startswith("#")]
        marks += read_watermarks(piece, part.width, part.height, 8)
    md5_path.write_text("\n".join(lines) + "\n")
    return marks


def describe(case: Case, path: Path, framemd5: str,
             marks: Optional[list[int]] = None) -> dict:
    """Manifest entry of a freshly encoded video (``marks``: the watermarks
    when already read, as for a ``parts`` case)."""
    stream = video_stream(path)
    frames = probe_frames(path)
    packets = probe_packets(path)
    bit_depth = bit_depth_of(stream["pix_fmt"])
    if marks is None:
        marks = read_watermarks(path, stream["width"], stream["height"],
                                bit_depth)
    pts = [f.get("pts", f.get("best_effort_timestamp")) for f in frames]
    if all(p is None for p in pts):
        # A raw stream: frames are timed by their display index, one frame
        # of the frame rate each (the library's Note [Untimed streams]).
        pts = list(range(len(pts)))
    sizes = [[w, h] for w, h, n in case.parts for _ in range(n)] or None
    return {
        "name": case.file,
        "file": case.file,
        "description": case.description,
        "container": case.container,
        "codec": stream["codec_name"],
        "codec_tag": stream.get("codec_tag_string", ""),
        "width": stream["width"],
        "height": stream["height"],
        "pix_fmt": stream["pix_fmt"],
        "bit_depth": bit_depth,
        "stream_index": stream["index"],
        "time_base": stream["time_base"],
        "avg_frame_rate": stream.get("avg_frame_rate"),
        "frame_count": count_framemd5_frames(path.parent / framemd5),
        "packet_count": len(packets),
        "discarded_packet_count": sum("D" in p["flags"] for p in packets),
        "watermarks": marks,
        "keyframe_ids": [i for i, f in enumerate(frames) if f["key_frame"]],
        "pict_types": "".join(f.get("pict_type", "?") for f in frames),
        "frame_pts": pts,
        "frame_sizes": sizes,  # [width, height] per frame when it changes
        "framemd5": framemd5,
        "features": list(case.features),
    }


def check_entry(case: Case, path: Path, entry: dict) -> None:
    """Sanity checks every video must pass, then the case's own checks."""
    n = entry["frame_count"]
    marks = entry["watermarks"]
    _require(entry["codec"] == case.codec, f"{path.name}: wrong codec")
    _require(len(marks) == n, f"{path.name}: {len(marks)} decoded frames "
             f"but {n} framemd5 lines")
    _require(len(entry["frame_pts"]) == n,
             f"{path.name}: ffprobe frame count differs from framemd5")
    first = marks[0] if marks else 0
    _require(marks == list(range(first, first + n)),
             f"{path.name}: watermarks are not consecutive: {marks}")
    if case.cut_seconds is None:
        _require(first == 0 and n == case.frames,
                 f"{path.name}: expected watermarks 0..{case.frames - 1}")
    else:
        _require(first > 0 and first + n == case.frames,
                 f"{path.name}: the cut should end at frame {case.frames}")
    # After a cut the first shown frame is a B/P frame decoded from the
    # discarded key frame before it.
    _require(case.cut_seconds is not None or entry["keyframe_ids"][:1] == [0],
             f"{path.name}: first frame is not a key frame")
    if case.verify:
        case.verify(path, entry)


def generate_case(case: Case, out_dir: Path) -> dict:
    path = out_dir / case.file
    framemd5 = f"{case.file}.framemd5"
    marks = None
    if case.parts:
        with tempfile.TemporaryDirectory() as tmp:
            pieces = encode_parts(case, path, Path(tmp))
            marks = write_parts_oracle(case, pieces, out_dir / framemd5)
    else:
        encode(case, path)
        write_framemd5(path, out_dir / framemd5)
    entry = describe(case, path, framemd5, marks)
    check_entry(case, path, entry)
    return entry


# --------------------------------------------------------------------------
# Broken inputs for error tests
# --------------------------------------------------------------------------

BAD_BASE = Case("bad_base", "mp4", "h264", x264(25, bframes=2), 50)
CORRUPT_SEED = 20240611
CORRUPT_BYTES = 256


def top_level_boxes(data: bytes) -> dict[str, tuple[int, int]]:
    """Offsets and sizes of the top-level ISO-BMFF boxes of ``data``."""
    boxes, pos = {}, 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        elif size == 0:
            size = len(data) - pos
        boxes[kind] = (pos, size)
        pos += size
    return boxes


def corrupt_mdat(data: bytes) -> bytes:
    """Overwrite CORRUPT_BYTES bytes in the middle of the mdat box with
    seeded random garbage."""
    start, size = top_level_boxes(data)["mdat"]
    middle = start + size // 2 - CORRUPT_BYTES // 2
    garbage = np.random.default_rng(CORRUPT_SEED).integers(
        0, 256, CORRUPT_BYTES, dtype=np.uint8).tobytes()
    return data[:middle] + garbage + data[middle + CORRUPT_BYTES:]


def generate_bad(out_dir: Path) -> dict:
    """Write the broken inputs; return {name: {file, description}}."""
    bad = {}

    def add(name: str, description: str) -> Path:
        bad[name] = {"file": name, "description": description}
        return out_dir / name

    add("bad_empty.mp4", "zero-byte file").write_bytes(b"")
    add("bad_text.mp4", "plain text file with an .mp4 name").write_text(
        "This is not a video file.\n" * 20)
    directory = add("bad_directory.mp4", "a directory named like a video")
    if directory.exists() and not directory.is_dir():
        directory.unlink()
    directory.mkdir(exist_ok=True)
    run([FFMPEG, *FF_COMMON, "-f", "lavfi", "-i",
         "sine=frequency=440:sample_rate=48000:duration=2", "-c:a", "aac",
         "-flags:a", "+bitexact", *MUX_BITEXACT,
         str(add("bad_audio_only.m4a", "AAC audio only, no video stream"))])

    with tempfile.TemporaryDirectory() as tmp:
        faststart = Path(tmp) / "faststart.mp4"
        moov_end = Path(tmp) / "moov_end.mp4"
        base = encode_command(BAD_BASE, moov_end)
        run(base)
        run(base[:-1] + ["-movflags", "+faststart", str(faststart)])
        fs, me = faststart.read_bytes(), moov_end.read_bytes()

    add("bad_truncated_faststart.mp4",
        "H.264 MP4 (50 frames) with moov first, cut to 60% of its bytes: "
        "index complete, the later samples are missing"
        ).write_bytes(fs[:len(fs) * 6 // 10])
    add("bad_truncated_moov_at_end.mp4",
        "H.264 MP4 with moov last, cut to 60% of its bytes: no moov at all"
        ).write_bytes(me[:len(me) * 6 // 10])
    add("bad_corrupt.mp4",
        f"H.264 MP4 (faststart, 50 frames) with {CORRUPT_BYTES} bytes in "
        "the middle of mdat overwritten by random garbage; the container "
        "is intact, decoding hits bitstream errors"
        ).write_bytes(corrupt_mdat(fs))
    nal = add("bad_nal_length.mp4",
              "H.264 MP4 (faststart, 50 frames) whose packet "
              f"{BAD_NAL_PACKET} starts with a NAL length field 5 bytes longer "
              "than the packet: FFmpeg drops that packet, so it decodes one "
              "frame fewer than there are packets")
    nal.write_bytes(fs)
    wrong_nal_length(nal, BAD_NAL_PACKET)
    # Found by the video fuzzer (tests/fuzz/video_fuzz.cpp): FFmpeg indexes such a stream
    # (codec id none) but nothing can decode it or record it in a bundle.
    tag = fs.index(b"avc1", fs.index(b"stsd"))  # the sample entry (moov comes first: faststart)
    add("bad_unknown_codec.mp4",
        "H.264 MP4 (faststart, 50 frames) whose sample entry says 'zzzz' instead of "
        "'avc1': a video stream of a codec FFmpeg does not know"
        ).write_bytes(fs[:tag] + b"zzzz" + fs[tag + 4:])
    return bad


BAD_NAL_PACKET = 30  # in GOP 1 (frames 25..49) of BAD_BASE, a P picture


# A file with two video streams, both marked default (issue #15): stream 0:v:0 is
# 320x180 H.264 with GOP 10, 0:v:1 480x270 HEVC with GOP 12; both 36 watermarked frames.
MULTI_STREAMS = (Case("multi_v0", "mkv", "h264", x264(10, bframes=2), 36, width=320, height=180),
                 Case("multi_v1", "mkv", "hevc", x265(12, bframes=2), 36, width=480, height=270))
MULTI_FILE = "multi_video.mkv"


def generate_multistream(out_dir: Path) -> dict:
    """The two-stream file and, per stream, its framemd5 and watermarks."""
    path = out_dir / MULTI_FILE
    cmd = [FFMPEG, *FF_COMMON]
    for case in MULTI_STREAMS:
        cmd += ["-f", "lavfi", "-i", lavfi_video(case)]
    for k, case in enumerate(MULTI_STREAMS):
        cmd += ["-map", f"{k}:v"]
    for k, case in enumerate(MULTI_STREAMS):
        for name, value in zip(case.encoder[0::2], case.encoder[1::2]):
            cmd += [(name if name.endswith(":v") else name + ":v") + f":{k}", value]
    cmd += ["-frames:v", str(MULTI_STREAMS[0].frames), "-pix_fmt", "yuv420p",
            "-disposition:v:0", "default", "-disposition:v:1", "default", *MUX_BITEXACT, str(path)]
    run(cmd)
    streams = []
    for k, case in enumerate(MULTI_STREAMS):
        md5 = f"{MULTI_FILE}.v{k}.framemd5"
        out = run([FFMPEG, "-v", "error", "-nostdin", "-i", str(path), "-map", f"0:v:{k}",
                   "-fps_mode", "passthrough", "-f", "framemd5", "-"]).stdout
        (out_dir / md5).write_bytes(out)
        planes = decode_luma_stream(path, k, case.width, case.height)
        streams.append({"framemd5": md5, "width": case.width, "height": case.height, "codec": case.codec,
                        "frame_count": count_framemd5_frames(out_dir / md5),
                        "watermarks": [watermark.read_watermark(p, 8) for p in planes]})
    return {"file": MULTI_FILE, "streams": streams}


def decode_luma_stream(path: Path, k: int, width: int, height: int) -> np.ndarray:
    out = run([FFMPEG, "-v", "error", "-nostdin", "-i", str(path), "-map", f"0:v:{k}", "-fps_mode",
               "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"]).stdout
    return np.frombuffer(out, dtype=np.uint8).reshape(-1, height, width)


def wrong_nal_length(path: Path, packet: int) -> None:
    """Make the first NAL length field of packet ``packet`` (decode order) of an
    MP4 with 4-byte NAL lengths run 5 bytes past the end of its packet."""
    info = probe_packet_positions(path)[packet]
    data = bytearray(path.read_bytes())
    pos = info["pos"]
    length = int.from_bytes(data[pos:pos + 4], "big")
    _require(4 + length <= info["size"], f"{path.name}: packet {packet} is not one NAL unit at its start")
    data[pos:pos + 4] = (info["size"] - 4 + 5).to_bytes(4, "big")
    path.write_bytes(bytes(data))


def probe_packet_positions(path: Path) -> list[dict]:
    packets = ffprobe_json(path, "-select_streams", "v:0", "-show_packets", "-show_entries",
                           "packet=pos,size")["packets"]
    return [{"pos": int(p["pos"]), "size": int(p["size"])} for p in packets]


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

class GenerationUnavailable(RuntimeError):
    """The videos must be generated but the ffmpeg/ffprobe CLI is missing."""


def tools_available() -> bool:
    """Whether the ffmpeg and ffprobe command-line tools can be run."""
    return shutil.which(FFMPEG) is not None and shutil.which(FFPROBE) is not None


def manifest_is_current(out_dir: Path) -> Optional[dict]:
    """The existing manifest if it is from this generator version and all
    its files exist, else None."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("generator_version") != GENERATOR_VERSION:
        return None
    files = [v["file"] for v in manifest["videos"].values()]
    files += [v["framemd5"] for v in manifest["videos"].values()]
    files += [b["file"] for b in manifest["bad"].values()]
    files += [manifest["multistream"]["file"]] + [s["framemd5"] for s in manifest["multistream"]["streams"]]
    if not all((out_dir / f).exists() for f in files):
        return None
    return manifest


@contextlib.contextmanager
def locked(out_dir: Path):
    """Exclusive lock on the output folder (parallel test workers)."""
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def generate(out_dir: Path) -> dict:
    """Generate all videos and bad inputs (overwriting older files of the
    same names); write and return the manifest."""
    workers = max(1, min(len(CASES), os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        bad_future = pool.submit(generate_bad, out_dir)
        multi_future = pool.submit(generate_multistream, out_dir)
        entries = list(pool.map(lambda c: generate_case(c, out_dir), CASES))
        bad = bad_future.result()
        multi = multi_future.result()
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "watermark": "see tests/videos/watermark.py",
        "videos": {e["name"]: e for e in entries},
        "bad": bad,
        "multistream": multi,
    }
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1) + "\n")
    tmp.replace(out_dir / MANIFEST)  # atomic: readers never see half of it
    return manifest


def ensure_generated(out_dir=DEFAULT_OUT, force: bool = False) -> dict:
    """Return the manifest of ``out_dir``, generating the files first if
    they are missing, from another generator version, or ``force``.

    A current manifest whose files all exist is returned as it is, without
    running ffmpeg/ffprobe or writing anything (the folder may be read-only).
    Raises GenerationUnavailable if generation is needed but the tools are
    missing."""
    out_dir = Path(out_dir)
    if not force:
        manifest = manifest_is_current(out_dir)
        if manifest is not None:
            return manifest
    if not tools_available():
        raise GenerationUnavailable(
            f"the test videos in {out_dir} are missing or from another "
            f"generator version (need GENERATOR_VERSION {GENERATOR_VERSION}) "
            f"and '{FFMPEG}'/'{FFPROBE}' were not found to generate them: run "
            f"'python3 tests/videos/generate.py' on a machine with ffmpeg and "
            f"copy the folder here")
    out_dir.mkdir(parents=True, exist_ok=True)
    with locked(out_dir):  # another worker may have generated them meanwhile
        manifest = None if force else manifest_is_current(out_dir)
        return manifest if manifest is not None else generate(out_dir)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true",
                        help="regenerate even if the manifest is current")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        manifest = ensure_generated(args.out, force=args.force)
    except GenerationUnavailable as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 1
    print(f"{len(manifest['videos'])} videos, {len(manifest['bad'])} bad "
          f"inputs in {args.out} ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
