#!/usr/bin/env bash
# Prepares, on THIS machine, everything a run on the GPU machine needs and cannot make there
# (it has no FFmpeg, no ffmpeg CLI and no network; see /work/shared/DEVICE.md):
#
#   .carry/ffmpeg               minimal static PIC FFmpeg (tools/device/build_static_ffmpeg.sh)
#   .carry/include/ffnvcodec    NVDEC/CUDA dynamic-loading headers (Debian's libffmpeg-nvenc-dev)
#   .carry/videos/hevc_gop30_b0 the base benchmark config: 6 cameras, 1600x900 at 10 fps, HEVC,
#                               GOP 30, no B-frames, 235 frames each (bench/make_videos.py)
#   .carry/sweep/<config>/      every config of the sweep (bench/make_videos.py), one camera each
#                               (bench/suite.py copies it to 6 on the device: the carry limit)
#   .carry/wheels/              peer libraries for the side-by-side benchmark (PyNvVideoCodec)
#   .carry/accvlab/             only with the argument `accvlab` (below): NVIDIA ACCV-Lab's
#                               accvlab.on_demand_video_decoder built here for the GPU machine's
#                               Python 3.12 against .carry/ffmpeg (bench/peers/accvlab_build.sh,
#                               ~10 MiB; needs its source: /work/.mirror/NVIDIA+ACCV-Lab/repo or
#                               ACCVLAB_SRC); ACCVLAB_ON_DEVICE=1 carries its source instead
#                               (accvlab-src.tar.gz, built there by run_gpu.sh accvlab)
#   tests/videos/generated/     the test videos and their oracles (tests/videos/generate.py)
#
# Every step is skipped when its output already exists. Finally prints the size of what each of
# the two calls below carries (files git would send + the carried folders) and fails above
# 60 MiB (the device tool's limit is 64 MiB).
#
# Then, on the device, build + test + the base benchmark (one call):
#   carry [".carry/ffmpeg", ".carry/include", ".carry/wheels", ".carry/videos", "tests/videos/generated"],
#   command: bash tools/device/run_gpu.sh
# and the sweep (another call; both sets together exceed the limit):
#   carry [".carry/ffmpeg", ".carry/include", ".carry/sweep"]  (no peer wheel: with it the sweep's
#   videos, 1080p H.264 included, are over the limit; the peers run in the main call),
#   command: bash tools/device/run_gpu.sh build,sweep
# and PyAV, the CPU peer, beside our CPU back end (its wheel fits neither call above):
#   carry [".carry/ffmpeg", ".carry/include", ".carry/pyav", ".carry/videos"],
#   command: bash tools/device/run_gpu.sh build,pyav
# and torchcodec on its CUDA device beside ours:
#   carry [".carry/ffmpeg", ".carry/include", ".carry/torchcodec", ".carry/peer-ffmpeg", ".carry/videos"],
#   command: bash tools/device/run_gpu.sh build,torchcodec
# and NVIDIA ACCV-Lab's accvlab.on_demand_video_decoder beside ours (after `prepare.sh accvlab`):
#   carry [".carry/ffmpeg", ".carry/include", ".carry/accvlab", ".carry/videos"],
#   command: bash tools/device/run_gpu.sh build,accvlab
#
# Usage: bash tools/device/prepare.sh            (everything above but .carry/accvlab)
#        bash tools/device/prepare.sh accvlab    (only .carry/ffmpeg, .carry/include, the benchmark
#                                                 videos and .carry/accvlab; the accvlab call's size)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
CARRY="$ROOT/.carry"
PYTHON="${PYTHON:-python3}"
FFMPEG="${FFMPEG:-ffmpeg}"
LIMIT_MIB=60
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"

step() { echo "prepare: $*"; }

need_ffmpeg_cli() {
  if ! command -v "$FFMPEG" >/dev/null; then
    echo "prepare: the ffmpeg CLI is needed here (bash tools/install_deps.sh installs it)" >&2
    exit 1
  fi
  local encoders
  encoders="$("$FFMPEG" -hide_banner -encoders 2>/dev/null)"
  if [[ "$encoders" != *libx265* || "$encoders" != *libx264* ]]; then
    echo "prepare: this ffmpeg lacks the libx265 or libx264 encoder" >&2
    exit 1
  fi
}

