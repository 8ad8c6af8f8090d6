"""Independent NumPy (float64) reference of the causal LM and the DataRater encoder.

Produces the golden values in ../ReferenceTests.swift: run `python3 reference_models.py` and
paste its output there. Parameters are a fixed formula over the flat buffer in layout order,
`p[i] = 0.5·sin(0.7·i + 0.3)`, so no RNG has to agree between the two languages. Each row is
evaluated on its valid tokens only (no padding at all), which is what the masks must reproduce.
"""
import numpy as np

V, D, L, H, C = 11, 8, 2, 2, 6
LM_ROWS = [[1, 5, 3, 9, 2, 7, 4], [10, 0, 6], [3, 3, 8, 1, 5]]
ENC_ROWS = [[1, 5, 3, 9, 2, 7], [10, 0], [3, 3, 8, 1]]
WEIGHTS = [0.5, 0.3, 0.2]


def layout(head):
    specs = [("tok_emb", (V, D)), ("pos_emb", (C, D))]
    for i in range(L):
        p = f"blocks.{i}."
        specs += [(p + "ln1.weight", (D,)), (p + "ln1.bias", (D,)),
                  (p + "attn.wq", (D, D)), (p + "attn.wk", (D, D)), (p + "attn.wv", (D, D)), (p + "attn.wo", (D, D)),
                  (p + "ln2.weight", (D,)), (p + "ln2.bias", (D,)),
                  (p + "mlp.w1", (D, 4 * D)), (p + "mlp.w2", (4 * D, D))]
    specs += [("ln_f.weight", (D,)), ("ln_f.bias", (D,))]
    if head:
        specs.append(("head.weight", (D, 1)))
    return specs


def params(head):
    specs = layout(head)
    n = sum(int(np.prod(s)) for _, s in specs)
    flat = 0.5 * np.sin(0.7 * np.arange(n) + 0.3)
    out, o = {}, 0
    for name, s in specs:
        c = int(np.prod(s))
        out[name] = flat[o:o + c].reshape(s)
        o += c
    return out


def ln(x, w, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def body(P, tokens, causal):
    T = len(tokens)
    x = P["tok_emb"][tokens] + P["pos_emb"][:T]
    allowed = np.tril(np.ones((T, T), bool)) if causal else np.ones((T, T), bool)
    hd = D // H
    for i in range(L):
        p = f"blocks.{i}."
        a = ln(x, P[p + "ln1.weight"], P[p + "ln1.bias"])
        q, k, v = a @ P[p + "attn.wq"], a @ P[p + "attn.wk"], a @ P[p + "attn.wv"]
        y = np.zeros_like(x)
        for h in range(H):
            sl = slice(h * hd, (h + 1) * hd)
            s = q[:, sl] @ k[:, sl].T / np.sqrt(hd)
            s = np.where(allowed, s, -np.inf)
            e = np.exp(s - s.max(-1, keepdims=True))
            y[:, sl] = (e / e.sum(-1, keepdims=True)) @ v[:, sl]
        x = x + y @ P[p + "attn.wo"]
        a = ln(x, P[p + "ln2.weight"], P[p + "ln2.bias"])
        x = x + gelu(a @ P[p + "mlp.w1"]) @ P[p + "mlp.w2"]
    return x


def lm_losses():
    P = params(False)
    losses = []
    for row in LM_ROWS:
        x = body(P, row[:-1], causal=True)
        z = ln(x, P["ln_f.weight"], P["ln_f.bias"]) @ P["tok_emb"].T
        m = z.max(-1, keepdims=True)
        lse = (m + np.log(np.exp(z - m).sum(-1, keepdims=True)))[:, 0]
        losses.append(float(np.mean(lse - z[np.arange(len(row) - 1), row[1:]])))
    return losses


def encoder_scores():
    P = params(True)
    out = []
    for row in ENC_ROWS:
        pooled = body(P, row, causal=False).mean(0)
        out.append(float(ln(pooled, P["ln_f.weight"], P["ln_f.bias"]) @ P["head.weight"][:, 0]))
    return out


if __name__ == "__main__":
    per = lm_losses()
    print("static let lmPerExample: [Double] = [" + ", ".join(repr(v) for v in per) + "]")
    print("static let lmWeighted: Double = " + repr(sum(w * l for w, l in zip(WEIGHTS, per))))
    print("static let encoderScores: [Double] = [" + ", ".join(repr(v) for v in encoder_scores()) + "]")
