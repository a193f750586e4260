#!/usr/bin/env bash
# The install a user gets: builds the wheel (tools/build_wheel.sh), installs it with
# `pip install --no-index` into a fresh virtual environment, and runs the Python test suite
# against that installed package — not the source tree, not the package tools/build.sh
# installed (tests/python/test_installed.py checks where the module was imported from).
# The venv sees the base Python's site-packages only for the test tools (pytest, numpy, av).
#
# Usage: bash tools/test_wheel.sh [pytest arguments, run in tests/; default: the whole suite]
#   ODVD_WHEEL_FFMPEG=PREFIX   passed on to tools/build_wheel.sh (a static FFmpeg already built)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
DIST=build/wheel-dist
bash tools/build_wheel.sh "$DIST"
wheel="$(ls "$DIST"/on_demand_video_decoder-*manylinux*.whl | head -n 1)"

VENV="$(realpath -m build/wheel-venv)"
rm -rf "$VENV"
"$PYTHON" -m venv --system-site-packages "$VENV"
# A venv made from a venv's Python sees the base interpreter's packages, not that venv's (the
# GPU machine's python3 is a venv holding torch, numpy and pytest): a .pth appends the running
# venv's site-packages, after the new venv's own, so the wheel installed below still comes first.
parent_site="$("$PYTHON" -c 'import sys, sysconfig; print(sysconfig.get_paths()["purelib"] if sys.prefix != sys.base_prefix else "")')"
if [[ -n "$parent_site" ]]; then
  echo "$parent_site" >"$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/odvd_test_tools.pth"
fi
# --ignore-installed: the base Python's copy (tools/build.sh's, same version) must not count as installed.
PIP_ROOT_USER_ACTION=ignore "$VENV/bin/python" -m pip install -q --no-index --no-deps --ignore-installed "$wheel"
echo "odvd: installed $(basename "$wheel") into $VENV"
cd tests
"$VENV/bin/python" -c 'import on_demand_video_decoder as m; print("odvd: testing", m.__file__)'
args=("$@")
((${#args[@]})) || args=(python)
ODVD_EXPECT_INSTALLED_IN="$VENV" exec "$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider "${args[@]}"
