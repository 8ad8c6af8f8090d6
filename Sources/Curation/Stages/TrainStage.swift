import Foundation
import MetaLearning
import Models
import ShardIO
import Tensor
import Tokenization

/// `RUN/model/datarater.json`: what a trained DataRater is and how to use it.
public struct DataRaterModelConfig: Codable, Sendable, Equatable {
    public var model: LMConfig
    public var chunking: ChunkingRule
    /// sha256 of the tokenizer.json whose ids it reads.
    public var tokenizerSHA256: String
    public var metaSteps: Int
    public var seed: UInt64

    enum CodingKeys: String, CodingKey {
        case model, chunking
        case tokenizerSHA256 = "tokenizer_sha256"
        case metaSteps = "meta_steps"
        case seed
    }
}

/// `datarater train RUN [--config FILE] [--steps N] [--seed S] [--target PATH]`: meta-learns the DataRater.
///
/// Data: every token record of the run, split by a hash of its document id into inner-train, outer and
/// validation (validation is never read here). With `--target`, the outer batches come from another corpus
/// (a run with token shards made by the same tokenizer, or a directory of document shards, tokenized here),
/// so the DataRater learns what helps an LM on that distribution. At most `--max-tokens` tokens are loaded
/// (documents kept by a hash of their id, so the choice is deterministic).
public enum TrainStage {
    public static let name = "train"

    public struct Options: Sendable {
        public var configPath: String?
        public var steps: Int?
        public var seed: UInt64?
        public var targetPath: String?
        public var maxTokens = 50_000_000
        public var threads: Int?
        public init() {}
    }

    public static func modelDirectory(_ run: RunDirectory) -> String { run.path("model") }
    static func statePath(_ run: RunDirectory) -> String { run.path("train/state.safetensors") }

