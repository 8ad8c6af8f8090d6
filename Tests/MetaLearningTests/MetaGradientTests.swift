import Testing
@testable import MetaLearning
import Models
import Tensor

/// The analytic meta-gradient against central finite differences of the outer loss, in Double.
@Suite struct MetaGradientTests {
    static let lmConfig = LMConfig(vocabSize: 11, dModel: 8, nLayers: 2, nHeads: 2, contextLength: 8)
    static let raterConfig = LMConfig(vocabSize: 11, dModel: 8, nLayers: 1, nHeads: 2, contextLength: 9)

    struct Setup<T: BLASScalar> {
        var engine: MetaGradientEngine<T>
        var eta: [T]
        var theta: [T]
        var state: InnerState<T>
        var batches: MetaStepBatches
    }

    static func batch(_ seed: UInt64, rows: Int) -> TokenBatch {
        var rng = SplitMix64(seed: seed)
        let chunks: [[Int32]] = (0..<rows).map { r in
            let length = 4 + Int(rng.next() % 6) - (r == 0 ? 0 : Int(rng.next() % 2))
            return (0..<length).map { _ in Int32(rng.next() % 11) }
        }
        return try! TokenBatch(rows: chunks, sequenceLength: 9)
    }

    static func setup<T: BLASScalar>(_: T.Type, optimizer: InnerOptimizerConfig, steps: Int, rows: Int = 4) throws -> Setup<T> {
        let lm = try CausalLM<T>(config: lmConfig)
        let rater = try DataRaterEncoder<T>(config: raterConfig)
        var theta: [T] = [], eta: [T] = []
        lm.initialize(parameters: &theta, seed: 7)
        rater.initialize(parameters: &eta, seed: 8)
        // A non-zero head, so the weights are not uniform and every term of the meta-gradient is exercised.
        var rng = SplitMix64(seed: 9)
        let head = rater.layout["head.weight"]!
        for i in head.range { eta[i] = T(Double(rng.next() % 2001) / 1000 - 1) }
        // Warm the optimizer state with a few plain steps so momentum and Adam moments are not zero.
        var state = InnerState<T>(count: theta.count, kind: optimizer.kind)
        let inner = InnerOptimizer<T>(config: optimizer)
        var g: [T] = []
        for s in 0..<2 {
            _ = try lm.lossAndGradient(parameters: theta, batch: batch(100 + UInt64(s), rows: rows), gradient: &g)
            inner.step(parameters: &theta, state: &state, gradient: g)
        }
        let batches = MetaStepBatches(inner: (0..<steps).map { batch(200 + UInt64($0), rows: rows) }, outer: batch(300, rows: 5))
        return Setup(engine: try MetaGradientEngine(lm: lm, rater: rater, optimizer: inner), eta: eta, theta: theta, state: state, batches: batches)
    }

    static func outerLoss(_ s: Setup<Double>, eta: [Double]) throws -> Double {
        var theta = s.theta, state = s.state, unused: [Double] = []
        return try s.engine.step(eta: eta, parameters: &theta, state: &state, batches: s.batches, etaGradient: &unused, metaGradient: false).outerLoss
    }

    static let optimizers: [InnerOptimizerConfig] = [
        InnerOptimizerConfig(kind: .sgd, learningRate: 0.3, weightDecay: 0.1),
        InnerOptimizerConfig(kind: .momentum, learningRate: 0.2, beta1: 0.9, weightDecay: 0.05),
        InnerOptimizerConfig(kind: .adam, learningRate: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-3, weightDecay: 0.01),
    ]

    @Test(arguments: [0, 1, 2], [1, 2, 3])
    func metaGradientMatchesFiniteDifferences(optimizerIndex: Int, steps: Int) throws {
        let s = try Self.setup(Double.self, optimizer: Self.optimizers[optimizerIndex], steps: steps)
        var theta = s.theta, state = s.state, gradient: [Double] = []
        _ = try s.engine.step(eta: s.eta, parameters: &theta, state: &state, batches: s.batches, etaGradient: &gradient)
        #expect(gradient.contains { $0 != 0 })
        // Three random directions. Central differences are O(h²); Richardson extrapolation of h and h/2
        // makes them O(h⁴), far below the 1e-6 tolerance, while h stays large enough for Double roundoff.
        var rng = SplitMix64(seed: 42)
        for _ in 0..<3 {
            let direction = (0..<s.eta.count).map { _ in Double(rng.next() % 2001) / 1000 - 1 }
            func central(_ h: Double) throws -> Double {
                let plus = try Self.outerLoss(s, eta: zip(s.eta, direction).map { $0 + h * $1 })
                let minus = try Self.outerLoss(s, eta: zip(s.eta, direction).map { $0 - h * $1 })
                return (plus - minus) / (2 * h)
            }
            let h = 1e-4
            let numeric = (4 * (try central(h / 2)) - (try central(h))) / 3
            let analytic = zip(gradient, direction).reduce(0) { $0 + $1.0 * $1.1 }
            let relative = abs(numeric - analytic) / max(abs(numeric), abs(analytic), 1e-12)
            #expect(relative <= 1e-6, "\(Self.optimizers[optimizerIndex].kind) T=\(steps): analytic \(analytic), numeric \(numeric), rel \(relative)")
        }
    }

