"""The house reads top to bottom (docs/design/README.md, "Layers"): the bindings include
the decode layer, which includes the devices and GOP handling, which include FFmpeg and
colour, which include util; the public headers (include/odvd) include nothing of src/.
No #include points up, the decode layer includes no FFmpeg or NVDEC header, and one file
(decode/make_device.cpp) knows whether the build has NVDEC. A source-tree check: it runs
on every machine, with or without a build."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

# Higher includes lower; equal ranks are separate blocks that must not include each other.
RANK = {"python": 6, "decode": 5, "cpu": 4, "nvdec": 4, "gop": 4, "cuda": 3, "tensor": 3, "ffmpeg": 2, "color": 2,
        "util": 1}
INCLUDE = re.compile(r'^\s*#\s*include\s+[<"]([^">]+)[">]', re.M)


def sources(folder: Path):
    return [p for p in folder.rglob("*") if p.suffix in (".hpp", ".cpp", ".cu", ".h")]


def includes(path: Path) -> list[str]:
    return INCLUDE.findall(path.read_text())


def test_no_include_points_up():
    wrong = []
    for path in sources(SRC):
        layer = path.relative_to(SRC).parts[0]
        for inc in includes(path):
            target = inc.split("/")[0]
            if target in RANK and target != layer and RANK[target] >= RANK[layer]:
                wrong.append(f"{path.relative_to(ROOT)} includes {inc}")
    assert wrong == []


def test_public_headers_include_only_public_headers():
    wrong = [f"{p.relative_to(ROOT)} includes {inc}" for p in sources(ROOT / "include" / "odvd")
             for inc in includes(p) if inc.split("/")[0] in RANK]
    assert wrong == []


def test_decode_layer_includes_no_ffmpeg_or_nvdec_header():
    wrong = [f"{p.relative_to(ROOT)} includes {inc}" for p in sources(SRC / "decode") for inc in includes(p)
             if inc.startswith(("libav", "libsw", "ffnvcodec/", "nvcuvid", "cuviddec", "cuda.h"))]
    assert wrong == []


def test_one_file_knows_whether_the_build_has_nvdec():
    users = sorted(str(p.relative_to(ROOT)) for p in sources(SRC) if "ODVD_WITH_NVDEC" in p.read_text())
    assert users == ["src/decode/make_device.cpp"]


def test_the_checks_see_the_sources():
    # A check that reads no file passes vacuously: make sure the tree is where we look.
    assert len(sources(SRC)) > 60
    assert any("#include" in p.read_text() for p in sources(SRC / "decode"))
