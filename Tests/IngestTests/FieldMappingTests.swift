import Foundation
import Testing
@testable import Ingest
import ShardIO

@Suite struct FieldMappingTests {
    func read(_ lines: [String], format: InputFormat = .auto, source: String? = nil) throws -> [IngestItem] {
        let dir = try TempDir()
        let path = try dir.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        return try readAll(path, options: IngestOptions(format: format, defaultSource: source)).items
    }

    @Test func dolmaAsIs() throws {
        let docs = try read([#"{"id":"x1","text":"t","source":"wiki","added":"2020-01-01T00:00:00Z","metadata":{"lang":"en"},"version":"v1"}"#]).documents
        #expect(docs == [Document(id: "x1", text: "t", source: "wiki", added: "2020-01-01T00:00:00Z",
                                  metadata: .object([(key: "lang", value: .string("en")), (key: "version", value: .string("v1"))]))])
    }

    @Test func pile() throws {
        let docs = try read([#"{"text":"p","meta":{"pile_set_name":"ArXiv","x":1}}"#]).documents
        let d = try #require(docs.first)
        #expect(d.source == "ArXiv")
        #expect(d.metadata == .object([(key: "pile_set_name", value: .string("ArXiv")), (key: "x", value: .number("1"))]))
        #expect(d.id == StableID.make(source: "ArXiv", relativePath: "in.jsonl", member: nil, line: 1))
    }

    @Test func c4() throws {
        let docs = try read([
            #"{"text":"c","url":"https://e.com/a","timestamp":"2019-04-25T12:57:54Z"}"#,
            #"{"text":"d","url":"https://e.com/b","timestamp":"2019-04-25 23:30:00-02:30"}"#,
            #"{"text":"e","url":"https://e.com/c","timestamp":"yesterday"}"#,
        ], source: "c4").documents
        #expect(docs.map(\.added) == ["2019-04-25T12:57:54Z", "2019-04-26T02:00:00Z", nil])
        #expect(docs[0].metadata == .object([(key: "url", value: .string("https://e.com/a"))]))
        #expect(docs[2].metadata == .object([(key: "url", value: .string("https://e.com/c")), (key: "timestamp", value: .string("yesterday"))]))
        #expect(docs.allSatisfy { $0.source == "c4" })
    }

    @Test func genericAndDetection() throws {
        let items = try read([
            #"{"text":"g","title":"T","id":"not-dolma-without-source"}"#,
            #"{"id":"d","source":"s","text":"dolma"}"#,
        ])
        let docs = items.documents
        #expect(docs[0].source == "in")
        #expect(docs[0].id == StableID.make(source: "in", relativePath: "in.jsonl", member: nil, line: 1))
        #expect(docs[0].metadata == .object([(key: "title", value: .string("T")), (key: "id", value: .string("not-dolma-without-source"))]))
        #expect(docs[1].id == "d" && docs[1].source == "s")
    }

    @Test func forcedFormatOverridesDetection() throws {
        // Forced Dolma on a record without id/source: generated id, default source.
        let docs = try read([#"{"text":"x","url":"u","timestamp":"2020-02-02T02:02:02Z"}"#], format: .dolma, source: "forced").documents
        #expect(docs.first?.source == "forced" && docs.first?.added == nil)
        #expect(docs.first?.metadata["timestamp"] != nil)
    }

    @Test func textFormatMakesOneDocumentPerFile() throws {
        let dir = try TempDir()
        let path = try dir.write("notes.jsonl", "line one\nline two\n")
        let items = try readAll(path, options: IngestOptions(format: .text)).items
        #expect(items.documents.map(\.text) == ["line one\nline two\n"])
    }

    @Test func timestampNormalisation() {
        #expect(Timestamp.normalizedISO8601("2019-04-25T12:57:54Z") == "2019-04-25T12:57:54Z")
        #expect(Timestamp.normalizedISO8601("2019-04-25T12:57:54.123+01:00") == "2019-04-25T11:57:54.123Z")
        #expect(Timestamp.normalizedISO8601("2020-12-31 23:30:00-0100") == "2021-01-01T00:30:00Z")
        #expect(Timestamp.normalizedISO8601("2020-03-01T00:10:00+00:20") == "2020-02-29T23:50:00Z")
        #expect(Timestamp.normalizedISO8601("2021-06-01T08:00") == "2021-06-01T08:00:00Z")
        #expect(Timestamp.normalizedISO8601("2021-02-29T00:00:00Z") == nil)
        #expect(Timestamp.normalizedISO8601("2021-13-01T00:00:00Z") == nil)
        #expect(Timestamp.normalizedISO8601("2021-01-01") == nil)
        #expect(Timestamp.normalizedISO8601("2021-01-01T00:00:00Zjunk") == nil)
        #expect(Timestamp.daysFromCivil(1970, 1, 1) == 0)
        #expect(Timestamp.daysFromCivil(2000, 3, 1) == 11017)
    }
}
