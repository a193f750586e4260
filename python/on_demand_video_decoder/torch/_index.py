"""ClipIndex: what a dataset of multi-camera clips needs to know about its files, read once.

A sample is a set of camera files of one recording (e.g. the six cameras of one drive). For
every file the index keeps its frame count, the presentation time of every frame (seconds,
from the container's timestamps and time base) and its GOP layout, all read through the
library's own frame index (the same frame ids every decoder uses), files in parallel. It is
saved to one file (JSON, or Parquet when pyarrow is installed) so that a dataset opens in
seconds the second time: a constant-rate file's timestamps are stored as (start, step).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _odvd
from .._progress import Progress
from ._sampling import frames_at_times

FORMAT = "odvd-clip-index"
VERSION = 1


@dataclass(frozen=True)
class CameraFile:
    """One camera file: its frames' timestamps (seconds) and GOP starts (frame ids)."""

    path: str
    frame_count: int
    time_base: Fraction
    pts: np.ndarray = field(repr=False)          # int64, one per frame, stream time base
    gop_starts: Tuple[int, ...] = field(repr=False)

    @property
    def timestamps(self) -> np.ndarray:
        """Presentation time of each frame in seconds (float64)."""
        return self.pts.astype(np.float64) * float(self.time_base)

    def timestamps_of(self, frame_ids: np.ndarray) -> np.ndarray:
        """``timestamps[frame_ids]`` (the same values), converting only those frames: a clip's
        metadata costs its length, not its file's."""
        picked: np.ndarray = self.pts[frame_ids]
        return picked.astype(np.float64) * float(self.time_base)

    def to_record(self) -> Dict[str, Any]:
        r: Dict[str, Any] = {"path": self.path, "frames": self.frame_count,
                             "time_base": [self.time_base.numerator, self.time_base.denominator],
                             "gop_starts": list(self.gop_starts)}
        steps = np.diff(self.pts)
        if self.frame_count >= 2 and (steps == steps[0]).all():
            r["pts_start"], r["pts_step"] = int(self.pts[0]), int(steps[0])
        elif self.frame_count == 1:
            r["pts_start"], r["pts_step"] = int(self.pts[0]), 0
        else:
            r["pts"] = self.pts.tolist()
        return r

    @staticmethod
    def from_record(r: Mapping[str, Any]) -> "CameraFile":
        n = int(r["frames"])
        if "pts" in r and r["pts"] is not None:
            pts = np.asarray(r["pts"], dtype=np.int64)
        else:
            pts = int(r["pts_start"]) + int(r["pts_step"]) * np.arange(n, dtype=np.int64)
        if len(pts) != n:
            raise ValueError(f"clip index: {r['path']}: {len(pts)} timestamps for {n} frames")
        return CameraFile(str(r["path"]), n, Fraction(*r["time_base"]), pts, tuple(int(g) for g in r["gop_starts"]))

    @staticmethod
    def scan(path: str, video_stream: int = -1) -> "CameraFile":
        info = _odvd.GetIndexInfo(path, video_stream=video_stream)
        num, den = info["time_base"]
        if den <= 0 or num <= 0:
            raise RuntimeError(f"{path!r}: the stream has no usable time base ({num}/{den})")
        return CameraFile(path, int(info["frame_count"]), Fraction(num, den),
                          np.asarray(info["frame_pts"], dtype=np.int64), tuple(info["gop_first_frame_ids"]))


@dataclass(frozen=True)
class Sample:
    """One recording: a name and its camera files, in camera order."""

    name: str
    cameras: Tuple[CameraFile, ...]

    @property
    def paths(self) -> List[str]:
        return [c.path for c in self.cameras]


SamplesArg = Union[Sequence[Sequence[Union[str, os.PathLike[str]]]], Mapping[str, Sequence[Union[str, os.PathLike[str]]]]]


