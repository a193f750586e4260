"""PyNvSampleReader (SPEC §2, stream access) on every back end: sequential reading equals
random access bit for bit, slots and their open files, async equals sync, the async
error matrix, prompt destruction, flat memory; the batch call and the prefetcher."""

from __future__ import annotations

import gc
import hashlib
import os
import threading
import time

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import bit_exact_video, planar_yuv_bytes, read_framemd5, to_numpy, torch_or_none, video_path
import generate

ALL_VIDEOS = [c.file for c in generate.CASES]
SEQ = ["h264_gop30.mp4", "hevc_bframes.ts", "h264_bframes_gop24.mp4"]  # all NVDEC-decodable


def reader_for(igpu, num_of_set=1, num_of_file=3, ahead=None):
    """`ahead`: decode_ahead_mib (None: the default, on for NVDEC and off for the CPU)."""
    extra = {} if ahead is None else {"decode_ahead_mib": ahead}
    return nvc.PyNvSampleReader(num_of_set, num_of_file, igpu, True, **extra)


def rgb(frames) -> list[np.ndarray]:
    return [to_numpy(f).copy() for f in frames]


@pytest.mark.parametrize("ahead", [0, 64], ids=["streaming", "decode_ahead"])
@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_sequential_reading_is_bit_exact(backend, igpu, manifest, name, ahead):
    entry, path, md5 = bit_exact_video(backend, manifest, name)
    reader = reader_for(igpu, num_of_file=1, ahead=ahead)
    for fid in range(entry["frame_count"]):
        frame = reader.Decode([path], [fid])[0]
        assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[fid], f"{name} frame {fid}"
    stats = reader._stats()
    if not ahead:  # one stream through the whole file
        assert stats["gop_starts"] == 1 and stats["continuations"] == entry["frame_count"] - 1, stats
        assert stats["ahead_gops"] == stats["ahead_frames"] == stats["ahead_failed"] == 0, stats
        return
    # Note [Decode ahead]: GOPs go ahead in runs of at least 16 frames
    # (ForwardReader::kRunFrames); every run after the second surely does (the first is read
    # by the streaming session, which starts the next ones from its second frame on).
    runs = []
    for n in nvc._odvd.GetIndexInfo(path)["gop_lengths"]:
        if not runs or sum(runs[-1]) >= 16:
            runs.append([])
        runs[-1].append(n)
    assert stats["ahead_failed"] == 0, stats
    assert stats["ahead_gops"] >= sum(len(r) for r in runs[2:]), stats
    assert (stats["ahead_frames"] > 0) == (len(runs) > 1), stats
    assert stats["ahead_frames"] >= stats["ahead_gops"], stats


def test_slots_keep_their_files_and_restart_when_going_back(backend, igpu, manifest):
    paths = [video_path(manifest, n) for n in SEQ]
    md5 = {p: read_framemd5(generate.DEFAULT_OUT / manifest["videos"][n]["framemd5"]) for p, n in zip(paths, SEQ)}
    reader = reader_for(igpu, num_of_set=2, num_of_file=2, ahead=0)  # counts one session per file

    def check(files, ids):
        for f, i, frame in zip(files, ids, reader.Decode(files, ids)):
            assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[f][i], (f, i)

    a, b, c = paths
    for i in range(10):  # slot 0 alternates two files (both stay open), slot 1 reads one
        check([a if i % 2 else b, c], [i, i])
    stats = reader._stats()
    assert stats["gop_starts"] == 3, stats  # one start per (slot, file)
    check([a, c], [3, 9])   # earlier / equal frame: restart at the GOP, still right
    check([c, a], [40, 0])  # files change slots: each slot opens what it lacks
    check([b, c], [12, 41])
    assert reader._stats()["gop_starts"] > 3
    reader.clearAllReaders()
    check([a], [50])
    with pytest.raises(ValueError, match="num_of_file"):
        reader.Decode([a, b, c], [0, 0, 0])
    with pytest.raises(ValueError, match="same length"):
        reader.Decode([a, b], [0])
    with pytest.raises(ValueError, match="out of range"):
        reader.Decode([a], [1000])
    with pytest.raises(RuntimeError, match="missing.mp4"):
        reader.Decode(["/nowhere/missing.mp4"], [0])
    check([a], [51])  # still usable after errors
    for bad in ((0, 1), (1, 0)):
        with pytest.raises(ValueError):
            nvc.PyNvSampleReader(*bad, iGpu=-1)


