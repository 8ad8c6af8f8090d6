import Foundation
import Testing
@testable import Curation
import ShardIO

/// threshold → write → audit on a run whose token and score shards are made by stand-in stages, so these
/// tests need no trained model: the score is a fixed function of the text.
@Suite struct CurationFlowTests {
    /// A deterministic stand-in score: share of ASCII letters plus a little id-hash noise to break ties.
    static func standInScore(_ document: Document) -> Float {
        let letters = document.text.utf8.filter { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }.count
        let noise = Float(UInt32(Checksum.of(document.id).prefix(8), radix: 16) ?? 0) / Float(UInt32.max) * 1e-3
        return Float(letters) / Float(max(1, document.text.utf8.count)) + noise
    }

    static func scoredRun(_ dir: TemporaryDirectory) throws -> RunDirectory {
        _ = try GeneratedCorpus.make(in: dir, documentsPerFile: 120)
        let run = RunDirectory(dir.file("run"))
        var options = ShardStage.Options(inputs: [dir.file("input")])
        options.targetShardBytes = 20_000
        try ShardStage.run(run, options: options, command: ["test"])
        let tokenize = ShardedStage(name: TokenizeStage.name, run: run, configuration: StageConfiguration(["stand_in": "bytes"]), dependencies: [])
        try tokenize.runAll(workers: 1, workerArguments: [], command: ["test"]) { index, _ in
            let writer = try TokenShardWriter(path: run.tokenShard(index), width: 2)
            var reader = try JSONLShardReader(path: run.docsShard(index))
            while let document = try reader.next({ try Document(jsonLine: $0) }) {
                try writer.append(id: document.id, tokens: document.text.utf8.map { UInt32($0) })
            }
            return ([try writer.finish()], [:])
        }
        let score = ShardedStage(name: "score", run: run, configuration: StageConfiguration(["stand_in": "letters"]), dependencies: [])
        try score.runAll(workers: 1, workerArguments: [], command: ["test"]) { index, _ in
            let writer = try ScoreShardWriter(run: run, index: index)
            var reader = try JSONLShardReader(path: run.docsShard(index))
            var n = 0
            while let document = try reader.next({ try Document(jsonLine: $0) }) {
                try writer.append(id: document.id, source: document.source, characters: document.text.unicodeScalars.count,
                                  score: standInScore(document))
                n += 1
            }
            return (try writer.finish(), ["documents": n])
        }
        return run
    }

    @Test(arguments: [0.1, 0.5, 0.75])
    func achievedDiscardMatchesTheRequest(fraction: Double) throws {
        let dir = TemporaryDirectory()
        let run = try Self.scoredRun(dir)
        let threshold = try ThresholdStage.run(run, options: .init(discardFraction: fraction), command: ["test"])
        #expect(threshold.rankErrorBound <= 0.001)
        #expect(abs(threshold.discardFractionEstimated - fraction) <= 0.001 + 1.0 / Double(threshold.documents))
        let record = try #require(try WriteStage.run(run, options: .init(), command: ["test"]))
        let kept = record.counts["kept"] ?? 0, discarded = record.counts["discarded"] ?? 0
        let documents = try Manifest.load(run).stages["shard"]?.counts["documents"] ?? -1
        #expect(kept + discarded == documents)
        #expect(record.counts["scored"] == documents)
        let achieved = Double(discarded) / Double(documents)
        // Every score is distinct, so the only slack is one document's worth of granularity.
        #expect(abs(achieved - fraction) <= 0.001 + 1.0 / Double(documents), "achieved \(achieved)")
        // Every discarded document is below the cutoff, every kept one at or above it.
        try AuditTool.forEachDecision(run) { entry in
            if entry.kept { #expect(entry.score >= threshold.cutoff) } else { #expect(entry.score < threshold.cutoff) }
        }
    }

    @Test func discardedDocumentsCarryScoreCutoffRankAndReason() throws {
        let dir = TemporaryDirectory()
        let run = try Self.scoredRun(dir)
        try ThresholdStage.run(run, options: .init(discardFraction: 0.3), command: ["test"])
        try WriteStage.run(run, options: .init(), command: ["test"])
        var seen = 0
        for name in try FileIO.listDirectory(run.path("discarded")) {
            var reader = try JSONLShardReader(path: FileIO.join(run.path("discarded"), name))
            while let value = try reader.next({ try JSONParser.parse($0) }) {
                for key in ["id", "source", "score", "cutoff", "quantile", "rank", "reason", "text"] {
                    #expect(value[key] != nil, "discarded record lacks \(key)")
                }
                #expect(value["reason"]?.stringValue?.contains("below") == true)
                seen += 1
            }
        }
        #expect(seen > 0)
    }

    @Test func keptTokensLoadAsOneFlatFileWithAnIndex() throws {
        let dir = TemporaryDirectory()
        let run = try Self.scoredRun(dir)
        try ThresholdStage.run(run, options: .init(discardFraction: 0.5), command: ["test"])
        let record = try #require(try WriteStage.run(run, options: .init(), command: ["test"]))
        let bin = try Data(contentsOf: URL(fileURLWithPath: run.path("kept/tokens.bin")))
        let idx = try Data(contentsOf: URL(fileURLWithPath: run.path("kept/tokens.idx")))
        let offsets = idx.withUnsafeBytes { raw in (0..<(idx.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) } }
        #expect(offsets.count == (record.counts["kept"] ?? 0) + 1)
        #expect(Int(offsets.last!) * 2 == bin.count)
        #expect(Int(offsets.last!) == record.counts["kept_tokens"])
        // The k-th kept document's tokens are its UTF-8 bytes (the stand-in tokenizer).
        var k = 0
        for name in try FileIO.listDirectory(run.path("kept/docs")) {
            var reader = try JSONLShardReader(path: FileIO.join(run.path("kept/docs"), name))
            while let document = try reader.next({ try Document(jsonLine: $0) }) {
                let tokens = bin.withUnsafeBytes { raw in
                    (Int(offsets[k])..<Int(offsets[k + 1])).map { raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self) }
                }
                #expect(tokens.map { UInt8($0) } == Array(document.text.utf8))
                #expect(document.metadata["datarater"]?["score"] != nil)
                k += 1
            }
        }
        #expect(k == record.counts["kept"])
    }

