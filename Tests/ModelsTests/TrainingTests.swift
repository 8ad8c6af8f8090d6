import Testing
import Tensor
import Models

@Suite struct TrainingTests {
    /// A tiny Float LM memorises four sequences with a plain Adam loop: the loss must fall far
    /// below log(vocab), the loss of a model that learned nothing.
    @Test func tinyLMOverfitsTinyCorpus() throws {
        let config = LMConfig(vocabSize: 11, dModel: 16, nLayers: 2, nHeads: 2, contextLength: 8)
        let model = try CausalLM<Float>(config: config)
        var rng = SplitMix64(seed: 5)
        let rows: [[Int32]] = (0..<4).map { r in [Int32(r)] + (0..<8).map { _ in Int32(rng.next() % 11) } }
        let batch = try TokenBatch(rows: rows, sequenceLength: 9)
        var theta = [Float]()
        model.initialize(parameters: &theta, seed: 1)
        var g = [Float](), m = [Float](repeating: 0, count: theta.count), v = m
        let (lr, b1, b2, eps): (Float, Float, Float, Float) = (0.01, 0.9, 0.999, 1e-8)
        let first = try model.loss(parameters: theta, batch: batch).loss
        var last: Float = .infinity
        for step in 1...150 {
            last = try model.lossAndGradient(parameters: theta, batch: batch, gradient: &g).loss
            let c1 = 1 - Float.pow(b1, Float(step)), c2 = 1 - Float.pow(b2, Float(step))
            for i in 0..<theta.count {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                theta[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
            }
        }
        #expect(abs(first - Float.log(11)) < 0.1)
        #expect(last < 0.1 * Float.log(11), "final loss \(last)")
    }
}

extension Float {
    static func pow(_ x: Float, _ y: Float) -> Float { Float.exp(y * Float.log(x)) }
}
