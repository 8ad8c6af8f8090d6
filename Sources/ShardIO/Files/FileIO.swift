#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, checked wrappers over POSIX file calls. Every failure becomes a `ShardIOError` naming the path.
public enum FileIO {
    /// Reads up to `buffer.count` bytes, retrying on `EINTR`; returns 0 at end of file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(ShardIOError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ShardIOError(.readFailed, path: path, "cannot read", errno: errno)
        }
    }

    /// Public form of `read` for readers outside this module.
    public static func readBlock(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(ShardIOError) -> Int {
        try read(fd, into: buffer, path: path)
    }

    /// Writes all of `bytes`, retrying on short writes and `EINTR`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(ShardIOError) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ShardIOError(.writeFailed, path: path, "cannot write (is the disk full?)", errno: errno)
            }
            offset += n
        }
    }

    /// Opens `path` for reading; a missing file is `.notFound`.
    public static func openForReading(_ path: String) throws(ShardIOError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            throw ShardIOError(e == ENOENT ? .notFound : .openFailed, path: path, "cannot open for reading", errno: e)
        }
        return fd
    }

    public static func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Size in bytes of a regular file.
    public static func fileSize(_ path: String) throws(ShardIOError) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let e = errno
            throw ShardIOError(e == ENOENT ? .notFound : .openFailed, path: path, "cannot stat", errno: e)
        }
        return Int(st.st_size)
    }

    /// Creates `path` and its parents (like `mkdir -p`).
    public static func createDirectory(_ path: String) throws(ShardIOError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if !isDirectory(prefix), mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw ShardIOError(.writeFailed, path: prefix, "cannot create directory", errno: errno)
            }
            prefix += "/"
        }
    }

    /// Names in a directory (not `.`/`..`), sorted by byte order; an empty list if it does not exist.
    public static func listDirectory(_ path: String) throws(ShardIOError) -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw ShardIOError(.openFailed, path: path, "cannot list directory", errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Removes a file if it exists.
    public static func removeFile(_ path: String) throws(ShardIOError) {
        if unlink(path) != 0 && errno != ENOENT {
            throw ShardIOError(.writeFailed, path: path, "cannot remove", errno: errno)
        }
    }

    /// Reads a whole (small) file: manifests, completion records, configs.
    public static func readFile(_ path: String) throws(ShardIOError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try typed { try chunk.withUnsafeMutableBytes { try read(fd, into: $0, path: path) } }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes a whole (small) file atomically: temporary name, fsync, rename, fsync of the directory.
    public static func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(ShardIOError) {
        let file = try AtomicFile(path: path)
        try typed { try bytes.withUnsafeBytes { try file.write($0) } }
        try file.commit()
    }

    /// Splits `path` into its directory ("." when none) and last component.
    public static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Joins path components with `/`.
    public static func join(_ parts: String...) -> String {
        parts.filter { !$0.isEmpty }.joined(separator: "/")
    }
}
