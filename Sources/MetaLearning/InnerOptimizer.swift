import Tensor

/// The inner LMs' optimizer during meta-training, with the vector-Jacobian product of its update so the
/// meta-gradient can flow back through it.
public struct InnerOptimizerConfig: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case sgd, momentum, adam
    }

    public var kind: Kind
    public var learningRate: Double
    /// β of momentum; β1 of Adam.
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// Decoupled weight decay: θ ← θ − α·wd·θ alongside the step.
    public var weightDecay: Double

    enum CodingKeys: String, CodingKey {
        case kind
        case learningRate = "learning_rate"
        case beta1, beta2, epsilon
        case weightDecay = "weight_decay"
    }

    public init(kind: Kind = .momentum, learningRate: Double = 0.05, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.kind = kind
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }
}

/// An inner model's optimizer state: first moment (momentum / Adam m), second moment (Adam v), step count.
public struct InnerState<T: BLASScalar>: Sendable, Equatable {
    public var m: [T]
    public var v: [T]
    public var step: Int

    public init(count: Int, kind: InnerOptimizerConfig.Kind) {
        m = kind == .sgd ? [] : [T](repeating: 0, count: count)
        v = kind == .adam ? [T](repeating: 0, count: count) : []
        step = 0
    }
}

/// The update rules and their VJPs (see DATARATER.md, "Optimizer VJPs"):
/// - SGD       θ' = (1−αλ)θ − αg                           ḡ = −α θ̄',  θ̄ = (1−αλ) θ̄'
/// - momentum  m' = βm + g; θ' = (1−αλ)θ − αm'             u = m̄' − α θ̄';  ḡ = u;  m̄ = βu;  θ̄ = (1−αλ) θ̄'
/// - Adam      m' = β1 m + (1−β1) g; v' = β2 v + (1−β2) g²; m̂ = m'/(1−β1ᶜ), v̂ = v'/(1−β2ᶜ);
///             θ' = (1−αλ)θ − α m̂/(√v̂ + ε)
///             M = m̄' − α θ̄' / ((1−β1ᶜ)(√v̂+ε));  V = v̄' + α θ̄' m̂ / ((√v̂+ε)² · 2√v̂ · (1−β2ᶜ))
///             ḡ = (1−β1) M + 2(1−β2) g V;  m̄ = β1 M;  v̄ = β2 V;  θ̄ = (1−αλ) θ̄'
/// (λ here is the weight decay.) The Adam VJP's `1/√v̂` term is why a freshly reset Adam slot is not
/// used for meta-gradients until its second moment has warmed up.
public struct InnerOptimizer<T: BLASScalar>: Sendable {
    public let config: InnerOptimizerConfig

    public init(config: InnerOptimizerConfig) { self.config = config }

    /// One update in place; `state` becomes the post-update state.
    public func step(parameters θ: inout [T], state: inout InnerState<T>, gradient g: [T]) {
        let α = T(config.learningRate), decay = 1 - T(config.learningRate * config.weightDecay)
        let n = θ.count
        state.step += 1
        switch config.kind {
        case .sgd:
            for i in 0..<n { θ[i] = decay * θ[i] - α * g[i] }
        case .momentum:
            let β = T(config.beta1)
            for i in 0..<n {
                state.m[i] = β * state.m[i] + g[i]
                θ[i] = decay * θ[i] - α * state.m[i]
            }
        case .adam:
            let β1 = T(config.beta1), β2 = T(config.beta2), ε = T(config.epsilon)
            let c1 = 1 - T(Foundation_pow(config.beta1, state.step)), c2 = 1 - T(Foundation_pow(config.beta2, state.step))
            for i in 0..<n {
                state.m[i] = β1 * state.m[i] + (1 - β1) * g[i]
                state.v[i] = β2 * state.v[i] + (1 - β2) * g[i] * g[i]
                let mHat = state.m[i] / c1, vHat = state.v[i] / c2
                θ[i] = decay * θ[i] - α * mHat / (vHat.squareRoot() + ε)
            }
        }
    }

    /// VJP of the step that took (θ, state) to (θ', stateAfter) with gradient `g`.
    ///
    /// On entry `θBar` is θ̄' and `mBar`/`vBar` are the adjoints of the post-update moments; on return they
    /// are θ̄ (the explicit part, through the update only), m̄ and v̄ of the pre-update state, and `gBar` is ḡ.
    public func vjp(gradient g: [T], stateAfter: InnerState<T>, θBar: inout [T], mBar: inout [T], vBar: inout [T], gBar: inout [T]) {
        let α = T(config.learningRate), decay = 1 - T(config.learningRate * config.weightDecay)
        let n = θBar.count
        if gBar.count != n { gBar = [T](repeating: 0, count: n) }
        switch config.kind {
        case .sgd:
            for i in 0..<n {
                gBar[i] = -α * θBar[i]
                θBar[i] *= decay
            }
        case .momentum:
            let β = T(config.beta1)
            for i in 0..<n {
                let u = mBar[i] - α * θBar[i]
                gBar[i] = u
                mBar[i] = β * u
                θBar[i] *= decay
            }
        case .adam:
            let β1 = T(config.beta1), β2 = T(config.beta2), ε = T(config.epsilon)
            let c = stateAfter.step
            let c1 = 1 - T(Foundation_pow(config.beta1, c)), c2 = 1 - T(Foundation_pow(config.beta2, c))
            for i in 0..<n {
                let mHat = stateAfter.m[i] / c1, vHat = stateAfter.v[i] / c2
                let root = vHat.squareRoot(), denominator = root + ε
                let M = mBar[i] - α * θBar[i] / (c1 * denominator)
                let V = root > 0 ? vBar[i] + α * θBar[i] * mHat / (denominator * denominator * 2 * root * c2) : vBar[i]
                gBar[i] = (1 - β1) * M + 2 * (1 - β2) * g[i] * V
                mBar[i] = β1 * M
                vBar[i] = β2 * V
                θBar[i] *= decay
            }
        }
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@inline(__always)
func Foundation_pow(_ x: Double, _ n: Int) -> Double { pow(x, Double(n)) }
