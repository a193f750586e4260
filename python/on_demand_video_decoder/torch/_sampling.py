"""Sampling rules: which frame of each camera a clip takes (no torch needed here).

Note [Clip sampling]
  A clip is T frames of every camera of a sample. Its reference camera's frames are
  ``start, start + stride, ..., start + (T - 1) * stride``; clip starts are ``0, step,
  2 * step, ...`` (``step`` defaults to ``T * stride``: clips do not overlap).
  * ``sync="frame"``: every camera takes the same frame ids.
  * ``sync="time"``: every other camera takes, at each reference frame's timestamp t, its
    frame by ``time_mode``: "nearest" (the closest timestamp; a tie takes the earlier
    frame), "previous" (the last frame at or before t) or "exact" (a frame within
    ``tolerance`` of t, default 1 microsecond). With a ``tolerance`` (seconds), a frame
    further than that from t does not count. Cameras recorded at other rates or with
    offset starts are synchronised this way.
  * Clip ends: a clip never runs past a file's end. A clip position where any camera has
    no frame by the rule (past its end, before its start for "previous", beyond the
    tolerance) is left out; ``dropped`` counts them. Nothing is padded or repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Tuple

import numpy as np

if TYPE_CHECKING:
    from ._index import Sample

TIME_MODES = ("nearest", "previous", "exact")
EXACT_TOLERANCE = 1e-6


def frames_at_times(timestamps: np.ndarray, times: np.ndarray, mode: str = "nearest",
                    tolerance: Optional[float] = None) -> np.ndarray:
    """For each time in ``times`` the frame of a camera with these (ascending) ``timestamps``
    by ``mode`` (Note [Clip sampling]); -1 where there is none."""
    if mode not in TIME_MODES:
        raise ValueError(f"time_mode must be 'nearest', 'previous' or 'exact', got {mode!r}")
    if tolerance is not None and not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0 seconds or None, got {tolerance!r}")
    ts = np.asarray(timestamps, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    after = np.searchsorted(ts, t, side="right")          # first frame later than t
    before = after - 1                                    # last frame at or before t
    if mode == "previous":
        ids = before
    else:
        later = np.minimum(after, len(ts) - 1)
        d_before = np.where(before >= 0, t - ts[np.maximum(before, 0)], np.inf)
        d_later = np.where(after < len(ts), ts[later] - t, np.inf)
        ids = np.where(d_later < d_before, later, before)
    ids = np.where((ids >= 0) & (ids < len(ts)), ids, -1)
    limit = EXACT_TOLERANCE if (mode == "exact" and tolerance is None) else tolerance
    if limit is not None and len(ts):
        far = np.abs(ts[np.maximum(ids, 0)] - t) > limit
        ids = np.where(far, -1, ids)
    return ids.astype(np.int64)


@dataclass(frozen=True)
class ClipRule:
    """How clips are cut from a sample (Note [Clip sampling])."""

    clip_len: int = 1
    stride: int = 1
    step: Optional[int] = None
    sync: str = "frame"
    time_mode: str = "nearest"
    tolerance: Optional[float] = None
    reference_camera: int = 0

    def __post_init__(self) -> None:
        for name in ("clip_len", "stride"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")
        if self.step is not None and (not isinstance(self.step, int) or isinstance(self.step, bool) or self.step < 1):
            raise ValueError(f"step must be an int >= 1 or None, got {self.step!r}")
        if self.sync not in ("frame", "time"):
            raise ValueError(f"sync must be 'frame' or 'time', got {self.sync!r}")
        if self.time_mode not in TIME_MODES:
            raise ValueError(f"time_mode must be 'nearest', 'previous' or 'exact', got {self.time_mode!r}")
        if self.tolerance is not None and not self.tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0 seconds or None, got {self.tolerance!r}")

    @property
    def clip_step(self) -> int:
        return self.step if self.step is not None else self.clip_len * self.stride

    def clips(self, sample: "Sample") -> Tuple[np.ndarray, int]:
        """(ids, dropped): ids is an int array (clips, cameras, T) of the sample's clips."""
        cams = sample.cameras
        if not 0 <= self.reference_camera < len(cams):
            raise ValueError(f"reference_camera {self.reference_camera} is not a camera of sample {sample.name!r} "
                             f"({len(cams)} cameras)")
        ref = cams[self.reference_camera]
        span = (self.clip_len - 1) * self.stride
        starts = np.arange(0, max(ref.frame_count - span, 0), self.clip_step, dtype=np.int64)
        ref_ids = starts[:, None] + self.stride * np.arange(self.clip_len, dtype=np.int64)[None, :]
        if len(starts) == 0:
            return np.zeros((0, len(cams), self.clip_len), np.int64), 0
        per_camera = []
        for k, cam in enumerate(cams):
            if k == self.reference_camera:
                per_camera.append(ref_ids)
            elif self.sync == "frame":
                per_camera.append(np.where(ref_ids < cam.frame_count, ref_ids, -1))
            else:
                times = ref.timestamps_of(ref_ids)
                per_camera.append(frames_at_times(cam.timestamps, times.ravel(), self.time_mode,
                                                  self.tolerance).reshape(ref_ids.shape))
        ids = np.stack(per_camera, axis=1)                    # (clips, cameras, T)
        keep = (ids >= 0).all(axis=(1, 2))
        return ids[keep], int((~keep).sum())
