"""The damage policy (issue #15 §3, Note [Damage policy]): on_error="raise" | "skip" | "nearest"
on PyNvGopDecoder / CreateGopDecoder (direct and bundle decoding) and PyNvSampleReader /
CreateSampleReader, with GetLastReport(), on both back ends.

Oracle: the watermark of every returned frame (the frame it claims to be) and the known
damage of the generated bad files (tests/videos/generate.py):
  * bad_corrupt.mp4: garbage in packets 17..22 of GOP 0 (frames 0..24): frames 16, 17, 19..24
    are refused, frame 18 (decoded before the damage) and 0..15 decode (test_errors.py);
  * bad_nal_length.mp4: packet 30's NAL length runs past the packet (FFmpeg drops it and
    decodes one frame fewer than there are packets): every frame from it on in decode order
    is refused, frames before it decode;
  * bad_truncated_faststart.mp4: frames cut off; a missing file; a text file.
"""

from __future__ import annotations

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import bad_path, frame_watermark, to_numpy, video_path
import watermark

CORRUPT_REFUSED = {16, 17, 19, 20, 21, 22, 23, 24}


def marks(frames) -> list:
    return [None if f is None else frame_watermark(f) for f in frames]


def rgb_marks(frames) -> list:
    return [None if f is None else watermark.read_watermark_rgb(to_numpy(f)) for f in frames]


def summary(report) -> list[tuple]:
    return [(r["entry"], r["requested"], r["returned"]) for r in report]


@pytest.fixture()
def files(manifest):
    return {"corrupt": bad_path(manifest, "bad_corrupt.mp4"), "good": video_path(manifest, "h264_gop30.mp4"),
            "nal": bad_path(manifest, "bad_nal_length.mp4"), "truncated": bad_path(manifest, "bad_truncated_faststart.mp4"),
            "text": bad_path(manifest, "bad_text.mp4")}


def call(files):
    """Frames 15, 16, 18, 20 and 30 of the corrupt file (one GOP holds the first four) and
    frame 5 of a good one, in one call."""
    return [files["corrupt"]] * 5 + [files["good"]], [15, 16, 18, 20, 30, 5]


def test_skip_returns_none_for_damaged_entries_and_every_other_frame(igpu, files):
    dec = nvc.PyNvGopDecoder(8, igpu, True, on_error="skip")
    paths, ids = call(files)
    assert marks(dec.Decode(paths, ids)) == [15, None, 18, None, 30, 5]
    report = dec.GetLastReport()
    assert summary(report) == [(1, 16, None), (3, 20, None)]
    for r in report:
        assert r["file"] == files["corrupt"] and "bad_corrupt.mp4" in r["reason"] and "corrupt" in r["reason"]
    # RGB too, and the next clean call leaves an empty report.
    assert rgb_marks(dec.DecodeN12ToRGB(paths, ids)) == [15, None, 18, None, 30, 5]
    assert marks(dec.Decode([files["good"]], [7])) == [7] and dec.GetLastReport() == []


def test_nearest_substitutes_the_closest_clean_frame_and_says_which(igpu, files):
    dec = nvc.CreateGopDecoder(8, igpu, True, on_error="nearest")
    paths, ids = call(files)
    # 16 -> 15 (one away; 17 is damaged too), 20 -> 18 (the only clean frame after the damage).
    assert marks(dec.Decode(paths, ids)) == [15, 15, 18, 18, 30, 5]
    assert summary(dec.GetLastReport()) == [(1, 16, 15), (3, 20, 18)]


def test_raise_names_every_failed_entry(igpu, files):
    dec = nvc.PyNvGopDecoder(8, igpu, True)  # on_error="raise", the default
    paths, ids = call(files)
    with pytest.raises(RuntimeError) as info:
        dec.Decode(paths, ids)
    message = str(info.value)
    assert "2 of 6 entries cannot be decoded" in message and "bad_corrupt.mp4" in message
    assert "entry 1:" in message and "entry 3:" in message, message
    assert summary(dec.GetLastReport()) == [(1, 16, None), (3, 20, None)]
    # One failure alone keeps its own message, naming its entry.
    with pytest.raises(RuntimeError, match=r"frame 16 cannot be decoded correctly.*\[entry 1\]"):
        dec.Decode([files["good"], files["corrupt"]], [0, 16])


def test_files_that_cannot_be_read_fail_their_entries_only(igpu, files):
    present = nvc._odvd.GetIndexInfo(files["truncated"])["frame_count"]
    missing = files["good"] + ".missing.mp4"
    paths = [files["good"], missing, files["text"], files["truncated"], files["truncated"]]
    ids = [3, 0, 0, present + 2, 0]
    dec = nvc.PyNvGopDecoder(8, igpu, True, on_error="skip")
    assert marks(dec.Decode(paths, ids)) == [3, None, None, None, 0]
    report = {r["entry"]: r for r in dec.GetLastReport()}
    assert sorted(report) == [1, 2, 3]
    assert "cannot open" in report[1]["reason"] and "bad_text.mp4" in report[2]["reason"]
    assert "truncated" in report[3]["reason"]
    # nearest: a frame cut off gets the last frame of the file that decodes (its watermark says so).
    dec = nvc.PyNvGopDecoder(8, igpu, True, on_error="nearest")
    got = dec.Decode(paths, ids)
    substitute = dict((r["entry"], r["returned"]) for r in dec.GetLastReport())
    assert substitute[1] is None and substitute[2] is None and 0 <= substitute[3] < present
    assert marks(got) == [3, None, None, substitute[3], 0]


