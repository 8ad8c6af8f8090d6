import Foundation
import MetaLearning
import Models
import ShardIO
import Tensor

/// `datarater score RUN [--model DIR] [--workers N]`: every document's DataRater score.
///
/// Per document shard: `scores/NNNNN.jsonl.zst` (Dolma attribute lines, same order as the documents) and
/// `scores/NNNNN.sketch.json` (quantile summaries for `threshold`). The scorer's identity — the checkpoint's
/// sha256, the tokenizer's sha256 and the hash of the scoring settings — is in the stage configuration,
/// so it is in the manifest and in the config hash of every shard's completion record: another model or
/// tokenizer rescores every shard.
public enum ScoreStage {
    public static let name = "score"

    public struct Options: Sendable {
        public var modelDirectory: String?
        public var workers = 1
        public var rank: Int?
        public var worldSize: Int?
        public static let defaultBatchRows = DataRaterScorer.defaultBatchRows
        public var batchRows = defaultBatchRows
        public var compressionLevel: Int32 = 3
        public init() {}
    }

    static func load(_ run: RunDirectory, options: Options) throws -> (ShardedStage, DataRaterScorer, String) {
        let directory = options.modelDirectory ?? TrainStage.modelDirectory(run)
        let loaded: (config: DataRaterModelConfig, layout: ParameterLayout, parameters: [Float])
        do {
            loaded = try Checkpoint.load(directory: directory, as: Float.self) { (config: DataRaterModelConfig) in
                try DataRaterEncoder<Float>(config: config.model).layout
            }
        } catch {
            throw CurationError(.badArguments, "cannot load the DataRater from \(directory): \(error)",
                                hint: "train one with `datarater train \(run.root)`, or pass --model DIR holding datarater.safetensors and datarater.json")
        }
        let manifest = try Manifest.load(run)
        guard let tokenize = manifest.stages[TokenizeStage.name], tokenize.status == .complete else {
            throw CurationError(.stageNotRun, "\(run.root): the tokenize stage has not completed", hint: "run `datarater tokenize \(run.root)` first")
        }
        let tokenizerSHA = tokenize.configuration["tokenizer_sha256"] ?? ""
        guard loaded.config.tokenizerSHA256 == tokenizerSHA else {
            throw CurationError(.badArguments,
                "the DataRater in \(directory) reads ids of tokenizer \(loaded.config.tokenizerSHA256.prefix(12))…, this run was tokenized with \(tokenizerSHA.prefix(12))…",
                hint: "tokenize the run with the DataRater's tokenizer (`datarater tokenize \(run.root) --tokenizer PATH`)")
        }
        let weights = Checkpoint.weightsPath(directory: directory)
        let (weightsSHA, weightsBytes) = try Checksum.file(weights)
        let scoring = StageConfiguration(["batch_rows": String(options.batchRows), "chunk_length": String(loaded.config.chunking.chunkLength),
                                          "max_chunks": String(loaded.config.chunking.maxChunks), "aggregate": "mean"])
        let configuration = StageConfiguration([
            "checkpoint_sha256": weightsSHA, "tokenizer_sha256": tokenizerSHA, "scoring_config_hash": scoring.hash,
            "compression_level": String(options.compressionLevel), "format_version": "1",
        ].merging(scoring.values) { a, _ in a })
        let tokens = try ShardVerification.verifiedOutputs(of: TokenizeStage.name, prefix: "tokens/", in: run)
        let stage = ShardedStage(name: name, run: run, configuration: configuration,
                                 dependencies: [InputRecord(path: weights, bytes: weightsBytes, sha256: weightsSHA)],
                                 shardInputs: { index in index < tokens.count ? [tokens[index]] : [] })
        let scorer = try DataRaterScorer(config: loaded.config.model, parameters: loaded.parameters, rule: loaded.config.chunking,
                                         batchRows: options.batchRows)
        return (stage, scorer, directory)
    }

    @discardableResult
    public static func run(_ run: RunDirectory, options: Options, command: [String]) throws -> StageRecord? {
        let (stage, scorer, directory) = try load(run, options: options)
        let process = { (index: Int, _: ShardSummary) throws -> (outputs: [ShardSummary], counts: [String: Int]) in
            try scoreShard(index, run: run, scorer: scorer, level: options.compressionLevel)
        }
        let arguments = [name, run.root, "--model", directory, "--batch-rows", String(options.batchRows)]
        return try stage.execute(workers: options.workers, rank: options.rank, worldSize: options.worldSize,
                                 workerArguments: arguments, command: command, process: process)
    }

    /// Scores one shard: documents are read in blocks of 256, their token records alongside.
    static func scoreShard(_ index: Int, run: RunDirectory, scorer: DataRaterScorer, level: Int32) throws
        -> (outputs: [ShardSummary], counts: [String: Int]) {
        let writer = try ScoreShardWriter(run: run, index: index, level: level)
        var docs = try JSONLShardReader(path: run.docsShard(index))
        var tokens = try TokenShardReader(path: run.tokenShard(index))
        var pending: [(id: String, source: String, characters: Int)] = []
        var pendingTokens: [[Int32]] = []
        var documents = 0, scoredTokens = 0
        func flush() throws {
            let scores = try scorer.score(documents: pendingTokens)
            for (document, score) in zip(pending, scores) {
                try writer.append(id: document.id, source: document.source, characters: document.characters, score: score)
            }
            pending.removeAll(keepingCapacity: true)
            pendingTokens.removeAll(keepingCapacity: true)
        }
        while let document = try docs.next({ try Document(jsonLine: $0) }) {
            guard let record = try tokens.next(), record.id == document.id else {
                throw CurationError(.shardMismatch, "\(run.tokenShard(index)) is not aligned with \(run.docsShard(index)) at document \(document.id)",
                                    hint: "rerun `datarater tokenize \(run.root)`")
            }
            pending.append((document.id, document.source, document.text.unicodeScalars.count))
            pendingTokens.append(record.tokens.map { Int32(bitPattern: $0) })
            documents += 1
            scoredTokens += min(record.tokens.count, scorer.rule.chunkLength * scorer.rule.maxChunks)
            if pending.count == 256 { try flush() }
        }
        try flush()
        if try tokens.next() != nil {
            throw CurationError(.shardMismatch, "\(run.tokenShard(index)) has more records than \(run.docsShard(index))", hint: "rerun `datarater tokenize \(run.root)`")
        }
        return (try writer.finish(), ["documents": documents, "scored_tokens": scoredTokens])
    }
}