    @Test func softmaxAdjointSumsToZeroSoAConstantShiftGetsNoGradient() throws {
        let s = try Self.setup(Double.self, optimizer: Self.optimizers[1], steps: 2)
        var theta = s.theta, state = s.state, gradient: [Double] = []
        let result = try s.engine.step(eta: s.eta, parameters: &theta, state: &state, batches: s.batches, etaGradient: &gradient)
        #expect(result.scoreAdjoints.count == 2)
        for adjoint in result.scoreAdjoints {
            let total = adjoint.reduce(0, +)
            let scale = adjoint.map(abs).max() ?? 1
            #expect(abs(total) <= 1e-12 * max(scale, 1e-300) * Double(adjoint.count) + 1e-18)
            #expect(adjoint.contains { $0 != 0 })
        }
        // Adding a constant to every score (what a bias on the head would do) leaves the loss unchanged:
        // the outer loss is the same whatever the shift, so its derivative (the bias's meta-gradient) is zero.
        let base = try Self.outerLoss(s, eta: s.eta)
        #expect(base.isFinite)
    }

    @Test func aBatchOfOneGivesZeroMetaGradient() throws {
        let s = try Self.setup(Double.self, optimizer: Self.optimizers[1], steps: 2, rows: 1)
        var theta = s.theta, state = s.state, gradient: [Double] = []
        _ = try s.engine.step(eta: s.eta, parameters: &theta, state: &state, batches: s.batches, etaGradient: &gradient)
        #expect(gradient.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [0, 1, 2])
    func floatAndDoubleMetaGradientsAgree(optimizerIndex: Int) throws {
        let d = try Self.setup(Double.self, optimizer: Self.optimizers[optimizerIndex], steps: 2)
        let f = try Self.setup(Float.self, optimizer: Self.optimizers[optimizerIndex], steps: 2)
        var thetaD = d.theta, stateD = d.state, gD: [Double] = []
        _ = try d.engine.step(eta: d.eta, parameters: &thetaD, state: &stateD, batches: d.batches, etaGradient: &gD)
        // Same starting point in Float: convert the Double state rather than re-deriving it.
        var thetaF = d.theta.map { Float($0) }
        var stateF = InnerState<Float>(count: thetaF.count, kind: Self.optimizers[optimizerIndex].kind)
        stateF.m = d.state.m.map { Float($0) }
        stateF.v = d.state.v.map { Float($0) }
        stateF.step = d.state.step
        var gF: [Float] = []
        _ = try f.engine.step(eta: d.eta.map { Float($0) }, parameters: &thetaF, state: &stateF, batches: d.batches, etaGradient: &gF)
        let dot = zip(gD, gF).reduce(0.0) { $0 + $1.0 * Double($1.1) }
        let nD = gD.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), nF = gF.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(dot / (nD * nF) > 0.999, "cosine \(dot / (nD * nF))")
    }

    @Test func innerStepsLeaveTheModelWhereThePlainOptimizerWould() throws {
        let s = try Self.setup(Double.self, optimizer: Self.optimizers[2], steps: 3)
        var theta = s.theta, state = s.state, gradient: [Double] = []
        let result = try s.engine.step(eta: s.eta, parameters: &theta, state: &state, batches: s.batches, etaGradient: &gradient)
        var theta2 = s.theta, state2 = s.state, g: [Double] = []
        for (t, batch) in s.batches.inner.enumerated() {
            let w = MetaGradientEngine<Double>.softmax(result.scores[t])
            _ = try s.engine.lm.lossAndGradient(parameters: theta2, batch: batch, exampleWeights: w, gradient: &g)
            s.engine.optimizer.step(parameters: &theta2, state: &state2, gradient: g)
        }
        #expect(theta == theta2)
        #expect(state == state2)
    }
}
