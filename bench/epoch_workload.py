"""The `epoch` workloads of bench/suite.py (issue #21): a shuffled epoch through EpochSampler
against uniform random access and sequential reading of the same config.

24 recordings of the config's 6 cameras (each recording a distinct set of paths: symlinks to
the camera files in rotated order, so no decoder session is shared between recordings); every
frame a sample. Runs: 1-frame samples (clip_len=1) and 4-frame clips (clip_len=4, step=4), each
at buffer sizes 1, 4 and 16 GiB (GPU; 64, 256, 1024 MiB on the CPU); samples are held in
training form, uint8 (cameras, T, 3, 448, 800) (1.1 MB a camera frame; 6.4 MB a 1-frame sample). A run stops at the end of the epoch
or at its time cap, whichever is first. Each row adds the randomness figures of its emitted
order (batches of 32) next to a uniform permutation's, and the buffer's peak bytes.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from overlap import steady_rate

RECORDINGS = 24
BATCH = 32
SIZE = (448, 800)


def recordings(paths: list[str], scratch: Path) -> list[list[str]]:
    folder = scratch / "epoch_recordings"
    folder.mkdir(exist_ok=True)
    out = []
    for r in range(RECORDINGS):
        files = []
        for k in range(len(paths)):
            link = folder / f"rec{r:02d}_cam{k}.mp4"
            if not link.exists():
                os.symlink(os.path.abspath(paths[(k + r) % len(paths)]), link)
            files.append(str(link))
        out.append(files)
    return out


def ours_epoch(clip, gpu: int, seconds: float, measure, counted, clip_len: int, buffer_mib: int,
               scratch: Path | None = None, groups_ahead: int | None = None,
               groups_in_flight: int = 4) -> dict | str:
    try:
        from on_demand_video_decoder.torch import ClipIndex, EpochSampler, MultiCameraClipDataset, randomness_report
    except ImportError as e:
        return f"PyTorch is not installed ({e})"
    scratch = scratch or Path(tempfile.mkdtemp(prefix="odvd-epoch-"))
    index = ClipIndex(recordings(clip.paths, scratch), progress=False)
    state: dict = {}

    def make():
        ds = MultiCameraClipDataset(index, clip_len=clip_len, step=clip_len, iGpu=gpu, parallel_calls=groups_in_flight,
                                    size=SIZE)
        return EpochSampler(ds, buffer_bytes=buffer_mib << 20, groups_in_flight=groups_in_flight,
                            groups_ahead=groups_ahead, seed=1)

    def warm(sampler):
        # The decoder made at the size the epoch's calls need (one group's entries) and its
        # CUDA context: a smaller one would be replaced, its sessions dropped, in the timed run.
        sampler.dataset.__getitems__(max(sampler.groups, key=len))
        return None

    def run(sampler, deadline):
        frames, lat, t, seen = 0, [], time.perf_counter(), []
        n = batch_frames = 0
        for item in sampler:
            batch_frames += item["frames"].shape[0] * item["frames"].shape[1]
            n += 1
            if n % BATCH == 0:
                now = time.perf_counter()
                seen.append((now, batch_frames))
                frames += batch_frames
                batch_frames = 0
                lat.append(now - t)
                t = now
                if now > deadline:
                    break
        frames += batch_frames  # a last, partial batch
        state["order"] = sampler.last_order or []
        state["peak"] = sampler.peak_bytes
        state["samples"] = n
        state["epoch"] = len(sampler)
        return frames, lat or [time.perf_counter() - t], {"steady_frames_per_s": steady_rate(seen)}

    def decoded(sampler):
        return counted(sampler.dataset._decoder.get(1))

    label = (f"epoch_T{clip_len}_{buffer_mib}MiB" + (f"_inflight{groups_in_flight}" if groups_in_flight != 4 else "")
             + (f"_ahead{groups_ahead}" if groups_ahead else ""))
    row = measure(label, gpu, make, run, warm=warm, decoded=decoded,
                  seconds=seconds)
    ds_for_report = MultiCameraClipDataset(index, clip_len=clip_len, step=clip_len, iGpu=-1)
    order = state.get("order") or []
    if order:
        report = randomness_report(order, ds_for_report, BATCH, seed=1)
        row["randomness"] = report
    row.update(buffer_mib=buffer_mib, buffer_peak_mib=state.get("peak", 0) / 2**20,
               samples=state.get("samples"), epoch_samples=state.get("epoch"), clip_len=clip_len)
    return row


def summary(config: dict) -> list[str]:
    lines = []
    for backend in ("nvdec", "cpu"):
        rows = [r for r in config["rows"] if r["backend"] == backend and r["workload"].startswith("epoch_")]
        if not rows:
            continue
        by = {r["workload"]: r for r in config["rows"] if r["backend"] == backend}
        base = by.get("random_x4") or by.get("random")
        seq = by.get("sequential")
        for r in rows:
            steady = r.get("steady_frames_per_s")
            parts = [f"{backend} {r['workload']}: {r['frames_per_s']:.0f} frames/s"
                     + (f" (steady {steady:.0f}, first to last batch of {BATCH})" if steady else "")]
            if base:
                parts.append(f"{r['frames_per_s'] / base['frames_per_s']:.2f}x {base['workload']}")
            if seq:
                parts.append(f"{r['frames_per_s'] / seq['frames_per_s']:.2f}x sequential")
            parts.append(f"{r.get('samples')}/{r.get('epoch_samples')} samples, buffer peak "
                         f"{r.get('buffer_peak_mib', 0):.0f} MiB, decoded/returned {r['decoded_per_returned']:.2f}")
            rnd = r.get("randomness")
            if rnd:
                o, u = rnd["order"], rnd["uniform"]
                parts.append(f"samples per recording in a batch of {BATCH}: {o['same_recording_mean']:.2f} "
                             f"(uniform {u['same_recording_mean']:.2f}), most {o['same_recording_max_mean']:.1f} "
                             f"({u['same_recording_max_mean']:.1f}); GOP lag median {o['gop_lag_median']:.0f} "
                             f"(uniform {u['gop_lag_median']:.0f})")
            lines.append("- " + "; ".join(parts))
    return lines