def test_decode_ahead_with_slots_jumps_and_budget(backend, igpu, manifest):
    """Note [Decode ahead]: every file a slot reads forward gets its next GOP decoded
    ahead; a reader that jumps backwards starts none; a GOP over the budget is not."""
    paths = [video_path(manifest, n) for n in SEQ]
    md5 = {p: read_framemd5(generate.DEFAULT_OUT / manifest["videos"][n]["framemd5"]) for p, n in zip(paths, SEQ)}
    reader = reader_for(igpu, num_of_set=2, num_of_file=2, ahead=64)

    def check(r, files, ids):
        for f, i, frame in zip(files, ids, r.Decode(files, ids)):
            assert hashlib.md5(planar_yuv_bytes(frame)).hexdigest() == md5[f][i], (f, i)

    a, b, c = paths
    for i in range(140):  # slot 0 alternates two files, each read forward; slot 1 reads one
        check(reader, [a if i % 2 else b, c], [i // 2, min(i, 74)])
    stats = reader._stats()
    assert stats["ahead_gops"] >= 3 and stats["ahead_frames"] > 30 and stats["ahead_failed"] == 0, stats
    for k in (50, 31, 20, 3):  # backwards: never forward, so nothing goes ahead
        check(reader, [a, c], [k, k])
    after = reader._stats()
    assert (after["ahead_gops"], after["ahead_frames"]) == (stats["ahead_gops"], stats["ahead_frames"]), after
    # 642x362 frames, 25 per GOP: about 8.3 MiB a GOP. Frames go ahead as far as the
    # budget allows, a run larger than it too; the frames held ahead stay within it, plus
    # one chunk of 4 frames at most (Note [Decode ahead], memory).
    odd = video_path(manifest, "h264_odd_size.mov")
    md5[odd] = read_framemd5(generate.DEFAULT_OUT / manifest["videos"]["h264_odd_size.mov"]["framemd5"])
    frame_bytes = 2 * 656 * 368 * 3 // 2  # an upper bound of one stored frame (aligned sizes)
    for budget in (1, 4, 9, 64):
        r = reader_for(igpu, num_of_file=1, ahead=budget)
        for i in range(50):
            check(r, [odd], [i])
        st = r._stats()
        assert st["ahead_frames"] > 0 and st["ahead_failed"] == 0, (budget, st)
        assert 0 < st["ahead_peak_bytes"] <= (budget << 20) + 4 * frame_bytes, (budget, st)
        if budget >= 9:  # GOP 1 decodes whole, ahead
            assert st["ahead_frames"] == 25 and st["ahead_gops"] == 1, st


def _demux_in_child(decoder, path, queue):
    try:
        bundle, firsts, lens = decoder.GetGOP([path], [30])
        queue.put(("ok", (len(bundle.tobytes()) > 0, firsts, lens)))
    except BaseException as e:  # noqa: BLE001 - report everything to the parent
        queue.put(("error", repr(e)))


@pytest.mark.parametrize("ahead", [64, 1], ids=["room", "waiting_for_room"])
def test_decode_ahead_and_fork(manifest, ahead):
    """Note [Decode ahead], fork(): a data loader's worker forked while GOPs decode ahead
    inherits no running task (fork() waits for them; a task waiting for room in its budget
    stops instead), so its demux-only work goes through, and the parent's reader reads on,
    bit-exact. CPU back end (NVDEC is not used in forked children; a decoder used there is
    its own issue)."""
    import multiprocessing as mp

    path = video_path(manifest, "h264_odd_size.mov")
    md5 = read_framemd5(generate.DEFAULT_OUT / manifest["videos"]["h264_odd_size.mov"]["framemd5"])
    demuxer = nvc.PyNvGopDecoder(1, -1, True)
    ctx = mp.get_context("fork")
    for _ in range(3):
        reader = reader_for(-1, num_of_file=1, ahead=ahead)
        for i in range(16):  # 16 frames in order: GOP 1 starts decoding ahead, on a thread of this process
            reader.Decode([path], [i])
        queue = ctx.Queue()
        child = ctx.Process(target=_demux_in_child, args=(demuxer, path, queue))
        child.start()
        try:
            status, result = queue.get(timeout=60)
        finally:
            child.join(timeout=30)
        assert (status, result) == ("ok", (True, [25], [25])) and child.exitcode == 0, result
        got = [hashlib.md5(planar_yuv_bytes(reader.Decode([path], [i])[0])).hexdigest() for i in range(16, 50)]
        assert got == md5[16:50]
        if ahead == 64:
            assert reader._stats()["ahead_frames"] == 25  # GOP 1 came from the decode ahead
        else:  # 1 MiB: its first chunk at most, then it waited for room until the fork
            assert reader._stats()["ahead_frames"] <= 4


def test_decode_ahead_arguments(backend, igpu, manifest):
    path = video_path(manifest, SEQ[0])
    for bad in (-2, 1 << 17):
        with pytest.raises(ValueError, match="decode_ahead_mib"):
            nvc.PyNvSampleReader(1, 1, igpu, True, decode_ahead_mib=bad)
    reader = nvc.CreateSampleReader(1, 1, igpu, True, decode_ahead_mib=8)
    for i in range(40):
        assert len(reader.Decode([path], [i])) == 1
    assert reader._stats()["ahead_frames"] > 0


def test_batch_equals_one_by_one(backend, igpu, manifest):
    paths = [video_path(manifest, n) for n in SEQ]
    lists = [[0, 1, 2, 3, 4, 5, 6, 7], [20, 21, 22, 22, 23, 30, 31, 32], [48, 49, 50, 51, 52, 53, 54, 55]]
    batch = reader_for(igpu).DecodeBatchRGB(paths, lists)
    assert [len(x) for x in batch] == [8, 8, 8]
    single = reader_for(igpu)
    for k in range(8):
        frames = single.DecodeN12ToRGB(paths, [lst[k] for lst in lists])
        for v in range(3):
            assert np.array_equal(to_numpy(batch[v][k]), to_numpy(frames[v])), (v, k)
    yuv = reader_for(igpu).DecodeBatch(paths[:1], lists[:1])
    assert [hashlib.md5(planar_yuv_bytes(f)).hexdigest() for f in yuv[0]] == \
        [read_framemd5(generate.DEFAULT_OUT / manifest["videos"][SEQ[0]]["framemd5"])[i] for i in lists[0]]


# ----------------------------------------------------------------------------- async

def test_async_equals_sync(backend, igpu, manifest):
    paths = [video_path(manifest, n) for n in SEQ]
    sync, asy = reader_for(igpu), reader_for(igpu)
    for k in range(12):
        ids = [k, 2 * k, k + 40]
        asy.DecodeN12ToRGBAsync(paths, ids, as_bgr=bool(k % 2))
        want = rgb(sync.DecodeN12ToRGB(paths, ids, bool(k % 2)))
        got = rgb(asy.DecodeN12ToRGBAsyncGetBuffer(paths, ids, bool(k % 2)))
        assert all(np.array_equal(x, y) for x, y in zip(got, want)), k


def test_async_error_matrix(backend, igpu, manifest):
    a, b = video_path(manifest, SEQ[0]), video_path(manifest, SEQ[1])
    reader = reader_for(igpu)
    with pytest.raises(RuntimeError, match="no asynchronous request is pending"):
        reader.DecodeN12ToRGBAsyncGetBuffer([a], [0])
    with pytest.raises(ValueError, match="same length"):
        reader.DecodeN12ToRGBAsync([a, b], [0])
    with pytest.raises(ValueError, match="num_of_file"):
        reader.DecodeN12ToRGBAsync([a] * 4, [0] * 4)
    reader.DecodeN12ToRGBAsync([a, b], [5, 6])
    for wrong in (([a, b], [5, 7], False), ([b, a], [5, 6], False), ([a, b], [5, 6], True)):
        with pytest.raises(RuntimeError, match="differ from the pending request"):
            reader.DecodeN12ToRGBAsyncGetBuffer(*wrong)
    # A synchronous call waits for the pending request; its result stays claimable.
    assert len(reader.DecodeN12ToRGB([a], [7])) == 1
    assert len(reader.DecodeN12ToRGBAsyncGetBuffer([a, b], [5, 6])) == 2
    with pytest.raises(RuntimeError, match="no asynchronous request is pending"):
        reader.DecodeN12ToRGBAsyncGetBuffer([a, b], [5, 6])
    # Background errors come back with their message, at the claim; the reader survives.
    reader.DecodeN12ToRGBAsync(["/nowhere/missing.mp4"], [0])
    with pytest.raises(RuntimeError, match="missing.mp4"):
        reader.DecodeN12ToRGBAsyncGetBuffer(["/nowhere/missing.mp4"], [0])
    reader.DecodeN12ToRGBAsync([a], [10_000])
    with pytest.raises(ValueError, match="out of range"):
        reader.DecodeN12ToRGBAsyncGetBuffer([a], [10_000])
    # A new request discards an unclaimed result.
    reader.DecodeN12ToRGBAsync([a], [8])
    reader.DecodeN12ToRGBAsync([a], [9])
    with pytest.raises(RuntimeError, match="differ"):
        reader.DecodeN12ToRGBAsyncGetBuffer([a], [8])
    assert len(reader.DecodeN12ToRGBAsyncGetBuffer([a], [9])) == 1
    for release in (reader.clearAllReaders, reader.release_decoder, reader.release_device_memory):
        reader.DecodeN12ToRGBAsync([a], [11])
        release()
        assert len(reader.DecodeN12ToRGBAsyncGetBuffer([a], [11])) == 1


def test_destroying_a_reader_with_a_pending_request_returns_promptly(backend, igpu, manifest):
    path = video_path(manifest, "hevc_long_gop.mp4")
    for how in ("del", "thread"):
        reader = reader_for(igpu, num_of_file=1)
        reader.DecodeN12ToRGBAsync([path], [299])  # a long GOP: the request takes a while
        start = time.perf_counter()
        if how == "del":
            del reader
            gc.collect()
        else:  # destroyed on another thread
            t = threading.Thread(target=lambda r=[reader]: r.clear())
            del reader
            t.start()
            t.join(30)
            gc.collect()
        assert time.perf_counter() - start < 20


# ----------------------------------------------------------------------------- memory

def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def gpu_used_bytes(igpu: int) -> int:
    torch = torch_or_none()
    free, total = torch.cuda.mem_get_info(igpu)
    return total - free


def test_memory_stays_flat_over_1000_calls(backend, igpu, manifest):
    paths = [video_path(manifest, n) for n in SEQ]
    counts = [manifest["videos"][n]["frame_count"] for n in SEQ]
    reader = reader_for(igpu)
    measure = (lambda: gpu_used_bytes(igpu)) if igpu >= 0 else rss_bytes

    def run(calls, start):
        for k in range(start, start + calls):
            frames = reader.DecodeN12ToRGB(paths, [k % c for c in counts])
            del frames

    run(100, 0)  # warm up: files open, pools filled
    gc.collect()
    before = measure()
    run(1000, 100)
    gc.collect()
    grown = measure() - before
    assert grown < 32 << 20, f"memory grew by {grown / 2**20:.1f} MiB over 1000 calls"


# ----------------------------------------------------------------------------- prefetch

def test_prefetcher_delivers_in_order_and_equals_direct_calls(backend, igpu, manifest):
    paths = [video_path(manifest, n) for n in SEQ]
    requests = [(paths, [k, k, k]) for k in range(20)] + [(paths, [[20, 21, 22]] * 3)]
    direct = reader_for(igpu)
    want = [rgb(direct.DecodeN12ToRGB(p, i)) for p, i in requests[:-1]]
    with nvc.Prefetcher(reader_for(igpu), requests, depth=3) as batches:
        got = list(batches)
    assert len(got) == 21
    assert all(np.array_equal(x, y) for g, w in zip(got[:-1], want) for x, y in zip(rgb(g), w))
    assert [len(x) for x in got[-1]] == [3, 3, 3]


def test_prefetcher_errors_arrive_in_place_and_close_is_prompt(backend, igpu, manifest):
    path = video_path(manifest, SEQ[0])
    requests = [([path], [0]), ([path], [1]), ([path], [10_000]), ([path], [2])]
    it = nvc.Prefetcher(reader_for(igpu), requests, depth=2)
    assert len(next(it)) == 1 and len(next(it)) == 1
    with pytest.raises(ValueError, match="out of range"):
        next(it)
    assert len(next(it)) == 1
    with pytest.raises(StopIteration):
        next(it)
    endless = (([path], [k % 90]) for k in range(10**9))
    p = nvc.Prefetcher(reader_for(igpu), endless, depth=2)
    next(p)
    start = time.perf_counter()
    p.close()
    assert time.perf_counter() - start < 10
    with pytest.raises(ValueError):
        nvc.Prefetcher(reader_for(igpu), [], depth=0)
