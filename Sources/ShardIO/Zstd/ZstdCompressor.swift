import CZstd

/// Owns one `ZSTD_CCtx` and compresses whole frames with it.
///
/// Each call to `compressFrame` produces one complete, independent zstd frame (with a content checksum), so
/// a shard made of such frames is itself a valid zstd stream that `zstd -dc` and any zstd library can read,
/// and a reader can start at any frame boundary.
final class ZstdCompressor {
    private let context: OpaquePointer
    let level: Int32

    init(level: Int32) throws(ShardIOError) {
        guard let context = ZSTD_createCCtx() else {
            throw ShardIOError(.compressionFailed, path: "", "cannot allocate a zstd compression context (out of memory?)")
        }
        self.context = context
        self.level = level
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level))
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input` as one frame, appending it to `output` (whose capacity is reused across calls).
    /// `output` is overwritten; its capacity is kept across calls so steady-state compression never allocates.
    func compressFrame(_ input: [UInt8], into output: inout [UInt8], path: String) throws(ShardIOError) {
        let bound = ZSTD_compressBound(input.count)
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        let result = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                ZSTD_compress2(context, destination.baseAddress, bound, source.baseAddress, source.count)
            }
        }
        if ZSTD_isError(result) != 0 {
            throw ShardIOError(.compressionFailed, path: path, "zstd: \(String(cString: ZSTD_getErrorName(result)))")
        }
        compressedCount = result
    }

    /// Bytes of `output` filled by the last `compressFrame`.
    private(set) var compressedCount = 0

    private func check(_ code: Int) throws(ShardIOError) {
        if ZSTD_isError(code) != 0 {
            throw ShardIOError(.compressionFailed, path: "", "zstd: \(String(cString: ZSTD_getErrorName(code)))")
        }
    }
}
