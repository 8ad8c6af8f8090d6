import Tensor

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `LMBenchmark.run` measured, all in one run so the ratios hold on a loaded machine.
public struct LMBenchmarkReport: Sendable, CustomStringConvertible {
    public var config: LMConfig
    public var batchSize: Int
    /// Positions per row (`context_length`; rows hold one more token for the last target).
    public var positions: Int
    public var steps: Int
    public var blasThreads: Int
    /// Mean thread CPU time of one training step (forward + backward + optimizer hook); all
    /// timings below are thread CPU time unless named wall.
    public var secondsPerStep: Double
    public var wallSecondsPerStep: Double
    public var tokensPerSecond: Double
    /// FLOPs of the gemms one training step executes (forward + backward, full attention blocks).
    public var matmulFLOPsPerStep: Double
    public var achievedGFLOPS: Double
    /// `sgemm` on 1024³, the peak reference.
    public var sgemmPeakGFLOPS: Double
    /// `sgemm` on the model's largest shape `[B·T, d] × [d, 4d]`.
    public var sgemmModelShapeGFLOPS: Double
    public var fractionOfPeak: Double { achievedGFLOPS / sgemmPeakGFLOPS }
    public var gradientSeconds: Double
    public var hvpSeconds: Double
    public var hvpOverGradient: Double { hvpSeconds / gradientSeconds }

    public var description: String {
        func f(_ x: Double, _ digits: Int = 1) -> String {
            let p = (0..<digits).reduce(1.0) { v, _ in v * 10 }
            return String(Double((x * p).rounded()) / p)
        }
        return """
            LM d=\(config.dModel) L=\(config.nLayers) H=\(config.nHeads) V=\(config.vocabSize) batch \(batchSize)×\(positions), \
            \(blasThreads) BLAS thread(s), \(steps) steps
              train: \(f(secondsPerStep * 1000)) ms/step (wall \(f(wallSecondsPerStep * 1000))), \(f(tokensPerSecond, 0)) tokens/s, \(f(achievedGFLOPS)) GFLOP/s in gemms' FLOPs
              sgemm: \(f(sgemmPeakGFLOPS)) GFLOP/s at 1024³, \(f(sgemmModelShapeGFLOPS)) at the model's MLP shape
              fraction of sgemm peak: \(f(fractionOfPeak * 100))%
              HVP + alignments (no gradient): \(f(hvpSeconds * 1000)) ms vs gradient \(f(gradientSeconds * 1000)) ms = \(f(hvpOverGradient, 2))×
            """
    }
}

