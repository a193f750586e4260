#!/usr/bin/env python3
"""Memory soak (issue #16): does a long run of decoding calls hold its memory flat?

Two phases, one after the other, each `--calls` calls:
  random   PyNvGopDecoder.DecodeN12ToRGB: every call `--entries` random (file, frame) pairs
           drawn from every video (so the files, codecs, sizes and bit depths switch all the
           time and decoder sessions are reconfigured or replaced);
  reader   PyNvSampleReader(num_of_set=1, num_of_file=--entries).DecodeN12ToRGB: short forward
           runs (8 frames) of randomly chosen files, a new choice after each run (file switching
           through the reader's slots).
Every `--every` calls it samples host RSS (/proc/self/statm), device memory in use (NVML; the
whole GPU, so run it alone on the card) and the decoder's own pool counters (_stats():
device_live_bytes, device_cached_bytes). Growth is reported from the sample at the end of the
warm-up (`--warmup` calls, every file seen and every session made by then) to the last sample;
both the difference and the trend (least-squares slope times the calls spanned) are
reported, and the rise: the most in use over the last third of the samples less the most over
the first third. The goal is flat: the pool's live bytes rise at most 1 MiB; its cache (which
follows the sizes of recent allocations), host RSS and NVML at most `--rise-mib` (16): on NVDEC,
sessions made and dropped as files switch move both by tens of MiB either way, so single
readings and slopes swing, while a leak lifts the ceiling. RSS is sampled after glibc's
malloc_trim, so free heap the allocator keeps does not count.
On NVDEC the sessions open at the moment of a sample swing host RSS by +-100 MiB or more (the H100
soak, bench/RESULTS.md §21: not malloc'd memory, which mallinfo2 shows flat, but the driver's
own mappings), far above any leak the verdict must see; `--settle` closes every session and
frees the pool before RSS and NVML are read (the pool's counters are read first), so each
sample counts what the process keeps. `--fallback` picks the files NVDEC decodes or those it
refuses (decoded on the CPU and uploaded).
SIGTERM (`timeout`, a device call's limit) ends the phase under way: it is judged on the samples
taken so far, said so ("cut short"), no later phase runs, and the exit status is 3 (1: growth,
2: undecided, 0: flat).
`--phases random` or `--phases reader` runs one phase (10,000 calls of each do not fit one
device call: random access on NVDEC over the test videos runs ~13 calls of 4 entries a second, ~18
of 2 on an H100; `bash tools/device/soak_call.sh random|reader` is one call each).

    python3 bench/soak.py --gpu 0 --videos tests/videos/generated --out OUT   # NVDEC
    python3 bench/soak.py --gpu -1 --calls 2000 ...                           # CPU back end

Videos: every file in the test generator's manifest that the back end decodes (on NVDEC: H.264
8-bit, HEVC, VP9 in 4:2:0; on the CPU: all but the bad_* files). Frames are converted
to RGB and dropped at once (each returned tensor is released before the next call), as a
training loop does. Writes OUT/soak.json (every sample) and prints a table. Each sample also splits
RSS by kind of mapping (anonymous, /dev/nvidia*, files: /proc/self/smaps) and counts Python's
objects, so growth can be placed (not judged).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import on_demand_video_decoder as nvc

MIB = 1 << 20


class _NvmlMemory(ctypes.Structure):
    _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]


class DeviceMemory:
    """Device memory in use on one GPU (NVML), or None on the CPU back end / without NVML."""

    def __init__(self, gpu: int):
        self.handle = None
        if gpu < 0:
            return
        try:
            self.nvml = ctypes.CDLL("libnvidia-ml.so.1")
            if self.nvml.nvmlInit_v2() != 0:
                return
            handle = ctypes.c_void_p()
            if self.nvml.nvmlDeviceGetHandleByIndex_v2(gpu, ctypes.byref(handle)) == 0:
                self.handle = handle
        except OSError:
            pass

    def used(self) -> int | None:
        if self.handle is None:
            return None
        m = _NvmlMemory()
        if self.nvml.nvmlDeviceGetMemoryInfo(self.handle, ctypes.byref(m)) != 0:
            return None
        return int(m.used)


_LIBC = ctypes.CDLL(None)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def heap_bytes() -> int | None:
    """Bytes malloc has handed out and not had back (glibc mallinfo2: in use in the arenas plus
    mmapped chunks), or None without mallinfo2 (glibc < 2.33). Beside RSS it tells a leak of
    malloc'd memory (both rise) from memory the driver maps itself (only RSS rises)."""
    fn = getattr(_LIBC, "mallinfo2", None)
    if fn is None:
        return None
    fn.restype = _Mallinfo2
    m = fn()
    return int(m.uordblks + m.hblkhd)


