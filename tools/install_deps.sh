#!/usr/bin/env bash
# Installs what building and testing on_demand_video_decoder needs on Debian 12 (with
# the CUDA toolkit already present or not): compilers and build tools, FFmpeg's -dev
# packages and CLI, GoogleTest, clang-format, and the Python packages.
# Idempotent and quick when everything is already there.
set -euo pipefail

APT_PACKAGES=(build-essential cmake ninja-build pkg-config ffmpeg
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libgtest-dev libffmpeg-nvenc-dev clang-format clang libclang-rt-dev)
PIP_PACKAGES=(pybind11 scikit-build-core numpy pytest av)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "odvd: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c "import pybind11, scikit_build_core, numpy, pytest, av" >/dev/null 2>&1; then
  echo "odvd: installing Python packages: ${PIP_PACKAGES[*]}"
  "$PYTHON" -m pip install -q "${PIP_PACKAGES[@]}"
fi
