// The byte-level machinery of the JSON codec, kept in one file on purpose: debug builds compile
// each file separately (-O without whole-module optimisation), and the optimiser only inlines
// the small SWAR helpers into callers in the same file; split up, every 8-byte step became a
// call and the parser lost about a fifth of its speed.

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

/// The parsing state over one buffer. Internal so that `Document`'s fast path can share it.
@usableFromInline
struct JSONReader {
    @usableFromInline let p: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    @usableFromInline var i: Int = 0
    @usableFromInline var scratch: [UInt8]
    @usableFromInline let maxDepth: Int
    @usableFromInline let policy: InvalidUTF8Policy
    @usableFromInline var replacements: Int = 0

    /// Stands in for the base of an empty buffer; never written, so sharing it is safe.
    nonisolated(unsafe) private static let emptyByte: UnsafeMutablePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    @usableFromInline
    init(_ bytes: UnsafeRawBufferPointer, scratch: [UInt8], maxDepth: Int, policy: InvalidUTF8Policy) {
        if let base = bytes.baseAddress {
            p = base.assumingMemoryBound(to: UInt8.self)
        } else {
            p = UnsafePointer(JSONReader.emptyByte)
        }
        end = bytes.count
        self.scratch = scratch
        self.maxDepth = maxDepth
        self.policy = policy
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while i < end {
            let b = p[i]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { return }
        }
    }

    /// Only whitespace may remain.
    mutating func expectEnd() throws(JSONError) {
        skipWhitespace()
        if i < end { throw JSONError(.trailingData, at: i) }
    }

    @inline(__always)
    func unexpected() -> JSONError {
        i < end ? JSONError(.unexpectedByte(p[i]), at: i) : JSONError(.unexpectedEnd, at: i)
    }

    /// Consumes `c` after optional whitespace, or throws.
    @inline(__always)
    mutating func expect(_ c: UInt8) throws(JSONError) {
        skipWhitespace()
        guard i < end, p[i] == c else { throw unexpected() }
        i += 1
    }