def thread_count() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Threads:"))


def rss_bytes() -> int:
    # Free heap pages go back to the OS first (glibc malloc_trim): what is left is what the
    # process holds, not what the allocator keeps in its arenas for the next call.
    _LIBC.malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def rss_parts() -> dict:
    """Host RSS by kind of mapping (/proc/self/smaps), to say where growth lives: "anon"
    (malloc's arenas, Python's object arenas, the driver's own anonymous mappings), "nvidia"
    (mappings of /dev/nvidia*: memory the driver shares with the GPU), "files" (libraries and
    other mapped files). Beside them "py_blocks": Python objects alive (sys.getallocatedblocks)."""
    parts = {"anon": 0, "nvidia": 0, "files": 0}
    maps = {}  # anonymous mappings: start address -> [RSS bytes, size, name] (where growth sits)
    kind, where = "anon", ""
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split(maxsplit=6)
            if not head:
                continue
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):  # a mapping's first line
                path = head[5] if len(head) > 5 else ""
                kind = ("nvidia" if path.startswith("/dev/nvidia") else
                        "anon" if not path.startswith("/") else "files")
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                where = (lo, hi - lo, path)
            elif head[0] == "Rss:":
                parts[kind] += int(head[1]) * 1024
                if kind == "anon":
                    maps[f"{where[0]:x}"] = [int(head[1]) * 1024, where[1], where[2]]
    parts["py_blocks"] = sys.getallocatedblocks()
    parts["maps"] = maps
    return parts


def grown_mappings(base: dict, last: dict, top: int = 6) -> str:
    """The anonymous mappings whose RSS grew most from `base` to `last` (rss_parts()["maps"]), each
    with its size; a glibc thread arena sits 64 MiB-aligned ("arena?"), the main one is [heap]."""
    rows = []
    for start, (rss, size, name) in last.items():
        grew = rss - base.get(start, [0])[0]
        if grew > 0:
            tag = " arena?" if int(start, 16) % (64 * MIB) == 0 else ""
            rows.append((grew, f"{start} {name}({size / MIB:.1f} MiB{tag}) {grew / MIB:+.2f}"))
    rows.sort(reverse=True)
    return "; ".join(text for _, text in rows[:top]) or "none"


def pick_videos(folder: Path, gpu: int) -> list[tuple[str, int]]:
    manifest = json.loads((folder / "manifest.json").read_text())
    out = []
    for name, e in sorted(manifest["videos"].items()):
        if name.startswith("bad") or not e.get("frame_count") or "framemd5" not in e:
            continue
        if gpu >= 0:
            # The NVDEC of the GPUs we run on (Turing to Hopper): no 4:2:2, no H.264 10-bit, no AV1.
            if "422" in e["pix_fmt"] or e["codec"] not in ("h264", "hevc", "vp9"):
                continue
            if e["codec"] == "h264" and e["bit_depth"] != 8:
                continue
        if e.get("features") and "damaged" in e["features"]:
            continue
        out.append((str(folder / e["file"]), int(e["frame_count"])))
    if not out:
        raise SystemExit(f"no usable videos in {folder}")
    return out


