#!/usr/bin/env python3
"""How busy EpochSampler keeps its decoding threads, simulated (no decoding, no GPU).

Groups (GOPs of every camera) decode on `groups_in_flight` threads; they enter the shuffle
buffer in permutation order, and a new group is handed out each time the head one is taken.
With `groups_ahead` = `groups_in_flight` (the default), a group that finishes before the head
one leaves its thread idle until the head is done; handing out more keeps the threads busy.
Group decode times are log-normal with spread sigma (equal GOPs on a shared NVDEC still vary).
Prints the threads' busy share for each sigma and each number handed out ahead.

    python3 bench/epoch_refill_sim.py [--threads 4] [--groups 2000]
"""

from __future__ import annotations

import argparse
import heapq
import random


def busy_share(threads: int, ahead: int, groups: int, sigma: float, seed: int = 1) -> float:
    rng = random.Random(seed)
    duration = [rng.lognormvariate(0.0, sigma) for _ in range(groups)]
    free = [0.0] * threads  # when each thread is next free
    handed_out = {k: 0.0 for k in range(min(ahead, groups))}  # group -> when it was handed out
    done: dict[int, float] = {}
    head, taken_at, nxt = 0, 0.0, len(handed_out)
    for k in range(groups):
        while k not in handed_out:  # taking the head hands out the next group
            taken_at = max(taken_at, done[head])
            head += 1
            handed_out[nxt] = taken_at
            nxt += 1
        start = max(heapq.heappop(free), handed_out[k])
        done[k] = start + duration[k]
        heapq.heappush(free, done[k])
    return sum(duration) / (threads * max(done.values()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=4, help="groups_in_flight")
    ap.add_argument("--groups", type=int, default=2000)
    args = ap.parse_args()
    aheads = [args.threads, args.threads + 2, 2 * args.threads, 4 * args.threads]
    print("| sigma | " + " | ".join(f"{a} ahead" for a in aheads) + " |")
    print("|---|" + "---|" * len(aheads))
    for sigma in (0.1, 0.3, 0.6):
        shares = [busy_share(args.threads, a, args.groups, sigma) for a in aheads]
        print(f"| {sigma} | " + " | ".join(f"{s:.1%}" for s in shares) + " |")


if __name__ == "__main__":
    main()
