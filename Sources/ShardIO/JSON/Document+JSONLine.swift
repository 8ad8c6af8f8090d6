extension Document {
    /// Decodes one Dolma document line: `{"id","text","source","added"?,"metadata"?}`.
    ///
    /// Strict: `id`, `text`, `source` must be strings; `added` a string or null; `metadata` an
    /// object or null; any other top-level key, or a repeated one, is a `.schema` error (this reads
    /// the shards the `shard` stage wrote; raw inputs with other fields go through `Ingest`).
    /// Whitespace (including the line's `\n`) may surround the object.
    public init(jsonLine: UnsafeRawBufferPointer, invalidUTF8: InvalidUTF8Policy = .reject) throws(JSONError) {
        var replacements = 0
        try self.init(jsonLine: jsonLine, invalidUTF8: invalidUTF8, replacements: &replacements)
    }

    /// As `init(jsonLine:invalidUTF8:)`, adding the number of U+FFFD replacements to `replacements`.
    public init(jsonLine: UnsafeRawBufferPointer, invalidUTF8: InvalidUTF8Policy, replacements: inout Int) throws(JSONError) {
        var reader = JSONReader(jsonLine, scratch: [], maxDepth: 512, policy: invalidUTF8)
        var id: String?
        var text: String?
        var source: String?
        var added: String?
        var sawAdded = false
        var metadata: JSONValue?
        try reader.expect(UInt8(ascii: "{"))
        reader.skipWhitespace()
        if reader.i < reader.end && reader.p[reader.i] == UInt8(ascii: "}") {
            reader.i += 1
        } else {
            while true {
                try reader.expect(UInt8(ascii: "\""))
                let keyOffset = reader.i - 1
                let key = try reader.readStringBody()
                try reader.expect(UInt8(ascii: ":"))
                reader.skipWhitespace()
                let valueOffset = reader.i
                func duplicate() -> JSONError { JSONError(.schema("duplicate field \"\(key)\""), at: keyOffset) }
                switch key {
                case "text":
                    if text != nil { throw duplicate() }
                    text = try Document.readString(&reader, field: key, at: valueOffset)
                case "id":
                    if id != nil { throw duplicate() }
                    id = try Document.readString(&reader, field: key, at: valueOffset)
                case "source":
                    if source != nil { throw duplicate() }
                    source = try Document.readString(&reader, field: key, at: valueOffset)
                case "added":
                    if sawAdded { throw duplicate() }
                    sawAdded = true
                    switch try reader.readValue(depth: 1) {
                    case .null: added = nil
                    case let .string(s): added = s
                    default: throw JSONError(.schema("field \"added\" must be a string or null"), at: valueOffset)
                    }
                case "metadata":
                    if metadata != nil { throw duplicate() }
                    let value = try reader.readValue(depth: 1)
                    switch value {
                    case .null: metadata = .object([])
                    case .object: metadata = value
                    default: throw JSONError(.schema("field \"metadata\" must be an object"), at: valueOffset)
                    }
                default:
                    throw JSONError(.schema("unexpected field \"\(key)\" in a Dolma document"), at: keyOffset)
                }
                reader.skipWhitespace()
                guard reader.i < reader.end else { throw JSONError(.unexpectedEnd, at: reader.i) }
                let b = reader.p[reader.i]
                reader.i += 1
                if b == UInt8(ascii: ",") { continue }
                if b == UInt8(ascii: "}") { break }
                throw JSONError(.unexpectedByte(b), at: reader.i - 1)
            }
        }
        try reader.expectEnd()
        guard let id else { throw JSONError(.schema("missing field \"id\""), at: 0) }
        guard let text else { throw JSONError(.schema("missing field \"text\""), at: 0) }
        guard let source else { throw JSONError(.schema("missing field \"source\""), at: 0) }
        replacements += reader.replacements
        self.init(id: id, text: text, source: source, added: added, metadata: metadata ?? .object([]))
    }

    private static func readString(_ reader: inout JSONReader, field: String, at offset: Int) throws(JSONError) -> String {
        guard reader.i < reader.end, reader.p[reader.i] == UInt8(ascii: "\"") else {
            if reader.i >= reader.end { throw JSONError(.unexpectedEnd, at: reader.i) }
            // Parse the value anyway so that malformed JSON is reported as such, not as a type error.
            _ = try reader.readValue(depth: 1)
            throw JSONError(.schema("field \"\(field)\" must be a string"), at: offset)
        }
        reader.i += 1
        return try reader.readStringBody()
    }

    /// Appends the document as one JSON line: keys `id`, `text`, `source`, `added` (omitted when
    /// nil), `metadata`, compact, terminated by `\n`.
    public func writeJSONLine(into out: inout [UInt8]) {
        JSONWriter.appendASCII("{\"id\":", to: &out)
        JSONWriter.appendString(id, to: &out)
        JSONWriter.appendASCII(",\"text\":", to: &out)
        JSONWriter.appendString(text, to: &out)
        JSONWriter.appendASCII(",\"source\":", to: &out)
        JSONWriter.appendString(source, to: &out)
        if let added {
            JSONWriter.appendASCII(",\"added\":", to: &out)
            JSONWriter.appendString(added, to: &out)
        }
        JSONWriter.appendASCII(",\"metadata\":", to: &out)
        if case .object = metadata {
            metadata.write(into: &out)
        } else {
            // `metadata` is documented to be an object; keep the output a valid Dolma line anyway.
            JSONWriter.appendASCII("{}", to: &out)
        }
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
    }
}
