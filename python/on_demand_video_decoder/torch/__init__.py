"""PyTorch data path: multi-camera clip datasets, DataLoader patterns, DDP sampling.

Importing this module imports torch; ``import on_demand_video_decoder`` alone never does.

- ``ClipIndex``: frame counts, timestamps and GOP layout of every camera file, read once,
  saved to JSON / Parquet.
- ``MultiCameraClipDataset`` (+ ``collate_clips``, ``ClipBatchLoader``): pattern 1, decode
  in the main process (GPU) a whole batch per call.
- ``GopClipDataset`` + ``collate_gops`` + ``GopBatchDecoder``: pattern 2, demux in
  DataLoader workers, decode in the main process.
- ``DistributedClipSampler``: a rank's shard, reshuffled per epoch (torchrun / DDP).
- ``EpochSampler`` (+ ``randomness_report``): shuffled epochs decoding each GOP once, through a
  shuffle buffer bounded in bytes (Note [Epoch plan]).
- ``frames_at_times``, ``ClipRule``: the sampling rules (Note [Clip sampling]).
"""

from ._data import (ClipBatchLoader, GopBatchDecoder, GopClipDataset, MultiCameraClipDataset, collate_clips,
                    collate_gops, default_gpu)
from ._epoch import EpochSampler, gop_groups, randomness_report
from ._index import CameraFile, ClipIndex, Sample
from ._sampler import DistributedClipSampler
from ._sampling import ClipRule, frames_at_times

__all__ = ["CameraFile", "ClipBatchLoader", "ClipIndex", "ClipRule", "DistributedClipSampler", "EpochSampler",
           "GopBatchDecoder", "GopClipDataset", "MultiCameraClipDataset", "Sample", "collate_clips", "collate_gops",
           "default_gpu", "frames_at_times", "gop_groups", "randomness_report"]
