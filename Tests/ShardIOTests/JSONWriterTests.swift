import Testing
@testable import ShardIO

@Suite struct JSONWriterTests {
    @Test func escapesOnlyWhatItMust() {
        let v = JSONValue.string("q\"b\\s/\n\r\t\u{8}\u{C}\u{0}\u{1F}\u{7F}é😀\u{2028}")
        #expect(String(decoding: v.jsonBytes, as: UTF8.self) == #""q\"b\\s/\n\r\t\b\f\u0000\u001f"# + "\u{7F}é😀\u{2028}\"")
    }

    @Test func compactAndOrdered() {
        let v = JSONValue.object([(key: "z", value: .array([.null, .bool(true), .number("1.50")])), (key: "a", value: .object([]))])
        #expect(String(decoding: v.jsonBytes, as: UTF8.self) == #"{"z":[null,true,1.50],"a":{}}"#)
    }

    @Test func escapesAtEveryWordPosition() throws {
        for k in 0..<20 {
            var scalars = Array(repeating: Unicode.Scalar("x"), count: 20)
            scalars[k] = "\""
            let s = String(String.UnicodeScalarView(scalars))
            let bytes = JSONValue.string(s).jsonBytes
            #expect(bytes.count == 20 + 3)
            #expect(try parseJSON(bytes).value == .string(s))
        }
    }

    @Test func randomValuesRoundTrip() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let v = randomJSON(&rng, depth: 4)
            let bytes = v.jsonBytes
            let back = try parseJSON(bytes).value
            #expect(back == v)
            #expect(back.jsonBytes == bytes, "re-encoding must be byte-identical")
        }
    }
}
