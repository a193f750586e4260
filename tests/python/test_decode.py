"""Random access on every back end (CPU: iGpu=-1, NVDEC: iGpu=0; the `backend` fixture in
conftest.py): right frame, bit-exact YUV, RGB within tolerance.

Oracles: frame-id watermarks (tests/videos/watermark.py), ffmpeg's framemd5 of the
decoded YUV, and ffmpeg's own rgb24 conversion. Pixels are read with conftest's
to_numpy (GPU frames have no buffer protocol). Videos NVDEC cannot decode on the GPU
at hand must be refused with a RuntimeError naming the file and NVDEC.
"""

from __future__ import annotations

import hashlib
import random
import subprocess

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import (assert_nvdec_refuses, data_pointer, dlpack_device, fill_zero, frame_watermark,
                      frame_size, needs_ffmpeg, nvdec_supports, planar_yuv_bytes, read_framemd5,
                      skip_unless_bit_exact, to_numpy, video_path, zero_copy_view)
import generate
import watermark

ALL_VIDEOS = [c.file for c in generate.CASES]


@pytest.fixture(scope="module")
def decoder(igpu):
    # fallback="raise": streams NVDEC refuses must be refused here (test_fallback.py
    # tests decoding them on the CPU instead).
    return nvc.PyNvGopDecoder(maxfiles=8, iGpu=igpu, suppressNoColorRangeWarning=True, fallback="raise")


def refused(backend: str, entry: dict, calls) -> bool:
    """On NVDEC, a video the GPU cannot decode: check every call in ``calls`` is refused
    clearly and return True (the caller stops there)."""
    skip_unless_bit_exact(backend, entry)
    if backend != "nvdec" or nvdec_supports(entry):
        return False
    path = str(generate.DEFAULT_OUT / entry["file"])
    for call in calls:
        assert_nvdec_refuses(call, path)
    return True


def assert_on_backend(frame, igpu: int) -> None:
    assert dlpack_device(frame) == ((1, 0) if igpu < 0 else (2, igpu))


def batches_with_duplicates(n: int, size: int, seed: int) -> list[list[int]]:
    """Every id of 0..n-1 once, shuffled, in batches; each batch repeats one id."""
    rng = random.Random(seed)
    ids = list(range(n))
    rng.shuffle(ids)
    out = []
    for i in range(0, n, size - 1):
        chunk = ids[i:i + size - 1]
        out.append(chunk + [rng.choice(chunk)])
    return out


@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_every_frame_by_random_access_is_bit_exact(decoder, backend, igpu, manifest, name):
    entry = manifest["videos"][name]
    path = video_path(manifest, name)
    md5 = read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])
    assert nvc._odvd.GetIndexInfo(path)["frame_count"] == entry["frame_count"] == len(md5)
    last = entry["frame_count"] - 1
    if refused(backend, entry, [lambda: decoder.Decode([path], [0]),
                                lambda: decoder.Decode([path, path], [last, 0]),
                                lambda: decoder.DecodeN12ToRGB([path], [last])]):
        return
    for batch in batches_with_duplicates(entry["frame_count"], 8, seed=len(name)):
        frames = decoder.Decode([path] * len(batch), batch)
        assert len(frames) == len(batch)
        for fid, frame in zip(batch, frames):
            assert_on_backend(frame, igpu)
            assert (frame.width, frame.height) == frame_size(entry, fid)
            assert frame_watermark(frame) == entry["watermarks"][fid], f"{name} frame {fid}"
            assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[fid], f"{name} frame {fid}"


@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_frame_threads_change_nothing(manifest, name):
    """16 libavcodec frame threads (more than this machine may have): bit-exact, and no
    valid picture mistaken for a damaged one (Note [Decoder complaints])."""
    entry = manifest["videos"][name]
    path = video_path(manifest, name)
    md5 = read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])
    decoder = nvc.PyNvGopDecoder(8, -1, True, decoder_threads=16)
    for batch in batches_with_duplicates(entry["frame_count"], 8, seed=len(name) + 1):
        for fid, frame in zip(batch, decoder.Decode([path] * len(batch), batch)):
            assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[fid], f"{name} frame {fid}"


