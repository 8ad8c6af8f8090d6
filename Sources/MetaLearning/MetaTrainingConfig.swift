import Models

/// Everything that determines a meta-training run. Stored beside every checkpoint; a run resumes only
/// from a state written under the same configuration.
public struct MetaTrainingConfig: Codable, Sendable, Hashable {
    /// The DataRater (non-causal encoder); its `context_length` must hold a chunk.
    public var rater: LMConfig
    /// The inner LMs; their `context_length` must hold a chunk minus one (the last token is only a target).
    public var lm: LMConfig
    public var chunking: ChunkingRule
    public var splits: SplitRule
    /// P, the number of inner models.
    public var population: Int
    /// T, the inner steps unrolled per meta-step.
    public var unrollSteps: Int
    public var innerBatch: Int
    public var outerBatch: Int
    public var innerOptimizer: InnerOptimizerConfig
    /// Inner steps an inner model lives before it is re-initialised; slot i starts i·lifetime/P steps old.
    public var lifetime: Int
    /// Plain inner steps (DataRater-weighted, no meta-gradient) each inner model takes per meta-step before its
    /// `unroll_steps`; nil or 0: none. They age the inner models cheaply (a plain step costs a fraction of an
    /// unrolled one), so the population reaches later stages of training. Absent from a configuration file, it is
    /// absent from the configuration's hash too, so runs written before it existed resume.
    public var plainSteps: Int?
    public var metaLearningRate: Double
    public var metaMinLearningRate: Double
    public var metaWarmupSteps: Int
    /// Global L2 norm each slot's meta-gradient is clipped to before its Adam.
    public var metaClipNorm: Double
    public var metaWeightDecay: Double
    public var metaBeta1: Double
    public var metaBeta2: Double
    public var metaEpsilon: Double
    /// Meta-steps in all.
    public var steps: Int
    /// Full-state checkpoint every this many meta-steps.
    public var checkpointEvery: Int
    public var seed: UInt64
    /// An Adam-trained slot contributes meta-gradients only once it is this many inner steps old (its VJP
    /// scales like 1/√v̂, huge right after a reset).
    public var adamWarmupInnerSteps: Int
    /// Worker threads for the population (each slot on one thread, BLAS single-threaded).
    public var threads: Int

    enum CodingKeys: String, CodingKey {
        case rater, lm, chunking, splits, population
        case unrollSteps = "unroll_steps"
        case innerBatch = "inner_batch"
        case outerBatch = "outer_batch"
        case innerOptimizer = "inner_optimizer"
        case lifetime
        case plainSteps = "plain_steps"
        case metaLearningRate = "meta_learning_rate"
        case metaMinLearningRate = "meta_min_learning_rate"
        case metaWarmupSteps = "meta_warmup_steps"
        case metaClipNorm = "meta_clip_norm"
        case metaWeightDecay = "meta_weight_decay"
        case metaBeta1 = "meta_beta1"
        case metaBeta2 = "meta_beta2"
        case metaEpsilon = "meta_epsilon"
        case steps
        case checkpointEvery = "checkpoint_every"
        case seed
        case adamWarmupInnerSteps = "adam_warmup_inner_steps"
        case threads
    }

    /// Defaults sized for CPUs: a DataRater of d 64 × 2 layers and inner LMs of d 128 × 2 layers on chunks
    /// of 128 tokens, P = 4, T = 2, batches of 16.
    public static func defaults(vocabularySize: Int) -> MetaTrainingConfig {
        MetaTrainingConfig(
            rater: LMConfig(vocabSize: vocabularySize, dModel: 64, nLayers: 2, nHeads: 4, contextLength: 128),
            lm: LMConfig(vocabSize: vocabularySize, dModel: 128, nLayers: 2, nHeads: 4, contextLength: 128),
            chunking: ChunkingRule(chunkLength: 128, maxChunks: 8), splits: SplitRule(),
            population: 4, unrollSteps: 2, innerBatch: 16, outerBatch: 16,
            innerOptimizer: InnerOptimizerConfig(kind: .momentum, learningRate: 0.1, beta1: 0.9),
            lifetime: 400, metaLearningRate: 3e-3, metaMinLearningRate: 3e-4, metaWarmupSteps: 20,
            metaClipNorm: 1.0, metaWeightDecay: 0, metaBeta1: 0.9, metaBeta2: 0.99, metaEpsilon: 1e-8,
            steps: 300, checkpointEvery: 25, seed: 0, adamWarmupInnerSteps: 10, threads: 2)
    }

    /// Inner steps each inner model takes per meta-step: `plain_steps` + `unroll_steps`.
    public var innerStepsPerMetaStep: Int { (plainSteps ?? 0) + unrollSteps }

    /// Checks the relations between the parts; the message says which setting to change.
    public func validate() throws(ModelError) {
        try rater.validate()
        try lm.validate()
        func fail(_ message: String) -> ModelError { ModelError(.invalidConfig, message) }
        guard rater.vocabSize == lm.vocabSize else { throw fail("rater.vocab_size \(rater.vocabSize) differs from lm.vocab_size \(lm.vocabSize)") }
        guard rater.contextLength >= chunking.chunkLength else {
            throw fail("rater.context_length \(rater.contextLength) is shorter than chunking.chunk_length \(chunking.chunkLength)")
        }
        guard lm.contextLength >= chunking.chunkLength - 1 else {
            throw fail("lm.context_length \(lm.contextLength) must be at least chunking.chunk_length − 1 = \(chunking.chunkLength - 1)")
        }
        guard population >= 1, unrollSteps >= 1, innerBatch >= 2, outerBatch >= 1, steps >= 1,
              checkpointEvery >= 1, threads >= 1, (plainSteps ?? 0) >= 0, lifetime >= innerStepsPerMetaStep
        else { throw fail("population, unroll_steps, outer_batch, steps, checkpoint_every, threads ≥ 1; inner_batch ≥ 2; plain_steps ≥ 0; lifetime ≥ unroll_steps + plain_steps") }
        guard splits.outerFraction > 0, splits.validationFraction >= 0, splits.outerFraction + splits.validationFraction < 1 else {
            throw fail("splits: outer_fraction > 0, validation_fraction ≥ 0, and their sum < 1")
        }
    }
}
