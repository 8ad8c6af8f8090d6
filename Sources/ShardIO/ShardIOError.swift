/// Every failure in reading or writing shards and files.
///
/// Modelled on swift-nio's `FileSystemError`: a machine-readable `code`, the path it concerns, a message that
/// says what happened and what to do, and the underlying system error number where there is one.
public struct ShardIOError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        case openFailed, readFailed, writeFailed, syncFailed, renameFailed, notFound
        case compressionFailed, corruptStream, truncatedStream
        case recordTooLarge, badFormat, checksumMismatch
    }

    public var code: Code
    public var path: String
    public var message: String
    /// `errno` when the failure came from the operating system.
    public var errno: Int32?

    public init(_ code: Code, path: String, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.errno = errno
    }

    public var description: String {
        var text = "\(path): \(message)"
        if let errno { text += " (\(String(cString: strerror(errno))))" }
        return text
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body`, whose closures can only throw `ShardIOError` but pass through an untyped `rethrows`
/// (`withUnsafeBytes` and friends), and restores the typed error.
@inline(__always)
func typed<R>(_ body: () throws -> R) throws(ShardIOError) -> R {
    do { return try body() } catch let error as ShardIOError { throw error } catch {
        preconditionFailure("only ShardIOError can be thrown here, got \(error)")
    }
}
