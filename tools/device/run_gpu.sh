#!/usr/bin/env bash
# shellcheck disable=SC2317  # the step_* functions are called indirectly (run_step)
# Builds, tests and benchmarks the library ON THE GPU MACHINE, in one call of the device tool
# (prepare it here first: bash tools/device/prepare.sh; see /work/shared/DEVICE.md).
#
#   device call: carry [".carry/ffmpeg", ".carry/include", ".carry/wheels", ".carry/videos",
#                       "tests/videos/generated"], command: bash tools/device/run_gpu.sh
#   the sweep:   carry [".carry/ffmpeg", ".carry/include", ".carry/sweep"],
#                command: bash tools/device/run_gpu.sh build,sweep
#   accvlab:     carry [".carry/ffmpeg", ".carry/include", ".carry/accvlab", ".carry/videos"],
#                command: bash tools/device/run_gpu.sh build,accvlab
#                (.carry/accvlab: bash tools/device/prepare.sh accvlab; 9.2 MiB, the call ~50 MiB)
#
# Steps (all by default; the optional first argument picks some, e.g. `build,test` or
# `build,bench`; `env` always runs):
#   env     $OUT/env.txt           GPU, driver, NVDEC, compilers, Python/torch versions
#   build   $OUT/build.txt         cmake + ninja in build/device (static FFmpeg from .carry/ffmpeg),
#                                  the extension copied into python/on_demand_video_decoder/
#   kernel  $OUT/kernel_check.txt  build/device/tests/cuda/odvd_{color,tensor}_kernel_check (and --time)
#   test    $OUT/pytest.txt        python3 -m pytest tests/python -q -rs
#                                  (+ $OUT/ctest.txt when GoogleTest was found and tests built)
#   bench   $OUT/suite/           bench/suite.py on .carry/videos (the base config, 6 cameras:
#                                  every workload, NVDEC and CPU, peers, the limit): suite.{json,md,png}
#           $OUT/bench_limit.*     bench/bench_limit.py (our back end vs bare cuvid, nothing output)
#   sweep   $OUT/sweep/           bench/suite.py on every config in .carry/sweep (not a default
#                                  step: the sweep's videos and the test videos do not fit one carry)
#   pyav    $OUT/pyav/            bench/suite.py, CPU back end and PyAV (.carry/pyav) on .carry/videos
#                                  (not a default step; carry .carry/pyav instead of .carry/wheels)
#   torchcodec $OUT/torchcodec/   bench/suite.py, ours and torchcodec on CUDA (.carry/torchcodec,
#                                  .carry/peer-ffmpeg) on .carry/videos (not a default step)
#   accvlab $OUT/accvlab/         bench/suite.py, NVDEC, hevc_gop30_b0: ours (random, random_x4, multi4,
#                                  sequential, bundle) beside NVIDIA ACCV-Lab's accvlab.on_demand_video_decoder
#                                  (peer_accvlab*, bench/peers/accvlab.py) from .carry/accvlab (built on this
#                                  machine by bench/peers/accvlab_build.sh; only if .carry/accvlab holds
#                                  no extension but accvlab-src.tar.gz is it built there, into
#                                  build/accvlab-pkg, log $OUT/accvlab_build.txt); not a default step
#   epoch   $OUT/epoch/, $OUT/epoch_profile.*  issue #21's epoch table on .carry/videos (bench/suite.py:
#                                  epoch_T1/T4 at 1, 4, 16 GiB, the 8 GiB goal setting, random_x4,
#                                  sequential) and bench/epoch_profile.py; not a default step
#   probe   $OUT/probe_streams.*  bench/probe_streams.py on .carry/videos/hevc_gop30_b0 (not a default
#                                  step): N free-running sequential streams against 6 in lockstep
#   and     $OUT/summary.txt       one status per step
# A failing step does not stop the later ones; the last line sums up every status and the exit
# status is non-zero if any step failed. The whole run keeps under ~9 minutes: each step gets a
# time limit out of what is left.
#
# Without `build` the extension already in python/on_demand_video_decoder is used (built here by
# tools/device/build_here.sh and carried), e.g. `bash tools/device/run_gpu.sh test,epoch`.
# Environment: OUT (default /tmp/odvd_device_out), ODVD_PYTEST_ARGS (extra pytest arguments),
# ODVD_PYTEST_K (one pytest -k expression, e.g. "nvdec or gpu or cuda": the tests that need a GPU),
# ODVD_BENCH_ARGS (extra benchmark arguments), ODVD_DEADLINE_S (total budget, default 530).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT="$PWD"
OUT="${OUT:-/tmp/odvd_device_out}"
mkdir -p "$OUT"
BUILD="$ROOT/build/device"
PKG="$ROOT/python/on_demand_video_decoder"
STEPS="${1:-build,kernel,test,bench}"
DEADLINE=$((SECONDS + ${ODVD_DEADLINE_S:-530}))
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
export PATH="$PATH:/usr/local/cuda/bin"