class Sampler:
    def __init__(self, phase: str, every: int, warmup: int, device: DeviceMemory, stats, settle=None):
        self.phase, self.every, self.warmup = phase, every, warmup
        self.device, self.stats, self.settle = device, stats, settle
        self.cut = False  # stopped by SIGTERM before its last call
        self.samples: list[dict] = []

    def maybe(self, calls: int, elapsed: float) -> None:
        if calls % self.every:
            return
        s = self.stats()  # the pool's counters first: settling empties its cache
        if self.settle is not None:
            self.settle()
        self.samples.append({"calls": calls, "seconds": round(elapsed, 2), "rss": rss_bytes(),
                             "heap": heap_bytes(), "threads": thread_count(),
                             "device_used": self.device.used(), "pool_live": s.get("device_live_bytes", 0),
                             "pool_cached": s.get("device_cached_bytes", 0), "parts": rss_parts()})
        last = self.samples[-1]
        # Per-mapping figures are kept for the base (the first sample after warm-up, or the first
        # of all) and the latest only: kept for every sample they would be the Python objects
        # that grow.
        base = next((x for x in self.samples if x["calls"] >= self.warmup), None)
        for earlier in self.samples[:-1]:
            if earlier is not base and earlier is not self.samples[0]:  # [0]: the base before warm-up ends
                earlier["parts"].pop("maps", None)
        # A line per sample: a run stopped by a time limit still leaves its figures.
        heap = "-" if last["heap"] is None else f"{last['heap'] / MIB:.1f}"
        print(f"  {self.phase} {calls} calls, {elapsed:.1f} s: RSS {last['rss'] / MIB:.1f} MiB (malloc'd {heap} MiB, "
              f"{last['threads']} threads), NVML "
              f"{nvml_mib(last['device_used'])} MiB, pool live+cached "
              f"{(last['pool_live'] + last['pool_cached']) / MIB:.1f} MiB; RSS anon/nvidia/files "
              f"{last['parts']['anon'] / MIB:.1f}/{last['parts']['nvidia'] / MIB:.1f}/{last['parts']['files'] / MIB:.1f} "
              f"MiB, {last['parts']['py_blocks']} Python objects", flush=True)

    def growth(self) -> dict:
        base = next((s for s in self.samples if s["calls"] >= self.warmup), self.samples[0])
        last = self.samples[-1]
        out = {}
        for key in ("rss", "device_used", "pool_live", "pool_cached"):
            if base[key] is None or last[key] is None:
                out[key] = None
            else:
                out[key] = last[key] - base[key]
        out["from_calls"], out["to_calls"] = base["calls"], last["calls"]
        # The trend: least-squares slope of each measure over the samples after warm-up, times
        # the calls they span (a leak grows steadily; allocator noise averages out).
        after = [s for s in self.samples if s["calls"] >= base["calls"]]
        for key in ("rss", "device_used", "pool_live", "pool_cached"):
            if len(after) < 3 or any(s[key] is None for s in after):
                out[key + "_trend"] = None
                continue
            xs = [s["calls"] for s in after]
            ys = [s[key] for s in after]
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
            out[key + "_trend"] = slope * (xs[-1] - xs[0])
        # The rise: the most in use over the last third of the samples after warm-up, less the
        # most over the first third. NVDEC sessions made and dropped as files switch move the
        # device's (and the driver's host) memory by tens of MiB either way, so two single
        # readings, or a slope through them, swing with whichever sessions happen to be open;
        # the ceiling does not, unless something leaks.
        third = len(after) // 3
        for key in ("rss", "device_used", "pool_live", "pool_cached"):
            if third < 2 or any(s[key] is None for s in after):
                out[key + "_rise"] = None
                continue
            out[key + "_rise"] = max(s[key] for s in after[-third:]) - max(s[key] for s in after[:third])
        # Where RSS went (not judged): each kind of mapping, and Python's objects, last - base.
        out["parts"] = {k: last["parts"][k] - base["parts"][k] for k in base["parts"] if k != "maps"}
        out["grown_mappings"] = grown_mappings(base["parts"].get("maps", {}), last["parts"].get("maps", {}))
        # The largest excursion above the post-warm-up base: a leak that is freed at the end
        # would still show here.
        out["rss_peak_over_base"] = max(s["rss"] for s in self.samples if s["calls"] >= base["calls"]) - base["rss"]
        return out


class Cut(Exception):
    """SIGTERM (a device call's time limit, `timeout`) arrived: report what was sampled."""


def _cut(signum, frame):
    raise Cut()


def settler(args, decoder):
    """With --settle: what to run before RSS and NVML are read (see the module's docstring)."""
    if not args.settle:
        return None

    def settle() -> None:
        decoder.release_decoder()
        decoder.release_device_memory()
    return settle


def run_random(args, videos, device) -> Sampler:
    rng = random.Random(args.seed)
    dec = nvc.PyNvGopDecoder(args.entries, args.gpu, True)
    sampler = Sampler("random", args.every, args.warmup, device, dec._stats, settler(args, dec))
    start = time.perf_counter()
    try:
        for call in range(1, args.calls + 1):
            chosen = [rng.choice(videos) for _ in range(args.entries)]
            frames = dec.DecodeN12ToRGB([p for p, _ in chosen], [rng.randrange(n) for _, n in chosen], False)
            del frames
            sampler.maybe(call, time.perf_counter() - start)
    except Cut:
        sampler.cut = True
    return sampler


