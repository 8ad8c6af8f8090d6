#!/usr/bin/env python3
"""Reference AdamW / SGD-momentum step time on one flat Float32 buffer, one thread (dev-only).

Compare with the Swift optimizers over the same parameter count (the *base* LM, 5,313,024),
as ns per parameter and as a ratio to a memcpy of the buffer measured in the same run:

    python3 scripts/bench/optimizer_reference.py [--count 5313024] [--reps 30]
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import statistics
import time

import numpy as np
import torch


def timed(fn, reps):
    fn()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), min(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5_313_024)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    n = args.count
    src = np.arange(n, dtype=np.float32)
    dst = np.empty_like(src)
    results = {"memcpy": timed(lambda: np.copyto(dst, src), args.reps)}
    for label, make in [
        ("torch AdamW single-tensor", lambda p: torch.optim.AdamW([p], lr=1e-6, foreach=False)),
        ("torch AdamW foreach", lambda p: torch.optim.AdamW([p], lr=1e-6, foreach=True)),
        ("torch AdamW fused", lambda p: torch.optim.AdamW([p], lr=1e-6, fused=True)),
        ("torch SGD momentum", lambda p: torch.optim.SGD([p], lr=1e-6, momentum=0.9, foreach=False)),
    ]:
        p = torch.nn.Parameter(torch.from_numpy((np.arange(n) % 1000).astype(np.float32) * 1e-3))
        p.grad = torch.from_numpy(((np.arange(n) * 7) % 1000).astype(np.float32) * 1e-4 - 0.05)
        opt = make(p)
        try:
            results[label] = timed(opt.step, args.reps)
        except RuntimeError as error:  # e.g. fused not available on this build
            print(json.dumps(dict(optimizer=label, error=str(error))))
    copy = results["memcpy"][0]
    for label, (median, best) in results.items():
        print(json.dumps(dict(optimizer=label, parameters=n, median_ms=round(median * 1e3, 3), min_ms=round(best * 1e3, 3),
                              ns_per_parameter=round(median * 1e9 / n, 3), ratio_to_memcpy=round(median / copy, 2),
                              torch=torch.__version__)))


if __name__ == "__main__":
    main()