build_ffmpeg() {
  step "static FFmpeg -> .carry/ffmpeg"
  bash tools/device/build_static_ffmpeg.sh "$CARRY/ffmpeg"
}

copy_ffnvcodec() {
  step "ffnvcodec headers -> .carry/include/ffnvcodec"
  if [[ ! -f /usr/include/ffnvcodec/dynlink_loader.h ]]; then
    $SUDO apt-get install -y -qq libffmpeg-nvenc-dev >/dev/null
  fi
  mkdir -p "$CARRY/include/ffnvcodec"
  cp -u /usr/include/ffnvcodec/*.h "$CARRY/include/ffnvcodec/"
}

generate_test_videos() {
  step "test videos -> tests/videos/generated"
  "$PYTHON" tests/videos/generate.py
}

generate_bench_videos() {
  step "benchmark videos -> .carry/videos (base config, 6 cameras) and .carry/sweep (every config, 1 camera)"
  "$PYTHON" bench/make_videos.py --out "$CARRY/videos" --configs base --cameras 6
  "$PYTHON" bench/make_videos.py --out "$CARRY/sweep" --configs all --cameras 1
}

# Peer libraries for the side-by-side benchmark (issue #6), as wheels for the GPU machine's
# Python (3.12, /opt/torch/.venv; see DEVICE.md): PyNvVideoCodec bundles its own FFmpeg;
# torchcodec loads FFmpeg's shared libraries, built here (build_peer_ffmpeg.sh); PyAV bundles
# its own too. Their wheels do not fit one carry, so each runs in its own call (head of file).
PEER_PYTHON_VERSION="${PEER_PYTHON_VERSION:-3.12}"
PYNVVIDEOCODEC_WHEEL=pynvvideocodec==2.2.4
PYAV_WHEEL=av==19.0.2
TORCHCODEC_WHEEL=torchcodec==0.17.0
# Downloads wheel SPEC for the GPU machine's Python into .carry/DIR, unless a file matching
# GLOB is there already; a failure (no network) only means that peer is skipped there.
download_wheel() {
  local dir="$1" spec="$2" glob="$3"
  step "$spec wheel -> .carry/$dir (Python $PEER_PYTHON_VERSION)"
  mkdir -p "$CARRY/$dir"
  if compgen -G "$CARRY/$dir/$glob" >/dev/null; then return; fi
  "$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version "$PEER_PYTHON_VERSION" \
    --platform manylinux_2_28_x86_64 -d "$CARRY/$dir" "$spec" ||
    echo "prepare: could not download $spec (no network?); that peer will be skipped on the GPU machine" >&2
}

# Bytes of everything that travels: what git would send (tracked files still present, and
# untracked files that are not ignored) plus the carried folders.
travelling_bytes() {
  "$PYTHON" - "$@" <<'EOF'
import os, subprocess, sys
files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                       capture_output=True, check=True).stdout.decode().split("\0")
total = sum(os.path.getsize(f) for f in set(files) if f and os.path.isfile(f))
for folder in sys.argv[1:]:
    for base, _, names in os.walk(folder):
        total += sum(os.path.getsize(os.path.join(base, n)) for n in names
                     if os.path.isfile(os.path.join(base, n)))
print(total)
EOF
}

# What one call carries: the repository plus the named folders, in MiB; fails above the limit.
check_call_size() {
  local name="$1" repo total
  shift
  repo=$(travelling_bytes)
  total=$(travelling_bytes "$@")
  echo "prepare: the $name call carries $(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1048576 }') MiB" \
    "(repo $((repo / 1024)) KiB + $*; limit $LIMIT_MIB MiB)"
  if ((total > LIMIT_MIB * 1024 * 1024)); then
    echo "prepare: too much to carry in the $name call (over $LIMIT_MIB MiB)" >&2
    return 1
  fi
}

# A peer's call: as listed at the head of this file, or, where that is over the limit, with the
# extension built here (tools/device/build_here.sh) in place of .carry/ffmpeg and .carry/include
# and no `build` step (e.g. `run_gpu.sh pyav`).
check_peer_call() {
  local name="$1"
  shift
  check_call_size "$name" .carry/ffmpeg .carry/include "$@" 2>/dev/null && return 0
  echo "prepare: so the $name call carries the extension built here instead (bash tools/device/build_here.sh;" \
    "carry python/on_demand_video_decoder/_odvd.cpython-312-x86_64-linux-gnu.so, ~10 MiB more than below;" \
    "command run_gpu.sh $name):"
  check_call_size "$name (prebuilt)" "$@"
}

download_peers() {
  download_wheel wheels "$PYNVVIDEOCODEC_WHEEL" 'pynvvideocodec-*.whl'
  download_wheel pyav "$PYAV_WHEEL" 'av-*.whl'
  download_wheel torchcodec "$TORCHCODEC_WHEEL" 'torchcodec-*.whl'
  step "torchcodec's shared FFmpeg -> .carry/peer-ffmpeg"
  bash tools/device/build_peer_ffmpeg.sh "$CARRY/peer-ffmpeg"
}

report_size() {
  local ok=0
  check_call_size main .carry/ffmpeg .carry/include .carry/wheels .carry/videos tests/videos/generated || ok=1
  check_call_size sweep .carry/ffmpeg .carry/include .carry/sweep || ok=1
  check_peer_call pyav .carry/pyav .carry/videos || ok=1
  check_peer_call torchcodec .carry/torchcodec .carry/peer-ffmpeg .carry/videos || ok=1
  if [[ -d "$CARRY/accvlab" ]]; then check_peer_call accvlab .carry/accvlab .carry/videos || ok=1; fi
  return "$ok"
}

# NVIDIA ACCV-Lab's accvlab.on_demand_video_decoder (bench/peers/accvlab_build.sh): built here
# (its extension links no libtorch), or with ACCVLAB_ON_DEVICE=1 only its sources packed for a
# build on the GPU machine. Skipped when built already (ACCVLAB_REBUILD=1 rebuilds: about 2.5
# minutes on 2 cores).
build_accvlab() {
  if [[ "${ACCVLAB_ON_DEVICE:-0}" != 1 && "${ACCVLAB_REBUILD:-0}" != 1 ]] &&
    compgen -G "$CARRY/accvlab/accvlab/on_demand_video_decoder/_PyNvOnDemandDecoder*.so" >/dev/null; then
    step "accvlab already built in .carry/accvlab ($(head -1 "$CARRY/accvlab/BUILD.txt" 2>/dev/null))"
    return
  fi
  if [[ "${ACCVLAB_ON_DEVICE:-0}" == 1 ]]; then
    step "accvlab sources -> .carry/accvlab/accvlab-src.tar.gz (built on the GPU machine)"
    rm -rf "$CARRY/accvlab"
    bash bench/peers/accvlab_build.sh --pack-source "$CARRY/accvlab"
  else
    step "accvlab.on_demand_video_decoder (static FFmpeg, Python 3.12, sm_90) -> .carry/accvlab"
    rm -f "$CARRY/accvlab/accvlab-src.tar.gz"
    bash bench/peers/accvlab_build.sh "$CARRY/accvlab"
  fi
}

if [[ "${1:-}" == accvlab ]]; then
  need_ffmpeg_cli
  build_ffmpeg
  copy_ffnvcodec
  generate_bench_videos
  build_accvlab
  check_peer_call accvlab .carry/accvlab .carry/videos
  echo 'prepare: done. Device call: see the head of this file (run_gpu.sh build,accvlab).'
  exit 0
fi

need_ffmpeg_cli
build_ffmpeg
copy_ffnvcodec
generate_test_videos
generate_bench_videos
download_peers
report_size
echo 'prepare: done. Device calls: see the head of this file.'