@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_timestamps_and_formats(decoder, backend, manifest, name):
    entry = manifest["videos"][name]
    path = video_path(manifest, name)
    ids = [0, entry["frame_count"] - 1, entry["frame_count"] // 2]
    if refused(backend, entry, [lambda: decoder.Decode([path] * 3, ids)]):
        return
    frames = decoder.Decode([path] * 3, ids)
    for fid, frame in zip(ids, frames):
        assert frame.timestamp == entry["frame_pts"][fid]
        if "422" in entry["pix_fmt"]:
            want = nvc.PixelFormat.P216 if entry["bit_depth"] > 8 else nvc.PixelFormat.NV16
        elif "444" in entry["pix_fmt"]:
            want = nvc.PixelFormat.YUV444_16Bit if entry["bit_depth"] > 8 else nvc.PixelFormat.YUV444
        else:
            want = nvc.PixelFormat.P016 if entry["bit_depth"] > 8 else nvc.PixelFormat.NV12
        assert frame.format == want
        assert frame.dtype == ("uint16" if entry["bit_depth"] > 8 else "uint8")
        assert frame.bit_depth == entry["bit_depth"]


def ffmpeg_rgb24(path: str, width: int, height: int) -> np.ndarray:
    raw = subprocess.run([generate.FFMPEG, "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


# Documented tolerance against FFmpeg's swscale rgb24 conversion of the same YUV
# (README, "Colour"): our nearest-sample chroma and Q16 rounding differ from swscale's
# only by small amounts, and nearly never where chroma is flat.
RGB_MAX_ABS_DIFF = 3
RGB_MEAN_ABS_DIFF = {8: 0.5, 10: 1.0}  # by source bit depth


def bt601_limited_rgb(path: str, entry: dict) -> np.ndarray:
    """Every frame of ``path`` as float RGB 0..255 by the BT.601 limited-range formula, in
    float64, from the decoded samples (FFmpeg's yuv444p16le, chroma upsampled nearest-sample
    as the library does; its 16-bit values shifted back to the source's bit depth)."""
    raw = subprocess.run([generate.FFMPEG, "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
                          "-sws_flags", "neighbor", "-f", "rawvideo", "-pix_fmt", "yuv444p16le", "-"],
                         check=True, capture_output=True).stdout
    planes = np.frombuffer(raw, np.uint16).reshape(-1, 3, entry["height"], entry["width"])
    scale = 1 << (entry["bit_depth"] - 8)
    y, u, v = (planes >> (16 - entry["bit_depth"])).astype(np.float64).transpose(1, 0, 2, 3)
    y = (y - 16 * scale) / (219 * scale)
    u = (u - 128 * scale) / (224 * scale)
    v = (v - 128 * scale) / (224 * scale)
    rgb = np.stack([y + 1.402 * v, y - 0.344136 * u - 0.714136 * v, y + 1.772 * u], axis=-1)
    return np.clip(rgb * 255.0, 0.0, 255.0)


# The grey test videos (every other one) cannot show a chroma fault. These are unsignalled
# (BT.601, limited range: README, "Colour"), their chroma strong enough that swscale's
# 10-bit rgb24 path clips it (137 where the formula gives 158.8), so they are checked against
# the formula itself: the integer (Q16) result within one level of it.
@needs_ffmpeg
@pytest.mark.parametrize("name", ["h264_colour.mp4", "hevc_colour_10bit.mkv", "h264_colour_444.mp4"])
def test_rgb_of_coloured_videos_is_the_bt601_formula(decoder, backend, manifest, name):
    entry = manifest["videos"][name]
    path = video_path(manifest, name)
    n = entry["frame_count"]
    ids = [0, n // 2, n - 1]
    if refused(backend, entry, [lambda: decoder.DecodeN12ToRGB([path] * len(ids), ids)]):
        return
    reference = bt601_limited_rgb(path, entry)
    for fid, frame in zip(ids, decoder.DecodeN12ToRGB([path] * len(ids), ids)):
        got = to_numpy(frame).astype(np.float64)
        diff = np.abs(got - reference[fid])
        assert diff.max() <= 1.0, f"{name} frame {fid}: {diff.max():.2f} levels from the BT.601 formula"
        assert (got[..., 0] - got[..., 2]).min() > 0  # red over blue everywhere: the colours are there


@needs_ffmpeg
@pytest.mark.parametrize("name", ["h264_gop30.mp4", "hevc_10bit.mkv", "h264_odd_size.mov", "hevc_bframes.ts",
                                  "vp9_gop8.webm", "av1_gop8.mp4", "h264_10bit.mp4",
                                  # the others are grey: only these test chroma (and the 10-bit one
                                  # against the formula below: swscale's own path clips it)
                                  "h264_colour.mp4", "h264_colour_444.mp4"])
def test_rgb_matches_ffmpeg_within_tolerance(decoder, backend, manifest, name):
    entry = manifest["videos"][name]
    path = video_path(manifest, name)
    ids = sorted({0, 1, entry["frame_count"] - 1, entry["frame_count"] // 3, entry["frame_count"] // 2})
    if refused(backend, entry, [lambda: decoder.DecodeN12ToRGB([path] * len(ids), ids)]):
        return
    reference = ffmpeg_rgb24(path, entry["width"], entry["height"])
    rgb = decoder.DecodeN12ToRGB([path] * len(ids), ids)
    bgr = decoder.DecodeN12ToRGB([path] * len(ids), ids, as_bgr=True)
    for fid, f, g in zip(ids, rgb, bgr):
        a = to_numpy(f)
        assert a.shape == (entry["height"], entry["width"], 3) and a.dtype == np.uint8
        assert not f.isBGR and g.isBGR
        assert np.array_equal(to_numpy(g), a[:, :, ::-1])
        diff = np.abs(a.astype(int) - reference[fid].astype(int))
        assert diff.max() <= RGB_MAX_ABS_DIFF, f"{name} frame {fid}: max diff {diff.max()}"
        assert diff.mean() <= RGB_MEAN_ABS_DIFF[entry["bit_depth"]]
        assert watermark.read_watermark_rgb(a) == entry["watermarks"][fid]


def test_mixed_files_come_back_in_input_order(decoder, manifest):
    names = ["h264_gop30.mp4", "hevc_10bit.mkv", "h264_bframes.ts", "hevc_hev1_open_gop.mp4", "vp9_gop8.webm"]
    paths, ids, expected = [], [], []
    rng = random.Random(7)
    for _ in range(8):
        name = rng.choice(names)
        fid = rng.randrange(manifest["videos"][name]["frame_count"])
        paths.append(video_path(manifest, name))
        ids.append(fid)
        expected.append(manifest["videos"][name]["watermarks"][fid])
    frames = decoder.Decode(paths, ids)
    assert [frame_watermark(f) for f in frames] == expected


def test_duplicates_get_equal_but_distinct_memory(decoder, manifest):
    path = video_path(manifest, "h264_bframes_gop24.mp4")
    yuv = decoder.Decode([path] * 3, [5, 5, 6])
    assert yuv[0].GetPtrToPlane(0) != yuv[1].GetPtrToPlane(0)
    assert data_pointer(yuv[0]) != data_pointer(yuv[1])
    assert np.array_equal(to_numpy(yuv[0]), to_numpy(yuv[1]))
    rgb = decoder.DecodeN12ToRGB([path] * 2, [9, 9])
    assert rgb[0].dataptr != rgb[1].dataptr
    assert data_pointer(rgb[0]) != data_pointer(rgb[1])
    fill_zero(rgb[0])  # writing one entry leaves the other untouched
    assert not to_numpy(rgb[0]).any()
    assert to_numpy(rgb[1]).any()


def test_fast_stream_infos_give_identical_results(decoder, manifest):
    paths = [video_path(manifest, n) for n in ("h264_gop30.mp4", "hevc_10bit.mkv")]
    infos = nvc.GetFastInitInfo(paths)
    assert (infos[0].width, infos[0].height, infos[0].codec_id) == (192, 108, 27)
    assert infos[1].codec_id == 173 and infos[1].bit_depth == 10 and infos[1].format >= 0
    with_info = decoder.DecodeN12ToRGB(paths, [10, 20], False, infos)
    without = decoder.DecodeN12ToRGB(paths, [10, 20])
    for a, b in zip(with_info, without):
        assert np.array_equal(to_numpy(a), to_numpy(b))
    yuv_with = decoder.Decode(paths, [10, 20], infos)
    yuv_without = decoder.Decode(paths, [10, 20])
    for a, b in zip(yuv_with, yuv_without):
        assert np.array_equal(to_numpy(a), to_numpy(b))
    with pytest.raises(ValueError, match="fastStreamInfos"):
        decoder.Decode(paths, [1, 2], infos[:1])
    info = nvc.FastStreamInfo()
    info.width = 5
    assert info.width == 5


def test_frames_outlive_the_decoder_and_later_calls(igpu, manifest):
    path = video_path(manifest, "h264_gop30.mp4")
    dec = nvc.PyNvGopDecoder(2, igpu, True)
    frames = dec.DecodeN12ToRGB([path, path], [3, 40])
    yuv = dec.Decode([path], [41])[0]
    copies = [to_numpy(f).copy() for f in frames]
    yuv_copy = to_numpy(yuv).copy()
    view = zero_copy_view(frames[0])
    for i in range(10):
        dec.DecodeN12ToRGB([path, path], [i, 50 + i])
        dec.Decode([path, path], [i + 1, 60 + i])
    for f, c in zip(frames, copies):  # later calls never change earlier frames
        assert np.array_equal(to_numpy(f), c)
    assert np.array_equal(to_numpy(yuv), yuv_copy)
    dec.release_decoder()
    dec.release_device_memory()
    del dec
    import gc
    gc.collect()
    assert np.array_equal(to_numpy(frames[1]), copies[1])
    assert np.array_equal(to_numpy(yuv), yuv_copy)
    del frames
    gc.collect()
    assert np.array_equal(to_numpy(view), copies[0])  # the view keeps the memory alive


def test_release_then_decode_again(decoder, manifest):
    path = video_path(manifest, "hevc_long_gop.mp4")
    first = decoder.Decode([path], [299])
    expected = to_numpy(first[0]).copy()
    decoder.release_decoder()
    decoder.release_device_memory()
    again = decoder.Decode([path], [299])
    assert np.array_equal(to_numpy(first[0]), to_numpy(again[0]))
    assert np.array_equal(to_numpy(first[0]), expected)
    assert frame_watermark(again[0]) == 299
    rgb = decoder.DecodeN12ToRGB([path], [301])
    assert watermark.read_watermark_rgb(to_numpy(rgb[0])) == 301


def test_concurrent_calls_from_threads(igpu, manifest):
    from concurrent.futures import ThreadPoolExecutor
    dec = nvc.PyNvGopDecoder(4, igpu, True)
    path = video_path(manifest, "hevc_bframes.mkv")

    def work(seed: int) -> bool:
        rng = random.Random(seed)
        ids = [rng.randrange(75) for _ in range(4)]
        return [frame_watermark(f) for f in dec.Decode([path] * 4, ids)] == ids

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, range(16)))


def test_empty_call_returns_empty_list(decoder):
    assert decoder.Decode([], []) == []
    assert decoder.DecodeN12ToRGB([], []) == []


def test_accepts_path_objects(decoder, manifest):
    from pathlib import Path
    frames = decoder.Decode([Path(video_path(manifest, "h264_intra.mp4"))], [7])
    assert frame_watermark(frames[0]) == 7


def test_unsignalled_colour_range_warns_once(igpu, manifest):
    path = video_path(manifest, "h264_gop30.mp4")
    dec = nvc.PyNvGopDecoder(1, igpu)
    with pytest.warns(UserWarning, match="colour range"):
        dec.DecodeN12ToRGB([path], [0])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dec.DecodeN12ToRGB([path], [1])  # no second warning for the same file
        nvc.PyNvGopDecoder(1, igpu, True).DecodeN12ToRGB([path], [1])
