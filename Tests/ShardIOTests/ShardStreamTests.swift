import Foundation
import Testing
@testable import ShardIO

@Suite struct ShardStreamTests {
    /// Lines of varied length, some longer than a zstd output block, deterministic.
    func lines(_ count: Int) -> [String] {
        (0..<count).map { i in
            let repeatCount = (i * 7919) % 300
            return "{\"n\":\(i),\"text\":\"" + String(repeating: "ab\(i % 13)", count: repeatCount) + "\"}"
        }
    }

    func write(_ lines: [String], to path: String, frameBytes: Int = 4096) throws -> ShardSummary {
        let writer = try ShardWriter(path: path, level: 3, frameBytes: frameBytes)
        for line in lines {
            try writer.appendRecord { buffer in
                buffer.append(contentsOf: line.utf8)
                buffer.append(0x0A)
            }
        }
        return try writer.finish()
    }

    func readAll(_ path: String) throws -> [String] {
        var reader = try JSONLShardReader(path: path)
        var result: [String] = []
        while let line = try reader.next({ String(decoding: $0, as: UTF8.self) }) { result.append(line) }
        return result
    }

    @Test func roundTripAcrossManyFrames() throws {
        let dir = TemporaryDirectory()
        let input = lines(2000)
        let summary = try write(input, to: dir.file("a.jsonl.zst"))
        #expect(summary.records == 2000)
        #expect(try readAll(dir.file("a.jsonl.zst")) == input)
        let (sha, bytes) = try Checksum.file(dir.file("a.jsonl.zst"))
        #expect(sha == summary.sha256)
        #expect(bytes == summary.bytes)
    }

    @Test func shardIsManyIndependentFramesThatZstdReads() throws {
        let dir = TemporaryDirectory()
        let input = lines(500)
        _ = try write(input, to: dir.file("b.jsonl.zst"), frameBytes: 1024)
        let (output, status) = try shell(["zstd", "-dc", dir.file("b.jsonl.zst")])
        #expect(status == 0)
        #expect(String(decoding: output, as: UTF8.self) == input.joined(separator: "\n") + "\n")
        // Several frames: `zstd -l` counts them.
        let (listing, _) = try shell(["zstd", "-lv", dir.file("b.jsonl.zst")])
        let text = String(decoding: listing, as: UTF8.self)
        let frames = text.split(separator: "\n").first { $0.contains("# Zstandard Frames") }
        let count = frames.flatMap { Int($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) } ?? 0
        #expect(count > 10)
    }

    @Test func readsFilesWrittenByTheZstdTool() throws {
        let dir = TemporaryDirectory()
        let input = lines(300)
        let text = input.joined(separator: "\n")  // no final newline: the last line still counts
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir.file("c.jsonl")))
        #expect(try shell(["zstd", "-q", "-19", dir.file("c.jsonl"), "-o", dir.file("c.jsonl.zst")]).status == 0)
        #expect(try readAll(dir.file("c.jsonl.zst")) == input)
    }

    @Test func truncatedStreamIsAnErrorNotASilentEnd() throws {
        let dir = TemporaryDirectory()
        let input = lines(400)
        let summary = try write(input, to: dir.file("d.jsonl.zst"), frameBytes: 1 << 20)
        let full = try Data(contentsOf: URL(fileURLWithPath: dir.file("d.jsonl.zst")))
        try full.prefix(summary.bytes / 2).write(to: URL(fileURLWithPath: dir.file("cut.jsonl.zst")))
        #expect {
            _ = try readAll(dir.file("cut.jsonl.zst"))
        } throws: { error in
            (error as? ShardIOError)?.code == .truncatedStream
        }
    }

    @Test func garbageIsACorruptStreamError() throws {
        let dir = TemporaryDirectory()
        try Data("this is not zstd at all\n".utf8).write(to: URL(fileURLWithPath: dir.file("e.jsonl.zst")))
        #expect {
            _ = try readAll(dir.file("e.jsonl.zst"))
        } throws: { error in
            (error as? ShardIOError)?.code == .corruptStream
        }
    }

    @Test func missingFileNamesThePath() throws {
        #expect {
            _ = try JSONLShardReader(path: "/nonexistent/x.jsonl.zst")
        } throws: { error in
            let error = error as? ShardIOError
            return error?.code == .notFound && error?.description.contains("/nonexistent/x.jsonl.zst") == true
        }
    }

    @Test func unfinishedWriterLeavesNoFile() throws {
        let dir = TemporaryDirectory()
        do {
            let writer = try ShardWriter(path: dir.file("f.jsonl.zst"), frameBytes: 64)
            for line in lines(100) { try line.utf8CString.withUnsafeBytes { try writer.append($0) } }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("f.jsonl.zst")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func lineLongerThanTheLimitIsRejectedWithoutBufferingIt() throws {
        let dir = TemporaryDirectory()
        let input = ["short", String(repeating: "x", count: 100_000), "after"]
        _ = try write(input, to: dir.file("g.jsonl.zst"))
        var reader = try JSONLShardReader(path: dir.file("g.jsonl.zst"), maxLineBytes: 10_000)
        #expect(try reader.next { String(decoding: $0, as: UTF8.self) } == "short")
        #expect {
            _ = try reader.next { $0.count }
        } throws: { error in
            (error as? ShardIOError)?.code == .recordTooLarge
        }
    }

    /// Writes and reads back ~256 MB of lines and checks that the peak resident memory grows by far less:
    /// both directions stream with buffers of about one frame.
    @Test func streamingUsesBoundedMemory() throws {
        let dir = TemporaryDirectory()
        let line = Array(String(repeating: "memory bound ", count: 80).utf8) + [0x0A]  // ~1 KB
        let count = 256 * 1024
        let before = memoryKiB().peak
        let writer = try ShardWriter(path: dir.file("big.jsonl.zst"), level: 1)
        for _ in 0..<count { try line.withUnsafeBytes { try writer.append($0) } }
        let summary = try writer.finish()
        #expect(summary.records == count)
        var reader = try JSONLShardReader(path: dir.file("big.jsonl.zst"))
        var total = 0
        while let n = try reader.next({ $0.count + 1 }) { total += n }
        #expect(total == count * line.count)
        let growthMiB = (memoryKiB().peak - before) / 1024
        #expect(growthMiB < 48, "peak RSS grew by \(growthMiB) MiB while streaming \(total >> 20) MiB")
    }
}