    mutating func readValue(depth: Int) throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard i < end else { throw JSONError(.unexpectedEnd, at: i) }
        switch p[i] {
        case UInt8(ascii: "\""):
            i += 1
            return .string(try readStringBody())
        case UInt8(ascii: "{"):
            return try readObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return try readArray(depth: depth + 1)
        case UInt8(ascii: "t"):
            try readLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try readLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try readLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try readNumber())
        default:
            throw JSONError(.unexpectedByte(p[i]), at: i)
        }
    }

    mutating func readLiteral(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        for k in 0..<n {
            guard i + k < end else { throw JSONError(.unexpectedEnd, at: i + k) }
            guard p[i + k] == w[k] else { throw JSONError(.unexpectedByte(p[i + k]), at: i + k) }
        }
        i += n
    }

    /// Reads an object; `p[i]` is `{`.
    mutating func readObject(depth: Int) throws(JSONError) -> JSONValue {
        if depth > maxDepth { throw JSONError(.depthLimitExceeded(maxDepth), at: i) }
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if i < end && p[i] == UInt8(ascii: "}") {
            i += 1
            return .object(members)
        }
        while true {
            try expect(UInt8(ascii: "\""))
            let key = try readStringBody()
            try expect(UInt8(ascii: ":"))
            let value = try readValue(depth: depth)
            members.append((key: key, value: value))
            skipWhitespace()
            guard i < end else { throw JSONError(.unexpectedEnd, at: i) }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw JSONError(.unexpectedByte(p[i]), at: i)
        }
    }

    /// Reads an array; `p[i]` is `[`.
    mutating func readArray(depth: Int) throws(JSONError) -> JSONValue {
        if depth > maxDepth { throw JSONError(.depthLimitExceeded(maxDepth), at: i) }
        i += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if i < end && p[i] == UInt8(ascii: "]") {
            i += 1
            return .array(elements)
        }
        while true {
            elements.append(try readValue(depth: depth))
            skipWhitespace()
            guard i < end else { throw JSONError(.unexpectedEnd, at: i) }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "]") { i += 1; return .array(elements) }
            throw JSONError(.unexpectedByte(p[i]), at: i)
        }
    }

    /// Reads a number per RFC 8259 §6 and returns its text.
    mutating func readNumber() throws(JSONError) -> String {
        let start = i
        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end else { throw JSONError(.invalidNumber, at: i) }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else if isDigit(p[i]) {
            while i < end && isDigit(p[i]) { i += 1 }
        } else {
            throw JSONError(.invalidNumber, at: i)
        }
        if i < end && p[i] == UInt8(ascii: ".") {
            i += 1
            guard i < end, isDigit(p[i]) else { throw JSONError(.invalidNumber, at: i) }
            while i < end && isDigit(p[i]) { i += 1 }
        }
        if i < end && (p[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < end && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < end, isDigit(p[i]) else { throw JSONError(.invalidNumber, at: i) }
            while i < end && isDigit(p[i]) { i += 1 }
        }
        return String(decoding: UnsafeBufferPointer(start: p + start, count: i - start), as: UTF8.self)
    }

    /// Advances `i` to the first `"`, `\` or control byte at or after `i` (or to `end`), and
    /// returns the OR of the skipped bytes' high bits (non-zero if any was non-ASCII).
    @inline(__always)
    mutating func scanPlainRun() -> UInt64 {
        var high: UInt64 = 0
        while i + 8 <= end {
            let w = ByteScan.load(p, i)
            let m = ByteScan.stringSpecialMask(w)
            if m != 0 {
                let bits = m.trailingZeroBitCount & ~7
                if bits > 0 { high |= w & ((1 &<< UInt64(bits)) &- 1) }
                i += bits >> 3
                return high & ByteScan.highs
            }
            high |= w
            i += 8
        }
        while i < end {
            let b = p[i]
            if b == 0x22 || b == 0x5C || b < 0x20 { break }
            high |= UInt64(b)
            i += 1
        }
        return high & ByteScan.highs
    }

    /// Reads the rest of a string whose opening quote has been consumed.
    mutating func readStringBody() throws(JSONError) -> String {
        let start = i
        let high = scanPlainRun()
        guard i < end else { throw JSONError(.unexpectedEnd, at: i) }
        if p[i] == UInt8(ascii: "\"") {
            // Fast path: no escapes.
            let stop = i
            i += 1
            let raw = UnsafeBufferPointer(start: p + start, count: stop - start)
            if high == 0 {
                return String(decoding: raw, as: UTF8.self)
            }
            // One validating pass (the standard library's) in the common, valid case.
            if let s = String(validating: raw, as: UTF8.self) { return s }
            let bad = ByteScan.firstInvalidUTF8(p, start, stop) ?? start
            switch policy { case .reject: throw JSONError(.invalidUTF8, at: bad); case .repair: break }
            scratch.removeAll(keepingCapacity: true)
            replacements += ByteScan.appendRepairingUTF8(p, start, stop, to: &scratch)
            return String(decoding: scratch, as: UTF8.self)
        }
        // Escapes: decode into `scratch`, copying raw runs unchecked; the standard library then
        // validates the result once. Escapes only produce valid UTF-8 and runs end at ASCII
        // bytes, so the result is valid exactly when every raw run is. If it is not, the string
        // is decoded again with per-run checks to find the offset (or repair).
        let savedReplacements = replacements
        scratch.removeAll(keepingCapacity: true)
        // The decoded string is never longer than the rest of the input: one allocation at most.
        if scratch.capacity < end - start { scratch.reserveCapacity(end - start) }
        scratch.append(contentsOf: UnsafeBufferPointer(start: p + start, count: i - start))
        var anyHigh = high
        while true {
            guard i < end else { throw JSONError(.unexpectedEnd, at: i) }
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                if anyHigh == 0 { return String(decoding: scratch, as: UTF8.self) }
                if let s = String(validating: scratch, as: UTF8.self) { return s }
                i = start
                replacements = savedReplacements
                return try readStringBodyChecked()
            }
            if b == UInt8(ascii: "\\") {
                try readEscape()
            } else {
                throw JSONError(.controlCharacterInString, at: i)
            }
            let runStart = i
            anyHigh |= scanPlainRun()
            scratch.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
        }
    }

    /// The slow path for a string with escapes and invalid UTF-8: every raw run is checked
    /// (reject) or repaired as it is copied. `i` is just after the opening quote.
    mutating func readStringBodyChecked() throws(JSONError) -> String {
        scratch.removeAll(keepingCapacity: true)
        while true {
            let runStart = i
            let runHigh = scanPlainRun()
            try appendRun(from: runStart, high: runHigh)
            guard i < end else { throw JSONError(.unexpectedEnd, at: i) }
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") {
                try readEscape()
            } else {
                throw JSONError(.controlCharacterInString, at: i)
            }
        }
    }

    /// Appends the raw bytes `p[start..<i]` to `scratch`, checking (or repairing) their UTF-8.
    /// A run ends at an ASCII byte, so a multi-byte sequence never straddles two runs.
    @inline(__always)
    mutating func appendRun(from start: Int, high: UInt64) throws(JSONError) {
        if high != 0, let bad = ByteScan.firstInvalidUTF8(p, start, i) {
            switch policy { case .reject: throw JSONError(.invalidUTF8, at: bad); case .repair: break }
            replacements += ByteScan.appendRepairingUTF8(p, start, i, to: &scratch)
            return
        }
        scratch.append(contentsOf: UnsafeBufferPointer(start: p + start, count: i - start))
    }

    /// Decodes one escape at `p[i] == "\\"` into `scratch`.
    mutating func readEscape() throws(JSONError) {
        let at = i
        guard i + 1 < end else { throw JSONError(.unexpectedEnd, at: end) }
        let c = p[i + 1]
        i += 2
        switch c {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try readHex4()
            if unit >= 0xD800 && unit <= 0xDBFF {
                // A high surrogate must be followed by an escaped low surrogate.
                if i + 1 < end && p[i] == UInt8(ascii: "\\") && p[i + 1] == UInt8(ascii: "u") {
                    let save = i
                    i += 2
                    let low = try readHex4()
                    if low >= 0xDC00 && low <= 0xDFFF {
                        let scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        ByteScan.appendUTF8(scalar, to: &scratch)
                        return
                    }
                    i = save  // the next escape is decoded on its own
                }
                try loneSurrogate(at: at)
            } else if unit >= 0xDC00 && unit <= 0xDFFF {
                try loneSurrogate(at: at)
            } else {
                ByteScan.appendUTF8(unit, to: &scratch)
            }
        default:
            throw JSONError(.invalidEscape, at: at)
        }
    }

    mutating func loneSurrogate(at offset: Int) throws(JSONError) {
        if case .reject = policy { throw JSONError(.loneSurrogate, at: offset) }
        scratch.append(contentsOf: [0xEF, 0xBF, 0xBD] as [UInt8])
        replacements += 1
    }

    mutating func readHex4() throws(JSONError) -> UInt32 {
        guard i + 4 <= end else { throw JSONError(.invalidUnicodeEscape, at: i) }
        var v: UInt32 = 0
        for k in 0..<4 {
            let b = p[i + k]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - 0x41 + 10)
            default: throw JSONError(.invalidUnicodeEscape, at: i + k)
            }
            v = v << 4 | d
        }
        i += 4
        return v
    }
}

