"""Opt-in content check (issue #16 §6): digests recorded when a dataset is built, checked when
a decoder opens each file, so damage no decoder can see (a bit flipped in residual data) is
caught before training on it."""

from __future__ import annotations

import os
import shutil
import zlib

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import video_path

NAMES = ["h264_gop30.mp4", "hevc_bframes.ts", "vp9_gop8.webm"]


@pytest.fixture()
def files(manifest, tmp_path):
    out = []
    for name in NAMES:
        shutil.copy(video_path(manifest, name), tmp_path / name)
        out.append(str(tmp_path / name))
    return out


def flip_a_byte_keeping_size_and_time(path):
    """The damage a copy or a disk can do unseen: same size, same modification time."""
    st = os.stat(path)
    data = bytearray(open(path, "rb").read())
    data[len(data) * 2 // 3] ^= 0x01
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_digest_is_size_and_crc32_of_the_bytes(files):
    for path in files:
        data = open(path, "rb").read()
        assert nvc.content_digest(path) == f"{len(data)}-{zlib.crc32(data):08x}"
    assert nvc.content_digests(files, workers=2) == {p: nvc.content_digest(p) for p in files}
    with pytest.raises(RuntimeError, match="missing.mp4"):
        nvc.content_digest(os.path.join(os.path.dirname(files[0]), "missing.mp4"))
    with pytest.raises(TypeError, match="a list of paths"):
        nvc.content_digests(files[0])


def test_decoders_check_each_file_they_open(files):
    digests = nvc.content_digests(files)
    ids = [0, 5, 7]
    want = nvc.PyNvGopDecoder(3, -1, True).DecodeN12ToRGB(files, ids)
    checked = nvc.PyNvGopDecoder(3, -1, True, content_digests=digests)
    got = checked.DecodeN12ToRGB(files, ids)
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(got, want))
    reader = nvc.PyNvSampleReader(1, 3, -1, True, content_digests=digests)
    assert len(reader.DecodeN12ToRGB(files, [0, 0, 0])) == 3

    flip_a_byte_keeping_size_and_time(files[1])
    for make in (lambda: nvc.PyNvGopDecoder(3, -1, True, content_digests=digests).DecodeN12ToRGB(files, ids),
                 lambda: nvc.CreateGopDecoder(3, -1, True, content_digests=digests).GetGOP(files, ids),
                 lambda: nvc.PyNvSampleReader(1, 3, -1, True, content_digests=digests).DecodeN12ToRGB(files, [0] * 3)):
        with pytest.raises(RuntimeError, match="is not the file that was recorded: its content digest is") as info:
            make()
        assert os.path.basename(files[1]) in str(info.value) and digests[files[1]] in str(info.value)
    # The damage policy covers it like any damage: the other files still decode.
    skipping = nvc.PyNvGopDecoder(3, -1, True, content_digests=digests, on_error="skip")
    frames = skipping.DecodeN12ToRGB(files, ids)
    assert frames[1] is None and frames[0] is not None and frames[2] is not None
    assert "not the file that was recorded" in skipping.GetLastReport()[0]["reason"]


def test_a_file_without_a_digest_is_refused(files):
    digests = nvc.content_digests(files[:1])
    dec = nvc.PyNvGopDecoder(2, -1, True, content_digests=digests)
    assert len(dec.Decode(files[:1], [0])) == 1
    with pytest.raises(RuntimeError, match="has no recorded content digest"):
        dec.Decode(files[1:2], [0])
    # None and {} mean no check.
    for off in (None, {}):
        assert len(nvc.PyNvGopDecoder(2, -1, True, content_digests=off).Decode(files[1:2], [0])) == 1


@pytest.mark.parametrize("bad, error, match", [
    (["a"], TypeError, "content_digests must be None or a dict"),
    ({"clip.mp4": 5}, TypeError, r"content_digests\['clip.mp4'\] must be a digest string, got int 5"),
    ({5: "1-0"}, TypeError, "content_digests key"),
    ({"a\0b": "1-0"}, ValueError, "NUL"),
])
def test_content_digests_argument_errors(bad, error, match):
    with pytest.raises(error, match=match):
        nvc.PyNvGopDecoder(1, -1, True, content_digests=bad)
    with pytest.raises(error, match=match):
        nvc.PyNvSampleReader(1, 1, -1, True, content_digests=bad)
