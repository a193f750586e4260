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


def test_decode_throughput_counts_every_picture(manifest):
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
        nvc.PyNvGopDecoder(2, -1, True).DecodeN12ToRGB([{path!r}] * 2, [3, 40])
        print(json.dumps({{k: v[1] for k, v in nvc._odvd._profile(True).items()}}))
        print(json.dumps(nvc._odvd._profile()))
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


def test_raw_limit_counts_pictures_on_nvdec_only(backend, igpu, manifest):
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
