import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that appears at its final path only when complete.
///
/// Bytes go to `<dir>/.<name>.tmp-<pid>`; `commit()` fsyncs the file, renames it into place and fsyncs the
/// directory, so a reader sees either no file or the whole file, even after SIGKILL or power loss. Without a
/// `commit()` the temporary file is removed in `deinit`; one left behind by a killed process is swept by
/// `AtomicFile.removeStaleTemporaries(in:)`.
public final class AtomicFile {
    public let path: String
    public let temporaryPath: String
    private var fd: Int32
    private var committed = false

    public init(path: String) throws(ShardIOError) {
        let (directory, name) = FileIO.split(path)
        try FileIO.createDirectory(directory)
        self.path = path
        self.temporaryPath = FileIO.join(directory, ".\(name).tmp-\(getpid())")
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw ShardIOError(.openFailed, path: temporaryPath, "cannot create temporary file", errno: errno)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ShardIOError) {
        precondition(!committed, "write after commit")
        try FileIO.writeAll(fd, bytes, path: temporaryPath)
    }

    /// Makes the file durable and visible at `path`.
    public func commit() throws(ShardIOError) {
        precondition(!committed, "commit twice")
        if fsync(fd) != 0 { throw ShardIOError(.syncFailed, path: temporaryPath, "cannot fsync", errno: errno) }
        close(fd)
        fd = -1
        if rename(temporaryPath, path) != 0 {
            throw ShardIOError(.renameFailed, path: path, "cannot rename \(temporaryPath) into place", errno: errno)
        }
        committed = true
        let directory = FileIO.split(path).directory
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }

    /// Removes `.<name>.tmp-<pid>` files left in `directory` by writers that no longer run (their pid is
    /// gone on this machine), optionally only those of one final name (`prefix`, e.g. `manifest.json`).
    /// A live writer's temporary file is left alone.
    public static func removeStaleTemporaries(in directory: String, named prefix: String = "") throws(ShardIOError) {
        for name in try FileIO.listDirectory(directory) where name.hasPrefix("." + prefix) {
            guard let marker = name.range(of: ".tmp-", options: .backwards),
                  let pid = Int32(name[marker.upperBound...])
            else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                if pid != getpid() { try FileIO.removeFile(FileIO.join(directory, name)) }
            }
        }
    }
}
