/// Mixes a 64-bit value (the splitmix64 finaliser).
@inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Hashes a byte string, eight bytes at a time.
@inline(__always)
func hashBytes(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
    let raw = UnsafeRawPointer(p)
    var i = 0
    while i + 8 <= count {
        h = mix64(h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        i += 8
    }
    if i < count {
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count {
            tail |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        h = mix64(h ^ tail)
    }
    return h
}

/// `hashBytes` of the empty string.
let emptyHash: UInt64 = 0x9E37_79B9_7F4A_7C15

/// Open-addressing map from a symbol pair `(left, right)` to `(rank, merged id)`.
///
/// Keys are `left << 32 | right`, values `rank << 32 | mergedID`; load factor at most 1/2, linear probing.
final class PairTable: @unchecked Sendable {
    private let keys: UnsafeMutablePointer<UInt64>
    private let values: UnsafeMutablePointer<UInt64>
    private let mask: Int
    private let shift: UInt64
    static let empty = UInt64.max

    init(capacityFor count: Int) {
        var capacity = 16
        var bits: UInt64 = 4
        while capacity < 2 * count + 2 {
            capacity <<= 1
            bits += 1
        }
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: Self.empty, count: capacity)
        values = .allocate(capacity: capacity)
        values.initialize(repeating: 0, count: capacity)
        mask = capacity - 1
        shift = 64 - bits
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Inserts or overwrites (a later duplicate merge replaces an earlier one, as in `tokenizers`).
    func set(_ key: UInt64, rank: UInt32, merged: Int32) {
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while keys[slot] != Self.empty && keys[slot] != key { slot = (slot + 1) & mask }
        keys[slot] = key
        values[slot] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    /// The packed `rank << 32 | mergedID`, or `UInt64.max` if the pair does not merge.
    @inline(__always)
    func get(_ key: UInt64) -> UInt64 {
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = keys[slot]
            if k == key { return values[slot] }
            if k == Self.empty { return UInt64.max }
            slot = (slot + 1) & mask
        }
    }
}

/// Open-addressing map from byte strings to token ids (the vocabulary, for `ignore_merges`).
final class BytesTable: @unchecked Sendable {
    private var slots: [Int32]
    private var hashes: [UInt64] = []
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var ids: [Int32] = []
    private var arena: [UInt8] = []
    private let mask: Int

    init(capacityFor count: Int) {
        var capacity = 16
        while capacity < 2 * count + 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
    }

    func insert(_ bytes: [UInt8], id: Int32) {
        let h = bytes.withUnsafeBufferPointer { buffer -> UInt64 in
            guard let base = buffer.baseAddress else { return emptyHash }
            return hashBytes(base, buffer.count)
        }
        var slot = Int(truncatingIfNeeded: h) & mask
        while slots[slot] >= 0 {
            let e = Int(slots[slot])
            if hashes[e] == h && lengths[e] == bytes.count && Array(arena[starts[e]..<(starts[e] + lengths[e])]) == bytes {
                ids[e] = id
                return
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(ids.count)
        hashes.append(h)
        starts.append(arena.count)
        lengths.append(bytes.count)
        ids.append(id)
        arena.append(contentsOf: bytes)
    }

    /// The id of `p[0..<count]`, or -1.
    func get(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
        let h = hashBytes(p, count)
        var slot = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                guard let base = arena.baseAddress else { return -1 }
                while true {
                    let s = slots[slot]
                    if s < 0 { return -1 }
                    let e = Int(s)
                    if hashes[e] == h && lengths[e] == count && memEqual(base + starts[e], p, count) {
                        return ids[e]
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }
}

@inline(__always)
func memEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
