import Foundation
import Testing
@testable import Tokenization

@Suite struct TrainerTests {
    static func lines() throws -> [String] {
        String(decoding: try Fixtures.bytes("train.txt"), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test func trainsRequestedSizeDeterministically() throws {
        let texts = try Self.lines()
        let a = try BPETrainer.train(texts: texts, vocabularySize: 1000)
        let b = try BPETrainer.train(texts: texts, vocabularySize: 1000)
        #expect(a.vocabularySize == 1000)
        #expect(a.jsonData() == b.jsonData())
        #expect(a.file.model.merges.count >= 1000 - 257)
        #expect(a.file.model.vocab["<|endoftext|>"] == 0)
        #expect(a.file.addedTokens.map(\.content) == ["<|endoftext|>"])
    }

    @Test func trainedTokenizerRoundTripsAndCompresses() throws {
        let texts = try Self.lines()
        let tokenizer = try BPETrainer.train(texts: texts, vocabularySize: 1000)
        var bytes = 0, tokens = 0
        for text in texts {
            let ids = tokenizer.encode(text)
            #expect(tokenizer.decode(ids) == text)
            bytes += text.utf8.count
            tokens += ids.count
        }
        #expect(tokens * 3 < bytes)  // well-trained on its own text: > 3 bytes per token
        #expect(tokenizer.encode("a<|endoftext|>b").contains(0))
        // The written file reloads to the same encoder.
        let reloaded = try Tokenizer(json: tokenizer.jsonData())
        for text in texts.prefix(200) { #expect(reloaded.encode(text) == tokenizer.encode(text)) }
    }

    @Test func firstMergeIsTheMostFrequentPair() throws {
        // Words: "ab", " ab" x2, "cd", " cd", "ef". Pair counts: (a,b) 3, (Ġ,a) 2, (c,d) 2, (e,f) 1.
        let tokenizer = try BPETrainer.train(texts: ["ab ab ab", "cd cd", "ef"], vocabularySize: 400, minFrequency: 2, specialTokens: [])
        let merges = tokenizer.file.model.merges
        #expect(merges.first == MergeRule("a", "b"))
        #expect(merges.contains(MergeRule("c", "d")) && merges.contains(MergeRule("Ġ", "ab")))
        #expect(!merges.contains(MergeRule("e", "f")))
        #expect(tokenizer.encode(" ab").count == 1)
    }

    @Test func tooSmallVocabularyIsAnError() {
        #expect(throws: TokenizationError.self) {
            try BPETrainer.train(texts: ["x"], vocabularySize: 200)
        }
    }
}
