#!/usr/bin/env bash
# Builds on_demand_video_decoder and installs it into the current Python environment
# (pip + scikit-build-core; the build tree in build/<wheel tag> is kept, so rebuilds
# are incremental).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
PYTHON="${PYTHON:-python3}"
echo "odvd: building and installing the Python package"
"$PYTHON" -m pip install -q --no-build-isolation .
