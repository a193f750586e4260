#!/usr/bin/env bash
# The README's first command: set everything up, then run the main job on the embedded
# default — generate a 6-camera sample, decode random frames from all cameras, print
# throughput and write a contact sheet (odvd_demo/contact_sheet.png).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
PYTHON="${PYTHON:-python3}"
exec "$PYTHON" -m on_demand_video_decoder.cli demo "$@"
