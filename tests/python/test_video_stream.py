"""Files with several video streams (issue #15 §2): the keyword-only video_stream (-1 = the best
stream, the default; K = the K-th video stream, ffmpeg's 0:v:K) on every decoder, the probing
functions and the CLI.

Oracle: multi_video.mkv (tests/videos/generate.py) holds two video streams, both marked
default: 0:v:0 is 320x180 H.264, 0:v:1 480x270 HEVC, each with its own framemd5 (ffmpeg
-map 0:v:K) and watermarks.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

import on_demand_video_decoder as nvc
from conftest import frame_watermark, nvdec_supports, planar_yuv_bytes, read_framemd5
import generate


@pytest.fixture(scope="module")
def multi(manifest):
    m = manifest["multistream"]
    path = str(generate.DEFAULT_OUT / m["file"])
    md5 = [read_framemd5(generate.DEFAULT_OUT / s["framemd5"]) for s in m["streams"]]
    return path, m["streams"], md5


def check_frames(frames, ids, stream, md5):
    for fid, frame in zip(ids, frames):
        assert (frame.width, frame.height) == (stream["width"], stream["height"])
        assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[fid], fid
        assert frame_watermark(frame) == stream["watermarks"][fid]


def test_each_stream_decodes_bit_exact_on_every_path(backend, igpu, multi, tmp_path):
    path, streams, md5 = multi
    ids = [0, 17, 35, 5]
    for k, stream in enumerate(streams):
        if backend == "nvdec" and not nvdec_supports({"codec": stream["codec"], "bit_depth": 8, "pix_fmt": "yuv420p"}):
            continue
        dec = nvc.CreateGopDecoder(4, igpu, True, video_stream=k)
        check_frames(dec.Decode([path] * 4, ids), ids, stream, md5[k])
        bundle, _, _ = dec.GetGOP([path] * 4, ids)
        check_frames(dec.DecodeFromGOP(bundle, [path] * 4, ids), ids, stream, md5[k])
        reader = nvc.CreateSampleReader(1, 1, igpu, True, video_stream=k)
        check_frames([reader.Decode([path], [i])[0] for i in range(36)], range(36), stream, md5[k])
        info = nvc.GetFastInitInfo([path], video_stream=k)[0]
        assert (info.width, info.height, info.stream_index) == (stream["width"], stream["height"], k)
        assert nvc._odvd.GetIndexInfo(path, video_stream=k)["frame_count"] == stream["frame_count"]


def test_the_default_is_the_best_stream(multi):
    path, streams, md5 = multi
    best = nvc.GetFastInitInfo([path])[0].stream_index
    assert best in (0, 1)
    frames = nvc.PyNvGopDecoder(2, -1, True).Decode([path] * 2, [3, 30])
    check_frames(frames, [3, 30], streams[best], md5[best])
    listed = nvc.GetVideoStreams(path)
    assert [(s.stream_index, s.width, s.height) for s in listed] == [(0, 320, 180), (1, 480, 270)]


def test_a_stream_that_is_not_there_and_bad_values(igpu, multi, manifest):
    path, _, _ = multi
    with pytest.raises(RuntimeError, match=r"has 2 video stream\(s\); video_stream=2 names none"):
        nvc.PyNvGopDecoder(1, igpu, True, video_stream=2).Decode([path], [0])
    skip = nvc.PyNvGopDecoder(2, igpu, True, video_stream=1, on_error="skip")
    single = str(generate.DEFAULT_OUT / manifest["videos"]["h264_gop30.mp4"]["file"])
    assert [f is None for f in skip.Decode([path, single], [0, 0])] == [False, True]  # h264_gop30 has one stream
    for bad in (-2, 1024):
        with pytest.raises(ValueError, match="video_stream"):
            nvc.PyNvGopDecoder(1, igpu, True, video_stream=bad)
        with pytest.raises(ValueError, match="video_stream"):
            nvc.PyNvSampleReader(1, 1, igpu, True, video_stream=bad)
        with pytest.raises(ValueError, match="video_stream"):
            nvc.GetFastInitInfo([path], video_stream=bad)


def test_cli_lists_every_video_stream_and_picks_one(multi, tmp_path):
    path, streams, _ = multi
    cli = [sys.executable, "-m", "on_demand_video_decoder.cli"]
    text = subprocess.run(cli + ["info", path], check=True, capture_output=True, text=True).stdout
    assert "0:v:0  #0 h264 320x180" in text and "0:v:1  #1 hevc 480x270" in text
    summary = json.loads(subprocess.run(cli + ["info", path, "--json", "--video-stream", "1"], check=True,
                                        capture_output=True, text=True).stdout)
    assert (summary["width"], summary["stream_index"], len(summary["video_streams"])) == (480, 1, 2)
    subprocess.run(cli + ["decode", path, "--frames", "7", "--out", str(tmp_path), "--format", "npy",
                          "--video-stream", "1", "--gpu", "-1"], check=True, capture_output=True)
    import numpy as np
    assert np.load(next(tmp_path.glob("*.npy"))).shape == (270, 480, 3)
