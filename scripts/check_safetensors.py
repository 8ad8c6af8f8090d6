#!/usr/bin/env python3
"""Cross-checks our safetensors files against the reference implementation (dev-only, by hand).

    pip install safetensors numpy torch

    # 1. Swift -> Python: read a checkpoint written by `Checkpoint.save` (config + weights) and an
    #    optimizer state written by `Checkpoint.saveOptimizerState` with safetensors.numpy.load_file.
    #    The weights must hold value[i] = float32((i mod 97 - 48) / 16) * float32(1.000001)^(i mod 7)
    #    over the flat buffer in layout order (what the throwaway harness described in the optim
    #    report writes); names, shapes and order must equal scripts/bench/lm_reference.py's layout.
    python3 scripts/check_safetensors.py read DIR

    # 2. Python -> Swift: print a small file written by safetensors itself (F32, F64, F16, BF16,
    #    metadata) as base64; Tests/ModelsTests/CheckpointTests.swift embeds that output
    #    (`pythonWrittenFile`) and checks the values below.
    python3 scripts/check_safetensors.py golden
"""
import base64
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))


def expected_values(count):
    out = np.empty(count, np.float32)
    step = np.float32(1.000001)
    for i in range(count):
        v = np.float32(i % 97 - 48) / np.float32(16)
        for _ in range(i % 7):
            v = np.float32(v * step)
        out[i] = v
    return out


def read(directory):
    from safetensors import safe_open
    from safetensors.numpy import load_file
    from lm_reference import layout

    with open(os.path.join(directory, "datarater.json")) as f:
        config = json.load(f)
    path = os.path.join(directory, "datarater.safetensors")
    tensors = load_file(path)
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata()
        file_order = list(f.keys())
    specs = layout(config)
    problems = []
    if sorted(tensors) != sorted(n for n, _ in specs):
        problems.append(f"names differ: {sorted(tensors)} vs layout")
    flat = []
    for name, shape in specs:
        t = tensors.get(name)
        if t is None:
            continue
        if t.dtype != np.float32 or tuple(t.shape) != tuple(shape):
            problems.append(f"{name}: {t.dtype} {t.shape}, expected float32 {shape}")
        flat.append(t.reshape(-1))
    flat = np.concatenate(flat) if flat else np.zeros(0, np.float32)
    want = expected_values(sum(int(np.prod(s)) for _, s in specs))
    if flat.shape != want.shape or not np.array_equal(flat.view(np.uint32), want.view(np.uint32)):
        problems.append("values differ from the formula")
    if json.loads(metadata.get("config", "{}")) != config:
        problems.append(f"metadata config {metadata.get('config')} != datarater.json {config}")

    optimizer = os.path.join(directory, "optimizer.safetensors")
    state_summary = None
    if os.path.exists(optimizer):
        state = load_file(optimizer)
        with safe_open(optimizer, framework="numpy") as f:
            om = f.metadata()
        buffers = om["buffers"].split(",") if om["buffers"] else []
        for b in buffers:
            for name, shape in specs:
                t = state.get(f"{b}.{name}")
                if t is None or tuple(t.shape) != tuple(shape) or not np.all(np.isfinite(t)):
                    problems.append(f"optimizer tensor {b}.{name} missing, misshapen or not finite")
        # One AdamW step from zero moments with g = theta/3: exp_avg = 0.1 * g exactly in float64.
        if om.get("optimizer") == "adamw" and om.get("step") == "1":
            g = want.astype(np.float64) / 3
            got = np.concatenate([state[f"exp_avg.{n}"].reshape(-1) for n, _ in specs])
            if got.dtype != np.float64 or not np.allclose(got, (1 - 0.9) * g, rtol=1e-15, atol=0):
                problems.append("optimizer exp_avg differs from 0.1 * theta / 3")
        state_summary = dict(optimizer=om.get("optimizer"), step=om.get("step"), buffers=buffers,
                             tensors=len(state), dtype=str(next(iter(state.values())).dtype) if state else None)
    print(json.dumps(dict(file=path, tensors=len(tensors), parameters=int(flat.size), first_in_file=file_order[:3],
                          metadata_keys=sorted(metadata), optimizer_state=state_summary, problems=problems,
                          identical=not problems)))
    return not problems


def golden():
    import torch
    from safetensors.torch import save

    tensors = {
        "f32": torch.tensor([[1.5, -2.0, 3.25], [0.1, -1e-30, 1e30]], dtype=torch.float32),
        "f64": torch.tensor([0.1, -1e300], dtype=torch.float64),
        "f16": torch.tensor([1.0, -2.5, 65504.0, 2.0 ** -24], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -0.5, 3.0e38], dtype=torch.bfloat16),
    }
    data = save(tensors, metadata={"format": "pt", "written_by": "python safetensors"})
    print(base64.b64encode(data).decode())
    for name, t in tensors.items():
        print(name, t.dtype, list(t.shape), [float(x) for x in t.flatten()], file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "read":
        sys.exit(0 if read(sys.argv[2]) else 1)
    if len(sys.argv) == 2 and sys.argv[1] == "golden":
        golden()
        sys.exit(0)
    print(__doc__, file=sys.stderr)
    sys.exit(2)
