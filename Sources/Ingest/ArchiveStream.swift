import CArchive

/// One libarchive read handle: a tar (or raw single-file) stream with any compression filter.
/// Owns the `archive *` and frees it in `deinit`.
final class ArchiveStream {
    enum Layout {
        /// A single (possibly compressed) file: libarchive's `raw` format, one entry.
        case raw
        /// A tar archive, possibly compressed.
        case tar
    }

    /// The compression filter, chosen by file extension rather than sniffed: libarchive's
    /// `filter_all` would also decode, say, a `.txt` that happens to start with `begin 644` as
    /// uuencoded data, and could start external programs (lrzip, lzop, …).
    enum Compression: Sendable {
        case none, gzip, zstd, xz

        /// The compression a file name's last extension implies.
        static func of(name: String) -> Compression {
            let lower = name.lowercased()
            if lower.hasSuffix(".gz") || lower.hasSuffix(".tgz") { return .gzip }
            if lower.hasSuffix(".zst") { return .zstd }
            if lower.hasSuffix(".xz") { return .xz }
            return .none
        }
    }

    enum Header {
        case entry(path: String, isRegular: Bool)
        case end
        /// The entry's header could not be read but the archive may continue (ARCHIVE_FAILED).
        case skippable(String)
        /// The archive cannot continue (ARCHIVE_FATAL).
        case fatal(String)
    }

    enum Read {
        case bytes(Int)
        case end
        /// A data error; `fatal` tells whether the whole archive is unusable now.
        case failed(String, fatal: Bool)
    }

    private let handle: OpaquePointer
    let path: String

    init(path: String, layout: Layout, compression: Compression, blockSize: Int) throws(IngestError) {
        guard let a = archive_read_new() else {
            throw IngestError(.cannotOpen, path: path, message: "libarchive could not allocate a reader (out of memory?)")
        }
        handle = a
        self.path = path
        switch compression {
        case .none: break
        case .gzip: archive_read_support_filter_gzip(a)
        case .zstd: archive_read_support_filter_zstd(a)
        case .xz: archive_read_support_filter_xz(a)
        }
        switch layout {
        case .raw:
            archive_read_support_format_raw(a)
            archive_read_support_format_empty(a)
        case .tar:
            archive_read_support_format_tar(a)
            archive_read_support_format_empty(a)
        }
        if archive_read_open_filename(a, path, blockSize) != ARCHIVE_OK {
            let message = ArchiveStream.errorString(a)
            throw IngestError(.cannotOpen, path: path, message: "cannot open: \(message)")
        }
    }

    deinit {
        archive_read_free(handle)
    }

    static func errorString(_ a: OpaquePointer) -> String {
        if let s = archive_error_string(a) { return String(cString: s) }
        return "unknown libarchive error"
    }

    var errorMessage: String { ArchiveStream.errorString(handle) }

    /// Offset of the last header read in the uncompressed archive stream.
    var headerPosition: Int { Int(archive_read_header_position(handle)) }

    func nextHeader() -> Header {
        pending = nil
        pendingCount = 0
        var entry: OpaquePointer?
        let r = archive_read_next_header(handle, &entry)
        switch r {
        case ARCHIVE_EOF:
            return .end
        case ARCHIVE_OK, ARCHIVE_WARN:
            guard let entry else { return .fatal("libarchive returned no entry") }
            var name = "data"
            if let p = archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry) {
                name = String(cString: p)
            }
            let isRegular = UInt32(archive_entry_filetype(entry)) == CArchive_AE_IFREG()
            return .entry(path: name, isRegular: isRegular)
        case ARCHIVE_RETRY, ARCHIVE_FAILED:
            return .skippable(errorMessage)
        default:
            return .fatal(errorMessage)
        }
    }

    /// The unread rest of the last block libarchive returned.
    private var pending: UnsafeRawPointer?
    private var pendingCount = 0

    /// Copies up to `count` bytes of the current entry's data into `buffer`.
    ///
    /// Uses `archive_read_data_block`, not `archive_read_data`: the latter drops the bytes it
    /// already copied when a later block fails, which would hide how far a truncated stream got.
    /// Sparse tar entries are read as their stored blocks, without the holes.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Read {
        while pendingCount == 0 {
            var block: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            let r = archive_read_data_block(handle, &block, &size, &offset)
            if r == ARCHIVE_EOF { return .end }
            if r == ARCHIVE_RETRY { continue }
            if r != ARCHIVE_OK && r != ARCHIVE_WARN { return .failed(errorMessage, fatal: r == ARCHIVE_FATAL) }
            guard let block else { continue }
            pending = block
            pendingCount = size
        }
        guard let from = pending else { pendingCount = 0; return .end }
        let n = Swift.min(count, pendingCount)
        buffer.copyMemory(from: from, byteCount: n)
        pending = from + n
        pendingCount -= n
        return .bytes(n)
    }
}
