#!/usr/bin/env bash
# Builds NVIDIA ACCV-Lab's accvlab.on_demand_video_decoder (github.com/NVIDIA/ACCV-Lab,
# packages/on_demand_video_decoder: the API this library implements) as a peer for
# bench/peers/accvlab.py, against our static FFmpeg (.carry/ffmpeg), for the GPU machine's
# Python. Nothing of its source is kept in this repository: it is read from a checkout, a git
# directory or a tarball (ACCV-Lab's own licence, Apache-2.0, is installed with the build).
#
# WHERE IT RUNS. Its extension (_PyNvOnDemandDecoder) is pybind11 + the CUDA driver API (libcuda,
# linked) + cuvid/nvenc (loaded with dlopen at run time) + FFmpeg; it does not link libtorch (it
# hands frames over through __cuda_array_interface__ / DLPack), so it builds HERE (this Debian 12
# machine: nvcc 13.0, Python 3.12 at /root/.pyenv/versions/3.12.1) for the GPU machine's Python
# 3.12 (glibc 2.39 there runs what glibc 2.36 links here) and the device only imports it.
# The same script also builds ON the GPU machine (tools/device/run_gpu.sh accvlab does so only
# when .carry/accvlab holds no built extension but a source tarball made by --pack-source):
# -j16, only the extension, sm_90, a minute or two.
#
# How its build is driven (its setup.py goes through scikit-build and ACCV-Lab's own
# accvlab_build_config helper and pulls three git submodules; none of that is used here): CMake
# on its ext_impl/ directly, through a small wrapper project generated in the build folder:
#   FFmpeg       FFMPEG_DIR (its CMake reads the environment variable; default /usr/local) ->
#                .carry/ffmpeg; it find_library()s avformat, avcodec, swresample, avutil: the four
#                cache entries are given explicitly (our static FFmpeg has no swresample, which its
#                compiled sources never call), and the wrapper adds the static libs' own
#                dependencies (dav1d, libm, libatomic, libdl, pthread). -Wl,-Bsymbolic (FFmpeg's
#                x86 assembly in a shared object, /work/shared/DEVICE.md) and --exclude-libs,ALL
#                keep its FFmpeg private: our library links its own copy into the same process.
#   NVDEC/NVENC  its own copies of the Video Codec SDK headers (ext_impl/src/VideoCodecSDKUtils/
#                Interface, VIDEO_CODEC_INTERFACE_DIR); .carry/include/ffnvcodec is not needed.
#   CUDA         find_package(CUDAToolkit); CMAKE_CUDA_ARCHITECTURES=90 (CUDA_ARCHS), host
#                compiler from CUDAHOSTCXX (the GPU machine sets it).
#   submodules   NVTX_INCLUDE_DIR -> the CUDA toolkit's nvtx3 headers; DLPACK_SOURCE_DIR -> a
#                folder holding dlpack/dlpack.h copied from torch (ATen/dlpack.h is the DLPack
#                header) or DLPACK_H; PYBIND11_SOURCE_DIR -> an empty folder, the wrapper having
#                found pybind11's CMake package (`python -m pybind11 --cmakedir`).
# The package's Python files are copied beside the extension. One change is made to the
# copied __init__.py: it preloads FFmpeg 4 shared libraries (libavutil.so.56, ...) from its own
# folder and refuses to import without them; FFmpeg is linked statically here, so that call is
# replaced by `pass`. A dist-info folder gives importlib.metadata the source's version
# (`git describe`), which accvlab.on_demand_video_decoder.__version__ reads.
#
# Output (OUT, default .carry/accvlab; git-ignored, carried to the GPU machine; ~10 MiB):
#   OUT/accvlab/on_demand_video_decoder/   the package + _PyNvOnDemandDecoder.cpython-312-*.so
#   OUT/accvlab.on_demand_video_decoder-VERSION.dist-info/
#   OUT/BUILD.txt  OUT/LICENSE             what was built from what; ACCV-Lab's licence
# Put OUT on PYTHONPATH to import it.
#
# Usage: bash bench/peers/accvlab_build.sh [OUT]
#        bash bench/peers/accvlab_build.sh --pack-source [OUT]   (only writes OUT/accvlab-src.tar.gz,
#                                          the package's sources, for a build on the GPU machine)
# Environment:
#   ACCVLAB_SRC  ACCV-Lab: a git directory (bare or not), a checkout of the repository or of the
#                package folder, or a .tar.gz of the package folder (from --pack-source);
#                default /work/.mirror/NVIDIA+ACCV-Lab/repo, else OUT/accvlab-src.tar.gz
#   FFMPEG_DIR   default .carry/ffmpeg (tools/device/build_static_ffmpeg.sh)
#   PYTHON       the target Python (default /root/.pyenv/versions/3.12.1/bin/python3.12 if it
#                exists, else python3); it needs pybind11
#   DLPACK_H     a dlpack.h to use (default: ATen/dlpack.h of a torch install)
#   CUDA_ARCHS   default 90     JOBS  default min(16, nproc)     BUILD_DIR  default build/accvlab
set -euo pipefail
cd "$(dirname "$0")/../.."