    @Test func perSourceThresholdDiscardsTheFractionInEverySource() throws {
        let dir = TemporaryDirectory()
        let run = try Self.scoredRun(dir)
        var options = ThresholdStage.Options(discardFraction: 0.5)
        options.perSource = true
        let threshold = try ThresholdStage.run(run, options: options, command: ["test"])
        try WriteStage.run(run, options: .init(), command: ["test"])
        let report = try AuditTool.report(run)
        #expect(Set(report.sources.keys) == Set(threshold.groups.keys))
        for (source, stats) in report.sources where stats.kept + stats.discarded >= 20 {
            #expect(abs(stats.keepRate - 0.5) <= 1.0 / Double(stats.kept + stats.discarded) + 0.001, "\(source): \(stats.keepRate)")
        }
    }

    @Test func batchTopKKeepsTheRightShareOnAverage() {
        // E_p[P(keep | p)] over a uniform quantile is exactly K/B.
        for (b, k) in [(16, 8), (128, 32), (128, 115)] {
            let n = 20_000
            var total = 0.0
            for i in 0..<n { total += Threshold.batchKeepProbability(quantile: (Double(i) + 0.5) / Double(n), batchSize: b, keep: k) }
            #expect(abs(total / Double(n) - Double(k) / Double(b)) < 1e-3)
        }
        // Monotone in the quantile: a better document is never less likely to be kept.
        var last = 0.0
        for i in 0...100 {
            let p = Threshold.batchKeepProbability(quantile: Double(i) / 100, batchSize: 64, keep: 16)
            #expect(p >= last - 1e-12)
            last = p
        }
    }

    @Test func auditPageNamesEverySourceAndComparesRuns() throws {
        let dir = TemporaryDirectory()
        let run = try Self.scoredRun(dir)
        try ThresholdStage.run(run, options: .init(discardFraction: 0.5), command: ["test"])
        try WriteStage.run(run, options: .init(), command: ["test"])
        let report = try AuditTool.report(run)
        let page = AuditTool.html(report)
        #expect(page.hasPrefix("<!doctype html>"))
        #expect(page.contains("<svg"))
        #expect(!page.contains("<script"), "the page must work offline without scripts")
        for source in report.sources.keys { #expect(page.contains(source)) }
        #expect(report.lowest.first!.score <= report.highest.first!.score)
        // A second run with another threshold: the comparison lists exactly the documents that moved.
        let other = RunDirectory(dir.file("other"))
        try FileManager.default.copyItem(atPath: run.root, toPath: other.root)
        try ThresholdStage.run(other, options: .init(discardFraction: 0.25), command: ["test"])
        try WriteStage.run(other, options: .init(), command: ["test"])
        let comparison = try AuditTool.compare(run, other)
        let keptHere = try Manifest.load(run).stages["write"]!.counts["kept"]!
        let keptThere = try Manifest.load(other).stages["write"]!.counts["kept"]!
        #expect(comparison.onlyKeptHere.isEmpty)
        #expect(comparison.onlyKeptThere.count == keptThere - keptHere)
    }
}
