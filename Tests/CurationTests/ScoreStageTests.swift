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
        try Self.saveRandomRater(in: TrainStage.modelDirectory(run), tokenizerSHA: sha, seed: 3)
        return run
    }

    /// A random DataRater of 300 ids (its head spread so that scores differ) saved in `directory`.
    static func saveRandomRater(in directory: String, tokenizerSHA: String, seed: UInt64, chunkLength: Int = 32) throws {
        let config = LMConfig(vocabSize: 300, dModel: 16, nLayers: 1, nHeads: 2, contextLength: 32)
        let encoder = try DataRaterEncoder<Float>(config: config)
        var parameters: [Float] = []
        encoder.initialize(parameters: &parameters, seed: seed)
        var rng = SplitMix64(seed: seed + 1)
        for i in encoder.layout["head.weight"]!.range { parameters[i] = Float(rng.next() % 1000) / 500 - 1 }
        let model = DataRaterModelConfig(model: config, chunking: ChunkingRule(chunkLength: chunkLength, maxChunks: 3),
                                         tokenizerSHA256: tokenizerSHA, metaSteps: 0, seed: 0)
        try FileIO.createDirectory(directory)
        try Checkpoint.save(parameters: parameters, layout: encoder.layout, config: model, directory: directory)
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

    /// `--model A --model B`: each DataRater standardized on the calibration sample, then averaged; the same in
    /// any worker layout; both checkpoints in the manifest, and `eval` charges both.
    @Test func anEnsembleAveragesStandardizedScoresOfEveryDataRater() throws {
        let dir = TemporaryDirectory()
        let one = try preparedRun(dir, name: "one"), two = try preparedRun(dir, name: "two")
        let sha = try Manifest.load(one).stages["tokenize"]!.configuration["tokenizer_sha256"]!
        let second = dir.file("second")
        try Self.saveRandomRater(in: second, tokenizerSHA: sha, seed: 11, chunkLength: 16)
        let models = ["--model", TrainStage.modelDirectory(one), "--model", second]
        let a = try run([dataraterExecutable, "score", one.root] + models)
        let b = try run([dataraterExecutable, "score", two.root, "--workers", "2"] + models)
        #expect(a.status == 0 && b.status == 0, "\(a.error) \(b.error)")
        #expect(try digests(one.scoresDirectory) == (try digests(two.scoresDirectory)))

        // Every score is the mean of the two DataRaters' standardized scores, with their statistics on the sample.
        let tokens = try ShardVerification.verifiedOutputs(of: "tokenize", prefix: "tokens/", in: one)
        let documents = try Manifest.load(one).stages["tokenize"]!.counts["documents"]!
        var ensemble = try RaterEnsemble(directories: [TrainStage.modelDirectory(one), second], run: one, tokenizerSHA: sha, batchRows: 8)
        try ensemble.calibrate(run: one, tokenShards: tokens, documents: documents, sampleSize: documents / 2)
        #expect(ensemble.calibrationDocuments > documents / 4 && ensemble.calibrationDocuments < documents * 3 / 4)
        try ensemble.calibrate(run: one, tokenShards: tokens, documents: documents)
        #expect(ensemble.calibrationDocuments == documents)
        var all: [[Int32]] = []
        for shard in tokens {
            var reader = try TokenShardReader(path: one.path(shard.path))
            while let record = try reader.next() { all.append(record.tokens.map { Int32(bitPattern: $0) }) }
        }
        var expected = [Double](repeating: 0, count: all.count)
        for member in ensemble.members {
            let raw = try member.scorer.score(documents: all).map(Double.init)
            let mean = raw.reduce(0, +) / Double(raw.count)
            let sd = (raw.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(raw.count - 1)).squareRoot()
            #expect(abs(Double(member.mean) - mean) <= 1e-4 * abs(mean) && abs(Double(member.deviation) - sd) <= 1e-4 * sd)
            let (used, usedSD) = (Double(member.mean), Double(member.deviation))
            for i in raw.indices { expected[i] += (raw[i] - used) / usedSD / 2 }
        }
        var written: [Double] = []
        for index in try ShardVerification.verifiedOutputs(of: "shard", prefix: "docs/", in: one).indices {
            var scores = try JSONLShardReader(path: one.scoreShard(index))
            while let (_, score) = try scores.next({ try ScoreLine.parse($0) }) { written.append(Double(score)) }
        }
        #expect(written.count == expected.count)
        #expect(zip(written, expected).allSatisfy { abs($0 - $1) < 1e-4 }, "ensemble scores differ from the standardized mean")
        // Standardized: the ensemble's scores over the whole corpus have mean 0 here (the sample is the corpus).
        #expect(abs(written.reduce(0, +) / Double(written.count)) < 1e-3)

        let stage = try #require(try Manifest.load(one).stages["score"])
        #expect(stage.configuration["checkpoint_sha256"]?.split(separator: ",").count == 2)
        #expect(stage.configuration["chunk_length"] == "32,16")
        #expect(stage.configuration["calibration_documents"] == String(documents))
        #expect(stage.inputs.filter { $0.path.hasSuffix("datarater.safetensors") }.count == 2)
        let raters = try EvalStage.raterModels(one, manifest: try Manifest.load(one))
        #expect(raters.map(\.chunking.chunkLength) == [32, 16])

        // Rescoring with one DataRater replaces the ensemble's scores (another scorer identity).
        #expect(try run([dataraterExecutable, "score", two.root]).status == 0)
        #expect(try digests(one.scoresDirectory) != (try digests(two.scoresDirectory)))

        // A checkpoint named twice, or the same checkpoint in two places, is refused before any work.
        let twice = try run([dataraterExecutable, "score", one.root, "--model", second, "--model", second])
        #expect(twice.status != 0 && twice.error.contains("named twice"), "\(twice.error)")
        let copy = dir.file("copy")
        try FileManager.default.copyItem(atPath: second, toPath: copy)
        let same = try run([dataraterExecutable, "score", one.root, "--model", second, "--model", copy])
        #expect(same.status != 0 && same.error.contains("same checkpoint"), "\(same.error)")
    }
}