class ClipIndex:
    """The frame counts, timestamps and GOP layout of every camera file of every sample.

    ``ClipIndex(samples)`` reads each distinct file once through the library's index
    (``workers`` files at a time; a progress bar on a terminal). ``samples`` is a list of
    camera-file lists (names "0", "1", ...) or a mapping name -> camera files. A file that
    cannot be read raises ``RuntimeError`` naming it and its sample. ``save(path)`` /
    ``ClipIndex.load(path)``: JSON, or Parquet for a ``.parquet`` path (needs pyarrow).
    """

    def __init__(self, samples: SamplesArg, *, workers: int = 8, progress: Optional[bool] = None,
                 video_stream: int = -1):
        if isinstance(samples, Mapping):
            named = [(str(k), list(v)) for k, v in samples.items()]
        else:
            if isinstance(samples, (str, bytes, os.PathLike)):
                raise TypeError("samples must be a list of camera-file lists (or a mapping name -> files), "
                                f"got {type(samples).__name__} {samples!r}")
            named = [(str(i), list(v)) for i, v in enumerate(samples)]
        for name, files in named:
            if isinstance(files, (str, bytes, os.PathLike)) or not files:
                raise TypeError(f"sample {name!r} must be a non-empty list of camera files, got {files!r}")
        if workers < 1:
            raise ValueError(f"workers must be >= 1 (got {workers})")
        paths = sorted({os.fspath(p) for _, files in named for p in files})
        scanned: Dict[str, CameraFile] = {}
        owner = {os.fspath(p): name for name, files in reversed(named) for p in files}

        def scan(path: str) -> CameraFile:
            try:
                return CameraFile.scan(path, video_stream)
            except Exception as e:  # noqa: BLE001 - re-raised with the sample named
                raise RuntimeError(f"clip index: sample {owner[path]!r}: {e}") from e

        with Progress(len(paths), "index", enabled=progress, unit="files") as bar, \
                ThreadPoolExecutor(min(workers, max(1, len(paths)))) as pool:
            for path, cam in zip(paths, pool.map(scan, paths)):
                scanned[path] = cam
                bar.update()
        self._samples = [Sample(name, tuple(scanned[os.fspath(p)] for p in files)) for name, files in named]

    @classmethod
    def _from_samples(cls, samples: List[Sample]) -> "ClipIndex":
        obj = cls.__new__(cls)
        obj._samples = samples
        return obj

    # ---- access ----

    def __len__(self) -> int:
        return len(self._samples)

    def __getitem__(self, i: int) -> Sample:
        return self._samples[i]

    def __iter__(self) -> Iterator[Sample]:
        return iter(self._samples)

    def __repr__(self) -> str:
        files = sum(len(s.cameras) for s in self._samples)
        return f"<ClipIndex {len(self._samples)} samples, {files} camera files>"

    def frames_at(self, sample: int, times: Union[float, Sequence[float]], mode: str = "nearest",
                  tolerance: Optional[float] = None) -> np.ndarray:
        """Frame ids of every camera of ``sample`` at ``times`` (seconds, the files' own
        timeline): an int array (cameras, len(times)), -1 where a camera has no frame by the
        rule (see ``frames_at_times``)."""
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        return np.stack([frames_at_times(c.timestamps, t, mode, tolerance) for c in self._samples[sample].cameras])

    # ---- files ----

    def save(self, path: Union[str, os.PathLike[str]]) -> None:
        """Writes the index to ``path`` (atomically): Parquet for ``*.parquet``, else JSON."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        if path.suffix == ".parquet":
            pa, pq = _pyarrow()
            rows = [dict(sample=s.name, camera=k, **_flat(c.to_record())) for s in self._samples
                    for k, c in enumerate(s.cameras)]
            pq.write_table(pa.Table.from_pylist(rows), tmp)
        else:
            doc = {"format": FORMAT, "version": VERSION,
                   "samples": [{"name": s.name, "cameras": [c.to_record() for c in s.cameras]} for s in self._samples]}
            tmp.write_text(json.dumps(doc, separators=(",", ":")))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Union[str, os.PathLike[str]]) -> "ClipIndex":
        """Reads an index written by ``save``; ``ValueError`` naming the file if it is not one."""
        path = Path(path)
        if path.suffix == ".parquet":
            _, pq = _pyarrow()
            samples: Dict[str, List[CameraFile]] = {}
            for row in pq.read_table(path).to_pylist():
                samples.setdefault(row["sample"], []).append(CameraFile.from_record(row))
            return cls._from_samples([Sample(k, tuple(v)) for k, v in samples.items()])
        try:
            doc = json.loads(Path(path).read_text())
            if doc.get("format") != FORMAT:
                raise ValueError(f"not a clip index (format {doc.get('format')!r})")
            if doc.get("version") != VERSION:
                raise ValueError(f"clip index version {doc.get('version')} (this library reads {VERSION})")
            return cls._from_samples([Sample(s["name"], tuple(CameraFile.from_record(c) for c in s["cameras"]))
                                      for s in doc["samples"]])
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"{os.fspath(path)!r}: {e}") from e


def _flat(record: Dict[str, Any]) -> Dict[str, Any]:
    return {"path": record["path"], "frames": record["frames"], "time_base": record["time_base"],
            "gop_starts": record["gop_starts"], "pts_start": record.get("pts_start"),
            "pts_step": record.get("pts_step"), "pts": record.get("pts")}


def _pyarrow() -> Tuple[Any, Any]:
    try:
        import pyarrow as pa  # type: ignore[import-not-found,import-untyped,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError as e:
        raise ImportError("saving or loading a .parquet clip index needs pyarrow (pip install pyarrow); "
                          "use a .json path otherwise") from e
    return pa, pq
