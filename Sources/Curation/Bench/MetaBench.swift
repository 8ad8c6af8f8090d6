import Foundation
import MetaLearning
import Models
import Tensor

/// What one `MetaBench.run` measured: one process, one T.
public struct MetaBenchReport: Sendable, CustomStringConvertible {
    public var unrollSteps: Int
    public var steps: Int
    public var warmup: Int
    public var innerOptimizer: String
    public var lmParameters: Int
    public var raterParameters: Int
    public var innerBatch: Int
    public var outerBatch: Int
    public var chunkLength: Int
    public var blasThreads: Int
    /// Wall seconds per meta-step: mean, median and best of the timed steps.
    public var wallSecondsPerStep: Double
    public var wallSecondsMedian: Double
    public var wallSecondsMin: Double
    /// Thread CPU seconds per meta-step (all work runs on the calling thread with one BLAS thread), less
    /// sensitive than wall time to other processes on a shared machine.
    public var cpuSecondsPerStep: Double
    /// Resident set before the first meta-step (models, batches and parameters allocated), in KiB.
    public var rssBeforeKiB: Int
    /// `VmHWM` at the end: the peak of the whole process, in KiB.
    public var peakKiB: Int
    /// `VmHWM` over the timed steps only (reset through `/proc/self/clear_refs` after warm-up; nil where that
    /// is not possible), in KiB.
    public var timedPeakKiB: Int?
    /// Bytes the engine keeps per unrolled step by design: θ_t, g_t and the optimizer state after step t.
    public var storedBytesPerInnerStep: Int
    public var outerLoss: Double
    public var metaGradientNorm: Double

    public var json: String {
        func f(_ x: Double) -> String { String(format: "%.6g", x) }
        return "{\"framework\":\"swift\",\"t\":\(unrollSteps),\"steps\":\(steps),\"warmup\":\(warmup),"
            + "\"inner_optimizer\":\"\(innerOptimizer)\",\"lm_parameters\":\(lmParameters),\"rater_parameters\":\(raterParameters),"
            + "\"inner_batch\":\(innerBatch),\"outer_batch\":\(outerBatch),\"chunk_length\":\(chunkLength),\"blas_threads\":\(blasThreads),"
            + "\"s_per_step\":\(f(wallSecondsPerStep)),\"s_per_step_median\":\(f(wallSecondsMedian)),\"s_per_step_min\":\(f(wallSecondsMin)),"
            + "\"cpu_s_per_step\":\(f(cpuSecondsPerStep)),\"rss_before_kib\":\(rssBeforeKiB),\"peak_rss_kib\":\(peakKiB),"
            + "\"timed_peak_rss_kib\":\(timedPeakKiB.map(String.init) ?? "null"),\"stored_bytes_per_inner_step\":\(storedBytesPerInnerStep),"
            + "\"outer_loss\":\(f(outerLoss)),\"meta_gradient_norm\":\(f(metaGradientNorm))}"
    }

    public var description: String {
        func mb(_ kib: Int) -> String { String(format: "%.1f MB", Double(kib) * 1024 / 1e6) }
        return """
            meta-step, T = \(unrollSteps), \(innerOptimizer) inner optimizer, one inner LM (\(lmParameters) parameters) + DataRater (\(raterParameters)), \
            batches \(innerBatch) inner / \(outerBatch) outer × \(chunkLength) tokens, \(blasThreads) BLAS thread(s), \(steps) timed steps after \(warmup)
              \(String(format: "%.3f", wallSecondsPerStep)) s/step wall (median \(String(format: "%.3f", wallSecondsMedian)), best \(String(format: "%.3f", wallSecondsMin))), \(String(format: "%.3f", cpuSecondsPerStep)) s/step thread CPU
              RSS before the first step \(mb(rssBeforeKiB)); peak \(mb(peakKiB)) (whole process), \(timedPeakKiB.map(mb) ?? "n/a") (timed steps); \
            stored per inner step by design \(String(format: "%.1f MB", Double(storedBytesPerInnerStep) / 1e6))
              outer loss \(String(format: "%.4f", outerLoss)), ‖∂L/∂η‖ \(String(format: "%.4g", metaGradientNorm))
            """
    }
}

/// `datarater bench meta`: seconds per meta-step and peak memory of the exact meta-gradient (issue 5, point 7).
///
/// One inner LM of the *small* configuration (vocab 4096, d 128, 2 layers, 4 heads, context 128), a DataRater of
/// d 64 × 2 layers × 4 heads, random full chunks of 128 tokens (the LM predicts 127 positions per row, as in
/// `train`), 16 inner rows per inner step and 16 outer rows, one BLAS thread. One meta-step is what
/// `MetaGradientEngine.step` does for one population slot: T weighted inner steps forward, the outer loss and its
/// gradient, and the exact meta-gradient back to the DataRater's parameters. The inner model keeps training across
/// steps (its θ and state carry over), as in meta-training. The JAX reference: `scripts/bench/meta_reference.py`.
public enum MetaBench {
    public static let lmConfig = LMConfig.small
    public static let raterConfig = LMConfig(vocabSize: 4096, dModel: 64, nLayers: 2, nHeads: 4, contextLength: 128)
    public static let chunkLength = 128
    public static let batchSize = 16

