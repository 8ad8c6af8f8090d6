import Foundation
import Testing
@testable import Ingest
import ShardIO

@Suite struct JSONLinesReaderTests {
    /// Ten lines covering every per-line outcome; `expected` is what each becomes.
    static let mixedLines: [String] = [
        dolmaLine(id: "a", text: "first doc"),                    // 1 document
        "\n",                                                      // 2 empty
        "{\"id\":\"b\",\"source\":\"s\",\"text\":\"x\"\n",         // 3 malformed (unterminated)
        "{\"id\":\"c\",\"source\":\"s\"}\n",                       // 4 missing text
        "{\"id\":\"d\",\"source\":\"s\",\"text\":42}\n",           // 5 text not string
        "{\"id\":\"e\",\"source\":\"s\",\"text\":\"  \\n \"}\n",   // 6 empty document
        "   \r\n",                                                 // 7 empty (whitespace)
        "[1,2]\n",                                                 // 8 malformed: not an object
        dolmaLine(id: "f", text: "last doc"),                      // 9 document
    ]

    @Test func everyLineIsAccountedFor() throws {
        let dir = try TempDir()
        let path = try dir.write("mixed.jsonl", Self.mixedLines.joined() + "{\"text\":\"no newline at end\"}")
        let (items, stats) = try readAll(path)
        #expect(items.documents.map(\.id) == ["a", "f", StableID.make(source: "mixed", relativePath: "mixed.jsonl", member: nil, line: 10)])
        #expect(items.rejections.map(\.code) == [.malformedJSON, .missingText, .textNotString, .emptyDocument, .malformedJSON])
        #expect(items.rejections.map(\.line) == [3, 4, 5, 6, 8])
        #expect(stats.lines == 10 && stats.emptyLines == 2 && stats.documents == 3 && stats.rejected == 5)
        #expect(stats.lines == stats.documents + stats.rejected + stats.emptyLines)
        #expect(stats.rejectedByCode[.malformedJSON] == 2)
        // Provenance: line numbers and byte offsets of the line starts.
        let provenance = items.compactMap(\.provenance)
        #expect(provenance.map(\.line) == [1, 9, 10])
        let offsetOfLine9 = Self.mixedLines.prefix(8).reduce(0) { $0 + $1.utf8.count }
        #expect(provenance[1].byteOffset == offsetOfLine9)
        #expect(provenance[0].file == path && provenance[0].member == nil)
        // The rejection names the problem and carries the line's start.
        let malformed = try #require(items.rejections.first)
        #expect(malformed.snippet.hasPrefix("{\"id\":\"b\""))
        #expect(malformed.message.contains("unexpected end of input"))
        #expect(malformed.description.contains("mixed.jsonl:3"))
    }

