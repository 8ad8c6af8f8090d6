import Foundation
import Testing
@testable import MetaLearning
import Models
import Tensor

@Suite struct MetaTrainerTests {
    static func config(threads: Int) -> MetaTrainingConfig {
        var c = MetaTrainingConfig.defaults(vocabularySize: 13)
        c.rater = LMConfig(vocabSize: 13, dModel: 8, nLayers: 1, nHeads: 2, contextLength: 12)
        c.lm = LMConfig(vocabSize: 13, dModel: 8, nLayers: 1, nHeads: 2, contextLength: 12)
        c.chunking = ChunkingRule(chunkLength: 12, maxChunks: 2)
        c.population = 3
        c.innerBatch = 4
        c.outerBatch = 3
        c.lifetime = 6
        c.steps = 6
        c.metaWarmupSteps = 2
        c.threads = threads
        return c
    }

    static func corpora() -> (TokenCorpus, TokenCorpus) {
        var rng = SplitMix64(seed: 5)
        var inner = TokenCorpus(), outer = TokenCorpus()
        for i in 0..<40 {
            let tokens = (0..<(5 + Int(rng.next() % 30))).map { _ in Int32(rng.next() % 13) }
            if i % 4 == 0 { outer.append(id: "o\(i)", tokens: tokens) } else { inner.append(id: "i\(i)", tokens: tokens) }
        }
        return (inner, outer)
    }

    @Test func resumedFromACheckpointEndsBitIdentical() throws {
        let (inner, outer) = Self.corpora()
        let straight = try MetaTrainer(config: Self.config(threads: 1), innerCorpus: inner, outerCorpus: outer)
        for _ in 0..<6 { _ = try straight.step() }

        let path = NSTemporaryDirectory() + "state-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try MetaTrainer(config: Self.config(threads: 1), innerCorpus: inner, outerCorpus: outer)
        for _ in 0..<3 { _ = try first.step() }
        try TrainingCheckpoint.save(first.state, configHash: "h", to: path)
        let saved = try #require(try TrainingCheckpoint.load(from: path, configHash: "h", population: 3, kind: .momentum))
        let resumed = try MetaTrainer(config: Self.config(threads: 1), innerCorpus: inner, outerCorpus: outer, resumeFrom: saved)
        for _ in 0..<3 { _ = try resumed.step() }

        #expect(resumed.state.step == 6)
        #expect(resumed.state.rater == straight.state.rater)
        #expect(resumed.state.slots.map(\.parameters) == straight.state.slots.map(\.parameters))
        #expect(resumed.state.rater != first.state.rater, "training moved the DataRater")
        // A state written under another configuration is refused, not silently used.
        #expect(throws: (any Error).self) { _ = try TrainingCheckpoint.load(from: path, configHash: "other", population: 3, kind: .momentum) }
    }

    @Test func plainStepsAgeTheInnerModelsAndLeaveTheUnrolledDrawsAlone() throws {
        let (inner, outer) = Self.corpora()
        var config = Self.config(threads: 2)
        config.lifetime = 40
        let without = try MetaTrainer(config: config, innerCorpus: inner, outerCorpus: outer)
        config.plainSteps = 3
        let with = try MetaTrainer(config: config, innerCorpus: inner, outerCorpus: outer)
        let startAges = with.state.slots.map(\.age)
        var a: MetaStepReport? = nil, b: MetaStepReport? = nil
        for _ in 0..<2 { a = try without.step(); b = try with.step() }
        // Each slot takes 3 + 2 inner steps a meta-step (no slot reaches its lifetime of 40 here).
        #expect(with.state.slots.map(\.age) == startAges.map { $0 + 10 })
        #expect(without.state.slots.map(\.age) == startAges.map { $0 + 4 })
        // The plain steps trained the inner models: same unrolled batches, another starting point, so another outer loss.
        #expect(with.state.slots.map(\.parameters) != without.state.slots.map(\.parameters))
        #expect(a!.outerLoss != b!.outerLoss)
        // A configuration without plain_steps encodes without the key, so its hash (and its checkpoints) stay valid.
        let json = String(decoding: try JSONEncoder().encode(Self.config(threads: 1)), as: UTF8.self)
        #expect(!json.contains("plain_steps"))
        #expect(String(decoding: try JSONEncoder().encode(config), as: UTF8.self).contains("\"plain_steps\":3"))
        config.lifetime = 4
        #expect(throws: (any Error).self) { try config.validate() }
    }

    @Test func blownUpInnerModelsAreReported() throws {
        let (inner, outer) = Self.corpora()
        // The default rate trains without a report; an absurd one blows the inner LMs up within a few steps. The step
        // report names them (the stage prints a warning), their meta-gradients are left out of the update, and they
        // start again from a fresh initialisation.
        let healthy = try MetaTrainer(config: Self.config(threads: 1), innerCorpus: inner, outerCorpus: outer)
        for _ in 0..<6 { #expect(try healthy.step().blownUp.isEmpty) }
        var config = Self.config(threads: 1)
        config.innerOptimizer.learningRate = 1e4
        config.lifetime = 40
        config.steps = 20
        let trainer = try MetaTrainer(config: config, innerCorpus: inner, outerCorpus: outer)
        var reported: [(slot: Int, loss: Double)] = []
        for _ in 0..<20 {
            let report = try trainer.step()
            #expect(report.contributingSlots <= 3 - report.blownUp.count)
            for (slot, _) in report.blownUp { #expect(trainer.state.slots[slot].age == 0, "a blown-up inner model is re-initialised") }
            #expect(trainer.state.rater.allSatisfy { $0.isFinite })
            reported += report.blownUp
        }
        #expect(!reported.isEmpty, "an inner learning rate of 1e4 blows up")
        let limit = MetaTrainer.divergenceLimit(vocabularySize: 13)
        #expect(reported.allSatisfy { (0..<3).contains($0.slot) && !($0.loss <= limit) })
        #expect(abs(limit - 10 * log(13.0)) < 1e-12)
    }

    @Test func threadCountDoesNotChangeTheResult() throws {
        let (inner, outer) = Self.corpora()
        let one = try MetaTrainer(config: Self.config(threads: 1), innerCorpus: inner, outerCorpus: outer)
        let two = try MetaTrainer(config: Self.config(threads: 2), innerCorpus: inner, outerCorpus: outer)
        for _ in 0..<4 {
            let a = try one.step(), b = try two.step()
            #expect(a.outerLoss == b.outerLoss)
        }
        #expect(one.state.rater == two.state.rater)
    }

    @Test func staggeredSlotsResetAtDifferentSteps() throws {
        let (inner, outer) = Self.corpora()
        let trainer = try MetaTrainer(config: Self.config(threads: 1), innerCorpus: inner, outerCorpus: outer)
        var resetSteps: [[Int]] = Array(repeating: [], count: 3)
        var last = trainer.state.slots.map(\.resets)
        for s in 0..<6 {
            _ = try trainer.step()
            for i in 0..<3 where trainer.state.slots[i].resets != last[i] { resetSteps[i].append(s) }
            last = trainer.state.slots.map(\.resets)
        }
        #expect(resetSteps.allSatisfy { !$0.isEmpty })
        #expect(Set(resetSteps.map { $0.first! }).count > 1, "slots should not all reset together: \(resetSteps)")
    }
}
