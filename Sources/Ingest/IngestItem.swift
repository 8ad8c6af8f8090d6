import ShardIO

/// Where a document came from.
public struct Provenance: Sendable, Equatable {
    /// The input file's path as discovery found it.
    public var file: String
    /// The archive member's path, for records inside a tar.
    public var member: String?
    /// 1-based line number for JSON Lines; 1-based record number for WARC/WET; 1 for a text file.
    public var line: Int
    /// Offset of the record's first byte in the decompressed data of the file (or member).
    public var byteOffset: Int

    public init(file: String, member: String?, line: Int, byteOffset: Int) {
        self.file = file
        self.member = member
        self.line = line
        self.byteOffset = byteOffset
    }
}

/// A record that did not become a document, and why.
public struct Rejection: Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// The line is not valid JSON, or not a JSON object.
        case malformedJSON
        /// No `text` field.
        case missingText
        /// `text` is present but not a string.
        case textNotString
        /// A string is not well-formed UTF-8 (or has an unpaired surrogate escape), under the
        /// `reject` policy.
        case invalidUTF8
        /// The compressed stream (or archive) ended early or is corrupt; reading of this file stops.
        case truncatedStream
        /// The record is longer than `IngestOptions.maxRecordBytes`; it was skipped unread.
        case recordTooLarge
        /// A tar member whose header or data libarchive could not read; the next member follows.
        case unreadableMember
        /// The text is empty or only whitespace.
        case emptyDocument
        /// A WARC record without a valid version line, headers or `Content-Length`.
        case malformedRecord
    }

    public var file: String
    public var member: String?
    /// As in `Provenance`; 0 for a damaged archive header (no record was reached).
    public var line: Int
    /// As in `Provenance`; for a damaged archive header, its offset in the uncompressed archive.
    public var byteOffset: Int
    public var code: Code
    public var message: String
    /// The record's first bytes (at most 200), decoded lossily, for the rejected/ report.
    public var snippet: String

    public init(file: String, member: String?, line: Int, byteOffset: Int, code: Code, message: String, snippet: String) {
        self.file = file
        self.member = member
        self.line = line
        self.byteOffset = byteOffset
        self.code = code
        self.message = message
        self.snippet = snippet
    }

    public var description: String {
        let place = member.map { "\(file)[\($0)]" } ?? file
        return "\(place):\(line) (byte \(byteOffset)): \(code.rawValue): \(message)"
    }
}

/// One result of reading an input: a document with its origin, or a rejected record.
public enum IngestItem: Sendable, Equatable {
    case document(Document, Provenance)
    case rejected(Rejection)
}

/// How input records map to Dolma fields.
public enum InputFormat: String, Sendable, CaseIterable {
    /// Per record: Dolma if `id` and `source` are present, Pile if `meta.pile_set_name`, C4 if
    /// `url` and `timestamp`, else generic (`text` required, every other field → metadata).
    case auto
    /// `id`, `text`, `source`, `added`, `metadata` as they are; other fields join `metadata`.
    case dolma
    /// `text`; `meta.pile_set_name` → `source`; `meta`'s members (and other fields) → metadata.
    case pile
    /// `text`; `url` → metadata.url; `timestamp` → `added` (ISO-8601 UTC) or metadata.timestamp.
    case c4
    /// Every file (or tar member) is one plain-text document, whatever its extension.
    case text
}

/// Settings for `IngestReader`.
public struct IngestOptions: Sendable {
    public var format: InputFormat
    public var invalidUTF8: InvalidUTF8Policy
    /// Records longer than this are rejected (`recordTooLarge`) without being buffered whole.
    public var maxRecordBytes: Int
    /// `source` for records that carry none; nil means the input file's base name.
    public var defaultSource: String?
    /// Bytes requested from libarchive per read.
    public var blockSize: Int

    public init(format: InputFormat = .auto, invalidUTF8: InvalidUTF8Policy = .reject,
                maxRecordBytes: Int = 64 << 20, defaultSource: String? = nil, blockSize: Int = 1 << 20) {
        precondition(maxRecordBytes > 0 && blockSize > 0, "maxRecordBytes and blockSize must be positive")
        self.format = format
        self.invalidUTF8 = invalidUTF8
        self.maxRecordBytes = maxRecordBytes
        self.defaultSource = defaultSource
        self.blockSize = blockSize
    }
}

/// Counters for one reader. Every emitted item is counted once in `documents` or `rejected`.
/// For JSON Lines input `lines == emptyLines + documents + rejected` (a truncated stream's
/// rejection counts as a line); `lines` counts JSON Lines only, not WARC or text records.
public struct IngestStats: Sendable, Equatable {
    public var lines = 0
    public var emptyLines = 0
    public var documents = 0
    public var rejected = 0
    /// Rejections by code.
    public var rejectedByCode: [Rejection.Code: Int] = [:]
    /// WARC records that are not documents (`warcinfo`, `request`, non-text responses, …).
    public var skippedRecords = 0
    /// Tar members of a kind this reader does not turn into documents (images, nested archives).
    public var skippedMembers = 0
    /// Strings in which invalid UTF-8 was replaced (policy `repair`), and the replacements made.
    public var repairedRecords = 0
    public var replacements = 0
    /// Decompressed bytes of file (or tar member) data read; tar headers are not counted.
    public var bytesRead = 0

    public init() {}
}
