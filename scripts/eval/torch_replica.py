#!/usr/bin/env python3
"""A PyTorch replica of `datarater eval`'s *small* and *base* LMs, for dev-only cross-checks (not part of the product).

Same architecture (GPT-2 pre-norm, tied embeddings, d 128 x 2 layers, 4 heads, context 128, GELU MLP 4d, no biases
in linears), initialisation (N(0, 0.02^2), residual projections 0.02/sqrt(2L)) and training (AdamW beta 0.9/0.95,
weight decay 0.1 on matrices, 5% warm-up, cosine to a tenth, clipping at 1; *small*: 16 rows of 129 tokens a step
for 585 steps at peak 2e-3; *base*: d 256 x 4 layers, context 256, 8 rows a step for 244 steps at peak 1e-3).

Data: RUN/kept/tokens.bin (after `datarater write RUN`), documents in kept order; training reads the first 90% of
the tokens, evaluation the first T + 1 tokens of up to 200 documents after that (document beginnings, as `eval`) and
200 random windows there.

    python3 scripts/eval/torch_replica.py RUN --batches iid          # 16 independent random windows a step
    python3 scripts/eval/torch_replica.py RUN --batches contiguous   # 16 consecutive rows a step (the old stream)
    python3 scripts/eval/torch_replica.py RUN --subset-seed 1 --data-seed 5   # a fixed 10% of the documents
    python3 scripts/eval/torch_replica.py RUN --scale base --lr 3e-3          # the *base* LM at another peak rate
    python3 scripts/eval/torch_replica.py RUN --optimizer momentum --lr 0.1 --steps 2000   # an inner LM of meta-training

Needs numpy and torch (pip install torch numpy).
"""
import argparse, math, sys
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("run")
p.add_argument("--scale", choices=["small", "base"], default="small", help="the shape, batch and steps of that eval scale")
p.add_argument("--batches", choices=["iid", "contiguous"], default="iid")
p.add_argument("--lr", type=float, default=None, help="peak rate (default: the scale's)")
p.add_argument("--steps", type=int, default=None, help="steps (default: the scale's)")
p.add_argument("--optimizer", choices=["adamw", "momentum"], default="adamw",
               help="momentum: meta-training's inner optimizer (m = 0.9 m + g, θ -= lr m; constant rate, no clipping)")
p.add_argument("--data-seed", type=int, default=0, help="draws the training windows")
p.add_argument("--subset-seed", type=int, default=None, help="train only on a random 10%% of the documents")
p.add_argument("--init-seed", type=int, default=0)
a = p.parse_args()
torch.set_num_threads(1); torch.manual_seed(a.init_seed)
V, d, L, H, T, B, steps, lr = {"small": (4096, 128, 2, 4, 128, 16, 585, 2e-3), "base": (4096, 256, 4, 4, 256, 8, 244, 1e-3)}[a.scale]
a.steps = a.steps or steps; a.lr = a.lr or lr
t = np.fromfile(f"{a.run}/kept/tokens.bin", dtype="<u2").astype(np.int64)
idx = np.fromfile(f"{a.run}/kept/tokens.idx", dtype="<u8").astype(np.int64)
n = len(t); cut = int(n * 0.9); rng = np.random.default_rng(0); drng = np.random.default_rng(a.data_seed)
windows = torch.tensor(np.stack([t[s:s + T + 1] for s in rng.integers(cut, n - T - 1, size=200)]))
heads = torch.tensor(np.stack([t[x:x + T + 1] for x, y in zip(idx[:-1], idx[1:]) if x >= cut and y - x >= T + 1][:200]))
train = t[:cut]
if a.subset_seed is not None:
    docs = [(x, y) for x, y in zip(idx[:-1], idx[1:]) if y <= cut]
    pick = np.random.default_rng(a.subset_seed).permutation(len(docs))[:len(docs) // 10]
    train = np.concatenate([t[docs[k][0]:docs[k][1]] for k in pick])

class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.ln1 = nn.LayerNorm(d); s.ln2 = nn.LayerNorm(d)
        s.q, s.k, s.v, s.o = [nn.Linear(d, d, bias=False) for _ in range(4)]
        s.w1 = nn.Linear(d, 4 * d, bias=False); s.w2 = nn.Linear(4 * d, d, bias=False)
    def forward(s, x):
        h = s.ln1(x); b, tt, _ = h.shape
        q, k, v = [m(h).view(b, tt, H, d // H).transpose(1, 2) for m in (s.q, s.k, s.v)]
        x = x + s.o(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, tt, d))
        return x + s.w2(F.gelu(s.w1(s.ln2(x))))

class LM(nn.Module):
    def __init__(s):
        super().__init__(); s.emb = nn.Embedding(V, d); s.pos = nn.Embedding(T, d)
        s.blocks = nn.ModuleList([Block() for _ in range(L)]); s.lnf = nn.LayerNorm(d)
        for name, q in s.named_parameters():
            if q.dim() == 2:
                nn.init.normal_(q, std=0.02 / math.sqrt(2 * L) if name.endswith(("o.weight", "w2.weight")) else 0.02)
    def forward(s, x):
        h = s.emb(x) + s.pos(torch.arange(x.shape[1]))
        for b in s.blocks: h = b(h)
        return s.lnf(h) @ s.emb.weight.T

m = LM()
if a.optimizer == "momentum":
    opt = torch.optim.SGD(m.parameters(), lr=a.lr, momentum=0.9)
else:
    opt = torch.optim.AdamW([{"params": [q for q in m.parameters() if q.dim() == 2], "weight_decay": 0.1},
                         {"params": [q for q in m.parameters() if q.dim() < 2], "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.95))
warm = round(a.steps * 0.05)
def lr_at(i):
    if a.optimizer == "momentum": return a.lr
    if i < warm: return a.lr * (i + 1) / warm
    return a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (i - warm) / max(1, a.steps - warm))))
def loss_on(z):
    with torch.no_grad(): return F.cross_entropy(m(z[:, :-1]).reshape(-1, V), z[:, 1:].reshape(-1)).item()
print("step  loss(document beginnings)  loss(random windows)")
for i in range(a.steps):
    if a.batches == "iid":
        starts = drng.integers(0, len(train) - T - 1, size=B)
    else:
        s0 = int(drng.integers(0, len(train) - B * T - 1)); starts = [s0 + j * T for j in range(B)]
    x = torch.tensor(np.stack([train[j:j + T + 1] for j in starts]))
    for g in opt.param_groups: g["lr"] = lr_at(i)
    loss = F.cross_entropy(m(x[:, :-1]).reshape(-1, V), x[:, 1:].reshape(-1))
    opt.zero_grad(); loss.backward()
    if a.optimizer == "adamw": torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    if (i + 1) % max(1, a.steps // 5) == 0 or i == a.steps - 1:
        print(f"{i + 1:4d}  {loss_on(heads):.3f}  {loss_on(windows):.3f}", flush=True)
