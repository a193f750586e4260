#!/usr/bin/env python3
"""The benchmark suite of issue #6: every workload, its peers and the limit, on every config.

One command per machine writes OUT/suite.json (every number), OUT/suite.md (the tables) and
OUT/suite.png (frames/s per config and workload, and each as a fraction of the limit):

    python3 bench/suite.py --videos .carry/videos --out OUT [--configs all] [--backends nvdec,cpu]

Videos: ROOT/<config>/cam<k>.mp4 from bench/make_videos.py (the configs are listed there). A
config folder with fewer than --cameras files is completed with copies of its cam0 in a
temporary folder: the GPU machine's 64 MiB carry limit fits 6 distinct cameras for the base
config only, so the sweep carries one camera per config. The decode work does not depend on
which camera a file shows (every call picks its own random frames per file); the base config
run both ways shows it (bench/RESULTS.md).

Workloads (6 cameras; ids from one seeded sequence per workload, shared by every library;
untimed warm-up calls first):
  random        each call one random frame of every camera, DecodeN12ToRGB (PyNvGopDecoder)
  random_x4     the same calls, 4 in flight on one PyNvGopDecoder(parallel_calls=4) fed by
                Prefetcher(workers=4) (latency = one call's own time inside the worker)
  tensor, tensor_torch  random access into (6, 3, 448, 800) float16 normalised batches: fused
                (DecodeToTensor) and DecodeN12ToRGB + the torch chain (bench/tensor_workloads.py)
  dataloader_direct, dataloader_p1, dataloader_p2  the PyTorch data path's two patterns against the
                same frames decoded directly (bench/dataloader_workload.py)
  epoch_T1_*, epoch_T4_*  shuffled epochs through EpochSampler at three buffer sizes, 1-frame samples
                and 4-frame clips (bench/epoch_workload.py)
  multi4        each call 4 random frames of every camera (24 entries)
  sequential    PyNvSampleReader(1, 6): call k asks every camera for frame k, whole clips; the
                first pass (opening 6 files) is untimed and reported as `first_pass_fps`;
                with decode-ahead (the default on NVDEC: Note [Decode ahead])
  sequential_no_ahead  the same on NVDEC with decode_ahead_mib=0: one streaming session per camera
  sequential_ahead     the same on the CPU back end with decode_ahead_mib=256 (its default is off)
  sequential_ahead_<MiB>MiB  the same on NVDEC with decode_ahead_mib=<MiB> (run only when named)
  bundle        random, decoded from GOP bundles extracted beforehand (nvc.extract_gops,
                GopStore.decode_rgb: bundle files read from disk, no demuxer; each file read and
                verified once per call)
  bundle_arrays the same calls through the public arrays path: LoadGopsToList on the calls'
                bundle files, then DecodeFromGOPListRGB (the bytes pass through Python and are
                verified on loading and again before decoding; GopStore's path before #16)
  peers         (bench/peers/) PyNvVideoCodec SimpleDecoder (random; one caller, and 4 callers in flight),
                torchcodec VideoDecoder on CUDA (random; FFmpeg's NVDEC and its "beta" NVDEC
                path), NVIDIA ACCV-Lab's accvlab.on_demand_video_decoder, the API we implement
                (random, random x4 on 4 callers, multi4, sequential with its PyNvSampleReader,
                bundle from its own GOP files; built by bench/peers/accvlab_build.sh; each row
                has `max_diff_vs_ours`, one call's frames against ours), PyAV seek+decode on the
                CPU (random), when importable
The CPU back end runs the same workloads, with fewer calls (--cpu-seconds per workload).

Per workload: frames returned/s; pictures decoded per frame returned (counted by the library
from packets sent to the decoder; a model for peers: key frame to target, no B-frames);
p50/p99 ms per call; NVDEC utilisation (NVML, sampled every 50 ms during the timed calls); host
CPU time (user + system, all threads of this process) per returned frame; peak GPU memory (NVML
device memory in use, sampled every 10 ms from before the decoder is made to the end of the
run, minus the level before); and the fraction of the limit: decoded pictures/s over the
config's limit (apply_limits: the best of the limit runs and of our counted workloads; the
NVDEC limit runs: bare-cuvid sessions, Note [The raw limit], LIMIT_RUNS: 1 to 28 sessions on
1 to 21 threads, whole files or GOP by GOP, never waiting or waiting for each picture two
behind; and LIMIT_READERS sample readers side by side, each reading a camera file on its own
thread (bench/probe_streams.py); for the CPU back end, one libavcodec thread per core).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import on_demand_video_decoder as nvc  # noqa: E402
from bench_nvdec import NvmlSampler, machine, nvdec_unavailable_reason  # noqa: E402
from make_videos import BY_NAME, CONFIGS  # noqa: E402
from probe_streams import free_streams  # noqa: E402
import dataloader_workload  # noqa: E402
import epoch_workload  # noqa: E402
from overlap import TimedDecoder, run_in_flight  # noqa: E402
import tensor_workloads  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Bare-cuvid limit runs: (threads, sessions per thread, GOP by GOP). Note [The raw limit].
# (threads, sessions per thread, GOP by GOP, pictures in flight per session: 0 = never waits)
LIMIT_RUNS = ((1, 1, False, 0), (7, 1, False, 0), (7, 4, False, 0), (7, 4, True, 0),
              (7, 1, False, 2), (12, 1, False, 2), (14, 1, False, 2), (21, 1, False, 2))
# Sample readers run side by side for the limit, each reading its camera file frame after
# frame on its own thread (bench/probe_streams.py, `free`).
LIMIT_READERS = 12


# --------------------------------------------------------------------------------------
# Probes: CPU time, GPU memory
# --------------------------------------------------------------------------------------

def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _NvmlMemory(ctypes.Structure):
    _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]


class GpuMemoryPeak:
    """Peak device memory in use (NVML) above the level at start(), sampled every 10 ms."""

    def __init__(self, gpu: int):
        self.gpu = gpu
        self.error = None
        self._stop = threading.Event()
        self._thread = None
        self.base = self.peak = 0
        if gpu < 0:
            self.error = "CPU"
            return
        try:
            self._nvml = ctypes.CDLL("libnvidia-ml.so.1")
            self._nvml.nvmlInit_v2()
            self._handle = ctypes.c_void_p()
            if self._nvml.nvmlDeviceGetHandleByIndex_v2(gpu, ctypes.byref(self._handle)) != 0:
                raise OSError("nvmlDeviceGetHandleByIndex_v2 failed")
            self._used()
        except OSError as e:
            self.error = str(e)

    def _used(self) -> int:
        m = _NvmlMemory()
        if self._nvml.nvmlDeviceGetMemoryInfo(self._handle, ctypes.byref(m)) != 0:
            raise OSError("nvmlDeviceGetMemoryInfo failed")
        return m.used

    def start(self) -> "GpuMemoryPeak":
        if self.error is None:
            self.base = self.peak = self._used()
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._used())

    def stop(self):
        if self._thread is None:
            return None
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._used())
        return (self.peak - self.base) / 2**20


# --------------------------------------------------------------------------------------
# Running one workload
# --------------------------------------------------------------------------------------

def counted(obj) -> int:
    """Packets the library sent to its decoders so far (PyNvGopDecoder / PyNvSampleReader)."""
    return obj._stats()["packets_sent"]


def measure(name: str, gpu: int, make, run, *, warm=None, decoded=None, seconds: float, extra=None) -> dict:
    """make() -> object; warm(obj) untimed; run(obj, deadline) -> (frames, [seconds per call])
    timed, or (frames, [seconds], {more row fields}); decoded(obj) -> pictures decoded so far
    (counted; peers give a model's estimate in `extra` as decoded_model instead)."""
    memory = GpuMemoryPeak(gpu).start()
    obj = make()
    note = warm(obj) if warm else None
    before = decoded(obj) if decoded else 0
    util = NvmlSampler(gpu) if gpu >= 0 else None
    if util:
        util.start()
    cpu0 = cpu_seconds()
    start = time.perf_counter()
    frames, latencies, *more = run(obj, start + seconds)
    wall = time.perf_counter() - start
    cpu = cpu_seconds() - cpu0
    nvml = util.stop() if util else {"available": False}
    pictures, source = (decoded(obj) - before, "counted") if decoded else (None, None)
    del obj
    gc.collect()
    peak = memory.stop()
    ordered = sorted(latencies)
    row = {
        "workload": name, "calls": len(latencies), "frames": frames, "seconds": wall,
        "frames_per_s": frames / wall,
        "p50_ms": 1e3 * statistics.median(ordered),
        "p99_ms": 1e3 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "decoded_per_returned": pictures / frames if pictures is not None else None,
        "decoded_source": source,
        "nvml_mean": nvml.get("mean_percent"), "nvml_max": nvml.get("max_percent"),
        "cpu_ms_per_frame": 1e3 * cpu / frames,
        "peak_gpu_mib": peak,
    }
    if isinstance(note, dict):
        row.update(note)
    if more:
        row.update(more[0])
    if extra:
        row.update(extra)
    return row


def loop_calls(call, calls: list, min_calls: int = 3):
    """A run(): calls call(obj, ids) in order until the list or the deadline ends."""

    def run(obj, deadline):
        frames, seconds = 0, []
        for i, ids in enumerate(calls):
            t = time.perf_counter()
            frames += call(obj, ids)
            seconds.append(time.perf_counter() - t)
            if i + 1 >= min_calls and time.perf_counter() > deadline:
                break
        return frames, seconds

    return run


# --------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------

class Clip:
    """The 6 camera files of one config and what the workloads need to know about them."""

    def __init__(self, paths: list[str], seed: int):
        self.paths = paths
        infos = [nvc._odvd.GetIndexInfo(p) for p in paths]
        self.frame_counts = [i["frame_count"] for i in infos]
        self.keys = [i["key_frame_ids"] for i in infos]
        self.codec = infos[0]["codec"]
        self.seed = seed

    def random_calls(self, n: int, per_camera: int = 1, salt: int = 0) -> list[list[int]]:
        rng = random.Random(self.seed * 1000 + salt)
        return [[rng.randrange(c) for c in self.frame_counts for _ in range(per_camera)] for _ in range(n)]

    def entries(self, per_camera: int) -> list[str]:
        return [p for p in self.paths for _ in range(per_camera)]

    def model_work(self, calls: list[list[int]], per_camera: int = 1) -> int:
        """Key frame to the deepest target, once per camera and GOP (no B-frames)."""
        total = 0
        for ids in calls:
            deepest: dict = {}
            for i, f in enumerate(ids):
                cam = i // per_camera
                key = max(k for k in self.keys[cam] if k <= f)
                deepest[(cam, key)] = max(deepest.get((cam, key), 0), f - key + 1)
            total += sum(deepest.values())
        return total


def ours_random(clip: Clip, gpu: int, seconds: float, calls: int, per_camera: int = 1) -> dict:
    entries = clip.entries(per_camera)
    ids = clip.random_calls(calls, per_camera)
    warm = clip.random_calls(5, per_camera, salt=1)

    def call(d, i):
        return len(d.DecodeN12ToRGB(entries, i))

    return measure("random" if per_camera == 1 else f"multi{per_camera}", gpu,
                   lambda: nvc.PyNvGopDecoder(len(entries), gpu, True),
                   loop_calls(call, ids), warm=lambda d: [call(d, i) for i in warm] and None,
                   decoded=counted, seconds=seconds)


def ours_random_overlapped(clip: Clip, gpu: int, seconds: float, calls: int, inflight: int = 4) -> dict:
    ids = clip.random_calls(calls)
    warm = clip.random_calls(4 * inflight, salt=1)
    n = len(clip.paths)

    def make():
        return TimedDecoder(nvc.PyNvGopDecoder(n, gpu, True, parallel_calls=inflight))

    def warm_up(d):
        # Concurrent warm-up: every session set opens its files (bench/RESULTS.md §7).
        run_in_flight(d, clip.paths, warm, inflight)
        d.seconds.clear()

    def run(d, deadline):
        return run_in_flight(d, clip.paths, ids, inflight, deadline), list(d.seconds)

    return measure(f"random_x{inflight}", gpu, make, run, warm=warm_up,
                   decoded=lambda d: counted(d.decoder), seconds=seconds)


def ours_sequential(clip: Clip, gpu: int, seconds: float, ahead: int | None = None,
                    label: str = "sequential") -> dict:
    n = len(clip.paths)
    frames = min(clip.frame_counts)
    # NVDEC: the whole first pass opens the files and is untimed; the CPU back end is slower,
    # so it warms up on a few frames only.
    warm_frames = frames if gpu >= 0 else min(frames, 10)

    def call(r, k):
        return len(r.DecodeN12ToRGB(clip.paths, [k] * n))

    def warm(r):
        t = time.perf_counter()
        for k in range(warm_frames):
            call(r, k)
        return {"first_pass_fps": n * warm_frames / (time.perf_counter() - t)} if warm_frames == frames else None

    info = {}  # filled after the timed calls; measure() adds it to the row

    def run(r, deadline):
        # On from where the warm-up stopped; after the last frame back to frame 0, where each
        # file restarts at its key frame (so passes repeat until the deadline).
        got, lat, k = 0, [], warm_frames % frames
        before = r._stats()
        while len(lat) < 3 or time.perf_counter() <= deadline:
            t = time.perf_counter()
            got += call(r, k)
            lat.append(time.perf_counter() - t)
            k = (k + 1) % frames
        st = r._stats()
        # Decode-ahead (Note [Decode ahead]): the share of frames it gave, and the most one
        # file held ahead at once (whole run, warm-up included).
        info["ahead_share"] = (st["ahead_frames"] - before["ahead_frames"]) / max(1, got)
        info["ahead_peak_mib_per_file"] = st.get("ahead_peak_bytes", 0) / 2**20
        return got, lat

    extra = {} if ahead is None else {"decode_ahead_mib": ahead}
    return measure(label, gpu,
                   lambda: nvc.PyNvSampleReader(1, n, gpu, True, **extra), run, warm=warm,
                   decoded=counted, seconds=seconds, extra=info)


def ours_bundle(clip: Clip, gpu: int, seconds: float, calls: int, store_dir: Path, arrays: bool = False) -> dict:
    ids = clip.random_calls(calls)
    warm = clip.random_calls(5, salt=1)
    t = time.perf_counter()
    _, failures = nvc.extract_gops(clip.paths, str(store_dir))  # resumes: a second run finds them done
    extract_s = time.perf_counter() - t
    if failures:
        raise RuntimeError(f"GOP extraction failed: {failures}")

    def call(s, i):
        if not arrays:
            return len(s.decode_rgb(clip.paths, i))
        files = [s.bundle_file(p, f) for p, f in zip(clip.paths, i)]
        return len(s.decoder.DecodeFromGOPListRGB(s.decoder.LoadGopsToList(files), clip.paths, i))

    return measure("bundle_arrays" if arrays else "bundle", gpu, lambda: nvc.GopStore(str(store_dir), nvc.PyNvGopDecoder(len(clip.paths), gpu, True)),
                   loop_calls(call, ids), warm=lambda s: [call(s, i) for i in warm] and None,
                   decoded=lambda s: counted(s.decoder), seconds=seconds, extra={"extract_s": extract_s})


def peer_callers(make_caller, name: str, library: str, clip: Clip, gpu: int, seconds: float, calls: int,
                 callers: int = 1) -> dict:
    """A GPU peer (bench/peers/) on the random-access calls: `callers` callers, each
    make_caller() (its own decoders), taking the next call as soon as it is free."""
    ids = clip.random_calls(calls)
    warm = clip.random_calls(3 * callers, salt=1)

    def warm_up(cs):
        with ThreadPoolExecutor(callers) as pool:
            list(pool.map(lambda j: [cs[j](i) for i in warm[j::callers]], range(callers)))

    def run(cs, deadline):
        lock = threading.Lock()
        lat, got = [], [0]
        nxt = iter(ids)

        def worker(c):
            while time.perf_counter() <= deadline:
                with lock:
                    i = next(nxt, None)
                if i is None:
                    return
                t = time.perf_counter()
                k = len(c(i))
                with lock:
                    lat.append(time.perf_counter() - t)
                    got[0] += k

        with ThreadPoolExecutor(callers) as pool:
            list(pool.map(worker, cs))
        return got[0], lat

    return measure(name, gpu, lambda: [make_caller() for _ in range(callers)], run, warm=warm_up, seconds=seconds,
                   extra={"library": library, "decoded_model": clip.model_work(ids) / (len(clip.paths) * len(ids))})


def peer_pynvvideocodec(clip: Clip, gpu: int, seconds: float, calls: int, callers: int = 1) -> dict | str:
    try:
        from peers import pynvvideocodec as peer
    except Exception as e:  # noqa: BLE001 - a missing peer is reported, not fatal
        return f"PyNvVideoCodec cannot be imported here ({type(e).__name__}: {e})"
    name = "peer_pynvvideocodec" + (f"_x{callers}" if callers > 1 else "")
    return peer_callers(lambda: peer.Caller(clip.paths, gpu), name, f"PyNvVideoCodec {peer.VERSION}", clip, gpu,
                        seconds, calls, callers)


def peer_accvlab_module():
    """(bench/peers/accvlab.py, None), or (None, why it cannot be used here)."""
    try:
        from peers import accvlab as peer
    except Exception as e:  # noqa: BLE001 - a missing peer is reported, not fatal
        return None, f"accvlab cannot be imported here ({type(e).__name__}: {e})"
    return peer, None


def peer_accvlab_reference(gpu: int, entries: list[str], ids: list[int]) -> list:
    """Our frames for one call (copies in torch tensors; our decoder is gone before the peer's
    memory baseline), to compare accvlab's with (row key `max_diff_vs_ours`)."""
    import torch
    d = nvc.PyNvGopDecoder(len(entries), gpu, True)
    ref = [torch.as_tensor(f, device=f"cuda:{gpu}").clone() for f in d.DecodeN12ToRGB(entries, ids)]
    del d
    gc.collect()
    return ref


def peer_accvlab(clip: Clip, gpu: int, seconds: float, calls: int, callers: int = 1) -> dict | str:
    """accvlab's random access (the `random` calls), `callers` threads each with its own decoder."""
    peer, why = peer_accvlab_module()
    if peer is None:
        return why
    check = clip.random_calls(1, salt=2)[0]
    ref = peer_accvlab_reference(gpu, clip.paths, check)
    probe = peer.Caller(clip.paths, gpu)
    diff = peer.max_abs_diff(probe(check), ref, gpu)
    del probe, ref
    gc.collect()
    name = "peer_accvlab" + (f"_x{callers}" if callers > 1 else "")
    row = peer_callers(lambda: peer.Caller(clip.paths, gpu), name, f"accvlab {peer.VERSION}", clip, gpu,
                       seconds, calls, callers)
    row["max_diff_vs_ours"] = diff
    return row


def peer_accvlab_multi(clip: Clip, gpu: int, seconds: float, calls: int, per_camera: int = 4) -> dict | str:
    """accvlab on the `multi4` calls: per_camera random frames of every camera in one
    DecodeN12ToRGB call (6 x per_camera entries). It decodes every entry from its key frame on
    its own decoder, so its model counts key frame..target per entry (not per GOP, as ours)."""
    peer, why = peer_accvlab_module()
    if peer is None:
        return why
    entries = clip.entries(per_camera)
    ids = clip.random_calls(calls, per_camera)
    warm = clip.random_calls(5, per_camera, salt=1)
    ref = peer_accvlab_reference(gpu, entries, warm[0])

    def key(cam: int, f: int) -> int:
        return max(k for k in clip.keys[cam] if k <= f)

    work = sum(f - key(i // per_camera, f) + 1 for call in ids for i, f in enumerate(call))

    def warm_up(c):
        diff = peer.max_abs_diff(c(warm[0]), ref, gpu)
        for i in warm[1:]:
            c(i)
        return {"max_diff_vs_ours": diff}

    return measure(f"peer_accvlab_multi{per_camera}", gpu, lambda: peer.Caller(entries, gpu),
                   loop_calls(lambda c, i: len(c(i)), ids), warm=warm_up, seconds=seconds,
                   extra={"library": f"accvlab {peer.VERSION}", "decoded_model": work / (len(entries) * len(ids))})


def peer_accvlab_sequential(clip: Clip, gpu: int, seconds: float) -> dict | str:
    """accvlab's PyNvSampleReader on the `sequential` calls (as ours_sequential: the first pass
    untimed, then passes from frame 0 again until the deadline)."""
    peer, why = peer_accvlab_module()
    if peer is None:
        return why
    n = len(clip.paths)
    frames = min(clip.frame_counts)
    ref = peer_accvlab_reference(gpu, clip.paths, [0] * n)

    def warm(r):
        # The whole first pass as ours (opening the files); the comparison of frame 0 untimed.
        t = time.perf_counter()
        first = r([0] * n)
        spent = time.perf_counter() - t
        diff = peer.max_abs_diff(first, ref, gpu)
        t = time.perf_counter()
        for k in range(1, frames):
            r([k] * n)
        spent += time.perf_counter() - t
        return {"first_pass_fps": n * frames / spent, "max_diff_vs_ours": diff}

    def run(r, deadline):
        got, lat, k = 0, [], 0
        while len(lat) < 3 or time.perf_counter() <= deadline:
            t = time.perf_counter()
            got += len(r([k] * n))
            lat.append(time.perf_counter() - t)
            k = (k + 1) % frames
        return got, lat

    return measure("peer_accvlab_sequential", gpu, lambda: peer.SampleReader(clip.paths, gpu), run, warm=warm,
                   seconds=seconds, extra={"library": f"accvlab {peer.VERSION}", "decoded_model": 1.0})


def peer_accvlab_bundle(clip: Clip, gpu: int, seconds: float, calls: int, store_dir: Path) -> dict | str:
    """accvlab's demuxer-free path on the `random` calls: every GOP extracted beforehand into
    its own file (GetGOP + SavePacketsToFile, `extract_s`), each call LoadGops on the calls'
    GOP files + DecodeFromGOPRGB."""
    peer, why = peer_accvlab_module()
    if peer is None:
        return why
    ids = clip.random_calls(calls)
    warm = clip.random_calls(5, salt=1)
    index, extract_s = peer.extract_gops(clip.paths, clip.frame_counts, store_dir, gpu)
    ref = peer_accvlab_reference(gpu, clip.paths, warm[0])

    def warm_up(b):
        diff = peer.max_abs_diff(b(warm[0]), ref, gpu)
        for i in warm[1:]:
            b(i)
        return {"max_diff_vs_ours": diff}

    return measure("peer_accvlab_bundle", gpu, lambda: peer.GopBundles(clip.paths, gpu, index),
                   loop_calls(lambda b, i: len(b(i)), ids), warm=warm_up, seconds=seconds,
                   extra={"library": f"accvlab {peer.VERSION}", "extract_s": extract_s,
                          "decoded_model": clip.model_work(ids) / (len(clip.paths) * len(ids))})


def peer_torchcodec(clip: Clip, gpu: int, seconds: float, calls: int, backend: str = "ffmpeg") -> dict | str:
    try:
        from peers import torchcodec as peer
    except Exception as e:  # noqa: BLE001
        return f"torchcodec cannot be imported here ({type(e).__name__}: {e})"
    return peer_callers(lambda: peer.Caller(clip.paths, gpu, backend), f"peer_torchcodec_{backend}",
                        f"torchcodec {peer.VERSION} (CUDA, {backend})", clip, gpu, seconds, calls)


def peer_pyav(clip: Clip, seconds: float, calls: int) -> dict | str:
    try:
        import av
        from peers.pyav import PyAvSeeker
    except Exception as e:  # noqa: BLE001
        return f"PyAV cannot be imported here ({type(e).__name__}: {e})"
    ids = clip.random_calls(calls)
    n = len(clip.paths)

    def make():
        return [PyAvSeeker(Path(p)) for p in clip.paths], ThreadPoolExecutor(n)

    def call(obj, i):
        seekers, pool = obj
        return len(list(pool.map(lambda k: seekers[k].frame(i[k]), range(n))))

    return measure("peer_pyav", -1, make, loop_calls(call, ids), warm=lambda o: call(o, ids[0]) and None,
                   seconds=seconds, extra={"library": f"PyAV {av.__version__} (seek+decode, 6 threads)",
                                           "decoded_model": clip.model_work(ids) / (n * len(ids))})


def limits(clip: Clip, gpu: int, backends: list[str], seconds: float) -> dict:
    """The config's limit per back end: NVDEC, the best of the bare-cuvid LIMIT_RUNS, NVML
    sampled during each; the CPU back end, one libavcodec thread per core."""
    out = {}
    if "nvdec" in backends:
        rows = []
        for threads, per_thread, per_gop, in_flight in LIMIT_RUNS:
            util = NvmlSampler(gpu)
            util.start()
            r = nvc._odvd._decode_throughput(clip.paths, gpu, threads, seconds, raw=True, per_gop=per_gop,
                                             sessions_per_thread=per_thread, in_flight=in_flight)
            u = util.stop()
            rows.append({**r, "threads": threads, "per_gop": per_gop, "in_flight": in_flight,
                         "nvml_mean": u.get("mean_percent")})
        raw = max(r["pictures_per_s"] for r in rows)
        # Independent streams with everything a reader does per frame: more of them than
        # cameras (Note [Decode ahead]) filled NVDEC where bare cuvid did not (RESULTS §12).
        r = free_streams(clip.paths, LIMIT_READERS, gpu, seconds)
        rows.append({"streams": LIMIT_READERS, "threads": LIMIT_READERS, "per_gop": False, "in_flight": None,
                     "readers": True, "pictures_per_s": r["frames_per_s"], "seconds": seconds,
                     "nvml_mean": r["nvml_mean"]})
        out["nvdec"] = {"pictures_per_s": max(x["pictures_per_s"] for x in rows), "raw_pictures_per_s": raw,
                        "rows": rows}
    if "cpu" in backends:
        r = nvc._odvd._decode_throughput(clip.paths, -1, os.cpu_count() or 1, seconds)
        out["cpu"] = {"pictures_per_s": r["pictures_per_s"], "rows": [r]}
    return out


# --------------------------------------------------------------------------------------
# One config
# --------------------------------------------------------------------------------------

def camera_files(folder: Path, cameras: int, scratch: Path) -> tuple[list[str], int]:
    """The config's camera files, completed with copies of cam0 (see the module doc)."""
    found = sorted(folder.glob("cam*.mp4"))
    if not found:
        raise FileNotFoundError(f"no cam*.mp4 in {folder} (bench/make_videos.py makes them)")
    paths = [str(p) for p in found[:cameras]]
    distinct = len(paths)
    for k in range(distinct, cameras):
        copy = scratch / f"{folder.name}_cam{k}.mp4"
        shutil.copyfile(found[0], copy)
        paths.append(str(copy))
    return paths, distinct


def run_config(name: str, folder: Path, args, backends: list[str], scratch: Path) -> dict:
    paths, distinct = camera_files(folder, args.cameras, scratch)
    clip = Clip(paths, args.seed)
    gpu = args.gpu
    result = {"config": name, "paths": paths, "distinct_cameras": distinct, "codec": clip.codec,
              "frame_counts": clip.frame_counts, "gop_starts": [len(k) for k in clip.keys], "rows": [],
              "skipped": {}, "errors": {}}
    print(f"\n== {name}: {len(paths)} cameras ({distinct} distinct), {clip.frame_counts[0]} frames", flush=True)
    result["limit"] = {} if args.no_limit else limits(clip, gpu, backends, args.limit_seconds)
    wanted = set(args.workloads.split(",")) if args.workloads != "all" else None

    def attempt(label, backend, fn):
        if wanted is not None and label not in wanted:
            return
        t = time.perf_counter()
        try:
            row = fn()
        except Exception as e:  # noqa: BLE001 - one failing workload must not hide the others
            result["errors"][f"{label}/{backend}"] = f"{type(e).__name__}: {e}"
            print(f"   {label}/{backend}: FAILED {type(e).__name__}: {e}", flush=True)
            return
        if isinstance(row, str):
            result["skipped"][f"{label}/{backend}"] = row
            print(f"   {label}/{backend}: skipped: {row}", flush=True)
            return
        row["backend"] = backend
        row.setdefault("library", "on_demand_video_decoder")
        result["rows"].append(row)
        print(f"   {label}/{backend}: {row['frames_per_s']:.1f} frames/s, p50 {row['p50_ms']:.2f} ms "
              f"({time.perf_counter() - t:.1f} s)", flush=True)

    for backend in backends:
        dev = gpu if backend == "nvdec" else -1
        s = args.seconds if backend == "nvdec" else args.cpu_seconds
        attempt("random", backend, lambda: ours_random(clip, dev, s, args.calls))
        if backend == "nvdec":
            attempt("random_x4", backend, lambda: ours_random_overlapped(clip, dev, s, 4 * args.calls))
        inflight = 4 if backend == "nvdec" else 1
        for chain in (False, True):
            attempt("tensor_torch" if chain else "tensor", backend,
                    lambda: tensor_workloads.ours_tensor(clip, dev, s, inflight * args.calls, measure, counted,
                                                         chain, inflight))
        for pattern in ("direct", "p1", "p2"):
            attempt(f"dataloader_{pattern}", backend,
                    lambda: dataloader_workload.ours_dataloader(clip, dev, s, args.calls, measure, counted, pattern))
        # Only by name: pattern 2 with batches decoding ahead (dataloader_p2_depth2), clips of
        # several frames (dataloader_p1_T4, dataloader_direct_T4, dataloader_p2_depth2_T4).
        for w in sorted(wanted or ()):
            m = re.fullmatch(r"dataloader_(direct|p1|p2)(?:_depth(\d+))?(?:_T(\d+))?", w)
            if m and w not in ("dataloader_direct", "dataloader_p1", "dataloader_p2") and \
                    (m.group(2) is None or m.group(1) == "p2"):
                attempt(w, backend, lambda: dataloader_workload.ours_dataloader(
                    clip, dev, s, args.calls, measure, counted, m.group(1), depth=int(m.group(2) or 1),
                    clip_len=int(m.group(3) or 1)))
        for clip_len in (1, 4):
            for mib in ((1024, 4096, 16384) if backend == "nvdec" else (64, 256, 1024)):
                attempt(f"epoch_T{clip_len}_{mib}MiB", backend,
                        lambda: epoch_workload.ours_epoch(clip, dev, args.epoch_seconds, measure, counted, clip_len,
                                                          mib, scratch))
        # Only by name: groups decoding at once (EpochSampler's groups_in_flight, default 4) and
        # handed out ahead (groups_ahead): epoch_T1_4096MiB_ahead8, epoch_T1_4096MiB_inflight8,
        # epoch_T1_4096MiB_inflight8_ahead16.
        for w in sorted(wanted or ()):
            m = re.fullmatch(r"epoch_T(\d+)_(\d+)MiB(?:_inflight(\d+))?(?:_ahead(\d+))?", w)
            if m and (m.group(3) or m.group(4)):
                t, mib = int(m.group(1)), int(m.group(2))
                inflight = int(m.group(3) or 4)
                ahead = int(m.group(4)) if m.group(4) else None
                attempt(w, backend, lambda: epoch_workload.ours_epoch(clip, dev, args.epoch_seconds, measure, counted,
                                                                      t, mib, scratch, groups_ahead=ahead,
                                                                      groups_in_flight=inflight))
        attempt("multi4", backend, lambda: ours_random(clip, dev, s, args.calls, per_camera=4))
        attempt("sequential", backend, lambda: ours_sequential(clip, dev, s))
        # Decode-ahead's effect, same run: off on NVDEC (where it is the default), on for the CPU.
        if backend == "nvdec":
            attempt("sequential_no_ahead", backend,
                    lambda: ours_sequential(clip, dev, s, ahead=0, label="sequential_no_ahead"))
            # Decode-ahead budgets, only when asked for by name (sequential_ahead_<MiB>MiB):
            # the frontier of rate against the frames held ahead on long-GOP configs.
            for mib in sorted(int(w[len("sequential_ahead_"):-3]) for w in (wanted or ())
                              if re.fullmatch(r"sequential_ahead_\d+MiB", w)):
                label = f"sequential_ahead_{mib}MiB"
                attempt(label, backend, lambda: ours_sequential(clip, dev, s, ahead=mib, label=label))
        else:
            attempt("sequential_ahead", backend,
                    lambda: ours_sequential(clip, dev, s, ahead=256, label="sequential_ahead"))
        store = scratch / f"{name}_gops"
        attempt("bundle", backend, lambda: ours_bundle(clip, dev, s, args.calls, store))
        attempt("bundle_arrays", backend, lambda: ours_bundle(clip, dev, s, args.calls, store, arrays=True))
        if backend == "nvdec" and not args.no_peers:
            attempt("peer_pynvvideocodec", backend, lambda: peer_pynvvideocodec(clip, dev, s, args.calls))
            attempt("peer_pynvvideocodec_x4", backend,
                    lambda: peer_pynvvideocodec(clip, dev, s, 4 * args.calls, callers=4))
            attempt("peer_torchcodec_ffmpeg", backend, lambda: peer_torchcodec(clip, dev, s, args.calls, "ffmpeg"))
            attempt("peer_torchcodec_beta", backend, lambda: peer_torchcodec(clip, dev, s, args.calls, "beta"))
            attempt("peer_accvlab", backend, lambda: peer_accvlab(clip, dev, s, args.calls))
            attempt("peer_accvlab_x4", backend, lambda: peer_accvlab(clip, dev, s, 4 * args.calls, callers=4))
            attempt("peer_accvlab_multi4", backend, lambda: peer_accvlab_multi(clip, dev, s, args.calls))
            attempt("peer_accvlab_sequential", backend, lambda: peer_accvlab_sequential(clip, dev, s))
            attempt("peer_accvlab_bundle", backend,
                    lambda: peer_accvlab_bundle(clip, dev, s, args.calls, scratch / f"{name}_accvlab_gops"))
        if backend == "cpu" and not args.no_peers:
            attempt("peer_pyav", backend, lambda: peer_pyav(clip, s, args.calls))
    if not args.no_limit:
        apply_limits(result)
    return result


def apply_limits(result: dict) -> None:
    """Fractions of the limit. Bare cuvid underestimates what NVDEC can do: its streaming
    sessions never filled the engines (NVML ~65-70%) where overlapped random access reached
    ~95% (Note [The raw limit]). So each back end's limit is the highest decode rate seen on
    this config in this run: the bare-cuvid runs, or a workload of ours whose decoded pictures
    were counted (a lower bound on NVDEC's capacity either way). `set_by` says which."""
    for backend, lim in result["limit"].items():
        lim.setdefault("raw_pictures_per_s", lim["pictures_per_s"])
        best = max(lim["rows"], key=lambda x: x["pictures_per_s"])
        lim["set_by"] = f"{LIMIT_READERS} sample readers" if best.get("readers") else "the limit runs"
        for r in result["rows"]:
            if r["backend"] == backend and r["decoded_source"] == "counted":
                rate = r["frames_per_s"] * r["decoded_per_returned"]
                if rate > lim["pictures_per_s"]:
                    lim["pictures_per_s"], lim["set_by"] = rate, r["workload"]
    for r in result["rows"]:
        per = r["decoded_per_returned"] if r["decoded_per_returned"] is not None else r.get("decoded_model")
        lim = result["limit"].get(r["backend"], {}).get("pictures_per_s")
        r["limit_fraction"] = r["frames_per_s"] * per / lim if per and lim else None
    # A stream's pictures depend on each other, so one stream decodes on one engine at a time:
    # reading N cameras in order on one session each (no decode-ahead) can use at most N
    # sessions' worth of NVDEC, N times what one bare-cuvid session decodes alone (the
    # 1-thread, 1-session limit run). Decode-ahead lifts that bound (Note [Decode ahead]).
    one = [x for x in result["limit"].get("nvdec", {}).get("rows", []) if x["streams"] == 1 and not x["per_gop"]]
    for r in result["rows"]:
        if r["workload"] == "sequential_no_ahead" and r["backend"] == "nvdec" and one:
            streams_limit = len(result["paths"]) * one[0]["pictures_per_s"]
            r["streams_limit_fraction"] = r["frames_per_s"] / min(streams_limit, result["limit"]["nvdec"]["pictures_per_s"])


# --------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------

def fmt(v, spec=".1f", none="–"):
    return none if v is None else format(v, spec)


def markdown(out: dict) -> str:
    lines = [f"Machine: {out['machine']}; GPU: {out.get('gpu_name', 'n/a')}; "
             f"command: `{out['command']}`; {out['date']}", ""]
    cols = ("| workload | library | back end | frames/s | decoded/returned | p50 ms | p99 ms | NVML mean/max % "
            "| CPU ms/frame | peak GPU MiB | of limit |")
    for c in out["configs"]:
        lim = c["limit"]
        lim_text = ", ".join(f"{b}: {v['pictures_per_s']:.0f} pictures/s (set by {v['set_by']}; bare cuvid "
                             f"{v['raw_pictures_per_s']:.0f})" for b, v in lim.items())
        lines += [f"### {c['config']} ({c['distinct_cameras']} distinct camera files of {len(c['paths'])}; "
                  f"limit {lim_text})", ""]
        runs = lim.get("nvdec", {}).get("rows", [])
        if runs:
            lines += ["NVDEC limit runs (pictures/s, NVML mean): " + "; ".join(
                (f"{r['streams']} sample readers side by side" if r.get("readers") else
                 f"bare cuvid, {'GOP by GOP' if r['per_gop'] else 'whole files'} {r['streams']} sessions on "
                 f"{r['threads']} threads{', waiting ' + str(r['in_flight']) + ' behind' if r.get('in_flight') else ''}")
                + f": {r['pictures_per_s']:.0f} ({fmt(r['nvml_mean'])}%)" for r in runs), ""]
        lines += [cols, "|" + "---|" * 11]
        for r in c["rows"]:
            per = r["decoded_per_returned"]
            per_text = fmt(per, ".2f") if per is not None else fmt(r.get("decoded_model"), ".2f") + " (model)"
            nv = f"{fmt(r['nvml_mean'])} / {fmt(r['nvml_max'], 'd')}" if r["nvml_mean"] is not None else "–"
            frac = fmt(100 * r.get("limit_fraction"), ".0f") + "%" if r.get("limit_fraction") is not None else "–"
            extra = f" (first pass {r['first_pass_fps']:.0f})" if "first_pass_fps" in r else ""
            if "streams_limit_fraction" in r:
                extra += f" ({100 * r['streams_limit_fraction']:.0f}% of {len(c['paths'])} streams' limit)"
            if r.get("ahead_share"):
                extra += (f" ({100 * r['ahead_share']:.0f}% decoded ahead, at most "
                          f"{r['ahead_peak_mib_per_file']:.0f} MiB held per file)")
            lines.append(f"| {r['workload']} | {r['library']} | {r['backend']} | {r['frames_per_s']:.1f}{extra} | "
                         f"{per_text} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {nv} | {r['cpu_ms_per_frame']:.2f} | "
                         f"{fmt(r['peak_gpu_mib'], '.0f')} | {frac} |")
        for k, v in {**c["skipped"], **c["errors"]}.items():
            lines.append(f"| {k} | skipped or failed: {v} | | | | | | | | | |")
        lines.append("")
        epoch_lines = epoch_workload.summary(c)
        if epoch_lines:
            lines += [f"Shuffled epochs (EpochSampler, {epoch_workload.RECORDINGS} recordings of the cameras):",
                      *epoch_lines, ""]
        loader_lines = dataloader_workload.summary(c)
        if loader_lines:
            lines += ["PyTorch data path (clips of 1 frame x 6 cameras, 4 per batch, random order):", *loader_lines, ""]
        tensor_lines = tensor_workloads.summary(c)
        if tensor_lines:
            lines += ["Training batches (DecodeToTensor, (6, 3, 448, 800) float16 normalised):", *tensor_lines, ""]
    # The sweep at a glance: frames/s of each workload per config.
    names = []
    for c in out["configs"]:
        for r in c["rows"]:
            key = f"{r['workload']}/{r['backend']}"
            if key not in names:
                names.append(key)
    if len(out["configs"]) > 1:
        lines += ["### Sweep: frames/s (fraction of the limit)", "",
                  "| config | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
        for c in out["configs"]:
            by = {f"{r['workload']}/{r['backend']}": r for r in c["rows"]}
            cells = []
            for k in names:
                r = by.get(k)
                cells.append("–" if r is None else f"{r['frames_per_s']:.0f}" + (
                    f" ({100 * r.get('limit_fraction'):.0f}%)" if r.get("limit_fraction") is not None else ""))
            lines.append(f"| {c['config']} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def plot(out: dict, path: Path) -> str:
    """Two panels of grouped bars (PIL): frames/s (log scale) and fraction of the limit."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        return "no plot: Pillow is not installed here"
    import math
    configs = out["configs"]
    keys = []
    for c in configs:
        for r in c["rows"]:
            k = f"{r['workload']}/{r['backend']}"
            if k not in keys:
                keys.append(k)
    palette = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
               (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207), (90, 90, 200), (200, 90, 90),
               (90, 160, 160), (160, 160, 90)]
    group_w = max(120, 14 * len(keys) + 20)
    width, panel_h, left = 80 + group_w * len(configs) + 260, 360, 70
    img = Image.new("RGB", (width, 2 * panel_h + 60), "white")
    draw = ImageDraw.Draw(img)
    draw.text((left, 5), "frames/s (log scale) per config and workload", fill="black")
    draw.text((left, panel_h + 35), "decoded pictures/s as a fraction of the config's limit", fill="black")

    def bars(top, value_of, lo, hi, log, ticks):
        y0, y1 = top + panel_h - 30, top + 20
        for t in ticks:
            v = (math.log10(t) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) if log else (t - lo) / (hi - lo)
            y = y0 - v * (y0 - y1)
            draw.line((left, y, left + group_w * len(configs), y), fill=(225, 225, 225))
            draw.text((5, y - 6), f"{t:g}" if t < 1000 else f"{t / 1000:g}k", fill="black")
        for gi, c in enumerate(configs):
            by = {f"{r['workload']}/{r['backend']}": r for r in c["rows"]}
            x = left + gi * group_w + 10
            for ki, k in enumerate(keys):
                v = value_of(by.get(k))
                if v:
                    v = min(max(v, lo), hi)
                    f = (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) if log else (v - lo) / (hi - lo)
                    draw.rectangle((x + 14 * ki, y0 - f * (y0 - y1), x + 14 * ki + 11, y0), fill=palette[ki % len(palette)])
            draw.text((left + gi * group_w + 10, y0 + 5), c["config"], fill="black")

    bars(15, lambda r: r and r["frames_per_s"], 1, 30000, True, [1, 10, 100, 1000, 10000])
    bars(panel_h + 45, lambda r: r and r.get("limit_fraction"), 0, 1.2, False, [0, 0.25, 0.5, 0.75, 1.0])
    lx = left + group_w * len(configs) + 20
    for ki, k in enumerate(keys):
        draw.rectangle((lx, 30 + 16 * ki, lx + 11, 41 + 16 * ki), fill=palette[ki % len(palette)])
        draw.text((lx + 16, 30 + 16 * ki), k, fill="black")
    img.save(path)
    return f"plot: {path}"


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=Path, default=ROOT / ".carry" / "videos", help="ROOT/<config>/cam*.mp4")
    p.add_argument("--configs", default="all", help="all (every config folder present) or NAME,...")
    p.add_argument("--out", type=Path, default=Path("suite-out"))
    p.add_argument("--backends", default="auto", help="auto (nvdec if usable, and cpu) or a list")
    p.add_argument("--cameras", type=int, default=6)
    p.add_argument("--gpu", type=int, default=0)
    p.add_argument("--calls", type=int, default=150, help="calls per workload, at most (default 150)")
    p.add_argument("--seconds", type=float, default=2.0, help="time cap per NVDEC workload (default 2)")
    p.add_argument("--cpu-seconds", type=float, default=2.0, help="time cap per CPU workload (default 2)")
    p.add_argument("--limit-seconds", type=float, default=1.5)
    p.add_argument("--epoch-seconds", type=float, default=20.0,
                   help="time cap per epoch workload (a full epoch is 24 x 235 samples; default 20)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-peers", action="store_true")
    p.add_argument("--no-limit", action="store_true", help="skip the limit runs (and the fractions)")
    p.add_argument("--workloads", default="all",
                   help="all, or a list of: random,random_x4,tensor,tensor_torch,dataloader_direct,dataloader_p1,dataloader_p2,dataloader_p2_depth<k>,dataloader_<direct|p1|p2>_T<n> (only by name),epoch_T1_<MiB>MiB,epoch_T4_<MiB>MiB,epoch_T<n>_<MiB>MiB[_inflight<k>][_ahead<k>] (only by name),multi4,sequential,sequential_no_ahead,sequential_ahead,sequential_ahead_<MiB>MiB (NVDEC; only by name),bundle,bundle_arrays,peer_pynvvideocodec,"
                        "peer_pynvvideocodec_x4,peer_torchcodec_ffmpeg,peer_torchcodec_beta,peer_accvlab,peer_accvlab_x4,"
                        "peer_accvlab_multi4,peer_accvlab_sequential,peer_accvlab_bundle,peer_pyav")
    args = p.parse_args(argv)

    if args.configs == "all":
        names = [c.name for c in CONFIGS if (args.videos / c.name).is_dir()]
    else:
        names = args.configs.split(",")
        unknown = [n for n in names if n not in BY_NAME]
        if unknown:
            p.error(f"unknown configs {unknown}; known: {[c.name for c in CONFIGS]}")
    if not names:
        p.error(f"no config folders in {args.videos} (bench/make_videos.py --out {args.videos})")
    if args.backends == "auto":
        backends = (["nvdec"] if nvdec_unavailable_reason(args.gpu) is None else []) + ["cpu"]
    else:
        backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "nvdec" in backends and (why := nvdec_unavailable_reason(args.gpu)):
        p.error(f"NVDEC asked for but not usable: {why}")

    out = {"machine": machine(), "command": " ".join(["python3", "bench/suite.py", *(argv or sys.argv[1:])]),
           "date": time.strftime("%Y-%m-%d %H:%M:%S"), "backends": backends, "configs": []}
    if "nvdec" in backends:
        import torch
        out["gpu_name"] = torch.cuda.get_device_name(args.gpu)
        torch.zeros(1, device=f"cuda:{args.gpu}")  # the context exists before any memory baseline
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="odvd-suite-") as scratch:
        for name in names:
            out["configs"].append(run_config(name, args.videos / name, args, backends, Path(scratch)))
            (args.out / "suite.json").write_text(json.dumps(out, indent=1) + "\n")
    md = markdown(out)
    (args.out / "suite.md").write_text(md + "\n")
    print("\n" + md)
    print(plot(out, args.out / "suite.png"))
    failed = any(c["errors"] for c in out["configs"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
