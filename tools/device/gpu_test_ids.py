#!/usr/bin/env python3
"""The Python tests that need a GPU, as pytest node ids, one per line: the tests that skip on
this (GPU-less) machine for want of a CUDA device. A device call then runs just those
(the whole suite takes longer than one call allows):

    python3 tools/device/gpu_test_ids.py > .carry/gpu_tests.txt     # here, ~10 min on 2 cores
    # on the GPU machine (ids hold spaces: read them as lines, not words)
    mapfile -t ids < .carry/gpu_tests.txt; python3 -m pytest "${ids[@]}" -q -rs

Runs the suite here once with a JUnit report and keeps the tests skipped with a reason that
names a missing CUDA device or NVDEC (tests/python/conftest.py's reasons). Extra arguments go
to pytest (e.g. a subset of files). Exit status: pytest's when it failed, else 0.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The tests' skip reasons when there is no GPU (conftest.py's NO_CUDA_REASON, its torch
# variant, the multi-GPU tests').
GPU_REASON = re.compile(r"no CUDA device|fewer than 2 CUDA devices")


def node_id(case: ET.Element) -> str:
    """pytest's node id from a JUnit testcase: classname 'tests.python.test_x' (module-level
    tests) or 'tests.python.test_x.TestY' (a class), name 'test_z[params]'."""
    parts = case.get("classname", "").split(".")
    name = case.get("name", "")
    for cut in range(len(parts), 0, -1):  # the longest prefix that is a file
        path = Path(*parts[:cut]).with_suffix(".py")
        if (ROOT / path).is_file():
            return "::".join([path.as_posix(), *parts[cut:], name])
    raise SystemExit(f"gpu_test_ids: no test file for classname {case.get('classname')!r}")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        args = sys.argv[1:] or ["tests/python"]
        cmd = [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
        run = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if not report.is_file():
            sys.stderr.write(run.stderr[-4000:])
            return run.returncode or 1
        ids = []
        for case in ET.parse(report).getroot().iter("testcase"):
            skipped = case.find("skipped")
            if skipped is not None and GPU_REASON.search(skipped.get("message", "")):
                ids.append(node_id(case))
    print("\n".join(ids))
    print(f"gpu_test_ids: {len(ids)} tests skip here for want of a GPU", file=sys.stderr)
    return 0 if run.returncode in (0, 5) else run.returncode


if __name__ == "__main__":
    sys.exit(main())
