#!/usr/bin/env python3
"""Train a tiny model on the demo's 6-camera sample with DistributedDataParallel.

One process per GPU (or CPU processes with gloo), decoding on cuda:LOCAL_RANK (NVDEC) or, on
machines without a GPU, on the CPU back end:

    python3 examples/train_ddp.py --epochs 2                           # one process
    torchrun --standalone --nproc_per_node=2 examples/train_ddp.py     # 2 processes here
    torchrun --nnodes=2 --node_rank=0 --master_addr=HOST --master_port=29500 \\
             --nproc_per_node=8 examples/train_ddp.py                 # 2 machines (run on each, rank 0/1)

The sample (``tools/demo.sh`` makes it; ``--sample DIR`` points elsewhere) is one recording of
six cameras; the model regresses each clip's mean brightness. Each rank prints the clips it
saw per epoch (``rank R/W epoch E clips [...]``), so the shards can be checked.
``--pattern 1`` decodes in the main process with batches decoding ahead (ClipBatchLoader);
``--pattern 2`` demuxes GOP bundles in DataLoader workers (``--workers``, spawn) and decodes
in the main process.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Dict, Iterable, List

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import BatchSampler, DataLoader, Subset

import on_demand_video_decoder as nvc
from on_demand_video_decoder import _sample
from on_demand_video_decoder.torch import (ClipBatchLoader, ClipIndex, DistributedClipSampler, GopBatchDecoder,
                                           GopClipDataset, MultiCameraClipDataset, default_gpu)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sample", default=None, help="the demo sample's folder (default: generated in the user cache)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--clip-len", type=int, default=2)
    p.add_argument("--max-clips", type=int, default=0, help="use the first N clips only (0: all)")
    p.add_argument("--size", type=int, nargs=2, default=(72, 128), metavar=("H", "W"))
    p.add_argument("--pattern", type=int, choices=(1, 2), default=1)
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers (pattern 2)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


class TinyModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(8, 1)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:  # (B, cams, T, 3, H, W) float
        b = clips.shape[0]
        x = self.features(clips.flatten(0, 2)).flatten(1)       # (B * cams * T, 8)
        out: torch.Tensor = self.head(x).view(b, -1).mean(dim=1)
        return out


def batches(args: argparse.Namespace, index: ClipIndex, gpu: int, sampler: DistributedClipSampler,
            clips: Iterable[int]) -> Iterable[Dict[str, Any]]:
    tensor: Dict[str, Any] = {"size": tuple(args.size), "dtype": "float32"}
    chosen = list(clips)
    if args.pattern == 1:
        dataset = MultiCameraClipDataset(index, clip_len=args.clip_len, iGpu=gpu, **tensor)
        batch_sampler = BatchSampler(sampler, args.batch_size, drop_last=False)
        mapped = [[chosen[i] for i in b] for b in batch_sampler]
        return ClipBatchLoader(dataset, mapped, depth=2)
    gops = Subset(GopClipDataset(index, clip_len=args.clip_len), chosen)
    loader = DataLoader(gops, batch_sampler=BatchSampler(sampler, args.batch_size, drop_last=False),
                        num_workers=args.workers, collate_fn=_collate, multiprocessing_context="spawn",
                        persistent_workers=args.workers > 0)
    return GopBatchDecoder(gpu, **tensor).decode_all(loader)


def _collate(items: List[Dict[str, Any]]) -> Dict[str, Any]:  # module-level: spawn workers import it
    from on_demand_video_decoder.torch import collate_gops
    return collate_gops(items)


def main() -> int:
    args = parse_args()
    distributed = int(os.environ.get("WORLD_SIZE", 1)) > 1
    gpu = default_gpu()
    if distributed:
        dist.init_process_group("nccl" if gpu >= 0 and torch.cuda.is_available() else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = torch.device(f"cuda:{gpu}" if gpu >= 0 and torch.cuda.is_available() else "cpu")

    sample = _sample.ensure_sample(args.sample) if rank == 0 or not distributed else None
    if distributed:
        dist.barrier()  # rank 0 made the sample; the others find it
    sample = sample or _sample.ensure_sample(args.sample)
    index = ClipIndex([[str(p) for p in sample.paths]], progress=False)
    n_clips = len(MultiCameraClipDataset(index, clip_len=args.clip_len, iGpu=-1))
    clips = range(min(n_clips, args.max_clips) if args.max_clips else n_clips)
    sampler = DistributedClipSampler(len(clips), num_replicas=world, rank=rank, seed=args.seed)

    torch.manual_seed(args.seed)
    model: nn.Module = TinyModel().to(device)
    if distributed:
        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    print(f"rank {rank}/{world}: {len(clips)} clips of {args.clip_len} frames x {len(sample.paths)} cameras, "
          f"decoding on {'cuda:%d' % gpu if gpu >= 0 else 'the CPU'} ({nvc.__name__}), pattern {args.pattern}",
          flush=True)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        seen, losses = [], []
        for batch in batches(args, index, gpu, sampler, clips):
            frames = batch["frames"].to(device, non_blocking=True)
            target = frames.mean(dim=(1, 2, 3, 4, 5))
            loss = nn.functional.mse_loss(model(frames), target)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
            seen += batch["index"]
            losses.append(loss.item())
        print(f"rank {rank}/{world} epoch {epoch} clips {sorted(seen)} loss {sum(losses) / max(len(losses), 1):.5f}",
              flush=True)
    if distributed:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
