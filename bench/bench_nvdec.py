#!/usr/bin/env python3
"""Random access on 6 cameras: NVDEC back end vs CPU back end, same frames, same run.

Videos: the 6 cameras made by tools/device/prepare.sh in .carry/videos/hevc_gop30_b0 (1600x900 HEVC,
GOP 30, no B-frames, 235 frames each), or --videos DIR (every *.mp4, sorted, up to
--cameras). Workload: each call asks for one uniformly random frame of every camera
(one entry per file) with DecodeN12ToRGB; the ids come from one seeded sequence that
both back ends share (the CPU back end runs only the first --cpu-calls calls of it,
since it is slower). Warm-up calls (another seeded sequence) are not timed.

NVDEC frames are RGBFrame objects in GPU memory; the library synchronises before it
returns, and every --sanity-every calls (outside the timed region) the first frame is
read through torch (torch.as_tensor(frame, device="cuda")) and summed, to show the
results are complete. While NVDEC runs, a background thread samples the decoder
utilisation from NVML (ctypes, libnvidia-ml.so.1) every ~50 ms. After both runs the
frames of one call are compared between the back ends (max/mean |RGB difference|).

"Decode work" is a model, not a measurement: a frame f of a GOP starting at key frame
k costs f - k + 1 decoded pictures (no B-frames, no sharing between calls), so
decode work / returned frame shows how much of NVDEC's aggregate rate random access
can turn into returned frames.

Prints a Markdown table and writes JSON (--json). Usage:
    python3 bench/bench_nvdec.py [--calls 200] [--cpu-calls 50] [--backends auto|nvdec,cpu|cpu]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

import on_demand_video_decoder as nvc

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VIDEOS = ROOT / ".carry" / "videos" / "hevc_gop30_b0"


# --------------------------------------------------------------------------------------
# NVML (decoder utilisation) and cuvid (number of NVDEC engines), through ctypes
# --------------------------------------------------------------------------------------

class NvmlSampler:
    """Samples nvmlDeviceGetDecoderUtilization every `period_s` on a background thread
    between start() and stop(). `error` says why nothing was sampled, if so."""

    def __init__(self, gpu: int, period_s: float = 0.05):
        self.period_s = period_s
        self.samples: list[int] = []
        self.sampling_period_us = None
        self.error = None
        self._stop = threading.Event()
        self._thread = None
        try:
            self._nvml = ctypes.CDLL("libnvidia-ml.so.1")
            self._check(self._nvml.nvmlInit_v2(), "nvmlInit_v2")
            self._handle = ctypes.c_void_p()
            self._check(self._nvml.nvmlDeviceGetHandleByIndex_v2(gpu, ctypes.byref(self._handle)),
                        "nvmlDeviceGetHandleByIndex_v2")
            self._read()  # fails here, not on the thread, if the query is unsupported
        except (OSError, RuntimeError) as e:
            self.error = str(e)

    @staticmethod
    def _check(rc: int, what: str) -> None:
        if rc != 0:
            raise RuntimeError(f"{what} returned NVML error {rc}")

    def _read(self) -> int:
        util, period = ctypes.c_uint(), ctypes.c_uint()
        self._check(self._nvml.nvmlDeviceGetDecoderUtilization(
            self._handle, ctypes.byref(util), ctypes.byref(period)), "nvmlDeviceGetDecoderUtilization")
        self.sampling_period_us = period.value
        return util.value

    def _loop(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.samples.append(self._read())
            except RuntimeError as e:
                self.error = str(e)
                return

    def start(self) -> None:
        if self.error is None:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def stop(self) -> dict:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
        if not self.samples:
            return {"available": False, "error": self.error or "no samples"}
        return {"available": True, "samples": len(self.samples), "period_ms": 1e3 * self.period_s,
                "nvml_sampling_period_us": self.sampling_period_us,
                "mean_percent": statistics.fmean(self.samples), "max_percent": max(self.samples),
                "error": self.error}


class _DecodeCaps(ctypes.Structure):
    """CUVIDDECODECAPS (ffnvcodec's dynlink_cuviddec.h)."""
    _fields_ = [("eCodecType", ctypes.c_int), ("eChromaFormat", ctypes.c_int),
                ("nBitDepthMinus8", ctypes.c_uint), ("reserved1", ctypes.c_uint * 3),
                ("bIsSupported", ctypes.c_ubyte), ("nNumNVDECs", ctypes.c_ubyte),
                ("nOutputFormatMask", ctypes.c_ushort), ("nMaxWidth", ctypes.c_uint),
                ("nMaxHeight", ctypes.c_uint), ("nMaxMBCount", ctypes.c_uint),
                ("nMinWidth", ctypes.c_ushort), ("nMinHeight", ctypes.c_ushort),
                ("bIsHistogramSupported", ctypes.c_ubyte), ("nCounterBitDepth", ctypes.c_ubyte),
                ("nMaxHistogramBins", ctypes.c_ushort), ("reserved3", ctypes.c_uint * 10)]


CUVID_CODECS = {"h264": 4, "hevc": 8, "vp9": 10, "av1": 11}


def nvdec_engines(gpu: int, codec: str, bit_depth: int) -> dict:
    """cuvidGetDecoderCaps for 4:2:0 `codec` at `bit_depth`, on the device's primary
    context; {"error": ...} when the driver libraries or the query are unavailable."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
        cuvid = ctypes.CDLL("libnvcuvid.so.1")
        dev, ctx = ctypes.c_int(), ctypes.c_void_p()
        for rc, what in ((cuda.cuInit(0), "cuInit"),
                         (cuda.cuDeviceGet(ctypes.byref(dev), gpu), "cuDeviceGet"),
                         (cuda.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev), "cuDevicePrimaryCtxRetain")):
            if rc != 0:
                return {"error": f"{what} returned CUDA error {rc}"}
        caps = _DecodeCaps(eCodecType=CUVID_CODECS[codec], eChromaFormat=1, nBitDepthMinus8=bit_depth - 8)
        cuda.cuCtxPushCurrent_v2(ctx)
        try:
            rc = cuvid.cuvidGetDecoderCaps(ctypes.byref(caps))
        finally:
            cuda.cuCtxPopCurrent_v2(ctypes.byref(ctypes.c_void_p()))
            cuda.cuDevicePrimaryCtxRelease_v2(dev)
        if rc != 0:
            return {"error": f"cuvidGetDecoderCaps returned {rc}"}
        return {"codec": codec, "bit_depth": bit_depth, "supported": bool(caps.bIsSupported),
                "engines": caps.nNumNVDECs, "max_size": f"{caps.nMaxWidth}x{caps.nMaxHeight}"}
    except (OSError, AttributeError, KeyError) as e:
        return {"error": str(e)}


# --------------------------------------------------------------------------------------
# Workload
# --------------------------------------------------------------------------------------

def find_videos(folder: Path, cameras: int) -> list[str]:
    paths = sorted(str(p) for p in folder.glob("*.mp4"))[:cameras]
    if not paths:
        sys.exit(f"bench_nvdec: no *.mp4 in {folder} (make them with bash tools/device/prepare.sh)")
    return paths


def index_infos(paths: list[str]) -> list[dict]:
    return [nvc._odvd.GetIndexInfo(p) for p in paths]


def random_calls(frame_counts: list[int], calls: int, seed: int) -> list[list[int]]:
    """`calls` lists of one uniform random frame id per file."""
    rng = random.Random(seed)
    return [[rng.randrange(n) for n in frame_counts] for _ in range(calls)]


def decode_work(call: list[int], key_frames: list[list[int]], files: list[int] | None = None) -> int:
    """Pictures decoded for one call under the model: key frame .. the furthest target, once
    per (file, GOP) — entries of one file and GOP share the decode. `files[i]`: the file of
    entry i (default: every entry its own file)."""
    deepest: dict = {}
    for i, (fid, keys) in enumerate(zip(call, key_frames)):
        key = max(k for k in keys if k <= fid)
        group = (files[i] if files else i, key)
        deepest[group] = max(deepest.get(group, 0), fid - key + 1)
    return sum(deepest.values())


# --------------------------------------------------------------------------------------
# Running one back end
# --------------------------------------------------------------------------------------

def gpu_tensor(frame):
    """A GPU RGBFrame as a torch tensor (CUDA array interface, else DLPack), no copy."""
    import torch
    try:
        return torch.as_tensor(frame, device="cuda")
    except (TypeError, RuntimeError, ValueError):
        return torch.from_dlpack(frame)


def gpu_sanity(frame) -> int:
    """Reads a GPU RGBFrame through torch and returns the sum of its bytes."""
    import torch
    t = gpu_tensor(frame)
    if not t.is_cuda or t.dim() != 3 or t.shape[2] != 3 or t.dtype != torch.uint8:
        raise RuntimeError(f"unexpected GPU frame: {t.device} {tuple(t.shape)} {t.dtype}")
    total = int(t.sum(dtype=torch.int64))
    torch.cuda.synchronize()
    return total


def time_calls(decoder, paths: list[str], calls: list[list[int]], sanity_every: int = 0) -> tuple[list[float], list[int]]:
    """Seconds per DecodeN12ToRGB call; byte sums of the sanity-checked GPU frames."""
    seconds, sums = [], []
    for i, ids in enumerate(calls):
        start = time.perf_counter()
        frames = decoder.DecodeN12ToRGB(paths, ids)
        seconds.append(time.perf_counter() - start)
        if len(frames) != len(paths):
            raise RuntimeError(f"call {i}: {len(frames)} frames for {len(paths)} entries")
        if sanity_every and i % sanity_every == 0:
            sums.append(gpu_sanity(frames[0]))
        del frames
    return seconds, sums


def summarise(seconds: list[float], calls: list[list[int]], key_frames: list[list[int]],
              files: list[int] | None = None) -> dict:
    ordered = sorted(seconds)
    returned = sum(len(c) for c in calls)
    work = sum(decode_work(c, key_frames, files) for c in calls)
    total = sum(seconds)
    return {
        "calls": len(seconds), "frames_returned": returned, "seconds": total,
        "frames_per_s": returned / total, "calls_per_s": len(seconds) / total,
        "median_ms_per_call": 1e3 * statistics.median(seconds),
        "p90_ms_per_call": 1e3 * ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "mean_ms_per_call": 1e3 * total / len(seconds),
        "model_decoded_per_returned": work / returned,
        "model_decoded_frames_per_s": work / total,
    }


def run_nvdec(args, paths, warmup, calls, key_frames) -> tuple[dict, object]:
    decoder = nvc.PyNvGopDecoder(maxfiles=len(paths), iGpu=args.gpu, suppressNoColorRangeWarning=True)
    time_calls(decoder, paths, warmup)
    sampler = NvmlSampler(args.gpu, args.nvml_period_ms / 1e3)
    sampler.start()
    try:
        seconds, sums = time_calls(decoder, paths, calls, args.sanity_every)
    finally:
        nvml = sampler.stop()
    result = summarise(seconds, calls, key_frames, args.entry_files)
    result["nvml_decoder_utilisation"] = nvml
    result["sanity_sums"] = {"checked": len(sums), "all_nonzero": all(s > 0 for s in sums),
                             "first": sums[:3]}
    if not result["sanity_sums"]["all_nonzero"]:
        raise RuntimeError(f"a sanity-checked GPU frame is all zeros: {sums}")
    return result, decoder


def run_cpu(args, paths, warmup, calls, key_frames) -> tuple[dict, object]:
    decoder = nvc.PyNvGopDecoder(maxfiles=len(paths), iGpu=-1, suppressNoColorRangeWarning=True)
    time_calls(decoder, paths, warmup[: args.cpu_warmup])
    seconds, _ = time_calls(decoder, paths, calls)
    return summarise(seconds, calls, key_frames, args.entry_files), decoder


def compare_frames(gpu_decoder, cpu_decoder, paths: list[str], ids: list[int]) -> dict:
    """max / mean |RGB difference| between the back ends' frames of one call."""
    g = gpu_decoder.DecodeN12ToRGB(paths, ids)
    c = cpu_decoder.DecodeN12ToRGB(paths, ids)
    diffs = []
    for gf, cf in zip(g, c):
        a = gpu_tensor(gf).cpu().numpy().astype(np.int16)
        diffs.append(np.abs(a - np.asarray(cf).astype(np.int16)))
    return {"frames": len(diffs), "max_abs_diff": int(max(d.max() for d in diffs)),
            "mean_abs_diff": float(np.mean([d.mean() for d in diffs]))}


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------

def nvdec_unavailable_reason(gpu: int):
    """Why NVDEC cannot run here (None when it may)."""
    if gpu < 0:
        return f"--gpu {gpu}"
    try:
        import torch
    except ImportError:
        return "torch is not installed (needed to check the GPU frames)"
    if not torch.cuda.is_available():
        return "no CUDA device"
    return None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS, help="folder of *.mp4 (default .carry/videos/hevc_gop30_b0)")
    p.add_argument("--cameras", type=int, default=6, help="files per call (default 6)")
    p.add_argument("--frames-per-camera", type=int, default=1,
                   help="random frames per camera per call (multi-frame samples, e.g. 4); default 1")
    p.add_argument("--calls", type=int, default=200, help="timed NVDEC calls (default 200)")
    p.add_argument("--warmup", type=int, default=10, help="untimed warm-up calls (default 10)")
    p.add_argument("--cpu-calls", type=int, default=50, help="timed CPU calls: the first N of the same sequence")
    p.add_argument("--cpu-warmup", type=int, default=3, help="untimed CPU warm-up calls (default 3)")
    p.add_argument("--backends", default="auto",
                   help="auto (NVDEC if a GPU is usable, and CPU), or a list: nvdec,cpu / nvdec / cpu")
    p.add_argument("--gpu", type=int, default=0, help="iGpu of the NVDEC decoder (default 0)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sanity-every", type=int, default=20, help="read the first GPU frame every N calls")
    p.add_argument("--nvml-period-ms", type=float, default=50.0)
    p.add_argument("--json", type=Path, help="write the results here")
    return p.parse_args(argv)


