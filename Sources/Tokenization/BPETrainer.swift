/// Trains a byte-level BPE with the GPT-2 pre-tokenizer, like `tokenizers`' `BpeTrainer` used by
/// `ByteLevelBPETokenizer` (not merge-for-merge identical; the written file encodes identically
/// in both libraries).
public enum BPETrainer {
    /// Learns merges from `texts` until the vocabulary has `vocabularySize` entries.
    ///
    /// Ids: special tokens first (in the given order), then the 256 byte symbols (ordered by their
    /// byte-level scalar, as `tokenizers` does), then merged tokens in merge order. Each step merges
    /// the most frequent adjacent pair over all words; ties go to the smallest (left id, right id).
    /// Training stops early when the best pair occurs fewer than `minFrequency` times.
    /// Special tokens are split out of the texts before counting, so no merge spans them.
    ///
    /// Pair counts are updated incrementally: an index from pair to the words containing it means
    /// a merge touches only those words; a max-heap with lazy re-insertion finds the best pair.
    /// Deterministic: the same inputs always give the same `jsonData()` bytes.
    public static func train(
        texts: some Sequence<String>, vocabularySize: Int, minFrequency: Int = 2,
        specialTokens: [String] = ["<|endoftext|>"]
    ) throws -> Tokenizer {
        let uniqueSpecials = specialTokens.reduce(into: [String]()) { list, s in if !list.contains(s) { list.append(s) } }
        guard vocabularySize >= 256 + uniqueSpecials.count else {
            throw TokenizationError(
                code: .invalidArgument,
                message: "vocabulary size \(vocabularySize) is below the 256 byte symbols plus \(uniqueSpecials.count) special tokens; ask for at least \(256 + uniqueSpecials.count).")
        }
        if let empty = uniqueSpecials.first(where: { $0.isEmpty }) {
            throw TokenizationError(code: .invalidArgument, message: "special token \(empty.debugDescription) is empty; remove it.")
        }

        // 1. Count pre-tokenized words (as byte strings), skipping special tokens.
        var counter = WordCounter()
        let specials = AddedTokenMatcher(uniqueSpecials.enumerated().map { AddedTokenConfig(id: $0.offset, content: $0.element, special: true) })
        var segments: [(range: Range<Int>, id: Int32)] = []
        let scanner = PatternScanner()
        for var text in texts {
            text.withUTF8 { buffer in
                guard let p = buffer.baseAddress, buffer.count > 0 else { return }
                segments.removeAll(keepingCapacity: true)
                if let specials {
                    specials.split(p, 0, buffer.count, into: &segments)
                } else {
                    segments.append((0..<buffer.count, -1))
                }
                for segment in segments where segment.id < 0 {
                    var i = segment.range.lowerBound
                    let end = segment.range.upperBound
                    while i < end {
                        let e = i + scanner.gpt2End(p + i, 0, end - i)
                        counter.add(p + i, e - i)
                        i = e
                    }
                }
            }
        }

        // 2. Initial vocabulary: specials, then bytes ordered by their byte-level scalar.
        var tokenStrings: [String] = []
        var idOfString: [String: Int32] = [:]
        var tokenBytes: [[UInt8]] = []
        func addToken(_ string: String, _ bytes: [UInt8]) -> Int32 {
            if let id = idOfString[string] { return id }
            let id = Int32(tokenStrings.count)
            tokenStrings.append(string)
            tokenBytes.append(bytes)
            idOfString[string] = id
            return id
        }
        for s in uniqueSpecials { _ = addToken(s, Array(s.utf8)) }
        var byteID = [Int32](repeating: 0, count: 256)
        for b in (0..<256).sorted(by: { ByteLevel.scalars[$0].value < ByteLevel.scalars[$1].value }) {
            byteID[b] = addToken(String(Character(ByteLevel.scalars[b])), [UInt8(b)])
        }

        // 3. Words as symbol arrays; pair counts and the pair → words index.
        var words: [[Int32]] = counter.words.map { word in word.map { byteID[Int($0)] } }
        let counts = counter.counts
        var pairCount: [UInt64: Int] = [:]
        var pairWords: [UInt64: [Int32]] = [:]
        for (w, word) in words.enumerated() where word.count > 1 {
            for i in 0..<(word.count - 1) {
                let key = PairTable.key(word[i], word[i + 1])
                pairCount[key, default: 0] += counts[w]
                if pairWords[key]?.last != Int32(w) { pairWords[key, default: []].append(Int32(w)) }
            }
        }
        var heap = PairHeap()
        for (key, count) in pairCount { heap.push(count, key) }

        // 4. Merge until the vocabulary is full.
        var merges: [MergeRule] = []
        var visited = [Int32](repeating: -1, count: words.count)
        var touched: [UInt64] = []
        while tokenStrings.count < vocabularySize, let (count, key) = heap.pop() {
            let current = pairCount[key] ?? 0
            if current != count {
                if current > 0 { heap.push(current, key) }
                continue
            }
            if count < minFrequency { break }
            let a = Int32(truncatingIfNeeded: key >> 32), b = Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)
            let bytes = tokenBytes[Int(a)] + tokenBytes[Int(b)]
            let merged = addToken(ByteLevel.encode(bytes), bytes)
            merges.append(MergeRule(tokenStrings[Int(a)], tokenStrings[Int(b)]))
            let step = Int32(merges.count)
            touched.removeAll(keepingCapacity: true)
            for w32 in pairWords.removeValue(forKey: key) ?? [] {
                let w = Int(w32)
                if visited[w] == step { continue }
                visited[w] = step
                let old = words[w]
                var contains = false
                for i in 0..<(old.count - 1) where old[i] == a && old[i + 1] == b {
                    contains = true
                    break
                }
                if !contains { continue }
                let c = counts[w]
                for i in 0..<(old.count - 1) { pairCount[PairTable.key(old[i], old[i + 1]), default: 0] -= c }
                var new: [Int32] = []
                new.reserveCapacity(old.count)
                var i = 0
                while i < old.count {
                    if i + 1 < old.count && old[i] == a && old[i + 1] == b {
                        new.append(merged)
                        i += 2
                    } else {
                        new.append(old[i])
                        i += 1
                    }
                }
                if new.count > 1 {
                    for i in 0..<(new.count - 1) {
                        let p = PairTable.key(new[i], new[i + 1])
                        pairCount[p, default: 0] += c
                        if new[i] == merged || new[i + 1] == merged {
                            if pairWords[p]?.last != w32 { pairWords[p, default: []].append(w32) }
                            touched.append(p)
                        }
                    }
                }
                words[w] = new
            }
            pairCount[key] = nil
            touched.sort()
            var previous = UInt64.max
            for p in touched where p != previous {
                previous = p
                if let c = pairCount[p], c > 0 { heap.push(c, p) }
            }
        }

