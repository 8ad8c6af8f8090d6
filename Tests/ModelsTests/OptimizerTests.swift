import Foundation
import Testing
import Tensor
@testable import Models

/// Relative-or-absolute closeness for hand-computed values.
private func close(_ a: Double, _ b: Double, tolerance: Double = 1e-12) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

private func allClose<T: BinaryFloatingPoint>(_ a: [T], _ b: [Double], tolerance: Double) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { close(Double($0), $1, tolerance: tolerance) }
}

/// A deterministic pseudo-random sequence in [-1, 1) (SplitMix64), so tests need no global RNG.
private func pseudoRandom(count: Int, seed: UInt64) -> [Double] {
    var state = seed
    return (0..<count).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 52) - 1
    }
}

/// The code of the `OptimizerError` that `body` throws, nil when it does not throw.
private func optimizerErrorCode(_ body: () throws -> Void) -> OptimizerError.Code? {
    do { try body(); return nil } catch { return (error as? OptimizerError)?.code }
}

@Suite struct SGDTests {
    @Test func plainStepMatchesHandComputation() throws {
        var sgd = try SGD<Double>(config: SGDConfig(learningRate: 0.1), count: 2)
        var theta = [1.0, -2.0]
        sgd.update(parameters: &theta, gradients: [0.5, 0.25], learningRate: 0.1)
        #expect(allClose(theta, [0.95, -2.025], tolerance: 1e-15))
        #expect(sgd.step == 1)
        #expect(sgd.momentum.isEmpty)
        #expect(sgd.exportState().buffers.isEmpty)
    }

    @Test func momentumAccumulatesAsHeavyBall() throws {
        // m1 = 1, θ1 = −0.1; m2 = 0.9·1 + 2 = 2.9, θ2 = −0.1 − 0.29 = −0.39.
        var sgd = try SGD<Float>(config: SGDConfig(learningRate: 0.1, momentum: 0.9), count: 1)
        var theta: [Float] = [0]
        sgd.update(parameters: &theta, gradients: [1], learningRate: 0.1)
        #expect(allClose(theta, [-0.1], tolerance: 1e-6))
        sgd.update(parameters: &theta, gradients: [2], learningRate: 0.1)
        #expect(allClose(theta, [-0.39], tolerance: 1e-6))
        #expect(allClose(sgd.momentum, [2.9], tolerance: 1e-6))
    }

    @Test func weightDecayIsDecoupledAndMasked() throws {
        // θ' = θ(1 − αλ) − αg with α = 0.1, λ = 0.5: 2 → 1.9 where decayed, 2 → 2 where not.
        let mask = WeightDecayMask(count: 3, decayed: [0..<1, 2..<3])
        var sgd = try SGD<Double>(config: SGDConfig(learningRate: 0.1, momentum: 0.5, weightDecay: 0.5), count: 3, decayMask: mask)
        var theta = [2.0, 2.0, 2.0]
        sgd.update(parameters: &theta, gradients: [0, 0, 1])
        #expect(allClose(theta, [1.9, 2.0, 1.8], tolerance: 1e-15))
        // The decay never enters the momentum buffer.
        #expect(sgd.momentum == [0, 0, 1])
    }

    @Test func invalidConfigsAreRejected() {
        #expect(throws: OptimizerError.self) { try SGD<Float>(config: SGDConfig(learningRate: -1), count: 1) }
        #expect(throws: OptimizerError.self) { try SGD<Float>(config: SGDConfig(momentum: 1), count: 1) }
        #expect(throws: OptimizerError.self) { try SGD<Float>(config: SGDConfig(weightDecay: .nan), count: 1) }
    }