PACK=0
if [[ "${1:-}" == "--pack-source" ]]; then
  PACK=1
  shift
fi
OUT="$(realpath -m "${1:-.carry/accvlab}")"
BUILD_DIR="$(realpath -m "${BUILD_DIR:-build/accvlab}")"
FFMPEG_DIR="$(realpath -m "${FFMPEG_DIR:-.carry/ffmpeg}")"
CUDA_ARCHS="${CUDA_ARCHS:-90}"
JOBS="${JOBS:-$(($(nproc) < 16 ? $(nproc) : 16))}"
MIRROR=/work/.mirror/NVIDIA+ACCV-Lab/repo
if [[ -z "${ACCVLAB_SRC:-}" ]]; then
  if [[ -d "$MIRROR" ]]; then
    ACCVLAB_SRC="$MIRROR"
  elif [[ -f "$OUT/accvlab-src.tar.gz" ]]; then
    ACCVLAB_SRC="$OUT/accvlab-src.tar.gz"
  else
    echo "accvlab_build: no ACCV-Lab source: set ACCVLAB_SRC (git clone https://github.com/NVIDIA/ACCV-Lab)" >&2
    exit 1
  fi
fi
if [[ -z "${PYTHON:-}" ]]; then
  PYTHON=python3
  [[ -x /root/.pyenv/versions/3.12.1/bin/python3.12 ]] && PYTHON=/root/.pyenv/versions/3.12.1/bin/python3.12
fi
PKG_REL=packages/on_demand_video_decoder
say() { echo "accvlab_build: $*"; }

# --- the package's sources -> $SRC, its version -> $VERSION, $COMMIT -----------------------
SRC="$BUILD_DIR/src"
rm -rf "$SRC"
mkdir -p "$SRC"
COMMIT="" DESCRIBE=""
if [[ -f "$ACCVLAB_SRC" ]]; then
  tar -xzf "$ACCVLAB_SRC" -C "$SRC"
  [[ -f "$SRC/SOURCE.txt" ]] && { read -r COMMIT DESCRIBE <"$SRC/SOURCE.txt" || true; }
elif git --git-dir="$ACCVLAB_SRC" rev-parse --git-dir >/dev/null 2>&1 ||
  git -C "$ACCVLAB_SRC" rev-parse --git-dir >/dev/null 2>&1; then
  GITDIR="$ACCVLAB_SRC"
  git --git-dir="$GITDIR" rev-parse HEAD >/dev/null 2>&1 || GITDIR="$(git -C "$ACCVLAB_SRC" rev-parse --absolute-git-dir)"
  COMMIT="$(git --git-dir="$GITDIR" rev-parse HEAD)"
  DESCRIBE="$(git --git-dir="$GITDIR" describe --tags HEAD 2>/dev/null || echo "$COMMIT")"
  git --git-dir="$GITDIR" archive HEAD "$PKG_REL" | tar -x -C "$SRC" --strip-components=2
  git --git-dir="$GITDIR" show HEAD:LICENSE >"$SRC/LICENSE" 2>/dev/null || rm -f "$SRC/LICENSE"
