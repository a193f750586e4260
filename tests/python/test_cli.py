"""Tests of the ``odvd`` command-line tool and its helpers (PNG writer, progress bar, sample).

The videos are generated here with the ffmpeg CLI (tiny, a few seconds in all),
so these tests do not depend on tests/videos/generated. The PNG files the tool
writes are read back with zlib/struct only, independently of the writer.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from on_demand_video_decoder import _odvd, _sample, cli
from on_demand_video_decoder._png import PNG_SIGNATURE, encode_png, write_png
from on_demand_video_decoder._progress import Progress

needs_ffmpeg = pytest.mark.skipif(shutil.which(os.environ.get("FFMPEG", "ffmpeg")) is None,
                                  reason="the ffmpeg CLI is needed to generate test videos")

TINY = dict(width=128, height=72, fps=25, frames=40, gop=10)
SMALL_SAMPLE = _sample.SampleSpec(cameras=6, width=160, height=90, fps=25, frames=60, gop=30)


# ----------------------------------------------------------------------------- helpers

def read_png(data: bytes) -> np.ndarray:
    """Decode an 8-bit, non-interlaced, filter-0 PNG (what our writer makes), checking every CRC."""
    assert data[:8] == PNG_SIGNATURE
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        payload = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF, f"bad CRC in {kind!r}"
        chunks.append((kind, payload))
        pos += 12 + length
    assert pos == len(data)
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, color_type, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, comp, filt, interlace) == (8, 0, 0, 0)
    channels = {0: 1, 2: 3}[color_type]
    raw = zlib.decompress(b"".join(p for k, p in chunks if k == b"IDAT"))
    rows = np.frombuffer(raw, np.uint8).reshape(height, 1 + width * channels)
    assert not rows[:, 0].any(), "every scanline must use filter type 0"
    image = rows[:, 1:].reshape(height, width, channels)
    return image[:, :, 0] if channels == 1 else image


def rgb_frames(path: Path, ids: list[int], as_bgr: bool = False) -> list[np.ndarray]:
    dec = nvc.PyNvGopDecoder(maxfiles=len(ids), iGpu=-1, suppressNoColorRangeWarning=True)
    return [np.array(f) for f in dec.DecodeN12ToRGB([str(path)] * len(ids), ids, as_bgr=as_bgr)]


def has_index_info() -> bool:
    return hasattr(_odvd, "GetIndexInfo")


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory) -> Path:
    if shutil.which(os.environ.get("FFMPEG", "ffmpeg")) is None:
        pytest.skip("the ffmpeg CLI is needed to generate test videos")
    return _sample.make_video(tmp_path_factory.mktemp("videos") / "tiny.mp4", hue_degrees=90, **TINY)


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory) -> _sample.Sample:
    if shutil.which(os.environ.get("FFMPEG", "ffmpeg")) is None:
        pytest.skip("the ffmpeg CLI is needed to generate test videos")
    return _sample.ensure_sample(tmp_path_factory.mktemp("sample"), SMALL_SAMPLE)


# ----------------------------------------------------------------------------- PNG writer

@pytest.mark.parametrize("shape", [(1, 1, 3), (7, 13, 3), (64, 48, 3), (5, 9), (1, 1)])
def test_png_round_trip(shape):
    pixels = np.random.default_rng(1).integers(0, 256, size=shape, dtype=np.uint8)
    assert np.array_equal(read_png(encode_png(pixels)), pixels)


def test_png_accepts_strided_views_and_writes_atomically(tmp_path):
    base = np.random.default_rng(2).integers(0, 256, size=(40, 60, 3), dtype=np.uint8)
    view = base[::2, ::3, ::-1]  # non-contiguous, negative stride
    target = tmp_path / "x.png"
    write_png(target, view)
    assert np.array_equal(read_png(target.read_bytes()), view)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # no temporary file left


def test_png_header_fields_and_crc_of_known_image():
    data = encode_png(np.zeros((2, 3, 3), np.uint8))
    ihdr = data[8:8 + 25]
    assert ihdr[4:8] == b"IHDR"
    assert struct.unpack(">IIBBBBB", ihdr[8:21]) == (3, 2, 8, 2, 0, 0, 0)
    assert struct.unpack(">I", ihdr[21:25])[0] == zlib.crc32(ihdr[4:21])
    assert data.endswith(b"\x00\x00\x00\x00IEND\xaeB`\x82")  # the fixed IEND chunk


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.uint16), np.zeros((4, 4, 4), np.uint8),
                                 np.zeros((0, 4, 3), np.uint8), np.zeros(5, np.uint8)])
def test_png_rejects_unsupported_arrays(bad):
    with pytest.raises(ValueError):
        encode_png(bad)


# ----------------------------------------------------------------------------- progress bar

def test_progress_is_silent_when_not_a_tty():
    stream = io.StringIO()
    assert list(Progress(3, "x", stream=stream).wrap(range(3))) == [0, 1, 2]
    assert stream.getvalue() == ""


def test_progress_forced_draws_one_line():
    stream = io.StringIO()
    with Progress(4, "work", stream=stream, enabled=True, min_interval=0) as bar:
        for _ in range(4):
            bar.update()
    text = stream.getvalue()
    assert text.startswith("\rwork [") and text.endswith("\n") and text.count("\n") == 1
    assert "4/4 100%" in text.rsplit("\r", 1)[-1]


def test_progress_render_without_total():
    bar = Progress(None, "n", stream=io.StringIO(), unit="calls")
    bar.update(5)
    assert bar.render().startswith("n 5 ") and bar.render().endswith("calls/s")


# ----------------------------------------------------------------------------- sample

def test_sample_command_uses_fixed_gop():
    cmd = _sample.ffmpeg_command("ffmpeg", "o.mp4", width=64, height=32, fps=25, frames=10, gop=30,
                                 hue_degrees=120)
    assert "keyint=30:min-keyint=30:scenecut=0" in cmd and "veryfast" in cmd
    assert "testsrc2=size=64x32:rate=25" in cmd and "hue=h=120,format=yuv420p" in cmd


def test_sample_missing_ffmpeg_is_a_clear_error(tmp_path):
    with pytest.raises(_sample.SampleError, match="not found"):
        _sample.ensure_sample(tmp_path, SMALL_SAMPLE, ffmpeg="no-such-ffmpeg-binary")


@needs_ffmpeg
def test_sample_is_complete_and_idempotent(small_sample):
    assert [p.name for p in small_sample.paths] == [f"cam{i}.mp4" for i in range(6)]
    stamps = [p.stat().st_mtime_ns for p in small_sample.paths]
    again = _sample.ensure_sample(small_sample.directory)  # spec=None: use what is there
    assert again.spec == SMALL_SAMPLE
    assert [p.stat().st_mtime_ns for p in again.paths] == stamps
    info = nvc.GetFastInitInfo([str(small_sample.paths[0])])[0]
    assert (info.codec_id, info.width, info.height) == (27, 160, 90)
    # Cameras differ from each other (different hue) at the same frame id.
    first = [rgb_frames(p, [5])[0] for p in small_sample.paths[:2]]
    assert not np.array_equal(first[0], first[1])


# ----------------------------------------------------------------------------- info

def test_describe_gops():
    assert cli.describe_gops([0, 30, 60], [30, 30, 10]) == "3 GOPs of 30 frames (last: 10)"
    assert cli.describe_gops([0], [7]) == "1 GOP of 7 frames"
    assert cli.describe_gops([0, 5, 20], [5, 15, 3]) == "3 GOPs of 3..15 frames (mean 7.7)"
    assert cli.describe_gops([], []) == "no GOPs"


def test_codec_and_pixel_format_names():
    # AV1's AVCodecID is 226 in FFmpeg 5.1 and 225 in 7.1: the name follows the FFmpeg in use.
    av1 = {e["name"]: e["av_codec_id"] for e in _odvd.codec_table()}["av1"]
    assert [cli.codec_name(c) for c in (27, 173, av1, 167, 9999)] == \
        ["h264", "hevc", "av1", "vp9", "codec #9999"]
    assert cli.pixel_format_name(0) == "yuv420p" and cli.pixel_format_name(62) == "yuv420p10le"


def test_info_text(tiny_video, capsys):
    assert cli.main(["info", str(tiny_video)]) == 0
    out = capsys.readouterr().out
    assert "codec:         h264 (AVCodecID 27)" in out
    assert "size:          128x72" in out and "yuv420p (8-bit)" in out
    assert "frame rate:    25/1 (25 fps)" in out
    if has_index_info():
        assert "frames:        40" in out
        assert "GOPs:          4 GOPs of 10 frames" in out
        assert "GOP starts:    0, 10, 20, 30" in out
    else:
        assert "frame index: not available in this build" in out


def test_info_json(tiny_video, capsys):
    assert cli.main(["info", str(tiny_video), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["codec"] == "h264" and (info["width"], info["height"]) == (128, 72)
    assert info["avg_frame_rate"] == [25, 1] and info["bit_depth"] == 8
    if has_index_info():
        assert info["index"]["frame_count"] == 40
        assert info["index"]["gop_first_frame_ids"] == [0, 10, 20, 30]
        assert info["index"]["gop_lengths"] == [10, 10, 10, 10]
    else:
        assert info["index"] is None


def test_info_without_index_function(tiny_video, capsys, monkeypatch):
    monkeypatch.delattr(_odvd, "GetIndexInfo", raising=False)
    assert cli.main(["info", str(tiny_video)]) == 0
    assert "frame index: not available in this build" in capsys.readouterr().out


def test_info_formats_index_dict(tiny_video, capsys, monkeypatch):
    fake = {"frame_count": 70, "declared_frames": 72, "gop_first_frame_ids": [0, 30, 60],
            "gop_lengths": [30, 30, 10], "key_frame_ids": [0, 29, 60], "container": "mov,mp4",
            "color_range": 2, "color_matrix": 1}
    monkeypatch.setattr(_odvd, "GetIndexInfo", lambda path, video_stream=-1: dict(fake), raising=False)
    assert cli.main(["info", str(tiny_video)]) == 0
    out = capsys.readouterr().out
    assert "frames:        70 (the container declares 72)" in out
    assert "GOPs:          3 GOPs of 30 frames (last: 10)" in out
    assert "key frames:    0, 29, 60" in out
    assert "color range:   full (pc)" in out and "color matrix:  bt709" in out
    fake.update(color_range=0, color_matrix=2)  # nothing signalled: what will be assumed is said
    assert cli.main(["info", str(tiny_video)]) == 0
    out = capsys.readouterr().out
    assert "color range:   unspecified (the file signals none: limited (tv) is assumed)" in out
    assert "color matrix:  unspecified (the file signals none: bt601 is assumed)" in out


def test_plurals():
    assert (cli._plural(1, "video"), cli._plural(0, "video"), cli._plural(3, "GOP")) == ("1 video", "0 videos", "3 GOPs")


# ----------------------------------------------------------------------------- decode

def out_path(folder: Path, video: Path, frame_id: int, fmt: str) -> Path:
    """What `odvd decode` names a frame: <stem>-<CRC-32 of the absolute path>_frame<id>."""
    tag = zlib.crc32(str(video.resolve()).encode()) & 0xFFFFFFFF
    return folder / f"{video.stem}-{tag:08x}_frame{frame_id}.{fmt}"


def test_same_named_videos_of_two_folders_do_not_overwrite_each_other(tiny_video, tmp_path, capsys):
    other = tmp_path / "b" / tiny_video.name
    other.parent.mkdir()
    shutil.copy(tiny_video, other)
    for video in (tiny_video, other):
        assert cli.main(["decode", str(video), "--frames", "3", "--out", str(tmp_path / "out")]) == 0
    written = capsys.readouterr().out.split()
    assert len(set(written)) == 2 and all(Path(w).is_file() for w in written)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(Path(w).name for w in written)


def test_output_piped_into_a_reader_that_stops_ends_quietly(tiny_video):
    done = subprocess.run(f"{shlex.quote(sys.executable)} -m on_demand_video_decoder.cli info "
                          f"{shlex.quote(str(tiny_video))} | head -1", shell=True, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.startswith("file:") and done.stderr == "", done.stderr


def test_errors_speak_of_the_cli_options():
    assert cli._cli_words("'a.mp4': NVDEC cannot decode MJPEG streams; fallback='cpu' (the default) decodes such "
                          "streams on the CPU, iGpu=-1 decodes everything there") == (
        "'a.mp4': NVDEC cannot decode MJPEG streams; the default decodes such streams on the CPU, --gpu -1 decodes "
        "everything there")
    assert cli._cli_words("iGpu=3 is not a CUDA device") == "--gpu 3 is not a CUDA device"

def test_decode_png_equals_decoder_output(tiny_video, tmp_path, capsys):
    ids = [0, 17, 39, 9, 10]
    assert cli.main(["decode", str(tiny_video), "--frames", "0,17,39,9-10", "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().out.split()
    assert sorted(written) == sorted(str(out_path(tmp_path, tiny_video, i, "png")) for i in ids)
    for frame_id, expected in zip(ids, rgb_frames(tiny_video, ids)):
        assert np.array_equal(read_png(out_path(tmp_path, tiny_video, frame_id, "png").read_bytes()), expected)


def test_decode_bgr_npy_and_png(tiny_video, tmp_path):
    assert cli.main(["decode", str(tiny_video), "--frames", "3,3,25", "--out", str(tmp_path / "n"),
                     "--bgr", "--format", "npy"]) == 0
    assert cli.main(["decode", str(tiny_video), "--frames", "25", "--out", str(tmp_path / "p"),
                     "--bgr"]) == 0
    bgr = rgb_frames(tiny_video, [3, 25], as_bgr=True)
    assert np.array_equal(np.load(out_path(tmp_path / "n", tiny_video, 3, "npy")), bgr[0])
    assert np.array_equal(np.load(out_path(tmp_path / "n", tiny_video, 25, "npy")), bgr[1])
    # PNG has no BGR layout: the file holds the same image in RGB order.
    assert np.array_equal(read_png(out_path(tmp_path / "p", tiny_video, 25, "png").read_bytes()),
                          rgb_frames(tiny_video, [25])[0])


def test_decode_more_frames_than_one_batch(tiny_video, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "MAX_BATCH", 8)
    assert cli.main(["decode", str(tiny_video), "--frames", "0-39", "--out", str(tmp_path),
                     "--format", "npy"]) == 0
    expected = rgb_frames(tiny_video, list(range(40)))
    for i in (0, 7, 8, 31, 39):
        assert np.array_equal(np.load(out_path(tmp_path, tiny_video, i, "npy")), expected[i])


@pytest.mark.parametrize("args, message", [
    (["--frames", "5,40"], "out of range"),
    (["--frames", "-1"], "out of range"),
    (["--frames", "1,x"], "invalid frame list"),
])
def test_decode_bad_ids_exit_2(tiny_video, tmp_path, capsys, args, message):
    assert cli.main(["decode", str(tiny_video), "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("odvd")


def test_decode_unreadable_file_exit_2(tmp_path, capsys):
    bogus = tmp_path / "not_a_video.mp4"
    bogus.write_text("hello")
    for path in (bogus, tmp_path / "missing.mp4"):
        assert cli.main(["decode", str(path), "--frames", "0", "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("odvd: error: ") and err.count("\n") == 1 and str(path) in err


def test_module_entry_point_subprocess(tiny_video):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(Path(nvc.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")])))
    ok = subprocess.run([sys.executable, "-m", "on_demand_video_decoder.cli", "info", str(tiny_video),
                         "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["width"] == 128
    bad = subprocess.run([sys.executable, "-m", "on_demand_video_decoder.cli", "decode",
                          str(tiny_video), "--frames", "1000", "--out", "unused"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "out of range" in bad.stderr and "Traceback" not in bad.stderr


# ----------------------------------------------------------------------------- demo

def test_contact_sheet_layout():
    images = [np.full((6, 8, 3), i, np.uint8) for i in range(1, 7)]
    sheet = cli.contact_sheet(images, columns=3, step=2, gap=1)
    assert sheet.shape == (2 * 3 + 1, 3 * 4 + 2, 3)
    assert sheet[0, 0, 0] == 1 and sheet[0, 5, 0] == 2 and sheet[4, 10, 0] == 6
    assert sheet[3, :, :].max() == 0  # the gap row


def test_demo_on_small_sample(small_sample, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--iterations", "3", "--dir", str(small_sample.directory), "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "3 calls x 6 cameras: 18 frames" in out and "frames/s" in out and "p50" in out
    sheet = read_png((tmp_path / "odvd_demo" / "contact_sheet.png").read_bytes())
    assert sheet.shape == (2 * 45 + 4, 3 * 80 + 2 * 4, 3)
    # The sheet shows the last call's frames: replay the seeded ids and compare each tile.
    rng = np.random.default_rng(7)
    ids = [rng.integers(0, SMALL_SAMPLE.frames, size=6) for _ in range(3)][-1]
    for cam, (path, frame_id) in enumerate(zip(small_sample.paths, ids)):
        y, x = (cam // 3) * (45 + 4), (cam % 3) * (80 + 4)
        assert np.array_equal(sheet[y:y + 45, x:x + 80], rgb_frames(path, [int(frame_id)])[0][::2, ::2])


def test_demo_reports_missing_ffmpeg(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FFMPEG", "no-such-ffmpeg-binary")
    assert cli.main(["demo", "--dir", str(tmp_path / "empty"), "--out", str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err
    assert "no-such-ffmpeg-binary" in err and "was not found" in err


# ----------------------------------------------------------------------------- doctor

def test_doctor_on_this_machine(tiny_video, capsys):
    assert cli.main(["doctor", "--video", str(tiny_video)]) == 0
    out = capsys.readouterr().out
    info = nvc.build_info()
    assert f"FFmpeg:        {info['ffmpeg_version']}" in out
    assert f"on_demand_video_decoder {nvc.__version__}" in out
    assert "decode cpu:     ok, frames 0 and 39" in out
    assert out.rstrip().endswith("no problems found")
    if nvc.cuda_device_count() == 0:
        assert "NVIDIA driver: none; 0 device(s)" in out and "decoding runs on the CPU" in out
    else:
        assert "GPU 0:" in out and "NVDEC decodes" in out and "h264 8-bit" in out
        assert "decode gpu 0:   ok, frames 0 and 39" in out


def test_doctor_json_and_a_failing_decode(tmp_path, capsys):
    bad = tmp_path / "not_a_video.mp4"
    bad.write_bytes(b"\0" * 1000)
    assert cli.main(["doctor", "--video", str(bad), "--json"]) == 2  # a problem found: exit 2
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"package", "build", "cpu", "driver", "gpus", "test_video", "decode_checks", "problems"}
    assert report["decode_checks"]["cpu"]["ok"] is False
    assert any("not_a_video.mp4" in p and "odvd info FILE" in p for p in report["problems"])
    assert report["build"]["libavcodec"].count(".") == 2


def test_build_info_says_what_this_build_is():
    info = nvc.build_info()
    assert info["version"] == nvc.__version__
    assert info["ffmpeg_version"] and info["ffmpeg_configuration"].startswith("--")
    assert "GPL" in info["ffmpeg_license"] or "LGPL" in info["ffmpeg_license"]
    assert isinstance(info["nvdec"], bool) and isinstance(info["cpu_features"], list)
    assert info["benchmark_helpers"] == hasattr(nvc._odvd, "_decode_throughput")


def test_doctor_reports_nvdec_caps_on_a_gpu(capsys):
    if nvc.cuda_device_count() == 0:
        pytest.skip("no CUDA device: NVDEC caps not reported")
    gpus = nvc._odvd.describe_gpus()
    caps = {(c["codec"], c["chroma_format"], c["bit_depth"]): c for c in gpus[0]["nvdec"]}
    assert caps[("h264", "4:2:0", 8)]["supported"] and caps[("h264", "4:2:0", 8)]["used"]
    assert caps[("hevc", "4:2:0", 10)]["used"]
    assert caps[("hevc", "4:2:0", 8)]["min_size"] == (144, 144)
    assert not any(c["used"] for c in gpus[0]["nvdec"] if c["chroma_format"] != "4:2:0")
