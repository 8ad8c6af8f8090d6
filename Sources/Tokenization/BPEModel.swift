/// The immutable tables of a byte-level BPE: byte → initial symbol, pair → (rank, merged id).
final class BPEModel: @unchecked Sendable {
    /// `byteToID[b]`: the id of the one-byte token for byte `b`, or -1 if the vocabulary lacks it.
    let byteToID: UnsafeMutablePointer<Int32>
    let pairs: PairTable
    /// Byte string → id of every vocabulary entry; only consulted when `ignoreMerges` is set.
    let vocabulary: BytesTable?
    let ignoreMerges: Bool
    /// Id of `unk_token` (emitted for a byte missing from the vocabulary), or -1 to drop such bytes.
    let unknownID: Int32
    let fuseUnknown: Bool

    init(byteToID: [Int32], pairs: PairTable, vocabulary: BytesTable?, ignoreMerges: Bool, unknownID: Int32, fuseUnknown: Bool) {
        precondition(byteToID.count == 256)
        self.byteToID = .allocate(capacity: 256)
        self.byteToID.initialize(from: byteToID, count: 256)
        self.pairs = pairs
        self.vocabulary = vocabulary
        self.ignoreMerges = ignoreMerges
        self.unknownID = unknownID
        self.fuseUnknown = fuseUnknown
    }

    deinit { byteToID.deallocate() }
}

/// Per-thread mutable state of encoding: the word cache and the merge scratch buffers.
///
/// A `Tokenizer` keeps a small pool of these, so concurrent `encode` calls never share one.
/// Each holds a 64K-word cache in fixed buffers (about 14 MB, touched lazily as it fills).
final class WordEncoder {
    // Merge scratch, grown on demand, never shrunk.
    private var capacity = 0
    private var symbols: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    private var ranks: UnsafeMutablePointer<UInt64> = .allocate(capacity: 1)
    private var previous: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    private var next: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    private var heap: UnsafeMutablePointer<UInt64> = .allocate(capacity: 1)

    // Word cache: open addressing over `cacheSlots`; entry e's key bytes are
    // `keyArena[keyStart[e]..<keyStart[e] + keyLength[e]]`, its ids likewise in `idArena`.
    // Everything is a fixed-size buffer behind a `let` pointer: no reallocation and no dynamic
    // exclusivity checks in the hot loop. When an entry no longer fits, the whole cache is cleared.
    static let cacheSlotCount = 1 << 17
    static let cacheMaxEntries = 1 << 16
    static let keyArenaCapacity = 1 << 22
    static let idArenaCapacity = 1 << 21
    /// Words longer than this are not cached (they are rare and would crowd the arenas).
    static let cacheMaxWordBytes = 96
    private let cacheSlots: UnsafeMutablePointer<Int32>
    private let cacheHashes: UnsafeMutablePointer<UInt64>
    /// Per entry: key start, key length, id start, id count.
    private let cacheEntries: UnsafeMutablePointer<Int32>
    private let keyArena: UnsafeMutablePointer<UInt8>
    private let idArena: UnsafeMutablePointer<Int32>
    /// entry count, key arena used, id arena used.
    private let cacheCounters: UnsafeMutablePointer<Int>

    init() {
        cacheSlots = .allocate(capacity: Self.cacheSlotCount)
        cacheSlots.initialize(repeating: -1, count: Self.cacheSlotCount)
        cacheHashes = .allocate(capacity: Self.cacheMaxEntries)
        cacheEntries = .allocate(capacity: 4 * Self.cacheMaxEntries)
        keyArena = .allocate(capacity: Self.keyArenaCapacity)
        idArena = .allocate(capacity: Self.idArenaCapacity)
        cacheCounters = .allocate(capacity: 3)
        cacheCounters.initialize(repeating: 0, count: 3)
    }

    deinit {
        symbols.deallocate()
        ranks.deallocate()
        previous.deallocate()
        next.deallocate()
        heap.deallocate()
        cacheSlots.deallocate()
        cacheHashes.deallocate()
        cacheEntries.deallocate()
        keyArena.deallocate()
        idArena.deallocate()
        cacheCounters.deallocate()
    }

