import Models
import Tensor

/// `datarater bench lm`: LM training (forward, backward, AdamW) tokens/s on one BLAS thread, as a fraction
/// of the `cblas_sgemm` peak measured in the same run, and one HVP against one gradient.
public enum LMBench {
    public static func run(configuration name: String, steps: Int) throws -> LMBenchmarkReport {
        let config: LMConfig
        switch name {
        case "small": config = .small
        case "base": config = .base
        default: throw CurationError(.badArguments, "unknown configuration \(name); use small or base")
        }
        BLASThreads.set(1)
        var optimizer: AdamW<Float>?
        return try LMBenchmark.run(config: config, batchSize: 16, steps: steps) { parameters, gradient in
            if optimizer == nil { optimizer = try? AdamW<Float>(config: AdamWConfig(learningRate: 1e-3), count: parameters.count) }
            optimizer?.update(parameters: &parameters, gradients: gradient, learningRate: 1e-3)
        }
    }
}
