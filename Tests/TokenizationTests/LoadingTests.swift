import Foundation
import Testing
@testable import Tokenization

/// Unsupported or inconsistent files are typed errors naming the JSON path, never crashes.
@Suite struct LoadingTests {
    func loadError(_ edit: (inout [String: Any]) -> Void) throws -> TokenizationError {
        var object = try Fixtures.object("gpt2")
        edit(&object)
        let json = try Fixtures.json(object)
        do {
            _ = try Tokenizer(json: json)
        } catch let error as TokenizationError {
            return error
        }
        Issue.record("loading succeeded")
        return TokenizationError(code: .invalidArgument, message: "none")
    }

    @Test func unsupportedPreTokenizerNamesPath() throws {
        let error = try loadError { $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [["type": "Metaspace", "replacement": "▁"]]] }
        #expect(error.code == .unsupportedComponent)
        #expect(error.jsonPath == "pre_tokenizer.pretokenizers[0].type")
        #expect(error.description.contains("Metaspace"))
    }

    @Test func unsupportedNormalizer() throws {
        let error = try loadError { $0["normalizer"] = ["type": "Lowercase"] }
        #expect(error.code == .unsupportedComponent)
        #expect(error.jsonPath == "normalizer.type")
    }

    @Test func unsupportedDecoderAndModelOptions() throws {
        let decoder = try loadError { $0["decoder"] = ["type": "WordPiece", "prefix": "##"] }
        #expect(decoder.code == .unsupportedComponent && decoder.jsonPath == "decoder.type")
        let fallback = try loadError { object in
            var model = object["model"] as? [String: Any] ?? [:]
            model["byte_fallback"] = true
            object["model"] = model
        }
        #expect(fallback.code == .unsupportedComponent && fallback.jsonPath == "model.byte_fallback")
        let wordPiece = try loadError { object in
            var model = object["model"] as? [String: Any] ?? [:]
            model["type"] = "WordPiece"
            object["model"] = model
        }
        #expect(wordPiece.code == .unsupportedComponent && wordPiece.jsonPath == "model.type")
        let truncation = try loadError { $0["truncation"] = ["max_length": 8] }
        #expect(truncation.code == .unsupportedComponent && truncation.jsonPath == "truncation")
        let post = try loadError { $0["post_processor"] = ["type": "Foo"] }
        #expect(post.code == .unsupportedComponent && post.jsonPath == "post_processor.type")
    }

    @Test func mergeWithUnknownTokenIsInconsistent() throws {
        let error = try loadError { object in
            var model = object["model"] as? [String: Any] ?? [:]
            var merges = model["merges"] as? [Any] ?? []
            merges.insert(["zzz", "q"], at: 0)
            model["merges"] = merges
            object["model"] = model
        }
        #expect(error.code == .inconsistentVocabulary)
        #expect(error.jsonPath == "model.merges[0]")
    }

    @Test func hugeSparseIDIsRejected() throws {
        let error = try loadError { object in
            var added = object["added_tokens"] as? [[String: Any]] ?? []
            added.append(["id": 2_000_000_000, "content": "<huge>", "special": true])
            object["added_tokens"] = added
        }
        #expect(error.code == .malformedJSON)
    }

    @Test func badRegexIsInvalidPattern() throws {
        let error = try loadError {
            $0["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "(unclosed"], "behavior": "Isolated", "invert": false]
        }
        #expect(error.code == .invalidPattern)
        #expect(error.jsonPath == "pre_tokenizer.pattern")
    }

    @Test func malformedJSONAndMissingFile() throws {
        #expect(throws: TokenizationError.self) { try Tokenizer(json: Array("{not json".utf8)) }
        do {
            _ = try Tokenizer(json: Array(#"{"version":"1.0","added_tokens":[]}"#.utf8))
            Issue.record("no model accepted")
        } catch let error as TokenizationError {
            #expect(error.code == .malformedJSON)
            #expect(error.jsonPath == "model")
        }
        do {
            _ = try Tokenizer(contentsOf: "/nonexistent/dir/tokenizer.json")
            Issue.record("missing file accepted")
        } catch let error as TokenizationError {
            #expect(error.code == .unreadableFile)
            #expect(error.file == "/nonexistent/dir/tokenizer.json")
        }
    }

    @Test func legacyAndPairMergesLoadAlike() throws {
        var object = try Fixtures.object("gpt2")
        var model = try #require(object["model"] as? [String: Any])
        let merges = try #require(model["merges"] as? [[String]])
        model["merges"] = merges.map { $0.joined(separator: " ") }
        object["model"] = model
        let legacy = try Tokenizer(json: try Fixtures.json(object))
        let pairs = try Fixtures.tokenizer("gpt2")
        let text = "It's 2025: naïve café, 東京 😀\r\n  done."
        #expect(legacy.encode(text) == pairs.encode(text))
        #expect(legacy.jsonData() == pairs.jsonData())
    }

    @Test(arguments: ["gpt2", "gpt2-prefix", "gpt4", "generic-b"])
    func jsonDataReloadsIdenticallyAndDeterministically(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let data = tokenizer.jsonData()
        let reloaded = try Tokenizer(json: data)
        #expect(reloaded.jsonData() == data)
        #expect(reloaded.file == tokenizer.file)
        let cases = try Fixtures.cases.get()
        for text in cases.texts.prefix(100) {
            #expect(reloaded.encode(text) == tokenizer.encode(text))
        }
    }
}