@Suite struct TokenShardTests {
    @Test(arguments: [2, 4])
    func roundTrip(width: Int) throws {
        let dir = TemporaryDirectory()
        let maxToken: UInt32 = width == 2 ? 65_535 : 1_000_000
        let records = (0..<300).map { i in
            TokenRecord(id: "doc/\(i)", tokens: (0..<(i * 37 % 500)).map { UInt32(($0 * 7 + i) % Int(maxToken + 1)) })
        }
        let writer = try TokenShardWriter(path: dir.file("t.tok.zst"), width: width)
        for record in records { try writer.append(id: record.id, tokens: record.tokens) }
        let summary = try writer.finish()
        #expect(summary.records == 300)
        var reader = try TokenShardReader(path: dir.file("t.tok.zst"))
        #expect(reader.width == width)
        var back: [TokenRecord] = []
        while let record = try reader.next() { back.append(record) }
        #expect(back == records)
    }

    @Test func widthFollowsVocabularySize() {
        #expect(TokenShardFormat.width(forVocabularySize: 4096) == 2)
        #expect(TokenShardFormat.width(forVocabularySize: 65_536) == 2)
        #expect(TokenShardFormat.width(forVocabularySize: 65_537) == 4)
    }

    @Test func documentShardIsNotATokenShard() throws {
        let dir = TemporaryDirectory()
        let writer = try ShardWriter(path: dir.file("d.jsonl.zst"))
        try Array("{\"id\":\"a\"}\n".utf8).withUnsafeBytes { try writer.append($0) }
        _ = try writer.finish()
        #expect {
            _ = try TokenShardReader(path: dir.file("d.jsonl.zst"))
        } throws: { error in
            (error as? ShardIOError)?.code == .badFormat
        }
    }

    @Test func truncatedTokenShardIsAnError() throws {
        let dir = TemporaryDirectory()
        let writer = try TokenShardWriter(path: dir.file("t.tok.zst"), width: 2)
        for i in 0..<2000 { try writer.append(id: "d\(i)", tokens: (0..<200).map { UInt32($0 ^ i) & 0x7FFF }) }
        let summary = try writer.finish()
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.file("t.tok.zst")))
        try data.prefix(summary.bytes * 2 / 3).write(to: URL(fileURLWithPath: dir.file("cut.tok.zst")))
        #expect {
            var reader = try TokenShardReader(path: dir.file("cut.tok.zst"))
            while try reader.next() != nil {}
        } throws: { error in
            let code = (error as? ShardIOError)?.code
            return code == .truncatedStream
        }
    }
}
