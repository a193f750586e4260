"""Same calls, same answers (issue #15 §1).

A valid file's verdict may not depend on what a decoder did before, on libavcodec's frame
threads, or on the run: every test video, random frame ids, 100 repetitions of the same
calls, alternately on a fresh decoder and on one warm from the other videos, with frame
threads on and off, direct and through a GOP bundle written to disk and loaded again. Every
call must succeed with the framemd5 frames, every time.

Oracle: ffmpeg's framemd5 (generated with the videos). Before the fixes of issue #15 an
H.264 open-GOP file with a B-pyramid was refused as damaged on the CPU back end, and an
MPEG-4 Part 2 bundle decoded or not depending on the decoder's history.
"""

from __future__ import annotations

import hashlib
import os
import random

import pytest

import on_demand_video_decoder as nvc
from conftest import nvdec_bit_exact, nvdec_supports, planar_yuv_bytes, read_framemd5, video_path
import generate

ALL_VIDEOS = [c.file for c in generate.CASES]
# 100 in CI (the number); a device run short of time may ask for fewer.
REPETITIONS = int(os.environ.get("ODVD_DETERMINISM_REPS", "100"))


def calls_for(entry: dict, seed: int) -> list[list[int]]:
    """Two calls of random ids (one of 3, one of 1), fixed by the seed."""
    rng = random.Random(seed)
    n = entry["frame_count"]
    return [sorted(rng.sample(range(n), min(3, n))), [rng.randrange(n)]]


def md5s(frames) -> list[str]:
    return [hashlib.md5(planar_yuv_bytes(f)).hexdigest() for f in frames]


@pytest.fixture(scope="module")
def videos(manifest, backend):
    """(name, path, calls, expected md5s per call) of every video this back end decodes."""
    out = []
    for i, name in enumerate(ALL_VIDEOS):
        entry = manifest["videos"][name]
        if backend == "nvdec" and not (nvdec_supports(entry) and nvdec_bit_exact(entry)):
            continue
        md5 = read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])
        calls = calls_for(entry, seed=i)
        out.append((name, video_path(manifest, name), calls, [[md5[k] for k in ids] for ids in calls]))
    return out


@pytest.mark.parametrize("threads", [1, 0], ids=["no_frame_threads", "frame_threads"])
def test_same_calls_give_the_same_frames_every_time(backend, igpu, videos, threads, tmp_path):
    if backend == "nvdec" and threads == 0:
        pytest.skip("decoder_threads is a CPU back end setting")
    make = lambda: nvc.PyNvGopDecoder(maxfiles=4, iGpu=igpu, suppressNoColorRangeWarning=True,  # noqa: E731
                                      decoder_threads=threads)
    # The bundles once, from their own decoder (GetGOP demuxes only).
    bundles = {}
    for name, path, calls, _ in videos:
        bundle, _, _ = make().GetGOP([path] * len(calls[0]), calls[0])
        bundles[name] = str(tmp_path / f"{name}.gop")
        nvc.SavePacketsToFile(bundle, bundles[name])
    warm = make()
    failures = []
    for rep in range(REPETITIONS):
        for name, path, calls, expected in videos:
            dec = make() if rep % 2 == 0 else warm
            for ids, want in zip(calls, expected):
                try:
                    got = md5s(dec.Decode([path] * len(ids), ids))
                except RuntimeError as e:
                    got = [f"error: {e}"]
                if got != want:
                    failures.append(f"rep {rep} {name} {ids}: {got[:1]}")
            if rep % 10 == 0:  # the bundle path: load the file again, decode, same frames
                try:
                    got = md5s(dec.DecodeFromGOP(dec.LoadGops([bundles[name]]), [path] * len(calls[0]), calls[0]))
                except RuntimeError as e:
                    got = [f"error: {e}"]
                if got != expected[0]:
                    failures.append(f"rep {rep} {name} bundle {calls[0]}: {got[:1]}")
        assert not failures, f"{len(failures)} calls differed from framemd5, first: " + "; ".join(failures[:5])
