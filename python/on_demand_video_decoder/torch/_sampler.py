"""DistributedClipSampler: one disjoint shard of a dataset per rank, reshuffled per epoch."""

from __future__ import annotations

import math
import os
from typing import Iterator, Optional, Sized, Union

import torch
import torch.distributed as dist
from torch.utils.data import Sampler


def _world() -> tuple[int, int]:
    """(world size, rank) from torch.distributed when initialised, else from torchrun's
    environment, else (1, 0)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("RANK", 0))


class DistributedClipSampler(Sampler[int]):
    """Indices of this rank's shard of ``dataset`` (or of ``range(n)`` for an int).

    As ``torch.utils.data.DistributedSampler``: ``num_replicas`` / ``rank`` default to
    torch.distributed's world (or torchrun's ``WORLD_SIZE`` / ``RANK``; 1 and 0 outside
    it); with ``shuffle`` a permutation seeded by ``seed + epoch`` (call ``set_epoch``
    every epoch: the same on every rank, different across epochs); then either the
    first indices repeated so every rank gets ``ceil(n / replicas)`` (``drop_last=False``)
    or the tail dropped so every rank gets ``floor(n / replicas)``. Rank r takes positions
    r, r + replicas, ... of that list: shards are disjoint (but for the padding) and cover
    the dataset.
    """

    def __init__(self, dataset: Union[Sized, int], num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        n = dataset if isinstance(dataset, int) and not isinstance(dataset, bool) else len(dataset)  # type: ignore[arg-type]
        world, me = _world()
        self.num_replicas = world if num_replicas is None else num_replicas
        self.rank = me if rank is None else rank
        if not isinstance(self.num_replicas, int) or self.num_replicas < 1:
            raise ValueError(f"num_replicas must be an int >= 1, got {self.num_replicas!r}")
        if not isinstance(self.rank, int) or not 0 <= self.rank < self.num_replicas:
            raise ValueError(f"rank must be 0..{self.num_replicas - 1}, got {self.rank!r}")
        if n < 0:
            raise ValueError(f"dataset size must be >= 0, got {n}")
        self.size = n
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        if drop_last:
            self.num_samples = n // self.num_replicas
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.size, generator=g).tolist()
        else:
            order = list(range(self.size))
        if self.drop_last:
            order = order[:self.total_size]
        elif order:
            while len(order) < self.total_size:
                order += order[:self.total_size - len(order)]
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples
