#!/usr/bin/env bash
# clang-format over the C++/CUDA sources: rewrites files, or with --check fails on any
# difference.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'include/*.hpp' 'src/*.hpp' 'src/*.cpp' 'src/*.cu' 'tests/cpp/*.cpp' \
  'tests/cpp/*.hpp' 'tests/cuda/*.cu' 'bench/native/*.cpp' 'bench/native/*.hpp' 'tests/thread_safety/*.cpp')
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run --Werror "${files[@]}"
  echo "odvd: format: ${#files[@]} files as clang-format writes them"
else
  clang-format -i "${files[@]}"
fi
