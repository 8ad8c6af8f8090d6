import Foundation
import Testing
@testable import Tokenization

/// Ids must equal what Hugging Face `tokenizers` produced for the same files and strings.
@Suite struct GoldenTests {
    @Test(arguments: ["gpt2", "gpt2-prefix", "gpt4", "generic-a", "generic-b", "gpt2-nfc", "qwen"])
    func encodesLikeHuggingFace(name: String) throws {
        let cases = try Fixtures.cases.get()
        let expected = try #require(cases.expected[name])
        #expect(expected.count == cases.texts.count)
        let tokenizer = try Fixtures.tokenizer(name)
        var mismatches = 0
        for (text, ids) in zip(cases.texts, expected) {
            let got = tokenizer.encode(text)
            if got != ids {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("\(name): \(text.debugDescription) → \(got), HF \(ids)")
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: ["gpt2", "gpt4", "generic-a"])
    func decodeInvertsEncode(name: String) throws {
        let cases = try Fixtures.cases.get()
        let tokenizer = try Fixtures.tokenizer(name)
        for text in cases.texts where name != "generic-a" || !text.unicodeScalars.contains("-") {  // generic-a removes '-'
            #expect(tokenizer.decode(tokenizer.encode(text)) == text)
        }
    }

    @Test func knownPatternsTakeTheHandWrittenMatchers() throws {
        #expect(try Fixtures.tokenizer("gpt2").fastPath == .gpt2)
        #expect(try Fixtures.tokenizer("gpt4").fastPath == .cl100k)
        #expect(try Fixtures.tokenizer("qwen").fastPath == .cl100kSingleDigits)
        #expect(try Fixtures.tokenizer("generic-a").fastPath == .none)
    }

    @Test func prefixSpaceDecodesWithLeadingSpace() throws {
        let tokenizer = try Fixtures.tokenizer("gpt2-prefix")
        #expect(tokenizer.decode(tokenizer.encode("hello world")) == " hello world")
    }

    @Test func hotPathAppendsLikeEncode() throws {
        let tokenizer = try Fixtures.tokenizer("gpt2")
        let cases = try Fixtures.cases.get()
        var out: [Int32] = [7]
        var expected: [Int32] = [7]
        for text in cases.texts.prefix(50) {
            var copy = text
            copy.withUTF8 { tokenizer.encode(utf8: $0, into: &out) }
            expected += tokenizer.encode(text)
        }
        #expect(out == expected)
    }

    @Test func invalidUTF8RoundTripsAsBytes() throws {
        let tokenizer = try Fixtures.tokenizer("gpt4")
        let bytes: [UInt8] = [0x61, 0xFF, 0x20, 0xC3, 0x28, 0xE2, 0x82, 0x20, 0xF0, 0x9F, 0x98, 0x80, 0x0A, 0x80]
        var ids: [Int32] = []
        bytes.withUnsafeBufferPointer { tokenizer.encode(utf8: $0, into: &ids) }
        #expect(tokenizer.decodeBytes(ids) == bytes)
    }

    @Test func vocabularySizeCoversAllIDs() throws {
        let tokenizer = try Fixtures.tokenizer("gpt2-prefix")
        let object = try Fixtures.object("gpt2-prefix")
        let vocab = try #require((object["model"] as? [String: Any])?["vocab"] as? [String: Int])
        let added = try #require(object["added_tokens"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
        #expect(tokenizer.vocabularySize == max(vocab.values.max() ?? 0, added.max() ?? 0) + 1)
    }

    @Test func longWordsUseHeapMergeConsistently() throws {
        // Words past the linear-merge limit go through the heap; both must agree with HF (fixtures
        // hold 300-byte words) and with each other on a word built from a shorter one.
        let tokenizer = try Fixtures.tokenizer("gpt2")
        let short = String(repeating: "ab", count: 20)
        let long = String(repeating: "ab", count: 200)
        let s = tokenizer.encode(short), l = tokenizer.encode(long)
        #expect(tokenizer.decode(l) == long)
        #expect(!s.isEmpty && l.count > s.count)
    }
}

@Suite struct ConcurrencyTests {
    @Test func concurrentEncodesAgree() throws {
        let tokenizer = try Fixtures.tokenizer("gpt4")
        let texts = try Fixtures.cases.get().texts
        let expected = texts.map { tokenizer.encode($0) }
        let results = ResultBox(count: 4)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            var ok = true
            for round in 0..<3 {
                for (i, text) in texts.enumerated() where (i + round + worker) % 2 == 0 {
                    if tokenizer.encode(text) != expected[i] { ok = false }
                }
            }
            results.set(worker, ok)
        }
        #expect(results.all)
    }
}

/// Collects per-worker flags from `concurrentPerform`.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var flags: [Bool]
    init(count: Int) { flags = [Bool](repeating: false, count: count) }
    func set(_ i: Int, _ value: Bool) { lock.lock(); flags[i] = value; lock.unlock() }
    var all: Bool { lock.lock(); defer { lock.unlock() }; return flags.allSatisfy { $0 } }
}
