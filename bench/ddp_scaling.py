#!/usr/bin/env python3
"""DDP scaling of the data path across the GPUs of one host (issue #22).

    python3 bench/ddp_scaling.py --videos .carry/videos/hevc_gop30_b0 --procs 1,2,all --out OUT

For each process count N it runs ``torchrun --standalone --nproc_per_node=N`` on this script
(``--rank-worker``): every rank decodes on its own GPU (cuda:LOCAL_RANK, ``default_gpu()``;
``--cpu`` for the CPU back end with gloo) from 24 recordings of the config's 6 cameras (the
epoch workload's symlinked recordings, so every rank has clips of its own), one frame per
camera per clip resized to 448x800 uint8, batches of 32 clips, through two workloads in turn:

  random  DistributedClipSampler (shuffled shard) + ClipBatchLoader(depth=4): uniform random
          access with batches decoding ahead (pattern 1 of the PyTorch data path)
  epoch   EpochSampler (this rank's GOP groups, 1 GiB shuffle buffer, 4 groups in flight)

Each rank counts frames for ``--seconds`` after a warm-up (all ranks start together: a
barrier), then rank 0 gathers every rank's frames, wall seconds and process CPU seconds.
While a run is timed the driver samples NVML's decoder utilisation of every GPU (10 Hz).
Per N and workload: aggregate frames/s (sum of ranks' frames over the longest rank's time),
per-rank frames/s, each GPU's mean NVDEC utilisation, host CPU ms per frame (all ranks'
processes) and the scaling efficiency, aggregate / (N x the N=1 rate). Writes
OUT/ddp_scaling.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BATCH = 32
SIZE = (448, 800)
WORKLOADS = ("random", "epoch")


# ------------------------------------------------------------------------------ one rank

def rank_worker(args: argparse.Namespace) -> int:
    import torch.distributed as dist

    sys.path.insert(0, str(HERE))
    from epoch_workload import recordings
    from suite import cpu_seconds
    from on_demand_video_decoder.torch import (ClipBatchLoader, ClipIndex, DistributedClipSampler, EpochSampler,
                                               MultiCameraClipDataset, default_gpu)

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    gpu = -1 if args.cpu else default_gpu()
    index = ClipIndex(recordings(camera_paths(args.videos), Path(args.scratch)), progress=False)
    results = {}
    for workload in args.workloads.split(","):
        ds = MultiCameraClipDataset(index, clip_len=1, iGpu=gpu, parallel_calls=5, size=SIZE)
        if workload == "random":
            sampler = DistributedClipSampler(ds, seed=1)
            order = list(sampler)
            batches = [order[i:i + BATCH] for i in range(0, len(order), BATCH)]
            ds.__getitems__(batches[0][:2])  # the decoder and its context exist

            def batches_of(batches=batches, ds=ds):
                return ClipBatchLoader(ds, batches[1:], depth=4)
        else:
            epoch = EpochSampler(ds, buffer_bytes=1 << 30, groups_in_flight=4, seed=1)
            ds.__getitems__([0])

            def batches_of(epoch=epoch):
                return epoch.batches(BATCH)
        dist.barrier()
        frames, cpu0, t0 = 0, cpu_seconds(), time.perf_counter()
        for batch in batches_of():
            frames += int(batch["frames"].shape[0] * batch["frames"].shape[1])
            if time.perf_counter() - t0 > args.seconds:
                break
        if gpu >= 0:
            import torch
            torch.cuda.synchronize(gpu)
        row = {"rank": rank, "gpu": gpu, "frames": frames, "seconds": time.perf_counter() - t0,
               "cpu_seconds": cpu_seconds() - cpu0}
        rows: list = [None] * world
        dist.all_gather_object(rows, row)
        results[workload] = rows
        dist.barrier()
        del ds
    if rank == 0:
        Path(args.result).write_text(json.dumps({"world": world, "results": results}))
    dist.destroy_process_group()
    return 0


def camera_paths(folder: str) -> list[str]:
    paths = sorted(str(p) for p in Path(folder).glob("*.mp4"))[:6]
    if not paths:
        raise SystemExit(f"ddp_scaling: no .mp4 files in {folder}")
    return paths


# ------------------------------------------------------------------------------ the driver

class DecoderUtilisation:
    """bench_nvdec's NvmlSampler on every GPU at once (none where NVML cannot be loaded)."""

    def __init__(self, gpus: int):
        from bench_nvdec import NvmlSampler
        self.samplers = {g: NvmlSampler(g, period_s=0.1) for g in range(gpus)}

    def __enter__(self):
        for s in self.samplers.values():
            s.start()
        return self

    def __exit__(self, *exc):
        self.results = {g: s.stop() for g, s in self.samplers.items()}

    def means(self) -> dict[int, float]:
        return {g: r["mean_percent"] for g, r in self.results.items() if r.get("available")}


