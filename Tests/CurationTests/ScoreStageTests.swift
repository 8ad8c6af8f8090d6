import Foundation
import Testing
@testable import Curation
import MetaLearning
import Models
import ShardIO
import Tensor

/// `datarater score` through the real executable, with a small random DataRater (no training needed to
/// check that the scoring machinery is exact, parallel and resumable).
@Suite(.serialized) struct ScoreStageTests {
    /// A run with 3+ document shards, token shards, and a random DataRater in RUN/model.
    func preparedRun(_ dir: TemporaryDirectory, name: String) throws -> RunDirectory {
        if !FileManager.default.fileExists(atPath: dir.file("input")) { _ = try GeneratedCorpus.make(in: dir, documentsPerFile: 60) }
        let run = RunDirectory(dir.file(name))
        var options = ShardStage.Options(inputs: [dir.file("input")])
        options.targetShardBytes = 15_000
        try ShardStage.run(run, options: options, command: ["test"])
        var tokenizerOptions = TrainTokenizerStage.Options()
        tokenizerOptions.vocabularySize = 300
        try TrainTokenizerStage.run(run, options: tokenizerOptions, command: ["test"])
        try TokenizeStage.run(run, options: .init(), command: ["test"])
        let sha = try Manifest.load(run).stages["tokenize"]!.configuration["tokenizer_sha256"]!
        let config = LMConfig(vocabSize: 300, dModel: 16, nLayers: 1, nHeads: 2, contextLength: 32)
        let encoder = try DataRaterEncoder<Float>(config: config)
        var parameters: [Float] = []
        encoder.initialize(parameters: &parameters, seed: 3)
        var rng = SplitMix64(seed: 4)
        for i in encoder.layout["head.weight"]!.range { parameters[i] = Float(rng.next() % 1000) / 500 - 1 }
        let model = DataRaterModelConfig(model: config, chunking: ChunkingRule(chunkLength: 32, maxChunks: 3),
                                         tokenizerSHA256: sha, metaSteps: 0, seed: 0)
        try FileIO.createDirectory(TrainStage.modelDirectory(run))
        try Checkpoint.save(parameters: parameters, layout: encoder.layout, config: model, directory: TrainStage.modelDirectory(run))
        return run
    }

    @Test func twoWorkersScoreExactlyLikeOne() throws {
        let dir = TemporaryDirectory()
        let one = try preparedRun(dir, name: "one"), two = try preparedRun(dir, name: "two")
        #expect(try ShardVerification.verifiedOutputs(of: "shard", prefix: "docs/", in: one).count >= 3)
        let a = try run([dataraterExecutable, "score", one.root])
        let b = try run([dataraterExecutable, "score", two.root, "--workers", "2"])
        #expect(a.status == 0 && b.status == 0, "\(a.error) \(b.error)")
        let scoresA = try digests(one.scoresDirectory), scoresB = try digests(two.scoresDirectory)
        #expect(!scoresA.isEmpty && scoresA == scoresB)
        // Every completion record names the scorer.
        let manifest = try Manifest.load(one)
        let identity = try #require(manifest.stages["score"]?.configuration)
        for key in ["checkpoint_sha256", "tokenizer_sha256", "scoring_config_hash"] { #expect(identity[key]?.isEmpty == false) }
        for (_, record) in try CompletionRecord.all(in: one, stage: "score") {
            #expect(record.extra["checkpoint_sha256"] == identity["checkpoint_sha256"])
            #expect(record.extra["tokenizer_sha256"] == identity["tokenizer_sha256"])
        }
        // One score line per document, same order, finite scores.
        let docs = try ShardVerification.verifiedOutputs(of: "shard", prefix: "docs/", in: one)
        for index in docs.indices {
            var documents = try JSONLShardReader(path: one.docsShard(index))
            var scores = try JSONLShardReader(path: one.scoreShard(index))
            while let document = try documents.next({ try Document(jsonLine: $0) }) {
                let (id, score) = try #require(try scores.next { try ScoreLine.parse($0) })
                #expect(id == document.id && score.isFinite)
            }
            #expect(try scores.next { _ in true } == nil)
        }
    }

    @Test func aWorkerKilledMidRunIsReportedAndTheRerunFinishesIdentically() throws {
        let dir = TemporaryDirectory()
        let reference = try preparedRun(dir, name: "reference"), run = try preparedRun(dir, name: "run")
        #expect(try Self.score(reference, workers: 1).status == 0)
        // Worker 1 of 2 dies (SIGKILL) after writing shard 1's outputs, before its completion record.
        let killed = try Self.score(run, workers: 2, environment: ["DATARATER_FAULT": "score:before-done:1"])
        #expect(killed.status != 0)
        #expect(killed.error.contains("worker 1") && killed.error.contains("00001"), "\(killed.error)")
        let status = try Curation.StatusTool.states(of: run).first { $0.stage == "score" }
        #expect(status?.state == "failed")
        let rerun = try Self.score(run, workers: 2)
        #expect(rerun.status == 0, "\(rerun.error)")
        #expect(try digests(run.scoresDirectory) == (try digests(reference.scoresDirectory)))
    }

    static func score(_ run: RunDirectory, workers: Int, environment: [String: String] = [:]) throws -> (status: Int32, output: String, error: String) {
        try CurationTests.run([dataraterExecutable, "score", run.root, "--workers", String(workers)], environment: environment)
    }
}
