import Testing
import Tensor
import Models

#if canImport(Glibc)
import Glibc
#endif

/// Golden values from an independent NumPy float64 implementation of the architecture
/// (`Reference/reference_models.py`, which prints the constants below), on parameters
/// `p[i] = 0.5·sin(0.7·i + 0.3)` in layout order and rows evaluated without any padding.
@Suite struct ReferenceTests {
    static let lmPerExample: [Double] = [2.5585214824851668, 2.1949771808950302, 2.6161779513950556]
    static let lmWeighted: Double = 2.460989485790104
    static let encoderScores: [Double] = [0.5251446257499727, 0.8400673033045095, 0.5391921509509525]

    static func parameters(_ count: Int) -> [Double] { (0..<count).map { 0.5 * sin(0.7 * Double($0) + 0.3) } }

    @Test func causalLMMatchesNumPyReference() throws {
        let model = try CausalLM<Double>(config: Tiny.config)
        let r = try model.loss(parameters: Self.parameters(model.layout.count), batch: Tiny.batch(padding: 4),
                               exampleWeights: [0.5, 0.3, 0.2])
        assertClose(r.perExample, Self.lmPerExample, rtol: 1e-12, atol: 0, "per-example loss")
        #expect(abs(r.loss - Self.lmWeighted) < 1e-12)
    }

    @Test func encoderMatchesNumPyReference() throws {
        let model = try DataRaterEncoder<Double>(config: Tiny.config)
        let s = try model.scores(parameters: Self.parameters(model.layout.count), batch: Tiny.encoderBatch(padding: 2))
        assertClose(s, Self.encoderScores, rtol: 1e-12, atol: 1e-14, "scores")
    }
}