    @Test func configUsesSnakeCaseAndDefaults() throws {
        let config = try JSONDecoder().decode(SGDConfig.self, from: Data(#"{"learning_rate": 0.5, "weight_decay": 0.1}"#.utf8))
        #expect(config == SGDConfig(learningRate: 0.5, momentum: 0, weightDecay: 0.1))
        let json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(json.contains("\"learning_rate\"") && json.contains("\"weight_decay\""))
    }
}

@Suite struct AdamWTests {
    /// AdamW written as PyTorch's `_single_tensor_adamw` does it, in Double.
    static func reference(theta: [Double], gradients: [[Double]], lr: Double, b1: Double, b2: Double, eps: Double, wd: Double) -> [Double] {
        var p = theta
        var m = [Double](repeating: 0, count: p.count)
        var v = m
        for (t, g) in gradients.enumerated() {
            let step = Double(t + 1)
            let bc1 = 1 - pow(b1, step)
            let bc2 = 1 - pow(b2, step)
            for i in p.indices {
                p[i] *= 1 - lr * wd
                m[i] = m[i] * b1 + g[i] * (1 - b1)
                v[i] = v[i] * b2 + g[i] * g[i] * (1 - b2)
                let denom = (v[i].squareRoot() / bc2.squareRoot()) + eps
                p[i] -= (lr / bc1) * m[i] / denom
            }
        }
        return p
    }

    @Test func firstStepIsSignedLearningRate() throws {
        // Step 1: m̂ = g, v̂ = g², so θ1 = θ0(1 − αλ) − α·g/(|g| + ε).
        let config = AdamWConfig(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1)
        var adam = try AdamW<Double>(config: config, count: 3)
        var theta = [1.0, -1.0, 0.5]
        let g = [0.3, -2.0, 0.0]
        adam.update(parameters: &theta, gradients: g)
        let expected = zip([1.0, -1.0, 0.5], g).map { $0 * (1 - 0.001) - 0.01 * $1 / (abs($1) + 1e-8) }
        #expect(allClose(theta, expected, tolerance: 1e-13))
        #expect(adam.step == 1)
    }

    @Test(arguments: [0.0, 0.05])
    func threeStepsMatchReferenceFormula(weightDecay: Double) throws {
        let config = AdamWConfig(learningRate: 3e-3, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: weightDecay)
        let n = 37
        let theta0 = pseudoRandom(count: n, seed: 1)
        let gradients = (0..<3).map { pseudoRandom(count: n, seed: 10 + UInt64($0)) }
        let expected = Self.reference(theta: theta0, gradients: gradients, lr: 3e-3, b1: 0.8, b2: 0.95, eps: 1e-6, wd: weightDecay)

        var adam64 = try AdamW<Double>(config: config, count: n)
        var theta64 = theta0
        for g in gradients { adam64.update(parameters: &theta64, gradients: g) }
        #expect(allClose(theta64, expected, tolerance: 1e-13))

        var adam32 = try AdamW<Float>(config: config, count: n)
        var theta32 = theta0.map(Float.init)
        for g in gradients { adam32.update(parameters: &theta32, gradients: g.map(Float.init)) }
        #expect(allClose(theta32, expected, tolerance: 1e-6))
        #expect(adam32.step == 3)
    }

    @Test func vectorisedFloatPathMatchesScalarPathBitwise() throws {
        // 37 elements: four 8-lane blocks then a 5-element scalar tail; one element at a time is
        // all scalar. Both must give identical bits, and a mask boundary inside a block too.
        let config = AdamWConfig(learningRate: 1e-2, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.1)
        let n = 37
        let mask = WeightDecayMask(count: n, decayed: [3..<21])
        let theta0 = pseudoRandom(count: n, seed: 21).map(Float.init)
        let gradients = (0..<3).map { pseudoRandom(count: n, seed: 30 + UInt64($0)).map(Float.init) }
        var whole = try AdamW<Float>(config: config, count: n, decayMask: mask)
        var theta = theta0
        for g in gradients { whole.update(parameters: &theta, gradients: g) }
        for i in 0..<n {
            let decayed = (3..<21).contains(i)
            var single = try AdamW<Float>(config: config, count: 1, decayMask: WeightDecayMask(count: 1, decayed: decayed ? [0..<1] : []))
            var x = [theta0[i]]
            for g in gradients { single.update(parameters: &x, gradients: [g[i]]) }
            #expect(x[0].bitPattern == theta[i].bitPattern, "element \(i)")
            #expect(single.secondMoment[0].bitPattern == whole.secondMoment[i].bitPattern)
        }
    }

    @Test func maskLimitsDecayToMatrices() throws {
        var layout = ParameterLayout()
        layout.add("w", shape: [2, 2])
        layout.add("b", shape: [2])
        layout.add("w2", shape: [2, 1])
        let mask = WeightDecayMask(layout: layout) { $0.shape.count == 2 }
        #expect(mask.decayedRanges == [0..<4, 6..<8])
        // Zero gradients: only decay moves parameters (the Adam term is 0/(0+ε) = 0).
        var adam = try AdamW<Double>(config: AdamWConfig(learningRate: 0.1, weightDecay: 0.5), count: 8, decayMask: mask)
        var theta = [Double](repeating: 1, count: 8)
        adam.update(parameters: &theta, gradients: [Double](repeating: 0, count: 8))
        #expect(theta == [0.95, 0.95, 0.95, 0.95, 1, 1, 0.95, 0.95])
    }

    @Test func maskMergesOverlapsAndAdjacentRanges() {
        let mask = WeightDecayMask(count: 10, decayed: [5..<7, 0..<2, 1..<3, 7..<8])
        #expect(mask.decayedRanges == [0..<3, 5..<8])
        #expect(mask.count == 10)
        #expect(WeightDecayMask(count: 4, decayed: []).decayedRanges.isEmpty)
    }

    @Test func invalidConfigsAreRejected() {
        #expect(throws: OptimizerError.self) { try AdamW<Float>(config: AdamWConfig(beta2: 1), count: 1) }
        #expect(throws: OptimizerError.self) { try AdamW<Float>(config: AdamWConfig(epsilon: 0), count: 1) }
        #expect(throws: OptimizerError.self) { try AdamW<Float>(config: AdamWConfig(learningRate: .infinity), count: 1) }
    }

    @Test func configDecodesWithDefaults() throws {
        let config = try JSONDecoder().decode(AdamWConfig.self, from: Data(#"{"learning_rate": 0.002, "beta2": 0.95}"#.utf8))
        #expect(config == AdamWConfig(learningRate: 0.002, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.01))
    }
}

@Suite struct OptimizerStateTests {
    /// Runs `steps` updates with deterministic gradients derived from the step index.
    static func run<O: Optimizer>(_ optimizer: inout O, _ theta: inout [O.Scalar], steps: Range<Int>) {
        for s in steps {
            let g = pseudoRandom(count: theta.count, seed: 100 + UInt64(s)).map { O.Scalar($0) }
            optimizer.update(parameters: &theta, gradients: g, learningRate: O.Scalar(0.01))
        }
    }

    @Test func adamWRestoreContinuesIdentically() throws {
        let config = AdamWConfig(learningRate: 0.01, weightDecay: 0.1)
        var original = try AdamW<Float>(config: config, count: 16)
        var theta = pseudoRandom(count: 16, seed: 7).map(Float.init)
        Self.run(&original, &theta, steps: 0..<2)
        let saved = original.exportState()
        let savedTheta = theta
        Self.run(&original, &theta, steps: 2..<5)

        var restored = try AdamW<Float>(config: config, count: 16)
        try restored.importState(saved)
        #expect(restored.step == 2)
        var theta2 = savedTheta
        Self.run(&restored, &theta2, steps: 2..<5)
        #expect(theta2 == theta)
        #expect(restored.exportState() == original.exportState())
    }

    @Test func sgdRestoreContinuesIdentically() throws {
        let config = SGDConfig(learningRate: 0.01, momentum: 0.9)
        var original = try SGD<Double>(config: config, count: 5)
        var theta = pseudoRandom(count: 5, seed: 3)
        Self.run(&original, &theta, steps: 0..<3)
        let saved = original.exportState()
        let savedTheta = theta
        Self.run(&original, &theta, steps: 3..<6)

        var restored = try SGD<Double>(config: config, count: 5)
        try restored.importState(saved)
        var theta2 = savedTheta
        Self.run(&restored, &theta2, steps: 3..<6)
        #expect(theta2 == theta)
    }

    @Test func mismatchedStatesAreRejectedWithoutChange() throws {
        var adam = try AdamW<Float>(config: AdamWConfig(), count: 4)
        let sgdState = try SGD<Float>(config: SGDConfig(momentum: 0.9), count: 4).exportState()
        #expect(optimizerErrorCode { try adam.importState(sgdState) } == .stateKindMismatch)

        var state = adam.exportState()
        state.buffers["exp_avg"] = [1, 2, 3]
        #expect(optimizerErrorCode { try adam.importState(state) } == .stateSizeMismatch)

        state = adam.exportState()
        state.buffers["exp_avg_sq"] = nil
        #expect(optimizerErrorCode { try adam.importState(state) } == .stateMissingBuffer)

        state = adam.exportState()
        state.buffers["extra"] = [0, 0, 0, 0]
        #expect(optimizerErrorCode { try adam.importState(state) } == .stateUnusedBuffer)

        state = adam.exportState()
        state.step = -1
        #expect(optimizerErrorCode { try adam.importState(state) } == .stateInvalidStep)
        #expect(adam.step == 0)
    }
}

@Suite struct GradientClippingTests {
    @Test func clipsToMaxNormAndReturnsNormBefore() {
        var g: [Float] = [3, 4]
        let norm = GradientClipping.clipGlobalNorm(&g, maxNorm: 1)
        #expect(norm == 5)
        let scale = 1 / (5 + 1e-6)
        #expect(allClose(g, [3 * scale, 4 * scale], tolerance: 1e-6))
        #expect(close(g.withUnsafeBufferPointer { GradientClipping.globalNorm($0) }, 1, tolerance: 1e-6))
    }

    @Test func leavesSmallGradientsAlone() {
        var g: [Double] = [1, -2, 2, 0, 0, 0, 0]  // norm 3, with a tail past the unrolled loop
        #expect(GradientClipping.clipGlobalNorm(&g, maxNorm: 3) == 3)
        #expect(g == [1, -2, 2, 0, 0, 0, 0])
    }

    @Test func globalNormMatchesDirectSum() {
        let values = pseudoRandom(count: 1001, seed: 5)
        let direct = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let norm = values.withUnsafeBufferPointer { GradientClipping.globalNorm($0) }
        #expect(close(norm, direct, tolerance: 1e-13))
    }

    @Test func nonFiniteNormLeavesGradientsUntouched() {
        var g: [Float] = [1, .nan, 2]
        let norm = GradientClipping.clipGlobalNorm(&g, maxNorm: 1)
        #expect(norm.isNaN)
        #expect(g[0] == 1 && g[2] == 2)
        var h: [Float] = [.infinity, 1]
        #expect(GradientClipping.clipGlobalNorm(&h, maxNorm: 1) == .infinity)
        #expect(h[1] == 1)
    }
}

@Suite struct CosineScheduleTests {
    @Test func endpointsAndMidpoint() throws {
        let schedule = CosineSchedule(learningRate: 1, minLearningRate: 0.1, warmupSteps: 10, totalSteps: 110)
        try schedule.validate()
        #expect(close(schedule.learningRate(at: 0), 0.1))
        #expect(close(schedule.learningRate(at: 4), 0.5))
        #expect(close(schedule.learningRate(at: 9), 1))
        #expect(close(schedule.learningRate(at: 10), 1))
        #expect(close(schedule.learningRate(at: 60), 0.55))  // half-way: min + (peak − min)/2
        #expect(close(schedule.learningRate(at: 110), 0.1))
        #expect(close(schedule.learningRate(at: 10_000), 0.1))
        #expect(close(schedule.learningRate(at: -3), 0.1))
        // Monotone non-increasing after warm-up.
        let decay = (10...110).map(schedule.learningRate(at:))
        #expect(zip(decay, decay.dropFirst()).allSatisfy { $0 >= $1 })
    }

    @Test func noWarmupStartsAtPeak() {
        let schedule = CosineSchedule(learningRate: 2e-3, warmupSteps: 0, totalSteps: 4)
        #expect(close(schedule.learningRate(at: 0), 2e-3))
        #expect(close(schedule.learningRate(at: 2), 1e-3))
        #expect(schedule.learningRate(at: 4) == 0)
    }

    @Test func invalidSchedulesAreRejected() {
        #expect(throws: OptimizerError.self) { try CosineSchedule(learningRate: 1, minLearningRate: 2, totalSteps: 10).validate() }
        #expect(throws: OptimizerError.self) { try CosineSchedule(learningRate: 1, warmupSteps: 20, totalSteps: 10).validate() }
    }

    @Test func jsonKeysAreSnakeCase() throws {
        let json = #"{"learning_rate": 0.001, "min_learning_rate": 0.0001, "warmup_steps": 100, "total_steps": 1000}"#
        let schedule = try JSONDecoder().decode(CosineSchedule.self, from: Data(json.utf8))
        #expect(schedule == CosineSchedule(learningRate: 0.001, minLearningRate: 0.0001, warmupSteps: 100, totalSteps: 1000))
    }
}

/// Cross-checks against PyTorch on the Float64 golden files that ship in `scripts/bench/golden`
/// (made by `python3 scripts/bench/lm_reference.py --golden scripts/bench/golden`).
@Suite struct PyTorchGoldenTests {
    struct LMConfig: Codable {
        var vocabSize, dModel, nLayers, nHeads, contextLength: Int
        enum CodingKeys: String, CodingKey {
            case vocabSize = "vocab_size", dModel = "d_model", nLayers = "n_layers", nHeads = "n_heads", contextLength = "context_length"
        }

        /// The causal LM's layout in the order of the architecture notes.
        var layout: ParameterLayout {
            var layout = ParameterLayout()
            layout.add("tok_emb", shape: [vocabSize, dModel])
            layout.add("pos_emb", shape: [contextLength, dModel])
            for i in 0..<nLayers {
                let p = "blocks.\(i)."
                layout.add(p + "ln1.weight", shape: [dModel])
                layout.add(p + "ln1.bias", shape: [dModel])
                for w in ["wq", "wk", "wv", "wo"] { layout.add(p + "attn." + w, shape: [dModel, dModel]) }
                layout.add(p + "ln2.weight", shape: [dModel])
                layout.add(p + "ln2.bias", shape: [dModel])
                layout.add(p + "mlp.w1", shape: [dModel, 4 * dModel])
                layout.add(p + "mlp.w2", shape: [4 * dModel, dModel])
            }
            layout.add("ln_f.weight", shape: [dModel])
            layout.add("ln_f.bias", shape: [dModel])
            return layout
        }
    }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/bench/golden").path

    /// Reads every spec of `layout` under `prefix` into one flat Double buffer.
    static func flat(_ file: SafeTensors, _ layout: ParameterLayout, prefix: String = "") throws -> [Double] {
        var out = [Double](repeating: 0, count: layout.count)
        try out.withUnsafeMutableBufferPointer { buffer in
            for spec in layout.specs {
                #expect(file[prefix + spec.name]?.shape == spec.shape, "\(prefix + spec.name)")
                try file.read(prefix + spec.name, into: UnsafeMutableBufferPointer(rebasing: buffer[spec.range]))
            }
        }
        return out
    }

    @Test func adamWMatchesPyTorchOnRealGradients() throws {
        let config = try Checkpoint.loadConfig(LMConfig.self, from: "\(Self.directory)/lm_golden.json")
        let layout = config.layout
        let file = try SafeTensors(contentsOf: "\(Self.directory)/lm_golden.safetensors")
        #expect(file["tok_emb"]?.dtype == .f64)
        var theta = try Self.flat(file, layout)
        let gradient = try Self.flat(file, layout, prefix: "grad.")
        let expected = try Self.flat(file, layout, prefix: "after_adamw.")
        var adam = try AdamW<Double>(config: AdamWConfig(learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01), count: layout.count)
        adam.update(parameters: &theta, gradients: gradient)
        let worst = zip(theta, expected).map { abs($0 - $1) / max(1e-3, abs($1)) }.max() ?? .infinity
        #expect(worst < 1e-12, "max relative difference \(worst)")
        // The step moved every parameter (a test that compares a no-op would pass too easily).
        let before = try Self.flat(file, layout)
        #expect(zip(before, expected).filter { $0 == $1 }.count < layout.count / 100)
    }

    @Test func layoutAndConfigAgreeWithThePythonReference() throws {
        let config = try Checkpoint.loadConfig(LMConfig.self, from: "\(Self.directory)/lm_golden.json")
        let file = try SafeTensors(contentsOf: "\(Self.directory)/lm_golden.safetensors")
        let parameterNames = Set(file.names.filter { !$0.contains("grad.") && !$0.hasPrefix("after_adamw.") && !$0.hasPrefix("input.") && !$0.hasPrefix("output.") })
        #expect(parameterNames == Set(config.layout.specs.map(\.name)))
        let metadataConfig = try JSONDecoder().decode(LMConfig.self, from: Data((file.metadata["config"] ?? "").utf8))
        #expect(metadataConfig.layout == config.layout)
        // Padded inputs: lengths 5, 5, 6 of 9, and a loss near ln(vocab) at init.
        let mask = try file.array("input.mask", as: Double.self)
        #expect(mask.reduce(0, +) == 16)
        let loss = try file.array("output.loss", as: Double.self)
        #expect(abs(loss[0] - log(Double(config.vocabSize))) < 0.1)
    }
}
