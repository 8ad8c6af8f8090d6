/// A JSON text that could not be parsed or does not have the expected shape.
///
/// `offset` is the byte offset (0-based) into the buffer given to the parser where the problem
/// was found; callers that know the file and line add those when they report it.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The input ended inside a value.
        case unexpectedEnd
        /// A byte that cannot start or continue a value here.
        case unexpectedByte(UInt8)
        /// A backslash followed by something other than `" \ / b f n r t u`.
        case invalidEscape
        /// `\u` not followed by four hex digits.
        case invalidUnicodeEscape
        /// A `\uD800`–`\uDFFF` escape that is not part of a high/low surrogate pair.
        case loneSurrogate
        /// An unescaped byte below 0x20 inside a string.
        case controlCharacterInString
        /// A number that does not follow RFC 8259's grammar.
        case invalidNumber
        /// Bytes inside a string that are not well-formed UTF-8.
        case invalidUTF8
        /// Arrays/objects nested deeper than the parser's limit.
        case depthLimitExceeded(Int)
        /// Something other than whitespace after the top-level value.
        case trailingData
        /// The value is valid JSON but not the expected record shape (a missing or mistyped field).
        case schema(String)
    }

    public var kind: Kind
    public var offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch kind {
        case .unexpectedEnd: what = "unexpected end of input"
        case let .unexpectedByte(b):
            what = (b >= 0x20 && b < 0x7F)
                ? "unexpected character '\(Character(Unicode.Scalar(b)))'"
                : "unexpected byte 0x\(String(b, radix: 16))"
        case .invalidEscape: what = "invalid escape sequence in string"
        case .invalidUnicodeEscape: what = "\\u escape needs four hex digits"
        case .loneSurrogate: what = "unpaired UTF-16 surrogate in \\u escape"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .invalidNumber: what = "malformed number"
        case .invalidUTF8: what = "invalid UTF-8 in string (use the repair policy to replace it with U+FFFD)"
        case let .depthLimitExceeded(limit): what = "nesting deeper than \(limit) levels"
        case .trailingData: what = "unexpected data after the JSON value"
        case let .schema(message): what = message
        }
        return "\(what) at byte \(offset)"
    }
}

/// What to do with bytes inside JSON strings that are not well-formed UTF-8.
public enum InvalidUTF8Policy: String, Sendable, CaseIterable {
    /// Fail with `JSONError.Kind.invalidUTF8` at the first bad byte.
    case reject
    /// Replace each maximal invalid subpart (Unicode §3.9, "U+FFFD substitution of maximal
    /// subparts") and each unpaired surrogate escape with U+FFFD, and count the replacements.
    case repair
}
