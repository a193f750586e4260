"""bench/soak.py on the CPU back end (issue #16's soak): its verdict, its report and its
SIGTERM path. The GPU soak runs on the device machine (tools/device/soak_call.sh), one call a
phase; a broken script there costs a session's device time, so the script itself is tested
here, and the CPU back end's memory is judged flat by it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"


def soak(video_dir: Path, out: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-u", str(SOAK), "--gpu", "-1", "--videos", str(video_dir),
                             "--out", str(out), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_both_phases_judged_flat_with_rss_placed(video_dir, tmp_path):
    p = soak(video_dir, tmp_path, "--calls", "600", "--every", "100", "--warmup", "100", "--settle")
    text, _ = p.communicate(timeout=300)
    assert p.returncode == 0, text
    assert "soak: flat" in text
    report = json.loads((tmp_path / "soak.json").read_text())
    assert set(report["phases"]) == {"random", "reader"} and report["flat"] and not report["cut"]
    for name, phase in report["phases"].items():
        samples = phase["samples"]
        assert [s["calls"] for s in samples] == list(range(100, 700, 100)), name
        for s in samples:
            parts = s["parts"]
            # The split adds up to RSS read the same moment (to the page: both are read
            # after malloc_trim, one file after the other).
            split = parts["anon"] + parts["nvidia"] + parts["files"]
            assert abs(split - s["rss"]) <= 4 << 20, (name, s["calls"], split, s["rss"])
            assert parts["nvidia"] == 0 and s["device_used"] is None and s["pool_live"] == 0
        # Per-mapping figures only where growth is computed: the first, base and last sample.
        kept = [s["calls"] for s in samples if "maps" in s["parts"]]
        assert kept == [100, 600], (name, kept)
        g = phase["growth"]
        assert g["from_calls"] == 100 and g["to_calls"] == 600
        assert abs(g["rss_rise"]) < 16 << 20 and set(g["parts"]) == {"anon", "nvidia", "files", "py_blocks"}
    assert "host RSS by mapping, last - first" in text and "grown most:" in text


def test_sigterm_judges_the_samples_so_far(video_dir, tmp_path):
    p = soak(video_dir, tmp_path, "--phases", "reader", "--calls", "10000000", "--every", "200", "--warmup", "200")
    deadline = time.monotonic() + 120
    lines = []
    # Waits for 7 samples (6 after warm-up: enough to judge), then stops it as `timeout` would.
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        assert line, "".join(lines)
        lines.append(line)
        if sum(1 for x in lines if x.startswith("  reader ")) >= 7:
            break
    os.kill(p.pid, signal.SIGTERM)
    rest, _ = p.communicate(timeout=60)
    text = "".join(lines) + rest
    assert p.returncode == 3, text
    assert "stopped by SIGTERM after" in text and "(cut short)" in text
    report = json.loads((tmp_path / "soak.json").read_text())
    assert report["cut"] and report["phases"]["reader"]["cut"]
    assert len(report["phases"]["reader"]["samples"]) >= 7
