#!/usr/bin/env python3
"""Reference meta-step in JAX (jax.jit, one thread): the computation `datarater bench meta` times.

Dev-only: the product is Swift. One meta-step for one inner model:

    for t in 0..T-1:  w_t = softmax(DataRater_eta(B_t));  g_t = grad_theta sum_j w_tj l_j(theta_t; B_t)
                      m_{t+1} = beta m_t + g_t;  theta_{t+1} = theta_t - lr m_{t+1}      (momentum SGD, lr 0.1, beta 0.9)
    L = mean_j l_j(theta_T; B_outer);   d L / d eta   by jax.grad (reverse over the unrolled inner steps)

The inner LM is the *small* configuration of the Swift `Models` target (vocab 4096, d 128, 2 layers, 4 heads,
context 128; GPT-2 style pre-norm, tied embeddings, learned positions, no linear biases, GELU-tanh, LayerNorm
eps 1e-5, weights [in, out]); the DataRater is the Swift `DataRaterEncoder` (same blocks, d 64, 2 layers, 4 heads,
bidirectional attention, mean pooling over positions, ln_f after pooling, head [d, 1] without bias). Batches are
random full chunks of 128 tokens, 16 inner rows per inner step and 16 outer rows: the DataRater reads all 128
tokens, the LM predicts 127 positions per row (inputs tokens[:-1], targets tokens[1:]), as in Swift.

Differences from the Swift side, none of which changes the amount of work by much: JAX computes full T x T
attention with a causal mask (Swift skips most of the masked triangle in 64-row query blocks); no padding masks
(every row is full, so Swift's masks are all-true); initial values are drawn from a different generator.

    python3 scripts/bench/meta_reference.py --t 2 --steps 5        # one JSON line
    taskset -c 0 python3 scripts/bench/meta_reference.py --t 2     # what meta_compare.sh runs

Run each T in its own process: the peak RSS (ru_maxrss) is per process. `timed_peak_rss_kib` is VmHWM over the
timed steps only (reset through /proc/self/clear_refs after the warm-up, so it excludes XLA's compilation).
Threads: XLA_FLAGS --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 and OMP_NUM_THREADS=1 are
set below; XLA still starts more threads (see BENCHMARKS.md), hence `taskset -c 0` in meta_compare.sh.
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
import re
import resource
import statistics
import time

import numpy as np

import lm_reference  # beside this file; sets the same thread variables

LM = dict(vocab_size=4096, d_model=128, n_layers=2, n_heads=4, context_length=128)
RATER = dict(vocab_size=4096, d_model=64, n_layers=2, n_heads=4, context_length=128)
CHUNK = 128
BATCH = 16
LN_EPS = 1e-5


def layout(cfg, head):
    """[(name, shape)] in the order of the Swift ParameterLayout: the causal LM's (lm_reference.py), plus the
    DataRater's score head."""
    return lm_reference.layout(cfg) + ([("head.weight", (cfg["d_model"], 1))] if head else [])


def init(cfg, head, seed):
    """GPT-2 initialisation as in Swift; the DataRater head random (std 0.02) as in `datarater bench meta`."""
    return lm_reference.jax_init(cfg, seed, specs=layout(cfg, head))


def model_fns():
    import jax
    import jax.numpy as jnp

    def layer_norm(x, w, b):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) * jax.lax.rsqrt(var + LN_EPS) * w + b

    def body(p, cfg, ids, causal):
        d, n_heads = cfg["d_model"], cfg["n_heads"]
        head_dim = d // n_heads
        b, t = ids.shape
        x = p["tok_emb"][ids] + p["pos_emb"][:t]
        mask = jnp.tril(jnp.ones((t, t), bool)) if causal else None
        for i in range(cfg["n_layers"]):
            q = f"blocks.{i}."
            h = layer_norm(x, p[q + "ln1.weight"], p[q + "ln1.bias"])

            def heads(w):
                return (h @ w).reshape(b, t, n_heads, head_dim).transpose(0, 2, 1, 3)

            scores = heads(p[q + "attn.wq"]) @ heads(p[q + "attn.wk"]).transpose(0, 1, 3, 2) / math.sqrt(head_dim)
            if causal:
                scores = jnp.where(mask, scores, -jnp.inf)
            y = jax.nn.softmax(scores, axis=-1) @ heads(p[q + "attn.wv"])
            x = x + y.transpose(0, 2, 1, 3).reshape(b, t, d) @ p[q + "attn.wo"]
            h = layer_norm(x, p[q + "ln2.weight"], p[q + "ln2.bias"])
            x = x + jax.nn.gelu(h @ p[q + "mlp.w1"], approximate=True) @ p[q + "mlp.w2"]
        return x

    def lm_per_example(theta, tokens):
        """Mean next-token cross-entropy of each row: inputs tokens[:, :-1], targets tokens[:, 1:]."""
        x = body(theta, LM, tokens[:, :-1], causal=True)
        logits = layer_norm(x, theta["ln_f.weight"], theta["ln_f.bias"]) @ theta["tok_emb"].T
        logp = jax.nn.log_softmax(logits, axis=-1)
        nll = -jnp.take_along_axis(logp, tokens[:, 1:, None], axis=-1)[..., 0]
        return nll.mean(1)

    def rater_scores(eta, tokens):
        x = body(eta, RATER, tokens, causal=False)
        pooled = x.mean(1)
        return (layer_norm(pooled, eta["ln_f.weight"], eta["ln_f.bias"]) @ eta["head.weight"])[:, 0]

    return lm_per_example, rater_scores


