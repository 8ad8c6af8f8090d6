/// Streams the lines of a zstd-compressed JSON Lines shard in bounded memory.
public struct JSONLShardReader {
    public let path: String
    private var lines: LineReader
    private let stream: ZstdInputStream

    public init(path: String, maxLineBytes: Int = 1 << 30) throws(ShardIOError) {
        self.path = path
        let stream = try ZstdInputStream(path: path)
        self.stream = stream
        lines = LineReader(path: path, maxLineBytes: maxLineBytes) { () throws(ShardIOError) in try stream.next() }
    }

    /// 1-based number of the last line returned.
    public var lineNumber: Int { lines.lineNumber }

    /// Calls `body` with the next line (no `\n`); nil at the end. The buffer is valid only during the call.
    public mutating func next<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        try lines.next(body)
    }
}
