#!/usr/bin/env bash
# Compiles every C++ source of the library and its tests with clang's thread-safety
# analysis as an error (Note [Checked locking] in include/odvd/mutex.hpp), syntax only,
# with the flags of build/cpp-tests (tools/test.sh configures it first; the CUDA host
# sources are included when that build found the toolkit). Then proves the check alive:
# tests/thread_safety/must_fail.cpp breaks each rule once and must be rejected with one
# diagnostic per rule.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=build/cpp-tests/compile_commands.json
[ -f "$DB" ] || { echo "odvd: $DB missing: configure build/cpp-tests first (tools/test.sh does)" >&2; exit 1; }
command -v clang++ >/dev/null || { echo "odvd: clang++ is needed (tools/fuzz.sh installs it)" >&2; exit 1; }
FLAGS=(-fsyntax-only -Wthread-safety -Werror=thread-safety -Wno-unknown-warning-option)

# One line per source: the include and define flags of its compile command.
python3 - "$DB" >build/cpp-tests/thread_safety_sources.txt <<'PY'
import json, shlex, sys
for entry in json.load(open(sys.argv[1])):
    src = entry["file"]
    if not src.endswith(".cpp"):
        continue  # .cu files: nvcc's business
    args = entry.get("arguments") or shlex.split(entry["command"])
    keep = []
    for i, a in enumerate(args):
        if a == "-isystem" and i + 1 < len(args):  # its path is the next argument
            keep += [a, args[i + 1]]
        elif a.startswith(("-I", "-D", "-std=")) or (a.startswith("-isystem") and a != "-isystem"):
            keep.append(a)
    print(shlex.join([src] + keep))
PY
count=$(wc -l <build/cpp-tests/thread_safety_sources.txt)
echo "odvd: thread-safety analysis (clang -Werror=thread-safety) over $count sources"
fail=0
while read -r line; do
  eval "set -- $line"
  src="$1"
  shift
  if ! clang++ "${FLAGS[@]}" "$@" "$src" 2>build/cpp-tests/thread_safety_last.txt; then
    cat build/cpp-tests/thread_safety_last.txt
    fail=1
  fi
done <build/cpp-tests/thread_safety_sources.txt
[ "$fail" -eq 0 ] || { echo "odvd: thread-safety analysis failed" >&2; exit 1; }

expected=$(grep -c "// EXPECT:" tests/thread_safety/must_fail.cpp)
if clang++ "${FLAGS[@]}" -std=c++17 -Iinclude tests/thread_safety/must_fail.cpp 2>build/cpp-tests/thread_safety_neg.txt; then
  echo "odvd: tests/thread_safety/must_fail.cpp compiled: the thread-safety check is not working" >&2
  exit 1
fi
found=$(grep -c "error: .*\[-Werror,-Wthread-safety" build/cpp-tests/thread_safety_neg.txt || true)
if [ "$found" -ne "$expected" ]; then
  cat build/cpp-tests/thread_safety_neg.txt
  echo "odvd: must_fail.cpp gave $found thread-safety errors, expected $expected" >&2
  exit 1
fi
echo "odvd: thread-safety analysis clean; must_fail.cpp rejected with its $expected expected errors"
