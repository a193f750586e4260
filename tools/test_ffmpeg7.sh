#!/usr/bin/env bash
# The library against FFmpeg 7.1 (libavcodec 61: no AVCodecContext.reordered_opaque, the
# decode index travels in AVPacket.opaque; Note [Decoder complaints]): builds a static FFmpeg
# 7.1 from Debian 13's own source package into build/ffmpeg7 (tools/device/build_static_ffmpeg.sh,
# same configuration as the GPU machine's), the extension against it (warnings as errors, the
# NVDEC back end included when the CUDA toolkit is there), and runs the Python test suite with
# that extension on the CPU back end (GPU tests skip without a GPU). tools/test.sh runs it after
# the suite on the system's FFmpeg 5.1, so CI passes on both; ODVD_SKIP_FFMPEG7=1 skips it.
#
# Usage: bash tools/test_ffmpeg7.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PYTHON="${PYTHON:-python3}"
PREFIX="$ROOT/build/ffmpeg7"
BUILD="$ROOT/build/ffmpeg7-ext"

echo "odvd: static FFmpeg 7.1 (Debian 13's source) -> build/ffmpeg7"
ODVD_DEBIAN_SUITE=trixie bash tools/device/build_static_ffmpeg.sh "$PREFIX"
grep -h "define LIBAVCODEC_VERSION_MAJOR" "$PREFIX/include/libavcodec/version_major.h"

echo "odvd: the extension against FFmpeg 7.1 -> build/ffmpeg7-ext"
args=(-S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DODVD_WERROR=ON -DODVD_BUILD_TESTS=OFF
  "-DODVD_FFMPEG_PREFIX=$PREFIX" "-DPython_EXECUTABLE=$(command -v "$PYTHON")"
  "-Dpybind11_DIR=$("$PYTHON" -m pybind11 --cmakedir)")
cmake "${args[@]}" >/dev/null
ninja -C "$BUILD" -j "$(nproc)"

# The package with this extension, in a folder of its own (the installed one stays as it is).
PKG="$BUILD/package"
rm -rf "$PKG" && mkdir -p "$PKG"
cp -r python/on_demand_video_decoder "$PKG/"
rm -f "$PKG"/on_demand_video_decoder/_odvd*.so
cp "$BUILD"/src/_odvd*.so "$PKG/on_demand_video_decoder/"

echo "odvd: Python tests on FFmpeg 7.1"
cd tests
PYTHONPATH="$PKG" "$PYTHON" -c 'import on_demand_video_decoder as m, sys; print("odvd: testing", m.__file__)'
PYTHONPATH="$PKG" exec "$PYTHON" -m pytest python -q -rs -p no:cacheprovider "$@"