    @discardableResult
    public static func run(_ run: RunDirectory, options: Options, command: [String]) throws -> StageRecord {
        let progress = ProgressReporter(label: name)
        let started = Clock.now()
        let manifest = try Manifest.load(run)
        guard let tokenize = manifest.stages[TokenizeStage.name], tokenize.status == .complete,
              let tokenizerSHA = tokenize.configuration["tokenizer_sha256"],
              let tokenizerPath = tokenize.inputs.first?.path
        else {
            throw CurationError(.stageNotRun, "\(run.root): the tokenize stage has not completed",
                                hint: "run `datarater tokenize \(run.root)` first")
        }
        let tokenShards = try ShardVerification.verifiedOutputs(of: TokenizeStage.name, prefix: "tokens/", in: run)
        let tokenizer = try TokenizeStage.loadTokenizer(tokenizerPath)
        var config = MetaTrainingConfig.defaults(vocabularySize: tokenizer.vocabularySize)
        if let path = options.configPath {
            do {
                config = try JSONDecoder().decode(MetaTrainingConfig.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw CurationError(.badArguments, "\(path): not a meta-training configuration: \(error)",
                                    hint: "start from `datarater train --print-config` and edit it")
            }
        }
        if let steps = options.steps { config.steps = steps }
        if let seed = options.seed { config.seed = seed }
        if let threads = options.threads { config.threads = threads }
        guard config.rater.vocabSize >= tokenizer.vocabularySize else {
            throw CurationError(.badArguments, "the config's vocab_size \(config.rater.vocabSize) is smaller than the tokenizer's \(tokenizer.vocabularySize)")
        }
        do { try config.validate() } catch { throw CurationError(.badArguments, "\(error)") }

        // Data.
        let totalTokens = max(1, tokenize.counts["tokens"] ?? 1)
        let keepRate = min(1.0, Double(options.maxTokens) / Double(totalTokens))
        var inner = TokenCorpus(), outer = TokenCorpus()
        var validation = 0
        for shard in tokenShards {
            var reader = try TokenShardReader(path: run.path(shard.path))
            while let record = try reader.next() {
                if keepRate < 1, Double(SplitRule.hashForSampling(record.id)) / Double(UInt64.max) >= keepRate { continue }
                switch config.splits.split(of: record.id) {
                case .innerTrain: inner.append(id: record.id, tokens: record.tokens.map { Int32(bitPattern: $0) })
                case .outer: if options.targetPath == nil { outer.append(id: record.id, tokens: record.tokens.map { Int32(bitPattern: $0) }) }
                case .validation: validation += 1
                }
            }
            progress.tick("loaded \(inner.count + outer.count) documents, \(inner.tokenCount + outer.tokenCount) tokens")
        }
        var targetDescription = "outer split of this run"
        if let target = options.targetPath {
            outer = try loadTarget(target, tokenizer: tokenizer, tokenizerSHA: tokenizerSHA, maxTokens: options.maxTokens, progress: progress)
            targetDescription = target
        }
        progress.log("inner-train \(inner.count) documents (\(inner.tokenCount) tokens), outer \(outer.count) documents (\(outer.tokenCount) tokens) from the \(targetDescription), validation \(validation) held out")

        // Resume or start.
        var configWithData = StageConfiguration(["config": String(decoding: try JSONFiles.encode(config), as: UTF8.self),
                                                 "tokenizer_sha256": tokenizerSHA, "target": options.targetPath ?? "",
                                                 "max_tokens": String(options.maxTokens)])
        configWithData.values["token_shards"] = Checksum.of(tokenShards.map(\.sha256).joined())
        let configHash = configWithData.hash
        let saved: MetaTrainingState?
        do {
            saved = try TrainingCheckpoint.load(from: statePath(run), configHash: configHash, population: config.population,
                                                kind: config.innerOptimizer.kind)
        } catch {
            throw CurationError(.manifestCorrupt, "\(error)")
        }
        BLASThreads.set(1)
        let trainer = try MetaTrainer(config: config, innerCorpus: inner, outerCorpus: outer, resumeFrom: saved)
        if let saved { progress.log("resuming from meta-step \(saved.step) (\(statePath(run)))") }
        try Manifest.update(run) { manifest in
            manifest.history.append(.init(stage: name, status: .running, startedAt: started, finishedAt: nil, host: Clock.host, pid: getpid()))
        }

        var log: [MetaStepReport] = []
        let first = trainer.state.step
        let clock = ProgressReporter(label: name, interval: 0)
        while trainer.state.step < config.steps {
            let report = try trainer.step()
            for (slot, loss) in report.blownUp {
                progress.log(String(format: "warning: inner model %d blew up at meta-step %d (loss %g, above 10·ln V = %.1f): left out of this update and re-initialised; if this repeats, lower inner_optimizer.learning_rate (now %g) in a --config file",
                                    slot, trainer.state.step, loss, MetaTrainer.divergenceLimit(vocabularySize: config.lm.vocabSize), config.innerOptimizer.learningRate))
            }
            log.append(report)
            let done = trainer.state.step - first, remaining = config.steps - trainer.state.step
            let rate = Double(done) / max(clock.elapsed, 1e-9)
            progress.tick(String(format: "step %d/%d  outer loss %.4f  inner %.4f  ESS %.1f/%d  score sd %.3g  |∇| %.3g  lr %.2g  %.2f steps/s  ETA %@",
                                 trainer.state.step, config.steps, report.outerLoss, report.innerLoss, report.effectiveSampleSize,
                                 config.innerBatch, report.scoreSpread, report.metaGradientNorm, report.learningRate, rate,
                                 ProgressReporter.duration(Double(remaining) / max(rate, 1e-9))))
            if trainer.state.step % config.checkpointEvery == 0 || trainer.state.step == config.steps {
                try FileIO.createDirectory(run.path("train"))
                try TrainingCheckpoint.save(trainer.state, configHash: configHash, to: statePath(run))
                FaultInjection.point(name, "after-checkpoint", shard: trainer.state.step)
            }
        }

        // The model.
        let directory = modelDirectory(run)
        try FileIO.createDirectory(directory)
        let modelConfig = DataRaterModelConfig(model: config.rater, chunking: config.chunking, tokenizerSHA256: tokenizerSHA,
                                               metaSteps: config.steps, seed: config.seed)
        try Checkpoint.save(parameters: trainer.state.rater, layout: trainer.raterParameterLayout, config: modelConfig,
                            directory: directory, metadata: ["tokenizer_sha256": tokenizerSHA])
        let weights = Checkpoint.weightsPath(directory: directory), json = Checkpoint.configPath(directory: directory)
        let (weightsSHA, weightsBytes) = try Checksum.file(weights)
        let (jsonSHA, jsonBytes) = try Checksum.file(json)
        let last = log.last
        let record = StageRecord(
            stage: name, status: .complete, command: command, configuration: configWithData.values, configHash: configHash,
            code: .current, host: Clock.host, pid: getpid(), startedAt: started, finishedAt: Clock.now(),
            inputs: tokenShards.map { InputRecord(path: $0.path, bytes: $0.bytes, sha256: $0.sha256) },
            outputs: [ShardSummary(path: run.relative(weights), bytes: weightsBytes, sha256: weightsSHA, records: trainer.raterParameterLayout.count),
                      ShardSummary(path: run.relative(json), bytes: jsonBytes, sha256: jsonSHA, records: 1)],
            counts: ["meta_steps": config.steps, "inner_documents": inner.count, "outer_documents": outer.count,
                     "validation_documents": validation, "inner_tokens": inner.tokenCount],
            errors: last.map { [String(format: "final outer loss %.4f, ESS %.1f", $0.outerLoss, $0.effectiveSampleSize)] } ?? [])
        try Manifest.update(run) { manifest in
            manifest.stages[name] = record
            manifest.finishHistory(stage: name, status: .complete)
        }
        return record
    }

    /// Outer documents from another corpus: a run with token shards from the same tokenizer, or document
    /// shards / a run without tokens, tokenized here.
    static func loadTarget(_ path: String, tokenizer: Tokenizer, tokenizerSHA: String, maxTokens: Int,
                           progress: ProgressReporter) throws -> TokenCorpus {
        var corpus = TokenCorpus()
        let target = RunDirectory(path)
        let manifest = try? Manifest.load(target)
        if let tokens = manifest?.stages[TokenizeStage.name], tokens.status == .complete,
           tokens.configuration["tokenizer_sha256"] == tokenizerSHA {
            for shard in try ShardVerification.verifiedOutputs(of: TokenizeStage.name, prefix: "tokens/", in: target) {
                var reader = try TokenShardReader(path: target.path(shard.path))
                while corpus.tokenCount < maxTokens, let record = try reader.next() {
                    corpus.append(id: record.id, tokens: record.tokens.map { Int32(bitPattern: $0) })
                }
            }
            return corpus
        }
        var files: [String] = []
        if FileIO.isDirectory(target.docsDirectory) {
            files = try FileIO.listDirectory(target.docsDirectory).filter { $0.hasSuffix(".jsonl.zst") }.map { FileIO.join(target.docsDirectory, $0) }
        } else if FileIO.isDirectory(path) {
            files = try FileIO.listDirectory(path).filter { $0.hasSuffix(".jsonl.zst") }.map { FileIO.join(path, $0) }
        } else if FileIO.fileExists(path) {
            files = [path]
        }
        guard !files.isEmpty else {
            throw CurationError(.inputNotFound, "\(path): no target documents (expected a run, or Dolma .jsonl.zst document shards)",
                                hint: "make one with `datarater shard TARGET_INPUT --out TARGET_RUN` and pass --target TARGET_RUN")
        }
        var ids: [Int32] = []
        for file in files {
            var reader = try JSONLShardReader(path: file)
            while corpus.tokenCount < maxTokens, let document = try reader.next({ try Document(jsonLine: $0) }) {
                var text = document.text
                ids.removeAll(keepingCapacity: true)
                text.withUTF8 { tokenizer.encode(utf8: $0, into: &ids) }
                corpus.append(id: document.id, tokens: ids)
            }
            progress.tick("target: \(corpus.count) documents tokenized")
        }
        return corpus
    }
}

extension SplitRule {
    /// A second, independent hash of the id, for subsampling without correlating with the split.
    static func hashForSampling(_ id: String) -> UInt64 {
        var h: UInt64 = 0x84222325CBF29CE4
        for byte in id.utf8 {
            h = (h ^ UInt64(byte)) &* 0x100000001B3
        }
        h = (h ^ (h >> 31)) &* 0x7FB5_D329_728E_A185
        return h ^ (h >> 27)
    }
}
