/// Hyperparameters of `AdamW`; JSON keys are snake_case, missing keys take PyTorch's defaults.
public struct AdamWConfig: Codable, Sendable, Hashable {
    /// α, used when `update` is called without a scheduled learning rate.
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// λ of decoupled weight decay: θ ← θ·(1 − αλ) before the Adam step.
    public var weightDecay: Double

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    enum CodingKeys: String, CodingKey {
        case learningRate = "learning_rate"
        case beta1 = "beta1"
        case beta2 = "beta2"
        case epsilon = "epsilon"
        case weightDecay = "weight_decay"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AdamWConfig()
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? d.learningRate
        beta1 = try c.decodeIfPresent(Double.self, forKey: .beta1) ?? d.beta1
        beta2 = try c.decodeIfPresent(Double.self, forKey: .beta2) ?? d.beta2
        epsilon = try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? d.epsilon
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? d.weightDecay
    }

    /// Throws `invalidConfig` for α or λ negative, β₁ or β₂ outside [0, 1), ε ≤ 0, or any non-finite value.
    public func validate() throws(OptimizerError) {
        guard learningRate.isFinite, learningRate >= 0 else {
            throw OptimizerError(.invalidConfig, "adamw learning_rate is \(learningRate); use a finite value ≥ 0")
        }
        for (name, beta) in [("beta1", beta1), ("beta2", beta2)] {
            guard beta.isFinite, beta >= 0, beta < 1 else {
                throw OptimizerError(.invalidConfig, "adamw \(name) is \(beta); use a value in [0, 1)")
            }
        }
        guard epsilon.isFinite, epsilon > 0 else {
            throw OptimizerError(.invalidConfig, "adamw epsilon is \(epsilon); use a finite value > 0 (e.g. 1e-8)")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw OptimizerError(.invalidConfig, "adamw weight_decay is \(weightDecay); use a finite value ≥ 0")
        }
    }
}

/// Adam with bias correction and decoupled weight decay (Loshchilov & Hutter), as PyTorch's `AdamW`.
///
/// Step t (1-based, counted in the state):
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
/// `θ ← θ·(1 − αλ) − α · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)`.
/// The bias corrections are computed in Double once per step; the loop is one pass over four buffers.
public struct AdamW<Scalar: BinaryFloatingPoint & Sendable>: Optimizer {
    public static var kind: String { "adamw" }
    /// Names of the moment buffers in exported states (PyTorch's).
    public static var firstMomentName: String { "exp_avg" }
    public static var secondMomentName: String { "exp_avg_sq" }

    public let config: AdamWConfig
    public let count: Int
    public var step: Int { _step }
    /// First moment `m`.
    public var firstMoment: [Scalar] { _m }
    /// Second moment `v`.
    public var secondMoment: [Scalar] { _v }
    @usableFromInline var _step: Int = 0
    @usableFromInline var _m: [Scalar]
    @usableFromInline var _v: [Scalar]
    @usableFromInline var mask: WeightDecayMask

    /// Allocates zero moments for `count` parameters.
    /// - Parameter decayMask: which parameters decay; all of them when nil.
    public init(config: AdamWConfig, count: Int, decayMask: WeightDecayMask? = nil) throws(OptimizerError) {
        try config.validate()
        precondition(decayMask == nil || decayMask?.count == count, "decay mask covers another parameter count")
        self.config = config
        self.count = count
        self._m = [Scalar](repeating: 0, count: count)
        self._v = [Scalar](repeating: 0, count: count)
        self.mask = decayMask ?? .all(count: count)
    }

    /// One step with the configured learning rate.
    @inlinable
    public mutating func update(parameters: UnsafeMutableBufferPointer<Scalar>, gradients: UnsafeBufferPointer<Scalar>) {
        update(parameters: parameters, gradients: gradients, learningRate: Scalar(config.learningRate))
    }

    /// One step on arrays with the configured learning rate.
    @inlinable
    public mutating func update(parameters: inout [Scalar], gradients: [Scalar]) {
        update(parameters: &parameters, gradients: gradients, learningRate: Scalar(config.learningRate))
    }

    @inlinable
    public mutating func update(
        parameters: UnsafeMutableBufferPointer<Scalar>,
        gradients: UnsafeBufferPointer<Scalar>,
        learningRate: Scalar
    ) {
        precondition(parameters.count == count && gradients.count == count, "AdamW over \(count) parameters got buffers of \(parameters.count) and \(gradients.count)")
        _step += 1
        guard count > 0, let p = parameters.baseAddress, let g = gradients.baseAddress else { return }
        let t = Double(_step)
        let b1 = Scalar(config.beta1), b2 = Scalar(config.beta2)
        let eps = Scalar(config.epsilon)
        // θ −= stepSize · m / (√v · invRoot + ε) with stepSize = α/(1−β₁ᵗ), invRoot = 1/√(1−β₂ᵗ):
        // PyTorch divides √v by √(1−β₂ᵗ) instead; the two differ by rounding only (golden test: < 1e-12).
        let stepSize = learningRate / Scalar(1 - optimizerIntegerPower(config.beta1, t))
        let invRoot = Scalar(1 / (1 - optimizerIntegerPower(config.beta2, t)).squareRoot())
        let decay = learningRate * Scalar(config.weightDecay)
        let mask = self.mask
        _m.withUnsafeMutableBufferPointer { mb in
            _v.withUnsafeMutableBufferPointer { vb in
                guard let m = mb.baseAddress, let v = vb.baseAddress else { return }
                var start = 0
                for s in mask.ends.indices {
                    let end = mask.ends[s]
                    let keep: Scalar = mask.decayed[s] ? 1 - decay : 1
                    if Scalar.self == Float.self {
                        // Folded away by specialisation; the Float kernel is vectorised by hand.
                        func f(_ x: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Float> {
                            UnsafeMutableRawPointer(x).assumingMemoryBound(to: Float.self)
                        }
                        OptimizerKernels.adamWFloat(
                            parameters: f(p + start), gradients: UnsafeRawPointer(g + start).assumingMemoryBound(to: Float.self),
                            firstMoment: f(m + start), secondMoment: f(v + start), count: end - start,
                            beta1: Float(b1), beta2: Float(b2), stepSize: Float(stepSize), invRoot: Float(invRoot),
                            epsilon: Float(eps), keep: Float(keep))
                    } else {
                        OptimizerKernels.adamW(
                            parameters: p + start, gradients: g + start, firstMoment: m + start, secondMoment: v + start,
                            count: end - start, beta1: b1, beta2: b2, stepSize: stepSize, invRoot: invRoot, epsilon: eps,
                            keep: keep)
                    }
                    start = end
                }
            }
        }
    }

    public func exportState() -> OptimizerState<Scalar> {
        OptimizerState(kind: Self.kind, step: step, buffers: [Self.firstMomentName: _m, Self.secondMomentName: _v])
    }

    public mutating func importState(_ state: OptimizerState<Scalar>) throws(OptimizerError) {
        try state.validate(kind: Self.kind, names: [Self.firstMomentName, Self.secondMomentName], count: count)
        guard let m = state.buffers[Self.firstMomentName], let v = state.buffers[Self.secondMomentName] else { return }
        _step = state.step
        _m = m
        _v = v
    }
}

/// `base^exponent` for a non-negative integral exponent, without Foundation.
@usableFromInline
func optimizerIntegerPower(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0, b = base, e = Int(exponent)
    while e > 0 {
        if e & 1 == 1 { result *= b }
        b *= b
        e >>= 1
    }
    return result
}
