"""Peer: torchcodec's VideoDecoder on its CUDA device, for bench/suite.py.

A decoder per camera (``seek_mode="exact"``), ``decoder[frame_id]``, the cameras of a call
decoded at once on a thread pool. ``backend``: torchcodec's CUDA back end, "ffmpeg"
(FFmpeg's NVDEC hwaccel; it needs FFmpeg's shared libraries, which tools/device/
build_peer_ffmpeg.sh builds for the GPU machine) or "beta" (its own NVDEC path)."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor

import torch
import torchcodec
from torchcodec.decoders import VideoDecoder

VERSION = torchcodec.__version__


class Caller:
    def __init__(self, paths: list[str], gpu: int, backend: str = "ffmpeg"):
        context = contextlib.nullcontext()
        if backend != "ffmpeg":
            from torchcodec.decoders import set_cuda_backend
            context = set_cuda_backend(backend)
        with context:
            self.decoders = [VideoDecoder(p, device=f"cuda:{gpu}", seek_mode="exact") for p in paths]
        self.pool = ThreadPoolExecutor(len(paths))

    def __call__(self, ids: list[int]) -> list:
        frames = list(self.pool.map(lambda k: self.decoders[k][ids[k]], range(len(self.decoders))))
        torch.cuda.synchronize()
        if not frames[0].is_cuda:
            raise RuntimeError(f"torchcodec returned a {frames[0].device} frame")
        return frames
