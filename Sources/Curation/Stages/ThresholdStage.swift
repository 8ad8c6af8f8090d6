import Foundation
import ShardIO

/// `threshold.json`: the decision rule the `write` stage applies.
public struct Threshold: Codable, Sendable {
    public enum Rule: String, Codable, Sendable {
        /// Discard every document whose score is below the cutoff (the corpus-level top (1−ρ)).
        case quantile
        /// The paper's online rule made per-document: keep a document with the probability that it is in the
        /// top K = B(1−ρ) of a random batch of B, given its quantile p (the fraction of the corpus scoring
        /// lower): P = Σ_{s<K} C(B−1, s) (1−p)^s p^(B−1−s). The draw is a hash of the id, so it is deterministic.
        case batchTopK = "batch-top-k"
    }

    public struct Group: Codable, Sendable {
        public var documents: Int
        public var cutoff: Float
        public var discardFractionEstimated: Double
    }

    public var rule: Rule
    public var discardFractionRequested: Double
    public var batchSize: Int?
    public var perSource: Bool
    public var documents: Int
    /// The overall cutoff (for `quantile` without `perSource`); the per-source ones are in `groups`.
    public var cutoff: Float
    public var discardFractionEstimated: Double
    /// The largest rank error of the merged summaries, as a fraction of the documents.
    public var rankErrorBound: Double
    public var groups: [String: Group]
    /// Score at quantile i/(n−1), i = 0…n−1: the `write` stage turns a score into its quantile with it.
    public var quantileTable: [Float]
    /// The scorer whose scores this threshold was computed on.
    public var scorer: [String: String]

    /// The quantile (fraction of the corpus scoring lower) of `score`, by interpolation in the table.
    public func quantile(of score: Float) -> Double {
        let table = quantileTable
        guard table.count > 1 else { return 0.5 }
        if score <= table[0] { return 0 }
        if score >= table[table.count - 1] { return 1 }
        var lo = 0, hi = table.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if table[mid] <= score { lo = mid } else { hi = mid }
        }
        let span = table[hi] - table[lo]
        let within = span > 0 ? Double((score - table[lo]) / span) : 0
        return (Double(lo) + within) / Double(table.count - 1)
    }

    /// Probability of being kept under `batchTopK` for a document at quantile `p`.
    public static func batchKeepProbability(quantile p: Double, batchSize b: Int, keep k: Int) -> Double {
        // Σ_{s<K} C(B−1, s) q^s p^(B−1−s), q = 1 − p, computed in log space for stability.
        let q = 1 - p
        let n = b - 1
        if k >= b { return 1 }
        if k <= 0 { return 0 }
        var total = 0.0
        for s in 0..<k {
            let logC = lgamma(Double(n + 1)) - lgamma(Double(s + 1)) - lgamma(Double(n - s + 1))
            let term: Double
            if (s > 0 && q == 0) || (n - s > 0 && p == 0) {
                term = 0
            } else {
                term = exp(logC + (s > 0 ? Double(s) * log(q) : 0) + (n - s > 0 ? Double(n - s) * log(p) : 0))
            }
            total += term
        }
        return min(1, max(0, total))
    }

    /// Whether the document is kept, and why not if it is not.
    public func decide(id: String, source: String, score: Float) -> (keep: Bool, cutoff: Float, quantile: Double, reason: String?) {
        let p = quantile(of: score)
        switch rule {
        case .quantile:
            let cutoff = perSource ? (groups[source]?.cutoff ?? self.cutoff) : self.cutoff
            if score < cutoff {
                let scope = perSource ? "the \(source) cutoff" : "the cutoff"
                return (false, cutoff, p, "score \(score) below \(scope) \(cutoff) (discarding \(Self.percent(discardFractionRequested)) lowest-scored)")
            }
            return (true, cutoff, p, nil)
        case .batchTopK:
            let b = batchSize ?? 128
            let k = Int((Double(b) * (1 - discardFractionRequested)).rounded())
            let probability = Self.batchKeepProbability(quantile: p, batchSize: b, keep: k)
            let draw = Double(UInt64(Checksum.of("batch-top-k\u{0}" + id).prefix(13), radix: 16) ?? 0) / Double(1 << 52)
            if draw >= probability {
                return (false, cutoff, p, String(format: "not in the top %d of a batch of %d: quantile %.4f keeps with probability %.4f, draw %.4f", k, b, p, probability, draw))
            }
            return (true, cutoff, p, nil)
        }
    }

    static func percent(_ x: Double) -> String { String(format: "%.4g%%", x * 100) }
}

