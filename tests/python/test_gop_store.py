"""Dataset-scale bundles: ``odvd gops extract`` stores every GOP of a folder of videos
with an index, resumably; GopStore decodes any (video, frame) from them without the
source videos, exactly as direct decoding does."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from on_demand_video_decoder import cli
from conftest import bad_path, to_numpy, video_path

NAMES = ["h264_gop30.mp4", "hevc_bframes.ts", "h264_open_gop.mp4", "hevc_hev1_open_gop.mp4"]


@pytest.fixture()
def dataset(manifest, tmp_path):
    src = tmp_path / "src"
    (src / "cams").mkdir(parents=True)
    for i, name in enumerate(NAMES):
        shutil.copy(video_path(manifest, name), src / ("cams" if i % 2 else "") / name)
    (src / "notes.txt").write_text("not a video, not picked up")
    return src


def stored_files(out):
    return {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def test_extract_then_decode_without_the_sources(dataset, manifest, tmp_path, capsys):
    out = tmp_path / "gops"
    assert cli.main(["gops", "extract", str(dataset), "--out", str(out), "--workers", "2"]) == 0
    assert "4 videos" in capsys.readouterr().out
    index = json.loads((out / "index.json").read_text())
    assert index["format"] == "odvd-gop-index" and len(index["videos"]) == 4
    originals = {}
    for real, rec in index["videos"].items():
        info = nvc._odvd.GetIndexInfo(real)
        assert [g[0] for g in rec["gops"]] == info["gop_first_frame_ids"]
        assert [g[1] for g in rec["gops"]] == info["gop_lengths"]
        originals[real] = video_path(manifest, os.path.basename(real))
    # Decode from the store after the sources are gone; compare with the originals.
    shutil.rmtree(dataset)
    store = nvc.GopStore(str(out))
    rng = np.random.default_rng(3)
    for real, rec in index["videos"].items():
        ids = sorted(set(rng.integers(0, rec["frame_count"], 6).tolist()) | {0, rec["frame_count"] - 1})
        direct = nvc.PyNvGopDecoder(8, -1, True).DecodeN12ToRGB([originals[real]] * len(ids), ids)
        got = store.decode_rgb([real] * len(ids), ids)
        assert all(np.array_equal(to_numpy(a), to_numpy(b)) for a, b in zip(got, direct)), real
        yuv = store.decode([real] * 2, ids[:2])
        want = nvc.PyNvGopDecoder(8, -1, True).Decode([originals[real]] * 2, ids[:2])
        assert all(np.array_equal(to_numpy(a), to_numpy(b)) for a, b in zip(yuv, want))
    with pytest.raises(ValueError, match="not in the GOP index"):
        store.decode_rgb(["/nowhere.mp4"], [0])
    with pytest.raises(ValueError, match="out of range"):
        store.decode_rgb([next(iter(index["videos"]))], [10_000])


def test_extract_is_resumable(dataset, tmp_path, capsys):
    out = tmp_path / "gops"
    assert cli.main(["gops", "extract", str(dataset), "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert "already extracted" not in first
    before = stored_files(out)
    assert cli.main(["gops", "extract", str(dataset), "--out", str(out)]) == 0
    videos = int(first.split()[0])
    assert f"; {videos} videos already extracted, skipped)" in capsys.readouterr().out  # the re-run says so
    after = stored_files(out)
    bundles = {p: t for p, t in before.items() if p.suffix == ".gop" or p.name == "video.json"}
    assert all(after[p] == t for p, t in bundles.items())  # nothing redone
    # An interruption in the middle of one video: its video.json and a GOP file missing.
    victim = next(p for p in before if p.name == "video.json")
    gop = next(victim.parent.glob("*.gop"))
    victim.unlink()
    gop.unlink()
    assert cli.main(["gops", "extract", str(dataset), "--out", str(out)]) == 0
    again = stored_files(out)
    assert gop in again and victim in again
    others = [p for p in bundles if p.parent != victim.parent]
    assert all(again[p] == before[p] for p in others)
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]


def test_bad_videos_are_reported_and_the_rest_extracted(dataset, manifest, tmp_path, capsys):
    shutil.copy(bad_path(manifest, "bad_text.mp4"), dataset / "broken.mp4")
    out = tmp_path / "gops"
    assert cli.main(["gops", "extract", str(dataset), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "broken.mp4" in err
    assert len(json.loads((out / "index.json").read_text())["videos"]) == 4
    assert cli.main(["gops", "extract", str(tmp_path / "missing"), "--out", str(out)]) == 2
    with pytest.raises(RuntimeError, match="index.json"):
        nvc.GopStore(str(tmp_path / "empty"))


def test_store_files_are_verified_when_decoding(dataset, tmp_path):
    """GopStore reads each bundle file once per call and checks it before decoding: a file
    damaged after extraction is refused with its name; entries sharing a file (and files of
    several videos in one call) decode right."""
    out = tmp_path / "gops"
    assert cli.main(["gops", "extract", str(dataset), "--out", str(out)]) == 0
    store = nvc.GopStore(str(out))
    videos = sorted(store.videos)
    a, b = videos[0], videos[1]
    ids_a = [0, 1, 2, 0]  # one GOP file named by four entries
    got = store.decode_rgb([a] * 4 + [b], ids_a + [5])
    direct = nvc.PyNvGopDecoder(8, -1, True).DecodeN12ToRGB([a] * 4 + [b], ids_a + [5])
    assert all(np.array_equal(to_numpy(x), to_numpy(y)) for x, y in zip(got, direct))
    assert store.decode_rgb([], []) == [] and store.decode([], []) == []

    target = store.bundle_file(a, 1)
    raw = bytearray(open(target, "rb").read())
    raw[len(raw) // 2] ^= 0x40  # a payload byte: only the checksum can tell
    open(target, "wb").write(bytes(raw))
    for method in (store.decode_rgb, store.decode):
        with pytest.raises(RuntimeError, match="checksum") as err:
            method([b, a], [5, 1])
        assert os.path.basename(target) in str(err.value)
    open(target, "wb").write(bytes(raw[:40]))  # truncated
    with pytest.raises(RuntimeError) as err:
        store.decode_rgb([a], [0])
    assert os.path.basename(target) in str(err.value)
    # An undamaged video of the same store still decodes.
    assert len(store.decode_rgb([b], [5])) == 1
