"""Hostile arguments (issue #16 §2-§5): every option has a documented bound, every argument of
the wrong kind or out of range raises an error that names it, says what was expected and what
came, paths with NUL bytes are refused (the system would read them only up to the NUL), and the
bundle loaders refuse FIFOs, devices, sockets and junk at once instead of blocking or reading it all.

Each case was a defect before: a crash (worker_threads=10**6 aborted the interpreter), a hang
(LoadGops on a FIFO), a wrong file decoded (NUL paths), or pybind11's list of signatures."""

from __future__ import annotations

import hashlib
import os
import re
import pathlib
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import frame_watermark, video_path

CPU = -1
INT32_MAX = 2**31 - 1


@pytest.fixture(scope="module")
def clip(manifest) -> str:
    return video_path(manifest, "h264_gop30.mp4")


@pytest.fixture(scope="module")
def bundle_file(clip, tmp_path_factory) -> str:
    bundle, _, _ = nvc.PyNvGopDecoder(1, CPU).GetGOP([clip], [3])
    path = str(tmp_path_factory.mktemp("bundles") / "clip.gop")
    nvc.SavePacketsToFile(bundle, path)
    return path


# --- §3: every option bounded -----------------------------------------------------------

GOP_OPTIONS = [  # (keyword, lowest, highest); the bound is in the message, as the README lists it
    ("maxfiles", 1, 65536), ("worker_threads", 0, 1024), ("decoder_threads", 0, 64), ("parallel_calls", 1, 64),
    ("session_cache_mib", 0, 524288)]
READER_OPTIONS = [("num_of_set", 1, 1024), ("num_of_file", 1, 65536), ("worker_threads", 0, 1024),
                  ("decoder_threads", 0, 64)]


def gop_decoder(**kw):
    args = {"maxfiles": 1, "iGpu": CPU, **kw}
    return nvc.PyNvGopDecoder(args.pop("maxfiles"), args.pop("iGpu"), **args)


def sample_reader(**kw):
    args = {"num_of_set": 1, "num_of_file": 1, "iGpu": CPU, **kw}
    return nvc.PyNvSampleReader(args.pop("num_of_set"), args.pop("num_of_file"), args.pop("iGpu"), **args)


@pytest.mark.parametrize("make, options", [(gop_decoder, GOP_OPTIONS), (sample_reader, READER_OPTIONS)],
                         ids=["PyNvGopDecoder", "PyNvSampleReader"])
def test_every_option_has_a_documented_bound(make, options):
    for name, lo, hi in options:
        for bad in (lo - 1, hi + 1, 10**6, 10**30, -(10**30)):
            with pytest.raises(ValueError, match=rf"^{name} must be {lo}\.\.{hi} \(got {bad}\)"):
                make(**{name: bad})
        for kind, bad in (("str", "4"), ("float", 4.0), ("bool", True), ("NoneType", None), ("list", [4])):
            with pytest.raises(TypeError, match=rf"^{name} must be an integer, got {kind} "):
                make(**{name: bad})
        make(**{name: np.int64(max(lo, 1))})  # numpy integers are integers
    with pytest.raises(ValueError, match=r"decode_ahead_mib must be -1 \(the default\), 0 \(off\) or a budget up to "
                                         r"65536 MiB \(got 65537\)"):
        sample_reader(decode_ahead_mib=65537)
    with pytest.raises(ValueError, match=r"video_stream must be -1 .*0\.\.1023 \(got 1024\)"):
        make(video_stream=1024)


def test_products_of_options_are_bounded_too():
    with pytest.raises(ValueError, match=r"maxfiles \* parallel_calls must be at most 65536 decode sessions "
                                         r"\(got 65536 \* 2\)"):
        gop_decoder(maxfiles=65536, parallel_calls=2)
    with pytest.raises(ValueError, match=r"num_of_file \* num_of_set must be at most 65536 open files"):
        sample_reader(num_of_file=1024, num_of_set=1024)


