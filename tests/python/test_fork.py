"""Decoders inherited by forked processes (issue #16 §1, Note [Fork] in odvd/process_local.hpp).

A DataLoader with the 'fork' start method hands every worker a copy of the parent's decoder
objects, without their threads and with the parent's open file descriptions. Before the fix,
two fork workers sharing one inherited PyNvGopDecoder got false "packet N is corrupt" and
"unexpected end of file" errors (one file offset for two processes), and an inherited CPU
PyNvSampleReader that had decoded in the parent hung on its next call (libavcodec's frame
threads do not exist in the child). Now each process remakes that state on its first call.

Oracle: ffmpeg's framemd5 of each video (bit-exact frames); every pool result is waited for
with a timeout, so a hang fails the test instead of stalling the run."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import random
import subprocess
import sys
import textwrap

import pytest

import on_demand_video_decoder as nvc
from conftest import cuda_device_count, nvdec_supports, planar_yuv_bytes, read_framemd5, video_path
import generate

VIDEOS = ["h264_gop30.mp4", "hevc_bframes.ts", "h264_open_gop.mp4", "vp9_gop8.webm"]
DECODES = 2000  # over both pools: 1000 random-access entries and 1000 sample-reader frames
TIMEOUT_S = 600

# The objects the pool workers inherit (module globals, set before the pools fork).
INHERITED: dict = {}


def md5(frame) -> str:
    return hashlib.md5(planar_yuv_bytes(frame)).hexdigest()


def random_access(task):
    """In a fork worker: one Decode call of the inherited PyNvGopDecoder."""
    paths, ids = task
    return [md5(f) for f in INHERITED["decoder"].Decode(paths, ids)]


def read_forward(task):
    """In a fork worker: frames first..first+4 of one file, in order, on the inherited reader."""
    path, first = task
    reader = INHERITED["reader"]
    return [md5(reader.Decode([path], [i])[0]) for i in range(first, first + 5)]


@pytest.fixture(scope="module")
def videos(manifest):
    out = {}
    for name in VIDEOS:
        if name not in manifest["videos"]:
            continue
        entry = manifest["videos"][name]
        out[video_path(manifest, name)] = read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])
    assert len(out) >= 3, "the generator's videos changed: pick others"
    return out


def test_fork_workers_share_inherited_cpu_decoders(videos):
    paths = sorted(videos)
    rng = random.Random(16)
    # Frame threads on (decoder_threads=2): the parent's libavcodec threads are what a
    # child used to wait for.
    decoder = nvc.PyNvGopDecoder(4, -1, True, decoder_threads=2)
    reader = nvc.PyNvSampleReader(2, 1, -1, True, decoder_threads=2)
    # The parent decodes first: open files, warm sessions, threads, all then inherited.
    assert [md5(f) for f in decoder.Decode(paths[:3], [5, 6, 7])] == [videos[p][i] for p, i in zip(paths, [5, 6, 7])]
    assert md5(reader.Decode([paths[0]], [3])[0]) == videos[paths[0]][3]
    INHERITED.update(decoder=decoder, reader=reader)

    access = []
    for _ in range(DECODES // 2 // 4):
        chosen = [rng.choice(paths) for _ in range(4)]
        access.append((chosen, [rng.randrange(len(videos[p])) for p in chosen]))
    forward = []
    for _ in range(DECODES // 2 // 5):
        p = rng.choice(paths)
        forward.append((p, rng.randrange(len(videos[p]) - 5)))

    ctx = mp.get_context("fork")
    try:
        with ctx.Pool(2) as pool:  # two workers at once on the same inherited objects
            got_access = pool.map_async(random_access, access, chunksize=5)
            got_forward = pool.map_async(read_forward, forward, chunksize=5)
            access_md5 = got_access.get(timeout=TIMEOUT_S)
            forward_md5 = got_forward.get(timeout=TIMEOUT_S)
    finally:
        INHERITED.clear()
    wrong = [(t, i) for t, m in zip(access, access_md5) for i, (p, fid) in enumerate(zip(*t))
             if m[i] != videos[p][fid]]
    assert not wrong, f"{len(wrong)} random-access frames differ, first: {wrong[:3]}"
    wrong = [t for t, m in zip(forward, forward_md5) if m != videos[t[0]][t[1]:t[1] + 5]]
    assert not wrong, f"{len(wrong)} forward reads differ, first: {wrong[:3]}"
    # The parent's objects were not disturbed by the children (their files are the parent's own).
    assert [md5(f) for f in decoder.Decode(paths[:3], [8, 9, 10])] == [videos[p][i] for p, i in
                                                                      zip(paths, [8, 9, 10])]
    assert md5(reader.Decode([paths[0]], [4])[0]) == videos[paths[0]][4]


def test_inherited_objects_can_be_dropped_in_the_child(videos):
    """Garbage-collecting an inherited decoder in a child must not join the parent's threads
    (they do not exist there) nor close the parent's decoders: the child exits cleanly."""
    paths = sorted(videos)
    script = textwrap.dedent(f"""
        import gc, os, sys
        import on_demand_video_decoder as nvc
        dec = nvc.PyNvGopDecoder(2, -1, True, decoder_threads=2)
        reader = nvc.PyNvSampleReader(1, 1, -1, True, decoder_threads=2)
        dec.Decode([{paths[0]!r}], [3]); reader.Decode([{paths[1]!r}], [2])
        reader.DecodeN12ToRGBAsync([{paths[1]!r}], [3])  # a request in flight at the fork
        pid = os.fork()
        if pid == 0:
            del dec, reader
            gc.collect()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        reader.DecodeN12ToRGBAsyncGetBuffer([{paths[1]!r}], [3])
        print("child exit", os.waitstatus_to_exitcode(status))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "child exit 0"


def test_gpu_decoders_across_a_fork(manifest):
    """NVDEC: CUDA cannot cross a fork. A GPU decoder that decoded in the parent says so in
    the child (and still demuxes there); one that never touched CUDA in the parent decodes in
    the child, on the child's own context."""
    if cuda_device_count() == 0:
        pytest.skip("no CUDA device: NVDEC tests skipped")
    entry = manifest["videos"]["h264_gop30.mp4"]
    if not nvdec_supports(entry):
        pytest.skip("NVDEC on this GPU does not decode H.264")
    path = video_path(manifest, "h264_gop30.mp4")
    want = read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])[17]
    script = textwrap.dedent(f"""
        import hashlib, os, sys
        sys.path.insert(0, {str(generate.DEFAULT_OUT.parent.parent / "python")!r})
        import on_demand_video_decoder as nvc
        from conftest import planar_yuv_bytes
        md5 = lambda f: hashlib.md5(planar_yuv_bytes(f)).hexdigest()
        fresh = nvc.PyNvGopDecoder(1, 0, True)  # made, never used: no CUDA in this process yet
        pid = os.fork()
        if pid == 0:
            print("fresh child", md5(fresh.Decode([{path!r}], [17])[0]) == {want!r}, flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        used = nvc.PyNvGopDecoder(1, 0, True)
        print("parent", md5(used.Decode([{path!r}], [17])[0]) == {want!r}, flush=True)
        pid = os.fork()
        if pid == 0:
            try:
                used.Decode([{path!r}], [17])
                print("used child decoded", flush=True)
            except Exception as e:
                print("used child refused:", type(e).__name__, str(e)[:53], flush=True)
            print("used child demuxes", used.GetGOP([{path!r}], [17])[1] == [0], flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["fresh child True", "parent True",
                                       "used child refused: RuntimeError CUDA cannot cross a fork: the GPU was set up in proce",
                                       "used child demuxes True"]
