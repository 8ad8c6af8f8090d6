import Foundation
import ShardIO
import Tensor

/// The common shape of a stage that maps each document shard to outputs independently (tokenize, score):
/// verify the inputs against the manifest, skip shards whose completion record is still valid, process the
/// rest (inline, in local worker processes, or as one rank of an outside scheduler), then reconcile every
/// shard's record into the manifest.
public struct ShardedStage {
    public let name: String
    public let run: RunDirectory
    public let configuration: StageConfiguration
    /// Files besides the document shards that the outputs depend on (a tokenizer, a checkpoint): their sha256
    /// goes into every shard's input hash.
    public let dependencies: [InputRecord]

    /// Per-shard inputs besides the document shard (e.g. its token shard): their sha256 goes into that
    /// shard's input hash, so a changed upstream shard redoes exactly the shards it feeds.
    public let shardInputs: @Sendable (Int) -> [ShardSummary]

    public init(name: String, run: RunDirectory, configuration: StageConfiguration, dependencies: [InputRecord],
                shardInputs: @escaping @Sendable (Int) -> [ShardSummary] = { _ in [] }) {
        self.name = name
        self.run = run
        self.configuration = configuration
        self.dependencies = dependencies
        self.shardInputs = shardInputs
    }

    /// The verified document shards this stage consumes.
    public func inputs() throws -> [ShardSummary] {
        try ShardVerification.verifiedOutputs(of: ShardStage.name, prefix: "docs/", in: run)
    }

    func inputHash(_ index: Int, _ shard: ShardSummary) -> String {
        Checksum.of(([shard.sha256] + shardInputs(index).map(\.sha256) + dependencies.map(\.sha256)).joined(separator: "\n"))
    }

    /// Processes the shards owned by `rank` of `worldSize` that are not already complete. `process` writes the
    /// shard's outputs atomically and returns them (paths absolute) with its counts.
    public func work(rank: Int, worldSize: Int, progress: ProgressReporter,
                     process: (Int, ShardSummary) throws -> (outputs: [ShardSummary], counts: [String: Int])) throws {
        let shards = try inputs()
        let owned = LocalWorkers.owned(shards.count, rank: rank, worldSize: worldSize)
        for (n, index) in owned.enumerated() {
            let hash = inputHash(index, shards[index])
            if try CompletionRecord.valid(in: run, stage: name, shard: index, configHash: configuration.hash, inputHash: hash) != nil {
                continue
            }
            var (outputs, counts) = try process(index, shards[index])
            for i in outputs.indices { outputs[i].path = run.relative(outputs[i].path) }
            FaultInjection.point(name, "before-done", shard: index)
            try CompletionRecord(stage: name, shard: index, configHash: configuration.hash, inputHash: hash,
                                 outputs: outputs, counts: counts, extra: configuration.values).write(in: run)
            progress.log("shard \(RunDirectory.shardName(index)) done (\(n + 1)/\(owned.count) of rank \(rank))")
        }
    }

    public func markRunning(command: [String]) throws {
        for directory in [run.doneDirectory(name), run.tokensDirectory, run.scoresDirectory, run.path("kept/docs"),
                          run.path("kept/tokens"), run.path("kept"), run.path("discarded")] {
            try AtomicFile.removeStaleTemporaries(in: directory)
        }
        try Manifest.markRunning(run, stage: name, command: command, configuration: configuration, inputs: dependencies)
    }

    /// Checks that every shard has a valid completion record and writes the stage's manifest entry; if some
    /// are missing, marks the stage failed, naming them, and throws.
    @discardableResult
    public func finalize(failures: [String] = []) throws -> StageRecord {
        let shards = try inputs()
        var outputs: [ShardSummary] = []
        var counts: [String: Int] = [:]
        var missing: [Int] = []
        for (index, shard) in shards.enumerated() {
            guard let record = try CompletionRecord.valid(in: run, stage: name, shard: index, configHash: configuration.hash,
                                                          inputHash: inputHash(index, shard)) else {
                missing.append(index)
                continue
            }
            outputs += record.outputs
            for (key, value) in record.counts { counts[key, default: 0] += value }
        }
        counts["shards"] = shards.count
        let inputs = dependencies + shards.map { InputRecord(path: $0.path, bytes: $0.bytes, sha256: $0.sha256) }
        if !missing.isEmpty {
            let message = "\(missing.count) of \(shards.count) shards not done: "
                + missing.prefix(20).map(RunDirectory.shardName).joined(separator: ", ")
            try Manifest.markFailed(run, stage: name, errors: failures + [message])
            throw CurationError(.stageFailed, "\(name): " + (failures + [message]).joined(separator: "; "),
                                hint: "rerun `datarater \(name) \(run.root)`: finished shards are kept, only the missing ones are redone")
        }
        var record: StageRecord!
        try Manifest.update(run) { manifest in
            var entry = manifest.stages[name] ?? StageRecord(
                stage: name, status: .running, command: [], configuration: configuration.values, configHash: configuration.hash,
                code: .current, host: Clock.host, pid: getpid(), startedAt: Clock.now(), finishedAt: nil, inputs: [],
                outputs: [], counts: [:], errors: [])
            entry.status = .complete
            entry.finishedAt = Clock.now()
            entry.inputs = inputs
            entry.outputs = outputs
            entry.counts = counts
            entry.errors = []
            manifest.stages[name] = entry
            manifest.finishHistory(stage: name, status: .complete)
            record = entry
        }
        return record
    }

    /// The stage as a command runs it: with `rank`/`worldSize` (an outside scheduler) only that rank's shards,
    /// and no manifest entry (returns nil); otherwise the whole stage, inline or in `workers` local processes.
    /// Work done in this process uses one BLAS thread, since parallelism is across shards.
    public func execute(workers: Int, rank: Int?, worldSize: Int?, workerArguments: [String], command: [String],
                        process: (Int, ShardSummary) throws -> (outputs: [ShardSummary], counts: [String: Int])) throws -> StageRecord? {
        BLASThreads.set(1)
        if let rank, let worldSize {
            try work(rank: rank, worldSize: worldSize, progress: ProgressReporter(label: "\(name)[\(rank)]"), process: process)
            return nil
        }
        return try runAll(workers: workers, workerArguments: workerArguments, command: command, process: process)
    }

    /// Runs the whole stage from one command: inline when `workers` is 1, else in local worker processes.
    @discardableResult
    public func runAll(workers: Int, workerArguments: [String], command: [String],
                       process: (Int, ShardSummary) throws -> (outputs: [ShardSummary], counts: [String: Int])) throws -> StageRecord {
        try markRunning(command: command)
        var failures: [String] = []
        if workers <= 1 {
            do {
                try work(rank: 0, worldSize: 1, progress: ProgressReporter(label: name), process: process)
            } catch {
                failures.append("\(error)")
            }
        } else {
            for failure in try LocalWorkers.run(arguments: workerArguments, workers: workers) {
                let owned = LocalWorkers.owned(try inputs().count, rank: failure.rank, worldSize: workers)
                    .filter { (try? CompletionRecord.all(in: run, stage: name)[$0]) == nil }
                failures.append("worker \(failure.rank) " + (failure.signaled ? "was killed by signal \(failure.status)" : "exited with status \(failure.status)")
                    + (owned.isEmpty ? "" : " leaving shard(s) \(owned.map(RunDirectory.shardName).joined(separator: ", ")) unfinished"))
            }
        }
        return try finalize(failures: failures)
    }
}