        // 5. The tokenizer.json a ByteLevelBPETokenizer would write.
        var vocab: [String: Int] = [:]
        for (id, s) in tokenStrings.enumerated() { vocab[s] = id }
        let file = TokenizerFile(
            addedTokens: uniqueSpecials.map { AddedTokenConfig(id: Int(idOfString[$0] ?? 0), content: $0, special: true) },
            normalizer: nil,
            preTokenizer: .byteLevel(addPrefixSpace: false, trimOffsets: true, useRegex: true),
            postProcessor: nil,
            decoder: DecoderConfig(),
            model: BPEModelConfig(vocab: vocab, merges: merges))
        return try Tokenizer(file: file)
    }
}

/// Counts distinct byte strings; `words[i]` occurred `counts[i]` times, in order of first occurrence.
struct WordCounter {
    var words: [[UInt8]] = []
    var counts: [Int] = []
    private var index: [[UInt8]: Int] = [:]

    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int) {
        let word = Array(UnsafeBufferPointer(start: p, count: n))
        if let i = index[word] {
            counts[i] += 1
        } else {
            index[word] = words.count
            words.append(word)
            counts.append(1)
        }
    }
}

/// Max-heap of (count, pair): the highest count first, then the smallest pair key.
struct PairHeap {
    private var items: [(count: Int, key: UInt64)] = []

    @inline(__always)
    private static func before(_ x: (count: Int, key: UInt64), _ y: (count: Int, key: UInt64)) -> Bool {
        x.count != y.count ? x.count > y.count : x.key < y.key
    }

    mutating func push(_ count: Int, _ key: UInt64) {
        items.append((count, key))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !Self.before(items[i], items[parent]) { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (Int, UInt64)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < items.count && Self.before(items[l], items[best]) { best = l }
                if r < items.count && Self.before(items[r], items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return (top.count, top.key)
    }
}
