"""Peer: PyAV's random access on the CPU (seek to the key frame, decode to the target), shared
by bench/bench_random_access_cpu.py and bench/suite.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class PyAvSeeker:
    """PyAV's random access: seek to the key frame before the target, decode to it."""

    def __init__(self, path: Path):
        import av
        self.container = av.open(str(path))
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        pts = sorted(p.pts for p in self.container.demux(self.stream) if p.pts is not None)
        self.pts = pts

    def frame(self, frame_id: int) -> np.ndarray:
        target = self.pts[frame_id]
        self.container.seek(target, backward=True, any_frame=False, stream=self.stream)
        for frame in self.container.decode(self.stream):
            if frame.pts == target:
                return frame.to_ndarray(format="rgb24")
        raise RuntimeError(f"PyAV did not produce frame {frame_id}")
