/// Finds added tokens in text, as `tokenizers`' `AddedVocabulary::find_matches`.
///
/// Matching is leftmost-longest and non-overlapping (Aho-Corasick `LeftmostLongest` there);
/// `single_word` drops a match touching a letter or digit, `lstrip`/`rstrip` widen a match over
/// adjacent whitespace. "Letter or digit" is `\p{L}`/`\p{N}` here, Rust's `is_alphanumeric`
/// there (which also counts Other_Alphabetic marks): a documented approximation.
struct AddedTokenMatcher: Sendable {
    struct Entry: Sendable {
        var bytes: [UInt8]
        var id: Int32
        var lstrip: Bool
        var rstrip: Bool
        var singleWord: Bool
    }

    let entries: [Entry]
    /// `candidates[b]`: indices of entries starting with byte `b`, longest first.
    let candidates: [[Int]]
    /// `isFirstByte[b]`: some entry starts with byte `b` (lets the scan skip other bytes cheaply).
    let isFirstByte: [Bool]

    init?(_ tokens: [AddedTokenConfig]) {
        guard !tokens.isEmpty else { return nil }
        var entries: [Entry] = []
        for t in tokens {
            entries.append(Entry(bytes: Array(t.content.utf8), id: Int32(t.id), lstrip: t.lstrip, rstrip: t.rstrip, singleWord: t.singleWord))
        }
        var candidates = [[Int]](repeating: [], count: 256)
        for (index, e) in entries.enumerated() { candidates[Int(e.bytes[0])].append(index) }
        for b in 0..<256 { candidates[b].sort { entries[$0].bytes.count > entries[$1].bytes.count } }
        self.entries = entries
        self.candidates = candidates
        self.isFirstByte = candidates.map { !$0.isEmpty }
    }

    /// Splits `p[a..<b]` into pieces: `(range, id)` with `id == -1` for text between tokens.
    func split(_ p: UnsafePointer<UInt8>, _ a: Int, _ b: Int, into out: inout [(range: Range<Int>, id: Int32)]) {
        let scanner = PatternScanner()
        var startOffset = a
        var i = a
        while i < b {
            // Skip bytes no token starts with.
            i = isFirstByte.withUnsafeBufferPointer { first in
                var k = i
                while k < b && !first[Int(p[k])] { k += 1 }
                return k
            }
            if i >= b { break }
            let list = candidates[Int(p[i])]
            var found = -1
            for index in list {
                let bytes = entries[index].bytes
                if i + bytes.count <= b && bytes.withUnsafeBufferPointer({ buf in buf.baseAddress.map { memEqual($0, p + i, buf.count) } ?? false }) {
                    found = index
                    break
                }
            }
            if found < 0 {
                i += 1
                continue
            }
            let entry = entries[found]
            var start = i
            var stop = i + entry.bytes.count
            i = stop
            if entry.singleWord {
                let before = start > a && isWordScalar(endingAt: start, from: a, p, scanner)
                let after = stop < b && isWordClass(scanner.classAt(p, stop, b).cls)
                if before || after { continue }
            }
            if entry.lstrip {
                var s = start
                while s > startOffset {
                    var k = s - 1
                    while k > a && p[k] & 0xC0 == 0x80 { k -= 1 }
                    if scanner.classAt(p, k, s).cls != ScalarClass.whitespace { break }
                    s = k
                }
                start = max(s, startOffset)
            }
            if entry.rstrip {
                while stop < b {
                    let (c, n, _) = scanner.classAt(p, stop, b)
                    if c != ScalarClass.whitespace { break }
                    stop += n
                }
                i = stop
            }
            if startOffset < start { out.append((startOffset..<start, -1)) }
            out.append((start..<stop, entry.id))
            startOffset = stop
        }
        if startOffset < b { out.append((startOffset..<b, -1)) }
    }

    private func isWordClass(_ c: UInt8) -> Bool { c == ScalarClass.letter || c == ScalarClass.number }

    private func isWordScalar(endingAt end: Int, from a: Int, _ p: UnsafePointer<UInt8>, _ scanner: PatternScanner) -> Bool {
        var k = end - 1
        while k > a && p[k] & 0xC0 == 0x80 { k -= 1 }
        return isWordClass(scanner.classAt(p, k, end).cls)
    }
}
