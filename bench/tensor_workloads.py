"""The training-batch workloads of bench/suite.py (issue #19).

  tensor        random access, `inflight` calls in flight (4 on NVDEC, 1 on the CPU), each
                producing one (6, 3, 448, 800) float16 batch normalised with ImageNet's
                mean/std by DecodeToTensor (crop -> resize -> normalise -> cast fused)
  tensor_torch  the same frames through DecodeN12ToRGB and the chain users write today:
                torch.from_dlpack each frame, stack, permute to NCHW, float(), interpolate
                (bilinear, antialias), subtract the mean, divide by the std, half()

Both calls hand back a finished batch (the torch chain synchronises its stream), run with
the same calls, overlap and decoder as random / random_x4, and add to their rows:
  kernel_us_per_frame   GPU kernel time per returned frame (torch.profiler / CUPTI, every
                        kernel of the process during 8 calls: ours, torch's, the RGB kernel)
  traffic_mb_per_frame  GPU memory traffic per frame, estimated from the sizes each step reads
                        and writes (source NV12 read once; see traffic_estimate)
plus the peak GPU memory every suite row has. summary() gives the ratios the issue sets
goals for: frames/s against DecodeN12ToRGB at the same overlap (>= 0.97), kernel time
against the torch chain (<= 1/3), peak memory (below the chain's).
"""

from __future__ import annotations

import on_demand_video_decoder as nvc
from overlap import TimedDecoder, run_in_flight

SIZE = (448, 800)
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
PROFILED_CALLS = 8


class FusedCaller(TimedDecoder):
    """What the Prefetcher calls (its DecodeN12ToRGB) makes the fused batch; records call times."""

    def __init__(self, decoder):
        super().__init__(decoder, self._entries)
        self.paths: list[str] = []

    def batch(self, paths, ids):
        return self.decoder.DecodeToTensor(list(paths), list(ids), size=SIZE, dtype="float16", mean=MEAN, std=STD)

    def _entries(self, paths, ids, as_bgr=False):
        out = self.batch(paths, ids)
        return [out] * len(ids)  # the Prefetcher's caller counts entries


