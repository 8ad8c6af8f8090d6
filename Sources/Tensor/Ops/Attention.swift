/// The shape of a multi-head attention call: `q, k, v, out` are `[batch·seq, heads·headDim]`
/// row-major, head `h` the column slice `h·headDim ..< (h+1)·headDim`; probabilities are
/// `[batch, heads, seq, seq]`.
public struct AttentionShape: Sendable, Hashable {
    public var batch: Int
    public var seq: Int
    public var heads: Int
    public var headDim: Int
    /// Causal (key `j ≤` query `i`) or bidirectional.
    public var causal: Bool

    public init(batch: Int, seq: Int, heads: Int, headDim: Int, causal: Bool) {
        self.batch = batch; self.seq = seq; self.heads = heads; self.headDim = headDim; self.causal = causal
    }

    public var dim: Int { heads * headDim }
    public var probabilityCount: Int { batch * heads * seq * seq }
}

/// Scaled dot-product attention with a causal mask and a key padding mask, one gemm per head for
/// `QKᵀ` and one for `PV`.
///
/// Row `b` has `n_b` valid positions (padding at the end). Query `i` attends to keys
/// `j < lim(i) = causal ? min(i+1, n_b) : n_b`. Only the first `n_b` columns of each probability
/// block are written or read; padded query rows are computed like the others (their outputs are
/// simply never used by the loss), and a row with `n_b = 0` gives zero output.
/// Backward: `dP = Ȳ Vᵀ`, `V̄ = Pᵀ Ȳ`, `dS = P ⊙ (dP − rowsum(P ⊙ dP))`, `Q̄ = s dS K`, `K̄ = s dSᵀ Q`.
public enum Attention {
    @inlinable @inline(__always)
    static func limit(_ i: Int, _ n: Int, _ causal: Bool) -> Int { causal ? Swift.min(i + 1, n) : n }

    @inlinable
    public static func forward<T: BLASScalar>(
        _ s: AttentionShape, lengths: [Int],
        q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
        probabilities probs: UnsafeMutablePointer<T>, output out: UnsafeMutablePointer<T>
    ) {
        let T_ = s.seq, d = s.dim, hd = s.headDim
        let scale = 1 / T(hd).squareRoot()
        for b in 0..<s.batch {
            let n = lengths[b]
            for h in 0..<s.heads {
                let o = b * T_ * d + h * hd
                let P = probs + (b * s.heads + h) * T_ * T_
                if n == 0 {
                    for i in 0..<T_ { Vec.zero(out + o + i * d, hd) }
                    continue
                }
                T.gemm(transA: false, transB: true, m: T_, n: n, k: hd, alpha: scale,
                       a: q + o, lda: d, b: k + o, ldb: d, beta: 0, c: P, ldc: T_)
                for i in 0..<T_ {
                    let row = P + i * T_
                    let lim = limit(i, n, s.causal)
                    Vec.softmax(row, lim)
                    if lim < n { Vec.zero(row + lim, n - lim) }
                }
                T.gemm(transA: false, transB: false, m: T_, n: hd, k: n, alpha: 1,
                       a: P, lda: T_, b: v + o, ldb: d, beta: 0, c: out + o, ldc: d)
            }
        }
    }

    /// Overwrites `dq, dk, dv`. `scratch` holds `seq·seq` scalars.
    @inlinable
    public static func backward<T: BLASScalar>(
        _ s: AttentionShape, lengths: [Int],
        q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
        probabilities probs: UnsafePointer<T>, outputGrad dy: UnsafePointer<T>,
        dq: UnsafeMutablePointer<T>, dk: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>,
        scratch: UnsafeMutablePointer<T>
    ) {
        let T_ = s.seq, d = s.dim, hd = s.headDim
        let scale = 1 / T(hd).squareRoot()
        let total = s.batch * T_ * d
        Vec.zero(dq, total); Vec.zero(dk, total); Vec.zero(dv, total)
        for b in 0..<s.batch {
            let n = lengths[b]
            if n == 0 { continue }
            for h in 0..<s.heads {
                let o = b * T_ * d + h * hd
                let P = probs + (b * s.heads + h) * T_ * T_
                T.gemm(transA: false, transB: true, m: T_, n: n, k: hd, alpha: 1,
                       a: dy + o, lda: d, b: v + o, ldb: d, beta: 0, c: scratch, ldc: T_)
                T.gemm(transA: true, transB: false, m: n, n: hd, k: T_, alpha: 1,
                       a: P, lda: T_, b: dy + o, ldb: d, beta: 0, c: dv + o, ldc: d)
                for i in 0..<T_ {
                    let pr = P + i * T_, gr = scratch + i * T_
                    let lim = limit(i, n, s.causal)
                    let c = Vec.dot(pr, gr, lim)
                    for j in 0..<lim { gr[j] = scale * pr[j] * (gr[j] - c) }
                    if lim < n { Vec.zero(gr + lim, n - lim) }
                }
                T.gemm(transA: false, transB: false, m: T_, n: hd, k: n, alpha: 1,
                       a: scratch, lda: T_, b: k + o, ldb: d, beta: 0, c: dq + o, ldc: d)
                T.gemm(transA: true, transB: false, m: n, n: hd, k: T_, alpha: 1,
                       a: scratch, lda: T_, b: q + o, ldb: d, beta: 0, c: dk + o, ldc: d)
            }
        }
    }

