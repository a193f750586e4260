#!/usr/bin/env bash
# Builds on_demand_video_decoder and installs it into the current Python environment
# (pip + scikit-build-core; the build tree in build/<wheel tag> is kept, so rebuilds
# are incremental).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
PYTHON="${PYTHON:-python3}"
where="$("$PYTHON" -c 'import sys; print(sys.prefix)')"
if "$PYTHON" -c 'import sys; sys.exit(sys.prefix != sys.base_prefix)'; then
  # Not a virtual environment: say where the package goes and how to choose.
  echo "odvd: installing into $where (no virtual environment active; to use one:" \
    "python3 -m venv .venv && . .venv/bin/activate, or PYTHON=/path/to/python bash $0)"
fi
first=""
[ -d build ] && compgen -G "build/cp*" >/dev/null || first=" (a first build compiles the C++/CUDA library: about 1-2 minutes on 16 cores, 5-10 on 2; later builds are incremental)"
echo "odvd: building and installing the Python package with $PYTHON$first"
start=$SECONDS
PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --no-build-isolation .
echo "odvd: built and installed in $((SECONDS - start)) s"
