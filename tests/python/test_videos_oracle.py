"""Sanity checks of the generated test videos and their reference data.

These tests only use the ffmpeg/ffprobe command-line tools: they check that
the oracle the library tests rely on (tests/videos/generated/manifest.json,
the framemd5 files and the watermarks) is consistent, not the library. Those
that run the tools skip where they are not installed (e.g. the GPU machine).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

VIDEOS_DIR = Path(__file__).resolve().parents[1] / "videos"
sys.path.insert(0, str(VIDEOS_DIR))

import generate  # noqa: E402
import watermark  # noqa: E402

OUT_DIR = generate.DEFAULT_OUT

needs_tools = pytest.mark.skipif(not generate.tools_available(),
                                 reason="the ffmpeg/ffprobe CLI is not installed: oracle checks "
                                        "that run it skipped")


@pytest.fixture(scope="module")
def manifest() -> dict:
    try:
        return generate.ensure_generated(OUT_DIR)
    except generate.GenerationUnavailable as e:
        pytest.skip(f"test videos unavailable: {e}")


def videos(manifest: dict, feature: str | None = None) -> list[dict]:
    return [v for v in manifest["videos"].values()
            if feature is None or feature in v["features"]]


def test_manifest_lists_every_case(manifest):
    assert manifest["generator_version"] == generate.GENERATOR_VERSION
    assert set(manifest["videos"]) == {c.file for c in generate.CASES}
    for entry in manifest["bad"].values():
        assert (OUT_DIR / entry["file"]).exists()


@needs_tools
def test_watermarks_match_sequential_decode(manifest):
    for v in videos(manifest):
        marks = generate.read_watermarks(OUT_DIR / v["file"], v["width"],
                                         v["height"], v["bit_depth"])
        assert marks == v["watermarks"], v["name"]
        first = marks[0]
        assert marks == list(range(first, first + len(marks))), v["name"]


def test_frame_count_matches_framemd5(manifest):
    for v in videos(manifest):
        n = generate.count_framemd5_frames(OUT_DIR / v["framemd5"])
        assert n == v["frame_count"] == len(v["watermarks"]), v["name"]
        assert len(v["frame_pts"]) == n, v["name"]
        assert set(v["keyframe_ids"]) <= set(range(n)), v["name"]


def test_pix_fmt_and_bit_depth(manifest):
    cases = {c.file: c for c in generate.CASES}
    for v in videos(manifest):
        assert v["pix_fmt"] == cases[v["name"]].pix_fmt, v["name"]
        assert v["bit_depth"] == (10 if v["pix_fmt"].endswith("10le") else 8), v["name"]
    assert videos(manifest, "10bit")


def test_the_classes_of_issue_15_are_what_they_claim(manifest):
    """Odd VP9 sizes, raw streams (no timestamps: frames timed by display index), size
    changes, 4:2:2 in three codecs, an MPEG-4 late start: each class with several files."""
    odd = videos(manifest, "odd_size")
    assert sum(v["codec"] == "vp9" and (v["width"] % 2 or v["height"] % 2) for v in odd) >= 4
    assert {(v["width"] % 2, v["height"] % 2) for v in odd if v["codec"] == "vp9"} >= {(1, 1), (1, 0), (0, 1)}
    raw = videos(manifest, "raw")
    assert {v["container"] for v in raw} == {"h264", "264", "hevc", "h265"}
    for v in raw:
        assert v["frame_pts"] == list(range(v["frame_count"])), v["name"]
        if generate.tools_available():
            assert all("pts" not in p for p in generate.probe_packets(OUT_DIR / v["file"])), v["name"]
    for v in videos(manifest, "size_change"):
        assert len({tuple(s) for s in v["frame_sizes"]}) == 2, v["name"]
    assert {v["codec"] for v in videos(manifest, "422")} == {"mjpeg", "h264", "hevc"}
    assert {v["codec"] for v in videos(manifest, "open_gop")} == {"h264", "hevc"}


@needs_tools
def test_hevc_open_gop_has_cra_and_rasl(manifest):
    entry = manifest["videos"]["hevc_hev1_open_gop.mp4"]
    assert entry["codec_tag"] == "hev1"
    types = generate.nal_unit_types(OUT_DIR / entry["file"])
    assert 21 in types                    # CRA_NUT
    assert 8 in types or 9 in types       # RASL_N / RASL_R
    assert len(entry["keyframe_ids"]) > 1


@needs_tools
def test_h264_open_gop_has_non_idr_keyframes(manifest):
    entry = manifest["videos"]["h264_open_gop.mp4"]
    types = generate.nal_unit_types(OUT_DIR / entry["file"])
    assert types.count(5) == 1            # a single IDR slice
    assert len(entry["keyframe_ids"]) > 1  # recovery-point I frames


def test_hvc1_tag(manifest):
    assert manifest["videos"]["hevc_hvc1_bframes_gop24.mp4"][
        "codec_tag"] == "hvc1"


@needs_tools
def test_edit_list_discards_leading_packets(manifest):
    entry = manifest["videos"]["h264_edit_list.mp4"]
    packets = generate.probe_packets(OUT_DIR / entry["file"])
    discarded = sum("D" in p["flags"] for p in packets)
    assert discarded == entry["discarded_packet_count"] > 0
    assert entry["frame_count"] == len(packets) - discarded
    assert entry["watermarks"][0] > 0     # starts mid-GOP of the source


def test_vfr_timestamps_are_irregular(manifest):
    for v in videos(manifest, "vfr"):
        steps = np.diff(v["frame_pts"])
        assert (steps > 0).all(), v["name"]
        assert len(set(steps.tolist())) > 3, v["name"]


def test_other_codecs_and_profiles(manifest):
    """AV1, VP9 and H.264 High 10: the CPU back end decodes them, NVDEC on many GPUs
    must refuse the first and the last."""
    av1, vp9, h264_10 = (manifest["videos"][n] for n in ("av1_gop8.mp4", "vp9_gop8.webm", "h264_10bit.mp4"))
    assert (av1["codec"], av1["codec_tag"], av1["bit_depth"]) == ("av1", "av01", 8)
    assert (vp9["codec"], vp9["container"], vp9["bit_depth"]) == ("vp9", "webm", 8)
    assert (h264_10["codec"], h264_10["pix_fmt"]) == ("h264", "yuv420p10le")
    for v in (av1, vp9, h264_10):
        assert len(v["keyframe_ids"]) == 3, v["name"]


@needs_tools
def test_av1_has_hidden_frames(manifest):
    """libaom's alt-ref frames: some frame headers are not shown, others show an
    existing frame, so decoding is not one packet in, one picture out."""
    entry = manifest["videos"]["av1_gop8.mp4"]
    proc = generate.run([generate.FFMPEG, "-hide_banner", "-nostdin", "-v", "info", "-i",
                         str(OUT_DIR / entry["file"]), "-map", "0:v:0", "-c", "copy", "-bsf:v",
                         "trace_headers", "-f", "null", "-"])
    log = proc.stderr.decode(errors="replace").splitlines()
    values = lambda key: [int(line.rsplit("=", 1)[1]) for line in log  # noqa: E731
                          if line.split("]")[-1].split()[1:2] == [key]]
    assert 0 in values("show_frame")
    assert 1 in values("show_existing_frame")
    assert entry["packet_count"] == entry["frame_count"]


def test_audio_first_video_is_stream_1(manifest):
    assert manifest["videos"]["h264_audio_first.mp4"]["stream_index"] == 1


def test_read_watermark_roundtrip():
    """read_watermark on synthetic planes: 8/10-bit, odd size, strided."""
    for value in (0, 1, 17, 1234, 4095):
        plane = synthetic_plane(value, 362, 642)
        assert watermark.read_watermark(plane) == value
        assert watermark.read_watermark(plane.astype(np.uint16) * 4,
                                        bit_depth=10) == value
        wide = np.zeros((362, 642 * 2), np.uint8)
        wide[:, ::2] = plane
        assert watermark.read_watermark(wide[:, ::2]) == value
        rgb = np.repeat(((plane.astype(np.int32) - 16) * 255 // 219)
                        .astype(np.uint8)[:, :, None], 3, axis=2)
        assert watermark.read_watermark_rgb(rgb) == value


def test_read_watermark_rejects_bad_check():
    # Only the left column of cells is white: bits 0, 4, 8 and 12, i.e.
    # value 273 with check 1, but 273 % 15 == 3.
    plane = np.tile(np.where(np.arange(192) < 48, 235, 16).astype(np.uint8),
                    (108, 1))
    with pytest.raises(ValueError):
        watermark.read_watermark(plane)


def synthetic_plane(value: int, h: int, w: int) -> np.ndarray:
    """Luma plane drawn like the geq filter does."""
    code = watermark.encode(value)
    ys, xs = np.mgrid[0:h, 0:w]
    bit = (ys * 4 // h) * 4 + xs * 4 // w
    return np.where((code >> bit) & 1, 235, 16).astype(np.uint8)