    private func reserve(_ n: Int) {
        if n <= capacity { return }
        let c = max(n, 2 * capacity, 64)
        symbols.deallocate(); symbols = .allocate(capacity: c)
        ranks.deallocate(); ranks = .allocate(capacity: c)
        previous.deallocate(); previous = .allocate(capacity: c)
        next.deallocate(); next = .allocate(capacity: c)
        heap.deallocate(); heap = .allocate(capacity: 2 * c)
        capacity = c
    }

    private func clearCache() {
        cacheSlots.update(repeating: -1, count: Self.cacheSlotCount)
        cacheCounters.update(repeating: 0, count: 3)
    }

    /// Appends the ids of one pre-tokenized word `p[0..<n]` (raw bytes, not yet byte-level mapped).
    @inline(__always)
    func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int, model: BPEModel, into out: inout [Int32]) {
        if n == 1 {  // one byte: never merges
            let id = model.byteToID[Int(p[0])]
            if id >= 0 { out.append(id) } else if model.unknownID >= 0 { out.append(model.unknownID) }
            return
        }
        if model.ignoreMerges, let vocabulary = model.vocabulary {
            let id = vocabulary.get(p, n)
            if id >= 0 {
                out.append(id)
                return
            }
        }
        let cacheable = n <= Self.cacheMaxWordBytes
        var hash: UInt64 = 0
        var slot = 0
        let mask = Self.cacheSlotCount - 1
        if cacheable {
            hash = hashBytes(p, n)
            slot = Int(truncatingIfNeeded: hash) & mask
            while true {
                let e = Int(cacheSlots[slot])
                if e < 0 { break }
                let entry = cacheEntries + 4 * e
                if cacheHashes[e] == hash && Int(entry[1]) == n && memEqual(keyArena + Int(entry[0]), p, n) {
                    let ids = UnsafeBufferPointer(start: idArena + Int(entry[2]), count: Int(entry[3]))
                    out.append(contentsOf: ids)
                    return
                }
                slot = (slot + 1) & mask
            }
        }
        let before = out.count
        merge(p, n, model: model, into: &out)
        if cacheable {
            let produced = out.count - before
            if cacheCounters[0] >= Self.cacheMaxEntries || cacheCounters[1] + n > Self.keyArenaCapacity
                || cacheCounters[2] + produced > Self.idArenaCapacity {
                clearCache()
                slot = Int(truncatingIfNeeded: hash) & mask
            }
            let e = cacheCounters[0]
            cacheSlots[slot] = Int32(e)
            cacheHashes[e] = hash
            let entry = cacheEntries + 4 * e
            entry[0] = Int32(cacheCounters[1])
            entry[1] = Int32(n)
            entry[2] = Int32(cacheCounters[2])
            entry[3] = Int32(produced)
            (keyArena + cacheCounters[1]).update(from: p, count: n)
            out.withUnsafeBufferPointer { ids in
                if let base = ids.baseAddress { (idArena + cacheCounters[2]).update(from: base + before, count: produced) }
            }
            cacheCounters[0] = e + 1
            cacheCounters[1] += n
            cacheCounters[2] += produced
        }
    }

    /// Words up to this many symbols merge by rescanning an array; longer ones use the heap.
    static let linearMergeLimit = 48

    /// BPE on one word: repeatedly merges the adjacent pair of lowest rank, the leftmost on ties.
    ///
    /// This is exactly the order of `tokenizers`' `Word::merge_all` (a heap keyed by (rank, position)).
    /// Short words rescan an array (O(n²), n small); long words use a min-heap plus a linked
    /// list over the symbols (O(n log n)).
    private func merge(_ p: UnsafePointer<UInt8>, _ n: Int, model: BPEModel, into out: inout [Int32]) {
        reserve(n)
        let symbols = self.symbols  // locals: no exclusivity check per element access
        var count = 0
        var lastWasUnknown = false
        for i in 0..<n {
            let id = model.byteToID[Int(p[i])]
            if id >= 0 {
                symbols[count] = id
                count += 1
                lastWasUnknown = false
            } else if model.unknownID >= 0 {
                if !(model.fuseUnknown && lastWasUnknown) {
                    symbols[count] = model.unknownID
                    count += 1
                }
                lastWasUnknown = true
            }
        }
        if count <= Self.linearMergeLimit {
            mergeLinear(count, model.pairs, into: &out)
        } else {
            mergeHeap(count, model.pairs, into: &out)
        }
    }

    private func mergeLinear(_ n0: Int, _ pairs: PairTable, into out: inout [Int32]) {
        let symbols = self.symbols, ranks = self.ranks
        var n = n0
        if n > 1 {
            for i in 0..<(n - 1) { ranks[i] = pairs.get(PairTable.key(symbols[i], symbols[i + 1])) }
        }
        while n > 1 {
            var best = UInt64.max
            var at = 0
            for i in 0..<(n - 1) where ranks[i] < best {
                best = ranks[i]
                at = i
            }
            if best == UInt64.max { break }
            symbols[at] = Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: best))
            // Remove symbol at+1 and the rank of pair (at, at+1)'s successor slot.
            var k = at + 1
            while k < n - 1 {
                symbols[k] = symbols[k + 1]
                ranks[k] = ranks[k + 1]
                k += 1
            }
            n -= 1
            if at > 0 { ranks[at - 1] = pairs.get(PairTable.key(symbols[at - 1], symbols[at])) }
            if at < n - 1 { ranks[at] = pairs.get(PairTable.key(symbols[at], symbols[at + 1])) }
        }
        out.append(contentsOf: UnsafeBufferPointer(start: symbols, count: n))
    }

    private func mergeHeap(_ n: Int, _ pairs: PairTable, into out: inout [Int32]) {
        let symbols = self.symbols, previous = self.previous, next = self.next, heap = self.heap
        var heapCount = 0
        @inline(__always) func push(_ v: UInt64) {
            var i = heapCount
            heapCount += 1
            while i > 0 {
                let parent = (i - 1) >> 1
                if heap[parent] <= v { break }
                heap[i] = heap[parent]
                i = parent
            }
            heap[i] = v
        }
        @inline(__always) func pop() -> UInt64 {
            let top = heap[0]
            heapCount -= 1
            let last = heap[heapCount]
            var i = 0
            while true {
                let l = 2 * i + 1
                if l >= heapCount { break }
                var c = l
                if l + 1 < heapCount && heap[l + 1] < heap[l] { c = l + 1 }
                if heap[c] >= last { break }
                heap[i] = heap[c]
                i = c
            }
            heap[i] = last
            return top
        }
        for i in 0..<n {
            previous[i] = Int32(i - 1)
            next[i] = i + 1 < n ? Int32(i + 1) : -1
        }
        // Heap entries: rank << 32 | position, so the minimum is the lowest rank, then the leftmost.
        for i in 0..<(n - 1) {
            let v = pairs.get(PairTable.key(symbols[i], symbols[i + 1]))
            if v != UInt64.max { push((v >> 32) << 32 | UInt64(i)) }
        }
        while heapCount > 0 {
            let top = pop()
            let pos = Int(top & 0xFFFF_FFFF)
            let rank = top >> 32
            if symbols[pos] < 0 { continue }
            let right = Int(next[pos])
            if right < 0 { continue }
            let v = pairs.get(PairTable.key(symbols[pos], symbols[right]))
            if v == UInt64.max || v >> 32 != rank { continue }  // stale entry
            symbols[pos] = Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: v))
            symbols[right] = -1
            let after = Int(next[right])
            next[pos] = Int32(after)
            if after >= 0 { previous[after] = Int32(pos) }
            let before = Int(previous[pos])
            if before >= 0 {
                let w = pairs.get(PairTable.key(symbols[before], symbols[pos]))
                if w != UInt64.max { push((w >> 32) << 32 | UInt64(before)) }
            }
            if after >= 0 {
                let w = pairs.get(PairTable.key(symbols[pos], symbols[after]))
                if w != UInt64.max { push((w >> 32) << 32 | UInt64(pos)) }
            }
        }
        var i = 0
        while i >= 0 && i < n {
            out.append(symbols[i])
            i = Int(next[i])
        }
    }
}
