"""A dataset's GOPs on disk: pre-extraction (``odvd gops extract``) and the loader that
decodes any (video, frame) from the stored bundles without the source videos.

Layout of an output folder ``OUT`` (format of the ``.gop`` files:
docs/formats/gop-bundle.md)::

    OUT/index.json                  the index (written last, atomically)
    OUT/videos/<key>/video.json     one video's part of the index (written when all its
                                    GOPs are stored: the video is then done)
    OUT/videos/<key>/<first>.gop    one GOP per file: a one-record bundle, named by the
                                    GOP's first frame id (8 digits)

``<key>`` is the video's file name plus a hash of its real path, so equal names in
different folders do not collide. ``index.json``::

    {"format": "odvd-gop-index", "version": 1,
     "videos": {REALPATH: {"key": KEY, "size": BYTES, "mtime_ns": NS, "frame_count": N,
                           "video_stream": K,
                           "gops": [[FIRST_FRAME_ID, GOP_LEN, "videos/KEY/FIRST.gop"], ...]}}}

``video_stream`` is the option the GOPs were extracted with (-1: each file's best video
stream; K: the K-th, as ffmpeg's 0:v:K); each bundle record also names the stream it
came from (``GetBundleInfo``). An index without it was extracted with -1.

Extraction is resumable: a video whose ``video.json`` exists, whose size and mtime are
unchanged and whose ``video_stream`` is the one asked for is skipped; every file is written atomically (temporary file + rename), so
an interruption leaves no half-written file under a final name.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from . import _odvd

INDEX_FORMAT = "odvd-gop-index"
INDEX_VERSION = 1
VIDEO_EXTENSIONS = (".mp4", ".mkv", ".mov", ".m4v", ".ts", ".webm", ".avi", ".mts")
GOPS_PER_CALL = 16


def find_videos(inputs: Iterable[str], extensions: Sequence[str] = VIDEO_EXTENSIONS) -> List[str]:
    """Files named directly, and video files (by extension) under named folders, sorted;
    raises FileNotFoundError for an input that does not exist."""
    found = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found += [str(p) for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in extensions]
        elif path.exists():
            found.append(str(path))
        else:
            raise FileNotFoundError(f"'{item}' does not exist")
    return sorted(set(found))


def video_key(real_path: str) -> str:
    digest = hashlib.sha1(real_path.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{Path(real_path).name}-{digest}"


def _write_json(path: Path, value: Dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _done_record(out: Path, real: str, video_stream: int) -> Optional[Dict[str, Any]]:
    """The stored video.json of a video if it is complete, of the same video stream,
    and the file is unchanged."""
    meta = out / "videos" / video_key(real) / "video.json"
    try:
        record: Dict[str, Any] = json.loads(meta.read_text(encoding="utf-8"))
        st = os.stat(real)
    except (OSError, ValueError):
        return None
    if (record.get("size"), record.get("mtime_ns")) != (st.st_size, st.st_mtime_ns):
        return None
    if record.get("video_stream", -1) != video_stream:
        return None
    if not all((out / g[2]).is_file() for g in record.get("gops", [])):
        return None
    return record


def extract_video(decoder: Any, real: str, out: Path, on_gop: Callable[[], None], video_stream: int = -1) -> Dict[str, Any]:
    """Stores every GOP of one video (the ``decoder``'s video stream, which must be
    ``video_stream``) and returns its index record."""
    st = os.stat(real)
    info = _odvd.GetIndexInfo(real, video_stream=video_stream)
    key = video_key(real)
    firsts, lengths = info["gop_first_frame_ids"], info["gop_lengths"]
    gops = []
    for start in range(0, len(firsts), GOPS_PER_CALL):
        chunk = firsts[start:start + GOPS_PER_CALL]
        for first, (bundle, got_first, got_len) in zip(chunk, decoder.GetGOPList([real] * len(chunk), chunk)):
            assert got_first == [first], (got_first, first)
            rel = f"videos/{key}/{first:08d}.gop"
            _odvd.SavePacketsToFile(bundle, str(out / rel))
            gops.append([first, got_len[0], rel])
            on_gop()
    record = {"key": key, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "frame_count": info["frame_count"],
              "video_stream": video_stream, "gops": gops}
    if os.stat(real).st_mtime_ns != st.st_mtime_ns:
        raise RuntimeError(f"'{real}' changed while its GOPs were extracted")
    _write_json(out / "videos" / key / "video.json", record)
    return record


def extract_gops(inputs: Iterable[str], out_dir: str, workers: int = 0,
                 progress: Optional[Callable[[int, int], None]] = None, *,
                 video_stream: int = -1, counts: Optional[Dict[str, int]] = None) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """Extracts every GOP of every video under ``inputs`` into ``out_dir``: of each
    file's best video stream, or with ``video_stream=K`` of its K-th (ffmpeg's 0:v:K).

    Returns (index, failures): the index written to ``out_dir/index.json`` and, per video
    that could not be extracted, the error message. ``progress(done, total)`` is called
    with counts of videos. Safe to run again after an interruption (see the module doc):
    videos already extracted are skipped; given a dict as ``counts``, it receives how many
    were ``skipped`` and how many ``extracted`` now.
    """
    _odvd.PyNvGopDecoder(1, -1, True, video_stream=video_stream)  # checks the value (ValueError) before any work
    out = Path(out_dir)
    videos = [os.path.realpath(v) for v in find_videos(inputs)]
    workers = workers or min(8, os.cpu_count() or 1)
    local = threading.local()
    index: Dict[str, Dict[str, Any]] = {}
    failures: Dict[str, str] = {}
    done = 0

    skipped = []

    def run(real: str) -> Dict[str, Any]:
        record = _done_record(out, real, video_stream)
        if record is not None:
            skipped.append(real)
            return record
        if not hasattr(local, "decoder"):  # demux only: a CPU object
            local.decoder = _odvd.PyNvGopDecoder(GOPS_PER_CALL, -1, True, video_stream=video_stream)
        return extract_video(local.decoder, real, out, lambda: None, video_stream)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(run, v): v for v in videos}
        for future in as_completed(futures):
            real = futures[future]
            try:
                index[real] = future.result()
            except Exception as e:  # noqa: BLE001 - one bad video must not stop the dataset
                failures[real] = str(e)
            done += 1
            if progress is not None:
                progress(done, len(videos))
    if counts is not None:
        counts["skipped"] = len(skipped)
        counts["extracted"] = len(index) - len(skipped)
    result = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "videos": dict(sorted(index.items()))}
    _write_json(out / "index.json", result)
    return result, failures


class GopStore:
    """Decodes frames of videos from a folder written by :func:`extract_gops` (or
    ``odvd gops extract``), without opening the source videos.

    ``decoder`` is any PyNvGopDecoder / CachedGopDecoder (it picks the back end). Videos
    are named by the path they were extracted from (any spelling that resolves to the
    same real path, or the exact string stored in the index).
    """

    def __repr__(self) -> str:
        return f"<GopStore {str(self.root)!r}: {len(self.videos)} videos, decoder {self.decoder!r}>"

    def __init__(self, out_dir: str, decoder: Any = None):
        self.root = Path(out_dir)
        try:
            index = json.loads((self.root / "index.json").read_text(encoding="utf-8"))
        except OSError as e:
            raise RuntimeError(f"cannot read the GOP index '{self.root / 'index.json'}': {e}") from None
        except ValueError as e:
            raise RuntimeError(f"the GOP index '{self.root / 'index.json'}' is damaged: {e}") from None
        if index.get("format") != INDEX_FORMAT or index.get("version") != INDEX_VERSION:
            raise RuntimeError(f"'{self.root / 'index.json'}' is not a version {INDEX_VERSION} {INDEX_FORMAT} file")
        self.videos: Dict[str, Dict[str, Any]] = index["videos"]
        self._firsts = {v: [g[0] for g in rec["gops"]] for v, rec in self.videos.items()}
        self.decoder = decoder if decoder is not None else _odvd.PyNvGopDecoder(8, -1, True)

    def _record(self, video: str) -> Tuple[str, Dict[str, Any]]:
        for name in (video, os.path.realpath(os.fspath(video))):
            if name in self.videos:
                return name, self.videos[name]
        raise ValueError(f"'{video}' is not in the GOP index '{self.root / 'index.json'}'")

    def bundle_file(self, video: str, frame_id: int) -> str:
        """The stored bundle holding ``frame_id`` of ``video`` (ValueError when there is none)."""
        name, rec = self._record(video)
        if not 0 <= frame_id < rec["frame_count"]:
            raise ValueError(f"frame id {frame_id} is out of range for '{video}' "
                             f"(valid: 0..{rec['frame_count'] - 1})")
        g = bisect.bisect_right(self._firsts[name], frame_id) - 1
        return str(self.root / rec["gops"][g][2])

    def _files(self, videos: Sequence[str], frame_ids: Sequence[int]) -> List[str]:
        if len(videos) != len(frame_ids):
            raise ValueError(f"videos has {len(videos)} entries but frame_ids has {len(frame_ids)}")
        return [self.bundle_file(v, f) for v, f in zip(videos, frame_ids)]

    # Both decode methods hand the bundle files to the decoder, which reads each distinct file
    # once and verifies its checksums once (the bytes never reach Python, so they need no
    # second check before decoding, as arrays from LoadGopsToList would).
    def decode_rgb(self, videos: Sequence[str], frame_ids: Sequence[int], as_bgr: bool = False) -> List[Any]:
        """One RGBFrame per (video, frame id), in order."""
        files = self._files(videos, frame_ids)
        if not files:
            return []
        return self.decoder._DecodeBundleFilesRGB(files, [os.fspath(v) for v in videos], list(frame_ids), as_bgr)

    def decode(self, videos: Sequence[str], frame_ids: Sequence[int]) -> List[Any]:
        """One DecodedFrameExt (YUV) per (video, frame id), in order."""
        files = self._files(videos, frame_ids)
        if not files:
            return []
        return self.decoder._DecodeBundleFiles(files, [os.fspath(v) for v in videos], list(frame_ids))
