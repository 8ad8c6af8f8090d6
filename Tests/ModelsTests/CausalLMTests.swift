import Testing
import Tensor
import Models

@Suite struct CausalLMTests {
    let model: CausalLM<Double>
    let theta: [Double]
    let batch = Tiny.batch()
    let weights: [Double] = [0.5, 0.3, 0.2]

    init() throws {
        model = try CausalLM<Double>(config: Tiny.config)
        var p = [Double]()
        model.initialize(parameters: &p, seed: 42)
        theta = Tiny.parameters(layout: model.layout, initial: p, seed: 7)
    }

    func gradient(_ p: [Double], weights: [Double]? = nil) throws -> [Double] {
        var g = [Double]()
        _ = try model.lossAndGradient(parameters: p, batch: batch, exampleWeights: weights ?? self.weights, gradient: &g)
        return g
    }

    @Test func layoutFollowsTheArchitecture() {
        let names = model.layout.specs.map(\.name)
        #expect(Array(names.prefix(4)) == ["tok_emb", "pos_emb", "blocks.0.ln1.weight", "blocks.0.ln1.bias"])
        #expect(Array(names.suffix(2)) == ["ln_f.weight", "ln_f.bias"])
        #expect(model.layout["blocks.1.mlp.w1"]?.shape == [8, 32])
        #expect(model.layout["blocks.1.mlp.w2"]?.shape == [32, 8])
        #expect(model.layout.count == 11 * 8 + 6 * 8 + 2 * (4 * 8 + 4 * 64 + 2 * 256) + 16)
    }

    @Test func initialLossIsNearLogVocab() throws {
        var p = [Double]()
        model.initialize(parameters: &p, seed: 1)
        let r = try model.loss(parameters: p, batch: batch)
        #expect(abs(r.loss - Double.log(11)) < 0.05)
        // Row losses are means over each row's own targets; the objective is their plain mean.
        #expect(abs(r.loss - r.perExample.reduce(0, +) / 3) < 1e-14)
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        let g = try gradient(theta)
        let fd = numericGradient(theta) { p in try! model.loss(parameters: p, batch: batch, exampleWeights: weights).loss }
        assertClose(g, fd, rtol: 1e-6, atol: 1e-9, "LM gradient")
        #expect(relativeError(g, fd) < 1e-8)
    }

    @Test func hessianVectorProductMatchesFiniteDifferencesOfGradients() throws {
        let v = normal(theta.count, seed: 99)
        var hv = [Double](), a = [Double](), g = [Double]()
        let r = try model.hessianVectorProduct(parameters: theta, direction: v, batch: batch, exampleWeights: weights,
                                               hvp: &hv, alignments: &a, gradient: &g)
        // Central differences of the gradient with Richardson extrapolation: (4·D(h/2) − D(h)) / 3
        // cancels the h² term, so what is left is the HVP's own error (measured ~1e-11).
        func central(_ h: Double) throws -> [Double] {
            zip(try gradient(axpy(theta, h, v)), try gradient(axpy(theta, -h, v))).map { ($0 - $1) / (2 * h) }
        }
        let coarse = try central(1e-4), fine = try central(5e-5)
        let fd = zip(fine, coarse).map { (4 * $0 - $1) / 3 }
        #expect(relativeError(hv, fd) < 1e-9, "relative error \(relativeError(hv, fd))")
        #expect(relativeError(hv, fine) < 1e-4, "plain central differences: \(relativeError(hv, fine))")
        var hvOnly = [Double](), aOnly = [Double]()
        _ = try model.hessianVectorProduct(parameters: theta, direction: v, batch: batch, exampleWeights: weights,
                                           hvp: &hvOnly, alignments: &aOnly)
        #expect(hvOnly == hv && aOnly == a, "skipping the gradient must not change Hv or the alignments")
        assertClose(g, try gradient(theta), rtol: 1e-12, atol: 1e-15, "gradient from the dual pass")
        let plain = try model.loss(parameters: theta, batch: batch, exampleWeights: weights)
        #expect(abs(r.loss - plain.loss) < 1e-13)
    }

    @Test func hessianIsSymmetric() throws {
        let u = normal(theta.count, seed: 3), v = normal(theta.count, seed: 4)
        var hu = [Double](), hv = [Double](), a = [Double]()
        _ = try model.hessianVectorProduct(parameters: theta, direction: u, batch: batch, exampleWeights: weights, hvp: &hu, alignments: &a)
        _ = try model.hessianVectorProduct(parameters: theta, direction: v, batch: batch, exampleWeights: weights, hvp: &hv, alignments: &a)
        let uhv = dot(u, hv), vhu = dot(v, hu)
        #expect(abs(uhv - vhu) <= 1e-10 * max(abs(uhv), 1), "u·Hv \(uhv) vs v·Hu \(vhu)")
    }

