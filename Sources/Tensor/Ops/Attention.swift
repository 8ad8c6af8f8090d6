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
    /// Causal attention runs in blocks of this many query rows, each against only the keys it can
    /// see, which skips most of the masked upper triangle (3/8 of the work at 4 blocks).
    public var queryBlock: Int

    public init(batch: Int, seq: Int, heads: Int, headDim: Int, causal: Bool, queryBlock: Int = 64) {
        self.batch = batch; self.seq = seq; self.heads = heads; self.headDim = headDim; self.causal = causal
        self.queryBlock = max(1, queryBlock)
    }

    /// Query blocks `[i0, i1)` and the number of keys each reads, for a row with `n` valid positions.
    @inlinable
    public func blocks(validLength n: Int) -> [(i0: Int, i1: Int, keys: Int)] {
        guard causal else { return [(0, seq, n)] }
        return stride(from: 0, to: seq, by: queryBlock).map { i0 in
            let i1 = Swift.min(i0 + queryBlock, seq)
            return (i0, i1, Swift.min(i1, n))
        }
    }

    /// FLOPs of the gemms one forward call executes (`QKᵀ` and `PV`), for the given lengths.
    public func forwardFLOPs(lengths: [Int]) -> Double {
        var f = 0.0
        for n in lengths where n > 0 {
            for blk in blocks(validLength: n) { f += 4 * Double((blk.i1 - blk.i0) * blk.keys * headDim) }
        }
        return f * Double(heads)
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
/// Scaled dot-product attention with a causal mask and a key padding mask, gemms per head and
/// query block for `QKᵀ` and `PV`.
///
/// Row `b` has `n_b` valid positions (padding at the end). Query `i` attends to keys
/// `j < lim(i) = causal ? min(i+1, n_b) : n_b`. A query block `[i0, i1)` reads the first
/// `min(i1, n_b)` keys (all `n_b` when bidirectional); only those columns of each probability
/// row are written or read. Padded query rows are computed like the others (their outputs are
/// never used by a loss), and a row with `n_b = 0` gives zero output.
/// Backward: `dP = Ȳ Vᵀ`, `V̄ = Pᵀ Ȳ`, `dS = s·P ⊙ (dP − rowsum(P ⊙ dP))`, `Q̄ = dS K`, `K̄ = dSᵀ Q`.
public enum Attention {
    @inlinable @inline(__always)
    static func limit(_ i: Int, _ n: Int, _ causal: Bool) -> Int { causal ? Swift.min(i + 1, n) : n }

    /// With `keepProbabilities: false` (inference: no backward pass follows) `probs` holds only
    /// `seq·seq` scalars and is reused by every row and head, so it stays in cache.
    @inlinable
    public static func forward<T: BLASScalar>(
        _ s: AttentionShape, lengths: [Int],
        q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
        probabilities probs: UnsafeMutablePointer<T>, output out: UnsafeMutablePointer<T>,
        keepProbabilities: Bool = true
    ) {
        let T_ = s.seq, d = s.dim, hd = s.headDim
        let scale = 1 / T(hd).squareRoot()
        for b in 0..<s.batch {
            let n = lengths[b]
            let blocks = s.blocks(validLength: n)
            for h in 0..<s.heads {
                let o = b * T_ * d + h * hd
                let P = keepProbabilities ? probs + (b * s.heads + h) * T_ * T_ : probs
                if n == 0 {
                    for i in 0..<T_ { Vec.zero(out + o + i * d, hd) }
                    continue
                }
                for (i0, i1, kb) in blocks {
                    let m = i1 - i0, Pb = P + i0 * T_
                    T.gemm(transA: false, transB: true, m: m, n: kb, k: hd, alpha: scale,
                           a: q + o + i0 * d, lda: d, b: k + o, ldb: d, beta: 0, c: Pb, ldc: T_)
                    for i in i0..<i1 {
                        let row = P + i * T_
                        let lim = limit(i, n, s.causal)
                        Vec.softmax(row, lim)
                        if lim < kb { Vec.zero(row + lim, kb - lim) }
                    }
                    T.gemm(transA: false, transB: false, m: m, n: hd, k: kb, alpha: 1,
                           a: Pb, lda: T_, b: v + o, ldb: d, beta: 0, c: out + o + i0 * d, ldc: d)
                }
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
            let blocks = s.blocks(validLength: n)
            for h in 0..<s.heads {
                let o = b * T_ * d + h * hd
                let P = probs + (b * s.heads + h) * T_ * T_
                for (i0, i1, kb) in blocks {
                    let m = i1 - i0, Pb = P + i0 * T_, G = scratch + i0 * T_
                    T.gemm(transA: false, transB: true, m: m, n: kb, k: hd, alpha: 1,
                           a: dy + o + i0 * d, lda: d, b: v + o, ldb: d, beta: 0, c: G, ldc: T_)
                    T.gemm(transA: true, transB: false, m: kb, n: hd, k: m, alpha: 1,
                           a: Pb, lda: T_, b: dy + o + i0 * d, ldb: d, beta: 1, c: dv + o, ldc: d)
                    for i in i0..<i1 {
                        let pr = P + i * T_, gr = scratch + i * T_
                        let lim = limit(i, n, s.causal)
                        let c = Vec.dot(pr, gr, lim)
                        for j in 0..<lim { gr[j] = scale * pr[j] * (gr[j] - c) }
                        if lim < kb { Vec.zero(gr + lim, kb - lim) }
                    }
                    T.gemm(transA: false, transB: false, m: m, n: hd, k: kb, alpha: 1,
                           a: G, lda: T_, b: k + o, ldb: d, beta: 0, c: dq + o + i0 * d, ldc: d)
                    T.gemm(transA: true, transB: false, m: kb, n: hd, k: m, alpha: 1,
                           a: G, lda: T_, b: q + o + i0 * d, ldb: d, beta: 1, c: dk + o, ldc: d)
                }
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
            let blocks = s.blocks(validLength: n)
            for h in 0..<s.heads {
                let o = b * T_ * d + h * hd
                let P = probs + (b * s.heads + h) * T_ * T_
                let Pt = pt + (b * s.heads + h) * T_ * T_
                if n == 0 {
                    for i in 0..<T_ { Vec.zero(yt + o + i * d, hd) }
                    continue
                }
                for (i0, i1, kb) in blocks {
                    let m = i1 - i0, Pb = P + i0 * T_, Ptb = Pt + i0 * T_
                    T.gemm(transA: false, transB: true, m: m, n: kb, k: hd, alpha: scale,
                           a: qt + o + i0 * d, lda: d, b: k + o, ldb: d, beta: 0, c: Ptb, ldc: T_)
                    T.gemm(transA: false, transB: true, m: m, n: kb, k: hd, alpha: scale,
                           a: q + o + i0 * d, lda: d, b: kt + o, ldb: d, beta: 1, c: Ptb, ldc: T_)
                    for i in i0..<i1 {
                        let pr = P + i * T_, tr = Pt + i * T_
                        let lim = limit(i, n, s.causal)
                        let c = Vec.dot(pr, tr, lim)
                        for j in 0..<lim { tr[j] = pr[j] * (tr[j] - c) }
                        if lim < kb { Vec.zero(tr + lim, kb - lim) }
                    }
                    T.gemm(transA: false, transB: false, m: m, n: hd, k: kb, alpha: 1,
                           a: Ptb, lda: T_, b: v + o, ldb: d, beta: 0, c: yt + o + i0 * d, ldc: d)
                    T.gemm(transA: false, transB: false, m: m, n: hd, k: kb, alpha: 1,
                           a: Pb, lda: T_, b: vt + o, ldb: d, beta: 1, c: yt + o + i0 * d, ldc: d)
                }
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
        Vec.zero(dq, total); Vec.zero(dk, total); Vec.zero(dv, total)
        Vec.zero(dqt, total); Vec.zero(dkt, total); Vec.zero(dvt, total)
        for b in 0..<s.batch {
            let n = lengths[b]
            if n == 0 { continue }
            let blocks = s.blocks(validLength: n)
            for h in 0..<s.heads {
                let o = b * T_ * d + h * hd
                let P = probs + (b * s.heads + h) * T_ * T_
                let Pt = pt + (b * s.heads + h) * T_ * T_
                for (i0, i1, kb) in blocks {
                    let m = i1 - i0, r = o + i0 * d
                    let Pb = P + i0 * T_, Ptb = Pt + i0 * T_, G = scratch + i0 * T_, Gt = scratchTangent + i0 * T_
                    T.gemm(transA: false, transB: true, m: m, n: kb, k: hd, alpha: 1,
                           a: dy + r, lda: d, b: v + o, ldb: d, beta: 0, c: G, ldc: T_)
                    T.gemm(transA: false, transB: true, m: m, n: kb, k: hd, alpha: 1,
                           a: dyt + r, lda: d, b: v + o, ldb: d, beta: 0, c: Gt, ldc: T_)
                    T.gemm(transA: false, transB: true, m: m, n: kb, k: hd, alpha: 1,
                           a: dy + r, lda: d, b: vt + o, ldb: d, beta: 1, c: Gt, ldc: T_)
                    T.gemm(transA: true, transB: false, m: kb, n: hd, k: m, alpha: 1,
                           a: Pb, lda: T_, b: dy + r, ldb: d, beta: 1, c: dv + o, ldc: d)
                    T.gemm(transA: true, transB: false, m: kb, n: hd, k: m, alpha: 1,
                           a: Ptb, lda: T_, b: dy + r, ldb: d, beta: 1, c: dvt + o, ldc: d)
                    T.gemm(transA: true, transB: false, m: kb, n: hd, k: m, alpha: 1,
                           a: Pb, lda: T_, b: dyt + r, ldb: d, beta: 1, c: dvt + o, ldc: d)
                    for i in i0..<i1 {
                        let pr = P + i * T_, ptr = Pt + i * T_
                        let gr = scratch + i * T_, gtr = scratchTangent + i * T_
                        let lim = limit(i, n, s.causal)
                        let c = Vec.dot(pr, gr, lim)
                        let ct = Vec.dot(ptr, gr, lim) + Vec.dot(pr, gtr, lim)
                        for j in 0..<lim {
                            let g = gr[j] - c
                            gtr[j] = scale * (ptr[j] * g + pr[j] * (gtr[j] - ct))
                            gr[j] = scale * pr[j] * g
                        }
                        if lim < kb { Vec.zero(gr + lim, kb - lim); Vec.zero(gtr + lim, kb - lim) }
                    }
                    T.gemm(transA: false, transB: false, m: m, n: hd, k: kb, alpha: 1,
                           a: G, lda: T_, b: k + o, ldb: d, beta: 0, c: dq + r, ldc: d)
                    T.gemm(transA: false, transB: false, m: m, n: hd, k: kb, alpha: 1,
                           a: Gt, lda: T_, b: k + o, ldb: d, beta: 0, c: dqt + r, ldc: d)
                    T.gemm(transA: false, transB: false, m: m, n: hd, k: kb, alpha: 1,
                           a: G, lda: T_, b: kt + o, ldb: d, beta: 1, c: dqt + r, ldc: d)
                    T.gemm(transA: true, transB: false, m: kb, n: hd, k: m, alpha: 1,
                           a: G, lda: T_, b: q + r, ldb: d, beta: 1, c: dk + o, ldc: d)
                    T.gemm(transA: true, transB: false, m: kb, n: hd, k: m, alpha: 1,
                           a: Gt, lda: T_, b: q + r, ldb: d, beta: 1, c: dkt + o, ldc: d)
                    T.gemm(transA: true, transB: false, m: kb, n: hd, k: m, alpha: 1,
                           a: G, lda: T_, b: qt + r, ldb: d, beta: 1, c: dkt + o, ldc: d)
                }
            }
        }
    }
}
