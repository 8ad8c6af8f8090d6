import Foundation

/// A pre-tokenizer pattern: a hand-written matcher for the two patterns byte-level BPEs use,
/// a literal string, or `NSRegularExpression` for anything else.
enum SplitPattern: Sendable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` (GPT-2, ByteLevel's regex).
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// (GPT-4 cl100k, also Llama 3), with or without tiktoken's possessive quantifiers.
    case cl100k
    /// The cl100k pattern with single digits (`\p{N}` for `\p{N}{1,3}`), as in Qwen2.
    case cl100kSingleDigits
    /// A literal byte string (`{"String": ...}`).
    case literal([UInt8])
    /// Any other regex, through ICU. ICU's `\s` and class semantics can differ from Oniguruma's.
    case regex(RegexBox)

    static let gpt2Source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let cl100kSources: Set<String> = [
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
    ]

    /// Recognises the fast patterns by their exact source; compiles anything else with ICU.
    static let cl100kSingleDigitSources: Set<String> = [
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
    ]

    static func make(_ config: SplitPatternConfig, jsonPath: String) throws -> SplitPattern {
        switch config {
        case .string(let literal):
            guard !literal.isEmpty else {
                throw TokenizationError(code: .invalidPattern, message: "Split has an empty String pattern.", jsonPath: jsonPath)
            }
            return .literal(Array(literal.utf8))
        case .regex(let source):
            if source == gpt2Source { return .gpt2 }
            if cl100kSources.contains(source) { return .cl100k }
            if cl100kSingleDigitSources.contains(source) { return .cl100kSingleDigits }
            do {
                return .regex(RegexBox(try NSRegularExpression(pattern: source)))
            } catch {
                throw TokenizationError(
                    code: .invalidPattern,
                    message: "Split regex \(source.debugDescription) does not compile (\(error)); fix the pattern.",
                    jsonPath: jsonPath)
            }
        }
    }
}

/// Owns a compiled ICU regex; `NSRegularExpression` is immutable and safe to share.
final class RegexBox: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ regex: NSRegularExpression) { self.regex = regex }
}

/// Scans UTF-8 for the hand-written patterns. Each `…End` returns where the match starting at `i` ends.
///
/// Both patterns match every scalar, so the next match always starts where the previous ended;
/// alternatives are tried in pattern order (leftmost-first, as a backtracking engine does).
struct PatternScanner {
    let table: UnsafePointer<UInt8> = ScalarClass.bmpTable

    @inline(__always)
    func classAt(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> (cls: UInt8, length: Int, value: UInt32) {
        let b = p[i]
        if b < 0x80 { return (table[Int(b)], 1, UInt32(b)) }
        let (v, n) = decodeScalar(p, i, end)
        if v < 0x10000 { return (table[Int(v)], n, v) }
        return (v == 0xFFFF_FFFF ? ScalarClass.other : ScalarClass.compute(v), n, v)
    }

    /// End of the run of scalars of class `cls` starting at `i`.
    @inline(__always)
    func runEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int, _ cls: UInt8) -> Int {
        var j = i
        while j < end {
            let b = p[j]
            if b < 0x80 {
                if table[Int(b)] != cls { break }
                j += 1
            } else {
                let (c, n, _) = classAt(p, j, end)
                if c != cls { break }
                j += n
            }
        }
        return j
    }

    func gpt2End(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b = p[i]
        if b == 0x27, i + 1 < end {  // 's 't 're 've 'm 'll 'd, case-sensitive
            let b1 = p[i + 1]
            if b1 == 0x73 || b1 == 0x74 || b1 == 0x6D || b1 == 0x64 { return i + 2 }
            if i + 2 < end {
                let b2 = p[i + 2]
                if (b1 == 0x72 && b2 == 0x65) || (b1 == 0x76 && b2 == 0x65) || (b1 == 0x6C && b2 == 0x6C) { return i + 3 }
            }
        }
        if b == 0x20, i + 1 < end {  // ` ?X+` for X in letter, number, other
            let (c2, n2, _) = classAt(p, i + 1, end)
            if c2 != ScalarClass.whitespace { return runEnd(p, i + 1 + n2, end, c2) }
        }
        let (c, n, _) = classAt(p, i, end)
        if c != ScalarClass.whitespace { return runEnd(p, i + n, end, c) }
        return whitespaceEnd(p, i, n, end, stopAfterNewline: false)
    }

    /// `maxDigits` is 3 for cl100k, 1 for the single-digit variant.
    func cl100kEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int, maxDigits: Int = 3) -> Int {
        let b = p[i]
        if b == 0x27, i + 1 < end {  // (?i:'s|'t|'re|'ve|'m|'ll|'d); U+017F ſ folds to s
            let b1 = p[i + 1] | 0x20
            if b1 == 0x73 || b1 == 0x74 || b1 == 0x6D || b1 == 0x64 { return i + 2 }
            if i + 2 < end {
                if p[i + 1] == 0xC5 && p[i + 2] == 0xBF { return i + 3 }
                let b2 = p[i + 2] | 0x20
                if (b1 == 0x72 && b2 == 0x65) || (b1 == 0x76 && b2 == 0x65) || (b1 == 0x6C && b2 == 0x6C) { return i + 3 }
            }
        }
        let (c, n, v) = classAt(p, i, end)
        if c == ScalarClass.letter { return runEnd(p, i + n, end, ScalarClass.letter) }
        if c != ScalarClass.number && v != 0x0A && v != 0x0D && i + n < end {  // [^\r\n\p{L}\p{N}]?\p{L}+
            let (c2, n2, _) = classAt(p, i + n, end)
            if c2 == ScalarClass.letter { return runEnd(p, i + n + n2, end, ScalarClass.letter) }
        }
        if c == ScalarClass.number {  // \p{N}{1,3}
            var j = i + n
            var count = 1
            while count < maxDigits && j < end {
                let (c2, n2, _) = classAt(p, j, end)
                if c2 != ScalarClass.number { break }
                j += n2
                count += 1
            }
            return j
        }
        if b == 0x20, i + 1 < end {  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let (c2, n2, _) = classAt(p, i + 1, end)
            if c2 == ScalarClass.other { return newlineRunEnd(p, runEnd(p, i + 1 + n2, end, ScalarClass.other), end) }
        }
        if c == ScalarClass.other { return newlineRunEnd(p, runEnd(p, i + n, end, ScalarClass.other), end) }
        return whitespaceEnd(p, i, n, end, stopAfterNewline: true)
    }

    @inline(__always)
    func newlineRunEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        var j = i
        while j < end && (p[j] == 0x0A || p[j] == 0x0D) { j += 1 }
        return j
    }

    /// The whitespace alternatives at a whitespace scalar of length `n` at `i`:
    /// `\s*[\r\n]+` (cl100k only: up to and including the run's last CR/LF), then
    /// `\s+(?!\S)` (the run minus its last scalar when a non-space follows), then `\s+`.
    @inline(__always)
    func whitespaceEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ end: Int, stopAfterNewline: Bool) -> Int {
        var j = i + n
        var lastStart = i
        var count = 1
        var lastNewline = (p[i] == 0x0A || p[i] == 0x0D) ? i : -1
        while j < end {
            let (c, n2, v) = classAt(p, j, end)
            if c != ScalarClass.whitespace { break }
            if v == 0x0A || v == 0x0D { lastNewline = j }
            lastStart = j
            j += n2
            count += 1
        }
        if stopAfterNewline && lastNewline >= 0 { return lastNewline + 1 }
        if j == end || count == 1 { return j }
        return lastStart
    }
}

extension SplitPattern {
    /// All matches in `p[0..<count]` as half-open byte ranges, in order, non-overlapping.
    func matches(_ p: UnsafePointer<UInt8>, _ count: Int, into out: inout [Range<Int>]) {
        out.removeAll(keepingCapacity: true)
        switch self {
        case .gpt2:
            let scanner = PatternScanner()
            var i = 0
            while i < count {
                let e = scanner.gpt2End(p, i, count)
                out.append(i..<e)
                i = e
            }
        case .cl100k:
            let scanner = PatternScanner()
            var i = 0
            while i < count {
                let e = scanner.cl100kEnd(p, i, count)
                out.append(i..<e)
                i = e
            }
        case .cl100kSingleDigits:
            let scanner = PatternScanner()
            var i = 0
            while i < count {
                let e = scanner.cl100kEnd(p, i, count, maxDigits: 1)
                out.append(i..<e)
                i = e
            }
        case .literal(let needle):
            var i = 0
            let m = needle.count
            while i + m <= count {
                var equal = true
                for k in 0..<m where p[i + k] != needle[k] {
                    equal = false
                    break
                }
                if equal {
                    out.append(i..<(i + m))
                    i += m
                } else {
                    i += 1
                }
            }
        case .regex(let box):
            let text = String(decoding: UnsafeBufferPointer(start: p, count: count), as: UTF8.self)
            let utf16 = text.utf16
            let found = box.regex.matches(in: text, range: NSRange(location: 0, length: utf16.count))
            for match in found {
                let r = match.range
                guard r.location != NSNotFound,
                      let lo = utf16.index(utf16.startIndex, offsetBy: r.location, limitedBy: utf16.endIndex),
                      let hi = utf16.index(lo, offsetBy: r.length, limitedBy: utf16.endIndex),
                      let lo8 = lo.samePosition(in: text.utf8), let hi8 = hi.samePosition(in: text.utf8)
                else { continue }
                let a = text.utf8.distance(from: text.utf8.startIndex, to: lo8)
                let b = text.utf8.distance(from: text.utf8.startIndex, to: hi8)
                out.append(a..<b)
            }
        }
    }
}

/// Applies a `Split` behavior to the matches of a pattern, as `tokenizers`' `NormalizedString::split`.
///
/// `matches` must be sorted and non-overlapping; the pieces are written to `pieces` (empty ones dropped).
func applySplitBehavior(
    _ behavior: SplitBehavior, invert: Bool, count: Int, matches: [Range<Int>],
    spans: inout [(range: Range<Int>, isMatch: Bool)], pieces: inout [Range<Int>]
) {
    spans.removeAll(keepingCapacity: true)
    pieces.removeAll(keepingCapacity: true)
    if count == 0 { return }
    var previous = 0
    for m in matches {
        if previous != m.lowerBound { spans.append((previous..<m.lowerBound, invert)) }
        spans.append((m, !invert))
        previous = m.upperBound
    }
    if previous != count { spans.append((previous..<count, invert)) }

    switch behavior {
    case .isolated:
        for s in spans { pieces.append(s.range) }
    case .removed:
        for s in spans where !s.isMatch { pieces.append(s.range) }
    case .contiguous:
        var previousMatch = false
        for s in spans {
            if s.isMatch == previousMatch, let last = pieces.last {
                pieces[pieces.count - 1] = last.lowerBound..<s.range.upperBound
            } else {
                pieces.append(s.range)
            }
            previousMatch = s.isMatch
        }
    case .mergedWithPrevious:
        var previousMatch = false
        for s in spans {
            if s.isMatch && !previousMatch, let last = pieces.last {
                pieces[pieces.count - 1] = last.lowerBound..<s.range.upperBound
            } else {
                pieces.append(s.range)
            }
            previousMatch = s.isMatch
        }
    case .mergedWithNext:
        var previousMatch = false
        for s in spans.reversed() {
            if s.isMatch && !previousMatch, let last = pieces.last {
                pieces[pieces.count - 1] = s.range.lowerBound..<last.upperBound
            } else {
                pieces.append(s.range)
            }
            previousMatch = s.isMatch
        }
        pieces.reverse()
    }
    pieces.removeAll { $0.isEmpty }
}