def machine() -> str:
    return f"{platform.node()}: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"


def print_table(out: dict) -> None:
    w = out["workload"]
    print(f"\nvideos: {w['cameras']} x {w['video']}; {w['frames_per_camera']} random frame(s) per camera per "
          f"call; seed {w['seed']}; machine {out['machine']}")
    print("| back end | calls | frames/s | median ms/call | p90 ms/call | decode work/frame (model) | model decoded frames/s |")
    print("|---|---|---|---|---|---|---|")
    for name, r in out["backends"].items():
        print(f"| {name} | {r['calls']} | {r['frames_per_s']:.1f} | {r['median_ms_per_call']:.2f} | "
              f"{r['p90_ms_per_call']:.2f} | {r['model_decoded_per_returned']:.2f} | {r['model_decoded_frames_per_s']:.0f} |")
    for name, reason in out["skipped"].items():
        print(f"| {name} | skipped: {reason} | | | | | |")
    for key, value in out.get("ratios", {}).items():
        print(f"{key}: {value:.2f}x")
    nvml = out["backends"].get("nvdec", {}).get("nvml_decoder_utilisation")
    if nvml:
        print("NVDEC utilisation (NVML): " + (
            f"mean {nvml['mean_percent']:.1f}%, max {nvml['max_percent']}% over {nvml['samples']} samples"
            if nvml["available"] else f"unavailable ({nvml['error']})"))
    if "nvdec_engines" in out:
        print(f"NVDEC engines: {out['nvdec_engines']}")
    if "frame_check" in out:
        print(f"NVDEC vs CPU frames: {out['frame_check']}")


