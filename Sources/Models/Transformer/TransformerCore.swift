import Tensor

/// Per-layer activations the backward pass needs, carved from one arena.
///
/// Sized for `rows = batch·seq` and `seq`; reused by every call whose shape fits.
final class LayerBuffers<T: BLASScalar> {
    let arena: ScratchArena<T>
    /// `x̂`, `r` (or `ρ` in a tangent set) and the output of both LayerNorms; projections,
    /// probabilities, attention output before `wo`, MLP pre-activation and GELU output.
    var xhat1: [UnsafeMutablePointer<T>] = [], r1: [UnsafeMutablePointer<T>] = [], a1: [UnsafeMutablePointer<T>] = []
    var q: [UnsafeMutablePointer<T>] = [], k: [UnsafeMutablePointer<T>] = [], v: [UnsafeMutablePointer<T>] = []
    var probs: [UnsafeMutablePointer<T>] = [], y: [UnsafeMutablePointer<T>] = []
    var xhat2: [UnsafeMutablePointer<T>] = [], r2: [UnsafeMutablePointer<T>] = [], a2: [UnsafeMutablePointer<T>] = []
    var h: [UnsafeMutablePointer<T>] = [], g: [UnsafeMutablePointer<T>] = []
    /// Residual stream, final LayerNorm's `x̂`, `r`/`ρ` and output.
    let x: UnsafeMutablePointer<T>, xhatF: UnsafeMutablePointer<T>, rF: UnsafeMutablePointer<T>, xf: UnsafeMutablePointer<T>

    init(layers: Int, rows: Int, seq: Int, dim: Int, heads: Int) {
        let nd = rows * dim, p = rows * heads * seq
        let perLayer = [nd, rows, nd, nd, nd, nd, p, nd, nd, rows, nd, 4 * nd, 4 * nd]
        let counts = Array(repeating: perLayer, count: layers).flatMap { $0 } + [nd, nd, rows, nd]
        arena = ScratchArena(capacity: ScratchArena<T>.capacity(for: counts))
        for _ in 0..<layers {
            xhat1.append(arena.take(nd)); r1.append(arena.take(rows)); a1.append(arena.take(nd))
            q.append(arena.take(nd)); k.append(arena.take(nd)); v.append(arena.take(nd))
            probs.append(arena.take(p)); y.append(arena.take(nd))
            xhat2.append(arena.take(nd)); r2.append(arena.take(rows)); a2.append(arena.take(nd))
            h.append(arena.take(4 * nd)); g.append(arena.take(4 * nd))
        }
        x = arena.take(nd); xhatF = arena.take(nd); rF = arena.take(rows); xf = arena.take(nd)
    }
}

/// Adjoint scratch shared by all layers during a backward pass.
final class GradientBuffers<T: BLASScalar> {
    let arena: ScratchArena<T>
    let dx: UnsafeMutablePointer<T>, da: UnsafeMutablePointer<T>, dy: UnsafeMutablePointer<T>
    let dq: UnsafeMutablePointer<T>, dk: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>
    let dh: UnsafeMutablePointer<T>, scores: UnsafeMutablePointer<T>

    init(rows: Int, seq: Int, dim: Int) {
        let nd = rows * dim
        arena = ScratchArena(capacity: ScratchArena<T>.capacity(for: [nd, nd, nd, nd, nd, nd, 4 * nd, seq * seq]))
        dx = arena.take(nd); da = arena.take(nd); dy = arena.take(nd)
        dq = arena.take(nd); dk = arena.take(nd); dv = arena.take(nd)
        dh = arena.take(4 * nd); scores = arena.take(seq * seq)
    }
}

