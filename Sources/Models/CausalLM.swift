import Tensor

/// Loss of a batch: the weighted objective `Σ_j w_j ℓ_j` and every example's mean loss `ℓ_j`.
public struct LossResult<T: BLASScalar>: Sendable {
    /// `Σ_j w_j ℓ_j` (with no weights: the mean of `ℓ_j` over the batch's rows).
    public var loss: T
    /// `ℓ_j`: mean next-token cross-entropy over row `j`'s valid targets (0 for a row with none).
    public var perExample: [T]
}

/// GPT-2-style pre-norm causal LM with tied embeddings: forward, gradient, and the
/// forward-over-reverse Hessian-vector product with per-example alignments.
///
/// Parameters are one flat buffer described by `layout`. The model owns its activation buffers
/// (allocated on first use, reused while the batch shape fits), so one instance must not be used
/// from two threads at once; use one model per worker.
public final class CausalLM<T: BLASScalar> {
    public let config: LMConfig
    public let layout: ParameterLayout
    let core: TransformerCore<T>
    private var logits: UnsafeMutablePointer<T>
    private var logitsT: UnsafeMutablePointer<T>?
    private var targets: UnsafeMutablePointer<Int32>
    private var coefficients: UnsafeMutablePointer<T>
    private var rowLoss: UnsafeMutablePointer<T>
    private var rowLossT: UnsafeMutablePointer<T>
    private var dxf: UnsafeMutablePointer<T>
    private var dxft: UnsafeMutablePointer<T>?
    private var capacityRows = 0

    /// Query rows per causal attention block: smaller skips more of the masked triangle but makes
    /// smaller gemms. 64 suits contexts of 128–256 with head dims of 32–64.
    public var attentionQueryBlock: Int {
        get { core.queryBlock }
        set { core.queryBlock = max(1, newValue) }
    }

    public init(config: LMConfig) throws(ModelError) {
        try config.validate()
        self.config = config
        let (layout, offsets) = TransformerLayout.make(config, head: false)
        self.layout = layout
        core = TransformerCore(config: config, causal: true, offsets: offsets)
        logits = .allocate(capacity: 1); targets = .allocate(capacity: 1); coefficients = .allocate(capacity: 1)
        rowLoss = .allocate(capacity: 1); rowLossT = .allocate(capacity: 1); dxf = .allocate(capacity: 1)
    }

    deinit {
        logits.deallocate(); logitsT?.deallocate(); targets.deallocate(); coefficients.deallocate()
        rowLoss.deallocate(); rowLossT.deallocate(); dxf.deallocate(); dxft?.deallocate()
    }

    /// Fills `parameters` (resized to `layout.count`) with the GPT-2 initialisation drawn from `seed`.
    public func initialize(parameters: inout [T], seed: UInt64) {
        if parameters.count != layout.count { parameters = [T](repeating: 0, count: layout.count) }
        parameters.withUnsafeMutableBufferPointer { p in
            TransformerLayout.initialize(p.baseAddress!, layout: layout, nLayers: config.nLayers, seed: seed)
        }
    }

