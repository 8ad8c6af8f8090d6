import Testing
@testable import ShardIO

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let v = try parseJSON(#" { "a" : [1, -2.5e3, true, false, null, "x"], "b": {}, "c": [] , "a": 0} "#)
        #expect(v == .object([
            (key: "a", value: .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("x")])),
            (key: "b", value: .object([])),
            (key: "c", value: .array([])),
            (key: "a", value: .number("0")),
        ]))
    }

    @Test func keepsNumbersAsText() throws {
        #expect(try parseJSON("18446744073709551617") == .number("18446744073709551617"))
        #expect(try parseJSON("1e400") == .number("1e400"))
        #expect(try parseJSON("-0.0E-0") == .number("-0.0E-0"))
    }

    @Test(arguments: ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "- 1", "1.e5", "NaN", "Infinity"])
    func rejectsMalformedNumbers(_ text: String) {
        #expect(jsonError(text) != nil, "\(text) should be rejected")
    }

    @Test func decodesEscapes() throws {
        let v = try parseJSON(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00""#)
        #expect(v == .string("\"\\/\u{8}\u{C}\n\r\tAé€😀"))
    }

    @Test func rawNonASCIIPassesThrough() throws {
        #expect(try parseJSON("\"größe 中文 😀\"") == .string("größe 中文 😀"))
    }

    @Test func errorKindsAndOffsets() {
        #expect(jsonError("") == JSONError(.unexpectedEnd, at: 0))
        #expect(jsonError("  ") == JSONError(.unexpectedEnd, at: 2))
        #expect(jsonError("{\"a\":1") == JSONError(.unexpectedEnd, at: 6))
        #expect(jsonError("[1,]") == JSONError(.unexpectedByte(UInt8(ascii: "]")), at: 3))
        #expect(jsonError("{\"a\" 1}") == JSONError(.unexpectedByte(UInt8(ascii: "1")), at: 5))
        #expect(jsonError("{'a':1}") == JSONError(.unexpectedByte(UInt8(ascii: "'")), at: 1))
        #expect(jsonError("\"abc") == JSONError(.unexpectedEnd, at: 4))
        #expect(jsonError(#""a\qb""#) == JSONError(.invalidEscape, at: 2))
        #expect(jsonError(#""\u12G4""#) == JSONError(.invalidUnicodeEscape, at: 5))
        #expect(jsonError(#""\u12""#) == JSONError(.invalidUnicodeEscape, at: 3))
        #expect(jsonError("\"a\u{1}b\"") == JSONError(.controlCharacterInString, at: 2))
        #expect(jsonError("\"tab\there\"") == JSONError(.controlCharacterInString, at: 4))
        #expect(jsonError("1 2") == JSONError(.trailingData, at: 2))
        #expect(jsonError("{} x") == JSONError(.trailingData, at: 3))
        #expect(jsonError("tru") == JSONError(.unexpectedEnd, at: 3))
        #expect(jsonError("nul1") == JSONError(.unexpectedByte(UInt8(ascii: "1")), at: 3))
        #expect(jsonError("-x") == JSONError(.invalidNumber, at: 1))
    }

    @Test func controlCharacterFoundInLongStrings() {
        // The SWAR scan must find a special byte at every position of an 8-byte word.
        for k in 0..<24 {
            var bytes = Array("\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: 24) + Array("\"".utf8)
            bytes[1 + k] = 0x0A
            #expect(jsonError(bytes) == JSONError(.controlCharacterInString, at: 1 + k))
        }
    }

    @Test func errorDescriptionNamesTheOffset() {
        let e = jsonError("[1,]")
        #expect(e?.description == "unexpected character ']' at byte 3")
    }

    @Test func surrogates() throws {
        #expect(try parseJSON(#""\uD834\uDD1E""#) == .string("𝄞"))
        #expect(jsonError(#""\uD834""#) == JSONError(.loneSurrogate, at: 1))
        #expect(jsonError(#""x\uDD1E""#) == JSONError(.loneSurrogate, at: 2))
        #expect(jsonError(#""\uD834\u0041""#) == JSONError(.loneSurrogate, at: 1))
        #expect(jsonError(#""\uD834\uD834\uDD1E""#) == JSONError(.loneSurrogate, at: 1))
        let repaired = try parseJSON(Array(#"["\uD834x", "\uDD1E", "\uD834\u0041", "\uD834\uD834\uDD1E"]"#.utf8), policy: .repair)
        #expect(repaired.value == .array([.string("\u{FFFD}x"), .string("\u{FFFD}"), .string("\u{FFFD}A"), .string("\u{FFFD}𝄞")]))
        #expect(repaired.replacements == 4)
    }

    @Test func invalidUTF8IsRejectedByDefault() {
        let cases: [([UInt8], Int)] = [
            ([0x22, 0x61, 0xFF, 0x22], 2),                    // never valid
            ([0x22, 0xC3, 0x22], 1),                          // truncated 2-byte sequence
            ([0x22, 0x61, 0x62, 0xE2, 0x82, 0x22], 3),        // truncated 3-byte sequence
            ([0x22, 0xC0, 0xAF, 0x22], 1),                    // overlong
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),              // encoded surrogate
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),        // above U+10FFFF
            ([0x22, 0x5C, 0x6E, 0x80, 0x22], 3),              // after an escape (slow path)
        ]
        for (bytes, offset) in cases {
            #expect(jsonError(bytes) == JSONError(.invalidUTF8, at: offset), "\(bytes)")
        }
    }

    @Test func invalidUTF8RepairReplacesMaximalSubparts() throws {
        // Unicode's example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 → a,�,�,�,b,�,c,�,�,d
        let body: [UInt8] = [0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64]
        let r = try parseJSON([0x22] + body + [0x22], policy: .repair)
        #expect(r.value == .string("a\u{FFFD}\u{FFFD}\u{FFFD}b\u{FFFD}c\u{FFFD}\u{FFFD}d"))
        #expect(r.replacements == 6)
        // Same through the escape path, and Swift's own decoder agrees on the replacement.
        let escaped = try parseJSON([0x22, 0x5C, 0x74] + body + [0x22], policy: .repair)
        #expect(escaped.value == .string("\t" + String(decoding: body, as: UTF8.self)))
        #expect(escaped.replacements == 6)
    }

    @Test func repairAfterEscapesCountsEachReplacementOnce() throws {
        // A lone surrogate escape and a raw invalid byte in one escaped string: the fast pass
        // fails validation and the checked pass must not count the surrogate twice.
        let r = try parseJSON(Array(#""\uD800\n"#.utf8) + [0xFF] + Array(#"x""#.utf8), policy: .repair)
        #expect(r.value == .string("\u{FFFD}\n\u{FFFD}x"))
        #expect(r.replacements == 2)
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(try parseJSON(ok, maxDepth: 10) != .null)
        let deep = String(repeating: "[", count: 11) + String(repeating: "]", count: 11)
        #expect(jsonError(deep, maxDepth: 10) == JSONError(.depthLimitExceeded(10), at: 10))
        let objects = String(repeating: "{\"a\":", count: 3) + "1" + String(repeating: "}", count: 3)
        #expect(jsonError(objects, maxDepth: 2) == JSONError(.depthLimitExceeded(2), at: 10))
        // The default limit stops a hostile input long before the stack runs out.
        let hostile = String(repeating: "[", count: 100_000)
        #expect(jsonError(hostile) == JSONError(.depthLimitExceeded(512), at: 512))
    }

    @Test func mutatedInputsNeverCrashAndReportOffsetsInBounds() {
        // Property: any byte string either parses or throws an error whose offset lies in the
        // input, and whatever parses re-encodes to something that parses to the same value.
        var rng = SplitMix64(seed: 99)
        let alphabet = Array(#"{}[]:,"\u0aeE+-.tfn 1\#n\#t"#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xE2, 0xF0, 0xFF, 0xED]
        for _ in 0..<3000 {
            var bytes = randomJSON(&rng, depth: 3).jsonBytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                let k = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[k] = alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
                case 1: bytes.remove(at: k)
                default: bytes.insert(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)], at: k)
                }
            }
            for policy in InvalidUTF8Policy.allCases {
                do {
                    let v = try parseJSON(bytes, policy: policy).value
                    #expect(try parseJSON(v.jsonBytes).value == v)
                } catch {
                    #expect(error.offset >= 0 && error.offset <= bytes.count)
                }
            }
        }
    }

    @Test func parserReusesAcrossCalls() throws {
        var parser = JSONParser(invalidUTF8: .repair)
        let a = try withBytes(Array("\"a\\n\u{FF}\"".utf8)) { raw throws(JSONError) in try parser.parseValue(raw) }
        #expect(parser.replacements == 0 && a == .string("a\n\u{FF}"))
        let b = try withBytes([0x22, 0x5C, 0x6E, 0xFF, 0x22]) { raw throws(JSONError) in try parser.parseValue(raw) }
        #expect(parser.replacements == 1 && b == .string("\n\u{FFFD}"))
    }
}
