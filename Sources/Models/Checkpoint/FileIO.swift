#if canImport(Glibc)
@preconcurrency import Glibc
#else
import Darwin
#endif

/// Whole-file reads and crash-safe writes with plain system calls, errors mapped to `CheckpointError`.
enum FileIO {
    /// The file's bytes.
    static func readAll(_ path: String) throws(CheckpointError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw CheckpointError(.io, path: path, "cannot open for reading: \(String(cString: strerror(e)))",
                                  hint: "Check that the path exists and is readable.", errno: e)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let e = errno
            throw CheckpointError(.io, path: path, "cannot stat: \(String(cString: strerror(e)))",
                                  hint: "Check the file system.", errno: e)
        }
        let size = Int(info.st_size)
        var readError: Int32 = 0
        var shortRead = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = 0
            guard let base = buffer.baseAddress else { return }
            var done = 0
            while done < size {
                let n = read(fd, base + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    readError = errno
                    break
                }
                if n == 0 { shortRead = true; break }
                done += n
            }
            initialized = done
        }
        if readError != 0 {
            throw CheckpointError(.io, path: path, "read failed: \(String(cString: strerror(readError)))",
                                  hint: "Check the file system.", errno: readError)
        }
        if shortRead {
            throw CheckpointError(.io, path: path, "the file shrank while being read (\(bytes.count) of \(size) bytes)",
                                  hint: "Make sure no other process is writing the checkpoint, then retry.")
        }
        return bytes
    }

    /// Writes `parts` one after another to `path` so that a crash leaves either the old file or the new one.
    ///
    /// Writes `path.tmp-<pid>`, fsyncs it, renames it over `path`, then fsyncs the directory so the
    /// rename itself is durable. The temporary file is removed on failure.
    static func writeAtomically(_ path: String, parts: [[UInt8]]) throws(CheckpointError) {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let e = errno
            throw CheckpointError(.io, path: temporary, "cannot create: \(String(cString: strerror(e)))",
                                  hint: "Check that the directory exists and is writable.", errno: e)
        }
        var failure: CheckpointError?
        for part in parts where failure == nil {
            part.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                var done = 0
                while done < raw.count {
                    let n = write(fd, base + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        let e = errno
                        failure = CheckpointError(.io, path: temporary, "write failed: \(String(cString: strerror(e)))",
                                                  hint: "Check free disk space and permissions.", errno: e)
                        return
                    }
                    done += n
                }
            }
        }
        if failure == nil, fsync(fd) != 0 {
            let e = errno
            failure = CheckpointError(.io, path: temporary, "fsync failed: \(String(cString: strerror(e)))",
                                      hint: "Check the file system; the checkpoint was not saved.", errno: e)
        }
        if close(fd) != 0, failure == nil {
            let e = errno
            failure = CheckpointError(.io, path: temporary, "close failed: \(String(cString: strerror(e)))",
                                      hint: "Check the file system; the checkpoint was not saved.", errno: e)
        }
        if failure == nil, rename(temporary, path) != 0 {
            let e = errno
            failure = CheckpointError(.io, path: path, "cannot rename \(temporary) into place: \(String(cString: strerror(e)))",
                                      hint: "Check permissions of the destination.", errno: e)
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
        let directory = parentDirectory(of: path)
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else {
            let e = errno
            throw CheckpointError(.io, path: directory, "cannot open directory to fsync it: \(String(cString: strerror(e)))",
                                  hint: "The file was written but its rename may not survive a crash; check the directory.", errno: e)
        }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else {
            let e = errno
            throw CheckpointError(.io, path: directory, "directory fsync failed: \(String(cString: strerror(e)))",
                                  hint: "The file was written but its rename may not survive a crash; check the file system.", errno: e)
        }
    }

    /// `a/b/c` → `a/b`, `c` → `.`, `/c` → `/`.
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}