/// The transformer body shared by the causal LM and the DataRater encoder: embeddings, blocks
/// and the final LayerNorm, in primal, reverse and tangent (forward-over-reverse) modes.
///
/// Activations live in buffers allocated on first use and reused while the batch shape fits.
/// Rows are `b·seq + t`; all matrix products run over all `batch·seq` rows at once.
final class TransformerCore<T: BLASScalar> {
    let config: LMConfig
    let causal: Bool
    let offsets: StackOffsets
    private(set) var rows = 0, seq = 0, batch = 0
    var lengths: [Int] = []
    private var capacityRows = 0, capacitySeq = 0
    var act: LayerBuffers<T>!
    var tan: LayerBuffers<T>?
    var grad: GradientBuffers<T>!
    var gradT: GradientBuffers<T>?
    /// Token and position ids per row, −1 for padding.
    var ids: UnsafeMutablePointer<Int32>
    var pos: UnsafeMutablePointer<Int32>

    init(config: LMConfig, causal: Bool, offsets: StackOffsets) {
        self.config = config
        self.causal = causal
        self.offsets = offsets
        ids = .allocate(capacity: 1)
        pos = .allocate(capacity: 1)
    }

    private var discardedGradient: UnsafeMutablePointer<T>?
    /// `[d, 3d]`: one layer's `wq`, `wk`, `wv` side by side, for the fused inference projection.
    private var qkvWeights: UnsafeMutablePointer<T>?

    /// Copies layer `o`'s query, key and value weights into `qkvWeights` (row `i` = the three
    /// matrices' rows `i`); 3d² scalars, negligible beside the gemm that reads them.
    private func packedQKV(_ p: UnsafePointer<T>, _ o: BlockOffsets) -> UnsafePointer<T> {
        let d = config.dModel
        let w = qkvWeights ?? .allocate(capacity: 3 * d * d)
        qkvWeights = w
        for i in 0..<d {
            (w + 3 * d * i).update(from: p + o.wq + d * i, count: d)
            (w + 3 * d * i + d).update(from: p + o.wk + d * i, count: d)
            (w + 3 * d * i + 2 * d).update(from: p + o.wv + d * i, count: d)
        }
        return UnsafePointer(w)
    }

    deinit {
        ids.deallocate()
        pos.deallocate()
        discardedGradient?.deallocate()
        qkvWeights?.deallocate()
    }

    /// Query rows per causal attention block (see `AttentionShape.queryBlock`).
    var queryBlock = 64

    var shape: AttentionShape {
        AttentionShape(batch: batch, seq: seq, heads: config.nHeads, headDim: config.headDim, causal: causal,
                       queryBlock: queryBlock)
    }

    /// Makes the buffers fit `batch × seq` (growing only) and records the valid lengths.
    func prepare(batch: Int, seq: Int, lengths: [Int], tangent: Bool) {
        let rows = batch * seq
        if rows > capacityRows || seq > capacitySeq || act == nil {
            capacityRows = max(rows, capacityRows)
            capacitySeq = max(seq, capacitySeq)
            act = nil; tan = nil; grad = nil; gradT = nil
            act = makeLayers()
            grad = GradientBuffers(rows: capacityRows, seq: capacitySeq, dim: config.dModel)
            ids.deallocate(); pos.deallocate()
            ids = .allocate(capacity: capacityRows)
            pos = .allocate(capacity: capacityRows)
        }
        if tangent && tan == nil {
            tan = makeLayers()
            gradT = GradientBuffers(rows: capacityRows, seq: capacitySeq, dim: config.dModel)
        }
        self.batch = batch
        self.seq = seq
        self.rows = rows
        self.lengths = lengths
    }

    private func makeLayers() -> LayerBuffers<T> {
        // Probabilities need rows·seq per head; sized for the largest seq seen.
        LayerBuffers(layers: config.nLayers, rows: capacityRows, seq: capacitySeq, dim: config.dModel, heads: config.nHeads)
    }

    // MARK: Forward

