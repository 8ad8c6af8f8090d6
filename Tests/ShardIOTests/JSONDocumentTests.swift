import Testing
@testable import ShardIO

func decodeDocument(_ text: String) throws(JSONError) -> Document {
    try withBytes(Array(text.utf8)) { raw throws(JSONError) in try Document(jsonLine: raw) }
}

func documentError(_ text: String) -> JSONError? {
    do { _ = try decodeDocument(text); return nil } catch { return error }
}

@Suite struct JSONDocumentTests {
    @Test func writesKeysInDolmaOrder() {
        let d = Document(id: "s/1", text: "hi\n", source: "s", added: "2024-01-02T03:04:05Z",
                         metadata: .object([(key: "url", value: .string("http://x"))]))
        var out: [UInt8] = []
        d.writeJSONLine(into: &out)
        #expect(String(decoding: out, as: UTF8.self) ==
                #"{"id":"s/1","text":"hi\n","source":"s","added":"2024-01-02T03:04:05Z","metadata":{"url":"http://x"}}"# + "\n")
        out.removeAll()
        Document(id: "a", text: "b", source: "c").writeJSONLine(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"{"id":"a","text":"b","source":"c","metadata":{}}"# + "\n")
    }

    @Test func readsAnyKeyOrderAndOptionalFields() throws {
        let d = try decodeDocument(#" {"source":"s","metadata":null,"text":"t\u00e9","added":null,"id":"i"} "# + "\n")
        #expect(d == Document(id: "i", text: "té", source: "s"))
        let e = try decodeDocument(#"{"id":"i","text":"","source":"s","added":"x"}"#)
        #expect(e.added == "x" && e.metadata == .object([]))
    }

    @Test func schemaErrors() {
        #expect(documentError(#"{"text":"t","source":"s"}"#)?.kind == .schema("missing field \"id\""))
        #expect(documentError(#"{"id":"i","source":"s"}"#)?.kind == .schema("missing field \"text\""))
        #expect(documentError(#"{"id":"i","text":"t"}"#)?.kind == .schema("missing field \"source\""))
        #expect(documentError(#"{"id":"i","text":5,"source":"s"}"#) == JSONError(.schema("field \"text\" must be a string"), at: 17))
        #expect(documentError(#"{"id":"i","text":"t","source":"s","metadata":[]}"#)?.kind == .schema("field \"metadata\" must be an object"))
        #expect(documentError(#"{"id":"i","text":"t","source":"s","added":1}"#)?.kind == .schema("field \"added\" must be a string or null"))
        #expect(documentError(#"{"id":"i","text":"t","source":"s","x":1}"#)?.kind == .schema("unexpected field \"x\" in a Dolma document"))
        #expect(documentError(#"{"id":"i","id":"j","text":"t","source":"s"}"#)?.kind == .schema("duplicate field \"id\""))
        #expect(documentError("[]")?.kind == .unexpectedByte(UInt8(ascii: "[")))
        #expect(documentError(#"{"id":"i","text":"t","source":"s"} {}"#)?.kind == .trailingData)
        #expect(documentError(#"{"id":"i","text":tru,"source":"s"}"#)?.kind == .unexpectedByte(UInt8(ascii: ",")))
    }

    @Test func invalidUTF8InTextBothPolicies() throws {
        let line: [UInt8] = Array(#"{"id":"i","text":"a"#.utf8) + [0xE2, 0x82] + Array(#"b","source":"s"}"#.utf8)
        let rejected: JSONError? = line.withUnsafeBytes { raw -> JSONError? in
            do throws(JSONError) { _ = try Document(jsonLine: raw); return nil } catch { return error }
        }
        #expect(rejected == JSONError(.invalidUTF8, at: 19))
        var replacements = 0
        let d = try withBytes(line) { raw throws(JSONError) in
            try Document(jsonLine: raw, invalidUTF8: .repair, replacements: &replacements)
        }
        #expect(d.text == "a\u{FFFD}b" && replacements == 1)
    }

    @Test func randomDocumentsRoundTrip() throws {
        var rng = SplitMix64(seed: 7)
        var out: [UInt8] = []
        for k in 0..<1000 {
            let meta: JSONValue = .object((0..<Int.random(in: 0...3, using: &rng)).map { _ in
                (key: randomString(&rng, maxLength: 5), value: randomJSON(&rng, depth: 2))
            })
            let d = Document(id: "src/\(k)", text: randomString(&rng, maxLength: 300), source: randomString(&rng, maxLength: 8),
                             added: Bool.random(using: &rng) ? nil : randomString(&rng, maxLength: 10), metadata: meta)
            out.removeAll(keepingCapacity: true)
            d.writeJSONLine(into: &out)
            #expect(out.last == 0x0A)
            #expect(out.dropLast().firstIndex(of: 0x0A) == nil, "one line")
            let back = try withBytes(out) { raw throws(JSONError) in try Document(jsonLine: raw) }
            #expect(back == d)
            // The generic parser sees the same object.
            let generic = try parseJSON(out).value
            #expect(generic["text"]?.stringValue == d.text && generic["metadata"] == d.metadata)
        }
    }
}
