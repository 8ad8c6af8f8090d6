import Foundation
import Testing
@testable import Curation
import ShardIO

@Suite struct ShardStageTests {
    func options(_ dir: TemporaryDirectory, shardSize: Int = 6_000) -> ShardStage.Options {
        var options = ShardStage.Options(inputs: [dir.file("input")])
        options.targetShardBytes = shardSize
        return options
    }

    func readLines(_ path: String) throws -> [String] {
        var lines: [String] = []
        try CatTool.forEachLine(path) { lines.append(String(decoding: $0, as: UTF8.self)); return true }
        return lines
    }

    @Test func everyRecordEndsInExactlyOnePlace() throws {
        let dir = TemporaryDirectory()
        let corpus = try GeneratedCorpus.make(in: dir)
        let run = RunDirectory(dir.file("run"))
        let record = try ShardStage.run(run, options: options(dir), command: ["test"])
        #expect(record.counts["documents"] == corpus.documents)
        #expect(record.counts["rejected"] == corpus.rejected)
        #expect(record.counts["input_records"] == corpus.documents + corpus.rejected)
        #expect(record.counts["empty_lines"] == corpus.empty)
        let docShards = record.outputs.filter { $0.path.hasPrefix("docs/") }
        #expect(docShards.count > 3, "the shard size should split this corpus")
        // The shards hold exactly the counted documents, ids unique, each a Dolma document.
        var ids = Set<String>()
        var documents = 0
        for shard in docShards {
            let lines = try readLines(run.path(shard.path))
            #expect(lines.count == shard.records)
            for line in lines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(object["text"] is String)
                #expect(object["source"] is String)
                ids.insert(try #require(object["id"] as? String))
                documents += 1
            }
        }
        #expect(documents == corpus.documents)
        #expect(ids.count == corpus.documents)
        // Rejections name the file and line and say what was wrong.
        var rejections: [[String: Any]] = []
        for shard in record.outputs where shard.path.hasPrefix("rejected/") {
            for line in try readLines(run.path(shard.path)) {
                rejections.append(try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]))
            }
        }
        #expect(rejections.count == corpus.rejected)
        let files = Set(rejections.compactMap { $0["file"] as? String }.map { URL(fileURLWithPath: $0).lastPathComponent })
        #expect(files == ["dolma.jsonl", "dolma2.jsonl.zst", "pile.jsonl.gz"])
        #expect(rejections.allSatisfy { ($0["line"] as? Int ?? 0) > 0 && !($0["message"] as? String ?? "").isEmpty })
        // The manifest has inputs with checksums and outputs with checksums and counts.
        let manifest = try Manifest.load(run)
        let stage = try #require(manifest.stages["shard"])
        #expect(stage.status == .complete)
        #expect(stage.inputs.count == 5)
        #expect(stage.inputs.allSatisfy { $0.sha256.count == 64 && $0.bytes > 0 })
        #expect(stage.code.version == CodeVersion.version)
        // The OpenBLAS build and the kernel it picked for this CPU (results are bit-identical only under one kernel).
        let blas = try #require(stage.code.blas)
        #expect(blas.hasPrefix("OpenBLAS") && blas.contains("; core ") && !blas.hasSuffix("core unknown"), "\(blas)")
    }

    @Test func sameInputSameBytes() throws {
        let dir = TemporaryDirectory()
        _ = try GeneratedCorpus.make(in: dir)
        try ShardStage.run(RunDirectory(dir.file("one")), options: options(dir), command: ["test"])
        try ShardStage.run(RunDirectory(dir.file("two")), options: options(dir), command: ["test"])
        let one = try digests(dir.file("one")), two = try digests(dir.file("two"))
        #expect(!one.isEmpty)
        #expect(one == two)
    }

    @Test func rerunSkipsFinishedShards() throws {
        let dir = TemporaryDirectory()
        _ = try GeneratedCorpus.make(in: dir)
        let run = RunDirectory(dir.file("run"))
        try ShardStage.run(run, options: options(dir), command: ["test"])
        let before = try FileManager.default.attributesOfItem(atPath: run.docsShard(0))[.modificationDate] as? Date
        let digestsBefore = try digests(run.root)
        Thread.sleep(forTimeInterval: 0.05)
        try ShardStage.run(run, options: options(dir), command: ["test"])
        let after = try FileManager.default.attributesOfItem(atPath: run.docsShard(0))[.modificationDate] as? Date
        #expect(before == after, "a finished shard was rewritten")
        #expect(try digests(run.root) == digestsBefore)
        // A changed setting redoes the work and removes shards the new layout no longer has.
        try ShardStage.run(run, options: options(dir, shardSize: 1_000_000), command: ["test"])
        #expect(try FileIO.listDirectory(run.docsDirectory) == ["00000.jsonl.zst"])
    }

    @Test func changedShardIsCaughtBeforeUse() throws {
        let dir = TemporaryDirectory()
        _ = try GeneratedCorpus.make(in: dir)
        let run = RunDirectory(dir.file("run"))
        try ShardStage.run(run, options: options(dir), command: ["test"])
        #expect(try ShardVerification.verifiedOutputs(of: "shard", prefix: "docs/", in: run).count > 1)
        let data = try Data(contentsOf: URL(fileURLWithPath: run.docsShard(1)))
        try data.dropLast(7).write(to: URL(fileURLWithPath: run.docsShard(1)))
        #expect {
            _ = try ShardVerification.verifiedOutputs(of: "shard", prefix: "docs/", in: run)
        } throws: { error in
            let error = error as? CurationError
            return error?.code == .shardMismatch && error?.message.contains("00001.jsonl.zst") == true
        }
    }

    @Test func unreadableInputIsAClearError() throws {
        let dir = TemporaryDirectory()
        var options = ShardStage.Options(inputs: [dir.file("does-not-exist.jsonl")])
        options.targetShardBytes = 1000
        #expect {
            try ShardStage.run(RunDirectory(dir.file("run")), options: options, command: ["test"])
        } throws: { error in
            "\(error)".contains("does-not-exist.jsonl")
        }
    }

    @Test func emptyInputFileIsNotACrash() throws {
        let dir = TemporaryDirectory()
        try dir.write("input/empty.jsonl", "")
        try dir.write("input/one.jsonl", "{\"text\":\"hello there\"}\n")
        let record = try ShardStage.run(RunDirectory(dir.file("run")), options: options(dir), command: ["test"])
        #expect(record.counts["documents"] == 1)
        #expect(record.counts["input_records"] == 1)
    }
}