/// Escaping writer for JSON strings into byte buffers.
public enum JSONWriter {
    /// Appends `s` as a quoted JSON string. `"` and `\` are backslash-escaped; control characters
    /// use `\b \f \n \r \t` or `\u00XX`; everything else (including U+2028/9) is copied as UTF-8.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { buf in
            appendEscaped(buf, to: &out)
        }
        if done == nil {
            let copy = Array(s.utf8)
            copy.withUnsafeBufferPointer { appendEscaped($0, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    static func appendRaw(_ s: String, to out: inout [UInt8]) {
        out.append(contentsOf: s.utf8)
    }

    @inline(__always)
    static func appendASCII(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends the bytes of a string body with JSON escapes; runs without special bytes are
    /// copied in one piece.
    static func appendEscaped(_ buf: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard let p = buf.baseAddress else { return }
        let end = buf.count
        var runStart = 0
        var i = 0
        while true {
            // Find the next byte that needs escaping.
            var found = false
            while i + 8 <= end {
                let m = ByteScan.stringSpecialMask(ByteScan.load(p, i))
                if m != 0 { i += m.trailingZeroBitCount >> 3; found = true; break }
                i += 8
            }
            if !found {
                while i < end {
                    let b = p[i]
                    if b == 0x22 || b == 0x5C || b < 0x20 { found = true; break }
                    i += 1
                }
            }
            if i > runStart {
                out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
            }
            if !found { return }
            let b = p[i]
            out.append(UInt8(ascii: "\\"))
            switch b {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0xF)])
            }
            i += 1
            runStart = i
        }
    }
}
