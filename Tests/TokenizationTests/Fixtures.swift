import Foundation
import Testing
@testable import Tokenization

/// Loads files shipped in `Fixtures/` (made by `scripts/tokenizer/make_fixtures.py`).
enum Fixtures {
    static func url(_ name: String) throws -> URL {
        let dot = name.lastIndex(of: ".")
        let base = dot.map { String(name[..<$0]) } ?? name
        let ext = dot.map { String(name[name.index(after: $0)...]) }
        return try #require(Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures"))
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(name)))
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(contentsOf: url(name + ".json").path)
    }

    struct Cases: Decodable {
        var texts: [String]
        var expected: [String: [[Int32]]]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            var texts: [String] = []
            var expected: [String: [[Int32]]] = [:]
            for key in c.allKeys {
                if key.stringValue == "texts" {
                    texts = try c.decode([String].self, forKey: key)
                } else {
                    expected[key.stringValue] = try c.decode([[Int32]].self, forKey: key)
                }
            }
            self.texts = texts
            self.expected = expected
        }
    }

    static let cases: Result<Cases, any Error> = Result {
        try JSONDecoder().decode(Cases.self, from: Data(bytes("cases.json")))
    }

    /// A JSON object of a fixture, for tests that edit a component.
    static func object(_ name: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes(name + ".json"))) as? [String: Any])
    }

    static func json(_ object: [String: Any]) throws -> [UInt8] {
        [UInt8](try JSONSerialization.data(withJSONObject: object))
    }
}