def test_the_largest_values_work(clip):
    """At the bounds the objects are made and decode: the limits are not below what works."""
    dec = gop_decoder(maxfiles=65536, worker_threads=1024, decoder_threads=64, parallel_calls=1)
    assert frame_watermark(dec.Decode([clip], [40])[0]) == 40
    reader = sample_reader(num_of_set=64, num_of_file=1024, worker_threads=64, decoder_threads=64)
    assert frame_watermark(reader.Decode([clip], [41])[0]) == 41


def test_a_refused_thread_is_neither_an_error_nor_an_abort(clip):
    """Worker threads start when a call needs them (util/thread_pool.hpp); with the address
    space too small for 1024 thread stacks the system refuses some, and the calling thread runs
    what they would have: the call returns the right frames. (Before threads started lazily
    the constructor raised; before that, std::terminate killed the interpreter.)"""
    script = textwrap.dedent(f"""
        import hashlib, resource, numpy as np, on_demand_video_decoder as nvc
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # 2 GiB; 1024 stacks want 8
        dec = nvc.PyNvGopDecoder(1, -1, worker_threads=1024)
        for frame in (40, 7):  # a converted frame is split into 2 x 1025 bands: a task per band
            print(hashlib.md5(np.asarray(dec.DecodeN12ToRGB([{clip!r}], [frame])[0]).tobytes()).hexdigest())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    dec = nvc.PyNvGopDecoder(1, CPU)
    want = [hashlib.md5(np.asarray(dec.DecodeN12ToRGB([clip], [f])[0]).tobytes()).hexdigest() for f in (40, 7)]
    assert out.stdout.split() == want


# --- §4: NUL bytes in paths ---------------------------------------------------------------

def test_paths_with_a_nul_byte_are_refused_everywhere(clip, bundle_file, tmp_path):
    nul = clip + "\x00junk"
    dec = nvc.PyNvGopDecoder(2, CPU)
    bundle, _, _ = dec.GetGOP([clip], [3])
    message = r"filepaths\[1\] contains a NUL byte at position \d+: str '.*h264_gop30.mp4\\x00junk'"
    calls = [
        lambda: dec.Decode([clip, nul], [0, 0]),
        lambda: dec.DecodeN12ToRGB([clip, nul], [0, 0]),
        lambda: dec.GetGOP([clip, nul], [0, 0]),
        lambda: dec.GetGOPList([clip, nul], [0, 0]),
        lambda: dec.DecodeFromGOP(dec.MergePacketDataToOne([bundle, bundle]), [clip, nul], [3, 3]),
        lambda: nvc.GetFastInitInfo([clip, nul]),
        lambda: nvc.PyNvSampleReader(1, 2, CPU).Decode([clip, nul], [0, 0]),
        lambda: nvc.PyNvSampleReader(1, 2, CPU).DecodeN12ToRGB([clip, nul], [0, 0]),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match=r"file_paths\[0\] contains a NUL byte"):
        dec.LoadGops([bundle_file + "\x00x"])
    with pytest.raises(ValueError, match=r"file_paths\[0\] contains a NUL byte"):
        dec.LoadGopsToList([bundle_file + "\x00x"])
    with pytest.raises(ValueError, match=r"dst_filepath contains a NUL byte"):
        nvc.SavePacketsToFile(bundle, str(tmp_path / "a.gop") + "\x00b")
    assert not (tmp_path / "a.gop").exists()
    for call in (nvc.GetVideoStreams, nvc._odvd.GetIndexInfo):
        with pytest.raises(ValueError, match=r"filepath contains a NUL byte"):
            call(nul)
    for bytes_path in (os.fsencode(nul), pathlib.PurePosixPath("a\x00b")):
        with pytest.raises(ValueError, match="NUL byte"):
            dec.Decode([bytes_path], [0])
    with pytest.raises(ValueError):  # the pure-Python parts: os and pathlib refuse it themselves
        nvc.extract_gops([clip], str(tmp_path / "out\x00x"))


# --- §5: errors that name the argument ----------------------------------------------------

def test_wrong_kinds_of_arguments_are_named(clip):
    dec = nvc.PyNvGopDecoder(4, CPU)
    reader = nvc.PyNvSampleReader(1, 2, CPU)
    cases = [  # (call, error, message)
        (lambda: dec.Decode([clip], [2**31]), ValueError,
         r"^frame_ids\[0\] must be -2147483648\.\.2147483647 \(got 2147483648\) \(frame ids are 32-bit\)$"),
        (lambda: dec.Decode([clip, clip], [0, 1.5]), TypeError, r"^frame_ids\[1\] must be an integer, got float 1\.5$"),
        (lambda: dec.Decode([clip], None), TypeError, r"^frame_ids must be a list of integers, got NoneType None$"),
        (lambda: dec.Decode([clip], [[1, 2]]), TypeError, r"^frame_ids\[0\] must be an integer, got list \[1, 2\]$"),
        (lambda: dec.Decode([clip], [True]), TypeError, r"^frame_ids\[0\] must be an integer, got bool True$"),
        (lambda: dec.Decode([clip], "0"), TypeError, r"^frame_ids must be a list of integers, got str '0'$"),
        (lambda: dec.Decode(clip, [0]), TypeError,
         r"^filepaths must be a list of paths, got str '.*' \(one path is a list of one: \[path\]\)$"),
        (lambda: dec.Decode(pathlib.Path(clip), [0]), TypeError, r"^filepaths must be a list of paths, got .*Path"),
        (lambda: dec.Decode([clip, 7], [0, 0]), TypeError,
         r"^filepaths\[1\] must be a path \(str or os\.PathLike\), got int 7$"),
        (lambda: dec.Decode(None, [0]), TypeError, r"^filepaths must be a list of paths, got NoneType None$"),
        (lambda: dec.Decode({clip: 0}, [0]), TypeError, r"^filepaths must be a list of paths, got dict "),
        (lambda: dec.DecodeN12ToRGB([clip], [0], as_bgr="yes"), TypeError,
         r"^as_bgr must be True or False, got str 'yes'$"),
        (lambda: dec.DecodeN12ToRGB([clip], [0], "no"), TypeError, r"^as_bgr must be True or False, got str 'no'$"),
        (lambda: dec.Decode([clip], [0], ["info"]), TypeError,
         r"^fastStreamInfos\[0\] must be a FastStreamInfo, got str 'info'$"),
        (lambda: nvc.PyNvGopDecoder("4", CPU), TypeError, r"^maxfiles must be an integer, got str '4'$"),
        (lambda: nvc.PyNvGopDecoder(4, "0"), TypeError, r"^iGpu must be an integer, got str '0'$"),
        (lambda: nvc.PyNvGopDecoder(4, CPU, "yes"), TypeError,
         r"^suppressNoColorRangeWarning must be True or False, got str 'yes'$"),
        (lambda: nvc.PyNvGopDecoder(4, CPU, on_error=1), TypeError, r"^on_error must be a str, got int 1$"),
        (lambda: reader.DecodeBatch([clip], [[0, 1.0]]), TypeError,
         r"^frame_ids\[0\]\[1\] must be an integer, got float 1\.0$"),
        (lambda: reader.DecodeN12ToRGB([clip], [0], 1), TypeError, r"^as_bgr must be True or False, got int 1$"),
        (lambda: nvc.GetFastInitInfo(clip), TypeError, r"^filepaths must be a list of paths, got str"),
        (lambda: nvc.GetFastInitInfo([clip], video_stream="0"), TypeError, r"^video_stream must be an integer"),
        (lambda: dec.LoadGops("x.gop"), TypeError, r"^file_paths must be a list of paths, got str 'x\.gop'"),
        (lambda: dec.MergePacketDataToOne(None), TypeError, r"^packet_data_arrays must be a list of GOP bundles"),
        (lambda: dec.DecodeFromGOP("junk", [clip], [0]), TypeError,
         r"^numpy_data must be a numpy uint8 array \(or bytes\), got str 'junk'$"),
        (lambda: nvc.SavePacketsToFile([1, 2], "x.gop"), TypeError,
         r"^numpy_data must be a numpy uint8 array \(or bytes\), got list \[1, 2\]$"),
        (lambda: dec.DecodeFromPacketListInitialize(["h264"]), TypeError,
         r"^codec_ids\[0\] must be an integer, got str 'h264'$"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()


def test_what_is_accepted_still_is(clip):
    """Tuples, numpy integer arrays, ranges, pathlib paths, bytes paths and numpy booleans."""
    dec = nvc.PyNvGopDecoder(4, CPU, True)
    frames = dec.Decode((pathlib.Path(clip), os.fsencode(clip)), np.array([5, 6], dtype=np.int64))
    assert [frame_watermark(f) for f in frames] == [5, 6]
    frames = dec.DecodeN12ToRGB([clip] * 3, range(7, 10), as_bgr=np.bool_(False))
    assert [f.shape[-1] if hasattr(f, "shape") else 3 for f in frames] == [3, 3, 3]
    assert len(nvc.PyNvSampleReader(1, 1, CPU, True).DecodeBatch([clip], [np.arange(3)])[0]) == 3


def test_junk_given_as_a_bundle_says_it_is_no_bundle(bundle_file, tmp_path):
    dec = nvc.PyNvGopDecoder(1, CPU)
    zeros = tmp_path / "zeros.gop"
    zeros.write_bytes(bytes(10))
    with pytest.raises(RuntimeError, match=r"zeros\.gop': not a GOP bundle: 10 bytes beginning 00 00 00 00 00 00 00 "
                                           r"00 00 00 \(a bundle of ours begins with 'ODVDGOPB'"):
        dec.LoadGops([str(zeros)])
    sparse = tmp_path / "sparse.gop"  # 2 GiB of nothing: refused from its first bytes, never read whole
    with open(sparse, "wb") as f:
        f.truncate(2**31)
    with pytest.raises(RuntimeError, match=r"not a GOP bundle: 2147483648 bytes beginning 00 00"):
        dec.LoadGopsToList([str(sparse)])
    text = tmp_path / "notes.gop"
    text.write_text("hello, this is text\n")
    with pytest.raises(RuntimeError, match=r"not a GOP bundle: 20 bytes beginning 68 65 6c 6c 6f"):
        dec.LoadGops([bundle_file, str(text)])
    with pytest.raises(RuntimeError, match=r"^numpy_data: not a GOP bundle: 4 bytes beginning 6a 75 6e 6b"):
        nvc.SavePacketsToFile(b"junk", str(tmp_path / "junk.gop"))
    assert not (tmp_path / "junk.gop").exists()


# --- §2: bundle loaders on things that are not regular files ------------------------------

LOAD_IN_CHILD = textwrap.dedent("""
    import sys, on_demand_video_decoder as nvc
    dec = nvc.PyNvGopDecoder(1, -1)
    for load in (dec.LoadGops, dec.LoadGopsToList):
        try:
            load([sys.argv[1]])
            print("loaded")
        except RuntimeError as e:
            print("refused:", e)
""")


def load_elsewhere(path: str) -> list[str]:
    """LoadGops and LoadGopsToList on `path` in a child process (a regression would block
    forever: the timeout turns that into a failure, not a hung test run)."""
    out = subprocess.run([sys.executable, "-c", LOAD_IN_CHILD, path], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_bundle_loaders_refuse_fifos_devices_and_sockets_at_once(tmp_path):
    fifo = tmp_path / "pipe.gop"
    os.mkfifo(fifo)
    assert load_elsewhere(str(fifo)) == [f"refused: cannot read '{fifo}': a FIFO (named pipe), not a regular file"] * 2
    assert load_elsewhere("/dev/zero") == ["refused: cannot read '/dev/zero': a character device, not a regular "
                                           "file"] * 2
    assert load_elsewhere(str(tmp_path)) == [f"refused: cannot read '{tmp_path}': a directory, not a regular file"] * 2
    sock_path = tmp_path / "s.gop"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(sock_path))
        lines = load_elsewhere(str(sock_path))
    assert len(lines) == 2 and all(line.startswith(f"refused: cannot open '{sock_path}': ") for line in lines)
    # Videos too (stat first, as before): a FIFO is refused, not opened.
    dec = nvc.PyNvGopDecoder(1, CPU)
    with pytest.raises(RuntimeError, match="not a regular file"):
        dec.Decode([str(fifo)], [0])