/// Training-throughput benchmark of the causal LM against the machine's own `sgemm` peak.
public enum LMBenchmark {
    /// Runs `warmup + steps` training steps on random tokens and times one HVP against one gradient.
    ///
    /// `optimizerStep(parameters, gradient)` is called after every gradient (plug AdamW in here);
    /// nil means no update. Set `BLASThreads` before calling; the report records the count.
    public static func run(
        config: LMConfig, batchSize: Int, steps: Int, warmup: Int = 2, seed: UInt64 = 0,
        optimizerStep: ((inout [Float], [Float]) -> Void)? = nil
    ) throws(ModelError) -> LMBenchmarkReport {
        let model = try CausalLM<Float>(config: config)
        var theta = [Float]()
        model.initialize(parameters: &theta, seed: seed)
        let T = config.contextLength, B = batchSize
        var rng = SplitMix64(seed: seed &+ 1)
        let tokens = (0..<(B * (T + 1))).map { _ in Int32(truncatingIfNeeded: rng.next() % UInt64(config.vocabSize)) }
        let batch = try TokenBatch(tokens: tokens, lengths: Array(repeating: T + 1, count: B), sequenceLength: T + 1)
        var gradient = [Float](repeating: 0, count: theta.count)

        let peak = sgemmGFLOPS(m: 1024, n: 1024, k: 1024, seconds: 0.5)
        let shape = sgemmGFLOPS(m: B * T, n: 4 * config.dModel, k: config.dModel, seconds: 0.3)

        for _ in 0..<warmup {
            _ = try model.lossAndGradient(parameters: theta, batch: batch, gradient: &gradient)
            optimizerStep?(&theta, gradient)
        }
        let start = BenchClock.threadCPU(), wallStart = BenchClock.wall()
        for _ in 0..<steps {
            _ = try model.lossAndGradient(parameters: theta, batch: batch, gradient: &gradient)
            optimizerStep?(&theta, gradient)
        }
        let perStep = (BenchClock.threadCPU() - start) / Double(max(steps, 1))
        let wallPerStep = (BenchClock.wall() - wallStart) / Double(max(steps, 1))

        // One gradient vs one HVP, each the best of three.
        var v = [Float](repeating: 0, count: theta.count)
        v.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, $0.count, std: 1) }
        var hv = [Float](), align = [Float]()
        _ = try model.hessianVectorProduct(parameters: theta, direction: v, batch: batch, hvp: &hv, alignments: &align)
        var grad = Double.infinity, hvp = Double.infinity
        for _ in 0..<3 {
            var t = BenchClock.threadCPU()
            _ = try model.lossAndGradient(parameters: theta, batch: batch, gradient: &gradient)
            grad = min(grad, BenchClock.threadCPU() - t)
            t = BenchClock.threadCPU()
            _ = try model.hessianVectorProduct(parameters: theta, direction: v, batch: batch, hvp: &hv, alignments: &align)
            hvp = min(hvp, BenchClock.threadCPU() - t)
        }

        let flops = matmulFLOPsPerStep(config: config, batchSize: B, queryBlock: model.attentionQueryBlock)
        return LMBenchmarkReport(
            config: config, batchSize: B, positions: T, steps: steps, blasThreads: BLASThreads.current,
            secondsPerStep: perStep, wallSecondsPerStep: wallPerStep, tokensPerSecond: Double(B * T) / perStep, matmulFLOPsPerStep: flops,
            achievedGFLOPS: flops / perStep / 1e9, sgemmPeakGFLOPS: peak, sgemmModelShapeGFLOPS: shape,
            gradientSeconds: grad, hvpSeconds: hvp)
    }

    /// FLOPs of the gemms one forward + backward step executes on full rows (backward = 2 ×
    /// forward): forward `L(24·N·d² + A) + 2·N·d·V` with `N = B·T` and `A` the attention gemms
    /// actually run (`4·B·T²·d` for full blocks, about 5/8 of it with 4 causal query blocks).
    public static func matmulFLOPsPerStep(config c: LMConfig, batchSize: Int, queryBlock: Int = 64) -> Double {
        let T = c.contextLength, B = Double(batchSize), d = Double(c.dModel)
        let N = B * Double(T)
        let shape = AttentionShape(batch: 1, seq: T, heads: c.nHeads, headDim: c.headDim, causal: true, queryBlock: queryBlock)
        let attention = B * shape.forwardFLOPs(lengths: [T])
        let forward = Double(c.nLayers) * (24 * N * d * d + attention) + 2 * N * d * Double(c.vocabSize)
        return 3 * forward
    }

    /// `sgemm` throughput on `[m, k] × [k, n]`, repeated for about `seconds`: the fastest call's GFLOP/s.
    public static func sgemmGFLOPS(m: Int, n: Int, k: Int, seconds: Double) -> Double {
        sgemmRates(m: m, n: n, k: k, seconds: seconds).best
    }

    /// `sgemm` GFLOP/s of the fastest and of the mean call over about `seconds`.
    public static func sgemmRates(m: Int, n: Int, k: Int, seconds: Double) -> (best: Double, mean: Double) {
        var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        var rng = SplitMix64(seed: 3)
        a.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, $0.count, std: 1) }
        b.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, $0.count, std: 1) }
        func once() {
            Float.gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                       beta: 0, c: &c, ldc: n)
        }
        once()
        var reps = 0
        var best = Double.infinity
        let start = BenchClock.threadCPU()
        while BenchClock.threadCPU() - start < seconds || reps < 3 {
            let t = BenchClock.threadCPU()
            once()
            best = min(best, BenchClock.threadCPU() - t)
            reps += 1
        }
        let flops = 2 * Double(m) * Double(n) * Double(k)
        return (flops / best / 1e9, flops * Double(reps) / (BenchClock.threadCPU() - start) / 1e9)
    }
}

/// The benchmarks' clocks, in seconds.
public enum BenchClock {
    /// Monotonic wall time.
    public static func wall() -> Double { seconds(CLOCK_MONOTONIC) }

    /// CPU time of the calling thread: with one BLAS thread all work runs here, and time spent
    /// descheduled on a shared machine is not counted (wall time is reported beside it).
    public static func threadCPU() -> Double { seconds(CLOCK_THREAD_CPUTIME_ID) }

    private static func seconds(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

extension LMBenchmark {
    /// Scoring throughput of the DataRater encoder (forward only) on full random rows, in thread CPU
    /// time over `steps` calls: `(tokens per second of the fastest call, of the mean call)`. On a shared
    /// machine the fastest call is the kernel's own speed, the mean includes the neighbours.
    public static func encoderScoring(
        config: LMConfig, batchSize: Int, steps: Int, seed: UInt64 = 0
    ) throws(ModelError) -> (best: Double, mean: Double) {
        let model = try DataRaterEncoder<Float>(config: config)
        var theta = [Float]()
        model.initialize(parameters: &theta, seed: seed)
        let T = config.contextLength, B = batchSize
        var rng = SplitMix64(seed: seed &+ 2)
        let tokens = (0..<(B * T)).map { _ in Int32(truncatingIfNeeded: rng.next() % UInt64(config.vocabSize)) }
        let batch = try TokenBatch(tokens: tokens, lengths: Array(repeating: T, count: B), sequenceLength: T)
        _ = try model.scores(parameters: theta, batch: batch)
        var fastest = Double.infinity, total = 0.0
        for _ in 0..<max(steps, 1) {
            let start = BenchClock.threadCPU()
            _ = try model.scores(parameters: theta, batch: batch)
            let seconds = BenchClock.threadCPU() - start
            fastest = min(fastest, seconds)
            total += seconds
        }
        return (Double(B * T) / fastest, Double(B * T * max(steps, 1)) / total)
    }
}