def make_meta_step(t_steps, optimizer):
    import jax
    import jax.numpy as jnp

    lm_per_example, rater_scores = model_fns()
    lr, beta1, beta2, eps = (1e-3 if optimizer == "adam" else 0.1), 0.9, 0.999, 1e-8

    def outer_loss(eta, theta, state, inner, outer):
        m, v, count = state
        for t in range(t_steps):
            w = jax.nn.softmax(rater_scores(eta, inner[t]))
            g = jax.grad(lambda th: jnp.sum(w * lm_per_example(th, inner[t])))(theta)
            if optimizer == "sgd":
                theta = jax.tree_util.tree_map(lambda p, gi: p - lr * gi, theta, g)
            elif optimizer == "momentum":
                m = jax.tree_util.tree_map(lambda mi, gi: beta1 * mi + gi, m, g)
                theta = jax.tree_util.tree_map(lambda p, mi: p - lr * mi, theta, m)
            else:
                count = count + 1
                c1, c2 = 1 - beta1 ** count, 1 - beta2 ** count
                m = jax.tree_util.tree_map(lambda mi, gi: beta1 * mi + (1 - beta1) * gi, m, g)
                v = jax.tree_util.tree_map(lambda vi, gi: beta2 * vi + (1 - beta2) * gi * gi, v, g)
                theta = jax.tree_util.tree_map(
                    lambda p, mi, vi: p - lr * (mi / c1) / (jnp.sqrt(vi / c2) + eps), theta, m, v)
        return lm_per_example(theta, outer).mean(), (theta, (m, v, count))

    grad = jax.value_and_grad(outer_loss, has_aux=True)
    # θ and the optimizer state are donated: the inner model keeps training across meta-steps, as in Swift.
    return jax.jit(grad, donate_argnums=(1, 2))


def status_kib(key):
    match = re.search(rf"^{key}:\s+(\d+)", open("/proc/self/status").read(), re.M)
    return int(match.group(1)) if match else None


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--t", type=int, default=1, help="inner steps T per meta-step")
    parser.add_argument("--steps", type=int, default=5, help="timed meta-steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed meta-steps first (the first compiles)")
    parser.add_argument("--inner-optimizer", default="momentum", choices=["sgd", "momentum", "adam"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp

    step = make_meta_step(args.t, args.inner_optimizer)
    theta = init(LM, head=False, seed=args.seed)
    eta = init(RATER, head=True, seed=args.seed + 1)
    zeros = jax.tree_util.tree_map(jnp.zeros_like, theta)
    state = (zeros, jax.tree_util.tree_map(jnp.zeros_like, theta) if args.inner_optimizer == "adam" else {},
             jnp.asarray(0.0, jnp.float32))
    if args.inner_optimizer == "sgd":
        state = ({}, {}, state[2])
    rng = np.random.default_rng(args.seed + 2)

    def batches():
        inner = jnp.asarray(rng.integers(0, LM["vocab_size"], size=(args.t, BATCH, CHUNK), dtype=np.int32))
        outer = jnp.asarray(rng.integers(0, LM["vocab_size"], size=(BATCH, CHUNK), dtype=np.int32))
        return inner, outer

    sets = [batches(), batches()]
    rss_before = status_kib("VmRSS")
    carry = [theta, state]
    result = {}

    def run(k):
        inner, outer = sets[k % 2]
        (loss, (th, st)), g = step(eta, carry[0], carry[1], inner, outer)
        jax.block_until_ready((loss, th, st, g))
        carry[:] = [th, st]
        result["loss"], result["grad"] = loss, g

    t0 = time.perf_counter()
    for k in range(args.warmup):
        run(k)
    warmup_s = time.perf_counter() - t0
    warmup_peak = status_kib("VmHWM")
    reset = reset_peak()
    times = []
    cpu0 = time.process_time()
    for k in range(args.steps):
        t0 = time.perf_counter()
        run(args.warmup + k)
        times.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu0
    timed_peak = status_kib("VmHWM") if reset else None
    peak = max(warmup_peak or 0, status_kib("VmHWM") or 0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    grad_norm = math.sqrt(sum(float(jnp.sum(x * x)) for x in jax.tree_util.tree_leaves(result["grad"])))
    total = sum(times)
    print(json.dumps(dict(
        framework="jax", jax=jax.__version__, t=args.t, steps=args.steps, warmup=args.warmup,
        inner_optimizer=args.inner_optimizer,
        lm_parameters=sum(int(np.prod(s)) for _, s in layout(LM, False)),
        rater_parameters=sum(int(np.prod(s)) for _, s in layout(RATER, True)),
        s_per_step=round(total / len(times), 6), s_per_step_median=round(statistics.median(times), 6),
        s_per_step_min=round(min(times), 6),
        cpu_s_per_step=round(cpu / len(times), 6), cpu_share=round(cpu / total, 2),
        affinity=sorted(os.sched_getaffinity(0)), threads=len(os.listdir("/proc/self/task")),
        warmup_s=round(warmup_s, 2), rss_before_kib=rss_before, peak_rss_kib=peak, timed_peak_rss_kib=timed_peak,
        outer_loss=round(float(result["loss"]), 6), meta_gradient_norm=float(f"{grad_norm:.6g}"),
    )))


if __name__ == "__main__":
    main()
