import Testing
import Tensor
import Models

@Suite struct DataRaterEncoderTests {
    let model: DataRaterEncoder<Double>
    let theta: [Double]
    let batch = Tiny.encoderBatch()

    init() throws {
        model = try DataRaterEncoder<Double>(config: Tiny.config)
        var p = [Double]()
        model.initialize(parameters: &p, seed: 42)
        theta = Tiny.parameters(layout: model.layout, initial: p, seed: 11)
    }

    @Test func freshEncoderScoresEverythingZero() throws {
        var p = [Double]()
        model.initialize(parameters: &p, seed: 3)
        #expect(model.layout.specs.last?.name == "head.weight")
        #expect(model.layout.specs.last?.shape == [8, 1])
        #expect(try model.scores(parameters: p, batch: batch) == [0, 0, 0])
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let adjoint = [0.7, -1.3, 0.4]
        var g = [Double]()
        let s = try model.backward(parameters: theta, batch: batch, scoreAdjoint: adjoint, gradient: &g)
        #expect(s == (try model.scores(parameters: theta, batch: batch)))
        let fd = numericGradient(theta) { p in dot(try! model.scores(parameters: p, batch: batch), adjoint) }
        assertClose(g, fd, rtol: 1e-6, atol: 1e-9, "encoder VJP")
        #expect(relativeError(g, fd) < 1e-8)
    }

    @Test func paddingValuesChangeNothing() throws {
        let other = Tiny.encoderBatch(padding: 7)
        #expect(try model.scores(parameters: theta, batch: batch) == model.scores(parameters: theta, batch: other))
        var g1 = [Double](), g2 = [Double]()
        try model.backward(parameters: theta, batch: batch, scoreAdjoint: [1, 2, 3], gradient: &g1)
        try model.backward(parameters: theta, batch: other, scoreAdjoint: [1, 2, 3], gradient: &g2)
        #expect(g1 == g2)
    }

    @Test func scoreDependsOnlyOnItsOwnRow() throws {
        let alone = try TokenBatch(rows: [[10, 0]], sequenceLength: 6)
        let s = try model.scores(parameters: theta, batch: batch)
        let s1 = try model.scores(parameters: theta, batch: alone)
        #expect(abs(s[1] - s1[0]) < 1e-13)
    }

    @Test func floatAgreesWithDouble() throws {
        let fm = try DataRaterEncoder<Float>(config: Tiny.config)
        let sd = try model.scores(parameters: theta, batch: batch)
        let sf = try fm.scores(parameters: theta.map(Float.init), batch: batch)
        assertClose(sf.map(Double.init), sd, rtol: 1e-4, atol: 1e-5, "scores")
    }

    /// Head width 16 takes the fused `Float` attention and packed q/k/v projection at scoring time;
    /// the scores still agree with `Double` (the reference path) and with the `Float` training
    /// forward pass that `backward` runs.
    @Test func fusedFloatScoringAgreesWithDouble() throws {
        let config = LMConfig(vocabSize: 50, dModel: 32, nLayers: 2, nHeads: 2, contextLength: 70)
        let dm = try DataRaterEncoder<Double>(config: config), fm = try DataRaterEncoder<Float>(config: config)
        var p = [Double]()
        dm.initialize(parameters: &p, seed: 8)
        let theta = Tiny.parameters(layout: dm.layout, initial: p, seed: 9)
        var g = SplitMix64(seed: 4)
        let rows = [70, 3, 1, 40, 69].map { n in (0..<n).map { _ in Int32(g.next() % 50) } }
        let batch = try TokenBatch(rows: rows, sequenceLength: 70)
        let sd = try dm.scores(parameters: theta, batch: batch)
        let sf = try fm.scores(parameters: theta.map(Float.init), batch: batch)
        assertClose(sf.map(Double.init), sd, rtol: 1e-4, atol: 1e-5, "fused scores")
        var grad = [Float]()
        let sb = try fm.backward(parameters: theta.map(Float.init), batch: batch, scoreAdjoint: [1, 1, 1, 1, 1], gradient: &grad)
        assertClose(sf.map(Double.init), sb.map(Double.init), rtol: 1e-4, atol: 1e-5, "inference vs training forward")
    }
}
