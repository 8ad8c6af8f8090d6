/// The binary token-record format (`*.tok.zst`).
///
/// A token shard is a zstd stream (independent frames, like every shard) whose decompressed bytes are:
/// ```
/// header  : "DRTOKEN1" (8 bytes) | width: u8 (2 or 4) | 7 zero bytes
/// record* : id_length: u32 LE | id: UTF-8 bytes | count: u32 LE | count tokens, each `width` bytes LE
/// ```
/// Record i of a token shard is document i of the document shard with the same number; the id is repeated
/// so that alignment can be checked and `datarater cat` can print ids. Token ids are unsigned; uint16 is
/// used whenever the vocabulary has at most 65,536 entries.
public enum TokenShardFormat {
    public static let magic: [UInt8] = Array("DRTOKEN1".utf8)
    public static let headerBytes = 16

    /// The narrowest width that holds every id below `vocabularySize`.
    public static func width(forVocabularySize vocabularySize: Int) -> Int {
        vocabularySize <= 65_536 ? 2 : 4
    }
}

/// One token record: a document id and its token ids.
public struct TokenRecord: Sendable, Equatable {
    public var id: String
    public var tokens: [UInt32]

    public init(id: String, tokens: [UInt32]) {
        self.id = id
        self.tokens = tokens
    }
}

/// Writes a token shard atomically.
public final class TokenShardWriter {
    private let writer: ShardWriter
    public let width: Int

    public init(path: String, width: Int, level: Int32 = 3) throws(ShardIOError) {
        precondition(width == 2 || width == 4, "token width must be 2 or 4")
        self.width = width
        writer = try ShardWriter(path: path, level: level)
        var header = TokenShardFormat.magic
        header.append(UInt8(width))
        header.append(contentsOf: repeatElement(0, count: 7))
        // The header is not a record: write it through the frame buffer and take it back out of the count.
        try typed { try header.withUnsafeBytes { try writer.append($0) } }
        writer.uncountHeader()
    }

    /// Appends one record. Token ids must fit the shard's width (a programmer error otherwise).
    public func append(id: String, tokens: some Collection<UInt32>) throws {
        let width = self.width
        try writer.appendRecord { buffer in
            var id = id
            id.withUTF8 { utf8 in
                appendU32(UInt32(utf8.count), to: &buffer)
                buffer.append(contentsOf: utf8)
            }
            appendU32(UInt32(tokens.count), to: &buffer)
            if width == 2 {
                for token in tokens {
                    precondition(token <= UInt32(UInt16.max), "token id \(token) does not fit a uint16 shard")
                    buffer.append(UInt8(truncatingIfNeeded: token))
                    buffer.append(UInt8(truncatingIfNeeded: token >> 8))
                }
            } else {
                for token in tokens { appendU32(token, to: &buffer) }
            }
        }
    }

    public func finish() throws(ShardIOError) -> ShardSummary { try writer.finish() }
}

@inline(__always)
func appendU32(_ value: UInt32, to buffer: inout [UInt8]) {
    buffer.append(UInt8(truncatingIfNeeded: value))
    buffer.append(UInt8(truncatingIfNeeded: value >> 8))
    buffer.append(UInt8(truncatingIfNeeded: value >> 16))
    buffer.append(UInt8(truncatingIfNeeded: value >> 24))
}

extension ShardWriter {
    /// Used by `TokenShardWriter`: its header is written like a record but is not one.
    func uncountHeader() { uncountLastRecord() }
}

/// Streams the records of a token shard in bounded memory (one record at a time).
public struct TokenShardReader {
    public let path: String
    public let width: Int
    private var bytes: ByteStream
    /// Number of records returned so far.
    public private(set) var recordIndex = 0

    public init(path: String) throws(ShardIOError) {
        self.path = path
        let stream = try ZstdInputStream(path: path)
        bytes = ByteStream(path: path) { () throws(ShardIOError) in try stream.next() }
        var header = [UInt8]()
        let complete: Bool
        do { complete = try bytes.read(TokenShardFormat.headerBytes, into: &header) } catch where error.code == .truncatedStream {
            complete = false
        }
        guard complete,
              Array(header[0..<8]) == TokenShardFormat.magic,
              header[8] == 2 || header[8] == 4
        else {
            throw ShardIOError(.badFormat, path: path, "not a DataRater token shard (bad header); was it written by `datarater tokenize`?")
        }
        width = Int(header[8])
    }

    /// The next record, or nil at the end.
    public mutating func next() throws(ShardIOError) -> TokenRecord? {
        var scratch: [UInt8] = []
        guard try bytes.read(4, into: &scratch) else { return nil }
        let idLength = Int(readU32(scratch, 0))
        guard idLength < 1 << 20, try bytes.read(idLength, into: &scratch) else { throw truncated() }
        let id = String(decoding: scratch, as: UTF8.self)
        guard try bytes.read(4, into: &scratch) else { throw truncated() }
        let count = Int(readU32(scratch, 0))
        guard count < 1 << 31, try bytes.read(count * width, into: &scratch) else { throw truncated() }
        var tokens = [UInt32](repeating: 0, count: count)
        if width == 2 {
            for i in 0..<count { tokens[i] = UInt32(scratch[2 * i]) | UInt32(scratch[2 * i + 1]) << 8 }
        } else {
            for i in 0..<count { tokens[i] = readU32(scratch, 4 * i) }
        }
        recordIndex += 1
        return TokenRecord(id: id, tokens: tokens)
    }

    private func truncated() -> ShardIOError {
        ShardIOError(.truncatedStream, path: path, "record \(recordIndex) is cut short: the token shard is damaged; rerun `datarater tokenize`")
    }
}

@inline(__always)
func readU32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
}

/// Reads exact byte counts from a stream of blocks.
struct ByteStream {
    let path: String
    private let nextBlock: () throws(ShardIOError) -> UnsafeRawBufferPointer?
    private var block = UnsafeRawBufferPointer(start: nil, count: 0)
    private var position = 0

    init(path: String, nextBlock: @escaping () throws(ShardIOError) -> UnsafeRawBufferPointer?) {
        self.path = path
        self.nextBlock = nextBlock
    }

    /// Replaces `out` with the next `count` bytes. Returns false at a clean end (no byte read);
    /// throws `.truncatedStream` if the stream ends after some but not all of them.
    mutating func read(_ count: Int, into out: inout [UInt8]) throws(ShardIOError) -> Bool {
        out.removeAll(keepingCapacity: true)
        while out.count < count {
            if position == block.count {
                guard let next = try nextBlock() else {
                    if out.isEmpty && count > 0 { return false }
                    throw ShardIOError(.truncatedStream, path: path, "the stream ends inside a record: the file is truncated")
                }
                block = next
                position = 0
                continue
            }
            let take = min(count - out.count, block.count - position)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: block[position..<(position + take)]))
            position += take
        }
        return true
    }
}