    /// Tangent of the forward pass: `S' = s(Q'Kᵀ + QK'ᵀ)`, `P' = P ⊙ (S' − rowsum(P ⊙ S'))`,
    /// `Y' = P'V + PV'`. Writes `P'` (same layout as `P`) and `Y'`.
    @inlinable
    public static func tangentForward<T: BLASScalar>(
        _ s: AttentionShape, lengths: [Int],
        q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
        qt: UnsafePointer<T>, kt: UnsafePointer<T>, vt: UnsafePointer<T>,
        probabilities probs: UnsafePointer<T>, probabilitiesTangent pt: UnsafeMutablePointer<T>,
        outputTangent yt: UnsafeMutablePointer<T>
    ) {
        let T_ = s.seq, d = s.dim, hd = s.headDim
        let scale = 1 / T(hd).squareRoot()
        for b in 0..<s.batch {
            let n = lengths[b]
            for h in 0..<s.heads {
                let o = b * T_ * d + h * hd
                let P = probs + (b * s.heads + h) * T_ * T_
                let Pt = pt + (b * s.heads + h) * T_ * T_
                if n == 0 {
                    for i in 0..<T_ { Vec.zero(yt + o + i * d, hd) }
                    continue
                }
                T.gemm(transA: false, transB: true, m: T_, n: n, k: hd, alpha: scale,
                       a: qt + o, lda: d, b: k + o, ldb: d, beta: 0, c: Pt, ldc: T_)
                T.gemm(transA: false, transB: true, m: T_, n: n, k: hd, alpha: scale,
                       a: q + o, lda: d, b: kt + o, ldb: d, beta: 1, c: Pt, ldc: T_)
                for i in 0..<T_ {
                    let pr = P + i * T_, tr = Pt + i * T_
                    let lim = limit(i, n, s.causal)
                    let c = Vec.dot(pr, tr, lim)
                    for j in 0..<lim { tr[j] = pr[j] * (tr[j] - c) }
                    if lim < n { Vec.zero(tr + lim, n - lim) }
                }
                T.gemm(transA: false, transB: false, m: T_, n: hd, k: n, alpha: 1,
                       a: Pt, lda: T_, b: v + o, ldb: d, beta: 0, c: yt + o, ldc: d)
                T.gemm(transA: false, transB: false, m: T_, n: hd, k: n, alpha: 1,
                       a: P, lda: T_, b: vt + o, ldb: d, beta: 1, c: yt + o, ldc: d)
            }
        }
    }