    @Test func alignmentsArePerExampleGradientDotProducts() throws {
        let v = normal(theta.count, seed: 5)
        var hv = [Double](), a = [Double]()
        _ = try model.hessianVectorProduct(parameters: theta, direction: v, batch: batch, exampleWeights: weights, hvp: &hv, alignments: &a)
        for j in 0..<3 {
            var onehot = [0.0, 0.0, 0.0]
            onehot[j] = 1
            let gj = try gradient(theta, weights: onehot)
            let ref = dot(gj, v)
            #expect(abs(a[j] - ref) <= 1e-10 * max(abs(ref), 1), "a[\(j)] \(a[j]) vs \(ref)")
        }
    }

    @Test func paddingValuesChangeNothing() throws {
        let other = Tiny.batch(padding: 9)
        #expect(other != batch)
        let v = normal(theta.count, seed: 6)
        var g1 = [Double](), g2 = [Double](), h1 = [Double](), h2 = [Double](), a1 = [Double](), a2 = [Double]()
        let r1 = try model.lossAndGradient(parameters: theta, batch: batch, gradient: &g1)
        let r2 = try model.lossAndGradient(parameters: theta, batch: other, gradient: &g2)
        #expect(r1.perExample == r2.perExample)
        #expect(g1 == g2)
        _ = try model.hessianVectorProduct(parameters: theta, direction: v, batch: batch, hvp: &h1, alignments: &a1)
        _ = try model.hessianVectorProduct(parameters: theta, direction: v, batch: other, hvp: &h2, alignments: &a2)
        #expect(h1 == h2 && a1 == a2)
    }

    @Test func badInputsThrowTypedErrors() throws {
        let bad = try TokenBatch(rows: [[1, 2, 11]], sequenceLength: 3)
        var g = [Double]()
        #expect(throws: ModelError.self) { try model.lossAndGradient(parameters: theta, batch: bad, gradient: &g) }
        let long = try TokenBatch(rows: [[1, 2, 3, 4, 5, 6, 7, 8]], sequenceLength: 8)
        do {
            _ = try model.loss(parameters: theta, batch: long)
            Issue.record("a sequence longer than the context was accepted")
        } catch {
            #expect(error.code == .sequenceTooLong)
        }
    }

    @Test func causalBlocksDoNotChangeResults() throws {
        let blocked = try CausalLM<Double>(config: Tiny.config)
        blocked.attentionQueryBlock = 2
        let v = normal(theta.count, seed: 12)
        var g1 = [Double](), g2 = [Double](), h1 = [Double](), h2 = [Double](), a1 = [Double](), a2 = [Double]()
        _ = try model.hessianVectorProduct(parameters: theta, direction: v, batch: batch, exampleWeights: weights,
                                           hvp: &h1, alignments: &a1, gradient: &g1)
        _ = try blocked.hessianVectorProduct(parameters: theta, direction: v, batch: batch, exampleWeights: weights,
                                             hvp: &h2, alignments: &a2, gradient: &g2)
        #expect(relativeError(g2, g1) < 1e-13)
        #expect(relativeError(h2, h1) < 1e-13)
        #expect(relativeError(a2, a1) < 1e-13)
    }

    @Test func floatAgreesWithDouble() throws {
        let fm = try CausalLM<Float>(config: Tiny.config)
        let tf = theta.map(Float.init), td = tf.map(Double.init)
        let v = normal(theta.count, seed: 8)
        var gd = [Double](), gf = [Float](), hd = [Double](), hf = [Float](), ad = [Double](), af = [Float]()
        let rd = try model.lossAndGradient(parameters: td, batch: batch, exampleWeights: weights, gradient: &gd)
        let rf = try fm.lossAndGradient(parameters: tf, batch: batch, exampleWeights: weights.map(Float.init), gradient: &gf)
        #expect(abs(Double(rf.loss) - rd.loss) < 1e-5 * rd.loss)
        #expect(relativeError(gf.map(Double.init), gd) < 1e-4)
        _ = try model.hessianVectorProduct(parameters: td, direction: v, batch: batch, exampleWeights: weights, hvp: &hd, alignments: &ad)
        _ = try fm.hessianVectorProduct(parameters: tf, direction: v.map(Float.init), batch: batch,
                                        exampleWeights: weights.map(Float.init), hvp: &hf, alignments: &af)
        #expect(relativeError(hf.map(Double.init), hd) < 1e-3)
        #expect(relativeError(af.map(Double.init), ad) < 1e-3)
    }
}

