"""EpochSampler: shuffled epochs with each GOP decoded once (issue #21).

Note [Epoch plan]
  Uniform random access decodes a GOP from its key for every frame it returns (~15.5 pictures
  per frame at GOP 30). An epoch needs every sample once in an order random enough for SGD,
  so instead:
  * The clips of the dataset are grouped by GOP: a group is the clips whose first reference
    frame lies in one GOP of one sample (the same GOP range of all its cameras).
  * Each epoch the groups are permuted (seed + epoch); a rank takes groups rank, rank + W, ...
    (disjoint, covering). Up to ``groups_in_flight`` groups decode at once, each in one call
    (no more than the dataset's ``parallel_calls``: a call beyond it waits; the decoder shares
    the GOP between the group's clips and skips pictures nobody needs).
    ``groups_ahead`` groups (default: as many as decode at once) are handed to the decoding
    threads ahead of the one the buffer takes next: groups enter the buffer in permutation
    order, so with no more handed out than decode at once, a group that finishes before an
    earlier one leaves its thread idle until the earlier one is done. More ahead keeps every
    thread busy at the cost of finished groups waiting outside the buffer (at most
    ``groups_ahead - 1`` of them). A consumer that stops early cancels the groups not started.
  * A group's samples enter a shuffle buffer bounded in bytes (``buffer_bytes``: the frames
    held, in the dataset's output form, so resized samples cost their output size); before a
    group enters, samples leave, each chosen uniformly at random from the buffer, until it fits;
    when the groups are done the buffer drains in random order. The buffer holds at least one
    group; groups still decoding are not counted.
  * The order depends only on the seed, the epoch and the rank (groups enter in permutation
    order whatever the decoding threads' timing). With ``even=True`` (default under DDP) every
    rank yields as many samples as the largest shard, the shorter ones repeating their first
    samples, so no rank waits for another at the end of an epoch.
  ``randomness_report`` says how random an emitted order is next to a uniform permutation.
"""

from __future__ import annotations

import random
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Generic, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar

import numpy as np

from ._data import MultiCameraClipDataset, collate_clips
from ._sampler import _world


