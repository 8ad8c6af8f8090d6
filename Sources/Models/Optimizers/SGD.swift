/// Hyperparameters of `SGD`; JSON keys are snake_case, missing keys take the defaults.
public struct SGDConfig: Codable, Sendable, Hashable {
    /// α, used when `update` is called without a scheduled learning rate.
    public var learningRate: Double
    /// β; 0 is plain SGD (no momentum buffer is allocated).
    public var momentum: Double
    /// λ of decoupled weight decay: θ ← θ·(1 − αλ) before the gradient step.
    public var weightDecay: Double

    public init(learningRate: Double = 0.01, momentum: Double = 0, weightDecay: Double = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    enum CodingKeys: String, CodingKey {
        case learningRate = "learning_rate"
        case momentum
        case weightDecay = "weight_decay"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = SGDConfig()
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? defaults.learningRate
        momentum = try c.decodeIfPresent(Double.self, forKey: .momentum) ?? defaults.momentum
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? defaults.weightDecay
    }

    /// Throws `invalidConfig` for a negative or non-finite α or λ, or β outside [0, 1).
    public func validate() throws(OptimizerError) {
        guard learningRate.isFinite, learningRate >= 0 else {
            throw OptimizerError(.invalidConfig, "sgd learning_rate is \(learningRate); use a finite value ≥ 0")
        }
        guard momentum.isFinite, momentum >= 0, momentum < 1 else {
            throw OptimizerError(.invalidConfig, "sgd momentum is \(momentum); use a value in [0, 1)")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw OptimizerError(.invalidConfig, "sgd weight_decay is \(weightDecay); use a finite value ≥ 0")
        }
    }
}

/// Stochastic gradient descent with heavy-ball momentum and decoupled weight decay.
///
/// One step: `m' = β·m + g`, `θ' = θ·(1 − αλ) − α·m'` (β = 0: `θ' = θ·(1 − αλ) − α·g`).
/// This is PyTorch's `SGD(momentum=β, dampening=0)` when λ = 0; the decay is decoupled
/// (not added to the gradient), so it does not enter the momentum. The meta-gradient's
/// optimizer VJP in DATARATER.md assumes exactly this form.
public struct SGD<Scalar: BinaryFloatingPoint & Sendable>: Optimizer {
    public static var kind: String { "sgd" }
    /// Name of the momentum buffer in exported states.
    public static var momentumName: String { "momentum" }

    public let config: SGDConfig
    public let count: Int
    public var step: Int { _step }
    /// The momentum buffer `m`; empty when β = 0.
    public var momentum: [Scalar] { _momentum }
    @usableFromInline var _step: Int = 0
    @usableFromInline var _momentum: [Scalar]
    @usableFromInline var mask: WeightDecayMask

    /// Allocates the state for `count` parameters (zero momentum).
    /// - Parameter decayMask: which parameters decay; all of them when nil.
    public init(config: SGDConfig, count: Int, decayMask: WeightDecayMask? = nil) throws(OptimizerError) {
        try config.validate()
        precondition(decayMask == nil || decayMask?.count == count, "decay mask covers another parameter count")
        self.config = config
        self.count = count
        self._momentum = config.momentum > 0 ? [Scalar](repeating: 0, count: count) : []
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
        precondition(parameters.count == count && gradients.count == count, "SGD over \(count) parameters got buffers of \(parameters.count) and \(gradients.count)")
        _step += 1
        guard count > 0, let p = parameters.baseAddress, let g = gradients.baseAddress else { return }
        let alpha = learningRate
        let lambda = Scalar(config.weightDecay)
        let beta = Scalar(config.momentum)
        var start = 0
        for s in mask.ends.indices {
            let end = mask.ends[s]
            let keep: Scalar = mask.decayed[s] ? 1 - alpha * lambda : 1
            if _momentum.isEmpty {
                OptimizerKernels.sgd(parameters: p + start, gradients: g + start, count: end - start, learningRate: alpha, keep: keep)
            } else {
                _momentum.withUnsafeMutableBufferPointer { mb in
                    guard let m = mb.baseAddress else { return }
                    OptimizerKernels.sgdMomentum(parameters: p + start, gradients: g + start, momentum: m + start,
                                                 count: end - start, beta: beta, learningRate: alpha, keep: keep)
                }
            }
            start = end
        }
    }

    public func exportState() -> OptimizerState<Scalar> {
        OptimizerState(kind: Self.kind, step: step, buffers: momentum.isEmpty ? [:] : [Self.momentumName: momentum])
    }

    public mutating func importState(_ state: OptimizerState<Scalar>) throws(OptimizerError) {
        let names = config.momentum > 0 ? [Self.momentumName] : []
        try state.validate(kind: Self.kind, names: names, count: count)
        _step = state.step
        if let m = state.buffers[Self.momentumName] { _momentum = m }
    }
}
