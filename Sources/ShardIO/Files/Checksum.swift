import Crypto

/// SHA-256 of files and byte streams, as lowercase hex.
public struct Checksum {
    private var hasher = SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }

    public func hex() -> String {
        Self.hex(hasher.finalize())
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Streams a file through SHA-256 in 1 MiB blocks; returns the digest and the size.
    public static func file(_ path: String) throws(ShardIOError) -> (sha256: String, bytes: Int) {
        let fd = try FileIO.openForReading(path)
        defer { close(fd) }
        var checksum = Checksum()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let n = try FileIO.read(fd, into: buffer, path: path)
            if n == 0 { break }
            total += n
            checksum.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return (checksum.hex(), total)
    }

    /// SHA-256 of a byte array.
    public static func of(_ bytes: [UInt8]) -> String {
        var checksum = Checksum()
        checksum.update(bytes)
        return checksum.hex()
    }

    public static func of(_ string: String) -> String { of(Array(string.utf8)) }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
