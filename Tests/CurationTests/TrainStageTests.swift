import Foundation
import Testing
@testable import Curation
import MetaLearning
import Models
import ShardIO

/// The train stage on a tiny configuration: model files, manifest entry, resume, and `--target`.
@Suite(.serialized) struct TrainStageTests {
    static func tinyConfig(_ dir: TemporaryDirectory, steps: Int) throws -> String {
        var c = MetaTrainingConfig.defaults(vocabularySize: 300)
        c.rater = LMConfig(vocabSize: 300, dModel: 8, nLayers: 1, nHeads: 2, contextLength: 16)
        c.lm = LMConfig(vocabSize: 300, dModel: 8, nLayers: 1, nHeads: 2, contextLength: 16)
        c.chunking = ChunkingRule(chunkLength: 16, maxChunks: 2)
        c.population = 2
        c.innerBatch = 4
        c.outerBatch = 4
        c.lifetime = 8
        c.steps = steps
        c.checkpointEvery = 2
        c.metaWarmupSteps = 1
        let path = dir.file("tiny-\(steps).json")
        try JSONEncoder().encode(c).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func tokenizedRun(_ dir: TemporaryDirectory, name: String, tokenizer: String? = nil) throws -> RunDirectory {
        if !FileManager.default.fileExists(atPath: dir.file("input")) { _ = try GeneratedCorpus.make(in: dir, documentsPerFile: 40) }
        let run = RunDirectory(dir.file(name))
        var options = ShardStage.Options(inputs: [dir.file("input")])
        options.targetShardBytes = 20_000
        try ShardStage.run(run, options: options, command: ["test"])
        if tokenizer == nil {
            var tokenizerOptions = TrainTokenizerStage.Options()
            tokenizerOptions.vocabularySize = 300
            try TrainTokenizerStage.run(run, options: tokenizerOptions, command: ["test"])
        }
        var tokenize = TokenizeStage.Options()
        tokenize.tokenizerPath = tokenizer
        try TokenizeStage.run(run, options: tokenize, command: ["test"])
        return run
    }

    @Test func trainsWritesTheModelAndResumesIdentically() throws {
        let dir = TemporaryDirectory()
        let run = try Self.tokenizedRun(dir, name: "run")
        var options = TrainStage.Options()
        options.configPath = try Self.tinyConfig(dir, steps: 4)
        let record = try TrainStage.run(run, options: options, command: ["test"])
        #expect(record.counts["meta_steps"] == 4)
        let weights = Checkpoint.weightsPath(directory: TrainStage.modelDirectory(run))
        let first = try Checksum.file(weights).sha256
        // Training longer from the saved state equals training that long from scratch.
        options.configPath = try Self.tinyConfig(dir, steps: 6)
        try? FileManager.default.removeItem(atPath: run.path("train"))
        try TrainStage.run(run, options: options, command: ["test"])
        let straight = try Checksum.file(weights).sha256
        #expect(straight != first)
        let fresh = try Self.tokenizedRun(dir, name: "fresh", tokenizer: TokenizeStage.defaultTokenizerPath(run))
        options.configPath = try Self.tinyConfig(dir, steps: 6)
        // Interrupted after its checkpoint at step 4 (simulated: run 4, then rerun to 6 with the 6-step config
        // would change the config hash, so interrupt with the fault hook instead).
        let result = try CurationTests.run([dataraterExecutable, "train", fresh.root, "--config", options.configPath!],
                                           environment: ["DATARATER_FAULT": "train:after-checkpoint:4"])
        #expect(result.status == -9, "\(result.error)")
        let resumed = try CurationTests.run([dataraterExecutable, "train", fresh.root, "--config", options.configPath!])
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(try Checksum.file(Checkpoint.weightsPath(directory: TrainStage.modelDirectory(fresh))).sha256 == straight)
    }

    @Test func targetCorpusSuppliesTheOuterBatches() throws {
        let dir = TemporaryDirectory()
        let run = try Self.tokenizedRun(dir, name: "run")
        // A separate target corpus of clean documents, as Dolma document shards.
        let target = RunDirectory(dir.file("target"))
        try dir.write("target-input/clean.jsonl", (0..<30).map { "{\"id\":\"t\($0)\",\"text\":\"clean target text number \($0), plain words.\",\"source\":\"target\"}" }.joined(separator: "\n"))
        var shard = ShardStage.Options(inputs: [dir.file("target-input")])
        shard.targetShardBytes = 1_000_000
        try ShardStage.run(target, options: shard, command: ["test"])
        var options = TrainStage.Options()
        options.configPath = try Self.tinyConfig(dir, steps: 2)
        options.targetPath = target.root
        let record = try TrainStage.run(run, options: options, command: ["test"])
        #expect(record.counts["outer_documents"] == 30)
        #expect(record.configuration["target"] == target.root)
        // Without --target the outer split comes from the run itself.
        try? FileManager.default.removeItem(atPath: run.path("train"))
        options.targetPath = nil
        let own = try TrainStage.run(run, options: options, command: ["test"])
        #expect(own.counts["outer_documents"] != 30 && (own.counts["outer_documents"] ?? 0) > 0)
    }
}
