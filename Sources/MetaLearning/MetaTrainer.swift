import Dispatch
import Models
import Tensor

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One inner model of the population.
public struct PopulationSlot: Sendable {
    public var parameters: [Float]
    public var state: InnerState<Float>
    /// Inner steps since its last (re-)initialisation.
    public var age: Int
    public var resets: Int
}

/// The full state of meta-training: enough to continue exactly where it stopped.
public struct MetaTrainingState: Sendable {
    public var step: Int
    /// The DataRater's parameters η.
    public var rater: [Float]
    /// Per-slot Adam moments of the meta-gradient, and how many updates each has taken.
    public var metaFirstMoments: [[Float]]
    public var metaSecondMoments: [[Float]]
    public var metaMomentSteps: [Int]
    public var slots: [PopulationSlot]
}

/// What one meta-step did, for progress lines and the training log.
public struct MetaStepReport: Sendable {
    public var step: Int
    public var outerLoss: Double
    public var innerLoss: Double
    /// Mean effective sample size 1/Σw² over the slots' inner steps, out of `innerBatch`.
    public var effectiveSampleSize: Double
    /// Standard deviation of the scores within a batch, averaged.
    public var scoreSpread: Double
    public var metaGradientNorm: Double
    public var learningRate: Double
    public var contributingSlots: Int
    /// Inner models whose loss this step was non-finite or above `MetaTrainer.divergenceLimit`, with that loss. They
    /// did not contribute to this step's update (`contributingSlots` excludes them) and start a new life next step.
    public var blownUp: [(slot: Int, loss: Double)] = []
}

/// Meta-trains a DataRater (DATARATER.md): a population of P inner LMs, each taking T inner steps per
/// meta-step on batches weighted by softmax(DataRater scores); the exact meta-gradient of each slot's outer
/// loss goes through that slot's own Adam moments, the resulting updates are averaged, and η takes one step
/// with warm-up, a cosine schedule and decoupled weight decay.
///
/// Determinism: every random draw of meta-step s for slot i comes from a generator seeded by (seed, s, i),
/// and slots are combined in index order, so a run resumed from a checkpoint ends bit-identical to an
/// uninterrupted one, whatever the thread count.
public final class MetaTrainer: @unchecked Sendable {
    public let config: MetaTrainingConfig
    public let innerCorpus: TokenCorpus
    public let outerCorpus: TokenCorpus
    public private(set) var state: MetaTrainingState
    private let engines: [MetaGradientEngine<Float>]
    private let raterLayout: ParameterLayout
    private let lmTemplate: CausalLM<Float>
    private var slotGradients: [[Float]]
    // Per-step scratch written by the worker threads under the lock.
    private var results: [MetaStepResult<Float>?] = []
    private var contributes: [Bool] = []
    private var worstLosses: [Double] = []
    private var failure: (any Error)?

    public init(config: MetaTrainingConfig, innerCorpus: TokenCorpus, outerCorpus: TokenCorpus,
                resumeFrom saved: MetaTrainingState? = nil) throws(ModelError) {
        try config.validate()
        guard innerCorpus.count > 0, outerCorpus.count > 0 else {
            throw ModelError(.invalidConfig, "meta-training needs documents in both the inner-training split (\(innerCorpus.count)) and the outer split (\(outerCorpus.count)); use a larger corpus or larger splits.outer_fraction")
        }
        self.config = config
        self.innerCorpus = innerCorpus
        self.outerCorpus = outerCorpus
        let optimizer = InnerOptimizer<Float>(config: config.innerOptimizer)
        var engines: [MetaGradientEngine<Float>] = []
        for _ in 0..<config.population {
            engines.append(try MetaGradientEngine(lm: try CausalLM<Float>(config: config.lm),
                                              rater: try DataRaterEncoder<Float>(config: config.rater), optimizer: optimizer))
        }
        self.engines = engines
        lmTemplate = engines[0].lm
        raterLayout = engines[0].rater.layout
        slotGradients = Array(repeating: [Float](repeating: 0, count: raterLayout.count), count: config.population)
        if let saved {
            state = saved
        } else {
            var rater: [Float] = []
            engines[0].rater.initialize(parameters: &rater, seed: Self.mix(config.seed, 0xDA7A, 0))
            var slots: [PopulationSlot] = []
            for i in 0..<config.population {
                var slot = PopulationSlot(parameters: [], state: InnerState(count: 0, kind: config.innerOptimizer.kind), age: 0, resets: 0)
                Self.reinitialize(&slot, lm: engines[i].lm, config: config, seed: Self.mix(config.seed, 0x5107, UInt64(i)))
                // Staggered lifetimes: slot i's first life is cut to L − i·L/P inner steps, so the slots reset at
                // different times and the population covers every stage of an LM's training.
                slot.age = i * config.lifetime / config.population
                slots.append(slot)
            }
            state = MetaTrainingState(
                step: 0, rater: rater,
                metaFirstMoments: Array(repeating: [Float](repeating: 0, count: rater.count), count: config.population),
                metaSecondMoments: Array(repeating: [Float](repeating: 0, count: rater.count), count: config.population),
                metaMomentSteps: Array(repeating: 0, count: config.population), slots: slots)
        }
    }

