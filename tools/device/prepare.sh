#!/usr/bin/env bash
# Prepares, on THIS machine, everything a run on the GPU machine needs and cannot make there
# (it has no FFmpeg, no ffmpeg CLI and no network; see /work/shared/DEVICE.md):
#
#   .carry/ffmpeg               minimal static PIC FFmpeg (tools/device/build_static_ffmpeg.sh)
#   .carry/include/ffnvcodec    NVDEC/CUDA dynamic-loading headers (Debian's libffmpeg-nvenc-dev)
#   .carry/bench/               the GPU benchmark's videos: 6 cameras, 1600x900 HEVC, GOP 30,
#                               no B-frames, 235 frames each (bench/bench_nvdec.py)
#   .carry/wheels/              peer libraries for the side-by-side benchmark (PyNvVideoCodec)
#   tests/videos/generated/     the test videos and their oracles (tests/videos/generate.py)
#
# Every step is skipped when its output already exists. Finally prints the size of what will
# travel (files git would send + .carry + tests/videos/generated) and fails above 60 MiB
# (the device tool's limit is 64 MiB).
#
# Then, on the device (one call):
#   carry [".carry", "tests/videos/generated"], command: bash tools/device/run_gpu.sh
#
# Usage: bash tools/device/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
CARRY="$ROOT/.carry"
PYTHON="${PYTHON:-python3}"
FFMPEG="${FFMPEG:-ffmpeg}"
LIMIT_MIB=60
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"

# Benchmark videos (keep in step with bench/bench_nvdec.py and bench/RESULTS.md).
BENCH_DIR="$CARRY/bench"
BENCH_CAMERAS=6
BENCH_SIZE=1600x900
BENCH_FRAMES=235
BENCH_GOP=30
BENCH_CRF=30

step() { echo "prepare: $*"; }

need_ffmpeg_cli() {
  if ! command -v "$FFMPEG" >/dev/null; then
    echo "prepare: the ffmpeg CLI is needed here (bash tools/install_deps.sh installs it)" >&2
    exit 1
  fi
  local encoders
  encoders="$("$FFMPEG" -hide_banner -encoders 2>/dev/null)"
  if [[ "$encoders" != *libx265* ]]; then
    echo "prepare: this ffmpeg has no libx265 encoder" >&2
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

# One camera: testsrc2 (moving pattern, clock, colours) rendered at a quarter of the size and
# scaled up (real footage is smoother than testsrc2's sharp edges, and the files stay small),
# a different start and hue per camera so no two cameras' frames are alike.
encode_camera() {
  local cam="$1" out="$2"
  local w="${BENCH_SIZE%x*}" h="${BENCH_SIZE#*x}"
  local src="testsrc2=size=$((w / 4))x$((h / 4)):rate=30,trim=start_frame=$((cam * 40))"
  src+=",setpts=PTS-STARTPTS,hue=h=$((cam * 60)),scale=${w}:${h}:flags=bicubic"
  local x265="keyint=$BENCH_GOP:min-keyint=$BENCH_GOP:scenecut=0:bframes=0:open-gop=0:log-level=error"
  "$FFMPEG" -hide_banner -nostdin -v error -y -f lavfi -i "$src" -frames:v "$BENCH_FRAMES" \
    -pix_fmt yuv420p -color_range tv -colorspace bt709 -color_primaries bt709 -color_trc bt709 \
    -c:v libx265 -preset fast -crf "$BENCH_CRF" -x265-params "$x265" -tag:v hvc1 \
    -fflags +bitexact -map_metadata -1 "$out.tmp.mp4"
  mv "$out.tmp.mp4" "$out"
}

generate_bench_videos() {
  step "benchmark videos -> .carry/bench ($BENCH_CAMERAS x $BENCH_SIZE HEVC, GOP $BENCH_GOP, $BENCH_FRAMES frames)"
  mkdir -p "$BENCH_DIR"
  local pids=() cam out
  for ((cam = 0; cam < BENCH_CAMERAS; cam++)); do
    out="$BENCH_DIR/cam${cam}_hevc_${BENCH_SIZE}_gop${BENCH_GOP}_${BENCH_FRAMES}f.mp4"
    [[ -f "$out" ]] && continue
    encode_camera "$cam" "$out" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  ls -l "$BENCH_DIR"/*.mp4
}

# Peer libraries for the side-by-side benchmark (issue #6), as wheels for the GPU machine's
# Python (3.12, /opt/torch/.venv; see DEVICE.md): PyNvVideoCodec bundles its own FFmpeg, so it
# runs there. (torchcodec needs FFmpeg's shared libraries and PyAV's wheel would not fit the
# carry limit, so those peers run only where they are installed.)
PEER_PYTHON_VERSION="${PEER_PYTHON_VERSION:-3.12}"
PEER_WHEELS=(pynvvideocodec==2.2.4)
download_peer_wheels() {
  step "peer wheels -> .carry/wheels (${PEER_WHEELS[*]}, Python $PEER_PYTHON_VERSION)"
  mkdir -p "$CARRY/wheels"
  if ls "$CARRY"/wheels/pynvvideocodec-*.whl >/dev/null 2>&1; then return; fi
  "$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version "$PEER_PYTHON_VERSION" \
    --platform manylinux_2_28_x86_64 -d "$CARRY/wheels" "${PEER_WHEELS[@]}" ||
    echo "prepare: could not download the peer wheels (no network?); the peer benchmark will be skipped" >&2
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

report_size() {
  local repo carry tests total
  repo=$(travelling_bytes)
  carry=$(travelling_bytes .carry)
  tests=$(travelling_bytes tests/videos/generated)
  total=$((carry + tests - repo))
  local mib=$((1024 * 1024))
  echo "prepare: travelling: repo $((repo / 1024)) KiB, .carry $(((carry - repo) / 1024)) KiB" \
    "(ffmpeg $(du -sk "$CARRY/ffmpeg" | cut -f1) KiB, bench $(du -sk "$BENCH_DIR" | cut -f1) KiB)," \
    "tests/videos/generated $(((tests - repo) / 1024)) KiB; total $((total / 1024)) KiB" \
    "($(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1048576 }') MiB, limit $LIMIT_MIB MiB)"
  if ((total > LIMIT_MIB * mib)); then
    echo "prepare: too much to carry (over $LIMIT_MIB MiB)" >&2
    exit 1
  fi
}

need_ffmpeg_cli
build_ffmpeg
copy_ffnvcodec
generate_test_videos
generate_bench_videos
download_peer_wheels
report_size
echo 'prepare: done. Device call: carry [".carry", "tests/videos/generated"], command: bash tools/device/run_gpu.sh'
