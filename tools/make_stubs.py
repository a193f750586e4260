#!/usr/bin/env python3
"""Writes python/on_demand_video_decoder/_odvd.pyi, the type stub of the extension module.

pybind11-stubgen (pip install pybind11-stubgen) reads the installed module's signatures; the
bindings take every argument as a Python object (to check it themselves: src/python/arguments.hpp),
so the generator sees ``typing.Any`` everywhere, and this script puts in the types the API
documents, by argument name and by method. Run after changing the bindings (and installing
them); tests/python/test_stubs.py fails when a public name has no stub.

    python3 tools/make_stubs.py
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "python" / "on_demand_video_decoder" / "_odvd.pyi"

PATHS = "collections.abc.Sequence[str | os.PathLike[str]]"
BUNDLE = "numpy.typing.NDArray[numpy.uint8]"
ARGS = {
    "filepaths": PATHS, "files": PATHS, "file_paths": PATHS, "bundle_files": PATHS,
    "filepath": "str | os.PathLike[str]", "path": "str | os.PathLike[str]",
    "frame_ids": "collections.abc.Sequence[int]", "frame_id_lists": "collections.abc.Sequence[collections.abc.Sequence[int]]",
    "packet_idxs": "collections.abc.Sequence[collections.abc.Sequence[int]]",
    "fastStreamInfos": "collections.abc.Sequence[FastStreamInfo]",
    "as_bgr": "bool", "antialias": "bool", "suppressNoColorRangeWarning": "bool",
    "numpy_data": BUNDLE, "bundle": BUNDLE,
    "numpy_datas": f"collections.abc.Sequence[{BUNDLE}]", "packet_data_arrays": f"collections.abc.Sequence[{BUNDLE}]",
    "size": "tuple[int, int] | None", "crop": "tuple[int, int, int, int] | None",
    "layout": 'typing.Literal["NCHW", "NHWC"]', "dtype": "str | typing.Any",
    "mean": "float | collections.abc.Sequence[float] | None", "std": "float | collections.abc.Sequence[float] | None",
    "interpolation": 'typing.Literal["bilinear", "nearest", "area"]', "out": "typing.Any", "stream": "typing.Any",
    "maxfiles": "int", "iGpu": "int", "num_of_set": "int", "num_of_file": "int", "worker_threads": "int",
    "decoder_threads": "int", "parallel_calls": "int", "decode_ahead_mib": "int", "video_stream": "int",
    "on_error": 'typing.Literal["raise", "skip", "nearest"]', "fallback": 'typing.Literal["cpu", "raise"]',
    "content_digests": "collections.abc.Mapping[str, str] | None",
    "codec_ids": "collections.abc.Sequence[int]", "widths": "collections.abc.Sequence[int]",
    "heights": "collections.abc.Sequence[int]",
}
# Method-specific arguments and results (class.method or function).
BATCH_IDS = "collections.abc.Sequence[collections.abc.Sequence[int]]"
SPECIFIC_ARGS = {("DecodeBatch", "frame_ids"): BATCH_IDS, ("DecodeBatchRGB", "frame_ids"): BATCH_IDS}
RESULTS = {
    "Decode": "list[DecodedFrameExt | None]", "DecodeFromGOP": "list[DecodedFrameExt | None]",
    "DecodeN12ToRGB": "list[RGBFrame | None]", "DecodeN12ToRGBAsyncGetBuffer": "list[RGBFrame | None]",
    "DecodeFromGOPRGB": "list[RGBFrame | None]", "DecodeFromGOPListRGB": "list[RGBFrame | None]",
    "DecodeFromPacketListRGB": "list[RGBFrame | None]", "_DecodeBundleFilesRGB": "list[RGBFrame | None]",
    "_DecodeBundleFiles": "list[DecodedFrameExt | None]",
    "DecodeBatch": "list[list[DecodedFrameExt | None]]", "DecodeBatchRGB": "list[list[RGBFrame | None]]",
    "DecodeToTensor": "DecodedBatch | typing.Any", "DecodeFromGOPToTensor": "DecodedBatch | typing.Any",
    "DecodeBatchToTensor": "DecodedBatch | typing.Any",
    "GetLastReport": "list[dict[str, typing.Any]]", "GetGOP": f"tuple[{BUNDLE}, list[int], list[int]]",
    "GetGOPList": f"list[tuple[{BUNDLE}, list[int], list[int]]]", "LoadGopsToList": f"list[{BUNDLE}]",
    "LoadGopList": f"list[{BUNDLE}]", "GetIndexInfo": "dict[str, typing.Any]",
    "GetFastInitInfo": "list[FastStreamInfo]",
}
# Generic types the generator leaves bare (mypy --strict wants their arguments).
BARE = {"list": "list[typing.Any]", "tuple": "tuple[typing.Any, ...]", "dict": "dict[str, typing.Any]"}
DEF = re.compile(r"^(\s*)def (\w+)\((.*)\) -> (.+):$")
PARAM = re.compile(r"(\*?\w+): typing\.Any")


def retype(line: str) -> str:
    m = DEF.match(line)
    if not m:
        return line
    indent, name, params, result = m.groups()

    def param(p: re.Match) -> str:
        arg = p.group(1)
        return f"{arg}: {SPECIFIC_ARGS.get((name, arg), ARGS.get(arg, 'typing.Any'))}"

    params = PARAM.sub(param, params)
    if params.endswith("**kwargs"):
        params += ": typing.Any"
    params = params.replace("fastStreamInfos: collections.abc.Sequence[FastStreamInfo] = []",
                            "fastStreamInfos: collections.abc.Sequence[FastStreamInfo] = ...")
    if result in ("list", "tuple", "dict", "typing.Any") and name in RESULTS:
        result = RESULTS[name]
    result = BARE.get(result, result)
    params = params.replace("**kwargs)", "**kwargs: typing.Any)") if params.endswith("**kwargs") else params
    params = re.sub(r": (list|tuple|dict)(\b(?!\[))", lambda m: ": " + BARE[m.group(1)], params)
    return f"{indent}def {name}({params}) -> {result}:"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pybind11_stubgen", "on_demand_video_decoder._odvd", "-o", tmp],
                       check=True)
        text = (Path(tmp) / "on_demand_video_decoder" / "_odvd.pyi").read_text()
    lines = [retype(line) for line in text.splitlines()]
    header = ("# The type stub of the extension module (tools/make_stubs.py writes it: pybind11-stubgen, then\n"
              "# the documented argument types). Do not edit by hand.\n")
    body = "\n".join(lines) + "\n"
    body = body.replace("import collections.abc\n", "import collections.abc\nimport os\n", 1)
    OUT.write_text(header + body)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(lines)} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