    public var raterParameterLayout: ParameterLayout { raterLayout }
    public var lmParameterLayout: ParameterLayout { lmTemplate.layout }

    static func reinitialize(_ slot: inout PopulationSlot, lm: CausalLM<Float>, config: MetaTrainingConfig, seed: UInt64) {
        lm.initialize(parameters: &slot.parameters, seed: seed)
        slot.state = InnerState(count: slot.parameters.count, kind: config.innerOptimizer.kind)
        slot.age = 0
        slot.resets += 1
    }

    /// SplitMix64-style mix of three words into a seed.
    public static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var rng = SplitMix64(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F))
        _ = rng.next()
        return rng.next()
    }

    /// The meta learning rate at `step`: linear warm-up, then cosine decay to the minimum.
    public func learningRate(at step: Int) -> Double {
        let c = config
        if step < c.metaWarmupSteps { return c.metaLearningRate * Double(step + 1) / Double(c.metaWarmupSteps) }
        let progress = Double(step - c.metaWarmupSteps) / Double(max(1, c.steps - c.metaWarmupSteps))
        return c.metaMinLearningRate + 0.5 * (c.metaLearningRate - c.metaMinLearningRate) * (1 + cos(Double.pi * min(1, progress)))
    }

    /// The loss above which an inner model has blown up: ten times a uniform prediction's `ln V` (a fresh LM starts at
    /// about `ln V`). `step()` leaves such a model's meta-gradient out of the update, re-initialises it, and reports it
    /// (`MetaStepReport.blownUp`); the stage warns. Blow-ups that repeat say to lower the inner rate.
    public static func divergenceLimit(vocabularySize: Int) -> Double { 10 * log(Double(max(2, vocabularySize))) }

    /// One meta-step over the whole population.
    public func step() throws -> MetaStepReport {
        let config = self.config
        let step = state.step
        let rater = state.rater
        results = [MetaStepResult<Float>?](repeating: nil, count: config.population)
        contributes = [Bool](repeating: false, count: config.population)
        worstLosses = [Double](repeating: 0, count: config.population)
        failure = nil
        let box = UnsafeSendableBox(self)
        let lock = NSLockLike()
        let perThread = (config.population + config.threads - 1) / config.threads
        let limit = Self.divergenceLimit(vocabularySize: config.lm.vocabSize)
        DispatchQueue.concurrentPerform(iterations: min(config.threads, config.population)) { worker in
            let trainer = box.value
            for i in (worker * perThread)..<min(config.population, (worker + 1) * perThread) {
                do {
                    var slot = trainer.state.slots[i]
                    if slot.age + config.innerStepsPerMetaStep > config.lifetime {
                        Self.reinitialize(&slot, lm: trainer.engines[i].lm, config: config, seed: Self.mix(config.seed, UInt64(step), UInt64(i) | 1 << 32))
                    }
                    // Plain steps first, from their own generator, so the unrolled steps' batches are the same
                    // draws whatever `plain_steps` is.
                    var plainRNG = SplitMix64(seed: Self.mix(config.seed, UInt64(step), UInt64(i) | 3 << 32))
                    var plainWorst = 0.0
                    for _ in 0..<(config.plainSteps ?? 0) {
                        let batch = try trainer.innerCorpus.sampleBatch(rows: config.innerBatch, rule: config.chunking, rng: &plainRNG)
                        let loss = Double(try trainer.engines[i].advance(eta: rater, parameters: &slot.parameters, state: &slot.state, batch: batch))
                        plainWorst = loss.isFinite ? max(plainWorst, loss) : .infinity
                    }
                    var rng = SplitMix64(seed: Self.mix(config.seed, UInt64(step), UInt64(i)))
                    var inner: [TokenBatch] = []
                    for _ in 0..<config.unrollSteps {
                        inner.append(try trainer.innerCorpus.sampleBatch(rows: config.innerBatch, rule: config.chunking, rng: &rng))
                    }
                    let outer = try trainer.outerCorpus.sampleBatch(rows: config.outerBatch, rule: config.chunking, rng: &rng)
                    let useful = config.innerOptimizer.kind != .adam || slot.age >= config.adamWarmupInnerSteps
                    var gradient = trainer.slotGradients[i]
                    let result = try trainer.engines[i].step(eta: rater, parameters: &slot.parameters, state: &slot.state,
                                                             batches: MetaStepBatches(inner: inner, outer: outer),
                                                             etaGradient: &gradient, metaGradient: useful)
                    slot.age += config.innerStepsPerMetaStep
                    let finite = result.outerLoss.isFinite && gradient.allSatisfy(\.isFinite)
                    // Divergence guard: a blown-up inner model's meta-gradient is that of a trajectory no LM should
                    // follow, so it is left out of this step, and the model starts a new life from a fresh
                    // initialisation next step (seeded by step and slot, so resuming stays exact).
                    let worst = max(plainWorst, Self.worstLoss(result))
                    let diverged = worst > limit
                    if diverged {
                        Self.reinitialize(&slot, lm: trainer.engines[i].lm, config: config, seed: Self.mix(config.seed, UInt64(step), UInt64(i) | 2 << 32))
                    }
                    lock.locked {
                        trainer.state.slots[i] = slot
                        trainer.slotGradients[i] = gradient
                        trainer.results[i] = result
                        trainer.contributes[i] = useful && finite && !diverged
                        trainer.worstLosses[i] = worst
                    }
                } catch {
                    lock.locked { trainer.failure = error }
                }
            }
        }
        if let failure { throw failure }

        // Combine: each slot's clipped meta-gradient through its own Adam, updates averaged.
        let lr = learningRate(at: step)
        let n = rater.count
        var update = [Float](repeating: 0, count: n)
        var contributing = 0
        var norms = 0.0
        let β1 = Float(config.metaBeta1), β2 = Float(config.metaBeta2), ε = Float(config.metaEpsilon)
        for i in 0..<config.population where contributes[i] {
            contributing += 1
            var g = slotGradients[i]
            let norm = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            norms += norm
            if norm > config.metaClipNorm {
                let scale = Float(config.metaClipNorm / norm)
                for k in 0..<n { g[k] *= scale }
            }
            state.metaMomentSteps[i] += 1
            let t = state.metaMomentSteps[i]
            let c1 = 1 - Float(pow(config.metaBeta1, Double(t))), c2 = 1 - Float(pow(config.metaBeta2, Double(t)))
            for k in 0..<n {
                state.metaFirstMoments[i][k] = β1 * state.metaFirstMoments[i][k] + (1 - β1) * g[k]
                state.metaSecondMoments[i][k] = β2 * state.metaSecondMoments[i][k] + (1 - β2) * g[k] * g[k]
                update[k] += (state.metaFirstMoments[i][k] / c1) / ((state.metaSecondMoments[i][k] / c2).squareRoot() + ε)
            }
        }
        if contributing > 0 {
            let scale = Float(lr) / Float(contributing), decay = 1 - Float(lr * config.metaWeightDecay)
            for k in 0..<n { state.rater[k] = decay * state.rater[k] - scale * update[k] }
        }
        state.step += 1

        let blownUp = worstLosses.enumerated().compactMap { i, worst in worst > limit ? (slot: i, loss: worst) : nil }
        let finished = results.compactMap { $0 }
        let outer = finished.map { Double($0.outerLoss) }.reduce(0, +) / Double(max(1, finished.count))
        let inner = finished.flatMap { $0.innerLosses.map(Double.init) }
        let ess = finished.flatMap { $0.effectiveSampleSizes.map(Double.init) }
        let spreads = finished.flatMap { $0.scores.map(Self.standardDeviation) }
        return MetaStepReport(
            step: step, outerLoss: outer, innerLoss: inner.reduce(0, +) / Double(max(1, inner.count)),
            effectiveSampleSize: ess.reduce(0, +) / Double(max(1, ess.count)),
            scoreSpread: spreads.reduce(0, +) / Double(max(1, spreads.count)),
            metaGradientNorm: norms / Double(max(1, contributing)), learningRate: lr, contributingSlots: contributing,
            blownUp: blownUp)
    }

    /// The worst of a slot's inner and outer losses this step; +∞ if any is not finite.
    static func worstLoss(_ result: MetaStepResult<Float>) -> Double {
        let losses = (result.innerLosses + [result.outerLoss]).map(Double.init)
        return losses.contains(where: { !$0.isFinite }) ? .infinity : losses.max() ?? 0
    }

    static func standardDeviation(_ x: [Float]) -> Double {
        guard x.count > 1 else { return 0 }
        let mean = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        return (x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(x.count)).squareRoot()
    }
}

/// Hands a non-Sendable reference to `concurrentPerform`; each worker touches only its own slots, and
/// shared writes go through `NSLockLike`.
struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A pthread mutex (Foundation-free, so this module stays light).
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