    /// `x = tok_emb[ids] + pos_emb[pos]`, then every block, then `ln_f` into `act.xf`.
    /// `inference: true` when no backward or tangent pass follows (bidirectional models only):
    /// attention then keeps no probabilities and may use the fused kernel.
    func forward(_ p: UnsafePointer<T>, finalNorm: Bool = true, inference: Bool = false) {
        let d = config.dModel, N = rows, A = act!
        Embedding.forward(table: p + offsets.tokEmb, dim: d, ids: ids, rows: N, into: A.x)
        Embedding.forward(table: p + offsets.posEmb, dim: d, ids: pos, rows: N, into: A.x, accumulate: true)
        for l in 0..<config.nLayers {
            let o = offsets.blocks[l]
            LayerNorm.forward(A.x, weight: p + o.ln1w, bias: p + o.ln1b, output: A.a1[l], normalized: A.xhat1[l],
                              rstd: A.r1[l], rows: N, dim: d)
            attention(layer: l, p, inference: inference)
            Linear.forward(A.y[l], p + o.wo, into: A.x, rows: N, inDim: d, outDim: d, accumulate: true)
            LayerNorm.forward(A.x, weight: p + o.ln2w, bias: p + o.ln2b, output: A.a2[l], normalized: A.xhat2[l],
                              rstd: A.r2[l], rows: N, dim: d)
            Linear.forward(A.a2[l], p + o.w1, into: A.h[l], rows: N, inDim: d, outDim: 4 * d)
            GELU.forward(A.h[l], into: A.g[l], count: N * 4 * d)
            Linear.forward(A.g[l], p + o.w2, into: A.x, rows: N, inDim: 4 * d, outDim: d, accumulate: true)
        }
        guard finalNorm else { return }
        LayerNorm.forward(A.x, weight: p + offsets.lnfW, bias: p + offsets.lnfB, output: A.xf,
                          normalized: A.xhatF, rstd: A.rF, rows: N, dim: d)
    }

    /// Layer `l`'s q, k, v projections and attention into `act.y[l]`.
    private func attention(layer l: Int, _ p: UnsafePointer<T>, inference: Bool) {
        let d = config.dModel, N = rows, A = act!, o = offsets.blocks[l]
        let inference = inference && !causal
        if inference && Attention.fusesInference(shape, T.self) {
            // One gemm for q, k and v into h (free until the MLP): [N, 3d] = a1 · [wq wk wv].
            let qkv = A.h[l]
            Linear.forward(A.a1[l], packedQKV(p, o), into: qkv, rows: N, inDim: d, outDim: 3 * d)
            Attention.inference(shape, lengths: lengths, q: qkv, k: qkv + d, v: qkv + 2 * d, qkvStride: 3 * d,
                                output: A.y[l], scratch: grad.scores)
            return
        }
        Linear.forward(A.a1[l], p + o.wq, into: A.q[l], rows: N, inDim: d, outDim: d)
        Linear.forward(A.a1[l], p + o.wk, into: A.k[l], rows: N, inDim: d, outDim: d)
        Linear.forward(A.a1[l], p + o.wv, into: A.v[l], rows: N, inDim: d, outDim: d)
        if inference {
            Attention.inference(shape, lengths: lengths, q: A.q[l], k: A.k[l], v: A.v[l], output: A.y[l],
                                scratch: grad.scores)
        } else {
            Attention.forward(shape, lengths: lengths, q: A.q[l], k: A.k[l], v: A.v[l],
                              probabilities: A.probs[l], output: A.y[l])
        }
    }

