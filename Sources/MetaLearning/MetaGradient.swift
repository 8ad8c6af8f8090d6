import Models
import Tensor

/// The batches of one meta-step for one inner model: T inner-training batches and one outer batch.
public struct MetaStepBatches: Sendable {
    public var inner: [TokenBatch]
    public var outer: TokenBatch

    public init(inner: [TokenBatch], outer: TokenBatch) {
        self.inner = inner
        self.outer = outer
    }
}

/// What one meta-step measured.
public struct MetaStepResult<T: BLASScalar>: Sendable {
    /// Mean LM loss on the outer batch after the T inner steps.
    public var outerLoss: T
    /// The weighted inner loss Σ_j w_j ℓ_j of each inner step.
    public var innerLosses: [T]
    /// 1 / Σ_j w_j² of each inner step's weights (batch size = uniform weights; 1 = collapse).
    public var effectiveSampleSizes: [T]
    /// The DataRater's scores on each inner batch.
    public var scores: [[T]]
    /// s̄ of each inner step (the adjoint of the scores; each sums to zero).
    public var scoreAdjoints: [[T]] = []
}

/// The exact meta-gradient of the outer loss through T unrolled inner steps, without a higher-order tape.
///
/// Forward: for t = 0…T−1, weights w_t = softmax(φ_η(B_t)), g_t = Σ_j w_tj ∇ℓ_j(θ_t), θ_{t+1} = Opt(θ_t, g_t);
/// then λ = ∇θ L_outer(θ_T). Backward, for t = T−1…0: the optimizer VJP gives ḡ_t and the explicit θ̄_t; one
/// forward-over-reverse pass at θ_t along ḡ_t gives H_t ḡ_t and a_j = ⟨∇ℓ_j(θ_t), ḡ_t⟩; then
/// s̄ = w ⊙ (a − ⟨w, a⟩) (the softmax VJP, Σ s̄ = 0), η̄ += VJP of φ_η at B_t with s̄, and λ = θ̄_t + H_t ḡ_t.
///
/// Memory: T copies of the parameters, gradients and optimizer states, all allocated once and reused across
/// calls; nothing is allocated per step after the first call. The outer pass runs on a second LM instance
/// (same weights passed in, its own activation buffers), so the last inner step's activations survive it and
/// the sweep's first HVP skips that forward pass (about a third of a gradient per meta-step).
public final class MetaGradientEngine<T: BLASScalar> {
    public let lm: CausalLM<T>
    private let outerLM: CausalLM<T>
    public let rater: DataRaterEncoder<T>
    public let optimizer: InnerOptimizer<T>

    private var thetas: [[T]] = []
    private var gradients: [[T]] = []
    private var statesAfter: [InnerState<T>] = []
    private var weights: [[T]] = []
    private var lambda: [T] = []
    private var mBar: [T] = []
    private var vBar: [T] = []
    private var gBar: [T] = []
    private var hvp: [T] = []
    private var alignments: [T] = []
    private var raterGradient: [T] = []
    private var plainGradient: [T] = []

    public init(lm: CausalLM<T>, rater: DataRaterEncoder<T>, optimizer: InnerOptimizer<T>) throws(ModelError) {
        self.lm = lm
        outerLM = try CausalLM<T>(config: lm.config)
        self.rater = rater
        self.optimizer = optimizer
    }

