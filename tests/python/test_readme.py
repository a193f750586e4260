"""Every example in the README runs as written against the demo's sample.

The README's ```python blocks run in order as one script (later blocks use what earlier
ones made: `cams`, `dec`, `gpu`), and its ```bash blocks of `odvd` commands run after
them, in a fresh folder with HOME pointing at a home of its own where the demo's sample is
generated first (as `tools/demo.sh` makes it). The two set-up blocks (the README's first
commands and "Building by hand") are what CI itself runs, so they are not run again here.
On a machine without a GPU the examples take the CPU back end (`gpu = -1`), on the GPU
machine NVDEC.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def blocks(kind: str) -> list[str]:
    return [body for k, body in BLOCK.findall(README.read_text()) if k == kind]


def odvd_commands() -> list[str]:
    return [line for body in blocks("bash") for line in body.splitlines() if line.startswith("odvd ")]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home with the demo's sample in ~/.cache/on_demand_video_decoder/sample."""
    from on_demand_video_decoder import _sample
    if shutil.which("ffmpeg") is None:
        pytest.skip("the ffmpeg command is needed to make the demo's sample")
    home = tmp_path_factory.mktemp("home")
    _sample.generate_sample(home / ".cache" / "on_demand_video_decoder" / "sample")
    return home


def environment(home: Path) -> dict:
    env = dict(os.environ, HOME=str(home))
    env.pop("XDG_CACHE_HOME", None)
    return env


def test_the_readme_has_examples():
    assert len(blocks("python")) >= 6
    assert len(odvd_commands()) >= 3


def test_python_examples_run(home, tmp_path):
    script = "\n\n".join(blocks("python"))
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=environment(home), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert (tmp_path / "cache" / "clip0_117.gop").is_file()  # the bundle example wrote its file


def test_cli_examples_run(home, tmp_path):
    odvd = shutil.which("odvd")
    for line in odvd_commands():
        words = [os.path.expanduser(w).replace(os.path.expanduser("~"), str(home))
                 for w in shlex.split(line, comments=True)]
        argv = [odvd] + words[1:] if odvd else [sys.executable, "-m", "on_demand_video_decoder.cli"] + words[1:]
        done = subprocess.run(argv, cwd=tmp_path, env=environment(home), capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{line}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert sorted(p.name for p in (tmp_path / "frames").iterdir())[:1]  # decode wrote its PNGs
    assert any((tmp_path / "gops").iterdir())