def gpu_count() -> int:
    import on_demand_video_decoder as nvc
    return nvc.cuda_device_count()


def run_n(n: int, args: argparse.Namespace, scratch: Path) -> dict:
    result = scratch / f"ranks_{n}.json"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n}", __file__,
           "--rank-worker", "--videos", args.videos, "--seconds", str(args.seconds), "--workloads", args.workloads,
           "--scratch", str(scratch), "--result", str(result)] + (["--cpu"] if args.cpu else [])
    with DecoderUtilisation(0 if args.cpu else gpu_count()) as nvml:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    if done.returncode != 0:
        raise RuntimeError(f"torchrun with {n} processes failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    out = json.loads(result.read_text())
    out["nvml_decoder_mean"] = nvml.means()  # the whole run (warm-ups included): a lower bound
    return out


def summarise(runs: dict[int, dict]) -> dict:
    table = {}
    for workload in WORKLOADS:
        rows = []
        base = None
        for n, run in sorted(runs.items()):
            ranks = run["results"].get(workload)
            if not ranks:
                continue
            frames = sum(r["frames"] for r in ranks)
            seconds = max(r["seconds"] for r in ranks)
            rate = frames / seconds
            base = rate if n == 1 else base
            rows.append({"procs": n, "frames_per_s": rate,
                         "per_rank": [r["frames"] / r["seconds"] for r in ranks],
                         "cpu_ms_per_frame": 1000 * sum(r["cpu_seconds"] for r in ranks) / max(frames, 1),
                         "nvml_decoder_mean": run.get("nvml_decoder_mean", {}),
                         "efficiency": rate / (n * base) if base else None})
        table[workload] = rows
    return table


def markdown(table: dict, args: argparse.Namespace, device: str) -> str:
    lines = [f"DDP scaling on {device}: `{' '.join(sys.argv)}`", ""]
    for workload, rows in table.items():
        if not rows:  # not run (--workloads)
            continue
        lines += [f"**{workload}**", "", "| processes | frames/s | per rank | efficiency | NVDEC % per GPU | CPU ms/frame |",
                  "|---|---|---|---|---|---|"]
        for r in rows:
            per = ", ".join(f"{x:.0f}" for x in r["per_rank"])
            nv = ", ".join(f"{k}: {v:.0f}" for k, v in sorted(r["nvml_decoder_mean"].items())) or "–"
            eff = f"{r['efficiency']:.2f}" if r["efficiency"] is not None else "–"
            lines.append(f"| {r['procs']} | {r['frames_per_s']:.0f} | {per} | {eff} | {nv} | {r['cpu_ms_per_frame']:.2f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", required=True, help="a config's folder of 6 camera .mp4 files")
    p.add_argument("--procs", default="1,2,all", help="process counts (all: one per GPU)")
    p.add_argument("--seconds", type=float, default=15.0, help="timed seconds per workload and run")
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--cpu", action="store_true", help="the CPU back end (gloo; for a check without GPUs)")
    p.add_argument("--out", default="ddp_scaling_out")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--rank-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--scratch", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rank_worker:
        return rank_worker(args)
    gpus = gpu_count()
    if not args.cpu and gpus == 0:
        print("ddp_scaling: no CUDA device here (pass --cpu for the CPU back end)", file=sys.stderr)
        return 2
    top = gpus if not args.cpu else 2
    counts = sorted({top if c == "all" else int(c) for c in args.procs.split(",")})
    counts = [c for c in counts if c <= top or args.cpu]
    if 1 not in counts:
        counts = [1] + counts  # the efficiency's base
    scratch = Path(tempfile.mkdtemp(prefix="odvd-ddp-"))
    sys.path.insert(0, str(HERE))
    from epoch_workload import recordings
    recordings(camera_paths(args.videos), scratch)  # made once here, not raced by the ranks
    runs = {}
    for n in counts:
        print(f"ddp_scaling: {n} process(es) ...", flush=True)
        runs[n] = run_n(n, args, scratch)
    table = summarise(runs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = "the CPU back end" if args.cpu else f"{gpus} GPU(s)"
    (out / "ddp_scaling.json").write_text(json.dumps({"device": device, "runs": runs, "table": table}, indent=1))
    md = markdown(table, args, device)
    (out / "ddp_scaling.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