    /// Primal and tangent backward in one pass. With `c = rowsum(P ⊙ dP)`,
    /// `c' = rowsum(P' ⊙ dP + P ⊙ dP')`: `dP' = Ȳ'Vᵀ + ȲV'ᵀ`, `V̄' = P'ᵀȲ + PᵀȲ'`,
    /// `dS' = s(P'(dP − c) + P(dP' − c'))`, `Q̄' = dS'K + dS K'`, `K̄' = dS'ᵀQ + dSᵀQ'`.
    /// Overwrites all six gradients; `scratch` and `scratchTangent` hold `seq·seq` scalars each.
    @inlinable
    public static func dualBackward<T: BLASScalar>(
        _ s: AttentionShape, lengths: [Int],
        q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
        qt: UnsafePointer<T>, kt: UnsafePointer<T>, vt: UnsafePointer<T>,
        probabilities probs: UnsafePointer<T>, probabilitiesTangent pt: UnsafePointer<T>,
        outputGrad dy: UnsafePointer<T>, outputGradTangent dyt: UnsafePointer<T>,
        dq: UnsafeMutablePointer<T>, dk: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>,
        dqt: UnsafeMutablePointer<T>, dkt: UnsafeMutablePointer<T>, dvt: UnsafeMutablePointer<T>,
        scratch: UnsafeMutablePointer<T>, scratchTangent: UnsafeMutablePointer<T>
    ) {
        let T_ = s.seq, d = s.dim, hd = s.headDim
        let scale = 1 / T(hd).squareRoot()
        let total = s.batch * T_ * d
        for p in [dq, dk, dv, dqt, dkt, dvt] { Vec.zero(p, total) }
        let G = scratch, Gt = scratchTangent
        for b in 0..<s.batch {
            let n = lengths[b]
            if n == 0 { continue }
            for h in 0..<s.heads {
                let o = b * T_ * d + h * hd
                let P = probs + (b * s.heads + h) * T_ * T_
                let Pt = pt + (b * s.heads + h) * T_ * T_
                T.gemm(transA: false, transB: true, m: T_, n: n, k: hd, alpha: 1,
                       a: dy + o, lda: d, b: v + o, ldb: d, beta: 0, c: G, ldc: T_)
                T.gemm(transA: false, transB: true, m: T_, n: n, k: hd, alpha: 1,
                       a: dyt + o, lda: d, b: v + o, ldb: d, beta: 0, c: Gt, ldc: T_)
                T.gemm(transA: false, transB: true, m: T_, n: n, k: hd, alpha: 1,
                       a: dy + o, lda: d, b: vt + o, ldb: d, beta: 1, c: Gt, ldc: T_)
                T.gemm(transA: true, transB: false, m: n, n: hd, k: T_, alpha: 1,
                       a: P, lda: T_, b: dy + o, ldb: d, beta: 0, c: dv + o, ldc: d)
                T.gemm(transA: true, transB: false, m: n, n: hd, k: T_, alpha: 1,
                       a: Pt, lda: T_, b: dy + o, ldb: d, beta: 0, c: dvt + o, ldc: d)
                T.gemm(transA: true, transB: false, m: n, n: hd, k: T_, alpha: 1,
                       a: P, lda: T_, b: dyt + o, ldb: d, beta: 1, c: dvt + o, ldc: d)
                for i in 0..<T_ {
                    let pr = P + i * T_, ptr = Pt + i * T_, gr = G + i * T_, gtr = Gt + i * T_
                    let lim = limit(i, n, s.causal)
                    let c = Vec.dot(pr, gr, lim)
                    let ct = Vec.dot(ptr, gr, lim) + Vec.dot(pr, gtr, lim)
                    for j in 0..<lim {
                        let g = gr[j] - c
                        gtr[j] = scale * (ptr[j] * g + pr[j] * (gtr[j] - ct))
                        gr[j] = scale * pr[j] * g
                    }
                    if lim < n { Vec.zero(gr + lim, n - lim); Vec.zero(gtr + lim, n - lim) }
                }
                T.gemm(transA: false, transB: false, m: T_, n: hd, k: n, alpha: 1,
                       a: G, lda: T_, b: k + o, ldb: d, beta: 0, c: dq + o, ldc: d)
                T.gemm(transA: false, transB: false, m: T_, n: hd, k: n, alpha: 1,
                       a: Gt, lda: T_, b: k + o, ldb: d, beta: 0, c: dqt + o, ldc: d)
                T.gemm(transA: false, transB: false, m: T_, n: hd, k: n, alpha: 1,
                       a: G, lda: T_, b: kt + o, ldb: d, beta: 1, c: dqt + o, ldc: d)
                T.gemm(transA: true, transB: false, m: n, n: hd, k: T_, alpha: 1,
                       a: G, lda: T_, b: q + o, ldb: d, beta: 0, c: dk + o, ldc: d)
                T.gemm(transA: true, transB: false, m: n, n: hd, k: T_, alpha: 1,
                       a: Gt, lda: T_, b: q + o, ldb: d, beta: 0, c: dkt + o, ldc: d)
                T.gemm(transA: true, transB: false, m: n, n: hd, k: T_, alpha: 1,
                       a: G, lda: T_, b: qt + o, ldb: d, beta: 1, c: dkt + o, ldc: d)
            }
        }
    }
}
