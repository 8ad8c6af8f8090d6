import Foundation
import Testing
@testable import Tokenization

/// `\s`, `\p{L}`, `\p{N}` must match what Hugging Face's regex engine does, for every scalar.
@Suite struct ScalarClassTests {
    struct Classes: Decodable {
        var whitespace: [[UInt32]]
        var letter: [[UInt32]]
        var number: [[UInt32]]
    }

    @Test func everyScalarClassifiesLikeOniguruma() throws {
        let classes = try JSONDecoder().decode(Classes.self, from: Data(Fixtures.bytes("scalar-classes.json")))
        var expected = [UInt8](repeating: ScalarClass.other, count: 0x110000)
        for (ranges, cls) in [(classes.whitespace, ScalarClass.whitespace), (classes.letter, ScalarClass.letter), (classes.number, ScalarClass.number)] {
            for range in ranges {
                try #require(range.count == 2)
                for v in range[0]...range[1] { expected[Int(v)] = cls }
            }
        }
        let scanner = PatternScanner()
        var mismatches: [String] = []
        var utf8: [UInt8] = []
        for v in UInt32(0)..<0x110000 {
            guard let scalar = Unicode.Scalar(v) else { continue }
            utf8.removeAll(keepingCapacity: true)
            utf8.append(contentsOf: String(Character(scalar)).utf8)
            let got = utf8.withUnsafeBufferPointer { scanner.classAt($0.baseAddress!, 0, $0.count) }
            if got.cls != expected[Int(v)] || got.length != utf8.count || got.value != v {
                mismatches.append(String(v, radix: 16))
            }
        }
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(10))")
        #expect(expected.filter { $0 == ScalarClass.whitespace }.count == 25)
    }
}
