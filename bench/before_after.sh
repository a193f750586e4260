#!/usr/bin/env bash
# Before/after on the GPU machine, in one device call: builds an earlier commit next to the
# working tree, then runs bench/suite.py's own workloads (NVDEC: random, random_x4, multi4,
# sequential, bundle) on every config in .carry/sweep with each build, and compares them
# (bench/compare_runs.py). The earlier source travels as a tarball made here:
#
#   git archive COMMIT | gzip > .carry/before.tar.gz    (or BEFORE_TAR=another tarball, relative to the root;
#                                                        one holding its built extension is not rebuilt:
#                                                        tools/device/before_here.sh COMMIT makes one here)
#   device call: carry [".carry/ffmpeg", ".carry/include", ".carry/sweep", ".carry/before.tar.gz"],
#                command: bash bench/before_after.sh
#
# Writes $OUT/{before,after}/suite.{json,md} and $OUT/before_after.md. Environment: VIDEOS (the
# configs' folder, default .carry/sweep), WORKLOADS and CONFIGS (suite.py's lists; default every
# NVDEC workload of ours and every config), REPEAT
# (default 1: runs before, after, before, after, ... and compares each pair; the builds are
# kept in /tmp/odvd_before and build/device, so a later call on the same machine skips them).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT="$PWD"
OUT="${OUT:-/tmp/odvd_before_after}"
OLD=/tmp/odvd_before
mkdir -p "$OUT"
if ! compgen -G "$OLD/python/on_demand_video_decoder/_odvd*.so" >/dev/null; then
  rm -rf "$OLD" && mkdir -p "$OLD" && tar -xzf "$ROOT/${BEFORE_TAR:-.carry/before.tar.gz}" -C "$OLD" || exit 1
  ln -s "$ROOT/.carry" "$OLD/.carry"
  # A tarball may hold its extension already (built here by tools/device/build_here.sh).
  compgen -G "$OLD/python/on_demand_video_decoder/_odvd*.so" >/dev/null ||
    (cd "$OLD" && OUT="$OUT/build_before" bash tools/device/run_gpu.sh build) >"$OUT/build_before.txt" 2>&1
fi
# PREBUILT=1: the working tree's extension was carried (tools/device/build_here.sh); no build.
[[ -n ${PREBUILT:-} ]] || OUT="$OUT/build_after" bash tools/device/run_gpu.sh build >"$OUT/build_after.txt" 2>&1
ARGS=(--videos "${VIDEOS:-$ROOT/.carry/sweep}" --backends nvdec --no-limit --no-peers --seconds "${SECONDS_PER_WORKLOAD:-1.5}"
  --workloads "${WORKLOADS:-random,random_x4,multi4,sequential,bundle}" --configs "${CONFIGS:-all}")
for ((i = 1; i <= ${REPEAT:-1}; i++)); do
  suffix=""
  ((${REPEAT:-1} > 1)) && suffix="_$i"
  for side in before after; do
    pkg="$ROOT/python"
    [[ $side == before ]] && pkg="$OLD/python"
    PYTHONPATH="$pkg" python3 bench/suite.py "${ARGS[@]}" --out "$OUT/$side$suffix" >"$OUT/$side$suffix.txt" 2>&1 ||
      echo "$side$suffix: suite failed (see $side$suffix.txt)"
  done
  python3 bench/compare_runs.py "$OUT/before$suffix/suite.json" "$OUT/after$suffix/suite.json" |
    tee "$OUT/before_after$suffix.md"
done
