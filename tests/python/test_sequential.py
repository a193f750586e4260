"""Sequential requests inside a GOP continue decoding instead of restarting it (SPEC §2,
Note [Continuing a GOP]): frame by frame through every test video, on every back end,
bit-exact against framemd5, with the work counters proving the GOPs were not decoded
again; and access patterns that break the sequence still return the right frames."""

from __future__ import annotations

import hashlib

import pytest

import on_demand_video_decoder as nvc
from conftest import bit_exact_video, nvdec_supports, planar_yuv_bytes, read_framemd5, skip_unless_bit_exact, video_path
import generate

ALL_VIDEOS = [c.file for c in generate.CASES]


@pytest.mark.parametrize("threads", [0, 8])
@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_frame_by_frame_continues_the_gop(backend, igpu, manifest, name, threads):
    """One stream for the whole file (two starts: frame 0 is random access, frame 1
    starts streaming), also with 8 libavcodec frame threads holding pictures back."""
    entry = manifest["videos"][name]
    if backend == "nvdec" and (threads or not nvdec_supports(entry)):
        pytest.skip("decoder threads are a CPU setting" if threads else "NVDEC on this GPU does not decode this video")
    skip_unless_bit_exact(backend, entry)
    path = video_path(manifest, name)
    md5 = read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])
    info = nvc._odvd.GetIndexInfo(path)
    dec = nvc.PyNvGopDecoder(2, igpu, True, decoder_threads=threads)
    for fid in range(entry["frame_count"]):
        frame = dec.Decode([path], [fid])[0]
        assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[fid], f"{name} frame {fid}"
    stats = dec._stats()
    assert stats["gop_starts"] <= 2, stats
    assert stats["continuations"] >= entry["frame_count"] - 2, stats
    assert stats["packets_sent"] <= info["packet_count"] + max(info["gop_lengths"]), stats


@pytest.mark.parametrize("name", ["h264_bframes_gop24.mp4", "hevc_hvc1_bframes_gop24.mp4", "h264_open_gop.mp4",
                                  "hevc_hev1_open_gop.mp4", "h264_gop30.mp4"])
def test_broken_sequences_still_return_the_right_frames(backend, igpu, manifest, name):
    entry = manifest["videos"][name]
    if backend == "nvdec" and not nvdec_supports(entry):
        pytest.skip("NVDEC on this GPU does not decode this video")
    path = video_path(manifest, name)
    md5 = read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])
    n = entry["frame_count"]
    dec = nvc.PyNvGopDecoder(2, igpu, True)
    pattern = [[0], [1], [2, 3], [5], [4], [6], [7], [7], [8, 20], [21], [n - 1], [n - 2], [30], [31], [60], [61], [62]]
    for ids in pattern:
        ids = [i % n for i in ids]
        frames = dec.Decode([path] * len(ids), ids)
        for fid, frame in zip(ids, frames):
            assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[fid], f"{name} frame {fid} in {ids}"
    assert dec._stats()["continuations"] > 0


def test_random_access_never_streams(manifest):
    path = video_path(manifest, "h264_gop30.mp4")
    dec = nvc.PyNvGopDecoder(1, -1, True)
    for fid in (20, 5, 50, 35, 80, 65):  # each call earlier in its GOP or in another GOP
        dec.Decode([path], [fid])
    stats = dec._stats()
    assert stats["continuations"] == 0 and stats["gop_starts"] == 6
    # frames 20, 5 -> 21 + 6 packets; 50, 35 -> 21 + 6; 80, 65 -> 21 + 6 (no B-frames: nothing skipped)
    assert stats["packets_sent"] == 81, stats