def main(argv=None) -> int:
    args = parse_args(argv)
    cameras = find_videos(args.videos, args.cameras)
    k = max(1, args.frames_per_camera)
    # Entries: k per camera, camera by camera (a multi-frame sample when k > 1).
    paths = [p for p in cameras for _ in range(k)]
    args.entry_files = [c for c in range(len(cameras)) for _ in range(k)]
    infos = [info for info in index_infos(cameras) for _ in range(k)]
    counts = [i["frame_count"] for i in infos]
    key_frames = [i["key_frame_ids"] for i in infos]
    warmup = random_calls(counts, args.warmup, args.seed + 1000)
    calls = random_calls(counts, args.calls, args.seed)
    s = infos[0]["stream"]
    out = {
        "benchmark": f"random access, {k} random frame(s) per camera per call, DecodeN12ToRGB",
        "machine": machine(),
        "workload": {"files": len(paths), "cameras": len(cameras), "frames_per_camera": k, "paths": cameras,
                     "frame_counts": counts, "seed": args.seed,
                     "video": f"{s.width}x{s.height} {infos[0]['codec']} {infos[0]['bit_depth']}-bit, "
                              f"GOP lengths {sorted(set(infos[0]['gop_lengths']))}",
                     "warmup_calls": args.warmup},
        "backends": {}, "skipped": {}, "errors": {},
    }
    explicit = args.backends != "auto"
    wanted = ["nvdec", "cpu"] if not explicit else [b.strip() for b in args.backends.split(",") if b.strip()]
    failed = False

    decoders = {}
    if "nvdec" in wanted:
        reason = nvdec_unavailable_reason(args.gpu)
        if reason:
            out["skipped"]["nvdec"] = reason
            print(f"bench_nvdec: NVDEC skipped: {reason}")
            failed |= explicit
        else:
            out["nvdec_engines"] = nvdec_engines(args.gpu, infos[0]["codec"], infos[0]["bit_depth"])
            try:
                out["backends"]["nvdec"], decoders["nvdec"] = run_nvdec(args, paths, warmup, calls, key_frames)
            except Exception as e:  # noqa: BLE001  (report it, carry on with the CPU)
                out["errors"]["nvdec"] = f"{type(e).__name__}: {e}"
                print(f"bench_nvdec: NVDEC failed: {out['errors']['nvdec']}")
                failed = True
    if "cpu" in wanted:
        cpu_calls = calls[: args.cpu_calls]
        try:
            out["backends"]["cpu"], decoders["cpu"] = run_cpu(args, paths, warmup, cpu_calls, key_frames)
        except Exception as e:  # noqa: BLE001
            out["errors"]["cpu"] = f"{type(e).__name__}: {e}"
            print(f"bench_nvdec: CPU failed: {out['errors']['cpu']}")
            failed = True

    if "nvdec" in out["backends"] and "cpu" in out["backends"]:
        g, c = out["backends"]["nvdec"], out["backends"]["cpu"]
        out["ratios"] = {"nvdec_vs_cpu_frames_per_s": g["frames_per_s"] / c["frames_per_s"],
                         "nvdec_vs_cpu_median_latency (cpu/nvdec)": c["median_ms_per_call"] / g["median_ms_per_call"]}
        try:
            out["frame_check"] = compare_frames(decoders["nvdec"], decoders["cpu"], paths, calls[0])
        except Exception as e:  # noqa: BLE001
            out["errors"]["frame_check"] = f"{type(e).__name__}: {e}"
            failed = True

    print_table(out)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 1 if failed or not out["backends"] else 0


if __name__ == "__main__":
    sys.exit(main())
