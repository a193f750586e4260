"""Datasets of multi-camera clips for torch.utils.data, in the two DataLoader patterns.

Pattern 1, decode in the main process (GPU): ``MultiCameraClipDataset`` with
``num_workers=0``; a batch sampler hands ``__getitems__`` a whole batch, decoded in one
call (every file of it on its own decoder session, cameras in parallel);
``ClipBatchLoader`` keeps ``depth`` batches decoding ahead on threads while the model
trains (the decoder's ``parallel_calls``). On the CPU back end the same dataset also runs
in DataLoader workers.

Pattern 2, demux in workers, decode in the main process: ``GopClipDataset`` returns GOP
bundles (demux only: no CUDA in workers, ``fork`` and ``spawn`` both work),
``collate_gops`` merges them in the worker, and ``GopBatchDecoder`` decodes each batch in
the main process on the GPU.

Either way a batch is a dict: ``frames`` (B, cameras, T, 3, H, W) (``layout="NHWC"``:
(..., H, W, 3)), ``frame_ids`` and ``timestamps`` (B, cameras, T), ``sample`` (names),
``files`` (camera paths per sample) and ``index`` (dataset indices).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info
from torch.utils.dlpack import from_dlpack

if TYPE_CHECKING:
    from .._odvd import PyNvGopDecoder

from .. import _odvd
from ._index import ClipIndex, Sample
from ._sampling import ClipRule

TENSOR_ARGS = ("size", "crop", "dtype", "mean", "std", "layout", "as_bgr", "interpolation", "antialias")


def default_gpu() -> int:
    """The GPU a process decodes on by default: ``LOCAL_RANK`` (torchrun's; 0 without it)
    when this machine has a CUDA device NVDEC can use, else -1 (the CPU back end)."""
    if _odvd.cuda_device_count() > 0:
        return int(os.environ.get("LOCAL_RANK", 0))
    return -1


class _ClipTable:
    """Every clip of an index under a rule: (sample, ids (cameras, T)) by dataset index."""

    def __init__(self, index: ClipIndex, rule: ClipRule):
        if not isinstance(index, ClipIndex):
            raise TypeError(f"index must be a ClipIndex, got {type(index).__name__}")
        self.index = index
        self.rule = rule
        self.ids: List[np.ndarray] = []
        self.dropped = 0
        counts = []
        for sample in index:
            ids, dropped = rule.clips(sample)
            self.ids.append(ids)
            self.dropped += dropped
            counts.append(len(ids))
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def clip(self, i: int) -> tuple[Sample, np.ndarray]:
        n = len(self)
        if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
            raise TypeError(f"dataset index must be an int, got {type(i).__name__} {i!r}")
        if not -n <= i < n:
            raise IndexError(f"dataset index {i} out of range ({n} clips)")
        i = int(i) % n
        s = int(np.searchsorted(self.offsets, i, side="right")) - 1
        return self.index[s], self.ids[s][i - int(self.offsets[s])]

    def metadata(self, i: int) -> Dict[str, Any]:
        sample, ids = self.clip(i)
        times = np.stack([c.timestamps_of(row) for c, row in zip(sample.cameras, ids)])
        return {"sample": sample.name, "files": sample.paths, "frame_ids": torch.from_numpy(ids.copy()),
                "timestamps": torch.from_numpy(times), "index": int(i) % len(self)}


def _entries(sample: Sample, ids: np.ndarray) -> tuple[List[str], List[int]]:
    files = [c.path for c, row in zip(sample.cameras, ids) for _ in row]
    return files, [int(f) for f in ids.ravel()]


def _check_tensor_args(tensor: Dict[str, Any]) -> Dict[str, Any]:
    unknown = sorted(set(tensor) - set(TENSOR_ARGS))
    if unknown:
        raise TypeError(f"unknown argument(s) {unknown}; the batch arguments are {list(TENSOR_ARGS)}")
    return tensor


class _ProcessDecoder:
    """A PyNvGopDecoder made in the process that uses it (never pickled: a DataLoader
    worker makes its own), grown when a call carries more entries than it takes. Calls may
    come from several threads (ClipBatchLoader): one decoder is made, not one per thread."""

    def __init__(self, gpu: int, parallel_calls: int, options: Dict[str, Any]):
        self.gpu = gpu
        self.parallel_calls = parallel_calls
        self.options = options
        self._decoder: Optional["PyNvGopDecoder"] = None
        self._pid = -1
        self._entries = 0
        self._lock = threading.Lock()

    def get(self, entries: int) -> "PyNvGopDecoder":
        from .. import PyNvGopDecoder

        with self._lock:
            if self._decoder is None or self._pid != os.getpid() or entries > self._entries:
                self._entries = max(entries, self._entries if self._pid == os.getpid() else 0, 1)
                self._decoder = PyNvGopDecoder(self._entries, self.gpu, True, parallel_calls=self.parallel_calls,
                                               **self.options)
                self._pid = os.getpid()
            return self._decoder

    def __getstate__(self) -> Dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k != "_lock"}
        state.update(_decoder=None, _pid=-1, _entries=0)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


# Merges bundles in collate_gops: one per process (MergePacketDataToOne decodes nothing).
_MERGER = _ProcessDecoder(-1, 1, {})


class MultiCameraClipDataset(Dataset[Dict[str, Any]]):
    """Clips of T frames of every camera of each sample of a ``ClipIndex``, decoded into
    one tensor per clip (Note [Clip sampling] in ``_sampling.py`` for the rules).

    Arguments: ``clip_len`` (T), ``stride`` (reference-camera frames between a clip's
    frames), ``step`` (between clip starts; default T * stride), ``sync`` ("frame" or
    "time"), ``time_mode`` ("nearest", "previous", "exact"), ``tolerance`` (seconds),
    ``reference_camera``; ``iGpu`` (default: ``default_gpu()``, i.e. cuda:LOCAL_RANK, or -1
    without a GPU), ``parallel_calls`` (batches decoding at once, for ``ClipBatchLoader``),
    ``decoder_options`` (more PyNvGopDecoder keywords, e.g. ``on_error``) and the batch
    arguments of ``DecodeToTensor`` (``size``, ``crop``, ``dtype``, ``mean``, ``std``,
    ``layout``, ``as_bgr``, ``interpolation``, ``antialias``).

    ``dataset[i]`` is a dict (see the module's docstring) with ``frames`` (cameras, T, 3, H, W).
    ``dataset.__getitems__(indices)`` decodes them all in one call; ``collate_clips`` then
    returns that batch without copying it. A GPU dataset decodes in the main process only:
    in a DataLoader worker it raises (use ``GopClipDataset`` there).
    """

    def __init__(self, index: ClipIndex, *, clip_len: int = 1, stride: int = 1, step: Optional[int] = None,
                 sync: str = "frame", time_mode: str = "nearest", tolerance: Optional[float] = None,
                 reference_camera: int = 0, iGpu: Optional[int] = None, parallel_calls: int = 4,  # noqa: N803
                 decoder_options: Optional[Dict[str, Any]] = None, **tensor: Any):
        self.table = _ClipTable(index, ClipRule(clip_len, stride, step, sync, time_mode, tolerance, reference_camera))
        self.gpu = default_gpu() if iGpu is None else int(iGpu)
        self.tensor = _check_tensor_args(tensor)
        self._decoder = _ProcessDecoder(self.gpu, parallel_calls, dict(decoder_options or {}))

    @property
    def dropped(self) -> int:
        """Clip positions left out because a camera had no frame by the rule."""
        return self.table.dropped

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        r = self.table.rule
        return (f"<MultiCameraClipDataset {len(self)} clips of {r.clip_len} frame(s) from {len(self.table.index)} "
                f"samples, sync={r.sync!r}, {'cuda:' + str(self.gpu) if self.gpu >= 0 else 'cpu'}>")

    def metadata(self, i: int) -> Dict[str, Any]:
        """Everything ``dataset[i]`` returns but the frames (no decoding)."""
        return self.table.metadata(i)

    def _decode(self, clips: Sequence[tuple[Sample, np.ndarray]]) -> torch.Tensor:
        if self.gpu >= 0 and get_worker_info() is not None:
            raise RuntimeError("MultiCameraClipDataset decodes on the GPU (iGpu=%d) in the main process only; "
                               "in DataLoader workers use num_workers=0 (pattern 1) or GopClipDataset + "
                               "GopBatchDecoder (pattern 2), or iGpu=-1 to decode on the CPU in workers" % self.gpu)
        files: List[str] = []
        ids: List[int] = []
        for sample, clip_ids in clips:
            f, i = _entries(sample, clip_ids)
            files += f
            ids += i
        decoder = self._decoder.get(len(ids))
        frames = from_dlpack(decoder.DecodeToTensor(files, ids, **self.tensor))
        return frames

    def __getitem__(self, i: int) -> Dict[str, Any]:
        return self.__getitems__([i])[0]

    def __getitems__(self, indices: Sequence[int]) -> List[Dict[str, Any]]:
        clips = [self.table.clip(i) for i in indices]
        if not clips:
            return []
        shapes = {ids.shape for _, ids in clips}
        if len(shapes) == 1:  # one call for the batch
            frames = self._decode(clips)
            frames = frames.view(len(clips), *next(iter(shapes)), *frames.shape[1:])
            per_clip = [frames[k] for k in range(len(clips))]
        else:  # samples with different camera counts: a call per clip
            per_clip = [_unflatten(self._decode([c]), c[1].shape) for c in clips]
        out = []
        for i, f in zip(indices, per_clip):
            item = self.table.metadata(i)
            item["frames"] = f
            out.append(item)
        return out


def _unflatten(frames: torch.Tensor, shape: Tuple[int, ...]) -> torch.Tensor:
    return frames.view(*shape, *frames.shape[1:])


def collate_clips(items: List[Dict[str, Any]]) -> Dict[str, Any]:
    """A batch of clip dicts: ``frames`` stacked (without a copy when they are the rows of
    one decoded batch, as ``__getitems__`` returns them), ``frame_ids`` / ``timestamps``
    stacked, the rest as lists."""
    if not items:
        return {}
    frames = [it["frames"] for it in items]
    first = frames[0]
    base = first._base
    size = first.numel() * first.element_size()
    joined = (base is not None and base.is_contiguous() and base.numel() == len(frames) * first.numel()
              and all(f._base is base and f.is_contiguous() and f.shape == first.shape
                      and f.data_ptr() == base.data_ptr() + k * size for k, f in enumerate(frames)))
    return _with_metadata({"frames": base.view(len(frames), *first.shape) if joined else torch.stack(frames)}, items)


def _with_metadata(batch: Dict[str, Any], items: List[Dict[str, Any]]) -> Dict[str, Any]:
    """`batch` plus the items' metadata: frame_ids and timestamps stacked, the rest as lists."""
    for key in ("frame_ids", "timestamps"):
        batch[key] = torch.stack([it[key] for it in items])
    for key in ("sample", "files", "index"):
        batch[key] = [it[key] for it in items]
    return batch


def _ahead(depth: int, jobs: Iterable[Any], work: Any) -> Iterator[Any]:
    """``work(job)`` for each of ``jobs``, results in order, with ``depth`` of them running on
    threads ahead of the caller (ClipBatchLoader, GopBatchDecoder.decode_all). An error is
    raised when its job's result is due. A caller that stops early does not wait for the jobs
    running ahead: those not started are cancelled, the running ones finish in the background."""
    pool = ThreadPoolExecutor(depth)
    pending: List[Any] = []
    try:
        for job in jobs:
            pending.append(pool.submit(work, job))
            if len(pending) > depth:
                yield pending.pop(0).result()
        while pending:
            yield pending.pop(0).result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class ClipBatchLoader:
    """Pattern 1 with overlap: batches of ``dataset`` in the order of ``batch_sampler`` (an
    iterable of index lists, e.g. ``BatchSampler(DistributedClipSampler(ds), 8, False)``),
    ``depth`` of them decoding ahead on threads while the caller works on the current one.
    Yields ``collate_clips`` batches; an error of a batch is raised when that batch is due."""

    def __init__(self, dataset: MultiCameraClipDataset, batch_sampler: Iterable[Sequence[int]], depth: int = 2):
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self.dataset = dataset
        self.batch_sampler = batch_sampler
        self.depth = depth

    def __len__(self) -> int:
        return len(self.batch_sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        for items in _ahead(self.depth, (list(b) for b in self.batch_sampler), self.dataset.__getitems__):
            yield collate_clips(items)


# ---- pattern 2 ----

class GopClipDataset(Dataset[Dict[str, Any]]):
    """Pattern 2's worker half: the clips of ``MultiCameraClipDataset`` (the same arguments
    and indices) as GOP bundles — demux only, never CUDA, so any DataLoader worker start
    method works. ``dataset[i]`` is the clip's metadata plus ``bundle`` (a numpy uint8
    array, one record per frame entry)."""

    def __init__(self, index: ClipIndex, *, clip_len: int = 1, stride: int = 1, step: Optional[int] = None,
                 sync: str = "frame", time_mode: str = "nearest", tolerance: Optional[float] = None,
                 reference_camera: int = 0, video_stream: int = -1):
        self.table = _ClipTable(index, ClipRule(clip_len, stride, step, sync, time_mode, tolerance, reference_camera))
        self._demuxer = _ProcessDecoder(-1, 1, {"video_stream": video_stream})

    @property
    def dropped(self) -> int:
        return self.table.dropped

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, i: int) -> Dict[str, Any]:
        sample, ids = self.table.clip(i)
        files, frame_ids = _entries(sample, ids)
        bundle, _, _ = self._demuxer.get(len(files)).GetGOP(files, frame_ids)
        item = self.table.metadata(i)
        item["bundle"] = bundle
        return item


def collate_gops(items: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Pattern 2's collate_fn (runs in the worker): the items' bundles merged into one, and
    what GopBatchDecoder needs to decode it."""
    if not items:
        return {}
    shapes = {tuple(it["frame_ids"].shape) for it in items}
    if len(shapes) != 1:
        raise ValueError(f"collate_gops: clips of one batch need one shape (cameras, T), got {sorted(shapes)}")
    batch: Dict[str, Any] = {"bundle": _MERGER.get(1).MergePacketDataToOne([it["bundle"] for it in items]),
                             "entry_files": [f for it in items for f, row in zip(it["files"], it["frame_ids"])
                                             for _ in range(len(row))],
                             "entry_ids": [int(x) for it in items for x in it["frame_ids"].flatten()]}
    return _with_metadata(batch, items)


class GopBatchDecoder:
    """Pattern 2's main-process half: ``decoder(batch)`` turns a ``collate_gops`` batch into
    a ``collate_clips`` batch, decoding on ``iGpu`` (default ``default_gpu()``) with the
    batch arguments of ``DecodeToTensor``. ``parallel_calls``: how many batches may decode at
    once (``decode_all``'s ``depth``, or calls from several threads). ``decoder_options``: more
    PyNvGopDecoder keywords."""

    def __init__(self, iGpu: Optional[int] = None, *, parallel_calls: int = 1,  # noqa: N803
                 decoder_options: Optional[Dict[str, Any]] = None, **tensor: Any):
        self.gpu = default_gpu() if iGpu is None else int(iGpu)
        if isinstance(parallel_calls, bool) or not isinstance(parallel_calls, int) or parallel_calls < 1:
            raise ValueError(f"parallel_calls must be an int >= 1, got {parallel_calls!r}")
        self.tensor = _check_tensor_args(tensor)
        self._decoder = _ProcessDecoder(self.gpu, parallel_calls, dict(decoder_options or {}))

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        if not batch:
            return {}
        files, ids = batch["entry_files"], batch["entry_ids"]
        decoder = self._decoder.get(len(ids))
        frames = from_dlpack(decoder.DecodeFromGOPToTensor(batch["bundle"], files, ids, **self.tensor))
        out = {k: v for k, v in batch.items() if k not in ("bundle", "entry_files", "entry_ids")}
        out["frames"] = frames.view(*batch["frame_ids"].shape, *frames.shape[1:])
        return out

    def decode_all(self, loader: Iterable[Dict[str, Any]], depth: int = 1) -> Iterator[Dict[str, Any]]:
        """Each batch of ``loader`` (a DataLoader with ``collate_fn=collate_gops``), decoded, in
        order. ``depth=1`` decodes each batch when it is due; ``depth=k`` keeps k batches
        decoding on threads of this process while the caller works on the current one (and the
        loader's workers demux the next), as ``ClipBatchLoader`` does for pattern 1 (with
        ``parallel_calls=k`` they decode at once). Measured, it has not paid: on the CPU back
        end decoding already fills the cores, and on an H100 depth 2 ran at 0.80x and depth 4
        at 0.10x of depth 1 (bench/RESULTS.md §22.4), so 1 is the default. An error of a batch
        is raised when that batch is due; a caller that stops early cancels those not started."""
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be an int >= 1, got {depth!r}")
        if depth == 1:
            for batch in loader:
                yield self(batch)
            return
        yield from _ahead(depth, loader, self)
