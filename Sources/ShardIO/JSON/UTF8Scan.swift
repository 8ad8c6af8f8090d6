/// Byte-level helpers shared by the JSON reader and writer: SWAR scans and UTF-8 checks.
///
/// SWAR ("SIMD within a register") tests eight bytes at once in a `UInt64`. For the masks below
/// the lowest set bit is exact (borrows only propagate upwards), so `trailingZeroBitCount >> 3`
/// is the index of the first matching byte; higher bits may be false positives and are ignored.
@usableFromInline
enum ByteScan {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    @inlinable @inline(__always)
    static func load(_ p: UnsafePointer<UInt8>, _ i: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
    }

    /// High bit set in each byte of `w` equal to `c` (exact for the lowest match).
    @inlinable @inline(__always)
    static func equalMask(_ w: UInt64, _ c: UInt8) -> UInt64 {
        let x = w ^ (ones &* UInt64(c))
        return (x &- ones) & ~x & highs
    }

    /// High bit set in each byte of `w` that is `"`, `\` or below 0x20: the bytes a JSON string
    /// scanner must stop at, and the bytes a JSON string writer must escape.
    @inlinable @inline(__always)
    static func stringSpecialMask(_ w: UInt64) -> UInt64 {
        let control = (w &- ones &* 0x20) & ~w & highs
        return control | equalMask(w, 0x22) | equalMask(w, 0x5C)
    }

    /// Length of the well-formed UTF-8 sequence starting at `p[i]` (a byte ≥ 0x80), or the negated
    /// length of its maximal invalid subpart (Unicode §3.9, Table 3-7).
    @inlinable @inline(__always)
    static func utf8Sequence(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b0 = p[i]
        let need: Int
        var lo: UInt8 = 0x80
        var hi: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lo = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: need = 2
        case 0xED: need = 2; hi = 0x9F
        case 0xF0: need = 3; lo = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; hi = 0x8F
        default: return -1
        }
        if i + 1 >= end { return -1 }
        let b1 = p[i + 1]
        if b1 < lo || b1 > hi { return -1 }
        var k = 2
        while k <= need {
            if i + k >= end || p[i + k] & 0xC0 != 0x80 { return -k }
            k += 1
        }
        return need + 1
    }

    /// Offset of the first byte in `p[start..<end]` that is not part of well-formed UTF-8, or nil.
    @inlinable
    static func firstInvalidUTF8(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var i = start
        while i < end {
            if i + 8 <= end && load(p, i) & highs == 0 { i += 8; continue }
            if p[i] < 0x80 { i += 1; continue }
            let n = utf8Sequence(p, i, end)
            if n < 0 { return i }
            i += n
        }
        return nil
    }

    /// Appends `p[start..<end]` to `out`, each maximal invalid subpart replaced by U+FFFD.
    /// Returns the number of replacements.
    @inlinable
    static func appendRepairingUTF8(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, to out: inout [UInt8]) -> Int {
        var count = 0
        var runStart = start
        var i = start
        while i < end {
            if i + 8 <= end && load(p, i) & highs == 0 { i += 8; continue }
            if p[i] < 0x80 { i += 1; continue }
            let n = utf8Sequence(p, i, end)
            if n > 0 { i += n; continue }
            out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
            out.append(contentsOf: [0xEF, 0xBF, 0xBD] as [UInt8])
            count += 1
            i += -n
            runStart = i
        }
        out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: end - runStart))
        return count
    }

    /// Appends the UTF-8 encoding of a scalar value (≤ 0x10FFFF, not a surrogate).
    @inlinable @inline(__always)
    static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}

/// UTF-8 checking for raw text outside JSON (plain-text files, WARC bodies), with the same
/// policy and replacement rule as the JSON parser.
public enum UTF8Text {
    /// `bytes` as a String. Under `.reject` an invalid byte throws `.invalidUTF8` at its offset;
    /// under `.repair` each maximal invalid subpart becomes U+FFFD and `replacements` grows.
    public static func decode(_ bytes: UnsafeRawBufferPointer, policy: InvalidUTF8Policy, replacements: inout Int) throws(JSONError) -> String {
        guard let base = bytes.baseAddress else { return "" }
        let p = base.assumingMemoryBound(to: UInt8.self)
        guard let bad = ByteScan.firstInvalidUTF8(p, 0, bytes.count) else {
            return String(decoding: UnsafeBufferPointer(start: p, count: bytes.count), as: UTF8.self)
        }
        switch policy {
        case .reject:
            throw JSONError(.invalidUTF8, at: bad)
        case .repair:
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 16)
            replacements += ByteScan.appendRepairingUTF8(p, 0, bytes.count, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }
}