GTEST_CONFIG="$(find /usr -name GTestConfig.cmake 2>/dev/null | head -1)"
declare -a SUMMARY=()
FAILED=0

wants() { [[ ",$STEPS," == *",$1,"* ]]; }

# Seconds a step may take: its cap, or what is left of the budget minus `reserve` seconds kept
# for the steps after it.
limit() {
  local cap="$1" reserve="$2" left=$((DEADLINE - SECONDS - $2))
  ((left < 10)) && left=10
  ((cap < left)) && echo "$cap" || echo "$left"
}

record() {
  local name="$1" rc="$2" started="$3" status
  case "$rc" in
    0) status="ok" ;;
    124 | 137) status="TIMEOUT" ;;
    77) status="skipped(77)" ;; # the kernel check's "no CUDA device"
    skip*) status="$rc" ;;
    *) status="FAIL($rc)" ;;
  esac
  [[ "$status" == "TIMEOUT" || "$status" == FAIL* ]] && FAILED=1
  SUMMARY+=("$name=$status")
  echo "== $name: $status ($((SECONDS - started)) s)"
}

# --- env -------------------------------------------------------------------------------------
step_env() {
  {
    echo "# date: $(date -u +%FT%TZ)  host: $(hostname)  nproc: $(nproc)"
    echo "# nvidia-smi --query-gpu"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,mig.mode.current \
      --format=csv 2>&1
    echo "# nvidia-smi -q (excerpt)"
    nvidia-smi -q 2>&1 | grep -E "Product Name|Product Architecture|Driver Version|CUDA Version|MIG Mode" | head -10
    nvidia-smi -q -d UTILIZATION 2>&1 | grep -vE "^(=|Timestamp|Driver Version|CUDA Version|Attached GPUs)" | head -40
    echo "# libnvcuvid"
    (ldconfig -p 2>/dev/null | grep -E "libnvcuvid|libcuda\.so|libnvidia-ml") || echo "not in ldconfig cache"
    echo "# nvcc"
    nvcc --version 2>&1 | tail -2
    echo "# compilers: c++=$(command -v c++ || echo none) CUDAHOSTCXX=${CUDAHOSTCXX:-unset}"
    (c++ --version 2>/dev/null || true) | head -1
    [[ -n "${CUDAHOSTCXX:-}" ]] && "$CUDAHOSTCXX" --version 2>&1 | head -1
    echo "# cmake: $(cmake --version 2>&1 | head -1); ninja: $(ninja --version 2>&1)"
    echo "# GoogleTest: ${GTEST_CONFIG:-not found}"
    echo "# ffmpeg CLI: $(command -v ffmpeg || echo none)"
    python3 - <<'EOF' 2>&1
import platform, sys
print("# python", sys.version.split()[0], platform.machine())
try:
    import torch
    print("# torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
          torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
except Exception as e:  # noqa: BLE001
    print("# torch: not usable:", e)
import numpy
print("# numpy", numpy.__version__)
EOF
  } >"$OUT/env.txt" 2>&1
}

# --- build -----------------------------------------------------------------------------------
cmake_args() {
  local args=(-S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
    "-DODVD_FFMPEG_PREFIX=$ROOT/.carry/ffmpeg"
    "-DODVD_FFNVCODEC_INCLUDE_DIR=$ROOT/.carry/include"
    -DCMAKE_CUDA_ARCHITECTURES=90
    "-DPython_EXECUTABLE=$(command -v python3)"
    "-Dpybind11_DIR=$(python3 -m pybind11 --cmakedir)")
  local nvcc
  nvcc="$(command -v nvcc || true)"
  [[ -n "$nvcc" ]] && args+=("-DCMAKE_CUDA_COMPILER=$nvcc")
  [[ -n "${CUDAHOSTCXX:-}" ]] && args+=("-DCMAKE_CUDA_HOST_COMPILER=$CUDAHOSTCXX")
  # No system C++ compiler: use the CUDA host compiler (and its gcc) for C and C++ too.
  if ! command -v c++ >/dev/null && [[ -z "${CXX:-}" && -n "${CUDAHOSTCXX:-}" ]]; then
    args+=("-DCMAKE_CXX_COMPILER=$CUDAHOSTCXX" "-DCMAKE_C_COMPILER=$(dirname "$CUDAHOSTCXX")/gcc")
  fi
  if [[ -n "$GTEST_CONFIG" ]]; then
    args+=(-DODVD_BUILD_TESTS=ON)
  else
    args+=(-DODVD_BUILD_TESTS=OFF)
  fi
  printf '%s\n' "${args[@]}"
}

step_build() {
  local log="$BUILD.log" rc
  mkdir -p "$BUILD"
  rm -f "$PKG"/_odvd*.so # a failed build must not leave an older extension to be tested
  mapfile -t args < <(cmake_args)
  {
    echo "+ cmake ${args[*]}"
    # ODVD_BUILD_TARGETS (e.g. _odvd): build only those (the extension alone, ~15 s sooner than
    # every test target, where a call's time is short).
    # shellcheck disable=SC2086  # a list of targets
    cmake "${args[@]}" && timeout "$1" ninja -C "$BUILD" -j16 ${ODVD_BUILD_TARGETS:-}
  } >"$log" 2>&1
  rc=$?
  if ((rc == 0)); then
    cp "$BUILD"/src/_odvd*.so "$PKG/" && echo "copied $(ls "$BUILD"/src/_odvd*.so) -> $PKG" >>"$log"
    rc=$?
    readelf -d "$PKG"/_odvd*.so 2>/dev/null | grep NEEDED >>"$log"
  fi
  # The whole configure output, then the last lines of the compile (errors end a ninja run).
  { sed -n '1,/Build files have been written/p' "$log"; echo "..."; tail -n 250 "$log"; } >"$OUT/build.txt"
  return "$rc"
}

# --- kernel check ----------------------------------------------------------------------------
step_kernel() {
  local rc=0 name exe
  : >"$OUT/kernel_check.txt"
  for name in color tensor; do
    exe="$BUILD/tests/cuda/odvd_${name}_kernel_check"
    if [[ ! -x "$exe" ]]; then
      echo "not built: $exe" >>"$OUT/kernel_check.txt"
      rc=200
      continue
    fi
    {
      echo "+ $exe"
      timeout "$1" "$exe" || rc=$((rc ? rc : $?))
      echo "+ $exe --time"
      timeout "$1" "$exe" --time || rc=$((rc ? rc : $?))
    } >>"$OUT/kernel_check.txt" 2>&1
  done
  return "$rc"
}

# --- tests -----------------------------------------------------------------------------------
step_test() {
  local rc args
  # Tests that need the ffmpeg CLI (absent there) skip themselves and say so (-rs).
  # shellcheck disable=SC2206
  args=(tests/python -q -rs -p no:cacheprovider ${ODVD_PYTEST_ARGS:-})
  [[ -n ${ODVD_PYTEST_K:-} ]] && args+=(-k "$ODVD_PYTEST_K")
  {
    echo "+ python3 -m pytest ${args[*]}"
    timeout "$1" python3 -m pytest "${args[@]}"
  } 2>&1 | tee "$OUT/pytest.txt"
  rc=${PIPESTATUS[0]}
  if [[ -x "$(command -v ctest)" && -f "$BUILD/tests/cpp/CTestTestfile.cmake" ]]; then
    timeout 60 ctest --test-dir "$BUILD" --output-on-failure -j8 >"$OUT/ctest.txt" 2>&1 || rc=$((rc ? rc : $?))
  fi
  return "$rc"
}

# --- benchmark -------------------------------------------------------------------------------
# Peers for the suite: PyNvVideoCodec from the carried wheel, installed into build/peers.
install_peers() {
  if compgen -G "$ROOT/.carry/wheels/pynvvideocodec-*.whl" >/dev/null; then
    python3 -m pip install -q --no-deps --target "$ROOT/build/peers" "$ROOT"/.carry/wheels/pynvvideocodec-*.whl \
      >"$OUT/peers_install.txt" 2>&1 || echo "peer install failed (see peers_install.txt)"
  fi
}

# The suite (bench/suite.py) on the base config: 6 distinct cameras, every workload, the peers
# and the limit; then the limit tool, our back end against bare cuvid (Note [The raw limit]).
step_bench() {
  local rc
  install_peers
  # shellcheck disable=SC2086
  PYTHONPATH="$ROOT/build/peers:$PYTHONPATH" timeout "$1" python3 bench/suite.py --videos "$ROOT/.carry/videos" \
    --out "$OUT/suite" ${ODVD_BENCH_ARGS:-} 2>&1 | tee "$OUT/suite.txt"
  rc=${PIPESTATUS[0]}
  timeout 90 python3 bench/bench_limit.py --backends nvdec --raw --seconds 2 \
    --videos "$ROOT/.carry/videos/hevc_gop30_b0" --json "$OUT/bench_limit.json" 2>&1 | tee "$OUT/bench_limit.txt"
  [[ ${PIPESTATUS[0]} -ne 0 && $rc -eq 0 ]] && rc=1
  return "$rc"
}

# The sweep: the suite on every config in .carry/sweep (one camera each, copied to 6).
step_sweep() {
  install_peers
  # shellcheck disable=SC2086
  PYTHONPATH="$ROOT/build/peers:$PYTHONPATH" timeout "$1" python3 bench/suite.py --videos "$ROOT/.carry/sweep" \
    --out "$OUT/sweep" ${ODVD_BENCH_ARGS:-} 2>&1 | tee "$OUT/sweep.txt"
  return "${PIPESTATUS[0]}"
}

# PyAV (the CPU peer) beside our CPU back end, same run: its wheel does not fit the main
# call's carry, so it comes in a call of its own (.carry/pyav, tools/device/prepare.sh).
step_pyav() {
  if ! compgen -G "$ROOT/.carry/pyav/av-*.whl" >/dev/null; then
    echo "no PyAV wheel in .carry/pyav"
    return 1
  fi
  python3 -m pip install -q --no-deps --target "$ROOT/build/pyav" "$ROOT"/.carry/pyav/av-*.whl \
    >"$OUT/pyav_install.txt" 2>&1 || echo "PyAV install failed (see pyav_install.txt)"
  # shellcheck disable=SC2086
  PYTHONPATH="$ROOT/build/pyav:$PYTHONPATH" timeout "$1" python3 bench/suite.py --videos "$ROOT/.carry/videos" \
    --backends cpu --out "$OUT/pyav" ${ODVD_BENCH_ARGS:-} 2>&1 | tee "$OUT/pyav.txt"
  return "${PIPESTATUS[0]}"
}

# torchcodec on its CUDA device beside ours, same run: its wheel and the shared FFmpeg it
# loads (.carry/torchcodec, .carry/peer-ffmpeg: tools/device/prepare.sh) come in a call of
# their own.
step_torchcodec() {
  if ! compgen -G "$ROOT/.carry/torchcodec/torchcodec-*.whl" >/dev/null || [[ ! -d "$ROOT/.carry/peer-ffmpeg/lib" ]]; then
    echo "no torchcodec wheel in .carry/torchcodec or no FFmpeg in .carry/peer-ffmpeg"
    return 1
  fi
  python3 -m pip install -q --no-deps --target "$ROOT/build/torchcodec" "$ROOT"/.carry/torchcodec/torchcodec-*.whl \
    >"$OUT/torchcodec_install.txt" 2>&1 || echo "torchcodec install failed (see torchcodec_install.txt)"
  # shellcheck disable=SC2086
  LD_LIBRARY_PATH="$ROOT/.carry/peer-ffmpeg/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    PYTHONPATH="$ROOT/build/torchcodec:$PYTHONPATH" timeout "$1" python3 bench/suite.py --videos "$ROOT/.carry/videos" \
    --backends nvdec --workloads random,random_x4,peer_torchcodec_ffmpeg,peer_torchcodec_beta \
    --out "$OUT/torchcodec" ${ODVD_BENCH_ARGS:-} 2>&1 | tee "$OUT/torchcodec.txt"
  return "${PIPESTATUS[0]}"
}

# NVIDIA ACCV-Lab's accvlab.on_demand_video_decoder (the API we implement) beside ours, same run:
# our workloads and its best path for each (bench/peers/accvlab.py). Its package comes built in
# .carry/accvlab (tools/device/prepare.sh accvlab); where only its source tarball came, it is
# built here first (bench/peers/accvlab_build.sh: the extension only, sm_90, -j16).
ACCVLAB_WORKLOADS=random,random_x4,multi4,sequential,bundle,peer_accvlab,peer_accvlab_x4,peer_accvlab_multi4,peer_accvlab_sequential,peer_accvlab_bundle
step_accvlab() {
  local pkg="$ROOT/.carry/accvlab" started=$SECONDS
  if ! compgen -G "$pkg/accvlab/on_demand_video_decoder/_PyNvOnDemandDecoder*.so" >/dev/null; then
    if [[ ! -f "$pkg/accvlab-src.tar.gz" ]]; then
      echo "no accvlab in .carry/accvlab (bash tools/device/prepare.sh accvlab)"
      return 1
    fi
    pkg="$ROOT/build/accvlab-pkg"
    ACCVLAB_SRC="$ROOT/.carry/accvlab/accvlab-src.tar.gz" PYTHON=python3 JOBS=16 CUDA_ARCHS=90 \
      timeout "$(($1 / 2))" bash bench/peers/accvlab_build.sh "$pkg" >"$OUT/accvlab_build.txt" 2>&1 || {
      echo "accvlab build failed (see accvlab_build.txt)"
      return 1
    }
  fi
  cp "$pkg/BUILD.txt" "$OUT/accvlab_build_info.txt" 2>/dev/null
  local left=$(($1 - (SECONDS - started)))
  ((left < 10)) && left=10
  # shellcheck disable=SC2086
  PYTHONPATH="$pkg:$PYTHONPATH" timeout "$left" python3 bench/suite.py \
    --videos "$ROOT/.carry/videos" --configs hevc_gop30_b0 --backends nvdec --workloads "$ACCVLAB_WORKLOADS" \
    --out "$OUT/accvlab" ${ODVD_BENCH_ARGS:-} 2>&1 | tee "$OUT/accvlab.txt"
  return "${PIPESTATUS[0]}"
}

# Issue #21's epoch table: shuffled epochs (EpochSampler) of 1-frame samples and 4-frame clips at
# 1, 4 and 16 GiB, the goal's setting (8 GiB, 8 groups decoding, 16 ahead), uniform random access
# (4 callers) and sequential reading, one run on the base config; then bench/epoch_profile.py
# (where a group's time goes, default cache and a cache holding every file's session).
EPOCH_WORKLOADS=random_x4,sequential,epoch_T1_1024MiB,epoch_T1_4096MiB,epoch_T1_16384MiB,epoch_T4_1024MiB,epoch_T4_4096MiB,epoch_T4_16384MiB,epoch_T1_8192MiB_inflight8_ahead16
step_epoch() {
  local rc started=$SECONDS
  # shellcheck disable=SC2086
  timeout "$(($1 - 45))" python3 bench/suite.py --videos "$ROOT/.carry/videos" --configs hevc_gop30_b0 \
    --backends nvdec --workloads "$EPOCH_WORKLOADS" --no-limit --no-peers --epoch-seconds 12 \
    --out "$OUT/epoch" ${ODVD_BENCH_ARGS:-} 2>&1 | tee "$OUT/epoch.txt"
  rc=${PIPESTATUS[0]}
  timeout "$(($1 - (SECONDS - started)))" python3 bench/epoch_profile.py --videos "$ROOT/.carry/videos/hevc_gop30_b0" \
    --seconds 9 --variant inflight=4 --variant inflight=4,cache=16384 --json "$OUT/epoch_profile.json" \
    2>&1 | tee "$OUT/epoch_profile.txt"
  [[ ${PIPESTATUS[0]} -ne 0 && $rc -eq 0 ]] && rc=1
  return "$rc"
}

# How many sequential streams NVDEC sustains, free-running and in lockstep (bench/probe_streams.py;
# ODVD_PROBE_ARGS adds arguments).
step_probe() {
  # shellcheck disable=SC2086
  timeout "$1" python3 bench/probe_streams.py --videos "$ROOT/.carry/videos/hevc_gop30_b0" \
    --json "$OUT/probe_streams.json" ${ODVD_PROBE_ARGS:-} 2>&1 | tee "$OUT/probe_streams.txt"
  return "${PIPESTATUS[0]}"
}

run_step() {
  local name="$1" cap="$2" reserve="$3" started=$SECONDS rc
  if ! wants "$name"; then
    return
  fi
  echo "== $name (limit $(limit "$cap" "$reserve") s)"
  "step_$name" "$(limit "$cap" "$reserve")"
  rc=$?
  ((rc == 200)) && rc="skipped (not built)"
  record "$name" "$rc" "$started"
}

step_env
echo "== env: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi")"
# name cap reserve-for-later-steps (seconds)
run_step build 300 150
run_step kernel 60 120
run_step test 240 90
run_step bench 200 0
run_step sweep 520 0
run_step pyav 200 0
run_step torchcodec 200 0
run_step epoch 260 0
run_step accvlab 300 0
run_step probe 200 0
echo "${SUMMARY[*]}" >"$OUT/summary.txt"
echo "summary: ${SUMMARY[*]:-nothing selected} (total $SECONDS s)"
exit "$FAILED"
