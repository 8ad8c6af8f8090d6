import Foundation
import Testing
@testable import Curation
import ShardIO
import Tokenization

/// train-tokenizer → tokenize on a generated corpus: aligned token shards, the tokenizer's checksum in the
/// manifest, resume, and the same bytes from one or two worker processes.
@Suite(.serialized) struct TokenizeStageTests {
    func shardedRun(_ dir: TemporaryDirectory, name: String = "run") throws -> RunDirectory {
        if !FileManager.default.fileExists(atPath: dir.file("input")) { _ = try GeneratedCorpus.make(in: dir, documentsPerFile: 80) }
        let run = RunDirectory(dir.file(name))
        var options = ShardStage.Options(inputs: [dir.file("input")])
        options.targetShardBytes = 8_000
        try ShardStage.run(run, options: options, command: ["test"])
        return run
    }

    @Test func tokenShardsAreAlignedAndDecodeToTheDocuments() throws {
        let dir = TemporaryDirectory()
        let run = try shardedRun(dir)
        var trainOptions = TrainTokenizerStage.Options()
        trainOptions.vocabularySize = 300
        try TrainTokenizerStage.run(run, options: trainOptions, command: ["test"])
        let tokenizerPath = TokenizeStage.defaultTokenizerPath(run)
        let record = try #require(try TokenizeStage.run(run, options: .init(), command: ["test"]))
        let manifest = try Manifest.load(run)
        let (sha, _) = try Checksum.file(tokenizerPath)
        #expect(manifest.stages["tokenize"]?.configuration["tokenizer_sha256"] == sha)
        #expect(record.counts["documents"] == manifest.stages["shard"]?.counts["documents"])
        let tokenizer = try Tokenizer(contentsOf: tokenizerPath)
        let docs = try ShardVerification.verifiedOutputs(of: "shard", prefix: "docs/", in: run)
        #expect(record.outputs.count == docs.count)
        for index in docs.indices {
            var documents = try JSONLShardReader(path: run.docsShard(index))
            var tokens = try TokenShardReader(path: run.tokenShard(index))
            #expect(tokens.width == 2)
            while let document = try documents.next({ try Document(jsonLine: $0) }) {
                let tokenRecord = try #require(try tokens.next())
                #expect(tokenRecord.id == document.id)
                #expect(tokenRecord.tokens.map { Int32($0) } == tokenizer.encode(document.text))
                #expect(tokenizer.decode(tokenRecord.tokens.map { Int32($0) }) == document.text)
            }
            #expect(try tokens.next() == nil)
        }
        // `cat` prints token shards with their document ids.
        var lines: [String] = []
        try CatTool.run(paths: [run.tokenShard(0)], limit: 2) { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines.count == 2 && lines[0].hasPrefix("{\"id\":") && lines[0].contains("\"tokens\":["))
    }

    @Test func rerunSkipsAndAnotherTokenizerRedoes() throws {
        let dir = TemporaryDirectory()
        let run = try shardedRun(dir)
        var trainOptions = TrainTokenizerStage.Options()
        trainOptions.vocabularySize = 300
        try TrainTokenizerStage.run(run, options: trainOptions, command: ["test"])
        try TokenizeStage.run(run, options: .init(), command: ["test"])
        let before = try FileManager.default.attributesOfItem(atPath: run.tokenShard(0))[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.05)
        try TokenizeStage.run(run, options: .init(), command: ["test"])
        #expect(try FileManager.default.attributesOfItem(atPath: run.tokenShard(0))[.modificationDate] as? Date == before)
        trainOptions.vocabularySize = 280
        try TrainTokenizerStage.run(run, options: trainOptions, command: ["test"])
        try TokenizeStage.run(run, options: .init(), command: ["test"])
        #expect(try FileManager.default.attributesOfItem(atPath: run.tokenShard(0))[.modificationDate] as? Date != before)
    }

    @Test func twoWorkerProcessesWriteTheSameBytesAsOne() throws {
        let dir = TemporaryDirectory()
        let one = try shardedRun(dir, name: "one"), two = try shardedRun(dir, name: "two")
        var trainOptions = TrainTokenizerStage.Options()
        trainOptions.vocabularySize = 300
        try TrainTokenizerStage.run(one, options: trainOptions, command: ["test"])
        let tokenizer = TokenizeStage.defaultTokenizerPath(one)
        #expect(try run([dataraterExecutable, "tokenize", one.root, "--tokenizer", tokenizer]).status == 0)
        let result = try run([dataraterExecutable, "tokenize", two.root, "--tokenizer", tokenizer, "--workers", "2"])
        #expect(result.status == 0, "\(result.error)")
        let a = try digests(one.tokensDirectory), b = try digests(two.tokensDirectory)
        #expect(!a.isEmpty && a == b)
    }
}