    @Test func invalidUTF8RejectedOrRepaired() throws {
        let dir = try TempDir()
        let bad: [UInt8] = Array(#"{"id":"u","source":"s","text":"caf"#.utf8) + [0xC3] + Array(#"!"}"#.utf8) + [0x0A]
        let lone = Array(#"{"id":"v","source":"s","text":"x\uD800y"}"#.utf8) + [0x0A]
        let path = try dir.write("utf8.jsonl", bad + lone + Array(dolmaLine(id: "w", text: "ok").utf8))
        let strict = try readAll(path)
        #expect(strict.items.rejections.map(\.code) == [.invalidUTF8, .invalidUTF8])
        #expect(strict.items.documents.map(\.id) == ["w"])
        let repaired = try readAll(path, options: IngestOptions(invalidUTF8: .repair))
        #expect(repaired.items.documents.map(\.text) == ["caf\u{FFFD}!", "x\u{FFFD}y", "ok"])
        #expect(repaired.stats.repairedRecords == 2 && repaired.stats.replacements == 2)
    }

    @Test func compressedFilesReadTheSame() throws {
        let dir = try TempDir()
        let text = (0..<500).map { dolmaLine(id: "id\($0)", text: "document \($0) – ünïcødé \"quoted\"\n") }.joined()
        try dir.write("plain.jsonl", text)
        try dir.write("z.jsonl", text)
        try dir.write("g.jsonl", text)
        try dir.write("x.jsonl", text)
        try run("zstd", ["-q", "--rm", "z.jsonl"], in: dir.path)
        try run("gzip", ["-n", "g.jsonl"], in: dir.path)
        try run("xz", ["x.jsonl"], in: dir.path)
        let plain = try readAll(dir.url("plain.jsonl"))
        #expect(plain.items.documents.count == 500)
        for name in ["z.jsonl.zst", "g.jsonl.gz", "x.jsonl.xz"] {
            let r = try readAll(dir.url(name))
            #expect(r.items.documents == plain.items.documents, "\(name)")
            #expect(r.stats.bytesRead == text.utf8.count)
        }
    }

    @Test(arguments: ["zstd", "gzip"])
    func truncatedStreamIsOneRejection(_ tool: String) throws {
        let dir = try TempDir()
        // Incompressible-ish text so the compressed file is long enough to cut in the middle.
        var rng = SystemRandomNumberGenerator()
        let text = (0..<2000).map { i in
            dolmaLine(id: "t\(i)", text: String((0..<200).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x61...0x7A, using: &rng))) }))
        }.joined()
        try dir.write("t.jsonl", text)
        try run(tool, tool == "zstd" ? ["-q", "--rm", "t.jsonl"] : ["-n", "t.jsonl"], in: dir.path)
        let name = tool == "zstd" ? "t.jsonl.zst" : "t.jsonl.gz"
        let full = try dir.read(name)
        try dir.write(name, Array(full.prefix(full.count / 2)))
        let (items, stats) = try readAll(dir.url(name))
        let rejections = items.rejections
        #expect(rejections.count == 1)
        #expect(rejections.first?.code == .truncatedStream)
        #expect(rejections.first?.message.contains("bytes") == true)
        #expect(items.documents.count > 100 && items.documents.count < 2000, "\(items.documents.count) documents, \(rejections)")
        #expect(items.last?.rejection != nil, "the truncation is the last item")
        #expect(stats.lines == stats.documents + stats.rejected + stats.emptyLines)
    }

    @Test func recordTooLargeIsSkippedWithoutStoppingTheFile() throws {
        let dir = try TempDir()
        let big = dolmaLine(id: "big", text: String(repeating: "x", count: 10_000))
        let text = dolmaLine(id: "a", text: "a") + big + dolmaLine(id: "b", text: "b") + big.dropLast() // last one without \n
        let path = try dir.write("big.jsonl", text)
        let options = IngestOptions(maxRecordBytes: 4096, blockSize: 1024)
        let (items, stats) = try readAll(path, options: options)
        #expect(items.documents.map(\.id) == ["a", "b"])
        #expect(items.rejections.map(\.code) == [.recordTooLarge, .recordTooLarge])
        #expect(items.rejections.map(\.line) == [2, 4])
        #expect(items.rejections.first?.snippet.count == 200)
        #expect(items.rejections.first?.message.contains("\(big.utf8.count - 1) bytes") == true)
        #expect(stats.lines == 4)
        // Exactly at the limit is accepted.
        let edge = dolmaLine(id: "e", text: String(repeating: "y", count: 100))
        let atLimit = try readAll(try dir.write("edge.jsonl", edge), options: IngestOptions(maxRecordBytes: edge.utf8.count - 1, blockSize: 16))
        #expect(atLimit.items.documents.map(\.id) == ["e"])
    }

    @Test func byteOrderMarkBeforeTheFirstLineIsIgnored() throws {
        let dir = try TempDir()
        let path = try dir.write("bom.jsonl", [0xEF, 0xBB, 0xBF] + Array((dolmaLine(id: "a", text: "x") + dolmaLine(id: "b", text: "y")).utf8))
        let (items, _) = try readAll(path)
        #expect(items.documents.map(\.id) == ["a", "b"])
        #expect(items.compactMap(\.provenance).first?.byteOffset == 3)
    }

    @Test func emptyFileHasNoItems() throws {
        let dir = try TempDir()
        let (items, stats) = try readAll(try dir.write("empty.jsonl", ""))
        #expect(items.isEmpty && stats.lines == 0)
    }

    @Test func unopenableFileThrows() throws {
        let file = InputFile(path: "/nonexistent/x.jsonl", relativePath: "x.jsonl", kind: .jsonLines)
        #expect(throws: IngestError.self) { _ = try IngestReader(file: file) }
        do {
            _ = try IngestReader(file: file)
        } catch {
            #expect(error.code == .cannotOpen && error.description.contains("/nonexistent/x.jsonl"))
        }
    }

    @Test func idsAreStableAndDistinct() throws {
        let dir = try TempDir()
        let text = (0..<50).map { "{\"text\":\"same text\",\"n\":\($0)}\n" }.joined()
        let path = try dir.write("sub/g.jsonl", text)
        let a = try readAll(path, relativePath: "sub/g.jsonl").items.documents.map(\.id)
        let b = try readAll(path, relativePath: "sub/g.jsonl").items.documents.map(\.id)
        #expect(a == b)
        #expect(Set(a).count == 50)
        #expect(a[0] == StableID.make(source: "g", relativePath: "sub/g.jsonl", member: nil, line: 1))
        #expect(a[0].hasPrefix("g/") && a[0].utf8.count == "g/".utf8.count + 16)
        // Only the relative path matters, not where the corpus lives.
        let moved = try TempDir()
        let movedPath = try moved.write("elsewhere/sub/g.jsonl", text)
        #expect(try readAll(movedPath, relativePath: "sub/g.jsonl").items.documents.map(\.id) == a)
        // Known value of the hash (FNV-1a 64), so a change of formula is noticed.
        #expect(StableID.fnv1a(Array("a".utf8)) == 0xAF63_DC4C_8601_EC8C)
    }
}
