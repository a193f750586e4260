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
        if backend == "nvdec" and not nvdec_supports({"codec": stream["codec"], "bit_depth": 8, "pix_fmt": "yuv420p",
                                                      "width": stream["width"], "height": stream["height"]}):
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


def as_version_1(bundle) -> bytes:
    """The same records in bundle format version 1 (docs/formats/gop-bundle.md: no video_stream
    field, the last 4 bytes of the 68-byte fixed part), written as that version wrote them."""
    import struct
    import zlib
    data = bytes(bundle)
    assert data[:8] == b"ODVDGOPB" and struct.unpack_from("<I", data, 8)[0] == 2
    out = bytearray(data[:8] + struct.pack("<I", 1) + data[12:16])
    at = 16
    while at < len(data):
        size = struct.unpack_from("<Q", data, at + 4)[0]
        body = data[at + 16:at + 16 + size]
        body = body[:64] + body[68:]
        out += b"GREC" + struct.pack("<QI", len(body), zlib.crc32(body)) + body
        at += 16 + size
    return bytes(out)


def test_bundles_name_the_video_stream_they_came_from(igpu, multi):
    path, streams, md5 = multi
    best = nvc.GetFastInitInfo([path])[0].stream_index  # one stream per type: index K is 0:v:K
    ids = [2, 33]
    for k, dec in [(0, nvc.PyNvGopDecoder(2, -1, True, video_stream=0)),
                   (1, nvc.CreateGopDecoder(2, -1, True, video_stream=1)), (best, nvc.PyNvGopDecoder(2, -1, True))]:
        bundle, _, _ = dec.GetGOP([path] * 2, ids)
        info = nvc.GetBundleInfo(bundle)
        assert [(r["source"], r["video_stream"]) for r in info] == [(path, k)] * 2
        assert (info[0]["width"], info[0]["codec"]) == (streams[k]["width"], streams[k]["codec"])
        for single, _, _ in dec.GetGOPList([path], [ids[0]]):
            assert nvc.GetBundleInfo(single)[0]["video_stream"] == k


def test_a_decoder_of_one_stream_refuses_records_of_another(backend, igpu, multi, tmp_path):
    path, streams, md5 = multi
    if backend == "nvdec" and not nvdec_supports({"codec": streams[1]["codec"], "bit_depth": 8, "pix_fmt": "yuv420p",
                                                  "width": streams[1]["width"], "height": streams[1]["height"]}):
        pytest.skip("NVDEC on this GPU does not decode HEVC")
    ids = [4, 20]
    second, _, _ = nvc.PyNvGopDecoder(2, -1, True, video_stream=1).GetGOP([path] * 2, ids)
    on_first = nvc.PyNvGopDecoder(2, igpu, True, video_stream=0)
    with pytest.raises(ValueError, match=r"entry 0 \(.*multi_video.mkv'\): record 0 holds video stream 1 of "
                                         r".*, but this decoder reads video stream 0 \(video_stream=0\)"):
        on_first.DecodeFromGOP(second, [path] * 2, ids)
    # The default decoder and one of the same stream take them: stream 1's frames.
    check_frames(nvc.PyNvGopDecoder(2, igpu, True).DecodeFromGOP(second, [path] * 2, ids), ids, streams[1], md5[1])
    check_frames(nvc.PyNvGopDecoder(2, igpu, True, video_stream=1).DecodeFromGOP(second, [path] * 2, ids), ids,
                 streams[1], md5[1])
    # Version 1 bundles (no stream recorded) still load and decode: their stream is unknown (-1).
    old = tmp_path / "old.gop"
    old.write_bytes(as_version_1(second))
    (loaded,) = on_first.LoadGopsToList([str(old)])
    assert bytes(loaded) == old.read_bytes()  # a valid bundle of ours is taken as it is
    assert [r["video_stream"] for r in nvc.GetBundleInfo(loaded)] == [-1, -1]
    check_frames(on_first.DecodeFromGOP(loaded, [path] * 2, ids), ids, streams[1], md5[1])
    merged = on_first.LoadGops([str(old)])  # written again: version 2, the records unchanged
    assert bytes(merged[8:12]) == b"\x02\x00\x00\x00"
    assert nvc.GetBundleInfo(merged) == nvc.GetBundleInfo(loaded)


def test_extracted_gops_keep_their_stream(multi, tmp_path):
    path, streams, md5 = multi
    out = tmp_path / "gops"
    index, failures = nvc.extract_gops([path], str(out), video_stream=1)
    assert not failures
    (record,) = index["videos"].values()
    assert (record["video_stream"], record["frame_count"]) == (1, streams[1]["frame_count"])
    store = nvc.GopStore(str(out))
    bundle = store.bundle_file(path, 9)
    assert nvc.GetBundleInfo(nvc.PyNvGopDecoder(1, -1, True).LoadGops([bundle]))[0]["video_stream"] == 1
    check_frames(store.decode([path, path], [9, 31]), [9, 31], streams[1], md5[1])
    # Asked again for stream 0, the video is extracted again, not skipped as done.
    index, _ = nvc.extract_gops([path], str(out), video_stream=0)
    (record,) = index["videos"].values()
    assert (record["video_stream"], record["frame_count"]) == (0, streams[0]["frame_count"])
    check_frames(nvc.GopStore(str(out)).decode([path], [9]), [9], streams[0], md5[0])
    with pytest.raises(ValueError, match="video_stream"):
        nvc.extract_gops([path], str(out), video_stream=-3)
