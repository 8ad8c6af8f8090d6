import Tensor

/// The DataRater: the same blocks as the LM with bidirectional attention and a key padding mask,
/// masked mean pooling over valid positions, `ln_f`, and `head.weight [d, 1]` (no bias, zero at
/// initialisation so every document starts with score 0). One scalar score per row.
///
/// Owns its activation buffers like `CausalLM`: one instance per thread.
public final class DataRaterEncoder<T: BLASScalar> {
    public let config: LMConfig
    public let layout: ParameterLayout
    let core: TransformerCore<T>
    private var arena: ScratchArena<T>?
    private var pooled: UnsafeMutablePointer<T>?, xhat: UnsafeMutablePointer<T>?, rstd: UnsafeMutablePointer<T>?
    private var normed: UnsafeMutablePointer<T>?, dNormed: UnsafeMutablePointer<T>?, dPooled: UnsafeMutablePointer<T>?
    private var capacityBatch = 0
    private var lnW = 0, lnB = 0, head = 0

    public init(config: LMConfig) throws(ModelError) {
        try config.validate()
        self.config = config
        let (layout, offsets) = TransformerLayout.make(config, head: true)
        self.layout = layout
        core = TransformerCore(config: config, causal: false, offsets: offsets)
        lnW = offsets.lnfW; lnB = offsets.lnfB; head = offsets.head ?? 0
    }

    /// Fills `parameters` (resized to `layout.count`) with the initialisation drawn from `seed`; the head is zero.
    public func initialize(parameters: inout [T], seed: UInt64) {
        if parameters.count != layout.count { parameters = [T](repeating: 0, count: layout.count) }
        parameters.withUnsafeMutableBufferPointer { p in
            TransformerLayout.initialize(p.baseAddress!, layout: layout, nLayers: config.nLayers, seed: seed)
        }
    }

    /// One score per row of `batch` (every row's `len` tokens are read; padding never is).
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func scores(parameters: [T], batch: TokenBatch) throws(ModelError) -> [T] {
        precondition(parameters.count == layout.count, "parameter buffer does not match the layout (\(layout.count))")
        try prepare(batch)
        var out = [T](repeating: 0, count: batch.batchSize)
        parameters.withUnsafeBufferPointer { pb in forward(pb.baseAddress!, into: &out, inference: true) }
        return out
    }

    /// VJP of the scores: `gradient = Σ_b scoreAdjoint[b] · ∇θ score_b` (overwritten, resized to
    /// `layout.count`). Recomputes the forward pass and returns the scores.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    @discardableResult
    public func backward(parameters: [T], batch: TokenBatch, scoreAdjoint: [T], gradient: inout [T]) throws(ModelError) -> [T] {
        precondition(parameters.count == layout.count, "parameter buffer does not match the layout (\(layout.count))")
        precondition(scoreAdjoint.count == batch.batchSize, "\(scoreAdjoint.count) score adjoints for a batch of \(batch.batchSize)")
        if gradient.count != layout.count { gradient = [T](repeating: 0, count: layout.count) }
        try prepare(batch)
        var out = [T](repeating: 0, count: batch.batchSize)
        let B = batch.batchSize, d = config.dModel
        parameters.withUnsafeBufferPointer { pb in
            gradient.withUnsafeMutableBufferPointer { gb in
                let p = pb.baseAddress!, g = gb.baseAddress!
                forward(p, into: &out)
                Vec.zero(g, layout.count)
                let normed = self.normed!, dNormed = self.dNormed!, dPooled = self.dPooled!
                for b in 0..<B {
                    let s = scoreAdjoint[b]
                    Vec.axpy(s, normed + b * d, into: g + head, d)
                    for i in 0..<d { dNormed[b * d + i] = s * p[head + i] }
                }
                Vec.zero(dPooled, B * d)
                LayerNorm.backward(outputGrad: dNormed, normalized: xhat!, rstd: rstd!, weight: p + lnW,
                                   inputGrad: dPooled, weightGrad: g + lnW, biasGrad: g + lnB, rows: B, dim: d)
                MeanPool.backward(outputGrad: dPooled, batch: B, seq: core.seq, dim: d, lengths: core.lengths,
                                  inputGrad: core.grad.da)
                // The body's own ln_f is not used by the encoder: its output adjoint is the pooled one.
                backwardBody(p, g)
            }
        }
        return out
    }

    private func forward(_ p: UnsafePointer<T>, into out: inout [T], inference: Bool = false) {
        let B = core.batch, d = config.dModel
        core.forward(p, finalNorm: false, inference: inference)
        MeanPool.forward(core.act.x, batch: B, seq: core.seq, dim: d, lengths: core.lengths, into: pooled!)
        LayerNorm.forward(pooled!, weight: p + lnW, bias: p + lnB, output: normed!, normalized: xhat!, rstd: rstd!,
                          rows: B, dim: d)
        for b in 0..<B { out[b] = Vec.dot(normed! + b * d, p + head, d) }
    }

    private func backwardBody(_ p: UnsafePointer<T>, _ g: UnsafeMutablePointer<T>) {
        core.backward(p, dxf: core.grad.da, into: g, finalNorm: false)
    }

    private func prepare(_ batch: TokenBatch) throws(ModelError) {
        let S = batch.sequenceLength, B = batch.batchSize, V = config.vocabSize
        guard S <= config.contextLength else {
            throw ModelError(.sequenceTooLong,
                "batch rows of \(S) tokens exceed context_length \(config.contextLength); truncate or chunk documents first")
        }
        core.prepare(batch: B, seq: S, lengths: batch.lengths, tangent: false)
        if B > capacityBatch || arena == nil {
            let d = config.dModel
            let a = ScratchArena<T>(capacity: ScratchArena<T>.capacity(for: [B * d, B * d, B, B * d, B * d, B * d]))
            pooled = a.take(B * d); xhat = a.take(B * d); rstd = a.take(B)
            normed = a.take(B * d); dNormed = a.take(B * d); dPooled = a.take(B * d)
            arena = a
            capacityBatch = B
        }
        try batch.tokens.withUnsafeBufferPointer { (tok) throws(ModelError) in
            for b in 0..<B {
                let n = batch.lengths[b]
                for t in 0..<S {
                    let r = b * S + t
                    if t < n {
                        let x = tok[r]
                        guard x >= 0, Int(x) < V else {
                            throw ModelError(.tokenOutOfRange,
                                "row \(b) position \(t) holds token id \(x) outside 0..<\(V) (vocab_size); re-tokenize with the DataRater's tokenizer")
                        }
                        core.ids[r] = x
                        core.pos[r] = Int32(t)
                    } else {
                        core.ids[r] = -1
                        core.pos[r] = -1
                    }
                }
            }
        }
    }
}
