#!/usr/bin/env bash
# Makes the "before" side of bench/before_after.sh HERE, built: the tree of an earlier commit with
# its extension built for the GPU machine (tools/device/build_here.sh: Python 3.12, sm_90, the
# static FFmpeg of .carry/ffmpeg), packed as a tarball to carry. A device call then builds
# neither side (PREBUILT=1 for the working tree's own carried extension):
#
#   bash tools/device/build_here.sh                 # the after side, in python/on_demand_video_decoder
#   bash tools/device/before_here.sh 9b5e1fa        # -> .carry/before_9b5e1fa.tar.gz
#   device call: carry [python/on_demand_video_decoder/_odvd.cpython-312-x86_64-linux-gnu.so,
#                       .carry/videos, .carry/before_9b5e1fa.tar.gz],
#     command: OUT=$OUT PREBUILT=1 BEFORE_TAR=.carry/before_9b5e1fa.tar.gz VIDEOS=$PWD/.carry/videos \
#              CONFIGS=hevc_gop30_b0 WORKLOADS=random_x4,multi4 bash bench/before_after.sh
#
# Needs .carry/ffmpeg and .carry/include (tools/device/prepare.sh). ~3 minutes on 2 cores.
# Usage: bash tools/device/before_here.sh REV [OUT_TARBALL]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
REV="${1:?usage: before_here.sh REV [OUT_TARBALL]}"
SHORT="$(git rev-parse --short "$REV^{commit}")"
TAR="${2:-$ROOT/.carry/before_$SHORT.tar.gz}"
for need in .carry/ffmpeg .carry/include; do
  [[ -d "$need" ]] || {
    echo "before_here: $need is missing (bash tools/device/prepare.sh)" >&2
    exit 1
  }
done
TREE="$(mktemp -d /tmp/odvd-before-XXXXXX)"
trap 'rm -rf "$TREE"' EXIT
git archive "$SHORT" | tar -x -C "$TREE"
ln -s "$ROOT/.carry" "$TREE/.carry"
# The earlier tree's own build script where it has one (same configuration), else this one's.
if [[ ! -f "$TREE/tools/device/build_here.sh" ]]; then
  mkdir -p "$TREE/tools/device"
  cp "$ROOT/tools/device/build_here.sh" "$TREE/tools/device/"
fi
(cd "$TREE" && bash tools/device/build_here.sh >/dev/null) || {
  echo "before_here: building $SHORT failed" >&2
  exit 1
}
rm "$TREE/.carry"
rm -rf "$TREE/build"
mkdir -p "$(dirname "$TAR")"
tar -czf "$TAR" -C "$TREE" .
echo "before_here: $SHORT with $(basename "$(ls "$TREE"/python/on_demand_video_decoder/_odvd*.so)") -> $TAR" \
  "($(du -h "$TAR" | cut -f1))"
