#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Learning rate with linear warm-up then cosine decay to a floor.
///
/// For the update with 0-based index `s`, W warm-up steps and S total steps:
/// - `s < W`: `peak · (s + 1) / W` (the first update is not wasted on a zero rate; `s = W − 1` reaches peak);
/// - `W ≤ s < S`: `min + (peak − min) · ½(1 + cos(π · (s − W) / (S − W)))`, so `lr(W) = peak`;
/// - `s ≥ S`: `min`.
/// With an optimizer, the next update's index is its `step`:
/// `opt.update(parameters: p, gradients: g, learningRate: Float(schedule.learningRate(at: opt.step)))`.
/// JSON keys: `learning_rate`, `min_learning_rate`, `warmup_steps`, `total_steps`.
public struct CosineSchedule: Codable, Sendable, Hashable {
    /// Peak learning rate, reached at the end of warm-up.
    public var learningRate: Double
    /// Floor reached at `totalSteps` and kept after it.
    public var minLearningRate: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(learningRate: Double, minLearningRate: Double = 0, warmupSteps: Int = 0, totalSteps: Int) {
        self.learningRate = learningRate
        self.minLearningRate = minLearningRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    enum CodingKeys: String, CodingKey {
        case learningRate = "learning_rate"
        case minLearningRate = "min_learning_rate"
        case warmupSteps = "warmup_steps"
        case totalSteps = "total_steps"
    }

    /// Throws `invalidConfig` unless `0 ≤ min ≤ peak`, both finite, and `0 ≤ warmup ≤ total`.
    public func validate() throws(OptimizerError) {
        guard learningRate.isFinite, minLearningRate.isFinite, minLearningRate >= 0, minLearningRate <= learningRate else {
            throw OptimizerError(.invalidConfig,
                "cosine schedule needs 0 ≤ min_learning_rate (\(minLearningRate)) ≤ learning_rate (\(learningRate))")
        }
        guard warmupSteps >= 0, totalSteps >= warmupSteps else {
            throw OptimizerError(.invalidConfig,
                "cosine schedule needs 0 ≤ warmup_steps (\(warmupSteps)) ≤ total_steps (\(totalSteps))")
        }
    }

    /// The learning rate of the update with 0-based index `step` (negative steps count as 0).
    public func learningRate(at step: Int) -> Double {
        let s = max(step, 0)
        if s < warmupSteps {
            return learningRate * Double(s + 1) / Double(warmupSteps)
        }
        if s >= totalSteps { return minLearningRate }
        let progress = Double(s - warmupSteps) / Double(totalSteps - warmupSteps)
        return minLearningRate + (learningRate - minLearningRate) * 0.5 * (1 + cos(Double.pi * progress))
    }
}
