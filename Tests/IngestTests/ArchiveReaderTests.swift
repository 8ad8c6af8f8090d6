import Foundation
import Testing
@testable import Ingest
import ShardIO

@Suite struct ArchiveReaderTests {
    /// A tree with JSON Lines, text, HTML, Markdown and an image, packed as `name`.
    func makeTar(_ dir: TempDir, name: String, flags: [String]) throws -> String {
        try dir.write("tree/data/part.jsonl", dolmaLine(id: "j1", text: "json one") + "\n" + "{\"text\":\"json two\"}\n")
        try dir.write("tree/docs/readme.txt", "Plain text member.\n")
        try dir.write("tree/docs/page.html", "<html><body><p>Hello <b>web</b></p><script>x()</script></body></html>")
        try dir.write("tree/docs/notes.md", "# Title\n\nBody")
        try dir.write("tree/img/logo.png", [0x89, 0x50, 0x4E, 0x47, 0xFF, 0x00])
        try dir.write("tree/docs/empty.txt", "  \n")
        try run("tar", flags + ["-cf", dir.url(name), "-C", dir.url("tree"), "data", "docs", "img"])
        return dir.url(name)
    }

    @Test(arguments: [("corpus.tar", [String]()), ("corpus.tar.gz", ["-z"]), ("corpus.tgz", ["-z"]), ("corpus.tar.zst", ["--zstd"])])
    func membersBecomeDocuments(_ name: String, _ flags: [String]) throws {
        let dir = try TempDir()
        let path = try makeTar(dir, name: name, flags: flags)
        let (items, stats) = try readAll(path)
        let byMember = Dictionary(grouping: items.documents, by: { $0.metadata["member"]?.stringValue ?? "(jsonl)" })
        #expect(byMember["docs/readme.txt"]?.first?.text == "Plain text member.\n")
        #expect(byMember["docs/page.html"]?.first?.text == "Hello web")
        #expect(byMember["docs/notes.md"]?.first?.text == "# Title\n\nBody")
        let jsonl = items.filter { $0.provenance?.member == "data/part.jsonl" }.compactMap(\.document)
        #expect(jsonl.map(\.text) == ["json one", "json two"])
        #expect(jsonl.first?.id == "j1")
        #expect(jsonl.last?.id == StableID.make(source: "corpus", relativePath: name, member: "data/part.jsonl", line: 3))
        #expect(items.rejections.map(\.code) == [.emptyDocument])
        #expect(items.rejections.first?.member == "docs/empty.txt")
        #expect(stats.skippedMembers == 1, "the png")
        #expect(stats.emptyLines == 1)
        let textDocs = items.documents.filter { $0.metadata["member"] != nil }
        #expect(textDocs.allSatisfy { $0.source == "corpus" })
        #expect(Set(items.documents.map(\.id)).count == items.documents.count)
    }

