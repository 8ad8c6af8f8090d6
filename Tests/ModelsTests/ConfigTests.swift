import Foundation
import Testing
import Models

@Suite struct ConfigTests {
    @Test func configUsesSnakeCaseKeys() throws {
        let json = #"{"vocab_size": 4096, "d_model": 128, "n_layers": 2, "n_heads": 4, "context_length": 128}"#
        let c = try JSONDecoder().decode(LMConfig.self, from: Data(json.utf8))
        #expect(c == .small)
        let back = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? [String: Int]
        #expect(back?["context_length"] == 128 && back?["d_model"] == 128)
    }

    @Test func inconsistentConfigIsRejected() {
        let bad = LMConfig(vocabSize: 10, dModel: 10, nLayers: 1, nHeads: 3, contextLength: 4)
        #expect(throws: ModelError.self) { try CausalLM<Float>(config: bad) }
        #expect(throws: ModelError.self) { try DataRaterEncoder<Float>(config: bad) }
    }

    @Test func tokenBatchRejectsInconsistentShapes() {
        #expect(throws: ModelError.self) { try TokenBatch(tokens: [1, 2, 3], lengths: [2], sequenceLength: 2) }
        #expect(throws: ModelError.self) { try TokenBatch(tokens: [1, 2], lengths: [3], sequenceLength: 2) }
        #expect(throws: ModelError.self) { try TokenBatch(rows: [[1, 2, 3]], sequenceLength: 2) }
    }
}
