import Foundation
import MetaLearning
import Models
import ShardIO
import Tensor

/// `datarater score RUN [--model DIR ...] [--workers N]`: every document's DataRater score.
///
/// Per document shard: `scores/NNNNN.jsonl.zst` (Dolma attribute lines, same order as the documents) and
/// `scores/NNNNN.sketch.json` (quantile summaries for `threshold`). The scorer's identity — the checkpoint's
/// sha256, the tokenizer's sha256 and the hash of the scoring settings — is in the stage configuration,
/// so it is in the manifest and in the config hash of every shard's completion record: another model or
/// tokenizer rescores every shard.
public enum ScoreStage {
    public static let name = "score"

    public struct Options: Sendable {
        /// Checkpoint directories (default RUN/model); several score as an ensemble (`RaterEnsemble`).
        public var modelDirectories: [String] = []
        public var workers = 1
        public var rank: Int?
        public var worldSize: Int?
        public static let defaultBatchRows = DataRaterScorer.defaultBatchRows
        public var batchRows = defaultBatchRows
        public var compressionLevel: Int32 = 3
        public init() {}
    }

    static func load(_ run: RunDirectory, options: Options) throws -> (ShardedStage, RaterEnsemble, [String]) {
        // Absolute, so that the workers and `eval` (which reads the checkpoints' shapes from the manifest) find them.
        let directories = (options.modelDirectories.isEmpty ? [TrainStage.modelDirectory(run)] : options.modelDirectories).map { directory in
            directory.hasPrefix("/") ? directory : FileIO.join(FileManager.default.currentDirectoryPath, directory)
        }
        let manifest = try Manifest.load(run)
        guard let tokenize = manifest.stages[TokenizeStage.name], tokenize.status == .complete else {
            throw CurationError(.stageNotRun, "\(run.root): the tokenize stage has not completed", hint: "run `datarater tokenize \(run.root)` first")
        }
        let tokenizerSHA = tokenize.configuration["tokenizer_sha256"] ?? ""
        var ensemble = try RaterEnsemble(directories: directories, run: run, tokenizerSHA: tokenizerSHA, batchRows: options.batchRows)
        let tokens = try ShardVerification.verifiedOutputs(of: TokenizeStage.name, prefix: "tokens/", in: run)
        try ensemble.calibrate(run: run, tokenShards: tokens, documents: tokenize.counts["documents"] ?? 0)
        let configuration = StageConfiguration(ensemble.configuration(batchRows: options.batchRows).merging([
            "tokenizer_sha256": tokenizerSHA, "compression_level": String(options.compressionLevel), "format_version": "1",
        ]) { a, _ in a })
        let stage = ShardedStage(name: name, run: run, configuration: configuration,
                                 dependencies: ensemble.members.map(\.weights),
                                 shardInputs: { index in index < tokens.count ? [tokens[index]] : [] })
        return (stage, ensemble, directories)
    }

    @discardableResult
    public static func run(_ run: RunDirectory, options: Options, command: [String]) throws -> StageRecord? {
        let (stage, ensemble, directories) = try load(run, options: options)
        let process = { (index: Int, _: ShardSummary) throws -> (outputs: [ShardSummary], counts: [String: Int]) in
            try scoreShard(index, run: run, scorer: ensemble, level: options.compressionLevel)
        }
        let arguments = [name, run.root] + directories.flatMap { ["--model", $0] } + ["--batch-rows", String(options.batchRows)]
        return try stage.execute(workers: options.workers, rank: options.rank, worldSize: options.worldSize,
                                 workerArguments: arguments, command: command, process: process)
    }

    /// Scores one shard: documents are read in blocks of 256, their token records alongside.
    static func scoreShard(_ index: Int, run: RunDirectory, scorer: RaterEnsemble, level: Int32) throws
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
            scoredTokens += scorer.scoredTokens(record.tokens.count)
            if pending.count == 256 { try flush() }
        }
        try flush()
        if try tokens.next() != nil {
            throw CurationError(.shardMismatch, "\(run.tokenShard(index)) has more records than \(run.docsShard(index))", hint: "rerun `datarater tokenize \(run.root)`")
        }
        return (try writer.finish(), ["documents": documents, "scored_tokens": scoredTokens])
    }
}