    @Test func truncatedTarGz() throws {
        let dir = try TempDir()
        var rng = SystemRandomNumberGenerator()
        for k in 0..<20 {
            let noise = String((0..<20_000).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x61...0x7A, using: &rng))) })
            try dir.write("tree/f\(k < 10 ? "0" : "")\(k).txt", noise)
        }
        try run("tar", ["-czf", dir.url("t.tar.gz"), "-C", dir.url("tree"), "."])
        let full = try dir.read("t.tar.gz")
        try dir.write("t.tar.gz", Array(full.prefix(full.count / 2)))
        let (items, _) = try readAll(dir.url("t.tar.gz"))
        #expect(items.rejections.map(\.code) == [.truncatedStream])
        #expect(items.documents.count >= 5 && items.documents.count < 20)
    }

    @Test func notATar() throws {
        let dir = try TempDir()
        let path = try dir.write("fake.tar", String(repeating: "not a tar archive at all\n", count: 100))
        // libarchive refuses at open or at the first header; both name the file.
        do {
            let (items, _) = try readAll(path)
            #expect(items.rejections.map(\.code) == [.truncatedStream])
        } catch let error as IngestError {
            #expect(error.code == .cannotOpen && error.path == path)
        }
    }

    @Test func oversizedTextMember() throws {
        let dir = try TempDir()
        try dir.write("tree/big.txt", String(repeating: "z", count: 50_000))
        try dir.write("tree/small.txt", "small")
        try run("tar", ["-cf", dir.url("m.tar"), "-C", dir.url("tree"), "big.txt", "small.txt"])
        let (items, _) = try readAll(dir.url("m.tar"), options: IngestOptions(maxRecordBytes: 10_000, blockSize: 4096))
        #expect(items.rejections.map(\.code) == [.recordTooLarge])
        #expect(items.rejections.first?.member == "big.txt")
        #expect(items.documents.map(\.text) == ["small"])
    }

    @Test func compressionFollowsTheExtensionNotTheContents() throws {
        let dir = try TempDir()
        // Looks like uuencoded data to libarchive's sniffing filters; must stay plain text.
        let uu = try readAll(try dir.write("uu.txt", "begin 644 notes\nM86)C\n`\nend\n"))
        #expect(uu.items.documents.map(\.text) == ["begin 644 notes\nM86)C\n`\nend\n"])
        // A gzip file without .gz is read as bytes: every line is rejected, nothing decoded.
        try dir.write("g.jsonl", dolmaLine(id: "a", text: "x"))
        try run("gzip", ["-n", "g.jsonl"], in: dir.path)
        try FileManager.default.moveItem(atPath: dir.url("g.jsonl.gz"), toPath: dir.url("mislabelled.jsonl"))
        let mislabelled = try readAll(dir.url("mislabelled.jsonl"))
        #expect(mislabelled.items.documents.isEmpty && !mislabelled.items.rejections.isEmpty)
    }

    @Test func plainTextFile() throws {
        let dir = try TempDir()
        let path = try dir.write("essay.txt", "An essay.\nTwo lines.")
        let (items, _) = try readAll(path)
        #expect(items.documents == [Document(id: StableID.make(source: "essay", relativePath: "essay.txt", member: nil, line: 1),
                                             text: "An essay.\nTwo lines.", source: "essay")])
    }
}

@Suite struct DamagedTarTests {
    /// A ustar archive of three one-block members whose second header is damaged in `field`.
    func damagedTar(_ dir: TempDir, field: Range<Int>, with bytes: [UInt8]) throws -> String {
        try dir.write("tree/a.txt", "aaa")
        try dir.write("tree/b.txt", "bbb")
        try dir.write("tree/c.txt", "ccc")
        try run("tar", ["--format=ustar", "-cf", dir.url("t.tar"), "-C", dir.url("tree"), "a.txt", "b.txt", "c.txt"])
        var tar = try dir.read("t.tar")
        precondition(bytes.count == field.count)
        tar.replaceSubrange((1024 + field.lowerBound)..<(1024 + field.upperBound), with: bytes)
        return try dir.write("damaged.tar", tar)
    }

    @Test func damagedChecksumSkipsOneMember() throws {
        let dir = try TempDir()
        let path = try damagedTar(dir, field: 148..<156, with: Array("0000000\0".utf8))
        let (items, _) = try readAll(path)
        #expect(items.documents.map(\.text) == ["aaa", "ccc"])
        #expect(items.rejections.map(\.code) == [.unreadableMember])
        #expect(items.rejections.first?.message.contains("Damaged tar archive") == true)
        #expect(items.rejections.first?.byteOffset == 1024)
    }

    @Test func damagedSizeSkipsOneMember() throws {
        let dir = try TempDir()
        let path = try damagedTar(dir, field: 124..<136, with: Array("zzzzzzzzzzz\0".utf8))
        let (items, _) = try readAll(path)
        #expect(items.documents.map(\.text) == ["aaa", "ccc"])
        #expect(items.rejections.map(\.code) == [.unreadableMember])
    }
}