class EpochSampler:
    """Every clip of ``dataset`` once per epoch, shuffled through a byte-bounded buffer, each
    GOP decoded once (Note [Epoch plan]). Iterate for samples (the dataset's dicts), or
    ``batches(size)`` for ``collate_clips`` batches; ``set_epoch(e)`` before each epoch;
    ``last_order`` holds the dataset indices the last iteration emitted (the whole epoch, or
    as far as its consumer went), for ``randomness_report``, and ``peak_bytes`` the most the
    buffer held then."""

    def __init__(self, dataset: MultiCameraClipDataset, *, buffer_bytes: int = 1 << 30, groups_in_flight: int = 4,
                 seed: int = 0, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 even: Optional[bool] = None, groups_ahead: Optional[int] = None):
        if not isinstance(dataset, MultiCameraClipDataset):
            raise TypeError(f"dataset must be a MultiCameraClipDataset, got {type(dataset).__name__}")
        if buffer_bytes < 1:
            raise ValueError(f"buffer_bytes must be >= 1, got {buffer_bytes}")
        if groups_in_flight < 1:
            raise ValueError(f"groups_in_flight must be >= 1, got {groups_in_flight}")
        if groups_ahead is not None and groups_ahead < groups_in_flight:
            raise ValueError(f"groups_ahead must be >= groups_in_flight ({groups_in_flight}), got {groups_ahead}")
        world, me = _world()
        self.num_replicas = world if num_replicas is None else num_replicas
        self.rank = me if rank is None else rank
        if not 0 <= self.rank < self.num_replicas:
            raise ValueError(f"rank must be 0..{self.num_replicas - 1}, got {self.rank}")
        self.dataset = dataset
        self.buffer_bytes = buffer_bytes
        self.groups_in_flight = groups_in_flight
        self.groups_ahead = groups_in_flight if groups_ahead is None else groups_ahead
        self.seed = seed
        self.even = self.num_replicas > 1 if even is None else even
        self.epoch = 0
        self.groups = gop_groups(dataset)
        self.last_order: List[int] = []
        self.peak_bytes = 0  # the most bytes the buffer held in the last iteration

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def shards(self) -> List[List[List[int]]]:
        """This epoch's groups of every rank, in the order they decode (dataset indices)."""
        order = list(range(len(self.groups)))
        random.Random(self.seed * 1_000_003 + self.epoch).shuffle(order)
        return [[self.groups[g] for g in order[r::self.num_replicas]] for r in range(self.num_replicas)]

    def __len__(self) -> int:
        sizes = [sum(len(g) for g in shard) for shard in self.shards()]
        return max(sizes) if self.even else sizes[self.rank]

    def _picker(self) -> random.Random:
        return random.Random((self.seed * 1_000_003 + self.epoch) * 8191 + self.rank)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        groups = self.shards()[self.rank]
        pad = len(self) - sum(len(g) for g in groups)
        buffer: ShuffleBuffer[Dict[str, Any]] = ShuffleBuffer(self.buffer_bytes, self._picker())
        emitted: List[int] = []
        first: List[Dict[str, Any]] = []  # the first samples again, for an even shard

        def out(items: Iterable[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
            for item in items:
                emitted.append(item["index"])
                if len(first) < pad:
                    first.append(item)
                yield item

        try:
            with ThreadPoolExecutor(self.groups_in_flight) as pool:
                pending = deque(pool.submit(self._decode_group, g) for g in groups[:self.groups_ahead])
                upcoming = iter(groups[self.groups_ahead:])
                try:
                    while pending:
                        items = pending.popleft().result()
                        nxt = next(upcoming, None)
                        if nxt is not None:
                            pending.append(pool.submit(self._decode_group, nxt))
                        yield from out(buffer.add([(it, _bytes(it)) for it in items]))
                finally:  # stopped early (or failed): groups not started are not decoded for nothing
                    for f in pending:
                        f.cancel()
                yield from out(buffer.drain())
            for item in first:  # an even shard: repeat the first samples
                emitted.append(item["index"])
                yield item
        finally:  # an epoch stopped early still says what it emitted and held
            self.last_order = emitted
            self.peak_bytes = buffer.peak_bytes

    def simulate(self, sample_bytes: int) -> List[int]:
        """This rank's order for this epoch without decoding anything, every sample taken to
        be ``sample_bytes`` (as when all have one output size): the order ``__iter__`` emits."""
        groups = self.shards()[self.rank]
        pad = len(self) - sum(len(g) for g in groups)
        buffer: ShuffleBuffer[int] = ShuffleBuffer(self.buffer_bytes, self._picker())
        order: List[int] = []
        for g in groups:
            order += buffer.add([(i, sample_bytes) for i in g])
        order += buffer.drain()
        return order + order[:pad]

    def batches(self, batch_size: int, drop_last: bool = False) -> Iterator[Dict[str, Any]]:
        """The epoch's samples in ``collate_clips`` batches of ``batch_size``."""
        batch: List[Dict[str, Any]] = []
        for item in self:
            batch.append(item)
            if len(batch) == batch_size:
                yield collate_clips(batch)
                batch = []
        if batch and not drop_last:
            yield collate_clips(batch)

    def _decode_group(self, indices: List[int]) -> List[Dict[str, Any]]:
        items = self.dataset.__getitems__(indices)
        if len(items) > 1:  # each sample its own memory, so the buffer frees it when it leaves
            for it in items:
                it["frames"] = it["frames"].clone()
        return items


T = TypeVar("T")


class ShuffleBuffer(Generic[T]):
    """Items with sizes in, items out uniformly at random, at most ``capacity`` bytes held
    (but always room for one added group; Note [Epoch plan]). Pure ordering: EpochSampler's
    samples and its simulations go through the same code."""

    def __init__(self, capacity: int, picker: random.Random):
        self.capacity = capacity
        self.picker = picker
        self.items: List[Tuple[T, int]] = []
        self.held = 0
        self.peak_bytes = 0

    def _take(self) -> T:
        k = self.picker.randrange(len(self.items))
        self.items[k], self.items[-1] = self.items[-1], self.items[k]
        item, size = self.items.pop()
        self.held -= size
        return item

    def add(self, group: Sequence[Tuple[T, int]]) -> List[T]:
        """Makes room for ``group`` (returning what left, in order), then holds it."""
        size = sum(s for _, s in group)
        out = []
        while self.items and self.held + size > self.capacity:
            out.append(self._take())
        self.items += group
        self.held += size
        self.peak_bytes = max(self.peak_bytes, self.held)
        return out

    def drain(self) -> List[T]:
        return [self._take() for _ in range(len(self.items))]


def _bytes(item: Dict[str, Any]) -> int:
    f = item["frames"]
    return int(f.numel() * f.element_size())


def gop_groups(dataset: MultiCameraClipDataset) -> List[List[int]]:
    """Dataset indices grouped by (sample, GOP of the clip's first reference frame)."""
    table = dataset.table
    ref = table.rule.reference_camera
    groups: Dict[Tuple[int, int], List[int]] = {}
    for s, sample in enumerate(table.index):
        starts = np.asarray(sample.cameras[ref].gop_starts, dtype=np.int64)
        first_ids = table.ids[s][:, ref, 0] if len(table.ids[s]) else np.zeros(0, np.int64)
        gops = np.searchsorted(starts, first_ids, side="right") - 1
        base = int(table.offsets[s])
        for k, g in enumerate(gops.tolist()):
            groups.setdefault((s, g), []).append(base + k)
    return [groups[key] for key in sorted(groups)]


def randomness_report(order: Sequence[int], dataset: MultiCameraClipDataset, batch_size: int,
                      seed: int = 0) -> Dict[str, Dict[str, float]]:
    """How random an emitted order of dataset indices is, next to a uniform permutation of the
    same indices (seeded). Per batch of ``batch_size``: the samples per recording in it
    (``same_recording_mean``: batch size over the recordings it holds, averaged over batches)
    and the most of one recording (``same_recording_max_mean`` averaged, ``same_recording_max``
    the largest); and the lag, in positions, between consecutive samples of one GOP group
    (``gop_lag_mean``, ``_median``, ``_p10``). {"order": {...}, "uniform": {...}}."""
    group_of = {i: g for g, members in enumerate(gop_groups(dataset)) for i in members}
    sample_of = {i: int(np.searchsorted(dataset.table.offsets, i, side="right")) - 1 for i in set(order)}
    uniform = list(order)
    random.Random(seed).shuffle(uniform)
    return {"order": _figures(order, group_of, sample_of, batch_size),
            "uniform": _figures(uniform, group_of, sample_of, batch_size)}


def _figures(order: Sequence[int], group_of: Dict[int, int], sample_of: Dict[int, int],
             batch_size: int) -> Dict[str, float]:
    means, maxima = [], []
    for b in range(0, len(order), batch_size):
        counts: Dict[int, int] = {}
        batch = order[b:b + batch_size]
        for i in batch:
            counts[sample_of[i]] = counts.get(sample_of[i], 0) + 1
        means.append(len(batch) / len(counts))
        maxima.append(max(counts.values()))
    last: Dict[int, int] = {}
    lags = []
    for pos, i in enumerate(order):
        g = group_of[i]
        if g in last:
            lags.append(pos - last[g])
        last[g] = pos
    lag = np.asarray(lags, dtype=np.float64) if lags else np.zeros(1)
    return {"same_recording_mean": float(np.mean(means)) if means else 0.0,
            "same_recording_max_mean": float(np.mean(maxima)) if maxima else 0.0,
            "same_recording_max": float(max(maxima)) if maxima else 0.0,
            "gop_lag_mean": float(lag.mean()), "gop_lag_median": float(np.median(lag)),
            "gop_lag_p10": float(np.percentile(lag, 10))}