elif [[ -d "$ACCVLAB_SRC/$PKG_REL/ext_impl" ]]; then
  cp -a "$ACCVLAB_SRC/$PKG_REL/." "$SRC/"
  [[ -f "$ACCVLAB_SRC/LICENSE" && ! -f "$SRC/LICENSE" ]] && cp "$ACCVLAB_SRC/LICENSE" "$SRC/LICENSE"
elif [[ -d "$ACCVLAB_SRC/ext_impl" ]]; then
  cp -a "$ACCVLAB_SRC/." "$SRC/"
else
  echo "accvlab_build: $ACCVLAB_SRC is neither a git directory, a checkout nor a tarball of ACCV-Lab" >&2
  exit 1
fi
[[ -f "$SRC/ext_impl/CMakeLists.txt" ]] || { echo "accvlab_build: no ext_impl/ in the source" >&2; exit 1; }
# PEP 440 from `git describe`: v0.2.0-45-g5418854 -> 0.2.0+45.g5418854, v0.2.0 -> 0.2.0
VERSION="$(sed -E 's/^v//; s/-([0-9]+)-g([0-9a-f]+)$/+\1.g\2/' <<<"${DESCRIBE:-0.0.0}")"
[[ "$VERSION" =~ ^[0-9]+(\.[0-9]+)*(\+[0-9a-z.]+)?$ ]] || VERSION="0.0.0${COMMIT:++${COMMIT:0:12}}"
CMAKE_VERSION="${VERSION%%+*}"
say "source $ACCVLAB_SRC (${DESCRIBE:-no git}), version $VERSION"

if ((PACK)); then
  mkdir -p "$OUT"
  echo "$COMMIT $DESCRIBE" >"$SRC/SOURCE.txt"
  # Only what the build reads: the extension's sources, the Python package, the licence.
  EXTRA=()
  [[ -f "$SRC/LICENSE" ]] && EXTRA+=(LICENSE)
  tar -czf "$OUT/accvlab-src.tar.gz" -C "$SRC" ext_impl accvlab SOURCE.txt "${EXTRA[@]}"
  say "wrote $OUT/accvlab-src.tar.gz ($(du -h "$OUT/accvlab-src.tar.gz" | cut -f1))"
  exit 0
fi

# --- what the build needs besides the source ---------------------------------------------
[[ -f "$FFMPEG_DIR/include/libavcodec/avcodec.h" && -f "$FFMPEG_DIR/lib/libavcodec.a" ]] ||
  { echo "accvlab_build: no static FFmpeg in $FFMPEG_DIR (bash tools/device/build_static_ffmpeg.sh)" >&2; exit 1; }