    /// Tangent of `forward` along the parameter direction `v` (after `forward`): fills `tan`,
    /// ending with `tan.xf = xf'`.
    func tangentForward(_ p: UnsafePointer<T>, _ v: UnsafePointer<T>) {
        let d = config.dModel, N = rows, A = act!, D = tan!
        Embedding.forward(table: v + offsets.tokEmb, dim: d, ids: ids, rows: N, into: D.x)
        Embedding.forward(table: v + offsets.posEmb, dim: d, ids: pos, rows: N, into: D.x, accumulate: true)
        for l in 0..<config.nLayers {
            let o = offsets.blocks[l]
            LayerNorm.tangentForward(inputTangent: D.x, normalized: A.xhat1[l], rstd: A.r1[l], weight: p + o.ln1w,
                                     weightTangent: v + o.ln1w, biasTangent: v + o.ln1b, outputTangent: D.a1[l],
                                     normalizedTangent: D.xhat1[l], rstdRatio: D.r1[l], rows: N, dim: d)
            for (w, outT) in [(o.wq, D.q[l]), (o.wk, D.k[l]), (o.wv, D.v[l])] {
                Linear.forward(D.a1[l], p + w, into: outT, rows: N, inDim: d, outDim: d)
                Linear.forward(A.a1[l], v + w, into: outT, rows: N, inDim: d, outDim: d, accumulate: true)
            }
            Attention.tangentForward(shape, lengths: lengths, q: A.q[l], k: A.k[l], v: A.v[l],
                                     qt: D.q[l], kt: D.k[l], vt: D.v[l], probabilities: A.probs[l],
                                     probabilitiesTangent: D.probs[l], outputTangent: D.y[l])
            Linear.forward(D.y[l], p + o.wo, into: D.x, rows: N, inDim: d, outDim: d, accumulate: true)
            Linear.forward(A.y[l], v + o.wo, into: D.x, rows: N, inDim: d, outDim: d, accumulate: true)
            LayerNorm.tangentForward(inputTangent: D.x, normalized: A.xhat2[l], rstd: A.r2[l], weight: p + o.ln2w,
                                     weightTangent: v + o.ln2w, biasTangent: v + o.ln2b, outputTangent: D.a2[l],
                                     normalizedTangent: D.xhat2[l], rstdRatio: D.r2[l], rows: N, dim: d)
            Linear.forward(D.a2[l], p + o.w1, into: D.h[l], rows: N, inDim: d, outDim: 4 * d)
            Linear.forward(A.a2[l], v + o.w1, into: D.h[l], rows: N, inDim: d, outDim: 4 * d, accumulate: true)
            GELU.tangentForward(A.h[l], inputTangent: D.h[l], outputTangent: D.g[l], count: N * 4 * d)
            Linear.forward(D.g[l], p + o.w2, into: D.x, rows: N, inDim: 4 * d, outDim: d, accumulate: true)
            Linear.forward(A.g[l], v + o.w2, into: D.x, rows: N, inDim: 4 * d, outDim: d, accumulate: true)
        }
        LayerNorm.tangentForward(inputTangent: D.x, normalized: A.xhatF, rstd: A.rF, weight: p + offsets.lnfW,
                                 weightTangent: v + offsets.lnfW, biasTangent: v + offsets.lnfB, outputTangent: D.xf,
                                 normalizedTangent: D.xhatF, rstdRatio: D.rF, rows: N, dim: d)
    }

    // MARK: Backward