/// `datarater threshold RUN --discard F`: merges every score shard's sketch into `RUN/threshold.json`.
public enum ThresholdStage {
    public static let name = "threshold"

    public struct Options: Sendable {
        public var discardFraction: Double
        public var perSource = false
        public var rule: Threshold.Rule = .quantile
        public var batchSize = 128
        public init(discardFraction: Double) { self.discardFraction = discardFraction }
    }

    @discardableResult
    public static func run(_ run: RunDirectory, options: Options, command: [String]) throws -> Threshold {
        guard (0..<1).contains(options.discardFraction) else {
            throw CurationError(.badArguments, "--discard must be in [0, 1), got \(options.discardFraction)")
        }
        let started = Clock.now()
        let outputs = try ShardVerification.verifiedOutputs(of: "score", prefix: "scores/", in: run)
        let sketchOutputs = outputs.filter { $0.path.hasSuffix(".sketch.json") }
        var sketches: [ScoreSketch] = []
        for output in sketchOutputs {
            guard let sketch = try JSONFiles.read(ScoreSketch.self, from: run.path(output.path)) else {
                throw CurationError(.shardMismatch, "\(run.path(output.path)): missing", hint: "rerun `datarater score \(run.root)`")
            }
            sketches.append(sketch)
        }
        let merged = MergedQuantiles(sketches.map(\.overall))
        guard merged.count > 0 else {
            throw CurationError(.stageNotRun, "\(run.root): no scored documents", hint: "run `datarater score \(run.root)` first")
        }
        var groups: [String: Threshold.Group] = [:]
        let sources = Set(sketches.flatMap { $0.perSource.keys }).sorted()
        var worstError = merged.rankErrorBound
        for source in sources {
            let parts = MergedQuantiles(sketches.compactMap { $0.perSource[source] })
            let cutoff = parts.cutoff(discarding: options.discardFraction)
            groups[source] = .init(documents: parts.count, cutoff: cutoff, discardFractionEstimated: parts.quantile(of: cutoff))
            worstError = max(worstError, parts.rankErrorBound)
        }
        let cutoff = merged.cutoff(discarding: options.discardFraction)
        let tableSize = 4097
        var table: [Float] = []
        for i in 0..<tableSize { table.append(merged.cutoff(discarding: Double(i) / Double(tableSize - 1))) }
        for i in 1..<table.count where table[i] < table[i - 1] { table[i] = table[i - 1] }
        var estimated = merged.quantile(of: cutoff)
        if options.perSource {
            estimated = groups.values.reduce(0.0) { $0 + $1.discardFractionEstimated * Double($1.documents) } / Double(merged.count)
        }
        if options.rule == .batchTopK { estimated = options.discardFraction }
        let scorer = try Manifest.load(run).stages["score"]?.configuration ?? [:]
        let threshold = Threshold(
            rule: options.rule, discardFractionRequested: options.discardFraction,
            batchSize: options.rule == .batchTopK ? options.batchSize : nil, perSource: options.perSource,
            documents: merged.count, cutoff: cutoff, discardFractionEstimated: estimated, rankErrorBound: worstError,
            groups: groups, quantileTable: table, scorer: scorer)
        try JSONFiles.write(threshold, to: run.thresholdPath)
        FaultInjection.point(name, "before-done", shard: 0)
        let (sha, bytes) = try Checksum.file(run.thresholdPath)
        let configuration = StageConfiguration([
            "discard": String(options.discardFraction), "per_source": String(options.perSource),
            "rule": options.rule.rawValue, "batch_size": String(options.batchSize),
        ])
        let record = StageRecord(
            stage: name, status: .complete, command: command, configuration: configuration.values,
            configHash: configuration.hash, code: .current, host: Clock.host, pid: getpid(), startedAt: started,
            finishedAt: Clock.now(), inputs: sketchOutputs.map { InputRecord(path: $0.path, bytes: $0.bytes, sha256: $0.sha256) },
            outputs: [ShardSummary(path: "threshold.json", bytes: bytes, sha256: sha, records: 1)],
            counts: ["documents": merged.count, "sources": sources.count], errors: [])
        try Manifest.update(run) { manifest in
            manifest.stages[name] = record
            manifest.history.append(.init(stage: name, status: .complete, startedAt: started, finishedAt: Clock.now(),
                                          host: Clock.host, pid: getpid()))
        }
        return threshold
    }
}
