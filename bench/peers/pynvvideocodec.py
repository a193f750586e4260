"""Peer: PyNvVideoCodec's best random-access path per camera, shared by bench/suite.py and
bench/peers/pynvvideocodec_random.py.

One SimpleDecoder per camera (RGB in GPU memory; ``decoder[frame_id]`` seeks and decodes),
the cameras of a call decoded at once on a thread pool, as PyNvVideoCodec's own frame-sampling
benchmark does. Imported only where PyNvVideoCodec is installed (it is carried to the GPU
machine as a wheel: tools/device/prepare.sh)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import PyNvVideoCodec as pnvc
import torch

VERSION = getattr(pnvc, "__version__", "?")


class Caller:
    """One caller: a SimpleDecoder per path. ``caller(ids)`` returns frame ids[k] of path k
    as CUDA tensors (torch.from_dlpack, no copy), complete (the device is synchronised)."""

    def __init__(self, paths: list[str], gpu: int):
        self.decoders = [pnvc.SimpleDecoder(p, gpu_id=gpu, use_device_memory=True,
                                            output_color_type=pnvc.OutputColorType.RGB) for p in paths]
        self.pool = ThreadPoolExecutor(len(paths))

    def __call__(self, ids: list[int]) -> list:
        frames = list(self.pool.map(lambda k: self.decoders[k][ids[k]], range(len(self.decoders))))
        tensors = [torch.from_dlpack(f) for f in frames]
        torch.cuda.synchronize()
        return tensors
