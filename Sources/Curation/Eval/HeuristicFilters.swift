import Foundation

/// The rule-based baselines of `datarater eval`: Gopher's quality rules (Rae et al., 2021, appendix A.1.1) and
/// C4's cleaning rules (Raffel et al., 2020, §2.2), both applied as **document filters**.
///
/// Both are implemented as published (thresholds as in datatrove's `GopherQualityFilter` and `C4QualityFilter`)
/// with two deliberate differences, so every arm of the evaluation trains on the run's own token records:
/// C4's line-level edits (dropping lines without terminal punctuation, with "javascript", with policy notices) are
/// not applied to the text; instead a document is kept only if the lines C4 would keep still hold at least
/// `c4MinSentences` sentences. Gopher's repetition rules (duplicate lines, paragraphs and n-grams) are not applied.
public enum HeuristicFilters {
    /// Why a document fails, or nil when it passes.
    public typealias Verdict = String?

    // MARK: Gopher

    static let gopherStopWords: Set<String> = ["the", "be", "to", "of", "and", "that", "have", "with"]
    static let bullets: Set<Character> = ["•", "‣", "◦", "⁃", "▪", "-", "*", "·", "●", "○", "■", "□", "➢", "►", "–"]

    /// Gopher quality rules. A document fails when any holds:
    /// - fewer than 50 or more than 100,000 words (words: runs of non-whitespace);
    /// - mean word length outside [3, 10] characters;
    /// - (number of `#` + number of ellipses `...`/`…`) / words > 0.1;
    /// - more than 90% of non-empty lines start with a bullet;
    /// - more than 30% of non-empty lines end with an ellipsis;
    /// - fewer than 80% of words contain an alphabetic character;
    /// - fewer than 2 of the stop words {the, be, to, of, and, that, have, with} occur.
    public static func gopher(_ text: String) -> Verdict {
        let words = text.split(whereSeparator: { $0.isWhitespace })
        let n = words.count
        guard n >= 50 else { return "gopher: \(n) words < 50" }
        guard n <= 100_000 else { return "gopher: \(n) words > 100000" }
        var characters = 0, alphabetic = 0
        var stop = Set<String>()
        for word in words {
            characters += word.count
            if word.contains(where: { $0.isLetter }) { alphabetic += 1 }
            let lower = word.lowercased().trimmingCharacters(in: .punctuationOnly)
            if gopherStopWords.contains(lower) { stop.insert(lower) }
        }
        let meanLength = Double(characters) / Double(n)
        guard meanLength >= 3, meanLength <= 10 else { return "gopher: mean word length \(rounded(meanLength)) outside [3, 10]" }
        let hashes = text.reduce(0) { $0 + ($1 == "#" ? 1 : 0) }
        let ellipses = occurrences(of: "...", in: text) + text.reduce(0) { $0 + ($1 == "…" ? 1 : 0) }
        let symbolRatio = Double(hashes + ellipses) / Double(n)
        guard symbolRatio <= 0.1 else { return "gopher: symbol-to-word ratio \(rounded(symbolRatio)) > 0.1" }
        let lines = text.split(whereSeparator: { $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if !lines.isEmpty {
            let bulleted = lines.filter { $0.first.map { bullets.contains($0) } ?? false }.count
            guard Double(bulleted) / Double(lines.count) <= 0.9 else { return "gopher: \(bulleted)/\(lines.count) lines start with a bullet" }
            let trailing = lines.filter { $0.hasSuffix("...") || $0.hasSuffix("…") }.count
            guard Double(trailing) / Double(lines.count) <= 0.3 else { return "gopher: \(trailing)/\(lines.count) lines end with an ellipsis" }
        }
        let alphaFraction = Double(alphabetic) / Double(n)
        guard alphaFraction >= 0.8 else { return "gopher: \(rounded(alphaFraction)) of words have a letter < 0.8" }
        guard stop.count >= 2 else { return "gopher: \(stop.count) of the 8 stop words < 2" }
        return nil
    }

    // MARK: C4

    static let c4MinSentences = 5
    static let c4MinWordsPerLine = 3
    static let c4MaxWordLength = 1000
    static let terminal: Set<Character> = [".", "!", "?", "\""]
    static let policyPhrases = ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"]

    /// C4 rules as a document filter. A document fails when it contains "lorem ipsum" or a curly bracket `{`, or
    /// when the lines C4 keeps (ending in terminal punctuation `.` `!` `?` `"`, at least 3 words, no word over 1,000
    /// characters, no "javascript", no cookie/privacy/terms notice) hold fewer than 5 sentences (a sentence ends at
    /// `.`, `!` or `?` followed by whitespace or the end of the line).
    public static func c4(_ text: String) -> Verdict {
        let lower = text.lowercased()
        if lower.contains("lorem ipsum") { return "c4: lorem ipsum" }
        if text.contains("{") { return "c4: curly bracket" }
        var sentences = 0
        for raw in text.split(whereSeparator: { $0.isNewline }) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard let last = line.last, terminal.contains(last) else { continue }
            let words = line.split(whereSeparator: { $0.isWhitespace })
            guard words.count >= c4MinWordsPerLine, !words.contains(where: { $0.count > c4MaxWordLength }) else { continue }
            let lowerLine = line.lowercased()
            if lowerLine.contains("javascript") || policyPhrases.contains(where: { lowerLine.contains($0) }) { continue }
            sentences += sentenceCount(line)
        }
        return sentences >= c4MinSentences ? nil : "c4: \(sentences) sentences in kept lines < \(c4MinSentences)"
    }

    /// Sentence ends in one line: `.`, `!` or `?` followed by whitespace or the end of the line.
    static func sentenceCount(_ line: String) -> Int {
        var count = 0
        var previousEnds = false
        for c in line {
            if previousEnds && c.isWhitespace { count += 1 }
            previousEnds = c == "." || c == "!" || c == "?"
        }
        return count + (previousEnds ? 1 : 0)
    }

    static func occurrences(of needle: String, in text: String) -> Int {
        var count = 0
        var rest = text[...]
        while let range = rest.range(of: needle) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }

    static func rounded(_ x: Double) -> String { String(Double((x * 1000).rounded()) / 1000) }
}

extension CharacterSet {
    static let punctuationOnly = CharacterSet.punctuationCharacters.union(.symbols)
}
