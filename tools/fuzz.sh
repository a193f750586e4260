#!/usr/bin/env bash
# Hostile-input checks (DESIGN.md habit 6), in a separate clang build (build/fuzz) with
# AddressSanitizer and UndefinedBehaviorSanitizer:
#   1. the bundle unit tests, corruption sweeps included, and the allocation-failure sweeps
#      (tests/cpp/alloc_failure_test.cpp) under the sanitizers; the decode-ahead tests
#      (tests/cpp/forward_reader_test.cpp) under ThreadSanitizer, in build/tsan;
#   2. the libFuzzer target bundle_fuzz for FUZZ_SECONDS (default 60) on a scratch copy
#      of the seed corpus (tests/fuzz/corpus plus freshly generated seeds);
#   3. the libFuzzer target video_fuzz (container -> index -> GOP -> CPU decode) for
#      VIDEO_FUZZ_SECONDS (default 60), seeded with the generated test videos (run
#      tests/videos/generate.py first; without them only tests/fuzz/video_corpus, the
#      inputs earlier runs found, seeds it). Every file of tests/fuzz/video_corpus is also
#      run once first, as a regression test.
# Installs clang when missing (x86-64 Debian). A crash leaves its input in
# build/fuzz/artifacts/; reproduce with: build/fuzz/tests/fuzz/bundle_fuzz FILE (or
# video_fuzz FILE); keep what it found in tests/fuzz/corpus or tests/fuzz/video_corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
VIDEO_FUZZ_SECONDS="${VIDEO_FUZZ_SECONDS:-60}"
JOBS="$(nproc)"
BUILD=build/fuzz

# clang, and its sanitizer and libFuzzer runtimes (libclang-rt-dev: only *recommended*
# by Debian's clang, so --no-install-recommends would leave them out).
has_fuzzer_runtime() {
  command -v clang++ >/dev/null 2>&1 &&
    [ -f "$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]
}
if ! has_fuzzer_runtime; then
  echo "odvd: installing clang and its runtimes"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-dev >/dev/null
fi

echo "odvd: fuzz build (clang, ASan + UBSan) in $BUILD"
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DODVD_BUILD_PYTHON=OFF -DODVD_BUILD_TESTS=ON -DODVD_BUILD_FUZZERS=ON -DODVD_ENABLE_CUDA=OFF \
  -DODVD_WERROR=ON >/dev/null
ninja -C "$BUILD" -j "$JOBS" bundle_fuzz bundle_fuzz_seeds video_fuzz gop_bundle_test legacy_bundle_test alloc_failure_test

# libFuzzer's progress lines go to a log (the console gets its final statistics, or the
# log's end when it finds something).
fuzz() {
  local name=$1 log="$BUILD/$1.log"
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "odvd: $name failed: the input is in $BUILD/artifacts/ (whole log: $log)" >&2
    return 1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^Done [0-9]+ runs" "$log" || true
}
runs() { grep -aoE "^Done [0-9]+ runs" "$BUILD/$1.log" | grep -oE "[0-9]+" | tail -n 1; }

echo "odvd: bundle unit tests under ASan + UBSan"
# quarantine_size_mb=64 (ASan's default is 256): a damaged Matroska file makes libavformat allocate
# and free element-sized buffers; held in the quarantine they took the video fuzzer past its 2 GB
# RSS limit (tests/fuzz/video_corpus/mkv_huge_elements_asan_quarantine.mkv: 2.1 GB with the default,
# 86 MB without a quarantine, 61 MB in a release build), though nothing leaked.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:quarantine_size_mb=64}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
"$BUILD/tests/cpp/gop_bundle_test" --gtest_brief=1
"$BUILD/tests/cpp/legacy_bundle_test" --gtest_brief=1
echo "odvd: allocation-failure sweeps (bundle parser and writer, file index) under ASan + UBSan"
"$BUILD/tests/cpp/alloc_failure_test" --gtest_brief=1

# The decode-ahead lanes share frames with the reader across threads (Note [Decode ahead]):
# their test, in a build of its own under ThreadSanitizer (tests/cpp/forward_reader_test.cpp).
echo "odvd: decode-ahead (ForwardReader) tests under ThreadSanitizer"
CC=clang CXX=clang++ cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DODVD_BUILD_PYTHON=OFF -DODVD_BUILD_TESTS=ON -DODVD_ENABLE_CUDA=OFF -DODVD_WERROR=ON \
  -DCMAKE_CXX_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >/dev/null
ninja -C build/tsan -j "$JOBS" forward_reader_test
TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}" build/tsan/tests/cpp/forward_reader_test --gtest_brief=1

echo "odvd: fuzzing bundle_fuzz for ${FUZZ_SECONDS} s"
corpus="$BUILD/corpus"
rm -rf "$corpus" && mkdir -p "$corpus" "$BUILD/artifacts"
cp tests/fuzz/corpus/* "$corpus/"
"$BUILD/tests/fuzz/bundle_fuzz_seeds" "$corpus"
fuzz bundle_fuzz "$BUILD/tests/fuzz/bundle_fuzz" "$corpus" -dict=tests/fuzz/bundle.dict -max_total_time="$FUZZ_SECONDS" \
  -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_funcs=0 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/"

fuzz video_regressions "$BUILD/tests/fuzz/video_fuzz" tests/fuzz/video_corpus/*
echo "odvd: video_fuzz: the $(find tests/fuzz/video_corpus -type f | wc -l) inputs earlier runs found replayed, no crash"
echo "odvd: fuzzing video_fuzz for ${VIDEO_FUZZ_SECONDS} s"
corpus="$BUILD/video_corpus"
rm -rf "$corpus" && mkdir -p "$corpus"
cp tests/fuzz/video_corpus/* "$corpus/"
if [ -d tests/videos/generated ]; then
  find tests/videos/generated -maxdepth 1 -type f ! -name '*.framemd5' ! -name '*.json' ! -name '*.txt' \
    -size -64k -exec cp {} "$corpus/" \;
fi
fuzz video_fuzz "$BUILD/tests/fuzz/video_fuzz" "$corpus" -max_total_time="$VIDEO_FUZZ_SECONDS" -max_len=65536 \
  -timeout=30 -rss_limit_mb=2048 -print_funcs=0 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/"
echo "odvd: fuzz summary: sanitized unit tests (decode-ahead under TSan) and allocation sweeps passed; bundle_fuzz $(runs bundle_fuzz) runs" \
  "in ${FUZZ_SECONDS} s, video_fuzz $(runs video_fuzz) runs in ${VIDEO_FUZZ_SECONDS} s, no crash"
