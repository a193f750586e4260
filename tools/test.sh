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

bash tools/build.sh

# The C++ tests of the decode layer and the fuzzers read the generated test videos.
echo "odvd: test videos"
"$PYTHON" tests/videos/generate.py

echo "odvd: C++ unit tests"
cmake -S . -B build/cpp-tests -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DODVD_BUILD_TESTS=ON -DODVD_BUILD_PYTHON=OFF -DODVD_WERROR=ON >/dev/null
ninja -C build/cpp-tests -j "$JOBS"
ctest --test-dir build/cpp-tests --output-on-failure -j "$JOBS"

echo "odvd: format check"
bash tools/format.sh --check

echo "odvd: bundle sweeps under ASan/UBSan, and fuzzing (bundles, then videos seeded with the test videos)"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash tools/fuzz.sh

echo "odvd: thread-safety analysis (clang, GUARDED_BY checked)"
bash tools/thread_safety.sh

echo "odvd: Python tests"
# Run from outside the source tree so the installed package is what gets imported.
(cd tests && "$PYTHON" -m pytest python -q -rs)

# The same suite against FFmpeg 7.1 (a static build from Debian 13's source; the system's is 5.1).
if [[ "${ODVD_SKIP_FFMPEG7:-0}" != 1 ]]; then
  bash tools/test_ffmpeg7.sh
fi
