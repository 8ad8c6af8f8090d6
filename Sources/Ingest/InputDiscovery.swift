@preconcurrency import Glibc

/// One input file found by `InputDiscovery`.
public struct InputFile: Sendable, Hashable {
    /// How the file's contents are read. The compression (gzip, zstd, xz or none) follows the
    /// last extension (`.gz`/`.tgz`, `.zst`, `.xz`); it is not sniffed from the contents.
    public enum Kind: String, Sendable, Hashable {
        /// JSON Lines, optionally compressed (`.jsonl`, `.json`, `.jsonl.zst`, `.jsonl.gz`, ...).
        case jsonLines
        /// A tar archive, optionally compressed (`.tar`, `.tar.gz`, `.tgz`, `.tar.zst`, `.tar.xz`).
        case tar
        /// WARC or WET records, optionally gzip-compressed.
        case warc
        /// A plain-text file: one document.
        case text
        /// An extension this reader does not know; listed so the caller can report it.
        case skipped
    }

    /// The path to open.
    public var path: String
    /// Path relative to the argument it was found under; the file's name when the argument was
    /// the file itself. Ids are derived from it, so they do not depend on where the corpus lives.
    public var relativePath: String
    public var kind: Kind

    public init(path: String, relativePath: String, kind: Kind) {
        self.path = path
        self.relativePath = relativePath
        self.kind = kind
    }

    /// The file name without its directory and without recognised extensions
    /// (`a/b/c4-train.00001.json.gz` → `c4-train.00001`): the default `source` of its documents.
    public var baseName: String { InputDiscovery.stripExtensions(lastComponent(relativePath)) }
}

@inline(__always)
func lastComponent(_ path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
    return String(path[path.utf8.index(after: slash)...])
}

/// Finds input files under the paths a user gave.
public enum InputDiscovery {
    /// Extension (lower-cased, longest first) → kind.
    static let extensions: [(suffix: String, kind: InputFile.Kind)] = [
        (".jsonl.zst", .jsonLines), (".jsonl.gz", .jsonLines), (".jsonl.xz", .jsonLines),
        (".json.zst", .jsonLines), (".json.gz", .jsonLines), (".json.xz", .jsonLines),
        (".tar.gz", .tar), (".tar.zst", .tar), (".tar.xz", .tar),
        (".warc.gz", .warc), (".wet.gz", .warc),
        (".jsonl", .jsonLines), (".json", .jsonLines), (".tgz", .tar), (".tar", .tar),
        (".warc", .warc), (".wet", .warc), (".txt", .text),
    ]

    /// The kind a file name implies, by extension (case-insensitive).
    public static func kind(ofName name: String) -> InputFile.Kind {
        let lower = name.lowercased()
        for (suffix, kind) in extensions where lower.hasSuffix(suffix) { return kind }
        return .skipped
    }

    /// Like `kind(ofName:)`, for files met while walking a directory: a plain (uncompressed) `.json` there
    /// is usually metadata (a `manifest.json`, a config), not JSON Lines, so it is skipped and reported;
    /// name it as an argument to read it as JSON Lines.
    public static func kind(inDirectory name: String) -> InputFile.Kind {
        name.lowercased().hasSuffix(".json") ? .skipped : kind(ofName: name)
    }

    static func stripExtensions(_ name: String) -> String {
        let lower = name.lowercased()
        for (suffix, _) in extensions where lower.hasSuffix(suffix) && lower.count > suffix.count {
            return String(name.utf8.dropLast(suffix.utf8.count)) ?? name
        }
        return name
    }

    /// Every file under `paths` (files, or directories walked recursively), each argument's files
    /// sorted by the bytes of their relative paths; arguments keep their order. Files with an
    /// unknown extension are returned with kind `.skipped`, and so are plain `.json` files found inside
    /// directories (see `kind(inDirectory:)`). Hidden entries (`.name`) inside
    /// directories are ignored. Symbolic links are followed; a directory reached twice is listed once.
    public static func files(paths: [String]) throws(IngestError) -> [InputFile] {
        var result: [InputFile] = []
        for argument in paths {
            var st = stat()
            guard stat(argument, &st) == 0 else {
                let err = errno
                if err == ENOENT { throw IngestError(.notFound, path: argument, message: "no such file or directory; check the input path") }
                throw IngestError(.unreadable, path: argument, message: "cannot stat: \(String(cString: strerror(err)))")
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                var found: [InputFile] = []
                var visited = Set<[UInt64]>()
                try walk(directory: argument, relative: "", into: &found, visited: &visited)
                found.sort { $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) }
                result.append(contentsOf: found)
            } else if (st.st_mode & S_IFMT) == S_IFREG {
                guard access(argument, R_OK) == 0 else {
                    throw IngestError(.unreadable, path: argument, message: "file is not readable: \(String(cString: strerror(errno)))")
                }
                let name = lastComponent(argument)
                result.append(InputFile(path: argument, relativePath: name, kind: kind(ofName: name)))
            } else {
                throw IngestError(.unreadable, path: argument, message: "not a regular file or directory")
            }
        }
        return result
    }

    private static func walk(directory: String, relative: String, into found: inout [InputFile], visited: inout Set<[UInt64]>) throws(IngestError) {
        var st = stat()
        if stat(directory, &st) == 0 {
            let key = [UInt64(st.st_dev), UInt64(st.st_ino)]
            if visited.contains(key) { return }
            visited.insert(key)
        }
        guard let dir = opendir(directory) else {
            throw IngestError(.unreadable, path: directory, message: "cannot list directory: \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                guard let base = raw.baseAddress else { return "" }
                return String(cString: base.assumingMemoryBound(to: CChar.self))
            }
            if name.isEmpty { continue }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        for name in names {
            let full = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            var est = stat()
            guard stat(full, &est) == 0 else {
                throw IngestError(.unreadable, path: full, message: "cannot stat: \(String(cString: strerror(errno))) (a dangling link?)")
            }
            switch est.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(directory: full, relative: rel, into: &found, visited: &visited)
            case S_IFREG:
                guard access(full, R_OK) == 0 else {
                    throw IngestError(.unreadable, path: full, message: "file is not readable: \(String(cString: strerror(errno)))")
                }
                found.append(InputFile(path: full, relativePath: rel, kind: kind(inDirectory: name)))
            default:
                found.append(InputFile(path: full, relativePath: rel, kind: .skipped))
            }
        }
    }
}
