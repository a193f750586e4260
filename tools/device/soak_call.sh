#!/usr/bin/env bash
# Issue #16's GPU soak, one phase a device call (10,000 calls of both do not fit 600 s):
#   bash tools/device/soak_call.sh random   (~550 s: ~18 calls of 2 entries a second on an H100)
#   bash tools/device/soak_call.sh reader   (~320 s; EXAMPLE=1 first runs examples/train_ddp.py
#                                            on the GPU, both patterns: carry .carry/sample_cache too;
#                                            GPU_TESTS=1 first runs tests/python/test_gpu.py)
# carry [".carry/ffmpeg", ".carry/include", "tests/videos/generated"] (tools/device/prepare.sh).
# --settle: sessions closed and the pool emptied before each sample (bench/soak.py's docstring).
# PREBUILT=1: use the extension already in python/on_demand_video_decoder (built here for the
# device's Python 3.12, sm_90, and carried: see tools/device/build_here.sh), no build on the device
# (~60 s more for the soak).
# CALLS (default 10000) and LIMIT_S (default 580: the seconds this script may take in all, the
# soak being cut short, and judged on its samples so far, when they run out).
set -u
cd "$(dirname "$0")/../.." || exit 1
T0=$SECONDS
PHASE=${1:-reader}
OUT=${OUT:-/tmp/odvd_soak}
mkdir -p "$OUT"
if [[ -n ${PREBUILT:-} ]]; then
  ls python/on_demand_video_decoder/_odvd*.so || exit 1
else
  ODVD_BUILD_TARGETS=_odvd ODVD_DEADLINE_S=200 bash tools/device/run_gpu.sh build >"$OUT/steps.txt" 2>&1
  tail -1 "$OUT/steps.txt"
fi
export PYTHONPATH=$PWD/python
if [[ -n ${GPU_TESTS:-} ]]; then  # tests/python/test_gpu.py first (~60 s)
  timeout 150 python3 -m pytest -q tests/python/test_gpu.py 2>&1 | tail -4
fi
if [[ -n ${EXAMPLE:-} ]]; then  # issue #20's proof: the DDP example on 1 GPU, both patterns
  export XDG_CACHE_HOME=$PWD/.carry/sample_cache OMP_NUM_THREADS=1
  timeout 90 python3 -m torch.distributed.run --standalone --nproc_per_node=1 examples/train_ddp.py \
    --epochs 2 --max-clips 40 2>&1 | tail -12
  timeout 90 python3 -m torch.distributed.run --standalone --nproc_per_node=1 examples/train_ddp.py \
    --epochs 1 --max-clips 40 --pattern 2 --workers 4 2>&1 | tail -8
fi
DEFAULT_ENTRIES=4
[[ $PHASE == random ]] && DEFAULT_ENTRIES=2
ENTRIES=${ENTRIES:-$DEFAULT_ENTRIES}  # entries a call (random: each a file drawn anew)
timeout $((${LIMIT_S:-580} - (SECONDS - T0))) python3 -u bench/soak.py --gpu 0 --videos tests/videos/generated --phases "$PHASE" \
  --entries "$ENTRIES" --calls "${CALLS:-10000}" --every 500 --settle --out "$OUT/soak_$PHASE" >"$OUT/soak_$PHASE.txt" 2>&1
echo "$PHASE rc=$?"
grep -E "^  $PHASE" "$OUT/soak_$PHASE.txt" | sed 's/NVML \([0-9]*\) MiB, pool live+cached/NVML \1, pool/' | cut -c1-250
grep -vE "^  $PHASE" "$OUT/soak_$PHASE.txt" | grep -v "samples (calls" | cut -c1-400
echo "== done, t=$((SECONDS - T0)) s"