    public static func run(unrollSteps: Int, steps: Int, warmup: Int = 2, innerOptimizer kind: InnerOptimizerConfig.Kind = .momentum,
                           seed: UInt64 = 0) throws -> MetaBenchReport {
        guard unrollSteps >= 1, steps >= 1, warmup >= 0 else {
            throw CurationError(.badArguments, "--t and --steps must be at least 1 and --warmup at least 0")
        }
        BLASThreads.set(1)
        let lm = try CausalLM<Float>(config: lmConfig)
        let rater = try DataRaterEncoder<Float>(config: raterConfig)
        // The defaults of `MetaTrainingConfig` (momentum SGD, lr 0.1, β 0.9); Adam with its usual β's.
        let optimizer = InnerOptimizer<Float>(config: InnerOptimizerConfig(kind: kind, learningRate: kind == .adam ? 1e-3 : 0.1, beta1: 0.9))
        let engine = try MetaGradientEngine(lm: lm, rater: rater, optimizer: optimizer)

        var theta: [Float] = [], eta: [Float] = []
        lm.initialize(parameters: &theta, seed: seed)
        rater.initialize(parameters: &eta, seed: seed &+ 1)
        // The product starts the head at zero (every score 0); a random head makes the meta-gradient reach the
        // whole encoder from the first step, as it does after a few meta-steps in training.
        var rng = SplitMix64(seed: seed &+ 2)
        if let head = rater.layout["head.weight"] {
            eta.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress! + head.offset, head.count, std: 0.02) }
        }
        var state = InnerState<Float>(count: theta.count, kind: kind)

        func randomBatch() throws -> TokenBatch {
            let tokens = (0..<(batchSize * chunkLength)).map { _ in Int32(truncatingIfNeeded: rng.next() % UInt64(lmConfig.vocabSize)) }
            return try TokenBatch(tokens: tokens, lengths: Array(repeating: chunkLength, count: batchSize), sequenceLength: chunkLength)
        }
        // Two sets of batches, alternated, so consecutive steps do not see the same data.
        var sets: [MetaStepBatches] = []
        for _ in 0..<2 {
            sets.append(MetaStepBatches(inner: try (0..<unrollSteps).map { _ in try randomBatch() }, outer: try randomBatch()))
        }
        var etaGradient = [Float](repeating: 0, count: eta.count)

        let rssBefore = ProcessMemory.status("VmRSS") ?? 0
        var last: MetaStepResult<Float>?
        for k in 0..<warmup {
            last = try engine.step(eta: eta, parameters: &theta, state: &state, batches: sets[k % 2], etaGradient: &etaGradient)
        }
        let warmupPeak = ProcessMemory.status("VmHWM") ?? 0
        let resetWorked = ProcessMemory.resetPeak()
        var wall: [Double] = []
        let cpuStart = BenchClock.threadCPU()
        for k in 0..<steps {
            let t0 = BenchClock.wall()
            last = try engine.step(eta: eta, parameters: &theta, state: &state, batches: sets[(warmup + k) % 2], etaGradient: &etaGradient)
            wall.append(BenchClock.wall() - t0)
        }
        let cpu = (BenchClock.threadCPU() - cpuStart) / Double(steps)
        let timedPeak = resetWorked ? ProcessMemory.status("VmHWM") : nil
        let peak = max(warmupPeak, ProcessMemory.status("VmHWM") ?? 0)
        let sorted = wall.sorted()
        let stateFloats = (kind == .sgd ? 0 : 1) + (kind == .adam ? 1 : 0)
        return MetaBenchReport(
            unrollSteps: unrollSteps, steps: steps, warmup: warmup, innerOptimizer: kind.rawValue,
            lmParameters: theta.count, raterParameters: eta.count, innerBatch: batchSize, outerBatch: batchSize,
            chunkLength: chunkLength, blasThreads: BLASThreads.current,
            wallSecondsPerStep: wall.reduce(0, +) / Double(steps), wallSecondsMedian: sorted[sorted.count / 2],
            wallSecondsMin: sorted[0], cpuSecondsPerStep: cpu, rssBeforeKiB: rssBefore, peakKiB: peak, timedPeakKiB: timedPeak,
            storedBytesPerInnerStep: (2 + stateFloats) * theta.count * MemoryLayout<Float>.size,
            outerLoss: Double(last?.outerLoss ?? .nan),
            metaGradientNorm: etaGradient.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
    }
}

/// Process memory figures from `/proc/self/status`, in KiB.
enum ProcessMemory {
    /// A `Vm…` line of `/proc/self/status` in KiB (Linux), nil elsewhere.
    static func status(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
        }
        return nil
    }

    /// Resets `VmHWM` to the current RSS (Linux ≥ 4.0: write 5 to `/proc/self/clear_refs`).
    static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }
}
