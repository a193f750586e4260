"""Peer: NVIDIA ACCV-Lab's accvlab.on_demand_video_decoder, the API this library implements,
for bench/suite.py (workloads peer_accvlab*).

It is not installed anywhere: bench/peers/accvlab_build.sh builds it from ACCV-Lab's source
against our static FFmpeg into .carry/accvlab, which is put on PYTHONPATH (tools/device/run_gpu.sh
accvlab). Each access pattern uses the path ACCV-Lab's own samples and examples use for it:

  random, random x4, multi-frame  CreateGopDecoder(maxfiles=entries) + DecodeN12ToRGB(paths, ids,
      as_bgr=False, fastStreamInfos): the stream information is read once beforehand with
      GetFastInitInfo (samples/SampleRandomAccessWithFastInit.py: its decoder opens a demuxer per
      entry on every call, and the FastStreamInfo spares it the stream probing). Entries are
      decoded independently (one demuxer and one NVDEC decoder per entry, even for entries of
      the same file), so a multi-frame call decodes from the key frame once per entry.
  sequential  CreateSampleReader(num_of_set=1, num_of_file=cameras).DecodeN12ToRGB(paths, [k]*n)
      (samples/SampleStreamAccess.py; num_of_set=1: the same clip every call). Its
      DecodeN12ToRGBAsync prefetch would only overlap work a caller does between calls, and the
      suite's loop does none, so the synchronous call is the one measured, as for ours.
  GOP bundles  its demuxer-free path (examples/demuxer_free_decode, the one its StreamPETR
      evaluation used): beforehand every GOP of every camera is extracted with GetGOP and saved
      with SavePacketsToFile (one file per GOP, untimed, `extract_s`); each call loads the calls'
      GOP files with LoadGops and decodes them with DecodeFromGOPRGB (no demuxer). `api="list"`
      uses LoadGopsToList + DecodeFromGOPListRGB instead (its samples' "list approach").

Frames come back as RGBFrame objects in GPU memory (``__cuda_array_interface__``, uint8 HWC)
owned by the decoder's memory pool; the library synchronises its decode streams before a call
returns (cuStreamSynchronize at the end of each entry's decode), so the callers do not
synchronise the device again (which would also serialise the x4 callers)."""

from __future__ import annotations

import bisect
import ctypes
import glob
import importlib.machinery
import importlib.util
import json
import os
import time
from pathlib import Path


def _load():
    try:
        spec = importlib.util.find_spec("accvlab.on_demand_video_decoder")
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        raise ImportError("accvlab.on_demand_video_decoder is not on sys.path (bash bench/peers/accvlab_build.sh "
                          "builds it into .carry/accvlab; put that folder on PYTHONPATH)")
    # Its __init__ replaces a failed load of the extension by an error that names no cause (and,
    # on Python >= 3.12, by `No module named 'distutils'`): load the shared object first so that
    # a missing library (libcuda.so.1 where there is no driver) is what gets reported.
    folders = list(spec.submodule_search_locations or [])
    found = [so for folder in folders for suffix in importlib.machinery.EXTENSION_SUFFIXES
             for so in glob.glob(os.path.join(folder, "_PyNvOnDemandDecoder" + suffix))]
    if not found:
        built = [os.path.basename(p) for folder in folders for p in glob.glob(os.path.join(folder, "_PyNvOnDemandDecoder*"))]
        raise ImportError(f"no accvlab extension for this Python ({importlib.machinery.EXTENSION_SUFFIXES[0]}) in "
                          f"{folders}: found {built or 'none'}")
    ctypes.CDLL(found[0])
    import accvlab.on_demand_video_decoder as module
    return module


acc = _load()
import torch  # noqa: E402  (after the load: a missing accvlab is reported first)

VERSION = getattr(acc, "__version__", "?")


class Caller:
    """Random access: one decoder for `paths` (entries; a path may repeat). ``caller(ids)``
    decodes frame ids[k] of paths[k] and returns the RGBFrame list (complete on return)."""

    def __init__(self, paths: list[str], gpu: int, fast_init: bool = True):
        self.paths = list(paths)
        self.decoder = acc.CreateGopDecoder(maxfiles=len(self.paths), iGpu=gpu, suppressNoColorRangeWarning=True)
        self.infos = acc.GetFastInitInfo(self.paths) if fast_init else []

    def __call__(self, ids: list[int]) -> list:
        return self.decoder.DecodeN12ToRGB(self.paths, list(ids), False, self.infos)