def test_multi_frame_call_decodes_each_gop_once(manifest):
    """Issue #6: a multi-frame sample (several frames of one file in one call) decodes each
    GOP once, up to its furthest requested frame."""
    path = video_path(manifest, "h264_gop30.mp4")  # GOPs 0..29, 30..59, 60..89; no B-frames
    dec = nvc.PyNvGopDecoder(8, -1, True)
    ids = [25, 3, 40, 10, 3, 87]
    frames = dec.Decode([path] * len(ids), ids)
    assert len(frames) == len(ids)
    stats = dec._stats()
    assert stats["gop_starts"] == 3, stats
    assert stats["packets_sent"] == 26 + 11 + 28, stats  # 0..25, 30..40, 60..87


@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_gops_of_one_call_decode_on_lanes_bit_exact(backend, igpu, manifest, name):
    """Note [GOP lanes]: the distinct GOPs of one file in one call decode at once on sessions
    of their own (maxfiles=12 leaves spare sessions). Every frame stays bit-exact, each GOP
    is still decoded once per call, and later calls reuse the lanes' warm sessions on other
    GOPs (a lane that decoded GOP 2 last time starts GOP 0 now)."""
    entry, path, md5 = bit_exact_video(backend, manifest, name)
    info = nvc._odvd.GetIndexInfo(path)
    starts = [0]
    for length in info["gop_lengths"][:-1]:
        starts.append(starts[-1] + length)
    n = entry["frame_count"]
    dec = nvc.PyNvGopDecoder(12, igpu, True)
    for salt in range(3):
        # The last frame of every other GOP (from a salted start), a middle one, a repeat.
        ids = []
        for g in range(salt % 2, len(starts), 2):
            end = starts[g + 1] if g + 1 < len(starts) else n
            ids += [end - 1, (starts[g] + end) // 2]
        ids = (ids + ids[:1])[:12]
        ids = ids[::-1] if salt == 2 else ids
        before = dec._stats()["gop_starts"]
        frames = dec.Decode([path] * len(ids), ids)
        for fid, frame in zip(ids, frames):
            assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[fid], f"{name} frame {fid} of {ids}"
        gops = {max(g for g, s in enumerate(starts) if s <= fid) for fid in ids}
        # Each GOP starts once (a lane continuing its open GOP from the last call starts none).
        assert dec._stats()["gop_starts"] - before <= len(gops), (ids, dec._stats())


def test_random_access_in_a_long_gop_continues_forward(backend, igpu, manifest):
    """Note [Open random access]: in a file of few long GOPs (hevc_long_gop: 320 frames,
    keys 0 and 300), random calls leave the stream open, so a later call for a frame further
    into the same GOP continues instead of decoding from the key again; earlier frames and
    other GOPs still restart. Every frame bit-exact against framemd5."""
    name = "hevc_long_gop.mp4"
    entry = manifest["videos"][name]
    if backend == "nvdec" and not nvdec_supports(entry):
        pytest.skip("NVDEC on this GPU does not decode this video")
    path = video_path(manifest, name)
    md5 = read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])
    dec = nvc.PyNvGopDecoder(1, igpu, True)
    # 100 -> 180 -> 250 continue in GOP 0; 40 restarts; 310 is GOP 1; 120 restarts GOP 0.
    for fid in (100, 180, 250, 40, 310, 120, 299):
        frame = dec.Decode([path], [fid])[0]
        assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[fid], f"frame {fid}"
    stats = dec._stats()
    assert stats["continuations"] == 3, stats  # 180, 250 and 299
    assert stats["gop_starts"] == 4, stats  # 100, 40, 310, 120
    # Restarting every call would send 101 + 181 + 251 + 41 + 11 + 121 + 300 = 1006 packets;
    # continuing sends 251 + 41 + 11 + 300 plus a few held back by the decoder per call.
    assert stats["packets_sent"] <= 603 + 7 * 16, stats


def test_random_access_in_short_gops_flushes(manifest):
    """Files of many short GOPs keep flushing after each random call (Note [Open random
    access]: leaving them open would cost more than it saves)."""
    path = video_path(manifest, "h264_gop30.mp4")
    dec = nvc.PyNvGopDecoder(1, -1, True)
    dec.Decode([path], [5])
    assert dec._stats()["packets_sent"] == 6