export PATH="$PATH:/usr/local/cuda/bin"
NVCC="$(command -v nvcc)" || { echo "accvlab_build: nvcc not found" >&2; exit 1; }
CUDA_INC="$(dirname "$(dirname "$(realpath "$NVCC")")")/include"
[[ -f "$CUDA_INC/nvtx3/nvtx3.hpp" ]] || { echo "accvlab_build: no nvtx3 headers in $CUDA_INC" >&2; exit 1; }
PYBIND11_DIR="$("$PYTHON" -m pybind11 --cmakedir)" || { echo "accvlab_build: $PYTHON has no pybind11" >&2; exit 1; }
PY_TAG="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
if [[ -z "${DLPACK_H:-}" ]]; then
  # torch's ATen/dlpack.h is DLPack's header; the target Python's torch first, then any found here.
  DLPACK_H="$("$PYTHON" -c 'import importlib.util, os; s = importlib.util.find_spec("torch"); print(os.path.join(os.path.dirname(s.origin), "include", "ATen", "dlpack.h") if s else "")' 2>/dev/null || true)"
  if [[ ! -f "$DLPACK_H" ]]; then
    for p in python3 /root/.pyenv/versions/*/bin/python3; do
      DLPACK_H="$("$p" -c 'import importlib.util, os; s = importlib.util.find_spec("torch"); print(os.path.join(os.path.dirname(s.origin), "include", "ATen", "dlpack.h") if s else "")' 2>/dev/null || true)"
      [[ -f "$DLPACK_H" ]] && break
    done
  fi
fi
[[ -f "$DLPACK_H" ]] || { echo "accvlab_build: no dlpack.h (set DLPACK_H, or install torch)" >&2; exit 1; }

SHIM="$BUILD_DIR/shim"
rm -rf "$SHIM"
mkdir -p "$SHIM/dlpack/include/dlpack" "$SHIM/pybind11" "$SHIM/top"
cp "$DLPACK_H" "$SHIM/dlpack/include/dlpack/dlpack.h"
echo "# pybind11 is found by the wrapper project (find_package); nothing to add here." >"$SHIM/pybind11/CMakeLists.txt"
cat >"$SHIM/top/CMakeLists.txt" <<'EOF'
# Wrapper (bench/peers/accvlab_build.sh): pybind11 from its CMake package, then ACCV-Lab's
# ext_impl, then what linking our static FFmpeg into its Python module needs.
cmake_minimum_required(VERSION 3.20)
project(accvlab_peer LANGUAGES C CXX CUDA)
set(PYBIND11_FINDPYTHON ON)
find_package(pybind11 CONFIG REQUIRED)
add_subdirectory(${ACCVLAB_EXT_IMPL} accvlab)
target_link_libraries(VideoCodecSDKUtils PUBLIC "${FFMPEG_DIR}/lib/libdav1d.a" m atomic dl pthread)
target_link_options(_PyNvOnDemandDecoder PRIVATE -Wl,-Bsymbolic -Wl,--exclude-libs,ALL)
EOF

CMAKE_ARGS=(-S "$SHIM/top" -B "$BUILD_DIR/cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release
  "-DACCVLAB_EXT_IMPL=$SRC/ext_impl"
  "-DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCHS" "-DCMAKE_CUDA_COMPILER=$NVCC"
  "-DFFMPEG_DIR=$FFMPEG_DIR"
  "-Davformat_library=$FFMPEG_DIR/lib/libavformat.a" "-Davcodec_library=$FFMPEG_DIR/lib/libavcodec.a"
  "-Dswresample_library=$FFMPEG_DIR/lib/libavutil.a" "-Davutil_library=$FFMPEG_DIR/lib/libavutil.a"
  "-DNVTX_INCLUDE_DIR=$CUDA_INC" "-DDLPACK_SOURCE_DIR=$SHIM/dlpack" "-DPYBIND11_SOURCE_DIR=$SHIM/pybind11"
  "-Dpybind11_DIR=$PYBIND11_DIR" "-DPython_EXECUTABLE=$PYTHON" "-DPython3_EXECUTABLE=$PYTHON"
  "-DACCVLAB_PACKAGE_CMAKE_VERSION=$CMAKE_VERSION" -DCMAKE_CUDA_FLAGS=-w)
[[ -n "${CUDAHOSTCXX:-}" ]] && CMAKE_ARGS+=("-DCMAKE_CUDA_HOST_COMPILER=$CUDAHOSTCXX")
# No system C++ compiler (the GPU machine): the CUDA host compiler and its gcc for C and C++ too.
if ! command -v c++ >/dev/null && [[ -z "${CXX:-}" && -n "${CUDAHOSTCXX:-}" ]]; then
  CMAKE_ARGS+=("-DCMAKE_CXX_COMPILER=$CUDAHOSTCXX" "-DCMAKE_C_COMPILER=$(dirname "$CUDAHOSTCXX")/gcc")
fi

rm -rf "$BUILD_DIR/cmake"
say "cmake (log: $BUILD_DIR/build.log)"
{
  echo "+ cmake ${CMAKE_ARGS[*]}"
  FFMPEG_DIR="$FFMPEG_DIR" cmake "${CMAKE_ARGS[@]}" &&
    echo "+ ninja -C $BUILD_DIR/cmake -j$JOBS _PyNvOnDemandDecoder" &&
    ninja -C "$BUILD_DIR/cmake" -j"$JOBS" _PyNvOnDemandDecoder
} >"$BUILD_DIR/build.log" 2>&1 || { tail -n 60 "$BUILD_DIR/build.log" >&2; echo "accvlab_build: build failed" >&2; exit 1; }
SO="$(find "$BUILD_DIR/cmake" -name '_PyNvOnDemandDecoder*.so' | head -1)"
[[ -f "$SO" ]] || { echo "accvlab_build: no extension built" >&2; exit 1; }

# --- the installed package -----------------------------------------------------------------
PKG="$OUT/accvlab/on_demand_video_decoder"
rm -rf "$OUT/accvlab" "$OUT"/accvlab.on_demand_video_decoder-*.dist-info
mkdir -p "$OUT/accvlab"
cp -a "$SRC/accvlab/on_demand_video_decoder" "$OUT/accvlab/"
find "$OUT/accvlab" -name '__pycache__' -prune -exec rm -rf {} +
cp "$SO" "$PKG/"
strip --strip-unneeded "$PKG/$(basename "$SO")"
"$PYTHON" - "$PKG/__init__.py" <<'EOF'
import re, sys
path = sys.argv[1]
text = open(path).read()
# The preload call (not its definition): FFmpeg is linked into the extension statically.
new, n = re.subn(r"^(\s+)_preload_local_ffmpeg\(\)\s*$",
                 r"\1pass  # FFmpeg is linked statically (bench/peers/accvlab_build.sh)", text, flags=re.M)
if n != 1:
    sys.exit(f"accvlab_build: expected one _preload_local_ffmpeg() call in {path}, found {n}")
open(path, "w").write(new)
EOF
DIST="$OUT/accvlab.on_demand_video_decoder-$VERSION.dist-info"
mkdir -p "$DIST"
printf 'Metadata-Version: 2.1\nName: accvlab.on_demand_video_decoder\nVersion: %s\n' "$VERSION" >"$DIST/METADATA"
echo "accvlab.on_demand_video_decoder" >"$DIST/top_level.txt"
rm -f "$OUT/LICENSE"
[[ -f "$SRC/LICENSE" ]] && cp "$SRC/LICENSE" "$OUT/LICENSE"
{
  echo "accvlab.on_demand_video_decoder $VERSION (ACCV-Lab ${DESCRIBE:-?}, commit ${COMMIT:-?})"
  echo "built $(date -u +%FT%TZ) on $(hostname) by bench/peers/accvlab_build.sh"
  echo "python $PY_TAG ($PYTHON), nvcc $("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'), sm_$CUDA_ARCHS"
  echo "FFmpeg: static, $(head -1 "$FFMPEG_DIR/licenses/BUILD.txt" 2>/dev/null || echo "$FFMPEG_DIR")"
  echo "dlpack.h: $DLPACK_H"
  echo "NEEDED: $(readelf -d "$PKG/$(basename "$SO")" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
} >"$OUT/BUILD.txt"
cat "$OUT/BUILD.txt"
say "installed into $OUT ($(du -sh "$OUT" | cut -f1)); PYTHONPATH=$OUT to import it"
