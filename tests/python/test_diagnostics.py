"""Diagnostics used by the benchmarks: the decoder-limit measurement and the scope
profiler (ODVD_PROFILE)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import on_demand_video_decoder as nvc
from conftest import video_path


def require_bench() -> None:
    """The decoder-limit helpers are linked into source builds only (bench/native)."""
    if not hasattr(nvc._odvd, "_decode_throughput"):
        pytest.skip("this build has no benchmark helpers (ODVD_BUILD_BENCH=OFF, e.g. a release wheel)")


def test_decode_throughput_counts_every_picture(manifest):
    require_bench()
    path = video_path(manifest, "h264_gop30.mp4")
    r = nvc._odvd._decode_throughput([path], -1, 2, 0.3)
    assert r["streams"] == 2 and r["pictures"] >= 30
    assert r["pictures_per_s"] > 0
    with pytest.raises(ValueError):
        nvc._odvd._decode_throughput([path], -1, 0, 1.0)
    with pytest.raises(RuntimeError, match="missing.mp4"):
        nvc._odvd._decode_throughput(["/nowhere/missing.mp4"], -1, 1, 0.1)


def test_profiler_is_off_by_default_and_collects_when_asked(manifest):
    path = video_path(manifest, "h264_gop30.mp4")
    script = textwrap.dedent(f"""
        import json, on_demand_video_decoder as nvc
        nvc.PyNvGopDecoder(2, -1, True, decoder_threads=1).DecodeN12ToRGB([{path!r}] * 2, [3, 40])
        prof = nvc._odvd._profile(True)
        print(json.dumps({{k: v[1] for k, v in prof.items()}}))
        print(json.dumps(nvc._odvd._profile()))
        print(json.dumps(prof))
    """)
    env = {k: v for k, v in os.environ.items() if k != "ODVD_PROFILE"}
    off = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout.splitlines()[0]) == {}
    on = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                        env={**env, "ODVD_PROFILE": "1"}, timeout=120)
    assert on.returncode == 0, on.stderr
    counts = json.loads(on.stdout.splitlines()[0])
    assert counts["call.plan_and_decode"] == 1 and counts["call.convert_and_sync"] == 1
    assert counts["session.read_packets"] == 2  # two GOPs of one file
    assert json.loads(on.stdout.splitlines()[1]) == {}  # reset
    # (wall s, count, CPU s of the thread): one thread ran each scope, so its CPU time is
    # at most the wall time; sending packets decodes them on that thread (libavcodec), so
    # it is not nothing.
    prof = json.loads(on.stdout.splitlines()[2])
    assert all(len(v) == 3 and 0 <= v[2] <= v[0] * 1.01 + 1e-4 for v in prof.values()), prof
    assert prof["session.send_packets"][2] > 0.2 * prof["session.send_packets"][0], prof


def test_raw_limit_counts_pictures_on_nvdec_only(backend, igpu, manifest):
    require_bench()
    """Note [The raw limit]: bare cuvid sessions, whole files or GOP by GOP, several per
    thread; a clear error without a GPU or with bad counts."""
    path = video_path(manifest, "hevc_bframes.mkv")
    if igpu < 0:
        with pytest.raises(ValueError, match="needs files, a GPU"):
            nvc._odvd._decode_throughput([path], -1, 1, 0.2, raw=True)
        return
    for per_gop, in_flight in ((False, 0), (True, 0), (False, 2), (True, 1)):
        r = nvc._odvd._decode_throughput([path], igpu, 2, 0.3, raw=True, per_gop=per_gop, sessions_per_thread=2,
                                         in_flight=in_flight)
        assert r["streams"] == 4 and r["pictures"] >= 4 * 10, r
    with pytest.raises(ValueError):
        nvc._odvd._decode_throughput([path], igpu, 1, 0.2, raw=True, sessions_per_thread=0)
    with pytest.raises(ValueError, match="in_flight"):
        nvc._odvd._decode_throughput([path], igpu, 1, 0.2, raw=True, in_flight=-1)


# Note [iostreams in the module] (src/python/module.cpp): iostreams once crashed inside the
# extension on the GPU machine. Each way the module is used runs them, in a child process,
# so a crash fails the test instead of the run.
IOSTREAM_SCRIPT = textwrap.dedent("""
    import os, sys, threading
    mode = sys.argv[1]
    if mode == "torch-first":
        try:
            import torch  # noqa: F401  (its libraries loaded before ours)
        except ImportError:
            pass
    import on_demand_video_decoder as nvc
    want = "42 3.5 x 3.50 C"
    got = nvc._odvd._iostream_selftest(42, 3.5, "x")
    assert got == want, got
    if mode == "threads":
        errors = []
        def run():
            for _ in range(200):
                if nvc._odvd._iostream_selftest(42, 3.5, "x") != want:
                    errors.append(1)
        threads = [threading.Thread(target=run) for _ in range(16)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert not errors
    if mode == "fork":
        pid = os.fork()
        if pid == 0:
            os._exit(0 if nvc._odvd._iostream_selftest(7, 0.25, "c") == "7 0.25 c 0.25 C" else 3)
        assert os.waitpid(pid, 0)[1] == 0
    if mode == "locale":
        import locale
        try:
            locale.setlocale(locale.LC_ALL, "C.UTF-8")
        except locale.Error:
            pass
        assert nvc._odvd._iostream_selftest(42, 3.5, "x").startswith("42 3.5 x 3.50")
    print("ok", got)
""")


@pytest.mark.parametrize("mode", ["plain", "threads", "torch-first", "fork", "locale"])
def test_iostreams_work_inside_the_module(mode):
    done = subprocess.run([sys.executable, "-c", IOSTREAM_SCRIPT, mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert done.stdout.startswith("ok 42 3.5 x 3.50 C")