/// Kill-and-resume through the real executable: SIGKILL at fixed points and at random moments, then a
/// rerun, must leave byte-identical shards, and no reader ever sees a half-written file.
@Suite(.serialized) struct ShardResumeTests {
    func shardCommand(_ dir: TemporaryDirectory, _ out: String) -> [String] {
        [dataraterExecutable, "shard", dir.file("input"), "--out", dir.file(out), "--shard-size", "6000"]
    }

    @Test(arguments: ["before-done:0", "after-done:0", "before-done:2", "after-done:3"])
    func killAtAFixedPointThenResume(point: String) throws {
        let dir = TemporaryDirectory()
        _ = try GeneratedCorpus.make(in: dir)
        let reference = try run(shardCommand(dir, "reference"))
        #expect(reference.status == 0, "\(reference.error)")
        let killed = try run(shardCommand(dir, "run"), environment: ["DATARATER_FAULT": "shard:\(point)"])
        #expect(killed.status == -9, "the fault point was not reached")
        // No temporary or partial file is visible under a final name.
        for name in try FileIO.listDirectory(dir.file("run/docs")) where !name.hasPrefix(".") {
            #expect(name.hasSuffix(".jsonl.zst"))
        }
        let status = try run([dataraterExecutable, "status", dir.file("run")])
        #expect(status.output.contains("shard") && status.output.contains("interrupted"), "\(status.output)")
        let resumed = try run(shardCommand(dir, "run"))
        #expect(resumed.status == 0, "\(resumed.error)")
        let after = try digests(dir.file("run")), expected = try digests(dir.file("reference"))
        #expect(after == expected, "differ: \(Set(after.keys).symmetricDifference(expected.keys).sorted()) \(after.keys.filter { after[$0] != expected[$0] }.sorted())")
    }

    @Test func killAtRandomMomentsThenResume() throws {
        let dir = TemporaryDirectory()
        _ = try GeneratedCorpus.make(in: dir, documentsPerFile: 3000)
        let reference = try run(shardCommand(dir, "reference"))
        #expect(reference.status == 0, "\(reference.error)")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: dataraterExecutable)
            process.arguments = Array(shardCommand(dir, "run").dropFirst())
            process.environment = ["DATARATER_QUIET": "1", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? ""]
            try process.run()
            Thread.sleep(forTimeInterval: Double.random(in: 0.02...0.4, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let resumed = try run(shardCommand(dir, "run"))
        #expect(resumed.status == 0, "\(resumed.error)")
        let after = try digests(dir.file("run")), expected = try digests(dir.file("reference"))
        #expect(after == expected, "differ: \(Set(after.keys).symmetricDifference(expected.keys).sorted()) \(after.keys.filter { after[$0] != expected[$0] }.sorted())")
    }
}