class SampleReader:
    """Sequential reading: ``reader(ids)`` decodes frame ids[k] of paths[k] through its
    PyNvSampleReader (one reader set: the same clip on every call)."""

    def __init__(self, paths: list[str], gpu: int):
        self.paths = list(paths)
        self.reader = acc.CreateSampleReader(num_of_set=1, num_of_file=len(self.paths), iGpu=gpu,
                                             suppressNoColorRangeWarning=True)

    def __call__(self, ids: list[int]) -> list:
        return self.reader.DecodeN12ToRGB(self.paths, list(ids), False)


def extract_gops(paths: list[str], frame_counts: list[int], store_dir: Path,
                 gpu: int) -> tuple[list[list[tuple[int, int, str]]], float]:
    """Every GOP of every path saved as its own bundle file (GetGOP + SavePacketsToFile, GOP
    after GOP up to the path's frame count, as examples/demuxer_free_decode/gop_storage.py does).
    Returns, per path, the sorted (first frame, GOP length, file) triples and the seconds spent;
    a store already complete for these paths is reused (0 seconds)."""
    store_dir = Path(store_dir)
    index_file = store_dir / "index.json"
    if index_file.exists():
        saved = json.loads(index_file.read_text())
        if saved.get("paths") == list(paths) and all(os.path.exists(f) for cam in saved["gops"] for _, _, f in cam):
            return [[tuple(g) for g in cam] for cam in saved["gops"]], 0.0
    store_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    demuxer = acc.CreateGopDecoder(maxfiles=1, iGpu=gpu, suppressNoColorRangeWarning=True)
    index = []
    for k, (path, count) in enumerate(zip(paths, frame_counts)):
        info = acc.GetFastInitInfo([path])
        gops, frame = [], 0
        while frame < count:
            data, firsts, lengths = demuxer.GetGOP([path], [frame], info)
            first, length = int(firsts[0]), int(lengths[0])
            if not first <= frame < first + length:
                raise RuntimeError(f"GetGOP({path}, {frame}) gave the GOP {first}..{first + length - 1}")
            file = str(store_dir / f"cam{k}.gop.{first}.{length}.bin")
            acc.SavePacketsToFile(data, file)
            gops.append((first, length, file))
            frame = first + length
        index.append(gops)
    seconds = time.perf_counter() - t
    index_file.write_text(json.dumps({"paths": list(paths), "gops": index}))
    return index, seconds


class GopBundles:
    """Decoding from saved GOP bundles (extract_gops' index): ``bundles(ids)`` loads the GOP
    file of frame ids[k] of paths[k] for every k and decodes the frames from them."""

    def __init__(self, paths: list[str], gpu: int, index: list[list[tuple[int, int, str]]], api: str = "merged"):
        self.paths = list(paths)
        self.index = index
        self.firsts = [[g[0] for g in cam] for cam in index]
        self.api = api
        self.decoder = acc.CreateGopDecoder(maxfiles=len(self.paths), iGpu=gpu, suppressNoColorRangeWarning=True)

    def files(self, ids: list[int]) -> list[str]:
        out = []
        for k, f in enumerate(ids):
            first, length, file = self.index[k][bisect.bisect_right(self.firsts[k], f) - 1]
            if not first <= f < first + length:
                raise ValueError(f"frame {f} of {self.paths[k]} is in no extracted GOP")
            out.append(file)
        return out

    def __call__(self, ids: list[int]) -> list:
        files = self.files(ids)
        if self.api == "list":
            return self.decoder.DecodeFromGOPListRGB(self.decoder.LoadGopsToList(files), self.paths, list(ids), False)
        return self.decoder.DecodeFromGOPRGB(self.decoder.LoadGops(files), self.paths, list(ids), False)


def max_abs_diff(frames: list, reference: list, gpu: int) -> int | str:
    """Largest |difference| between two lists of RGB frames in GPU memory (HWC uint8 through
    __cuda_array_interface__); a string when their number or shapes differ."""
    if len(frames) != len(reference):
        return f"{len(frames)} frames vs {len(reference)}"
    worst = 0
    for a, b in zip(frames, reference):
        ta = torch.as_tensor(a, device=f"cuda:{gpu}")
        tb = torch.as_tensor(b, device=f"cuda:{gpu}")
        if ta.shape != tb.shape:
            return f"shape {tuple(ta.shape)} vs {tuple(tb.shape)}"
        worst = max(worst, int((ta.to(torch.int16) - tb.to(torch.int16)).abs().max()))
    return worst