def test_argument_errors_are_never_covered_by_the_policy(igpu, files):
    dec = nvc.PyNvGopDecoder(4, igpu, True, on_error="skip")
    with pytest.raises(ValueError, match="out of range"):
        dec.Decode([files["good"]], [10_000])
    with pytest.raises(ValueError, match="on_error"):
        nvc.PyNvGopDecoder(4, igpu, True, on_error="ignore")
    with pytest.raises(ValueError, match="on_error"):
        nvc.PyNvSampleReader(1, 1, igpu, True, on_error="")


def test_a_bad_nal_length_fails_exactly_the_frames_from_its_packet(igpu, files):
    """FFmpeg drops the packet; every frame from it on in decode order is refused, every
    other frame comes back right, with every policy."""
    n = nvc._odvd.GetIndexInfo(files["nal"])["frame_count"]
    results = {}
    for policy in ("skip", "nearest"):
        dec = nvc.PyNvGopDecoder(8, igpu, True, on_error=policy)
        got = []
        for a in range(0, n, 8):
            batch = list(range(a, min(n, a + 8)))
            got += marks(dec.Decode([files["nal"]] * len(batch), batch))
        results[policy] = got
    refused = {i for i, m in enumerate(results["skip"]) if m is None}
    assert refused and min(refused) >= 25 and 31 not in refused  # GOP 1 only; 31 decodes before the packet
    assert all(m in (None, i) for i, m in enumerate(results["skip"]))  # never a wrong frame
    for i, m in enumerate(results["nearest"]):
        assert m == i if i not in refused else m not in refused


def test_bundles_follow_the_policy(igpu, files):
    """GOP 0 of a good file as packet lists whose packet 10 is replaced by garbage (the file
    has no B-frames: decode order = frame order): frames from 10 on are refused."""
    demuxer = nvc.PyNvGopDecoder(4, -1, True)
    bundle, _, _ = demuxer.GetGOP([files["good"]], [0])
    (_, codecs, widths, heights, _, _, _, payloads, _, sizes, packet_ids) = demuxer.ParseSerializedPacketBundle(bundle)
    offsets = np.cumsum([0] + list(sizes[0]))
    packets = [payloads[0][a:b].copy() for a, b in zip(offsets, offsets[1:])]
    packets[10] = np.random.default_rng(10).integers(0, 256, packets[10].size, dtype=np.uint8)
    ids = [5, 12, 20]
    for policy, want in (("skip", [5, None, None]), ("nearest", [5, 9, 9])):
        dec = nvc.PyNvGopDecoder(4, igpu, True, on_error=policy)
        dec.DecodeFromPacketListInitialize(codecs * 3)
        got = dec.DecodeFromPacketListRGB([packets] * 3, packet_ids * 3, widths * 3, heights * 3, ids)
        assert rgb_marks(got) == want
        assert [(r["entry"], r["requested"], r["returned"]) for r in dec.GetLastReport()] == \
            [(1, 12, want[1]), (2, 20, want[2])]
    dec = nvc.PyNvGopDecoder(4, igpu, True)
    dec.DecodeFromPacketListInitialize(codecs * 3)
    with pytest.raises(RuntimeError, match="packet list 1"):
        dec.DecodeFromPacketListRGB([packets] * 3, packet_ids * 3, widths * 3, heights * 3, ids)


def test_sample_reader_follows_the_policy(igpu, files):
    ids = [14, 15, 16, 17, 18, 19, 20, 26]
    want = {"skip": [14, 15, None, None, 18, None, None, 26], "nearest": [14, 15, 15, 18, 18, 18, 18, 26]}
    for policy in ("skip", "nearest"):
        reader = nvc.CreateSampleReader(1, 2, igpu, True, on_error=policy)
        got = reader.DecodeBatch([files["corrupt"], files["good"]], [ids, [3, 4]])
        assert [marks(g) for g in got] == [want[policy], [3, 4]]
        report = reader.GetLastReport()
        assert [(r["entry"], r["requested"]) for r in report] == [(0, 16), (0, 17), (0, 19), (0, 20)]
        # A later clean call: empty report; frame after frame on the same slot still works.
        assert marks(reader.Decode([files["corrupt"]], [30])) == [30] and reader.GetLastReport() == []
    reader = nvc.PyNvSampleReader(1, 1, igpu, True)
    with pytest.raises(RuntimeError, match="bad_corrupt.mp4"):
        reader.DecodeBatch([files["corrupt"]], [ids])