class TorchChainCaller(FusedCaller):
    """DecodeN12ToRGB, then the torch chain on the frames' device."""

    def __init__(self, decoder, gpu: int):
        super().__init__(decoder)
        import torch
        self.torch = torch
        self.device = torch.device(f"cuda:{gpu}" if gpu >= 0 else "cpu")
        self.mean = torch.tensor([255 * m for m in MEAN], device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor([255 * s for s in STD], device=self.device).view(1, 3, 1, 1)

    def batch(self, paths, ids):
        torch = self.torch
        frames = self.decoder.DecodeN12ToRGB(list(paths), list(ids))
        x = torch.stack([torch.from_dlpack(f) for f in frames])          # (N, H, W, 3) uint8
        x = x.permute(0, 3, 1, 2).float()                                 # NCHW float32
        x = torch.nn.functional.interpolate(x, size=SIZE, mode="bilinear", antialias=True, align_corners=False)
        x = x.sub_(self.mean).div_(self.std).half()
        if self.device.type == "cuda":
            torch.cuda.current_stream(self.device).synchronize()
        return x


def traffic_estimate(fused: bool, width: int, height: int) -> float:
    """MB of GPU memory read + written per frame (each step's inputs and outputs once)."""
    src = 1.5 * width * height                       # NV12 read
    out_px = SIZE[0] * SIZE[1] * 3
    if fused:
        return (src + 2 * out_px) / 1e6              # NV12 in, float16 batch out
    rgb = 3 * width * height
    steps = [src + rgb,                              # YUV -> RGB uint8 (RGBFrame)
             rgb + rgb,                              # stack
             rgb + 4 * rgb,                          # permute + float()
             4 * rgb + 4 * out_px,                   # interpolate
             4 * out_px + 4 * out_px,                # sub_
             4 * out_px + 4 * out_px,                # div_
             4 * out_px + 2 * out_px]                # half()
    return sum(steps) / 1e6


def kernel_time(caller, calls, entries: int) -> tuple[float | None, list[str]]:
    """GPU kernel microseconds per returned frame over PROFILED_CALLS calls, and the kernels' names."""
    try:
        import torch
        from torch.profiler import ProfilerActivity, profile
    except ImportError:
        return None, []
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for ids in calls[:PROFILED_CALLS]:
            caller.batch(caller.paths, ids)
        torch.cuda.synchronize()
    total = 0.0
    names = {}
    for e in prof.events():
        if e.device_type == torch.autograd.DeviceType.CUDA and not e.name.lower().startswith(("memcpy", "memset")):
            total += e.device_time
            names[e.name.split("(")[0][:60]] = names.get(e.name.split("(")[0][:60], 0.0) + e.device_time
    top = sorted(names.items(), key=lambda kv: -kv[1])[:6]
    frames = entries * min(len(calls), PROFILED_CALLS)
    return total / frames, [f"{n}: {t / frames:.1f} us" for n, t in top]


def ours_tensor(clip, gpu: int, seconds: float, calls: int, measure, counted, torch_chain: bool,
                inflight: int) -> dict | str:
    """The tensor / tensor_torch workloads (suite.measure rows)."""
    if torch_chain:
        try:
            import torch  # noqa: F401
        except ImportError:
            return "PyTorch is not installed (the torch chain needs it)"
    ids = clip.random_calls(calls)
    warm = clip.random_calls(4 * inflight, salt=1)
    n = len(clip.paths)
    info = nvc._odvd.GetIndexInfo(clip.paths[0])["stream"]
    name = "tensor_torch" if torch_chain else "tensor"

    def make():
        decoder = nvc.PyNvGopDecoder(n, gpu, True, parallel_calls=inflight)
        caller = TorchChainCaller(decoder, gpu) if torch_chain else FusedCaller(decoder)
        caller.paths = clip.paths
        return caller

    def warm_up(c):
        run_in_flight(c, clip.paths, warm, inflight)
        note = {"traffic_mb_per_frame": traffic_estimate(not torch_chain, info.width, info.height),
                "overlap": inflight}
        if gpu >= 0:
            us, kernels = kernel_time(c, ids, n)
            note.update(kernel_us_per_frame=us, kernels=kernels)
        c.seconds.clear()
        return note

    def run(c, deadline):
        return run_in_flight(c, clip.paths, ids, inflight, deadline), list(c.seconds)

    return measure(name, gpu, make, run, warm=warm_up, decoded=lambda c: counted(c.decoder), seconds=seconds)


def summary(config: dict) -> list[str]:
    """Markdown lines: the fused workload against plain RGB and against the torch chain."""
    lines = []
    for backend in ("nvdec", "cpu"):
        rows = {r["workload"]: r for r in config["rows"] if r["backend"] == backend}
        fused, chain = rows.get("tensor"), rows.get("tensor_torch")
        plain = rows.get("random_x4" if backend == "nvdec" else "random")
        if fused is None:
            continue
        parts = [f"{backend}: tensor {fused['frames_per_s']:.1f} frames/s"]
        if plain:
            parts.append(f"{fused['frames_per_s'] / plain['frames_per_s']:.3f}x of {plain['workload']} "
                         f"(DecodeN12ToRGB, same overlap; goal >= 0.97)")
        if chain:
            parts.append(f"{fused['frames_per_s'] / chain['frames_per_s']:.2f}x the torch chain's frames/s")
            if fused.get("kernel_us_per_frame") and chain.get("kernel_us_per_frame"):
                parts.append(f"kernel time {fused['kernel_us_per_frame']:.1f} vs {chain['kernel_us_per_frame']:.1f} "
                             f"us/frame ({fused['kernel_us_per_frame'] / chain['kernel_us_per_frame']:.3f}x; "
                             f"goal <= 0.333)")
            parts.append(f"traffic {fused['traffic_mb_per_frame']:.1f} vs {chain['traffic_mb_per_frame']:.1f} MB/frame")
            if fused.get("peak_gpu_mib") is not None and chain.get("peak_gpu_mib") is not None:
                parts.append(f"peak GPU memory {fused['peak_gpu_mib']:.0f} vs {chain['peak_gpu_mib']:.0f} MiB")
        lines.append("- " + "; ".join(parts))
        for r in (fused, chain):
            if r and r.get("kernels"):
                lines.append(f"  - {r['workload']} kernels per frame: " + ", ".join(r["kernels"]))
    return lines
