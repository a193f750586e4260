"""PyNvGopDecoder(parallel_calls=N) (Note [Parallel calls]): calls from several threads
decode at once on separate sessions and every frame is still the right one; the
prefetcher drives such a decoder with several workers."""

from __future__ import annotations

import random
import threading
from typing import Callable, Optional

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import frame_watermark, nvdec_supports, to_numpy, video_path

NAMES = ["h264_gop30.mp4", "hevc_bframes.ts", "h264_bframes_gop24.mp4", "hevc_hvc1_bframes_gop24.mp4"]


def check_watermarks(errors: list, seed: int, ids: list, frames: list) -> None:
    """Appends (caller, wanted, got) for each frame that is not the one asked for."""
    for fid, frame in zip(ids, frames):
        if frame_watermark(frame) != fid:
            errors.append((seed, fid, frame_watermark(frame)))


def run_callers(caller: Callable[[int, list], None], count: int, also: Optional[Callable[[], object]] = None) -> list:
    """Runs caller(seed, errors) for seeds 0..count-1 on threads of their own (and `also` on one
    more) at once; returns the errors they appended or raised."""
    errors: list = []

    def guarded(seed: int) -> None:
        try:
            caller(seed, errors)
        except BaseException as e:  # noqa: BLE001 - reported to the test
            errors.append(repr(e))

    threads = [threading.Thread(target=guarded, args=(s,)) for s in range(count)]
    if also is not None:
        threads.append(threading.Thread(target=also))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_concurrent_calls_return_the_right_frames(backend, igpu, manifest):
    paths = [video_path(manifest, n) for n in NAMES]
    counts = [manifest["videos"][n]["frame_count"] for n in NAMES]
    dec = nvc.PyNvGopDecoder(4, igpu, True, parallel_calls=3)

    def caller(seed: int, errors: list) -> None:
        rng = random.Random(seed)
        for _ in range(15):
            ids = [rng.randrange(c) for c in counts]
            check_watermarks(errors, seed, ids, dec.Decode(paths, ids))

    # more callers than sets, and release_decoder among them
    errors = run_callers(caller, 5, also=lambda: [dec.release_decoder() for _ in range(3)])
    assert not errors, errors[:5]
    assert dec._stats()["gop_starts"] >= 75


@pytest.mark.parametrize("parallel", [1, 2])
def test_calls_from_gop_data_keep_to_parallel_calls(backend, igpu, manifest, parallel):
    """DecodeFromGOP holds a session set as Decode does: with 4 callers and parallel_calls=N,
    at most N calls decode at once, so the idle decoders the calls give back (the pool keeps
    maxfiles x N) are all taken again and no more than that are ever made. Calls that ran
    past the bound made up to 4 x maxfiles and dropped what the pool could not keep."""
    if backend == "nvdec" and not all(nvdec_supports(manifest["videos"][n]) for n in NAMES):
        pytest.skip("a video NVDEC cannot decode")
    paths = [video_path(manifest, n) for n in NAMES]
    counts = [manifest["videos"][n]["frame_count"] for n in NAMES]
    demuxer = nvc.PyNvGopDecoder(len(NAMES), -1, True)
    rng = random.Random(11)
    calls = []
    for _ in range(8):
        ids = [rng.randrange(c) for c in counts]
        calls.append((demuxer.GetGOP(paths, ids)[0], ids))
    dec = nvc.PyNvGopDecoder(len(NAMES), igpu, True, parallel_calls=parallel)

    def caller(seed: int, errors: list) -> None:
        for bundle, ids in calls[seed:] + calls[:seed]:
            check_watermarks(errors, seed, ids, dec.DecodeFromGOP(bundle, paths, ids))

    errors = run_callers(caller, 4)
    assert not errors, errors[:5]
    made = dec._stats()["record_decoders_made"]
    assert len(NAMES) <= made <= len(NAMES) * parallel, made


def test_parallel_calls_must_be_sane():
    for bad in (0, -1, 65):
        with pytest.raises(ValueError, match="parallel_calls"):
            nvc.PyNvGopDecoder(1, -1, parallel_calls=bad)
    cached = nvc.CreateGopDecoder(2, iGpu=-1, parallel_calls=2, worker_threads=2)
    assert isinstance(cached, nvc.CachedGopDecoder)


def test_prefetcher_with_workers_keeps_order(backend, igpu, manifest):
    if backend == "nvdec" and not all(nvdec_supports(manifest["videos"][n]) for n in NAMES):
        pytest.skip("a video NVDEC cannot decode")
    paths = [video_path(manifest, n) for n in NAMES]
    counts = [manifest["videos"][n]["frame_count"] for n in NAMES]
    rng = random.Random(5)
    requests = [(paths, [rng.randrange(c) for c in counts]) for _ in range(24)]
    dec = nvc.PyNvGopDecoder(4, igpu, True, parallel_calls=3)
    with nvc.Prefetcher(dec, requests, depth=6, workers=3) as batches:
        got = [[to_numpy(f).copy() for f in batch] for batch in batches]
    direct = nvc.PyNvGopDecoder(4, igpu, True)
    for (p, ids), batch in zip(requests, got):
        want = [to_numpy(f) for f in direct.DecodeN12ToRGB(p, ids)]
        assert all(np.array_equal(a, b) for a, b in zip(batch, want)), ids
    with pytest.raises(ValueError):
        nvc.Prefetcher(dec, [], workers=0)