def run_reader(args, videos, device) -> Sampler:
    rng = random.Random(args.seed + 1)
    reader = nvc.PyNvSampleReader(1, args.entries, args.gpu, True, decode_ahead_mib=args.decode_ahead_mib)
    sampler = Sampler("reader", args.every, args.warmup, device, reader._stats, settler(args, reader))
    run = 8
    start = time.perf_counter()
    try:
        _read_runs(args, videos, reader, sampler, rng, run, start)
    except Cut:
        sampler.cut = True
    return sampler


def _read_runs(args, videos, reader, sampler, rng, run, start) -> None:
    call = 0
    while call < args.calls:
        chosen = [rng.choice(videos) for _ in range(args.entries)]
        firsts = [rng.randrange(max(1, n - run)) for _, n in chosen]
        for k in range(run):
            if call == args.calls:
                break
            ids = [min(f + k, n - 1) for f, (_, n) in zip(firsts, chosen)]
            frames = reader.DecodeN12ToRGB([p for p, _ in chosen], ids, False)
            del frames
            call += 1
            sampler.maybe(call, time.perf_counter() - start)


def nvml_mib(v) -> str:
    return "-" if v is None else f"{v / MIB:.0f}"


def fmt_mib(v) -> str:
    return "n/a" if v is None else f"{v / MIB:+.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gpu", type=int, default=0, help="CUDA ordinal, -1 for the CPU back end")
    ap.add_argument("--videos", type=Path, default=Path(__file__).resolve().parent.parent / "tests/videos/generated")
    ap.add_argument("--calls", type=int, default=10_000, help="calls per phase")
    ap.add_argument("--entries", type=int, default=4, help="files per call")
    ap.add_argument("--every", type=int, default=500, help="sample every N calls")
    ap.add_argument("--warmup", type=int, default=1000, help="calls before the growth baseline")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--fallback", choices=("include", "exclude", "only"), default="include",
                    help="on a GPU: soak every file (include), only those NVDEC decodes (exclude), or only "
                         "those it refuses, decoded on the CPU and uploaded (only)")
    ap.add_argument("--decode-ahead-mib", type=int, default=-1,
                    help="the sample reader's decode_ahead_mib (-1: its default, on for NVDEC, off on the CPU)")
    ap.add_argument("--phases", default="random,reader",
                    help="which phases, in order (one per process fits a device call's time limit)")
    ap.add_argument("--rise-mib", type=int, default=16,
                    help="most host RSS / device memory may rise (see the rise in growth())")
    ap.add_argument("--settle", action="store_true",
                    help="before each sample, close the decoder's sessions and free its pooled memory, so RSS "
                         "and NVML count what the process keeps, not which sessions happen to be open")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.warmup >= args.calls:
        ap.error("--warmup must be below --calls")

    import warnings
    warnings.simplefilter("ignore")  # unsignalled colour ranges, once per file: not the subject here
    videos = pick_videos(args.videos, args.gpu)
    if args.gpu >= 0 and args.fallback != "include":
        # Which files NVDEC refuses (decoded on the CPU and uploaded: Device fallback) is the
        # GPU's answer, not the manifest's: ask it, one frame each.
        probe = nvc.PyNvGopDecoder(1, args.gpu, True)
        native = [v for v in videos if probe.DecodeN12ToRGB([v[0]], [0], False)[0].backend == "nvdec"]
        del probe
        fallback = [v for v in videos if v not in native]
        videos = fallback if args.fallback == "only" else native
        print(f"soak: {len(native)} files on NVDEC, {len(fallback)} on the CPU fallback; "
              f"soaking the {'fallback' if args.fallback == 'only' else 'NVDEC'} ones", flush=True)
        if not videos:
            raise SystemExit("soak: no videos left by --fallback")
    device = DeviceMemory(args.gpu)
    print(f"soak: {len(videos)} videos, {args.calls} calls per phase of {args.entries} entries, "
          f"{'GPU ' + str(args.gpu) if args.gpu >= 0 else 'CPU'}", flush=True)
    report = {"gpu": args.gpu, "calls": args.calls, "entries": args.entries, "every": args.every,
              "warmup": args.warmup, "videos": [p for p, _ in videos], "phases": {}}
    ok = True
    undecided = False
    phases = {"random": run_random, "reader": run_reader}
    chosen = [p.strip() for p in args.phases.split(",") if p.strip()]
    for name in chosen:
        if name not in phases:
            ap.error(f"--phases: expected names from {sorted(phases)}, got {name!r}")
    signal.signal(signal.SIGTERM, _cut)
    cut = False
    for name in chosen:
        fn = phases[name]
        sampler = fn(args, videos, device)
        if not sampler.samples:
            print(f"{name}: stopped (SIGTERM) before its first sample", flush=True)
            return 3
        g = sampler.growth()
        secs = sampler.samples[-1]["seconds"]
        done = sampler.samples[-1]["calls"]
        report["phases"][name] = {"samples": sampler.samples, "growth": g, "seconds": secs, "cut": sampler.cut}
        if sampler.cut:
            cut = True
            print(f"{name}: stopped by SIGTERM after {done} of {args.calls} calls; judged on what was sampled",
                  flush=True)
        print(f"{name:7s} {done} calls in {secs:.1f} s; growth from call {g['from_calls']} to "
              f"{g['to_calls']} (MiB, last - first; trend): host RSS {fmt_mib(g['rss'])}; {fmt_mib(g['rss_trend'])} "
              f"(peak {fmt_mib(g['rss_peak_over_base'])}), "
              f"device (NVML) {fmt_mib(g['device_used'])}; {fmt_mib(g['device_used_trend'])}, "
              f"pool live {fmt_mib(g['pool_live'])}, pool cached {fmt_mib(g['pool_cached'])}", flush=True)
        print("        samples (calls: RSS MiB / NVML MiB / pool live+cached MiB): " + ", ".join(
            f"{s['calls']}: {s['rss'] / MIB:.1f}/{nvml_mib(s['device_used'])}/"
            f"{(s['pool_live'] + s['pool_cached']) / MIB:.1f}" for s in sampler.samples), flush=True)
        parts = g["parts"]
        print(f"        host RSS by mapping, last - first (MiB): anon {fmt_mib(parts['anon'])}, /dev/nvidia* "
              f"{fmt_mib(parts['nvidia'])}, files {fmt_mib(parts['files'])}; Python objects "
              f"{parts['py_blocks']:+d}; grown most: {g['grown_mappings']}", flush=True)
        print(f"        rise (most in use, last third - first third, MiB): host RSS {fmt_mib(g['rss_rise'])}, "
              f"device (NVML) {fmt_mib(g['device_used_rise'])}, pool live {fmt_mib(g['pool_live_rise'])}, "
              f"pool cached {fmt_mib(g['pool_cached_rise'])}", flush=True)
        # Flat: the frames the pool hands out and gets back (live bytes, exact) at most 1 MiB; its
        # cache, which follows the sizes of the last 4,096 allocations (Note [Device memory pool]),
        # host RSS and device memory in use (moved by sessions coming and going) at most --rise-mib.
        limits = {"pool_live": MIB, "pool_cached_rise": args.rise_mib * MIB, "rss_rise": args.rise_mib * MIB,
                  "device_used_rise": args.rise_mib * MIB}
        if g["pool_live_rise"] is None:  # fewer than 6 samples after warm-up: no thirds to compare
            undecided = True
            print("        too few samples after warm-up to judge (6 or more needed: lower --every)", flush=True)
        for key, limit in limits.items():
            if g[key] is not None and g[key] > limit:
                ok = False
                print(f"        GROWTH: {key} {fmt_mib(g[key])} MiB > {limit / MIB:.0f} MiB", flush=True)
        if sampler.cut:
            break  # the time is up: no later phase
    report["flat"] = ok and not undecided
    report["cut"] = cut
    verdict = "GROWTH" if not ok else "undecided" if undecided else "flat"
    verdict += " (cut short)" if cut else ""
    print(f"soak: {verdict} (pool live bytes at most 1 MiB, its cache, host RSS and device memory "
          f"at most {args.rise_mib} MiB higher at the end than early on)", flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "soak.json").write_text(json.dumps(report, indent=1))
    return 1 if not ok else 2 if undecided else 3 if cut else 0


if __name__ == "__main__":
    sys.exit(main())