/// Central-difference gradient of `f` at `x`.
func numericGradient(_ x: [Double], h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var x = x
    var g = [Double](repeating: 0, count: x.count)
    for i in 0..<x.count {
        let x0 = x[i]
        x[i] = x0 + h; let fp = f(x)
        x[i] = x0 - h; let fm = f(x)
        x[i] = x0
        g[i] = (fp - fm) / (2 * h)
    }
    return g
}

@Suite struct CausalLMEdgeCaseTests {
    /// A row with no target (length ≤ 1) has loss 0 and still counts as an example in the
    /// unweighted mean, so adding one halves a single row's loss and gradient.
    @Test func rowWithoutTargetsContributesNothing() throws {
        let model = try CausalLM<Double>(config: Tiny.config)
        var theta = [Double]()
        model.initialize(parameters: &theta, seed: 2)
        let one = try TokenBatch(rows: [[1, 2, 3, 4]], sequenceLength: 4)
        let two = try TokenBatch(rows: [[1, 2, 3, 4], [5]], sequenceLength: 4)
        var g1 = [Double](), g2 = [Double]()
        let r1 = try model.lossAndGradient(parameters: theta, batch: one, gradient: &g1)
        let r2 = try model.lossAndGradient(parameters: theta, batch: two, gradient: &g2)
        #expect(r2.perExample[1] == 0)
        #expect(abs(r2.loss - r1.loss / 2) < 1e-14)
        assertClose(g2, g1.map { $0 / 2 }, rtol: 1e-12, atol: 1e-16, "gradient")
    }
}

@Suite struct WorkspaceReuseTests {
    /// Buffers grow for a larger batch and are reused for smaller ones; results must not depend
    /// on what ran before.
    @Test func resultsDoNotDependOnEarlierShapes() throws {
        let used = try CausalLM<Double>(config: Tiny.config)
        var theta = [Double]()
        used.initialize(parameters: &theta, seed: 9)
        theta = Tiny.parameters(layout: used.layout, initial: theta, seed: 10)
        let big = try TokenBatch(rows: (0..<5).map { r in (0..<7).map { Int32(($0 * 3 + r) % 11) } }, sequenceLength: 7)
        let small = try TokenBatch(rows: [[4, 1, 7], [2, 2]], sequenceLength: 4)
        let v = normal(theta.count, seed: 13)
        var g = [Double](), h = [Double](), a = [Double]()
        _ = try used.hessianVectorProduct(parameters: theta, direction: v, batch: big, hvp: &h, alignments: &a, gradient: &g)
        let r1 = try used.hessianVectorProduct(parameters: theta, direction: v, batch: small, hvp: &h, alignments: &a, gradient: &g)
        let fresh = try CausalLM<Double>(config: Tiny.config)
        var g2 = [Double](), h2 = [Double](), a2 = [Double]()
        let r2 = try fresh.hessianVectorProduct(parameters: theta, direction: v, batch: small, hvp: &h2, alignments: &a2, gradient: &g2)
        #expect(r1.perExample == r2.perExample)
        #expect(g == g2 && h == h2 && a == a2)
        var g3 = [Double]()
        _ = try used.lossAndGradient(parameters: theta, batch: small, gradient: &g3)
        #expect(g3 == g2)
    }

    @Test func encoderResultsDoNotDependOnEarlierShapes() throws {
        let used = try DataRaterEncoder<Double>(config: Tiny.config)
        var theta = [Double]()
        used.initialize(parameters: &theta, seed: 9)
        theta = Tiny.parameters(layout: used.layout, initial: theta, seed: 14)
        let big = try TokenBatch(rows: (0..<5).map { r in (0..<6).map { Int32(($0 * 5 + r) % 11) } }, sequenceLength: 6)
        let small = try TokenBatch(rows: [[4, 1, 7], [], [2, 2]], sequenceLength: 3)
        _ = try used.scores(parameters: theta, batch: big)
        var g1 = [Double](), g2 = [Double]()
        let s1 = try used.backward(parameters: theta, batch: small, scoreAdjoint: [1, -2, 0.5], gradient: &g1)
        let fresh = try DataRaterEncoder<Double>(config: Tiny.config)
        let s2 = try fresh.backward(parameters: theta, batch: small, scoreAdjoint: [1, -2, 0.5], gradient: &g2)
        #expect(s1 == s2 && g1 == g2)
        #expect(s1.allSatisfy { $0.isFinite })
    }
}
