#!/usr/bin/env bash
# Before/after on the GPU machine, in one device call: builds an earlier commit next to the
# working tree, then runs bench/suite.py's own workloads (NVDEC: random, random_x4, multi4,
# sequential, bundle) on every config in .carry/sweep with each build, and compares them
# (bench/compare_runs.py). The earlier source travels as a tarball made here:
#
#   git archive COMMIT | gzip > .carry/before.tar.gz
#   device call: carry [".carry/ffmpeg", ".carry/include", ".carry/sweep", ".carry/before.tar.gz"],
#                command: bash bench/before_after.sh
#
# Writes $OUT/{before,after}/suite.{json,md} and $OUT/before_after.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT="$PWD"
OUT="${OUT:-/tmp/odvd_before_after}"
OLD=/tmp/odvd_before
mkdir -p "$OUT"
rm -rf "$OLD" && mkdir -p "$OLD" && tar -xzf "$ROOT/.carry/before.tar.gz" -C "$OLD" || exit 1
ln -s "$ROOT/.carry" "$OLD/.carry"
(cd "$OLD" && OUT="$OUT/build_before" bash tools/device/run_gpu.sh build) >"$OUT/build_before.txt" 2>&1
OUT="$OUT/build_after" bash tools/device/run_gpu.sh build >"$OUT/build_after.txt" 2>&1
tail -1 "$OUT/build_before.txt" "$OUT/build_after.txt"
ARGS=(--videos "$ROOT/.carry/sweep" --backends nvdec --no-limit --no-peers --seconds "${SECONDS_PER_WORKLOAD:-1.5}"
  --workloads random,random_x4,multi4,sequential,bundle)
for side in before after; do
  pkg="$ROOT/python"
  [[ $side == before ]] && pkg="$OLD/python"
  PYTHONPATH="$pkg" python3 bench/suite.py "${ARGS[@]}" --out "$OUT/$side" >"$OUT/$side.txt" 2>&1 ||
    echo "$side: suite failed (see $side.txt)"
done
python3 bench/compare_runs.py "$OUT/before/suite.json" "$OUT/after/suite.json" | tee "$OUT/before_after.md"
