import Foundation
import Testing
@testable import Ingest

@Suite struct DiscoveryTests {
    @Test func walksSortsAndClassifies() throws {
        let dir = try TempDir()
        for name in ["b/z.jsonl.zst", "b/a.tar.gz", "a.jsonl", "B.txt", "c/d/e.wet.gz", "c/x.tgz", "c/notes.pdf",
                     "c/k.json.gz", "c/w.warc", "c/t.tar.zst", "c/j.json", "c/y.jsonl.xz", ".hidden.jsonl"] {
            try dir.write(name, "x")
        }
        let files = try InputDiscovery.files(paths: [dir.path])
        #expect(files.map(\.relativePath) == ["B.txt", "a.jsonl", "b/a.tar.gz", "b/z.jsonl.zst", "c/d/e.wet.gz", "c/j.json",
                                               "c/k.json.gz", "c/notes.pdf", "c/t.tar.zst", "c/w.warc", "c/x.tgz", "c/y.jsonl.xz"])
        // A plain .json met inside a directory is usually metadata (manifest.json), so it is skipped and reported.
        #expect(files.map(\.kind) == [.text, .jsonLines, .tar, .jsonLines, .warc, .skipped, .jsonLines, .skipped, .tar, .warc, .tar, .jsonLines])
        // Named explicitly, it is read as JSON Lines.
        #expect(try InputDiscovery.files(paths: [dir.path + "/c/j.json"]).map(\.kind) == [.jsonLines])
        #expect(files[0].path == dir.path + "/B.txt")
        #expect(files[3].baseName == "z")
    }

    @Test func fileArgumentsKeepTheirOrder() throws {
        let dir = try TempDir()
        let b = try dir.write("b.jsonl", "x")
        let a = try dir.write("sub/a.jsonl.gz", "x")
        let files = try InputDiscovery.files(paths: [b, a])
        #expect(files.map(\.relativePath) == ["b.jsonl", "a.jsonl.gz"])
        #expect(files.map(\.baseName) == ["b", "a"])
    }

    @Test func missingPathIsATypedError() throws {
        let dir = try TempDir()
        let missing = dir.url("nope")
        do {
            _ = try InputDiscovery.files(paths: [missing])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.path == missing && error.description.contains(missing))
        }
    }

    @Test func notAFileOrDirectoryIsATypedError() throws {
        // (Permission errors cannot be provoked when tests run as root; a device stands in.)
        do {
            _ = try InputDiscovery.files(paths: ["/dev/null"])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unreadable && error.path == "/dev/null")
        }
    }

    @Test func symlinkLoopsAreVisitedOnce() throws {
        let dir = try TempDir()
        try dir.write("d/a.jsonl", "x")
        try FileManager.default.createSymbolicLink(atPath: dir.url("d/loop"), withDestinationPath: dir.url("d"))
        let files = try InputDiscovery.files(paths: [dir.url("d")])
        #expect(files.map(\.relativePath) == ["a.jsonl"])
    }
}
