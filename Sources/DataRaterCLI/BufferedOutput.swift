#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Buffers stdout writes in 1 MiB blocks; a closed pipe (`datarater cat … | head`) ends quietly.
final class BufferedOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 20) }

    func write(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { flush() }
    }

    func flush() {
        var offset = 0
        buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(1, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    exit(errno == EPIPE ? 0 : 1)
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
