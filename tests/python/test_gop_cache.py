"""CachedGopDecoder's GOP cache (SPEC §2): hits, misses, LRU eviction by count and by
bytes, duplicate paths in one call, rewritten files, and what get_cache_info reports.
Also: demux-only calls run in data-loader style worker processes (fork and spawn)
without ever creating a CUDA context, while the parent decodes their bundles.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import nvdec_supports, to_numpy, video_path


def make(maxfiles=6, **cache):
    return nvc.CreateGopDecoder(maxfiles, iGpu=-1, suppressNoColorRangeWarning=True, **cache)


def test_hits_and_misses_follow_gop_ranges(manifest):
    a = video_path(manifest, "h264_gop30.mp4")      # GOPs 0..29, 30..59, 60..89
    b = video_path(manifest, "h264_intra.mp4")        # GOPs of one frame
    dec = make()
    assert dec.isCacheHit() == []
    bundle, firsts, lens = dec.GetGOP([a, b], [3, 7], useGOPCache=True)
    assert dec.isCacheHit() == [False, False]
    assert firsts == [0, 7] and lens == [30, 1]
    again, firsts2, lens2 = dec.GetGOP([a, b, a], [29, 7, 30], useGOPCache=True)
    assert dec.isCacheHit() == [True, True, False]
    assert (firsts2, lens2) == ([0, 7, 30], [30, 1, 30])
    # The cached answer decodes like a fresh one.
    fresh, _, _ = dec.GetGOP([a, b, a], [29, 7, 30])
    assert dec.isCacheHit() == [False, False, False]  # useGOPCache=False never reads the cache
    ids = [29, 7, 30]
    got = [to_numpy(f) for f in dec.DecodeFromGOPRGB(again, [a, b, a], ids)]
    want = [to_numpy(f) for f in dec.DecodeFromGOPRGB(fresh, [a, b, a], ids)]
    assert all(np.array_equal(x, y) for x, y in zip(got, want))
    info = dec.get_cache_info()
    assert info["entries"] == 3 and info["hits"] == 2 and info["misses"] == 3
    assert info["bytes"] == sum(g["bytes"] for gops in info["files"].values() for g in gops) > 0
    assert [g["first_frame_id"] for g in info["files"][os.path.realpath(a)]] == [0, 30]
    dec.clear_cache()
    assert dec.get_cache_info()["entries"] == 0
    dec.GetGOP([a], [3], useGOPCache=True)
    assert dec.isCacheHit() == [False]


def test_list_form_and_duplicate_paths_in_one_call(manifest):
    a = video_path(manifest, "h264_gop30.mp4")
    dec = make()
    out = dec.GetGOPList([a, a, a], [1, 2, 45], useGOPCache=True)
    assert dec.isCacheHit() == [False, False, False]
    assert [(f, n) for _, f, n in out] == [([0], [30]), ([0], [30]), ([30], [30])]
    assert dec.get_cache_info()["entries"] == 2  # the same GOP is kept once
    out2 = dec.GetGOPList([a, a], [0, 59], useGOPCache=True)
    assert dec.isCacheHit() == [True, True]
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(out2, [out[0], out[2]]))
    frames = dec.DecodeFromGOPListRGB([b for b, _, _ in out2], [a, a], [0, 59])
    direct = dec.DecodeN12ToRGB([a, a], [0, 59])
    assert all(np.array_equal(to_numpy(x), to_numpy(y)) for x, y in zip(frames, direct))


def test_lru_eviction_by_count_and_by_bytes(manifest):
    a = video_path(manifest, "h264_gop30.mp4")
    dec = make(cache_max_entries=2)
    dec.GetGOP([a], [0], useGOPCache=True)
    dec.GetGOP([a], [30], useGOPCache=True)
    dec.GetGOP([a], [1], useGOPCache=True)   # touches GOP 0: GOP 30 is now least recent
    dec.GetGOP([a], [60], useGOPCache=True)  # evicts GOP 30
    assert [g["first_frame_id"] for g in dec.get_cache_info()["files"][os.path.realpath(a)]] == [0, 60]
    dec.GetGOP([a], [31], useGOPCache=True)
    assert dec.isCacheHit() == [False]

    one = dec.GetGOPList([a], [0])[0][0].nbytes
    small = make(cache_max_bytes=one + one // 2)  # room for one GOP, not two
    small.GetGOP([a], [0], useGOPCache=True)
    small.GetGOP([a], [30], useGOPCache=True)
    info = small.get_cache_info()
    assert info["entries"] == 1 and info["bytes"] <= info["max_bytes"]
    small.GetGOP([a], [0], useGOPCache=True)
    assert small.isCacheHit() == [False]
    tiny = make(cache_max_bytes=16)  # nothing fits: answers still correct, nothing kept
    _, firsts, _ = tiny.GetGOP([a], [5], useGOPCache=True)
    assert firsts == [0] and tiny.get_cache_info()["entries"] == 0


def test_rewritten_file_is_demuxed_again(manifest, tmp_path):
    src = video_path(manifest, "h264_gop30.mp4")
    path = tmp_path / "clip.mp4"
    shutil.copy(src, path)
    dec = make()
    dec.GetGOP([str(path)], [3], useGOPCache=True)
    dec.GetGOP([str(path)], [4], useGOPCache=True)
    assert dec.isCacheHit() == [True]
    shutil.copy(video_path(manifest, "h264_intra.mp4"), path)
    _, firsts, lens = dec.GetGOP([str(path)], [4], useGOPCache=True)
    assert dec.isCacheHit() == [False] and (firsts, lens) == ([4], [1])


def test_errors_pass_through_and_factory_only(manifest, tmp_path):
    dec = make()
    with pytest.raises(RuntimeError, match="nope.mp4"):
        dec.GetGOP([str(tmp_path / "nope.mp4")], [0], useGOPCache=True)
    with pytest.raises(ValueError):
        dec.GetGOP([video_path(manifest, "h264_gop30.mp4")], [0, 1], useGOPCache=True)
    with pytest.raises(ValueError):
        dec.GetGOP([video_path(manifest, "h264_gop30.mp4")], [90], useGOPCache=True)
    with pytest.raises(RuntimeError):
        nvc.CachedGopDecoder(nvc.PyNvGopDecoder(1, -1))
    with pytest.raises(ValueError):
        make(cache_max_entries=0)


# ----------------------------------------------------------------------------- workers

def _extract_in_worker(paths, ids, igpu, queue, decoder=None):
    """Runs in a worker process: demux only, with a decoder object for `igpu`."""
    try:
        dec = decoder if decoder is not None else nvc.PyNvGopDecoder(len(paths), igpu)
        bundle, firsts, lens = dec.GetGOP(paths, ids)
        pid = nvc._odvd._cuda_context_pid()
        queue.put(("ok", bundle.tobytes(), firsts, lens, pid == os.getpid()))
    except BaseException as e:  # noqa: BLE001 - report everything to the parent
        queue.put(("error", repr(e), None, None, None))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_extract_while_the_parent_decodes(manifest, backend, igpu, method):
    names = ["h264_gop30.mp4", "hevc_bframes.ts"]
    entries = [manifest["videos"][n] for n in names]
    if backend == "nvdec" and not all(nvdec_supports(e) for e in entries):
        pytest.skip("a video NVDEC cannot decode")
    paths = [video_path(manifest, n) for n in names]
    ids = [44, 20]
    parent = nvc.PyNvGopDecoder(4, igpu, True)
    direct = [to_numpy(f).copy() for f in parent.DecodeN12ToRGB(paths, ids)]  # the parent holds a context on GPUs
    ctx = mp.get_context(method)
    queue = ctx.Queue()
    # fork: the worker uses the parent's object (inherited); spawn: it makes its own.
    args = (paths, ids, igpu, queue, parent) if method == "fork" else (paths, ids, igpu, queue)
    worker = ctx.Process(target=_extract_in_worker, args=args)
    worker.start()
    try:
        status, raw, firsts, lens, made_context = queue.get(timeout=120)
    finally:
        worker.join(timeout=60)
    assert status == "ok", raw
    assert worker.exitcode == 0
    assert not made_context, "a demux-only worker created a CUDA context"
    bundle = np.frombuffer(raw, np.uint8)
    frames = parent.DecodeFromGOPRGB(bundle, paths, ids)
    assert all(np.array_equal(to_numpy(f), d) for f, d in zip(frames, direct))
