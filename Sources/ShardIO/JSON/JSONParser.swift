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
