"""When the suite runs against an installed wheel (tools/test_wheel.sh sets
ODVD_EXPECT_INSTALLED_IN to the virtual environment it installed into), the package must
come from there — not from the source tree or another installation — and be the wheel's
build: no benchmark helpers, FFmpeg linked in, its licence texts beside the module."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import on_demand_video_decoder as nvc

WHERE = os.environ.get("ODVD_EXPECT_INSTALLED_IN")


@pytest.fixture(autouse=True)
def _only_for_the_wheel():
    if not WHERE:
        pytest.skip("not a run against an installed wheel (tools/test_wheel.sh runs it so)")


def test_the_package_comes_from_the_wheels_environment():
    env = Path(WHERE).resolve()
    for module in (nvc, nvc._odvd):
        assert env in Path(module.__file__).resolve().parents, module.__file__


def test_the_wheel_is_self_contained():
    info = nvc.build_info()
    assert info["benchmark_helpers"] is False
    assert "--enable-gpl" not in info["ffmpeg_configuration"], "the wheel's FFmpeg must be LGPL-only"
    assert "LGPL" in info["ffmpeg_license"]
    licenses = Path(nvc.__file__).parent / "licenses"
    assert (licenses / "FFmpeg-COPYING.LGPLv2.1").is_file() and (licenses / "BUILD.txt").is_file()
    # FFmpeg is inside the module: it needs no FFmpeg library of the system.
    readelf = shutil.which("readelf")
    if readelf:
        needed = subprocess.run([readelf, "-d", nvc._odvd.__file__], capture_output=True, text=True).stdout
        assert "NEEDED" in needed and "libav" not in needed and "libsw" not in needed, needed
