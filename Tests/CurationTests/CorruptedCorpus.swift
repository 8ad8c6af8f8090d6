import Foundation
import Tensor

/// A Swift port of `scripts/eval/corrupted_corpus.py` (ported by a helper session, compiled and first run here): documents in a tiny regular language, a share of them
/// corrupted on purpose (random characters, shuffled words, mojibake, repeated lines). Same grammar and
/// transformations; a SplitMix64 stream instead of Python's Mersenne Twister, so the documents differ from
/// the script's for the same seed but are deterministic for a given seed.
struct CorruptedCorpus {
    static let kinds = ["random_chars", "shuffled_words", "mojibake", "repeated_lines"]
    static let determiners = ["the", "a", "every", "some", "no"]
    static let adjectives = ["small", "green", "quiet", "old", "bright", "naïve", "curious", "heavy", "soft", "rapid"]
    static let nouns = ["cat", "river", "engine", "garden", "café", "teacher", "window", "storm", "library", "fox", "piano", "road"]
    static let verbs = ["sees", "follows", "builds", "hears", "paints", "opens", "finds", "crosses", "remembers", "carries"]
    static let adverbs = ["slowly", "today", "again", "gladly", "often"]

    struct Document {
        let id: String
        let text: String
        /// "none" for a clean document, else the corruption kind.
        let corruption: String
    }

    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func uniform() -> Double { Double(rng.next() >> 11) * 0x1p-53 }
    /// Uniform in lower...upper, both included.
    mutating func integer(_ lower: Int, _ upper: Int) -> Int { lower + Int(rng.next() % UInt64(upper - lower + 1)) }
    mutating func choice<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }

    mutating func sentence() -> String {
        let subject = "\(choice(Self.determiners)) \(choice(Self.adjectives)) \(choice(Self.nouns))"
        let object = "\(choice(Self.determiners)) \(choice(Self.nouns))"
        if uniform() < 0.4 { return "\(subject) \(choice(Self.verbs)) \(object) \(choice(Self.adverbs))." }
        return "\(subject) \(choice(Self.verbs)) \(object)."
    }

    /// Line labels: a clean document's lines are a lettered list, "a) …", "b) …", up to "p)" (16 lines at most).
    /// The one structure of the language that spans lines, a stand-in for what real text has (numbered steps,
    /// sections, a discourse that moves on): a document that repeats its first line repeats "a)" after every
    /// line break, where a clean document never has it. Without such structure a repeated grammatical line trains an
    /// LM that cannot copy exactly as a clean document does, and no meta-gradient through it can tell the two
    /// apart (BENCHMARKS.md, "Repeated lines").
    static let lineLabels = "abcdefghijklmnop".map { "\($0))" }

    mutating func clean() -> String {
        var lines: [String] = []
        for label in Self.lineLabels.prefix(integer(6, 16)) {
            var sentences: [String] = []
            for _ in 0..<integer(1, 3) {
                let s = sentence()
                sentences.append(s.prefix(1).uppercased() + s.dropFirst())
            }
            lines.append(label + " " + sentences.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    mutating func corrupt(_ text: String, kind: String) -> String {
        switch kind {
        case "random_chars":
            let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789#$%&*+-/<=>@^_~".unicodeScalars)
            var out = String.UnicodeScalarView()
            for c in text.unicodeScalars {
                if c != "\n" && uniform() < 0.5 { out.append(choice(alphabet)) } else { out.append(c) }
            }
            return String(out)
        case "shuffled_words":
            return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                var words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                words.shuffle(using: &rng)
                return words.joined(separator: " ")
            }.joined(separator: "\n")
        case "mojibake":
            // UTF-8 bytes read as Latin-1, then e → Ã©, a → Ã¤ (as the script does).
            let latin1 = String(String.UnicodeScalarView(text.utf8.map { Unicode.Scalar($0) }))
            return latin1.replacingOccurrences(of: "e", with: "Ã©").replacingOccurrences(of: "a", with: "Ã¤")
        case "repeated_lines":
            let line = String(text.split(separator: "\n", omittingEmptySubsequences: false)[0])
            return Array(repeating: line, count: integer(8, 16)).joined(separator: "\n")
        default:
            preconditionFailure("unknown corruption \(kind)")
        }
    }

    /// `count` documents; each is corrupted with probability `corruptFraction`, the kind cycling with the index.
    mutating func documents(_ count: Int, corruptFraction: Double, idPrefix: String = "gen") -> [Document] {
        (0..<count).map { i in
            var text = clean()
            var kind = "none"
            if uniform() < corruptFraction {
                kind = Self.kinds[i % Self.kinds.count]
                text = corrupt(text, kind: kind)
            }
            return Document(id: "\(idPrefix)/\(String(format: "%06d", i))", text: text, corruption: kind)
        }
    }

    /// Dolma JSON Lines with metadata.corruption, as the script writes.
    static func jsonLines(_ documents: [Document]) throws -> String {
        try documents.map { d in
            let object: [String: Any] = ["id": d.id, "text": d.text, "source": "generated", "metadata": ["corruption": d.corruption]]
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }
}

/// P(score of a random positive > score of a random negative), ties counted half (as `scripts/eval/auroc.py`).
func areaUnderROC(positive: [Float], negative: [Float]) -> Double {
    precondition(!positive.isEmpty && !negative.isEmpty)
    let scored = (positive.map { ($0, true) } + negative.map { ($0, false) }).sorted { $0.0 < $1.0 }
    var rankSum = 0.0, i = 0
    while i < scored.count {
        var j = i
        while j < scored.count && scored[j].0 == scored[i].0 { j += 1 }
        let averageRank = Double(i + j + 1) / 2
        rankSum += averageRank * Double(scored[i..<j].filter(\.1).count)
        i = j
    }
    let p = Double(positive.count), n = Double(negative.count)
    return (rankSum - p * (p + 1) / 2) / (p * n)
}
