#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a stream of byte blocks into lines (without the `\n`; a last line without `\n` counts too).
///
/// Memory is bounded by the longest line: a line longer than `maxLineBytes` is a `.recordTooLarge` error
/// raised before more than that is buffered.
public struct LineReader {
    private let nextBlock: () throws(ShardIOError) -> UnsafeRawBufferPointer?
    private var block = UnsafeRawBufferPointer(start: nil, count: 0)
    private var position = 0
    /// Offset in the stream of `block`'s first byte.
    private var blockStart = 0
    private var carry: [UInt8] = []
    private var finished = false
    public let maxLineBytes: Int
    public let path: String
    /// 1-based number of the last line returned.
    public private(set) var lineNumber = 0
    /// Offset in the stream of the first byte of the last line returned.
    public private(set) var lineOffset = 0

    public init(path: String, maxLineBytes: Int = 1 << 30, nextBlock: @escaping () throws(ShardIOError) -> UnsafeRawBufferPointer?) {
        self.path = path
        self.maxLineBytes = maxLineBytes
        self.nextBlock = nextBlock
    }

    /// Calls `body` with the next line and returns its result; nil at the end of the stream.
    /// The buffer passed to `body` is valid only during the call.
    public mutating func next<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        if finished { return nil }
        while true {
            let remaining = block.count - position
            if remaining > 0 {
                let base = block.baseAddress! + position
                if carry.isEmpty { lineOffset = blockStart + position }
                if let newline = memchr(base, 0x0A, remaining) {
                    let length = UnsafeRawPointer(newline) - UnsafeRawPointer(base)
                    position += length + 1
                    lineNumber += 1
                    if carry.isEmpty {
                        guard length <= maxLineBytes else { throw tooLarge() }
                        return try body(UnsafeRawBufferPointer(start: base, count: length))
                    }
                    guard carry.count + length <= maxLineBytes else { throw tooLarge() }
                    carry.append(contentsOf: UnsafeRawBufferPointer(start: base, count: length))
                    defer { carry.removeAll(keepingCapacity: true) }
                    return try carry.withUnsafeBytes { try body($0) }
                }
                guard carry.count + remaining <= maxLineBytes else { throw tooLarge() }
                carry.append(contentsOf: UnsafeRawBufferPointer(start: base, count: remaining))
                position = block.count
            }
            blockStart += block.count
            guard let next = try nextBlock() else {
                finished = true
                if carry.isEmpty { return nil }
                lineNumber += 1
                defer { carry.removeAll() }
                return try carry.withUnsafeBytes { try body($0) }
            }
            block = next
            position = 0
        }
    }

    private func tooLarge() -> ShardIOError {
        ShardIOError(.recordTooLarge, path: path, "line \(lineNumber + 1) is longer than \(maxLineBytes) bytes")
    }
}
