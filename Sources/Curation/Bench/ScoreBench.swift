import Foundation
import Models
import Tensor

/// `datarater bench score`: the DataRater's scoring speed on one BLAS thread as a fraction of the sgemm peak
/// measured in the same run, then the `score` stage on a run with 1 and with 2 worker processes, and the
/// `write` stage's MB/s.
public enum ScoreBench {
    public static func run(runDirectory: String?, dModel: Int, layers: Int, context: Int, batchRows: Int = 8, steps: Int = 10) throws -> String {
        BLASThreads.set(1)
        var lines: [String] = []
        let config = LMConfig(vocabSize: 4096, dModel: dModel, nLayers: layers, nHeads: 4, contextLength: context)
        // Five interleaved rounds of both measurements. The headline is the fastest call of each (on a
        // shared machine that is the kernel's own speed); the mean calls, which include the neighbours'
        // interference, are printed beside it.
        var peak = (best: 0.0, meanSum: 0.0), scoring = (best: 0.0, meanSum: 0.0)
        let rounds = 5
        for _ in 0..<rounds {
            let p = LMBenchmark.sgemmRates(m: 1024, n: 1024, k: 1024, seconds: 0.1)
            peak = (max(peak.best, p.best), peak.meanSum + p.mean)
            let s = try LMBenchmark.encoderScoring(config: config, batchSize: batchRows, steps: max(1, steps / rounds))
            scoring = (max(scoring.best, s.best), scoring.meanSum + s.mean)
        }
        // Forward FLOPs per token: 2·(12 d²) per layer for the projections and MLP, plus 2·2·n·d for QKᵀ and PV.
        let d = Double(dModel), n = Double(context)
        let flopsPerToken = Double(layers) * (24 * d * d + 4 * n * d)
        let gflops = scoring.best * flopsPerToken / 1e9
        let meanGFLOPS = scoring.meanSum / Double(rounds) * flopsPerToken / 1e9, meanPeak = peak.meanSum / Double(rounds)
        lines.append(String(format: "DataRater d %d × %d layers, chunks of %d, batches of %d, one thread: %.0f tokens/s, %.1f GFLOP/s = %.1f%% of the sgemm peak (%.1f GFLOP/s at 1024³), fastest calls of 5 interleaved rounds",
                            dModel, layers, context, batchRows, scoring.best, gflops, 100 * gflops / peak.best, peak.best))
        lines.append(String(format: "  mean calls: %.0f tokens/s, %.1f GFLOP/s = %.1f%% of the mean sgemm rate (%.1f GFLOP/s)",
                            scoring.meanSum / Double(rounds), meanGFLOPS, 100 * meanGFLOPS / meanPeak, meanPeak))
        guard let runDirectory else { return lines.joined(separator: "\n") }
        let run = RunDirectory(runDirectory)
        var times: [Int: Double] = [:]
        for workers in [1, 2] {
            let copy = RunDirectory(runDirectory + ".bench-\(workers)")
            try? FileManager.default.removeItem(atPath: copy.root)
            try FileManager.default.copyItem(atPath: run.root, toPath: copy.root)
            for stale in ["scores", "_done/score", "_done/write", "kept", "discarded", "threshold.json"] {
                try? FileManager.default.removeItem(atPath: copy.path(stale))
            }
            let start = Date()
            var options = ScoreStage.Options()
            options.workers = workers
            options.batchRows = batchRows
            let record = try ScoreStage.run(copy, options: options, command: ["bench"])
            times[workers] = Date().timeIntervalSince(start)
            let tokens = Double(record?.counts["scored_tokens"] ?? 0)
            lines.append(String(format: "score stage, %d worker(s): %.2f s, %.0f scored tokens/s", workers, times[workers]!, tokens / times[workers]!))
            if workers == 2 {
                try ThresholdStage.run(copy, options: .init(discardFraction: 0.5), command: ["bench"])
                let start = Date()
                let written = try WriteStage.run(copy, options: .init(), command: ["bench"])
                let seconds = Date().timeIntervalSince(start)
                let bytes = Double(try Manifest.load(copy).stages["shard"]?.counts["text_bytes"] ?? 0)
                lines.append(String(format: "write stage: %.2f s for %d documents, %.1f MB/s of text", seconds, written?.counts["scored"] ?? 0, bytes / 1e6 / seconds))
            }
            try? FileManager.default.removeItem(atPath: copy.root)
        }
        lines.append(String(format: "2 workers ÷ 1 worker: %.2f×", times[1]! / times[2]!))
        return lines.joined(separator: "\n")
    }
}
