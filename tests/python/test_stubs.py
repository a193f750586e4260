"""Types (issue #20): the extension's stub (_odvd.pyi, written by tools/make_stubs.py) names
every public name of the module and of its classes, and the whole package and the examples
pass mypy --strict against the package's types (py.typed)."""
from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import on_demand_video_decoder as nvc
from on_demand_video_decoder import _odvd

ROOT = Path(__file__).resolve().parents[2]
STUB = Path(nvc.__file__).parent / "_odvd.pyi"


def stub_names() -> dict:
    """{"": module-level names, "Class": its member names} from the stub."""
    tree = ast.parse(STUB.read_text())
    names: dict = {"": set()}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names[""].add(node.name)
            names[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} | {
                n.target.id for n in node.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
        elif isinstance(node, ast.FunctionDef):
            names[""].add(node.name)
    return names


def public(obj) -> set:
    return {n for n in dir(obj) if not n.startswith("_")}


def test_the_stub_is_shipped_with_the_package():
    assert STUB.is_file() and (STUB.parent / "py.typed").is_file()


def test_every_public_name_of_the_extension_has_a_stub():
    names = stub_names()
    missing = sorted(public(_odvd) - names[""])
    assert missing == [], f"no stub for {missing}: run python3 tools/make_stubs.py"
    for name in sorted(public(_odvd)):
        cls = getattr(_odvd, name)
        if inspect.isclass(cls):
            lacking = sorted(public(cls) - names.get(name, set()))
            assert lacking == [], f"{name}: no stub for {lacking}: run python3 tools/make_stubs.py"


def test_every_public_name_has_a_docstring():
    import on_demand_video_decoder.torch as odvd_torch
    undocumented = []
    for module in (nvc, odvd_torch):
        for name in getattr(module, "__all__", public(module)):
            obj = getattr(module, name)
            if (inspect.isclass(obj) or callable(obj)) and not (obj.__doc__ or "").strip():
                undocumented.append(f"{module.__name__}.{name}")
    assert undocumented == []


def test_the_package_and_the_examples_pass_mypy_strict():
    pytest.importorskip("mypy", reason="mypy is not installed (the test command installs it)")
    pytest.importorskip("torch", reason="PyTorch is not installed (the test command installs it)")
    # Against the installed package (what users type-check against): the examples (imported
    # modules checked, not reported), then every module of the package itself.
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                          "--no-incremental", str(ROOT / "examples")], capture_output=True, text=True, timeout=600,
                         cwd=ROOT / "tests")
    assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
                          "-p", "on_demand_video_decoder"], capture_output=True, text=True, timeout=600,
                         cwd=ROOT / "tests")
    assert out.returncode == 0, out.stdout + out.stderr
