#!/usr/bin/env bash
# Builds the extension (_odvd) HERE for the GPU machine's Python 3.12 and sm_90, and puts it in
# python/on_demand_video_decoder/, so that a device call carrying it needs no build (~60 s of a
# 600 s call: tools/device/soak_call.sh with PREBUILT=1). Same configuration as
# tools/device/run_gpu.sh's build step (Release, static FFmpeg from .carry/ffmpeg). The .so is
# git-ignored: name it in the call's carry, e.g.
#   python/on_demand_video_decoder/_odvd.cpython-312-x86_64-linux-gnu.so
# glibc 2.39 on the GPU machine runs what glibc 2.36 links here (bench/peers/accvlab_build.sh
# ships its peer the same way).
# Usage: bash tools/device/build_here.sh   (PYTHON: default pyenv's 3.12.1)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-/root/.pyenv/versions/3.12.1/bin/python3.12}"
BUILD=build/local312
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DODVD_FFMPEG_PREFIX=$PWD/.carry/ffmpeg" \
  "-DODVD_FFNVCODEC_INCLUDE_DIR=$PWD/.carry/include" -DCMAKE_CUDA_ARCHITECTURES=90 \
  "-DPython_EXECUTABLE=$PYTHON" "-Dpybind11_DIR=$("$PYTHON" -m pybind11 --cmakedir)" \
  -DODVD_BUILD_TESTS=OFF -DODVD_BUILD_BENCH=OFF >/dev/null
ninja -C "$BUILD" _odvd
rm -f python/on_demand_video_decoder/_odvd*.so
cp "$BUILD"/src/_odvd*.so python/on_demand_video_decoder/
ls python/on_demand_video_decoder/_odvd*.so