    /// Weighted loss and its gradient (overwritten into `gradient`, resized to `layout.count`).
    ///
    /// Objective `Σ_j w_j ℓ_j` with `ℓ_j` the mean cross-entropy over row `j`'s `len_j − 1`
    /// targets; `exampleWeights` nil means `w_j = 1/batchSize`.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func lossAndGradient(
        parameters: [T], batch: TokenBatch, exampleWeights: [T]? = nil, gradient: inout [T]
    ) throws(ModelError) -> LossResult<T> {
        precondition(parameters.count == layout.count, "parameter buffer has \(parameters.count) scalars, layout \(layout.count)")
        if gradient.count != layout.count { gradient = [T](repeating: 0, count: layout.count) }
        let counts = try prepare(batch: batch, weights: exampleWeights, tangent: false)
        let N = core.rows, d = config.dModel, V = config.vocabSize
        var result = LossResult<T>(loss: 0, perExample: [])
        parameters.withUnsafeBufferPointer { pb in
            gradient.withUnsafeMutableBufferPointer { gb in
                let p = pb.baseAddress!, g = gb.baseAddress!
                core.forward(p)
                T.gemm(transA: false, transB: true, m: N, n: V, k: d, alpha: 1, a: core.act.xf, lda: d,
                       b: p + core.offsets.tokEmb, ldb: d, beta: 0, c: logits, ldc: V)
                CrossEntropy.lossAndGradient(logits: logits, rows: N, classes: V, targets: targets,
                                             coefficients: coefficients, rowLoss: rowLoss)
                result = summarize(counts: counts, weights: exampleWeights)
                Vec.zero(g, layout.count)
                // Tied head: x̄f = Z̄·E, Ē += Z̄ᵀ·xf.
                T.gemm(transA: false, transB: false, m: N, n: d, k: V, alpha: 1, a: logits, lda: V,
                       b: p + core.offsets.tokEmb, ldb: d, beta: 0, c: dxf, ldc: d)
                T.gemm(transA: true, transB: false, m: V, n: d, k: N, alpha: 1, a: logits, lda: V,
                       b: core.act.xf, ldb: d, beta: 1, c: g + core.offsets.tokEmb, ldc: d)
                core.backward(p, dxf: dxf, into: g)
            }
        }
        return result
    }

    /// Loss only (no gradient); the activations are still computed in the model's buffers.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func loss(parameters: [T], batch: TokenBatch, exampleWeights: [T]? = nil) throws(ModelError) -> LossResult<T> {
        precondition(parameters.count == layout.count)
        let counts = try prepare(batch: batch, weights: exampleWeights, tangent: false)
        let N = core.rows, d = config.dModel, V = config.vocabSize
        var result = LossResult<T>(loss: 0, perExample: [])
        parameters.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            core.forward(p)
            T.gemm(transA: false, transB: true, m: N, n: V, k: d, alpha: 1, a: core.act.xf, lda: d,
                   b: p + core.offsets.tokEmb, ldb: d, beta: 0, c: logits, ldc: V)
            CrossEntropy.lossAndGradient(logits: logits, rows: N, classes: V, targets: targets,
                                         coefficients: coefficients, rowLoss: rowLoss)
            result = summarize(counts: counts, weights: exampleWeights)
        }
        return result
    }

    /// One forward-over-reverse pass at `parameters` along `direction` (both `layout.count` long).
    ///
    /// With the weights `w` held fixed, writes `hvp = H v = ∂/∂ε ∇θ Σ_j w_j ℓ_j(θ + εv)`,
    /// `alignments[j] = ⟨∇θ ℓ_j, v⟩` (the tangent of each per-example loss, no per-example
    /// gradients formed) and `gradient = ∇θ Σ_j w_j ℓ_j`. Every matmul on dual numbers is three
    /// gemms, so the cost is about three gradients. Buffers are resized to fit.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func hessianVectorProduct(
        parameters: [T], direction: [T], batch: TokenBatch, exampleWeights: [T]? = nil,
        hvp: inout [T], alignments: inout [T], gradient: inout [T]
    ) throws(ModelError) -> LossResult<T> {
        if gradient.count != layout.count { gradient = [T](repeating: 0, count: layout.count) }
        return try gradient.withUnsafeMutableBufferPointer { (g) throws(ModelError) in
            try dualPass(parameters: parameters, direction: direction, batch: batch, exampleWeights: exampleWeights,
                         hvp: &hvp, alignments: &alignments, gradient: g.baseAddress!)
        }
    }

    /// `hessianVectorProduct` without the gradient, which skips the weight-gradient gemms (one in
    /// nine): what the meta-gradient's backward sweep needs.
    ///
    /// `forwardIsCurrent: true` skips the primal forward pass through the blocks: the caller
    /// guarantees that this model's last call was `lossAndGradient` (or `loss`) with the same
    /// `parameters`, `batch` and `exampleWeights`, whose activations are still in its buffers. The
    /// meta-gradient's sweep starts at the last inner step, which is exactly that case.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func hessianVectorProduct(
        parameters: [T], direction: [T], batch: TokenBatch, exampleWeights: [T]? = nil,
        hvp: inout [T], alignments: inout [T], forwardIsCurrent: Bool = false
    ) throws(ModelError) -> LossResult<T> {
        try dualPass(parameters: parameters, direction: direction, batch: batch, exampleWeights: exampleWeights,
                     hvp: &hvp, alignments: &alignments, gradient: nil, forwardIsCurrent: forwardIsCurrent)
    }

    private func dualPass(
        parameters: [T], direction: [T], batch: TokenBatch, exampleWeights: [T]?,
        hvp: inout [T], alignments: inout [T], gradient g: UnsafeMutablePointer<T>?, forwardIsCurrent: Bool = false
    ) throws(ModelError) -> LossResult<T> {
        precondition(parameters.count == layout.count && direction.count == layout.count,
                     "parameter/direction buffers do not match the layout (\(layout.count))")
        if hvp.count != layout.count { hvp = [T](repeating: 0, count: layout.count) }
        let counts = try prepare(batch: batch, weights: exampleWeights, tangent: true)
        if alignments.count != batch.batchSize { alignments = [T](repeating: 0, count: batch.batchSize) }
        let N = core.rows, d = config.dModel, V = config.vocabSize, E = core.offsets.tokEmb
        let zt = logitsT!, dxft = self.dxft!
        var result = LossResult<T>(loss: 0, perExample: [])
        parameters.withUnsafeBufferPointer { pb in
        direction.withUnsafeBufferPointer { vb in
        hvp.withUnsafeMutableBufferPointer { hb in
            let p = pb.baseAddress!, v = vb.baseAddress!, hv = hb.baseAddress!
            if !forwardIsCurrent { core.forward(p) }
            core.tangentForward(p, v)
            let xf = core.act.xf, xft = core.tan!.xf
            // Z = xf·Eᵀ, Z' = xf'·Eᵀ + xf·E'ᵀ.
            T.gemm(transA: false, transB: true, m: N, n: V, k: d, alpha: 1, a: xf, lda: d,
                   b: p + E, ldb: d, beta: 0, c: logits, ldc: V)
            T.gemm(transA: false, transB: true, m: N, n: V, k: d, alpha: 1, a: xft, lda: d,
                   b: p + E, ldb: d, beta: 0, c: zt, ldc: V)
            T.gemm(transA: false, transB: true, m: N, n: V, k: d, alpha: 1, a: xf, lda: d,
                   b: v + E, ldb: d, beta: 1, c: zt, ldc: V)
            CrossEntropy.dualLossAndGradient(logits: logits, logitsTangent: zt, rows: N, classes: V,
                                             targets: targets, coefficients: coefficients,
                                             rowLoss: rowLoss, rowLossTangent: rowLossT)
            result = summarize(counts: counts, weights: exampleWeights)
            for b in 0..<batch.batchSize {
                var s: T = 0
                for t in 0..<core.seq { s += rowLossT[b * core.seq + t] }
                alignments[b] = counts[b] > 0 ? s / T(counts[b]) : 0
            }
            Vec.zero(hv, layout.count)
            // x̄f = Z̄E, x̄f' = Z̄'E + Z̄E'; Ē += Z̄ᵀxf, Ē' += Z̄'ᵀxf + Z̄ᵀxf'.
            T.gemm(transA: false, transB: false, m: N, n: d, k: V, alpha: 1, a: logits, lda: V,
                   b: p + E, ldb: d, beta: 0, c: dxf, ldc: d)
            T.gemm(transA: false, transB: false, m: N, n: d, k: V, alpha: 1, a: zt, lda: V,
                   b: p + E, ldb: d, beta: 0, c: dxft, ldc: d)
            T.gemm(transA: false, transB: false, m: N, n: d, k: V, alpha: 1, a: logits, lda: V,
                   b: v + E, ldb: d, beta: 1, c: dxft, ldc: d)
            if let g {
                Vec.zero(g, layout.count)
                T.gemm(transA: true, transB: false, m: V, n: d, k: N, alpha: 1, a: logits, lda: V,
                       b: xf, ldb: d, beta: 1, c: g + E, ldc: d)
            }
            T.gemm(transA: true, transB: false, m: V, n: d, k: N, alpha: 1, a: zt, lda: V,
                   b: xf, ldb: d, beta: 1, c: hv + E, ldc: d)
            T.gemm(transA: true, transB: false, m: V, n: d, k: N, alpha: 1, a: logits, lda: V,
                   b: xft, ldb: d, beta: 1, c: hv + E, ldc: d)
            core.dualBackward(p, v, dxf: dxf, dxft: dxft, into: g, tangent: hv)
        }}}
        return result
    }

    // MARK: Internals

    /// Validates the batch, fills ids, targets and per-row coefficients `w_j / n_j`; returns `n_j`.
    private func prepare(batch: TokenBatch, weights: [T]?, tangent: Bool) throws(ModelError) -> [Int] {
        let S = batch.sequenceLength, B = batch.batchSize
        guard S >= 2 else {
            throw ModelError(.invalidBatch, "causal LM batches need sequences of at least 2 tokens (input and target), got \(S)")
        }
        guard S - 1 <= config.contextLength else {
            throw ModelError(.sequenceTooLong,
                "batch rows of \(S) tokens give \(S - 1) positions, more than context_length \(config.contextLength); use rows of at most \(config.contextLength + 1) tokens")
        }
        if let w = weights { precondition(w.count == B, "\(w.count) example weights for a batch of \(B)") }
        let T_ = S - 1
        let counts = batch.lengths.map { max($0 - 1, 0) }
        core.prepare(batch: B, seq: T_, lengths: counts, tangent: tangent)
        let N = core.rows, V = config.vocabSize
        if N > capacityRows {
            logits.deallocate(); targets.deallocate(); coefficients.deallocate()
            rowLoss.deallocate(); rowLossT.deallocate(); dxf.deallocate()
            logitsT?.deallocate(); logitsT = nil; dxft?.deallocate(); dxft = nil
            logits = .allocate(capacity: N * V); targets = .allocate(capacity: N)
            coefficients = .allocate(capacity: N); rowLoss = .allocate(capacity: N); rowLossT = .allocate(capacity: N)
            dxf = .allocate(capacity: N * config.dModel)
            capacityRows = N
        }
        if tangent && logitsT == nil {
            logitsT = .allocate(capacity: capacityRows * V)
            dxft = .allocate(capacity: capacityRows * config.dModel)
        }
        try batch.tokens.withUnsafeBufferPointer { (tok) throws(ModelError) in
            for b in 0..<B {
                let n = counts[b]
                let w = weights?[b] ?? 1 / T(B)
                let c = n > 0 ? w / T(n) : 0
                for t in 0..<T_ {
                    let r = b * T_ + t
                    coefficients[r] = c
                    if t < n {
                        let x = tok[b * S + t], y = tok[b * S + t + 1]
                        guard x >= 0, Int(x) < V, y >= 0, Int(y) < V else {
                            let bad = (x >= 0 && Int(x) < V) ? y : x
                            throw ModelError(.tokenOutOfRange,
                                "row \(b) holds token id \(bad) outside 0..<\(V) (vocab_size); re-tokenize with the model's tokenizer")
                        }
                        core.ids[r] = x
                        core.pos[r] = Int32(t)
                        targets[r] = y
                    } else {
                        core.ids[r] = -1
                        core.pos[r] = -1
                        targets[r] = -1
                    }
                }
            }
        }
        return counts
    }

    private func summarize(counts: [Int], weights: [T]?) -> LossResult<T> {
        let B = counts.count, T_ = core.seq
        var per = [T](repeating: 0, count: B)
        var total: T = 0
        for b in 0..<B {
            var s: T = 0
            for t in 0..<T_ { s += rowLoss[b * T_ + t] }
            per[b] = counts[b] > 0 ? s / T(counts[b]) : 0
            total += (weights?[b] ?? 1 / T(B)) * per[b]
        }
        return LossResult(loss: total, perExample: per)
    }
}
