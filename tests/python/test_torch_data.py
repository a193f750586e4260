"""The PyTorch data path (issue #20): on_demand_video_decoder.torch.

Samplers against torch's own DistributedSampler and the shard rules; timestamp sampling on a
generated camera rig (25 fps, 25 fps starting 310 ms late, 15 fps) and a VFR file with exact
expected ids; the clip index's files; both DataLoader patterns through real DataLoader
workers (0, 2 fork, 2 spawn, persistent) with every frame checked by its watermark; memory
over 20 epochs; torchrun with 2 processes running examples/train_ddp.py.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (the test command installs it)")

import on_demand_video_decoder as nvc  # noqa: E402
from on_demand_video_decoder import _sample  # noqa: E402
from conftest import require_nvdec, video_path  # noqa: E402
import watermark  # noqa: E402
from on_demand_video_decoder.torch import (ClipBatchLoader, ClipIndex, ClipRule, DistributedClipSampler,  # noqa: E402
                                           GopBatchDecoder, GopClipDataset, MultiCameraClipDataset, collate_clips,
                                           collate_gops, frames_at_times)

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_imports_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import on_demand_video_decoder as nvc\n"
            "assert nvc.PyNvGopDecoder(1, -1)\n"
            "try:\n    import on_demand_video_decoder.torch\nexcept ImportError as e:\n    print('refused:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "refused:" in out.stdout and "torch" in out.stdout


# ---------------------------------------------------------------------------- samplers


@pytest.mark.parametrize("n", [0, 1, 7, 25, 64])
@pytest.mark.parametrize("world", range(1, 9))
def test_shards_are_disjoint_cover_and_match_torch(n, world):
    for drop_last in (False, True):
        shards = [list(DistributedClipSampler(n, num_replicas=world, rank=r, seed=3, drop_last=drop_last))
                  for r in range(world)]
        theirs = [list(torch.utils.data.DistributedSampler(range(n), num_replicas=world, rank=r, seed=3,
                                                           drop_last=drop_last)) for r in range(world)]
        assert shards == theirs  # the same rule as torch's sampler
        assert len({len(s) for s in shards}) <= 1
        flat = [i for s in shards for i in s]
        if drop_last:
            assert len(flat) == len(set(flat)) == (n // world) * world
        else:
            assert set(flat) == set(range(n))                     # covers
            assert len(flat) - len(set(flat)) == (-n) % world if n else len(flat) == 0  # only the padding repeats


def test_shards_are_deterministic_per_epoch_and_differ_across_epochs():
    def epoch(e, seed=0):
        out = []
        for r in range(4):
            s = DistributedClipSampler(100, num_replicas=4, rank=r, seed=seed)
            s.set_epoch(e)
            out.append(list(s))
        return out

    assert epoch(0) == epoch(0) and epoch(5) == epoch(5)
    assert epoch(0) != epoch(1) and epoch(1) != epoch(2)
    assert epoch(0) != epoch(0, seed=1)
    assert list(DistributedClipSampler(10, num_replicas=1, rank=0, shuffle=False)) == list(range(10))


def test_sampler_arguments_and_torchrun_environment(monkeypatch):
    with pytest.raises(ValueError, match="rank must be 0..1"):
        DistributedClipSampler(10, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be an int >= 1"):
        DistributedClipSampler(10, num_replicas=0, rank=0)
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setenv("RANK", "2")
    s = DistributedClipSampler(9, shuffle=False)
    assert (s.num_replicas, s.rank, list(s)) == (3, 2, [2, 5, 8])


# ---------------------------------------------------------------------------- time sampling


@pytest.fixture(scope="module")
def rig(manifest):
    names = ["rig_cam0.mkv", "rig_cam1_offset.mkv", "rig_cam2_15fps.mkv"]
    return ClipIndex({"drive": [video_path(manifest, n) for n in names]}, progress=False)


def test_the_index_reads_timestamps(rig, manifest):
    cam0, cam1, cam2 = rig[0].cameras
    assert (cam0.frame_count, cam1.frame_count, cam2.frame_count) == (50, 50, 30)
    assert np.allclose(cam1.timestamps[:3], [0.31, 0.35, 0.39])
    assert cam2.pts[:5].tolist() == [0, 67, 133, 200, 267]
    assert cam0.gop_starts == (0, 10, 20, 30, 40)


def test_frames_at_times_by_rule(rig, manifest):
    # camera 1 starts at 310 ms; camera 2 runs at 15 fps (frame k at round(1000 k / 15) ms).
    assert rig.frames_at(0, [0.8, 0.3, 1.96, 2.5]).tolist() == [[20, 7, 49, 49], [12, 0, 41, 49], [12, 4, 29, 29]]
    assert rig.frames_at(0, [0.64, 0.30], "previous").tolist() == [[16, 7], [8, -1], [9, 4]]
    assert rig.frames_at(0, [0.8, 0.81], "exact").tolist() == [[20, -1], [-1, -1], [12, -1]]
    assert rig.frames_at(0, [0.47], "exact", tolerance=0.0005).tolist() == [[-1], [4], [-1]]
    assert rig.frames_at(0, [0.47], "exact", tolerance=0.004).tolist() == [[-1], [4], [7]]  # 467 ms
    assert rig.frames_at(0, [0.3, 2.5], "nearest", tolerance=0.02).tolist() == [[7, -1], [0, -1], [-1, -1]]
    # A variable-rate file (timestamps from the generator's manifest), ties to the earlier frame.
    vfr = manifest["videos"]["h264_vfr.mp4"]
    ts = np.asarray(vfr["frame_pts"]) / 1000.0
    assert ts[:4].tolist() == [0.0, 0.045, 0.1, 0.13]
    assert frames_at_times(ts, [0.115, 0.129, 0.13, 0.89, 0.9], "nearest").tolist() == [2, 3, 3, 19, 20]
    assert frames_at_times(ts, [0.115, 0.129, 0.13, 0.9], "previous").tolist() == [2, 2, 3, 19]
    assert frames_at_times(ts, [0.245, 0.246], "exact").tolist() == [6, -1]
    assert frames_at_times(ts, [0.246], "exact", tolerance=0.002).tolist() == [6]
    with pytest.raises(ValueError, match="time_mode must be"):
        frames_at_times(ts, [0.1], "closest")


def test_clips_synchronised_by_time(rig):
    rule = ClipRule(clip_len=3, stride=4, sync="time", tolerance=0.034)
    ids, dropped = rule.clips(rig[0])
    assert dropped == 1  # the clip at 0 s: camera 1 has no frame within 34 ms of 0, 160 or 320 ms
    assert ids.tolist() == [
        [[12, 16, 20], [4, 8, 12], [7, 10, 12]],
        [[24, 28, 32], [16, 20, 24], [14, 17, 19]],
        [[36, 40, 44], [28, 32, 36], [22, 24, 26]],
    ]
    # By frame id: a clip past the shortest camera's end is left out, never padded.
    ids, dropped = ClipRule(clip_len=4, step=4).clips(rig[0])
    assert [int(c[0, 0]) for c in ids] == [0, 4, 8, 12, 16, 20, 24] and dropped == 5
    # Camera 1 as the reference: its times are later, camera 2 runs out first.
    ids, _ = ClipRule(clip_len=1, step=10, sync="time", reference_camera=1, time_mode="previous").clips(rig[0])
    assert ids[:, :, 0].tolist() == [[7, 0, 4], [17, 10, 10], [27, 20, 16], [37, 30, 22], [47, 40, 28]]
    with pytest.raises(ValueError, match="reference_camera 3 is not a camera"):
        ClipRule(reference_camera=3).clips(rig[0])
    with pytest.raises(ValueError, match="clip_len must be an int >= 1"):
        ClipRule(clip_len=0)
    with pytest.raises(ValueError, match="sync must be 'frame' or 'time'"):
        ClipRule(sync="pts")


def test_dataset_frames_are_the_synchronised_ones(rig):
    ds = MultiCameraClipDataset(rig, clip_len=3, stride=4, sync="time", tolerance=0.034, iGpu=-1, layout="NHWC")
    assert len(ds) == 3 and ds.dropped == 1
    item = ds[1]
    assert item["frames"].shape == (3, 3, 108, 192, 3) and item["frames"].dtype == torch.uint8
    assert item["frame_ids"].tolist() == [[24, 28, 32], [16, 20, 24], [14, 17, 19]]
    for c in range(3):
        for t in range(3):
            assert watermark.read_watermark_rgb(item["frames"][c, t].numpy()) == item["frame_ids"][c, t]
    assert np.allclose(item["timestamps"][1].numpy(), [0.95, 1.11, 1.27])
    assert item["sample"] == "drive" and item["index"] == 1 and item["files"] == rig[0].paths
    with pytest.raises(IndexError, match="dataset index 3 out of range"):
        ds[3]
    assert ds[-1]["index"] == 2


# ---------------------------------------------------------------------------- the index file


def test_index_round_trips_and_refuses_bad_files(rig, manifest, tmp_path):
    both = ClipIndex({"rig": rig[0].paths, "vfr": [video_path(manifest, "h264_vfr.mp4")]}, workers=2, progress=False)
    path = tmp_path / "index.json"
    both.save(path)
    doc = json.loads(path.read_text())
    records = [c for s in doc["samples"] for c in s["cameras"]]
    assert "pts_step" in records[0] and "pts" not in records[0]   # constant rate: (start, step)
    assert "pts" in records[3] and len(records[3]["pts"]) == 60   # variable rate: every timestamp
    again = ClipIndex.load(path)
    assert [s.name for s in again] == ["rig", "vfr"]
    for a, b in zip((c for s in both for c in s.cameras), (c for s in again for c in s.cameras)):
        assert a.path == b.path and a.frame_count == b.frame_count and a.gop_starts == b.gop_starts
        assert np.array_equal(a.pts, b.pts) and a.time_base == b.time_base
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match=r"bad.json.*not a clip index"):
        ClipIndex.load(tmp_path / "bad.json")
    (tmp_path / "cut.json").write_text(path.read_text()[:100])
    with pytest.raises(ValueError, match="cut.json"):
        ClipIndex.load(tmp_path / "cut.json")
    with pytest.raises(RuntimeError, match=r"sample 'two'.*missing.mp4"):
        ClipIndex({"one": rig[0].paths, "two": [str(tmp_path / "missing.mp4")]}, progress=False)
    with pytest.raises(TypeError, match="samples must be a list of camera-file lists"):
        ClipIndex("clip.mp4")


def test_index_parquet(rig, tmp_path):
    pytest.importorskip("pyarrow", reason="pyarrow is not installed: the Parquet index is skipped")
    rig.save(tmp_path / "index.parquet")
    again = ClipIndex.load(tmp_path / "index.parquet")
    assert [np.array_equal(a.pts, b.pts) for a, b in zip(rig[0].cameras, again[0].cameras)] == [True] * 3


# ---------------------------------------------------------------------------- DataLoader patterns


@pytest.fixture(scope="module")
def two_samples(manifest):
    a, b = video_path(manifest, "h264_gop30.mp4"), video_path(manifest, "h264_bframes_gop24.mp4")
    return ClipIndex({"ab": [a, b], "ba": [b, a]}, progress=False)


def check_batch(batch, clip_len=2):
    frames = batch["frames"]
    assert frames.shape[1:3] == (2, clip_len) and frames.shape[-1] == 3
    for b in range(frames.shape[0]):
        for c in range(2):
            for t in range(clip_len):
                assert watermark.read_watermark_rgb(frames[b, c, t].cpu().numpy()) == batch["frame_ids"][b, c, t]


def _collate_clips(items):  # importable by spawn workers
    return collate_clips(items)


def _collate_gops(items):
    return collate_gops(items)


@pytest.mark.parametrize("workers, context", [(0, None), (2, "fork"), (2, "spawn")])
def test_pattern_1_in_a_dataloader(two_samples, workers, context):
    ds = MultiCameraClipDataset(two_samples, clip_len=2, stride=7, iGpu=-1, layout="NHWC")
    loader = torch.utils.data.DataLoader(ds, batch_size=3, shuffle=True, num_workers=workers,
                                         multiprocessing_context=context, collate_fn=_collate_clips,
                                         persistent_workers=workers > 0)
    for epoch in range(2):
        seen = []
        for batch in loader:
            check_batch(batch)
            seen += batch["index"]
        assert sorted(seen) == list(range(len(ds)))


@pytest.mark.parametrize("workers, context", [(0, None), (2, "fork"), (2, "spawn")])
def test_pattern_2_in_a_dataloader(two_samples, workers, context):
    gops = GopClipDataset(two_samples, clip_len=2, stride=7)
    loader = torch.utils.data.DataLoader(gops, batch_size=3, shuffle=True, num_workers=workers,
                                         multiprocessing_context=context, collate_fn=_collate_gops,
                                         persistent_workers=workers > 0)
    decoder = GopBatchDecoder(-1, layout="NHWC")
    direct = MultiCameraClipDataset(two_samples, clip_len=2, stride=7, iGpu=-1, layout="NHWC")
    seen = []
    for batch in decoder.decode_all(loader):
        check_batch(batch)
        want = collate_clips(direct.__getitems__(batch["index"]))
        assert torch.equal(batch["frames"], want["frames"])
        seen += batch["index"]
    assert sorted(seen) == list(range(len(gops)))


def test_getitems_is_one_batch_without_a_copy(two_samples):
    ds = MultiCameraClipDataset(two_samples, clip_len=2, stride=7, iGpu=-1, size=(27, 48), dtype="float16",
                                mean=0.5, std=0.25)
    items = ds.__getitems__([4, 0, 9])
    batch = collate_clips(items)
    assert batch["frames"].shape == (3, 2, 2, 3, 27, 48) and batch["frames"].dtype == torch.float16
    assert batch["frames"].data_ptr() == items[0]["frames"].data_ptr()  # the decoded batch itself
    assert torch.equal(batch["frames"][1], ds[0]["frames"])
    assert batch["index"] == [4, 0, 9] and batch["frame_ids"].shape == (3, 2, 2)
    with pytest.raises(TypeError, match="unknown argument"):
        MultiCameraClipDataset(two_samples, sise=(3, 3))


def test_clip_batch_loader_overlaps_and_keeps_order(two_samples):
    ds = MultiCameraClipDataset(two_samples, clip_len=2, stride=7, iGpu=-1, layout="NHWC", parallel_calls=3)
    order = [[5, 1, 2], [0, 3], [4, 6, 7], [8]]
    got = [b["index"] for b in ClipBatchLoader(ds, order, depth=2)]
    assert got == order
    for b in ClipBatchLoader(ds, order, depth=3):
        check_batch(b)


def test_gop_batch_decoder_overlaps_and_keeps_order(two_samples):
    """decode_all(depth=k): batches decode on k threads ahead of the caller, come out in the
    loader's order with the frames of depth=1, a bad batch raises when it is due (not before the
    good ones ahead of it), and a caller that stops early does not hang."""
    gops = GopClipDataset(two_samples, clip_len=2, stride=7)
    order = [[5, 1, 2], [0, 3], [4, 6, 7], [8], [9, 2]]
    batches = [collate_gops([gops[i] for i in b]) for b in order]
    decoder = GopBatchDecoder(-1, layout="NHWC", parallel_calls=3)
    one = [b["frames"] for b in decoder.decode_all(batches, depth=1)]
    for depth in (2, 3):
        got = list(decoder.decode_all(batches, depth=depth))
        assert [b["index"] for b in got] == order
        for b, want in zip(got, one):
            check_batch(b)
            assert torch.equal(b["frames"], want)
    bad = dict(batches[2], bundle=np.zeros(64, dtype=np.uint8))
    seen = []
    with pytest.raises(RuntimeError, match="not a GOP bundle"):
        for b in decoder.decode_all(batches[:2] + [bad] + batches[3:], depth=2):
            seen.append(b["index"])
    assert seen == order[:2]
    stream = decoder.decode_all(iter(batches * 20), depth=2)
    assert next(stream)["index"] == order[0]
    stream.close()  # the batches not started are cancelled
    for bad_depth in (0, 1.5, True):
        with pytest.raises(ValueError, match="depth must be an int >= 1"):
            next(decoder.decode_all(batches, depth=bad_depth))
    with pytest.raises(ValueError, match="parallel_calls must be an int >= 1"):
        GopBatchDecoder(-1, parallel_calls=0)


def test_memory_is_flat_over_20_epochs(two_samples):
    ds = MultiCameraClipDataset(two_samples, clip_len=2, stride=13, iGpu=-1, size=(36, 64), dtype="float32")
    loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2,
                                         multiprocessing_context="fork", collate_fn=_collate_clips,
                                         persistent_workers=True)

    def rss_kib(pid):
        return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))

    marks = {}
    it = None
    for epoch in range(20):
        for _ in loader:
            pass
        if it is None:
            it = loader._iterator  # the persistent workers (a private attribute of DataLoader)
        if epoch in (4, 19):
            marks[epoch] = [rss_kib(os.getpid())] + [rss_kib(w.pid) for w in it._workers]
    growth = [(b - a) / 1024 for a, b in zip(marks[4], marks[19])]
    assert max(growth) < 8, f"RSS growth over epochs 5..20 (MiB; main, workers): {growth}"


# ---------------------------------------------------------------------------- torchrun


def require_demo_sample():
    """The example decodes the demo sample: one already made, or ffmpeg to make it (a GPU
    machine may have neither; CI has ffmpeg)."""
    if _sample.load_sample(_sample.default_sample_dir()) is not None:
        return
    try:
        _sample.find_ffmpeg()
    except _sample.SampleError as e:
        pytest.skip(f"no demo sample in {_sample.default_sample_dir()} and none can be made: {e}")


def run_example(*args, nproc=2, timeout=600):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           str(ROOT / "examples" / "train_ddp.py"), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    assert out.returncode == 0, f"stdout:\n{out.stdout}\nstderr:\n{out.stderr[-4000:]}"
    seen = {}
    for rank, world, epoch, clips in re.findall(r"rank (\d+)/(\d+) epoch (\d+) clips \[([\d, ]*)\]", out.stdout):
        seen[(int(epoch), int(rank))] = [int(x) for x in clips.split(",") if x.strip()]
    return out.stdout, seen


def test_torchrun_two_processes_see_disjoint_samples():
    if nvc.cuda_device_count() > 0:
        pytest.skip("this machine has a GPU: the GPU variant below runs instead")
    out, seen = run_example("--epochs", "2", "--max-clips", "10", "--size", "36", "64")
    for epoch in (0, 1):
        a, b = seen[(epoch, 0)], seen[(epoch, 1)]
        assert not set(a) & set(b) and sorted(a + b) == list(range(10)), out
    assert seen[(0, 0)] != seen[(1, 0)]  # reshuffled per epoch
    assert "decoding on the CPU" in out


def test_torchrun_pattern_2_with_spawn_workers():
    out, seen = run_example("--epochs", "1", "--max-clips", "8", "--size", "36", "64", "--pattern", "2",
                            "--workers", "2", nproc=1)
    assert sorted(seen[(0, 0)]) == list(range(8)), out


def test_example_on_the_gpu():
    require_nvdec()
    require_demo_sample()
    out, seen = run_example("--epochs", "2", "--max-clips", "40", nproc=1)
    assert "decoding on cuda:0" in out and sorted(seen[(0, 0)]) == list(range(40)), out
    out, seen = run_example("--epochs", "1", "--max-clips", "40", "--pattern", "2", "--workers", "4", nproc=1)
    assert sorted(seen[(0, 0)]) == list(range(40)), out


def test_gpu_dataset_refuses_workers(two_samples):
    require_nvdec()
    ds = MultiCameraClipDataset(two_samples, clip_len=2, iGpu=0)
    assert ds[0]["frames"].device.type == "cuda"
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=1, multiprocessing_context="spawn",
                                         collate_fn=_collate_clips)
    with pytest.raises(RuntimeError, match="decodes on the GPU .* in the main process only"):
        next(iter(loader))
