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
