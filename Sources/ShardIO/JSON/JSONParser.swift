/// A strict RFC 8259 parser working on bytes.
///
/// Numbers are kept as their source text; object members keep their order and duplicates.
/// The parser is a value you may keep and reuse: it owns a scratch buffer for strings with
/// escapes, so a loop over many lines does not allocate it again.
public struct JSONParser: Sendable {
    /// Containers (arrays and objects) nested deeper than this are rejected.
    public var maxDepth: Int
    public var invalidUTF8: InvalidUTF8Policy
    /// U+FFFD replacements made by the last call (always 0 under `.reject`).
    public private(set) var replacements: Int = 0
    @usableFromInline var scratch: [UInt8] = []

    public init(maxDepth: Int = 512, invalidUTF8: InvalidUTF8Policy = .reject) {
        precondition(maxDepth > 0, "maxDepth must be positive")
        self.maxDepth = maxDepth
        self.invalidUTF8 = invalidUTF8
    }

    /// Parses one JSON value with the default limits; only whitespace may follow it.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
        var parser = JSONParser()
        return try parser.parseValue(bytes)
    }

    /// Parses one JSON value; only whitespace may follow it.
    public mutating func parseValue(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
        // Move the scratch buffer into the reader so it stays uniquely referenced (no copy on write).
        var reader = JSONReader(bytes, scratch: take(&scratch), maxDepth: maxDepth, policy: invalidUTF8)
        defer {
            scratch = reader.scratch
            replacements = reader.replacements
        }
        let value = try reader.readValue(depth: 0)
        try reader.expectEnd()
        return value
    }
}

/// Returns `buffer`'s contents, leaving it empty, without copying the storage.
@usableFromInline @inline(__always)
func take(_ buffer: inout [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    swap(&out, &buffer)
    return out
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
