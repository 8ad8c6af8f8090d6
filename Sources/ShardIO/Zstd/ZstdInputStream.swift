#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZstd

/// Streams the decompressed bytes of a zstd file in bounded memory.
///
/// Memory is two fixed buffers (compressed input and decompressed output, by default zstd's recommended
/// sizes), whatever the file size. A file that ends inside a frame is a `.truncatedStream` error that says
/// how many decompressed bytes were read before the cut; bytes that are not zstd are `.corruptStream`.
public final class ZstdInputStream {
    public let path: String
    private let fd: Int32
    private let context: OpaquePointer
    private var input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var output: UnsafeMutableRawBufferPointer
    private var atEOF = false
    /// zstd's hint after the last call: 0 when the last frame is complete.
    private var frameHint = 0
    /// Decompressed bytes produced so far.
    public private(set) var decompressedBytes = 0
    /// Compressed bytes read from the file so far.
    public private(set) var compressedBytes = 0

    public init(path: String) throws(ShardIOError) {
        self.path = path
        fd = try FileIO.openForReading(path)
        guard let context = ZSTD_createDCtx() else {
            close(fd)
            throw ShardIOError(.corruptStream, path: path, "cannot allocate a zstd decompression context (out of memory?)")
        }
        self.context = context
        input = .allocate(byteCount: ZSTD_DStreamInSize(), alignment: 64)
        output = .allocate(byteCount: max(ZSTD_DStreamOutSize(), 1 << 17), alignment: 64)
    }

    deinit {
        ZSTD_freeDCtx(context)
        close(fd)
        input.deallocate()
        output.deallocate()
    }

    /// Returns the next block of decompressed bytes (valid until the next call), or nil at the clean end of
    /// the stream.
    public func next() throws(ShardIOError) -> UnsafeRawBufferPointer? {
        while true {
            if inputStart == inputEnd && !atEOF {
                let n = try FileIO.read(fd, into: input, path: path)
                compressedBytes += n
                inputStart = 0
                inputEnd = n
                if n == 0 { atEOF = true }
            }
            if inputStart == inputEnd && atEOF {
                if frameHint != 0 {
                    throw ShardIOError(.truncatedStream, path: path,
                        "the zstd stream ends inside a frame after \(decompressedBytes) decompressed bytes: the file is truncated; re-create or re-copy it")
                }
                return nil
            }
            var inBuffer = ZSTD_inBuffer(src: input.baseAddress! + inputStart, size: inputEnd - inputStart, pos: 0)
            var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            if ZSTD_isError(hint) != 0 {
                throw ShardIOError(.corruptStream, path: path,
                    "zstd: \(String(cString: ZSTD_getErrorName(hint))) at compressed byte \(compressedBytes - (inputEnd - inputStart)) (after \(decompressedBytes) decompressed bytes): the file is damaged or not zstd")
            }
            frameHint = hint
            inputStart += inBuffer.pos
            if outBuffer.pos > 0 {
                decompressedBytes += outBuffer.pos
                return UnsafeRawBufferPointer(start: output.baseAddress, count: outBuffer.pos)
            }
        }
    }
}