    /// Reverse pass from `dxf` (the adjoint of `ln_f`'s output, may be `grad.da`) into `g`
    /// (accumulated; the caller zeroes it).
    /// With `finalNorm: false`, `dxf` is the adjoint of the residual stream itself (may not be `grad.dx`).
    func backward(_ p: UnsafePointer<T>, dxf: UnsafePointer<T>, into g: UnsafeMutablePointer<T>, finalNorm: Bool = true) {
        let d = config.dModel, N = rows, A = act!, G = grad!
        if !finalNorm {
            G.dx.update(from: dxf, count: N * d)
        } else {
            Vec.zero(G.dx, N * d)
            LayerNorm.backward(outputGrad: dxf, normalized: A.xhatF, rstd: A.rF, weight: p + offsets.lnfW,
                           inputGrad: G.dx, weightGrad: g + offsets.lnfW, biasGrad: g + offsets.lnfB, rows: N, dim: d)
        }
        for l in stride(from: config.nLayers - 1, through: 0, by: -1) {
            let o = offsets.blocks[l]
            Linear.backwardInput(G.dx, p + o.w2, into: G.dh, rows: N, inDim: 4 * d, outDim: d)
            Linear.backwardWeight(A.g[l], G.dx, into: g + o.w2, rows: N, inDim: 4 * d, outDim: d)
            GELU.backward(A.h[l], outputGrad: G.dh, inputGrad: G.dh, count: N * 4 * d)
            Linear.backwardInput(G.dh, p + o.w1, into: G.da, rows: N, inDim: d, outDim: 4 * d)
            Linear.backwardWeight(A.a2[l], G.dh, into: g + o.w1, rows: N, inDim: d, outDim: 4 * d)
            LayerNorm.backward(outputGrad: G.da, normalized: A.xhat2[l], rstd: A.r2[l], weight: p + o.ln2w,
                               inputGrad: G.dx, weightGrad: g + o.ln2w, biasGrad: g + o.ln2b, rows: N, dim: d)
            Linear.backwardInput(G.dx, p + o.wo, into: G.dy, rows: N, inDim: d, outDim: d)
            Linear.backwardWeight(A.y[l], G.dx, into: g + o.wo, rows: N, inDim: d, outDim: d)
            Attention.backward(shape, lengths: lengths, q: A.q[l], k: A.k[l], v: A.v[l], probabilities: A.probs[l],
                               outputGrad: G.dy, dq: G.dq, dk: G.dk, dv: G.dv, scratch: G.scores)
            Linear.backwardInput(G.dq, p + o.wq, into: G.da, rows: N, inDim: d, outDim: d)
            Linear.backwardInput(G.dk, p + o.wk, into: G.da, rows: N, inDim: d, outDim: d, accumulate: true)
            Linear.backwardInput(G.dv, p + o.wv, into: G.da, rows: N, inDim: d, outDim: d, accumulate: true)
            Linear.backwardWeight(A.a1[l], G.dq, into: g + o.wq, rows: N, inDim: d, outDim: d)
            Linear.backwardWeight(A.a1[l], G.dk, into: g + o.wk, rows: N, inDim: d, outDim: d)
            Linear.backwardWeight(A.a1[l], G.dv, into: g + o.wv, rows: N, inDim: d, outDim: d)
            LayerNorm.backward(outputGrad: G.da, normalized: A.xhat1[l], rstd: A.r1[l], weight: p + o.ln1w,
                               inputGrad: G.dx, weightGrad: g + o.ln1w, biasGrad: g + o.ln1b, rows: N, dim: d)
        }
        Embedding.backward(outputGrad: G.dx, dim: d, ids: ids, rows: N, tableGrad: g + offsets.tokEmb)
        Embedding.backward(outputGrad: G.dx, dim: d, ids: pos, rows: N, tableGrad: g + offsets.posEmb)
    }

