#!/usr/bin/env bash
# The README's second command (and CI's): build, then run every test suite —
# C++ unit tests (GoogleTest, warnings as errors), the format check, the fuzzers, clang's
# thread-safety analysis, and the Python tests on the CPU back end, on the system's
# FFmpeg 5.1 and then on FFmpeg 7.1
# (tools/test_ffmpeg7.sh; ODVD_SKIP_FFMPEG7=1 skips that). GPU tests skip, and say so,
# on machines without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
JOBS="$(nproc)"

# Each suite's output goes to the console and to build/test-logs/; the last lines printed
# are one summary line per suite (and, when one fails, which), so nobody has to scroll.
LOGS=build/test-logs
mkdir -p "$LOGS"
SUMMARY=()
CURRENT=""
print_summary() {
  local rc=$?
  echo
  echo "odvd: summary (full logs in $LOGS/)"
  for line in "${SUMMARY[@]}"; do echo "  $line"; done
  if ((rc != 0)); then echo "  FAILED: ${CURRENT:-setup} (exit $rc; its log: $LOGS/${CURRENT// /_}.log)"; fi
}
trap print_summary EXIT
# step NAME PATTERN COMMAND...: runs COMMAND, keeps its output, and remembers the last line
# matching PATTERN (the suite's own summary) for the end.
step() {
  local name=$1 pattern=$2
  shift 2
  CURRENT=$name
  echo "odvd: $name"
  local log="$LOGS/${name// /_}.log"
  "$@" 2>&1 | tee "$log"
  SUMMARY+=("$name: $(grep -aE "$pattern" "$log" | tail -n 1 | sed -E 's/^[[:space:]=]+//; s/^odvd: //; s/[[:space:]=]+$//')")
  CURRENT=""
}

step "build" "built and installed" bash tools/build.sh

# The C++ tests of the decode layer and the fuzzers read the generated test videos.
step "test videos" "videos, .* bad inputs" "$PYTHON" tests/videos/generate.py

cmake -S . -B build/cpp-tests -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DODVD_BUILD_TESTS=ON -DODVD_BUILD_PYTHON=OFF -DODVD_WERROR=ON >/dev/null
step "C++ build" "ninja|Linking|no work" ninja -C build/cpp-tests -j "$JOBS"
step "C++ unit tests" "tests passed" ctest --test-dir build/cpp-tests --output-on-failure -j "$JOBS"

step "format check" "format" bash tools/format.sh --check

# Bundle sweeps and allocation-failure sweeps under ASan/UBSan, then fuzzing (bundles, then
# videos seeded with the test videos).
step "sanitizers and fuzzing" "^odvd: fuzz summary" env FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash tools/fuzz.sh

step "thread-safety analysis" "thread-safety analysis (clean|failed)" bash tools/thread_safety.sh

# PyTorch: the training-batch tests compare with torch's interpolate, the PyTorch data path
# runs through real DataLoader workers and torchrun, and the README's PyTorch examples run
# (PyPI's wheel; it runs on the CPU where there is no GPU). mypy checks the examples' types;
# pyarrow lets the clip index's Parquet files be tested.
if ! "$PYTHON" -c "import torch, mypy, pyarrow" >/dev/null 2>&1; then
  echo "odvd: installing PyTorch, mypy and pyarrow (pip install torch mypy pyarrow)"
  "$PYTHON" -m pip install -q torch mypy pyarrow
fi

# Run from outside the source tree so the installed package is what gets imported.
step "Python tests (FFmpeg 5.1)" "passed|failed|error" bash -c "cd tests && \"$PYTHON\" -m pytest python -q -rs"

# The install a user gets: the self-contained wheel, in a fresh virtual environment.
step "Python tests (wheel)" "passed|failed|error" bash tools/test_wheel.sh

# The same suite against FFmpeg 7.1 (a static build from Debian 13's source; the system's is 5.1).
if [[ "${ODVD_SKIP_FFMPEG7:-0}" != 1 ]]; then
  step "Python tests (FFmpeg 7.1)" "passed|failed|error" bash tools/test_ffmpeg7.sh
else
  SUMMARY+=("Python tests (FFmpeg 7.1): skipped (ODVD_SKIP_FFMPEG7=1)")
fi
