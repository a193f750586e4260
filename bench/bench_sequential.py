"""Sequential frame-by-frame calls: continuing the open GOP vs restarting it each call.

For each video, decodes every frame with one call per frame on one decoder (the session
streams: Note [Continuing a GOP]) and, for comparison, each frame on a fresh decoder (what
every call would cost if it restarted at the GOP's key). Reports packets sent to the decoder
and wall time. Usage (test videos from tests/videos/generate.py):

    python3 bench/bench_sequential.py [--gpu N] [VIDEO ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import on_demand_video_decoder as nvc

DEFAULT = [Path("tests/videos/generated") / n for n in ("hevc_long_gop.mp4", "h264_gop30.mp4", "hevc_bframes.ts")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", default=[str(p) for p in DEFAULT])
    parser.add_argument("--gpu", type=int, default=-1, help="CUDA device, -1 = CPU back end (default)")
    args = parser.parse_args(argv)
    print("| video | frames | streaming: packets | s | restarting: packets | s | packets ratio |")
    print("|---|---|---|---|---|---|---|")
    for path in args.videos:
        n = nvc._odvd.GetIndexInfo(path)["frame_count"]
        dec = nvc.PyNvGopDecoder(1, args.gpu, True)
        start = time.perf_counter()
        for f in range(n):
            dec.Decode([path], [f])
        streaming = time.perf_counter() - start
        packets = dec._stats()["packets_sent"]
        restart_packets, start = 0, time.perf_counter()
        for f in range(n):
            fresh = nvc.PyNvGopDecoder(1, args.gpu, True)
            fresh.Decode([path], [f])
            restart_packets += fresh._stats()["packets_sent"]
        restarting = time.perf_counter() - start
        print(f"| {Path(path).name} | {n} | {packets} | {streaming:.2f} | {restart_packets} | {restarting:.2f} | "
              f"{restart_packets / packets:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
