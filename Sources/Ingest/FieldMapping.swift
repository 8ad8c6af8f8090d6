import ShardIO

/// Turns one parsed JSON record into a Dolma document.
enum FieldMapping {
    struct Failure: Error {
        var code: Rejection.Code
        var message: String
    }

    /// Where the record came from, for ids and the default source.
    struct Origin {
        var relativePath: String
        var member: String?
        var line: Int
        var defaultSource: String
    }

    static func document(from value: JSONValue, format: InputFormat, origin: Origin) -> Result<Document, Failure> {
        guard case let .object(members) = value else {
            return .failure(Failure(code: .malformedJSON, message: "record is a JSON \(kindName(value)), not an object"))
        }
        let resolved = format == .auto ? detect(members) : format
        guard let textValue = first(members, "text") else {
            return .failure(Failure(code: .missingText, message: "record has no \"text\" field"))
        }
        guard case let .string(text) = textValue else {
            return .failure(Failure(code: .textNotString, message: "\"text\" is a JSON \(kindName(textValue)), not a string"))
        }
        if isBlank(text) {
            return .failure(Failure(code: .emptyDocument, message: "\"text\" is empty or only whitespace"))
        }
        var id: String?
        var source: String?
        var added: String?
        var metadata: [(key: String, value: JSONValue)] = []
        var extra: [(key: String, value: JSONValue)] = []

        switch resolved {
        case .dolma:
            for m in members {
                switch m.key {
                case "text": continue
                case "id":
                    if case let .string(s) = m.value, !s.isEmpty { id = s }
                    else if case let .number(n) = m.value { id = n }
                    else { extra.append(m) }
                case "source":
                    if case let .string(s) = m.value, !s.isEmpty { source = s } else { extra.append(m) }
                case "added":
                    if case let .string(s) = m.value { added = s } else if m.value != .null { extra.append(m) }
                case "metadata":
                    if case let .object(inner) = m.value { metadata.append(contentsOf: inner) }
                    else if m.value != .null { extra.append(m) }
                default: extra.append(m)
                }
            }
        case .pile:
            for m in members {
                switch m.key {
                case "text": continue
                case "meta":
                    if case let .object(inner) = m.value {
                        metadata.append(contentsOf: inner)
                        if case let .string(s)? = first(inner, "pile_set_name"), !s.isEmpty { source = s }
                    } else {
                        extra.append(m)
                    }
                default: extra.append(m)
                }
            }
        case .c4:
            for m in members {
                switch m.key {
                case "text": continue
                case "timestamp":
                    if case let .string(s) = m.value, let iso = Timestamp.normalizedISO8601(s) { added = iso }
                    else { extra.append(m) }
                default: extra.append(m)  // url lands in metadata.url this way
                }
            }
        case .auto, .text:
            for m in members where m.key != "text" { extra.append(m) }
        }
        // Extra top-level fields join metadata unless metadata already has the key.
        for m in extra where first(metadata, m.key) == nil { metadata.append(m) }
        let finalSource = source ?? origin.defaultSource
        let finalID = id ?? StableID.make(source: finalSource, relativePath: origin.relativePath, member: origin.member, line: origin.line)
        return .success(Document(id: finalID, text: text, source: finalSource, added: added, metadata: .object(metadata)))
    }

    /// The auto-detected format of one record.
    static func detect(_ members: [(key: String, value: JSONValue)]) -> InputFormat {
        if first(members, "id") != nil && first(members, "source") != nil { return .dolma }
        if case let .object(meta)? = first(members, "meta"), first(meta, "pile_set_name") != nil { return .pile }
        if first(members, "url") != nil && first(members, "timestamp") != nil { return .c4 }
        return .auto  // generic
    }

    @inline(__always)
    static func first(_ members: [(key: String, value: JSONValue)], _ key: String) -> JSONValue? {
        for m in members where m.key == key { return m.value }
        return nil
    }

    static func kindName(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// True when `text` has no byte other than ASCII whitespace.
    static func isBlank(_ text: String) -> Bool {
        for b in text.utf8 where !(b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == 0x0C || b == 0x0B) { return false }
        return true
    }
}