    /// Runs the inner steps from (θ, state), leaving them at θ_T and its state, and (when `metaGradient` is
    /// true) overwrites `etaGradient` with ∂L_outer/∂η.
    ///
    /// Exported specialisations: a caller in another module (`datarater bench meta`) otherwise runs the generic
    /// code, which reaches the models' unspecialised kernels and is more than ten times slower.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func step(eta: [T], parameters θ: inout [T], state: inout InnerState<T>, batches: MetaStepBatches,
                     etaGradient: inout [T], metaGradient: Bool = true) throws(ModelError) -> MetaStepResult<T> {
        let steps = batches.inner.count
        let n = lm.layout.count
        precondition(θ.count == n, "inner parameters do not match the LM layout")
        while thetas.count < steps {
            thetas.append([T](repeating: 0, count: n))
            gradients.append([T](repeating: 0, count: n))
            statesAfter.append(state)
            weights.append([])
        }
        var result = MetaStepResult<T>(outerLoss: 0, innerLosses: [], effectiveSampleSizes: [], scores: [])
        for t in 0..<steps {
            let batch = batches.inner[t]
            let scores = try rater.scores(parameters: eta, batch: batch)
            weights[t] = Self.softmax(scores)
            result.scores.append(scores)
            result.effectiveSampleSizes.append(1 / weights[t].reduce(0) { $0 + $1 * $1 })
            if metaGradient { Self.copy(θ, into: &thetas[t]) }
            let loss = try lm.lossAndGradient(parameters: θ, batch: batch, exampleWeights: weights[t], gradient: &gradients[t])
            result.innerLosses.append(loss.loss)
            optimizer.step(parameters: &θ, state: &state, gradient: gradients[t])
            if metaGradient { Self.copy(state, into: &statesAfter[t]) }
        }
        if !metaGradient {
            result.outerLoss = try outerLM.loss(parameters: θ, batch: batches.outer).loss
            return result
        }
        result.outerLoss = try outerLM.lossAndGradient(parameters: θ, batch: batches.outer, gradient: &lambda).loss
        Self.fill(&mBar, n, 0)
        Self.fill(&vBar, n, 0)
        Self.fill(&etaGradient, rater.layout.count, 0)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let batch = batches.inner[t]
            optimizer.vjp(gradient: gradients[t], stateAfter: statesAfter[t], θBar: &lambda, mBar: &mBar, vBar: &vBar, gBar: &gBar)
            // `lm`'s last forward pass was inner step T−1's (the outer pass ran on `outerLM`).
            _ = try lm.hessianVectorProduct(parameters: thetas[t], direction: gBar, batch: batch, exampleWeights: weights[t],
                                            hvp: &hvp, alignments: &alignments, forwardIsCurrent: t == steps - 1)
            for i in 0..<n { lambda[i] += hvp[i] }
            let w = weights[t]
            var mean: T = 0
            for j in 0..<w.count { mean += w[j] * alignments[j] }
            let scoreAdjoint = (0..<w.count).map { j in w[j] * (alignments[j] - mean) }
            result.scoreAdjoints.insert(scoreAdjoint, at: 0)
            try rater.backward(parameters: eta, batch: batch, scoreAdjoint: scoreAdjoint, gradient: &raterGradient)
            for i in 0..<etaGradient.count { etaGradient[i] += raterGradient[i] }
        }
        return result
    }

    /// One plain inner step, without a meta-gradient: w = softmax(φ_η(B)), θ ← Opt(θ, Σ_j w_j ∇ℓ_j(θ)). Returns the
    /// weighted loss. `MetaTrainer` uses it to age its inner models between unrolled steps (`plain_steps`).
    @_specialize(exported: true, where T == Float)
    public func advance(eta: [T], parameters θ: inout [T], state: inout InnerState<T>, batch: TokenBatch) throws(ModelError) -> T {
        let w = Self.softmax(try rater.scores(parameters: eta, batch: batch))
        if plainGradient.count != θ.count { plainGradient = [T](repeating: 0, count: θ.count) }
        let loss = try lm.lossAndGradient(parameters: θ, batch: batch, exampleWeights: w, gradient: &plainGradient)
        optimizer.step(parameters: &θ, state: &state, gradient: plainGradient)
        return loss.loss
    }

    /// Numerically stable softmax over a batch's scores.
    public static func softmax(_ scores: [T]) -> [T] {
        guard let top = scores.max() else { return [] }
        var e = scores.map { T.exp($0 - top) }
        let total = e.reduce(0, +)
        for i in e.indices { e[i] /= total }
        return e
    }

    static func copy(_ source: [T], into destination: inout [T]) {
        if destination.count != source.count {
            destination = source
        } else {
            destination.withUnsafeMutableBufferPointer { d in
                source.withUnsafeBufferPointer { s in d.baseAddress!.update(from: s.baseAddress!, count: s.count) }
            }
        }
    }

    static func copy(_ source: InnerState<T>, into destination: inout InnerState<T>) {
        copy(source.m, into: &destination.m)
        copy(source.v, into: &destination.v)
        destination.step = source.step
    }

    static func fill(_ buffer: inout [T], _ n: Int, _ value: T) {
        if buffer.count != n { buffer = [T](repeating: value, count: n) } else {
            for i in 0..<n { buffer[i] = value }
        }
    }
}
