import Foundation
import MetaLearning
import Models
import ShardIO
import Tensor

/// The DataRater(s) `score` runs: one checkpoint, whose scores are written as they are, or several
/// (`datarater score RUN --model A --model B ...`), whose scores are standardized and averaged.
///
/// Two DataRaters meta-trained with one configuration but different seeds (or on different CPUs) can keep
/// noticeably different sets: the spread between them is as large as a DataRater's lead over no filtering
/// (EVAL.md). Averaging several cancels part of that noise. Each member's scores are standardized with its
/// own mean and standard deviation on a calibration sample of the run (the documents whose salted id hash
/// falls in the lowest `calibrationDocuments / documents` of the range, so the sample does not depend on the
/// shard layout or the worker count), so that a member with a wider score range does not outvote the others.
/// The sample's statistics are part of the stage configuration: every worker computes the same numbers. Each
/// worker reads every token shard once to draw the sample, which costs little next to scoring them.
public struct RaterEnsemble {
    public struct Member {
        public var directory: String
        public var config: DataRaterModelConfig
        public var scorer: DataRaterScorer
        public var weights: InputRecord
        /// Mean and standard deviation of the member's scores on the calibration sample (0 and 1 alone).
        public var mean: Float = 0
        public var deviation: Float = 1
    }

    public private(set) var members: [Member]
    /// Documents in the calibration sample (0 for a single DataRater).
    public private(set) var calibrationDocuments = 0
    public static let defaultCalibrationDocuments = 2048

    /// Loads every checkpoint in `directories`; they must read the run's tokenizer's ids.
    public init(directories: [String], run: RunDirectory, tokenizerSHA: String, batchRows: Int) throws {
        precondition(!directories.isEmpty)
        guard Set(directories).count == directories.count else {
            throw CurationError(.badArguments, "the same DataRater is named twice in --model \(directories.joined(separator: " "))",
                                hint: "name each checkpoint directory once")
        }
        members = try directories.map { directory in
            let loaded: (config: DataRaterModelConfig, layout: ParameterLayout, parameters: [Float])
            do {
                loaded = try Checkpoint.load(directory: directory, as: Float.self) { (config: DataRaterModelConfig) in
                    try DataRaterEncoder<Float>(config: config.model).layout
                }
            } catch {
                throw CurationError(.badArguments, "cannot load the DataRater from \(directory): \(error)",
                                    hint: "train one with `datarater train \(run.root)`, or pass --model DIR holding datarater.safetensors and datarater.json")
            }
            guard loaded.config.tokenizerSHA256 == tokenizerSHA else {
                throw CurationError(.badArguments,
                    "the DataRater in \(directory) reads ids of tokenizer \(loaded.config.tokenizerSHA256.prefix(12))…, this run was tokenized with \(tokenizerSHA.prefix(12))…",
                    hint: "tokenize the run with the DataRater's tokenizer (`datarater tokenize \(run.root) --tokenizer PATH`)")
            }
            let path = Checkpoint.weightsPath(directory: directory)
            let (sha, bytes) = try Checksum.file(path)
            let scorer = try DataRaterScorer(config: loaded.config.model, parameters: loaded.parameters, rule: loaded.config.chunking,
                                             batchRows: batchRows)
            return Member(directory: directory, config: loaded.config, scorer: scorer, weights: InputRecord(path: path, bytes: bytes, sha256: sha))
        }
        guard Set(members.map(\.weights.sha256)).count == members.count else {
            throw CurationError(.badArguments, "two of the DataRaters given with --model are the same checkpoint",
                                hint: "an ensemble needs different DataRaters (e.g. meta-trained with different --seed)")
        }
    }

    /// Standardizes every member on the calibration sample of `tokenShards` (no-op for a single DataRater).
    public mutating func calibrate(run: RunDirectory, tokenShards: [ShardSummary], documents: Int,
                                   sampleSize: Int = defaultCalibrationDocuments) throws {
        guard members.count > 1 else { return }
        let fraction = min(1, Double(sampleSize) / Double(max(1, documents)))
        var sample: [[Int32]] = []
        for shard in tokenShards {
            var reader = try TokenShardReader(path: run.path(shard.path))
            while let record = try reader.next() {
                if Self.inCalibrationSample(record.id, fraction: fraction) { sample.append(record.tokens.map { Int32(bitPattern: $0) }) }
            }
        }
        guard sample.count >= 2 else {
            throw CurationError(.stageFailed, "\(run.root): \(sample.count) document(s) in the calibration sample, too few to standardize an ensemble",
                                hint: "score a larger run, or score with one DataRater (--model once)")
        }
        for m in members.indices {
            let scores = try members[m].scorer.score(documents: sample).map(Double.init)
            let mean = scores.reduce(0, +) / Double(scores.count)
            let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count - 1)
            guard variance.squareRoot() > 1e-12 else {
                throw CurationError(.stageFailed, "the DataRater in \(members[m].directory) gives every calibration document the same score",
                                    hint: "leave it out of the ensemble: it cannot rank documents")
            }
            // Rounded to 5 significant digits, and used as rounded: workers on CPUs whose BLAS kernels round
            // differently then still agree on the configuration (and its hash) unless a digit flips.
            members[m].mean = Self.rounded(mean)
            members[m].deviation = Self.rounded(variance.squareRoot())
        }
        calibrationDocuments = sample.count
    }

    static func rounded(_ x: Double) -> Float {
        Float(String(format: "%.5g", x))!
    }

    /// Whether a document is in the calibration sample: its id hashed with a salt (unrelated to the splits).
    static func inCalibrationSample(_ id: String, fraction: Double) -> Bool {
        Double(SplitRule.hash("calibration\u{0}" + id) >> 11) / Double(1 << 53) < fraction
    }

    /// One score per document: the member's own score, or the mean of the members' standardized scores.
    public func score(documents: [[Int32]]) throws -> [Float] {
        if members.count == 1 { return try members[0].scorer.score(documents: documents) }
        var sums = [Float](repeating: 0, count: documents.count)
        for member in members {
            let scores = try member.scorer.score(documents: documents)
            for i in sums.indices { sums[i] += (scores[i] - member.mean) / member.deviation }
        }
        let n = Float(members.count)
        return sums.map { $0 / n }
    }

    /// Tokens the members read of a document of `count` tokens (summed over members).
    public func scoredTokens(_ count: Int) -> Int {
        members.reduce(0) { $0 + min(count, $1.scorer.rule.chunkLength * $1.scorer.rule.maxChunks) }
    }

    /// The scorer's identity for the stage configuration. A single DataRater keeps the keys it always had.
    public func configuration(batchRows: Int) -> [String: String] {
        let first = members[0].config.chunking
        var scoring = ["batch_rows": String(batchRows), "chunk_length": String(first.chunkLength),
                       "max_chunks": String(first.maxChunks), "aggregate": "mean"]
        var values = ["checkpoint_sha256": members[0].weights.sha256]
        if members.count > 1 {
            scoring["chunk_length"] = members.map { String($0.config.chunking.chunkLength) }.joined(separator: ",")
            scoring["max_chunks"] = members.map { String($0.config.chunking.maxChunks) }.joined(separator: ",")
            scoring["ensemble"] = "mean of standardized scores"
            scoring["calibration_documents"] = String(calibrationDocuments)
            scoring["calibration"] = members.map { "\($0.mean)/\($0.deviation)" }.joined(separator: ",")
            values["checkpoint_sha256"] = members.map(\.weights.sha256).joined(separator: ",")
        }
        values["scoring_config_hash"] = StageConfiguration(scoring).hash
        return values.merging(scoring) { a, _ in a }
    }
}