    /// Reverse pass and its tangent together, from `dxf`, `dxft` (adjoint of `ln_f`'s output and
    /// its tangent) into `g` (gradient) and `hv` (its tangent, i.e. the Hessian-vector product);
    /// both accumulate. Needs `forward` and `tangentForward` first. With `g` nil the weight
    /// gradients are not formed (the input adjoints still are: the tangent pass needs them),
    /// which saves one gemm in nine.
    func dualBackward(_ p: UnsafePointer<T>, _ v: UnsafePointer<T>, dxf: UnsafePointer<T>, dxft: UnsafePointer<T>,
                      into gradient: UnsafeMutablePointer<T>?, tangent hv: UnsafeMutablePointer<T>) {
        let d = config.dModel, N = rows, A = act!, D = tan!, G = grad!, H = gradT!
        // LayerNorm weight gradients are cheap; without a gradient buffer they land in scratch.
        let g = gradient ?? lnScratch(offsets: offsets)
        let wantWeights = gradient != nil
        Vec.zero(G.dx, N * d)
        Vec.zero(H.dx, N * d)
        LayerNorm.backward(outputGrad: dxf, normalized: A.xhatF, rstd: A.rF, weight: p + offsets.lnfW,
                           inputGrad: G.dx, weightGrad: g + offsets.lnfW, biasGrad: g + offsets.lnfB, rows: N, dim: d)
        LayerNorm.tangentBackward(outputGrad: dxf, outputGradTangent: dxft, normalized: A.xhatF, normalizedTangent: D.xhatF,
                                  rstd: A.rF, rstdRatio: D.rF, weight: p + offsets.lnfW, weightTangent: v + offsets.lnfW,
                                  inputGradTangent: H.dx, weightGradTangent: hv + offsets.lnfW,
                                  biasGradTangent: hv + offsets.lnfB, rows: N, dim: d)
        for l in stride(from: config.nLayers - 1, through: 0, by: -1) {
            let o = offsets.blocks[l]
            // MLP: dg = dx W2ᵀ, dg' = dx' W2ᵀ + dx W2'ᵀ; W̄2 += gᵀdx, W̄2' += g'ᵀdx + gᵀdx'.
            Linear.backwardInput(G.dx, p + o.w2, into: G.dh, rows: N, inDim: 4 * d, outDim: d)
            Linear.backwardInput(H.dx, p + o.w2, into: H.dh, rows: N, inDim: 4 * d, outDim: d)
            Linear.backwardInput(G.dx, v + o.w2, into: H.dh, rows: N, inDim: 4 * d, outDim: d, accumulate: true)
            if wantWeights { Linear.backwardWeight(A.g[l], G.dx, into: g + o.w2, rows: N, inDim: 4 * d, outDim: d) }
            Linear.backwardWeight(D.g[l], G.dx, into: hv + o.w2, rows: N, inDim: 4 * d, outDim: d)
            Linear.backwardWeight(A.g[l], H.dx, into: hv + o.w2, rows: N, inDim: 4 * d, outDim: d)
            GELU.dualBackward(A.h[l], inputTangent: D.h[l], outputGrad: G.dh, outputGradTangent: H.dh,
                              inputGrad: G.dh, inputGradTangent: H.dh, count: N * 4 * d)
            Linear.backwardInput(G.dh, p + o.w1, into: G.da, rows: N, inDim: d, outDim: 4 * d)
            Linear.backwardInput(H.dh, p + o.w1, into: H.da, rows: N, inDim: d, outDim: 4 * d)
            Linear.backwardInput(G.dh, v + o.w1, into: H.da, rows: N, inDim: d, outDim: 4 * d, accumulate: true)
            if wantWeights { Linear.backwardWeight(A.a2[l], G.dh, into: g + o.w1, rows: N, inDim: d, outDim: 4 * d) }
            Linear.backwardWeight(D.a2[l], G.dh, into: hv + o.w1, rows: N, inDim: d, outDim: 4 * d)
            Linear.backwardWeight(A.a2[l], H.dh, into: hv + o.w1, rows: N, inDim: d, outDim: 4 * d)
            LayerNorm.backward(outputGrad: G.da, normalized: A.xhat2[l], rstd: A.r2[l], weight: p + o.ln2w,
                               inputGrad: G.dx, weightGrad: g + o.ln2w, biasGrad: g + o.ln2b, rows: N, dim: d)
            LayerNorm.tangentBackward(outputGrad: G.da, outputGradTangent: H.da, normalized: A.xhat2[l],
                                      normalizedTangent: D.xhat2[l], rstd: A.r2[l], rstdRatio: D.r2[l],
                                      weight: p + o.ln2w, weightTangent: v + o.ln2w, inputGradTangent: H.dx,
                                      weightGradTangent: hv + o.ln2w, biasGradTangent: hv + o.ln2b, rows: N, dim: d)
            // Attention output projection.
            Linear.backwardInput(G.dx, p + o.wo, into: G.dy, rows: N, inDim: d, outDim: d)
            Linear.backwardInput(H.dx, p + o.wo, into: H.dy, rows: N, inDim: d, outDim: d)
            Linear.backwardInput(G.dx, v + o.wo, into: H.dy, rows: N, inDim: d, outDim: d, accumulate: true)
            if wantWeights { Linear.backwardWeight(A.y[l], G.dx, into: g + o.wo, rows: N, inDim: d, outDim: d) }
            Linear.backwardWeight(D.y[l], G.dx, into: hv + o.wo, rows: N, inDim: d, outDim: d)
            Linear.backwardWeight(A.y[l], H.dx, into: hv + o.wo, rows: N, inDim: d, outDim: d)
            Attention.dualBackward(shape, lengths: lengths, q: A.q[l], k: A.k[l], v: A.v[l],
                                   qt: D.q[l], kt: D.k[l], vt: D.v[l],
                                   probabilities: A.probs[l], probabilitiesTangent: D.probs[l],
                                   outputGrad: G.dy, outputGradTangent: H.dy,
                                   dq: G.dq, dk: G.dk, dv: G.dv, dqt: H.dq, dkt: H.dk, dvt: H.dv,
                                   scratch: G.scores, scratchTangent: H.scores)
            var first = true
            for (w, gq, hq) in [(o.wq, G.dq, H.dq), (o.wk, G.dk, H.dk), (o.wv, G.dv, H.dv)] {
                Linear.backwardInput(gq, p + w, into: G.da, rows: N, inDim: d, outDim: d, accumulate: !first)
                Linear.backwardInput(hq, p + w, into: H.da, rows: N, inDim: d, outDim: d, accumulate: !first)
                Linear.backwardInput(gq, v + w, into: H.da, rows: N, inDim: d, outDim: d, accumulate: true)
                if wantWeights { Linear.backwardWeight(A.a1[l], gq, into: g + w, rows: N, inDim: d, outDim: d) }
                Linear.backwardWeight(D.a1[l], gq, into: hv + w, rows: N, inDim: d, outDim: d)
                Linear.backwardWeight(A.a1[l], hq, into: hv + w, rows: N, inDim: d, outDim: d)
                first = false
            }
            LayerNorm.backward(outputGrad: G.da, normalized: A.xhat1[l], rstd: A.r1[l], weight: p + o.ln1w,
                               inputGrad: G.dx, weightGrad: g + o.ln1w, biasGrad: g + o.ln1b, rows: N, dim: d)
            LayerNorm.tangentBackward(outputGrad: G.da, outputGradTangent: H.da, normalized: A.xhat1[l],
                                      normalizedTangent: D.xhat1[l], rstd: A.r1[l], rstdRatio: D.r1[l],
                                      weight: p + o.ln1w, weightTangent: v + o.ln1w, inputGradTangent: H.dx,
                                      weightGradTangent: hv + o.ln1w, biasGradTangent: hv + o.ln1b, rows: N, dim: d)
        }
        if wantWeights {
            Embedding.backward(outputGrad: G.dx, dim: d, ids: ids, rows: N, tableGrad: g + offsets.tokEmb)
            Embedding.backward(outputGrad: G.dx, dim: d, ids: pos, rows: N, tableGrad: g + offsets.posEmb)
        }
        Embedding.backward(outputGrad: H.dx, dim: d, ids: ids, rows: N, tableGrad: hv + offsets.tokEmb)
        Embedding.backward(outputGrad: H.dx, dim: d, ids: pos, rows: N, tableGrad: hv + offsets.posEmb)
    }

    /// A buffer laid out like the parameters for the LayerNorm weight gradients nobody asked for;
    /// only LayerNorm offsets are ever written, so it is allocated at full size once and reused.
    private func lnScratch(offsets: StackOffsets) -> UnsafeMutablePointer<T> {
        if let s = discardedGradient { return s }
        let count = offsets.lnfB + config.dModel
        let s = UnsafeMutablePointer<T>.allocate(capacity: count)
        s.initialize(repeating: 0, count: count)
        discardedGradient = s
        return s
    }
}
