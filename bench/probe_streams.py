#!/usr/bin/env python3
"""How many sequential streams NVDEC sustains, and what reading them in lockstep costs.

The sequential goal of issue #6 asks the sample reader for 90% of what NVDEC can decode. A
stream's pictures depend on each other, so 6 cameras read in order keep at most 6 sessions
busy, on a GPU with 7 engines (H100). This probe measures, on one set of camera files:

  free N     N threads, each its own PyNvSampleReader(1, 1, decode_ahead_mib=0) reading one file (file i % cameras,
             starting at a different GOP per thread) frame by frame, every call one frame, all
             threads at once: the aggregate rate N independent sequential streams reach with
             everything this library does per frame (decode, map, copy, RGB conversion).
  lockstep   one PyNvSampleReader(1, cameras): call k asks every camera for frame k (the
             suite's `sequential` workload), with decode-ahead off (decode_ahead_mib=0) and at
             its default (-1; Note [Decode ahead]).

If N > cameras free streams decode faster than `cameras` of them, decoding more streams than
there are cameras (the next GOP of a camera on a second session) can raise sequential reading;
if they do not, the cameras' count bounds it. Each run reads one pass untimed first, then
counts frames returned for --seconds; NVML decoder utilisation is sampled meanwhile.

    python3 bench/probe_streams.py --videos .carry/videos/hevc_gop30_b0 --streams 6,7,8,9,12 [--json F]

A folder with fewer camera files than --cameras is read with its files repeated (each entry
still has its own reader slot and sessions).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import on_demand_video_decoder as nvc  # noqa: E402
from bench_nvdec import NvmlSampler, find_videos, index_infos, machine  # noqa: E402


def free_streams(paths: list[str], n: int, gpu: int, seconds: float) -> dict:
    readers = [nvc.PyNvSampleReader(1, 1, gpu, True, decode_ahead_mib=0) for _ in range(n)]
    total = min(i["frame_count"] for i in index_infos(paths))
    barrier = threading.Barrier(n + 1)
    done = [0] * n
    errors: list[BaseException] = []
    stop = threading.Event()

    def worker(i: int) -> None:
        try:
            reader, path = readers[i], paths[i % len(paths)]
            k = (30 * i) % total
            for _ in range(total):  # the untimed pass: opens the file, creates the session
                reader.DecodeN12ToRGB([path], [k])
                k = (k + 1) % total
            barrier.wait()
            got = 0
            while not stop.is_set():
                got += len(reader.DecodeN12ToRGB([path], [k]))
                k = (k + 1) % total
            done[i] = got
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    nvml = NvmlSampler(gpu)
    nvml.start()
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    util = nvml.stop()
    if errors:
        raise errors[0]
    return {"run": f"free {n}", "streams": n, "frames_per_s": sum(done) / elapsed,
            "per_stream": [d / elapsed for d in done], "nvml_mean": util.get("mean_percent")}


def lockstep(paths: list[str], gpu: int, seconds: float, ahead: int) -> dict:
    n, total = len(paths), min(i["frame_count"] for i in index_infos(paths))
    reader = nvc.PyNvSampleReader(1, n, gpu, True, decode_ahead_mib=ahead)
    for k in range(total):
        reader.DecodeN12ToRGB(paths, [k] * n)
    nvml = NvmlSampler(gpu)
    nvml.start()
    got, k, t0 = 0, 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        got += len(reader.DecodeN12ToRGB(paths, [k] * n))
        k = (k + 1) % total
    elapsed = time.perf_counter() - t0
    util = nvml.stop()
    return {"run": f"lockstep {n}, decode_ahead_mib={ahead}", "streams": n, "frames_per_s": got / elapsed, "nvml_mean": util.get("mean_percent")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", default=".carry/videos/hevc_gop30_b0")
    p.add_argument("--cameras", type=int, default=6)
    p.add_argument("--streams", default="6,7,8,9,12")
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--repeat", type=int, default=2, help="runs of the whole list, alternating")
    p.add_argument("--gpu", type=int, default=0)
    p.add_argument("--ahead-mib", default="0,-1", help="decode_ahead_mib values for the lockstep runs")
    p.add_argument("--json")
    args = p.parse_args(argv)
    paths = find_videos(Path(args.videos), args.cameras)
    paths = [paths[i % len(paths)] for i in range(args.cameras)]  # a sweep folder holds cam0 only
    rows = []
    for r in range(args.repeat):
        for ahead in (int(x) for x in args.ahead_mib.split(",")):
            rows.append(lockstep(paths, args.gpu, args.seconds, ahead) | {"repeat": r})
            print(rows[-1]["run"], f"{rows[-1]['frames_per_s']:.0f} frames/s, NVML {rows[-1]['nvml_mean']}",
                  flush=True)
        for n in (int(x) for x in args.streams.split(",")):
            rows.append(free_streams(paths, n, args.gpu, args.seconds) | {"repeat": r})
            row = rows[-1]
            print(row["run"], f"{row['frames_per_s']:.0f} frames/s, NVML {row['nvml_mean']}, per stream "
                  f"{min(row['per_stream']):.0f}-{max(row['per_stream']):.0f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "command": " ".join(sys.argv), "rows": rows},
                                              indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
