import ShardIO

/// A pipeline file: which corpus to curate, into which run directory, and every stage's settings.
///
/// `datarater run PIPELINE` turns it into a list of `PipelineStep`s, the same `datarater STAGE …` command
/// lines a user could type, and hands them to an executor (local processes or Slurm). Keys are documented in
/// `pipelines/sample.yaml`; every key is optional except `inputs` and `threshold.discard`.
public struct Pipeline: Sendable, Equatable {
    public var name = "pipeline"
    /// The run directory (relative paths resolve against the working directory).
    public var run = "runs/pipeline"
    public var inputs: [String] = []
    public var shard = Shard()
    public var tokenizer = TokenizerSource.train(vocabularySize: 4096, sampleSize: "50MB", seed: 0)
    public var tokenize = Tokenize()
    public var train = Train()
    /// Trained DataRaters (directories with datarater.safetensors and datarater.json) used instead of `train`;
    /// several score as an ensemble (`datarater score --model A --model B`).
    public var models: [String] = []
    public var score = Score()
    public var threshold = Threshold()
    public var write = Write()
    /// Where `audit` writes its HTML page, relative to the run directory; nil skips the page.
    public var auditHTML: String? = "audit.html"
    public var slurm = Slurm()

    public init() {}

    public struct Shard: Sendable, Equatable {
        public var shardSize = "128MB"
        public var format = "auto"
        public var invalidUTF8 = "reject"
        public var maxRecordSize = "64MB"
        public var compressionLevel = 3
        public var source: String?
    }

    public enum TokenizerSource: Sendable, Equatable {
        /// Learn a byte-level BPE from a sample of the run (`datarater train-tokenizer`).
        case train(vocabularySize: Int, sampleSize: String, seed: UInt64)
        /// Use an existing tokenizer.json.
        case file(String)
    }

    /// A stage that runs per shard takes `workers` processes locally, or an array of `workers` tasks on Slurm.
    public struct Tokenize: Sendable, Equatable {
        public var workers = 2
        public var compressionLevel: Int?
    }

    public struct Write: Sendable, Equatable {
        public var workers = 1
    }

    public struct Train: Sendable, Equatable {
        public var steps: Int?
        public var seed: UInt64?
        /// A meta-training configuration JSON (`datarater train --print-config`).
        public var config: String?
        public var target: String?
        public var maxTokens: Int?
        public var threads = 2
    }

    public struct Score: Sendable, Equatable {
        public var workers = 2
        public var batchRows: Int?
    }

    public struct Threshold: Sendable, Equatable {
        public var discard = 0.5
        public var perSource = false
        public var rule = "quantile"
        public var batchSize: Int?
    }

    /// Settings for `--executor slurm`.
    public struct Slurm: Sendable, Equatable {
        public var partition: String?
        public var account: String?
        public var qos: String?
        /// Time limit of each job (`--time`).
        public var time = "04:00:00"
        /// Memory of each job (`--mem`).
        public var memory = "8G"
        /// How many times a failed array task or job is resubmitted before the run fails.
        public var maxRetries = 2
        /// Seconds between polls of the queue.
        public var pollSeconds = 10.0
        /// Extra `sbatch` arguments, passed as they are (e.g. `--constraint=avx2`).
        public var extraArguments: [String] = []
        /// Per-stage overrides of time, memory and CPUs (`train` wants `train.threads` CPUs by default).
        public var stages: [String: StageResources] = [:]
    }

    public struct StageResources: Sendable, Equatable {
        public var time: String?
        public var memory: String?
        public var cpus: Int?
    }
}

/// One stage as the executors run it: `datarater ARGUMENTS…`, once, or split over `workers` ranks.
public struct PipelineStep: Sendable, Equatable {
    /// The stage's name in the manifest (`shard`, `train-tokenizer`, …, `audit`).
    public var stage: String
    /// The command line after `datarater`, without `--workers`/`--rank`/`--world-size`.
    public var arguments: [String]
    /// nil for a stage that runs as one process; else the number of ranks its shards are split over.
    public var workers: Int?
    /// CPUs one process of this step uses.
    public var cpus: Int

    /// The command line for running the whole step from one process (local workers for a parallel step).
    public var wholeCommand: [String] { arguments + (workers.map { ["--workers", String($0)] } ?? []) }

    /// The command line of one rank of a parallel step.
    public func rankCommand(rank: String, worldSize: Int) -> [String] {
        arguments + ["--rank", rank, "--world-size", String(worldSize)]
    }
}

extension Pipeline {
    /// The stages in order, as `datarater` command lines.
    public func steps(runDirectory: String? = nil) -> [PipelineStep] {
        let run = runDirectory ?? self.run
        var steps: [PipelineStep] = []
        var shardArguments = ["shard"] + inputs + ["--out", run, "--shard-size", shard.shardSize, "--format", shard.format,
                                                  "--invalid-utf8", shard.invalidUTF8, "--max-record-size", shard.maxRecordSize,
                                                  "--compression-level", String(shard.compressionLevel)]
        if let source = shard.source { shardArguments += ["--source", source] }
        steps.append(PipelineStep(stage: ShardStage.name, arguments: shardArguments, workers: nil, cpus: 1))

        var tokenizeArguments = ["tokenize", run]
        switch tokenizer {
        case let .train(vocabularySize, sampleSize, seed):
            steps.append(PipelineStep(stage: TrainTokenizerStage.name,
                                      arguments: ["train-tokenizer", run, "--vocab-size", String(vocabularySize),
                                                  "--sample-size", sampleSize, "--seed", String(seed)],
                                      workers: nil, cpus: 1))
        case let .file(path):
            tokenizeArguments += ["--tokenizer", path]
        }
        if let level = tokenize.compressionLevel { tokenizeArguments += ["--compression-level", String(level)] }
        steps.append(PipelineStep(stage: TokenizeStage.name, arguments: tokenizeArguments, workers: tokenize.workers, cpus: 1))

        var scoreArguments = ["score", run]
        if !models.isEmpty {
            scoreArguments += models.flatMap { ["--model", $0] }
        } else {
            var trainArguments = ["train", run, "--threads", String(train.threads)]
            if let config = train.config { trainArguments += ["--config", config] }
            if let steps = train.steps { trainArguments += ["--steps", String(steps)] }
            if let seed = train.seed { trainArguments += ["--seed", String(seed)] }
            if let target = train.target { trainArguments += ["--target", target] }
            if let maxTokens = train.maxTokens { trainArguments += ["--max-tokens", String(maxTokens)] }
            steps.append(PipelineStep(stage: TrainStage.name, arguments: trainArguments, workers: nil, cpus: train.threads))
        }
        if let rows = score.batchRows { scoreArguments += ["--batch-rows", String(rows)] }
        steps.append(PipelineStep(stage: ScoreStage.name, arguments: scoreArguments, workers: score.workers, cpus: 1))

        var thresholdArguments = ["threshold", run, "--discard", String(threshold.discard), "--rule", threshold.rule]
        if threshold.perSource { thresholdArguments.append("--per-source") }
        if let size = threshold.batchSize { thresholdArguments += ["--batch-size", String(size)] }
        steps.append(PipelineStep(stage: ThresholdStage.name, arguments: thresholdArguments, workers: nil, cpus: 1))

        steps.append(PipelineStep(stage: WriteStage.name, arguments: ["write", run], workers: write.workers, cpus: 1))

        var auditArguments = ["audit", run]
        if let html = auditHTML { auditArguments += ["--html", FileIO.join(run, html)] }
        steps.append(PipelineStep(stage: "audit", arguments: auditArguments, workers: nil, cpus: 1))
        return steps
    }
}
