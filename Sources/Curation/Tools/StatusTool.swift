import Foundation
import ShardIO

/// `datarater status RUN`: what is done, pending and failed, stage by stage.
public enum StatusTool {
    public static let stageOrder = ["shard", "tokenize", "train", "score", "threshold", "write"]
    static let canonicalOrder = ["shard", "train-tokenizer", "tokenize", "train", "score", "threshold", "write"]
    /// Stages that produce one output per document shard.
    static let perShard: Set<String> = ["tokenize", "score", "write"]

    public struct StageState: Sendable, Equatable {
        public var stage: String
        /// not-started, running, complete, failed, interrupted
        public var state: String
        public var shardsDone: Int
        public var shardsExpected: Int?
        public var counts: [String: Int]
        public var errors: [String]
    }

    public static func states(of run: RunDirectory) throws -> [StageState] {
        guard FileIO.isDirectory(run.root) else {
            throw CurationError(.inputNotFound, "\(run.root): no such run directory",
                                hint: "create one with `datarater shard INPUT... --out \(run.root)`")
        }
        let manifest = try Manifest.load(run)
        let docShards = manifest.stages["shard"].map { record in record.outputs.filter { $0.path.hasPrefix("docs/") }.count }
        var result: [StageState] = []
        // The pipeline's stages if a pipeline drives this run, else the usual ones; plus any stage run by hand.
        let planned = manifest.pipeline?.stages.filter { $0 != "audit" } ?? stageOrder
        let stages = (stageOrder + [TrainTokenizerStage.name]).filter { planned.contains($0) || manifest.stages[$0] != nil }
            .sorted { (canonicalOrder.firstIndex(of: $0) ?? 99) < (canonicalOrder.firstIndex(of: $1) ?? 99) }
        for stage in stages {
            let done = try CompletionRecord.all(in: run, stage: stage).count
            guard let record = manifest.stages[stage] else {
                result.append(StageState(stage: stage, state: done > 0 ? "interrupted" : "not-started", shardsDone: done,
                                         shardsExpected: perShard.contains(stage) ? docShards : nil, counts: [:], errors: []))
                continue
            }
            var state = record.status.rawValue
            if record.status == .running && record.host == Clock.host && kill(record.pid, 0) != 0 && errno == ESRCH {
                state = "interrupted"
            }
            let expected = stage == "shard" ? (record.status == .complete ? docShards : nil) : (perShard.contains(stage) ? docShards : nil)
            result.append(StageState(stage: stage, state: state, shardsDone: done, shardsExpected: expected,
                                     counts: record.counts, errors: record.errors))
        }
        return result
    }

    /// The pipeline driving the run, if any: one line, plus its error when it failed.
    public static func pipelineLines(of run: RunDirectory) -> [String] {
        guard let p = (try? Manifest.load(run))?.pipeline else { return [] }
        var state = p.status.rawValue
        if p.status == .running, p.host == Clock.host, kill(p.pid, 0) != 0, errno == ESRCH { state = "interrupted" }
        var line = "pipeline: \(p.name) (\(p.file), \(p.executor) executor) \(state)"
        if let current = p.current, p.status != .complete { line += " at \(current)" }
        line += ", started \(p.startedAt)" + (p.finishedAt.map { ", finished \($0)" } ?? "")
        var lines = [line]
        if !p.jobs.isEmpty {
            lines.append("  slurm jobs: " + p.stages.compactMap { stage in p.jobs[stage].map { "\(stage) \($0.joined(separator: ","))" } }.joined(separator: "; "))
        }
        if let error = p.error { lines.append("  ! " + (error.split(separator: "\n").first.map(String.init) ?? error)) }
        if state == "interrupted" { lines.append("  rerun the same `datarater run` command to resume: finished work is skipped") }
        return lines
    }

    public static func render(_ states: [StageState], run: RunDirectory) -> String {
        var lines = ["run: \(run.root)"] + pipelineLines(of: run)
        for s in states {
            let shards = s.shardsExpected.map { "\(s.shardsDone)/\($0) shards" }
                ?? (s.stage == "shard" || s.shardsDone > 0 ? "\(s.shardsDone) shards" : "")
            var line = "  \(s.stage.padding(toLength: 15, withPad: " ", startingAt: 0)) \(s.state.padding(toLength: 12, withPad: " ", startingAt: 0)) \(shards)"
            if let expected = s.shardsExpected, s.state != "complete", expected > s.shardsDone {
                line += " (\(expected - s.shardsDone) pending)"
            }
            let counts = s.counts.keys.sorted().map { "\($0)=\(s.counts[$0]!)" }.joined(separator: " ")
            if !counts.isEmpty { line += "  " + counts }
            lines.append(line)
            for error in s.errors.prefix(5) { lines.append("      ! \(error)") }
        }
        return lines.joined(separator: "\n")
    }
}
