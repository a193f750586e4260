"""Warm sessions are bounded by decoder memory (PyNvGopDecoder(session_cache_mib=...)): a data
loader reading random clips of many recordings once kept maxfiles * parallel_calls sessions
warm (~26 MB each for 1600x900 HEVC on the CPU: an OOM kill at 5 x 192). Each session is
charged 16 frames of its stream; calls decode every file whatever the budget, and the frames
stay right. GOP lanes (Note [GOP lanes]) stay within the budget too."""

from __future__ import annotations

import os

import pytest

import on_demand_video_decoder as nvc
from conftest import frame_watermark, video_path

NAME = "h264_gop30.mp4"  # 8-bit 4:2:0: a frame is w * h * 3 / 2 bytes as NV12


@pytest.fixture()
def links(manifest, tmp_path):
    """12 distinct paths of one video (a session per path)."""
    src = video_path(manifest, NAME)
    out = []
    for i in range(12):
        p = tmp_path / f"cam{i}.mp4"
        os.symlink(src, p)
        out.append(str(p))
    return out


def charge(manifest) -> int:
    e = manifest["videos"][NAME]
    return 16 * e["width"] * e["height"] * 3 // 2


def test_default_keeps_every_file_warm_and_charges_16_frames(manifest, links, backend, igpu):
    dec = nvc.PyNvGopDecoder(12, igpu, True)
    assert "session_cache_mib=2048" in repr(dec)
    ids = [(7 * i) % 90 for i in range(12)]
    assert [frame_watermark(f) for f in dec.Decode(links, ids)] == ids
    s = dec._stats()
    assert s["warm_sessions"] == 12
    assert s["warm_session_bytes"] == 12 * charge(manifest)


@pytest.mark.parametrize("mib, parallel", [(1, 1), (1, 2), (0, 1)])
def test_a_small_budget_keeps_few_sessions_and_decodes_every_file(manifest, links, mib, parallel):
    dec = nvc.PyNvGopDecoder(12, -1, True, session_cache_mib=mib, parallel_calls=parallel)
    per_set = max(1, (mib << 20) // parallel // charge(manifest))  # the last one used stays
    for salt in range(3):
        ids = [(7 * i + 31 * salt) % 90 for i in range(12)]
        assert [frame_watermark(f) for f in dec.Decode(links, ids)] == ids
        s = dec._stats()
        assert s["warm_sessions"] == per_set, s  # one call: one set used
        assert s["warm_session_bytes"] <= max((mib << 20) // parallel, charge(manifest))


def test_lanes_stay_within_the_budget(manifest, links):
    """3 GOPs of one file in one call: 3 lanes with room for them, 2 within a 2-session budget
    (each GOP still started once)."""
    ids = [5, 35, 65, 85]  # GOPs 0, 1, 2, 2
    for mib, lanes in ((2048, 3), (1, 2)):
        dec = nvc.PyNvGopDecoder(12, -1, True, session_cache_mib=mib)
        assert [frame_watermark(f) for f in dec.Decode([links[0]] * 4, ids)] == ids
        s = dec._stats()
        assert s["warm_sessions"] == min(lanes, (mib << 20) // charge(manifest)), s
        assert s["gop_starts"] == 3, s


def test_a_flushed_session_hands_its_nvdec_decoder_on(manifest, links, backend, igpu):
    """Note [Sessions between streams]: 12 files read one per call stay warm, 12 sessions, and
    on NVDEC one hardware decoder serves them all, each call having flushed its stream (frames
    in GOP 1: no call here streams on). The old code made one per warm session (a shuffled
    epoch over many files made ~60, each costing ~0.7 s of driver time). A call of all 12 at
    once may need up to 12. The CPU back end makes no hardware session."""
    dec = nvc.PyNvGopDecoder(12, igpu, True)
    for k, path in enumerate(links):
        ids = [31 + (7 * k) % 29]
        assert [frame_watermark(f) for f in dec.Decode([path], ids)] == ids
    s = dec._stats()
    assert s["warm_sessions"] == 12, s
    assert s["nvdec_sessions_made"] == (1 if backend == "nvdec" else 0), s
    ids = [61 + (5 * k) % 29 for k in range(12)]
    assert [frame_watermark(f) for f in dec.Decode(links, ids)] == ids
    made = dec._stats()["nvdec_sessions_made"]
    assert (1 <= made <= 12) if backend == "nvdec" else made == 0, made
