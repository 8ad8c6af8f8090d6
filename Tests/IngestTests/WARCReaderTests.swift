import Foundation
import Testing
@testable import Ingest
import ShardIO

@Suite struct WARCReaderTests {
    func record(_ type: String, _ headers: [(String, String)], _ block: [UInt8]) -> [UInt8] {
        var head = "WARC/1.0\r\nWARC-Type: \(type)\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "Content-Length: \(block.count)\r\n\r\n"
        return Array(head.utf8) + block + Array("\r\n\r\n".utf8)
    }

    func wet() -> [[UInt8]] {
        [
            record("warcinfo", [("WARC-Record-ID", "<urn:uuid:0>")], Array("software: test\r\n".utf8)),
            record("conversion", [("WARC-Target-URI", "http://a.example/"), ("WARC-Date", "2024-03-01T10:00:00Z"),
                                  ("WARC-Record-ID", "<urn:uuid:1>")], Array("Page A text\nwith lines. ünï".utf8)),
            record("conversion", [("WARC-Target-URI", "http://b.example/"), ("WARC-Date", "2024-03-01T11:00:00+01:00"),
                                  ("WARC-Record-ID", "<urn:uuid:2>")], Array("Page B".utf8)),
        ]
    }

    @Test func wetConversionRecords() throws {
        let dir = try TempDir()
        let path = try dir.write("crawl.wet", wet().flatMap { $0 })
        let (items, stats) = try readAll(path)
        let docs = items.documents
        #expect(docs.map(\.text) == ["Page A text\nwith lines. ünï", "Page B"])
        #expect(docs.map(\.added) == ["2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"])
        #expect(docs[0].metadata == .object([(key: "url", value: .string("http://a.example/")), (key: "warc_record_id", value: .string("<urn:uuid:1>"))]))
        #expect(docs[0].source == "crawl")
        #expect(items.compactMap(\.provenance).map(\.line) == [2, 3])
        #expect(items.compactMap(\.provenance).first?.byteOffset == wet()[0].count)
        #expect(stats.skippedRecords == 1)
    }

    @Test func gzippedPerRecordMembers() throws {
        // Common Crawl compresses each record as its own gzip member, concatenated.
        let dir = try TempDir()
        for (k, r) in wet().enumerated() {
            try dir.write("r\(k)", r)
            try run("gzip", ["-n", "r\(k)"], in: dir.path)
        }
        let joined = try (0..<3).flatMap { try dir.read("r\($0).gz") }
        let path = try dir.write("crawl.wet.gz", joined)
        let (items, _) = try readAll(path)
        #expect(items.documents.map(\.text) == ["Page A text\nwith lines. ünï", "Page B"])
    }

    @Test func warcResponses() throws {
        let html = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Hi &amp; bye</p><script>no()</script></body></html>"
        let png = Array("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n".utf8) + [0x89, 0x50, 0x4E, 0x47]
        let notFound = "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<p>missing</p>"
        let gz = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n\u{1F}"
        let plain = "HTTP/1.0 200 OK\nContent-Type: text/plain\n\nplain body"
        let records = [
            record("request", [("WARC-Target-URI", "http://x/")], Array("GET / HTTP/1.1\r\n\r\n".utf8)),
            record("response", [("WARC-Target-URI", "http://x/"), ("WARC-Date", "2024-01-01T00:00:00Z")], Array(html.utf8)),
            record("response", [("WARC-Target-URI", "http://x/logo.png")], png),
            record("response", [("WARC-Target-URI", "http://x/404")], Array(notFound.utf8)),
            record("response", [("WARC-Target-URI", "http://x/gz")], Array(gz.utf8)),
            record("response", [("WARC-Target-URI", "http://x/p.txt")], Array(plain.utf8)),
            record("metadata", [], Array("fetchTimeMs: 1\r\n".utf8)),
        ]
        let dir = try TempDir()
        let (items, stats) = try readAll(try dir.write("c.warc", records.flatMap { $0 }))
        #expect(items.documents.map(\.text) == ["Hi & bye", "plain body"])
        #expect(items.documents.first?.metadata["url"] == .string("http://x/"))
        #expect(stats.skippedRecords == 5)
        #expect(items.rejections.isEmpty)
    }

    @Test func malformedAndTruncatedRecords() throws {
        let dir = try TempDir()
        let good = record("conversion", [], Array("ok".utf8))
        let noLength = Array("WARC/1.0\r\nWARC-Type: conversion\r\n\r\nbody\r\n\r\n".utf8)
        let garbage = Array("this is not a warc file\r\nnor this\r\n".utf8)
        var truncated = record("conversion", [], Array(String(repeating: "t", count: 100).utf8))
        truncated.removeLast(60)
        let (items, _) = try readAll(try dir.write("bad.warc", garbage + good + noLength + good + truncated))
        #expect(items.rejections.map(\.code) == [.malformedRecord, .malformedRecord, .truncatedStream])
        #expect(items.documents.map(\.text) == ["ok", "ok"])
    }

    @Test func oversizedBlock() throws {
        let dir = try TempDir()
        let big = record("conversion", [], Array(String(repeating: "b", count: 20_000).utf8))
        let small = record("conversion", [], Array("small".utf8))
        let (items, _) = try readAll(try dir.write("o.wet", big + small), options: IngestOptions(maxRecordBytes: 5000, blockSize: 1000))
        #expect(items.rejections.map(\.code) == [.recordTooLarge])
        #expect(items.documents.map(\.text) == ["small"])
    }
}
