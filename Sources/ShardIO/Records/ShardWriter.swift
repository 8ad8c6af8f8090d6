/// What a finished shard is: where it is, its size and checksum, and how many records it holds.
public struct ShardSummary: Sendable, Codable, Equatable {
    public var path: String
    public var bytes: Int
    public var sha256: String
    public var records: Int

    public init(path: String, bytes: Int, sha256: String, records: Int) {
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
        self.records = records
    }
}

/// Writes records into a zstd shard made of independent frames, atomically.
///
/// Records are buffered until about `frameBytes` of uncompressed data is pending, then compressed as one
/// frame (records never straddle frames) and written; the SHA-256 of the file is computed on the fly. So
/// memory is bounded by one frame however large the shard, the file is a plain zstd stream (`zstd -dc`
/// reads it), and a reader may start at any frame. `finish()` makes the file visible at `path`; a writer
/// dropped without `finish()` leaves nothing behind.
public final class ShardWriter {
    public let path: String
    private let file: AtomicFile
    private let compressor: ZstdCompressor
    private let frameBytes: Int
    /// Uncompressed bytes of the current frame; public so encoders can append in place.
    public private(set) var pending: [UInt8] = []
    private var compressed: [UInt8] = []
    private var checksum = Checksum()
    private var bytesWritten = 0
    public private(set) var records = 0
    /// Uncompressed bytes accepted so far.
    public private(set) var uncompressedBytes = 0

    public init(path: String, level: Int32 = 3, frameBytes: Int = 1 << 20) throws(ShardIOError) {
        self.path = path
        self.frameBytes = frameBytes
        file = try AtomicFile(path: path)
        compressor = try ZstdCompressor(level: level)
        pending.reserveCapacity(frameBytes + (frameBytes >> 2))
    }

    /// Appends one record's bytes (including any terminator the format needs).
    public func append(_ record: UnsafeRawBufferPointer) throws(ShardIOError) {
        pending.append(contentsOf: record)
        try recordAppended(bytes: record.count)
    }

    /// Appends one record built directly into the frame buffer by `encode` (no intermediate copy).
    public func appendRecord(_ encode: (inout [UInt8]) throws -> Void) throws {
        let before = pending.count
        try encode(&pending)
        try recordAppended(bytes: pending.count - before)
    }

    private func recordAppended(bytes: Int) throws(ShardIOError) {
        records += 1
        uncompressedBytes += bytes
        if pending.count >= frameBytes { try flushFrame() }
    }

    func uncountLastRecord() {
        records -= 1
    }

    private func flushFrame() throws(ShardIOError) {
        guard !pending.isEmpty else { return }
        try compressor.compressFrame(pending, into: &compressed, path: path)
        let count = compressor.compressedCount
        try typed {
            try compressed.withUnsafeBytes { raw in
                let frame = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                checksum.update(frame)
                try file.write(frame)
            }
        }
        bytesWritten += count
        pending.removeAll(keepingCapacity: true)
    }

    /// Flushes the last frame and atomically publishes the shard.
    public func finish() throws(ShardIOError) -> ShardSummary {
        try flushFrame()
        try file.commit()
        return ShardSummary(path: path, bytes: bytesWritten, sha256: checksum.hex(), records: records)
    }
}
