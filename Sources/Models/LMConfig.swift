import Tensor

/// Shape of a transformer (causal LM or DataRater encoder); JSON keys are the checkpoint's snake_case names.
public struct LMConfig: Codable, Sendable, Hashable {
    public var vocabSize: Int
    public var dModel: Int
    public var nLayers: Int
    public var nHeads: Int
    public var contextLength: Int

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case dModel = "d_model"
        case nLayers = "n_layers"
        case nHeads = "n_heads"
        case contextLength = "context_length"
    }

    public init(vocabSize: Int, dModel: Int, nLayers: Int, nHeads: Int, contextLength: Int) {
        self.vocabSize = vocabSize
        self.dModel = dModel
        self.nLayers = nLayers
        self.nHeads = nHeads
        self.contextLength = contextLength
    }

    /// Benchmark configuration *small* (run with batch 16).
    public static let small = LMConfig(vocabSize: 4096, dModel: 128, nLayers: 2, nHeads: 4, contextLength: 128)
    /// Benchmark configuration *base* (run with batch 16).
    public static let base = LMConfig(vocabSize: 8192, dModel: 256, nLayers: 4, nHeads: 4, contextLength: 256)

    public var headDim: Int { dModel / nHeads }

    /// Checks the invariants the kernels rely on.
    public func validate() throws(ModelError) {
        guard vocabSize > 0, dModel > 0, nLayers > 0, nHeads > 0, contextLength > 0 else {
            throw ModelError(.invalidConfig, "every size must be positive, got \(self); fix the model config JSON")
        }
        guard dModel % nHeads == 0 else {
            throw ModelError(.invalidConfig, "d_model \(dModel) is not divisible by n_heads \(nHeads); fix the model config JSON")
        }
    }
}
