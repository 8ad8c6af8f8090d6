extension JSONValue {
    /// Appends compact JSON (no whitespace) to `out`.
    ///
    /// Deterministic: members in stored order, numbers as their stored text, strings escaped by
    /// `JSONWriter.appendString` (only `"`, `\` and control characters; non-ASCII stays raw UTF-8).
    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: JSONWriter.appendASCII("null", to: &out)
        case let .bool(b): JSONWriter.appendASCII(b ? "true" : "false", to: &out)
        case let .number(text): JSONWriter.appendRaw(text, to: &out)
        case let .string(s): JSONWriter.appendString(s, to: &out)
        case let .array(elements):
            out.append(UInt8(ascii: "["))
            for (k, e) in elements.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                e.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (k, m) in members.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(m.key, to: &out)
                out.append(UInt8(ascii: ":"))
                m.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The compact JSON text as bytes.
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
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
