import Foundation
import Testing
@testable import Curation
import MetaLearning
import Models
import ShardIO

/// Issue 5, point 5: meta-trained for a few minutes on a generated corpus in which a quarter of the documents
/// are corrupted, the DataRater scores corrupted documents lower, though nothing tells it which they are (it
/// reads token ids; the corruption kind is in metadata only, read back here to measure).
///
/// What is asserted, and why not all four kinds: random characters, mojibake and shuffled words together reach
/// an AUROC of 0.93–1.00 in every configuration measured (BENCHMARKS.md, "Does it learn?"). Repeated lines stay
/// at chance (0.45–0.56) in all of them: an inner LM this small does not learn to copy within its lifetime, so
/// a document that repeats one grammatical line trains it as a clean one would, and the meta-gradient has
/// nothing to act on. Their AUROC is printed, not asserted, and the issue's pooled ≥ 0.9 over all four kinds
/// stays open.
@Suite(.serialized) struct DataRaterBehaviourTests {
    /// The recipe of BENCHMARKS.md (`scripts/eval/generated-corpus-train.json`) with inner momentum lr 0.2,
    /// which found shuffled words on all three corpora tried.
    static func config(_ dir: TemporaryDirectory) throws -> String {
        var c = MetaTrainingConfig.defaults(vocabularySize: 512)
        c.rater = LMConfig(vocabSize: 512, dModel: 32, nLayers: 2, nHeads: 4, contextLength: 64)
        c.lm = LMConfig(vocabSize: 512, dModel: 64, nLayers: 2, nHeads: 4, contextLength: 64)
        c.chunking = ChunkingRule(chunkLength: 64, maxChunks: 8)
        c.innerOptimizer = InnerOptimizerConfig(kind: .momentum, learningRate: 0.2, beta1: 0.9)
        c.metaLearningRate = 1e-2
        c.metaMinLearningRate = 1e-3
        c.lifetime = 400
        c.steps = 300
        c.checkpointEvery = 100
        let path = dir.file("behaviour.json")
        try JSONEncoder().encode(c).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func scoresCorruptedDocumentsLowerWithoutBeingToldWhichTheyAre() throws {
        let dir = TemporaryDirectory()
        var generator = CorruptedCorpus(seed: 0)
        try dir.write("input/generated.jsonl", CorruptedCorpus.jsonLines(generator.documents(4000, corruptFraction: 0.25)))
        var cleanGenerator = CorruptedCorpus(seed: 1)
        try dir.write("target-input/clean.jsonl",
                      CorruptedCorpus.jsonLines(cleanGenerator.documents(800, corruptFraction: 0, idPrefix: "target")))
        let run = RunDirectory(dir.file("run")), target = RunDirectory(dir.file("target"))
        try ShardStage.run(run, options: .init(inputs: [dir.file("input")]), command: ["test"])
        try ShardStage.run(target, options: .init(inputs: [dir.file("target-input")]), command: ["test"])
        var tokenizer = TrainTokenizerStage.Options()
        tokenizer.vocabularySize = 512
        try TrainTokenizerStage.run(run, options: tokenizer, command: ["test"])
        try TokenizeStage.run(run, options: .init(), command: ["test"])
        var train = TrainStage.Options()
        train.configPath = try Self.config(dir)
        train.targetPath = target.root
        let started = Date()
        try TrainStage.run(run, options: train, command: ["test"])
        let trainSeconds = Date().timeIntervalSince(started)
        try ScoreStage.run(run, options: .init(), command: ["test"])

        var scores: [String: [Float]] = [:]
        for index in try ShardVerification.verifiedOutputs(of: "shard", prefix: "docs/", in: run).indices {
            var documents = try JSONLShardReader(path: run.docsShard(index))
            var lines = try JSONLShardReader(path: run.scoreShard(index))
            while let document = try documents.next({ try Document(jsonLine: $0) }) {
                let (id, score) = try #require(try lines.next { try ScoreLine.parse($0) })
                #expect(id == document.id)
                scores[document.metadata["corruption"]?.stringValue ?? "?", default: []].append(score)
            }
        }
        let clean = try #require(scores["none"])
        var report = String(format: "meta-training %.0f s; AUROC of clean over", trainSeconds)
        for kind in CorruptedCorpus.kinds {
            report += String(format: " %@ %.3f", kind, areaUnderROC(positive: clean, negative: scores[kind] ?? []))
        }
        let detectable = ["random_chars", "mojibake", "shuffled_words"].flatMap { scores[$0] ?? [] }
        let auroc = areaUnderROC(positive: clean, negative: detectable)
        print("behaviour: \(report); random chars, mojibake and shuffled words pooled \(String(format: "%.3f", auroc))")
        #expect(auroc >= 0.9, "\(report)")
    }
}
