#!/usr/bin/env bash
# Issue #18's GPU proof in one device call: `bash tools/device/wheel_call.sh`, carry
# [".carry/ffmpeg", ".carry/include", ".carry/wheelhouse", ".carry/videos", "tests/videos/generated",
#  ".carry/gpu_tests.txt", ".carry/sample_cache"] (.carry/gpu_tests.txt: python3
# tools/device/gpu_test_ids.py > .carry/gpu_tests.txt). The cp312 wheel is built there from the
# carried static FFmpeg (offline: build tools from .carry/wheelhouse, ffnvcodec headers from
# .carry/include), installed into a fresh venv, and the GPU tests and the base benchmark run
# against it. WHEEL_S and BENCH_S bound the two parts (seconds).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
T0=$SECONDS
OUT=${OUT:-/tmp/odvd_wheel}
mkdir -p "$OUT"
export CMAKE_PREFIX_PATH=$ROOT/.carry ODVD_WHEEL_FFMPEG=$ROOT/.carry/ffmpeg ODVD_WHEELHOUSE=$ROOT/.carry/wheelhouse
export ODVD_DETERMINISM_REPS=10 XDG_CACHE_HOME=$ROOT/.carry/sample_cache
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
python3 --version
sed 's#^tests/##' .carry/gpu_tests.txt >/tmp/ids.txt
mapfile -t ids </tmp/ids.txt
ids+=("python/test_installed.py")  # the package under test is the installed wheel
echo "== wheel + ${#ids[@]} GPU tests against it"
timeout "${WHEEL_S:-430}" bash tools/test_wheel.sh "${ids[@]}" >"$OUT/wheel.txt" 2>&1
echo "rc=$?"
grep -E "^odvd:|passed|failed|^FAILED|^ERROR" "$OUT/wheel.txt" | cut -c1-220 | tail -25
echo "== base benchmark against the wheel, t=$((SECONDS - T0)) s"
(cd /tmp && timeout "${BENCH_S:-120}" "$ROOT/build/wheel-venv/bin/python" "$ROOT/bench/suite.py" --videos "$ROOT/.carry/videos" \
  --configs hevc_gop30_b0 --backends nvdec --workloads random,random_x4,sequential,dataloader_direct,dataloader_p1,dataloader_p2 \
  --no-limit --no-peers --seconds 2 --out "$OUT/suite_wheel" >"$OUT/suite_wheel.txt" 2>&1)
echo "rc=$?"
grep -E "frames/s|imported|Error|dataloader" "$OUT/suite_wheel.txt" | cut -c1-250 | head -14
echo "== done, t=$((SECONDS - T0)) s"
