#!/usr/bin/env python3
"""Reference LM training throughput in PyTorch (eager, torch.compile) and JAX (jax.jit), one thread.

Dev-only: the product is Swift. This is the same causal LM as the Swift `Models` target
(GPT-2 style, pre-norm, tied embeddings, learned positions, no linear biases, GELU-tanh MLP,
LayerNorm eps 1e-5, weights stored [in, out] so y = x @ W), trained with AdamW on random
tokens. It prints one JSON line per (framework, config) with tokens/s after warm-up, so
`datarater bench lm` can be quoted as a ratio against it, measured in the same run.

    pip install torch jax jaxlib          # torch from PyPI pulls CUDA wheels; only the CPU path is used
    python3 scripts/bench/lm_reference.py --check             # parameter count/names = our layout; torch == jax
    python3 scripts/bench/lm_reference.py                     # all frameworks, both configs
    python3 scripts/bench/lm_reference.py --frameworks jax --configs small --seconds 5
    python3 scripts/bench/lm_reference.py --golden scripts/bench/golden   # Float64 fixtures for Swift tests

Threads: OMP_NUM_THREADS=1, torch.set_num_threads(1), XLA_FLAGS with
--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 (set below, before the
imports, unless already set in the environment).
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import argparse
import json
import math
import platform
import statistics
import sys
import time

import numpy as np

CONFIGS = {
    # name: (vocab_size, d_model, n_layers, n_heads, context_length = seq, batch)
    "small": dict(vocab_size=4096, d_model=128, n_layers=2, n_heads=4, context_length=128, batch=16),
    "base": dict(vocab_size=8192, d_model=256, n_layers=4, n_heads=4, context_length=256, batch=16),
}

ADAMW = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01)
LN_EPS = 1e-5


# ----------------------------------------------------------------------------------------------
# The layout: names, shapes and order of Sources/Tensor ParameterLayout for the causal LM.

def layout(cfg):
    """[(name, shape)] in the order the Swift model adds them to its ParameterLayout."""
    v, d, n, c = cfg["vocab_size"], cfg["d_model"], cfg["n_layers"], cfg["context_length"]
    specs = [("tok_emb", (v, d)), ("pos_emb", (c, d))]
    for i in range(n):
        p = f"blocks.{i}."
        specs += [(p + "ln1.weight", (d,)), (p + "ln1.bias", (d,))]
        specs += [(p + "attn." + w, (d, d)) for w in ("wq", "wk", "wv", "wo")]
        specs += [(p + "ln2.weight", (d,)), (p + "ln2.bias", (d,))]
        specs += [(p + "mlp.w1", (d, 4 * d)), (p + "mlp.w2", (4 * d, d))]
    specs += [("ln_f.weight", (d,)), ("ln_f.bias", (d,))]
    return specs


def parameter_count_formula(cfg):
    """V·d + C·d + L·(12d² + 4d) + 2d: embeddings, per block 4 attention + 8 MLP d² and two LNs, final LN."""
    v, d, n, c = cfg["vocab_size"], cfg["d_model"], cfg["n_layers"], cfg["context_length"]
    return v * d + c * d + n * (12 * d * d + 4 * d) + 2 * d


def flops_per_token(cfg):
    """Training FLOPs per token: 6·(matmul parameters incl. the tied output projection) + attention.

    Attention scores and weighted sums cost 2·2·T·d per layer forward (full T×T, as computed),
    ×3 for forward + backward. Elementwise work (LN, GELU, softmax, AdamW) is not counted.
    """
    v, d, n, t = cfg["vocab_size"], cfg["d_model"], cfg["n_layers"], cfg["context_length"]
    return 6 * (n * 12 * d * d + v * d) + 3 * n * 4 * t * d


def make_batch(cfg, seed, pad=False):
    """Random tokens [B, T] int32 and a validity mask [B, T] (all valid unless pad: then ragged tails)."""
    rng = np.random.default_rng(seed)
    b, t = cfg["batch"], cfg["context_length"]
    tokens = rng.integers(0, cfg["vocab_size"], size=(b, t), dtype=np.int32)
    mask = np.ones((b, t), dtype=bool)
    if pad:
        for j in range(b):
            length = int(rng.integers(2, t + 1))
            mask[j, length:] = False
            tokens[j, length:] = 0
    return tokens, mask


# ----------------------------------------------------------------------------------------------
# PyTorch

def torch_model(cfg, seed=0):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    d, n_layers, n_heads = cfg["d_model"], cfg["n_layers"], cfg["n_heads"]
    head_dim = d // n_heads
    proj_std = 0.02 / math.sqrt(2 * n_layers)

    def normal(shape, std):
        return nn.Parameter(torch.randn(*shape) * std)

    class LayerNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(d))
            self.bias = nn.Parameter(torch.zeros(d))

        def forward(self, x):
            return F.layer_norm(x, (d,), self.weight, self.bias, LN_EPS)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.wq = normal((d, d), 0.02)
            self.wk = normal((d, d), 0.02)
            self.wv = normal((d, d), 0.02)
            self.wo = normal((d, d), proj_std)

        def forward(self, x, attn_mask):
            b, t, _ = x.shape

            def heads(w):
                return (x @ w).view(b, t, n_heads, head_dim).transpose(1, 2)

            # Scaled by 1/sqrt(head_dim) (SDPA's default); attn_mask: True = may attend.
            y = F.scaled_dot_product_attention(heads(self.wq), heads(self.wk), heads(self.wv), attn_mask=attn_mask)
            return y.transpose(1, 2).reshape(b, t, d) @ self.wo

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.w1 = normal((d, 4 * d), 0.02)
            self.w2 = normal((4 * d, d), proj_std)

        def forward(self, x):
            return F.gelu(x @ self.w1, approximate="tanh") @ self.w2

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = LayerNorm()
            self.attn = Attention()
            self.ln2 = LayerNorm()
            self.mlp = MLP()

        def forward(self, x, attn_mask):
            x = x + self.attn(self.ln1(x), attn_mask)
            return x + self.mlp(self.ln2(x))

    class CausalLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb = normal((cfg["vocab_size"], d), 0.02)
            self.pos_emb = normal((cfg["context_length"], d), 0.02)
            self.blocks = nn.ModuleList([Block() for _ in range(n_layers)])
            self.ln_f = LayerNorm()

        def forward(self, tokens, mask):
            """Returns (mean loss over valid targets, per-example mean loss [B])."""
            b, t = tokens.shape
            causal = torch.ones(t, t, dtype=torch.bool, device=tokens.device).tril()
            # [B, 1, T, T]: query i may attend key j iff j ≤ i and key j is valid. A padded query
            # row keeps its diagonal so softmax never sees an all-masked row (its output is unused).
            attn_mask = causal[None, None] & mask[:, None, None, :]
            attn_mask = attn_mask | torch.eye(t, dtype=torch.bool)[None, None]
            x = self.tok_emb[tokens] + self.pos_emb[:t]
            for block in self.blocks:
                x = block(x, attn_mask)
            logits = self.ln_f(x) @ self.tok_emb.T
            targets = tokens[:, 1:].long()
            valid = (mask[:, 1:] & mask[:, :-1]).float()
            nll = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
            nll = nll.view(b, t - 1) * valid
            per_example = nll.sum(1) / valid.sum(1).clamp(min=1)
            return nll.sum() / valid.sum().clamp(min=1), per_example

    torch.manual_seed(seed)
    return CausalLM()


def bench_torch(cfg, compiled, seconds, warmup, seed=0):
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set in this process
    model = torch_model(cfg, seed)
    # fused=True is PyTorch's fastest CPU AdamW (one pass per tensor, like ours).
    opt = torch.optim.AdamW(model.parameters(), lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]),
                            eps=ADAMW["eps"], weight_decay=ADAMW["weight_decay"], fused=True)
    forward = torch.compile(model) if compiled else model
    batches = [tuple(map(torch.from_numpy, make_batch(cfg, seed + k))) for k in range(4)]

    def step(k):
        tokens, mask = batches[k % len(batches)]
        opt.zero_grad(set_to_none=False)
        loss, _ = forward(tokens, mask)
        loss.backward()
        opt.step()
        return loss

    t0 = time.perf_counter()
    for k in range(warmup):
        step(k).item()
    warmup_s = time.perf_counter() - t0
    return measure(lambda k: step(k).item(), cfg, seconds, warmup_s)


def encoder_layout(cfg):
    """The DataRater encoder's layout: the LM's blocks and ln_f, then `head.weight` [d, 1]."""
    return layout(cfg) + [("head.weight", (cfg["d_model"], 1))]


def torch_encoder(cfg, seed=0):
    """DataRater encoder: same blocks, non-causal attention with key padding mask, masked mean
    pooling over valid positions, ln_f, head [d, 1] without bias. Returns one score per sequence.

    The head is zero-initialised in the product; here it is random so golden gradients are non-trivial.
    """
    import torch
    import torch.nn as nn

    lm = torch_model(cfg, seed)

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb, self.pos_emb, self.blocks, self.ln_f = lm.tok_emb, lm.pos_emb, lm.blocks, lm.ln_f
            self.head = nn.Module()
            self.head.weight = nn.Parameter(torch.randn(cfg["d_model"], 1) * 0.02)

        def forward(self, tokens, mask):
            b, t = tokens.shape
            attn_mask = mask[:, None, None, :] | torch.eye(t, dtype=torch.bool)[None, None]
            x = self.tok_emb[tokens] + self.pos_emb[:t]
            for block in self.blocks:
                x = block(x, attn_mask)
            m = mask.to(x.dtype)[..., None]
            pooled = (x * m).sum(1) / m.sum(1).clamp(min=1)
            return (self.ln_f(pooled) @ self.head.weight)[:, 0]

    return Encoder()


GOLDEN_CONFIG = dict(vocab_size=37, d_model=16, n_layers=2, n_heads=2, context_length=9, batch=3)


def write_golden(directory):
    """Float64 forward/backward/AdamW results of the tiny LM and encoder for the Swift tests.

    lm_golden.safetensors: the LM parameters (layout names), input.tokens / input.mask [B, T]
    (as F64 0/1 and integer values), output.loss [1], output.per_example_loss [B],
    output.logits [B, T, V], grad.NAME, and after_adamw.NAME (one torch AdamW step with
    lr 1e-2, betas 0.9/0.999, eps 1e-8, weight decay 0.01 on every parameter).
    encoder_golden.safetensors: encoder parameters, the same inputs, output.scores [B],
    input.score_weights c [B] and grad.NAME of sum_j c_j * score_j.
    Config beside each as JSON (snake_case), and in the metadata.
    """
    import torch
    from safetensors.torch import save_file

    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    cfg = GOLDEN_CONFIG
    model_cfg = {k: v for k, v in cfg.items() if k != "batch"}
    os.makedirs(directory, exist_ok=True)
    tokens_np, mask_np = make_batch(cfg, 7, pad=True)
    tokens, mask = torch.from_numpy(tokens_np), torch.from_numpy(mask_np)
    inputs = {"input.tokens": tokens.double(), "input.mask": mask.double()}
    meta = {"config": json.dumps(model_cfg, sort_keys=True), "generator": "scripts/bench/lm_reference.py --golden"}

    lm = torch_model(cfg, seed=3)
    loss, per_example = lm(tokens, mask)
    loss.backward()
    with torch.no_grad():
        b, t = tokens.shape
        # Logits recomputed by hooking the final projection would duplicate code; use a forward pass
        # with the same modules instead.
        x = lm.tok_emb[tokens] + lm.pos_emb[:t]
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        attn_mask = (causal[None, None] & mask[:, None, None, :]) | torch.eye(t, dtype=torch.bool)[None, None]
        for block in lm.blocks:
            x = block(x, attn_mask)
        logits = lm.ln_f(x) @ lm.tok_emb.T
    out = {name: p.detach().clone() for name, p in lm.named_parameters()}
    out.update(inputs)
    out["output.loss"] = loss.detach().reshape(1)
    out["output.per_example_loss"] = per_example.detach()
    out["output.logits"] = logits
    out.update({f"grad.{name}": p.grad.clone() for name, p in lm.named_parameters()})
    opt = torch.optim.AdamW(lm.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    opt.step()
    out.update({f"after_adamw.{name}": p.detach().clone() for name, p in lm.named_parameters()})
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(directory, "lm_golden.safetensors"), metadata=meta)
    with open(os.path.join(directory, "lm_golden.json"), "w") as f:
        json.dump(model_cfg, f, indent=2, sort_keys=True)

    encoder = torch_encoder(cfg, seed=4)
    scores = encoder(tokens, mask)
    c = torch.tensor([1.0, -2.0, 0.5])
    (scores * c).sum().backward()
    enc = {name: p.detach().clone() for name, p in encoder.named_parameters()}
    enc.update(inputs)
    enc["input.score_weights"] = c
    enc["output.scores"] = scores.detach()
    enc.update({f"grad.{name}": p.grad.clone() for name, p in encoder.named_parameters()})
    save_file({k: v.contiguous() for k, v in enc.items()}, os.path.join(directory, "encoder_golden.safetensors"), metadata=meta)
    with open(os.path.join(directory, "encoder_golden.json"), "w") as f:
        json.dump(model_cfg, f, indent=2, sort_keys=True)
    names = [n for n, _ in encoder.named_parameters()]
    assert [n for n, _ in encoder_layout(cfg)] == names, names
    print(json.dumps(dict(golden=directory, lm_loss=loss.item(), per_example=per_example.tolist(),
                          scores=scores.detach().tolist(), lengths=mask_np.sum(1).tolist())))


# ----------------------------------------------------------------------------------------------
# JAX

def jax_params_from(named):
    import jax.numpy as jnp
    return {name: jnp.asarray(value) for name, value in named.items()}


def jax_init(cfg, seed=0, specs=None):
    """GPT-2 initialisation as in Swift over `specs` (default: the LM's layout): LayerNorm weights 1, biases 0,
    everything else normal with std 0.02 (0.02/sqrt(2L) for the residual projections wo and w2)."""
    import jax
    import jax.numpy as jnp

    specs = layout(cfg) if specs is None else specs
    proj_std = 0.02 / math.sqrt(2 * cfg["n_layers"])
    keys = jax.random.split(jax.random.PRNGKey(seed), len(specs))
    params = {}
    for key, (name, shape) in zip(keys, specs):
        if name.endswith(".weight") and "ln" in name:
            params[name] = jnp.ones(shape, jnp.float32)
        elif name.endswith(".bias"):
            params[name] = jnp.zeros(shape, jnp.float32)
        else:
            std = proj_std if name.endswith((".wo", ".w2")) else 0.02
            params[name] = jax.random.normal(key, shape, jnp.float32) * std
    return params


def jax_loss(cfg):
    import jax
    import jax.numpy as jnp

    d, n_layers, n_heads = cfg["d_model"], cfg["n_layers"], cfg["n_heads"]
    head_dim = d // n_heads

    def layer_norm(x, w, b):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) * jax.lax.rsqrt(var + LN_EPS) * w + b

    def loss_fn(p, tokens, mask):
        b, t = tokens.shape
        causal = jnp.tril(jnp.ones((t, t), bool))
        allowed = (causal[None, None] & mask[:, None, None, :]) | jnp.eye(t, dtype=bool)[None, None]
        x = p["tok_emb"][tokens] + p["pos_emb"][:t]
        for i in range(n_layers):
            q = f"blocks.{i}."
            h = layer_norm(x, p[q + "ln1.weight"], p[q + "ln1.bias"])

            def heads(w):
                return (h @ w).reshape(b, t, n_heads, head_dim).transpose(0, 2, 1, 3)

            scores = heads(p[q + "attn.wq"]) @ heads(p[q + "attn.wk"]).transpose(0, 1, 3, 2) / math.sqrt(head_dim)
            scores = jnp.where(allowed, scores, -jnp.inf)
            y = jax.nn.softmax(scores, axis=-1) @ heads(p[q + "attn.wv"])
            x = x + y.transpose(0, 2, 1, 3).reshape(b, t, d) @ p[q + "attn.wo"]
            h = layer_norm(x, p[q + "ln2.weight"], p[q + "ln2.bias"])
            x = x + jax.nn.gelu(h @ p[q + "mlp.w1"], approximate=True) @ p[q + "mlp.w2"]
        logits = layer_norm(x, p["ln_f.weight"], p["ln_f.bias"]) @ p["tok_emb"].T
        logp = jax.nn.log_softmax(logits[:, :-1], axis=-1)
        nll = -jnp.take_along_axis(logp, tokens[:, 1:, None].astype(jnp.int32), axis=-1)[..., 0]
        valid = (mask[:, 1:] & mask[:, :-1]).astype(jnp.float32)
        nll = nll * valid
        per_example = nll.sum(1) / jnp.maximum(valid.sum(1), 1)
        return nll.sum() / jnp.maximum(valid.sum(), 1), per_example

    return loss_fn


def bench_jax(cfg, seconds, warmup, seed=0):
    import jax
    import jax.numpy as jnp

    loss_fn = jax_loss(cfg)
    a = ADAMW

    def train_step(params, m, v, step, tokens, mask):
        (loss, _), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, tokens, mask)
        step = step + 1
        bc1 = 1 - a["beta1"] ** step
        bc2 = 1 - a["beta2"] ** step
        new_p, new_m, new_v = {}, {}, {}
        for k in params:
            g = grads[k]
            mk = a["beta1"] * m[k] + (1 - a["beta1"]) * g
            vk = a["beta2"] * v[k] + (1 - a["beta2"]) * g * g
            pk = params[k] * (1 - a["lr"] * a["weight_decay"])
            new_p[k] = pk - (a["lr"] / bc1) * mk / (jnp.sqrt(vk) / jnp.sqrt(bc2) + a["eps"])
            new_m[k], new_v[k] = mk, vk
        return new_p, new_m, new_v, step, loss

    jitted = jax.jit(train_step, donate_argnums=(0, 1, 2))
    params = jax_init(cfg, seed)
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    step = jnp.asarray(0.0, jnp.float32)
    batches = [tuple(map(jnp.asarray, make_batch(cfg, seed + k))) for k in range(4)]
    state = [params, m, v, step]

    def run(k):
        tokens, mask = batches[k % len(batches)]
        p, mm, vv, s, loss = jitted(*state, tokens, mask)
        state[:] = [p, mm, vv, s]
        return float(loss)

    t0 = time.perf_counter()
    for k in range(warmup):
        run(k)
    warmup_s = time.perf_counter() - t0
    return measure(run, cfg, seconds, warmup_s)


# ----------------------------------------------------------------------------------------------

def measure(step, cfg, seconds, warmup_s):
    """Runs `step` (which blocks until done) for at least `seconds` and at least 3 steps."""
    times = []
    start = time.perf_counter()
    cpu_start = time.process_time()
    k = 0
    while k < 3 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        loss = step(1000 + k)
        times.append(time.perf_counter() - t0)
        k += 1
    cpu = time.process_time() - cpu_start
    total = sum(times)
    tokens = cfg["batch"] * cfg["context_length"]
    return dict(
        steps=len(times),
        tokens_per_step=tokens,
        tokens_per_s=round(tokens * len(times) / total, 1),
        # Per CPU second of this process: less sensitive to other processes on a loaded machine.
        tokens_per_cpu_s=round(tokens * len(times) / cpu, 1),
        cpu_share=round(cpu / total, 2),
        step_ms_median=round(1e3 * statistics.median(times), 3),
        step_ms_min=round(1e3 * min(times), 3),
        gflops_per_s=round(flops_per_token(cfg) * tokens * len(times) / total / 1e9, 2),
        warmup_s=round(warmup_s, 2),
        final_loss=round(loss, 4),
    )


def bench_sgemm(cfg, seconds):
    """Single-thread float32 matmul GFLOP/s on the config's MLP shape [B·T, d] × [d, 4d]: the peak to quote against."""
    import torch

    torch.set_num_threads(1)
    m, k, n = cfg["batch"] * cfg["context_length"], cfg["d_model"], 4 * cfg["d_model"]
    a, b = torch.randn(m, k), torch.randn(k, n)
    out = torch.empty(m, n)
    torch.mm(a, b, out=out)
    times = []
    start, cpu_start = time.perf_counter(), time.process_time()
    while len(times) < 3 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        torch.mm(a, b, out=out)
        times.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu_start
    flops = 2 * m * k * n
    return dict(shape=[m, k, n], calls=len(times), gflops_per_s=round(flops * len(times) / sum(times) / 1e9, 2),
                gflops_per_cpu_s=round(flops * len(times) / cpu / 1e9, 2), cpu_share=round(cpu / sum(times), 2))


def check(configs):
    """Parameter names/shapes/order/count of both references = our layout; torch and jax agree on the loss."""
    import torch

    torch.set_num_threads(1)
    ok = True
    for name in configs:
        cfg = CONFIGS[name]
        model = torch_model(cfg)
        named = [(n, tuple(p.shape)) for n, p in model.named_parameters()]
        count = sum(p.numel() for p in model.parameters())
        formula = parameter_count_formula(cfg)
        same_layout = named == layout(cfg)
        jax_count = sum(int(np.prod(s)) for _, s in layout(cfg))
        # Same weights (torch's init) in both frameworks, a padded batch: losses must agree.
        weights = {n: p.detach().numpy() for n, p in model.named_parameters()}
        tokens, mask = make_batch(cfg, 123, pad=True)
        with torch.no_grad():
            t_loss, t_per = model(torch.from_numpy(tokens), torch.from_numpy(mask))
        j_loss, j_per = jax_loss(cfg)(jax_params_from(weights), tokens, mask)
        loss_diff = abs(float(t_loss) - float(j_loss))
        per_diff = float(np.max(np.abs(t_per.numpy() - np.asarray(j_per))))
        # At init the loss is close to ln(vocab): logits are tiny.
        near_uniform = abs(float(t_loss) - math.log(cfg["vocab_size"])) < 0.1
        passed = same_layout and count == formula == jax_count and loss_diff < 1e-4 and per_diff < 1e-4 and near_uniform
        ok &= passed
        print(json.dumps(dict(check=name, passed=passed, parameters=count, formula=formula, jax_parameters=jax_count,
                              names_shapes_order_match=same_layout, torch_loss=round(float(t_loss), 6),
                              jax_loss=round(float(j_loss), 6), loss_abs_diff=loss_diff, per_example_max_abs_diff=per_diff,
                              ln_vocab=round(math.log(cfg["vocab_size"]), 6))))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="verify the references against our layout and each other, then exit")
    parser.add_argument("--golden", metavar="DIR", help="write Float64 golden LM/encoder results for the Swift tests into DIR, then exit")
    parser.add_argument("--frameworks", default="sgemm,torch-eager,torch-compile,jax",
                        help="comma-separated subset; sgemm = torch.mm on the MLP shape, the peak reference")
    parser.add_argument("--configs", default="small,base", help="comma-separated subset of: " + ",".join(CONFIGS))
    parser.add_argument("--seconds", type=float, default=10, help="measured time per (framework, config)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up steps (compilation happens here)")
    args = parser.parse_args()
    configs = [c for c in args.configs.split(",") if c]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown config(s) {unknown}; known: {list(CONFIGS)}")
    if args.check:
        sys.exit(0 if check(configs) else 1)
    if args.golden:
        write_golden(args.golden)
        return

    for framework in [f for f in args.frameworks.split(",") if f]:
        for name in configs:
            cfg = CONFIGS[name]
            if framework == "sgemm":
                import torch
                print(json.dumps(dict(framework="sgemm", config=name, threads=1, torch=torch.__version__,
                                      **bench_sgemm(cfg, min(args.seconds, 5)))), flush=True)
                continue
            if framework == "torch-eager":
                result = bench_torch(cfg, compiled=False, seconds=args.seconds, warmup=args.warmup)
            elif framework == "torch-compile":
                result = bench_torch(cfg, compiled=True, seconds=args.seconds, warmup=args.warmup)
            elif framework == "jax":
                result = bench_jax(cfg, seconds=args.seconds, warmup=args.warmup)
            else:
                parser.error(f"unknown framework {framework}; known: sgemm, torch-eager, torch-compile, jax")
            versions = {}
            if framework.startswith("torch"):
                import torch
                versions["torch"] = torch.__version__
            else:
                import jax
                versions["jax"] = jax.__version__
            print(json.dumps(dict(framework=framework, config=name, **{k: v for k, v in cfg.items()},
                                  parameters=parameter_count_formula(cfg), threads=1, optimizer="adamw",
                                  machine=platform.machine(), **result, **versions)), flush=True)


if __name__ == "__main__":
    main()
