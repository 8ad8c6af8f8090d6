import ShardIO

/// Reads one input file into documents and rejections, one record at a time.
///
/// Memory is bounded by `maxRecordBytes + blockSize` plus one parsed record, whatever the file
/// size. Problems inside the file become `.rejected` items and reading goes on; only a file that
/// cannot be opened throws (from `init`). A truncated or corrupt compressed stream yields one
/// `truncatedStream` rejection and ends the file.
///
/// Usage: `for item in try IngestReader(file: f, options: o) { … }`; `stats` holds the counts.
public final class IngestReader: IteratorProtocol, Sequence {
    public let file: InputFile
    public let options: IngestOptions

    let archive: ArchiveStream
    let isTar: Bool
    let buffer: RecordBuffer
    var parser: JSONParser
    let source: String
    var counters = IngestStats()
    var finishedEntryBytes = 0

    enum Mode {
        case header
        case lines
        case whole(html: Bool)
        case warc
        case done
    }
    var mode: Mode = .header
    var member: String?
    /// Line (JSON Lines) or record (WARC) number within the current file or member.
    var line = 0
    /// After a WARC framing error: skip lines until the next version line, reporting once.
    var warcResyncing = false
    /// After a damaged tar header: further damaged headers are part of the same damage.
    var resyncingHeaders = false

    public var stats: IngestStats {
        var s = counters
        s.bytesRead = finishedEntryBytes + buffer.bytesRead
        return s
    }

    public init(file: InputFile, options: IngestOptions = IngestOptions()) throws(IngestError) {
        guard file.kind != .skipped else {
            throw IngestError(.cannotOpen, path: file.path, message: "unsupported file extension; rename it or leave it out of the input")
        }
        self.file = file
        self.options = options
        isTar = file.kind == .tar
        archive = try ArchiveStream(path: file.path, layout: isTar ? .tar : .raw,
                                    compression: .of(name: file.path), blockSize: options.blockSize)
        buffer = RecordBuffer(maxRecordBytes: options.maxRecordBytes, blockSize: options.blockSize)
        parser = JSONParser(invalidUTF8: options.invalidUTF8)
        source = options.defaultSource ?? file.baseName
    }

    public func next() -> IngestItem? {
        while true {
            switch mode {
            case .done:
                return nil
            case .header:
                if let item = openNextEntry() { return item }
            case .lines:
                if let item = nextJSONLine() { return item }
            case let .whole(html):
                if let item = nextWholeText(html: html) { return item }
            case .warc:
                if let item = nextWARCRecord() { return item }
            }
        }
    }

    // MARK: Entries

    func finishEntry() {
        finishedEntryBytes += buffer.bytesRead
        buffer.reset(archive)
        mode = isTar ? .header : .done
    }

    /// Advances to the next archive entry and picks how to read it; returns an item only for
    /// a header-level problem.
    func openNextEntry() -> IngestItem? {
        switch archive.nextHeader() {
        case .end:
            mode = .done
            return nil
        case let .fatal(message):
            mode = .done
            let what = isTar ? "archive is truncated, corrupt or not a tar" : "compressed stream is truncated or corrupt"
            return reject(.truncatedStream, "\(what) (\(message)); records before this point were read", line: line, offset: buffer.bytesRead, snippet: [])
        case let .skippable(message):
            member = nil
            // libarchive resynchronises block by block after a damaged header; report the damage
            // once, not once per block it skips.
            if resyncingHeaders { return nil }
            resyncingHeaders = true
            return reject(.unreadableMember, "damaged archive member header (\(message)); skipped to the next readable member",
                          line: 0, offset: archive.headerPosition, snippet: [])
        case let .entry(path, isRegular):
            resyncingHeaders = false
            buffer.reset(archive)
            line = 0
            warcResyncing = false
            if !isTar {
                member = nil
                if options.format == .text {
                    mode = .whole(html: false)
                } else {
                    switch file.kind {
                    case .jsonLines: mode = .lines
                    case .warc: mode = .warc
                    default: mode = .whole(html: false)
                    }
                }
                return nil
            }
            member = path
            guard isRegular else { return nil }
            guard let m = memberMode(path) else {
                counters.skippedMembers += 1
                return nil
            }
            mode = m
            return nil
        }
    }

    /// How a tar member is read, by its extension; nil to skip it.
    func memberMode(_ path: String) -> Mode? {
        let lower = path.lowercased()
        let isHTML = lower.hasSuffix(".html") || lower.hasSuffix(".htm") || lower.hasSuffix(".xhtml")
        if options.format == .text { return .whole(html: isHTML) }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") || lower.hasSuffix(".ndjson") { return .lines }
        if lower.hasSuffix(".warc") || lower.hasSuffix(".wet") { return .warc }
        if isHTML { return .whole(html: true) }
        for ext in [".txt", ".text", ".md", ".markdown", ".rst"] where lower.hasSuffix(ext) { return .whole(html: false) }
        return nil
    }

    // MARK: Items

    func reject(_ code: Rejection.Code, _ message: String, line: Int, offset: Int, snippet: UnsafeRawBufferPointer) -> IngestItem {
        let n = Swift.min(snippet.count, RecordBuffer.snippetBytes)
        let text = n == 0 ? "" : String(decoding: UnsafeRawBufferPointer(rebasing: snippet[0..<n]), as: UTF8.self)
        counters.rejected += 1
        counters.rejectedByCode[code, default: 0] += 1
        return .rejected(Rejection(file: file.path, member: member, line: line, byteOffset: offset, code: code, message: message, snippet: text))
    }

    func reject(_ code: Rejection.Code, _ message: String, line: Int, offset: Int, snippet: [UInt8]) -> IngestItem {
        snippet.withUnsafeBytes { reject(code, message, line: line, offset: offset, snippet: $0) }
    }

    func accept(_ document: Document, line: Int, offset: Int) -> IngestItem {
        counters.documents += 1
        return .document(document, Provenance(file: file.path, member: member, line: line, byteOffset: offset))
    }

    /// The item for a failed read: `unreadableMember` (tar, non-fatal) or `truncatedStream`.
    func readFailure(message: String, offset: Int, fatal: Bool, partial: [UInt8]) -> IngestItem {
        let lineNo = line
        if fatal || !isTar {
            mode = .done
            finishedEntryBytes += buffer.bytesRead
            buffer.reset(archive)
            return reject(.truncatedStream, "data is truncated or corrupt after \(offset) bytes (\(message)); records before this point were read", line: lineNo, offset: offset, snippet: partial)
        }
        finishEntry()
        return reject(.unreadableMember, "member data could not be read after \(offset) bytes (\(message)); skipped to the next member", line: lineNo, offset: offset, snippet: partial)
    }

    var origin: FieldMapping.Origin {
        FieldMapping.Origin(relativePath: file.relativePath, member: member, line: line, defaultSource: source)
    }

    func nextJSONLine() -> IngestItem? {
        switch buffer.nextLine() {
        case .end:
            finishEntry()
            return nil
        case let .failed(message, offset, fatal, partial):
            line += 1
            counters.lines += 1
            return readFailure(message: message, offset: offset, fatal: fatal, partial: partial)
        case let .tooLarge(snippet, offset, length):
            line += 1
            counters.lines += 1
            return reject(.recordTooLarge, "line of \(length) bytes exceeds the limit of \(options.maxRecordBytes) bytes; skipped", line: line, offset: offset, snippet: snippet)
        case .record(var bytes, var offset):
            line += 1
            counters.lines += 1
            if line == 1 && bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
                // A UTF-8 byte order mark before the first record (RFC 8259 §8.1 allows ignoring it).
                bytes = UnsafeRawBufferPointer(rebasing: bytes[3...])
                offset += 3
            }
            if FieldMapping.isBlank(bytes) {
                counters.emptyLines += 1
                return nil
            }
            let value: JSONValue
            do {
                value = try parser.parseValue(bytes)
            } catch {
                let code: Rejection.Code = (error.kind == .invalidUTF8 || error.kind == .loneSurrogate) ? .invalidUTF8 : .malformedJSON
                return reject(code, error.description, line: line, offset: offset, snippet: bytes)
            }
            noteRepairs(parser.replacements)
            switch FieldMapping.document(from: value, format: options.format, origin: origin) {
            case let .success(document):
                return accept(document, line: line, offset: offset)
            case let .failure(f):
                return reject(f.code, f.message, line: line, offset: offset, snippet: bytes)
            }
        }
    }

    func noteRepairs(_ n: Int) {
        if n > 0 {
            counters.repairedRecords += 1
            counters.replacements += n
        }
    }

    /// Decodes raw text with the UTF-8 policy; on rejection returns the item to emit.
    func decodeText(_ bytes: UnsafeRawBufferPointer, line: Int, offset: Int, what: String) -> Result<String, RejectedItem> {
        var repairs = 0
        do {
            let s = try UTF8Text.decode(bytes, policy: options.invalidUTF8, replacements: &repairs)
            noteRepairs(repairs)
            return .success(s)
        } catch {
            return .failure(RejectedItem(item: reject(.invalidUTF8, "\(what) has invalid UTF-8 at byte \(error.offset) (use the repair policy to keep it)", line: line, offset: offset, snippet: bytes)))
        }
    }

    struct RejectedItem: Error { var item: IngestItem }

    func nextWholeText(html: Bool) -> IngestItem? {
        let chunk = buffer.rest()
        line = 1
        switch chunk {
        case .end:
            finishEntry()
            return nil
        case let .failed(message, offset, fatal, partial):
            return readFailure(message: message, offset: offset, fatal: fatal, partial: partial)
        case let .tooLarge(snippet, offset, length):
            finishEntry()
            return reject(.recordTooLarge, "file of \(length)+ bytes exceeds the limit of \(options.maxRecordBytes) bytes; skipped", line: 1, offset: offset, snippet: snippet)
        case let .record(bytes, offset):
            let item = textDocument(bytes, html: html, offset: offset, extraMetadata: [])
            finishEntry()
            return item
        }
    }

    /// One document from raw text (HTML stripped first if asked).
    func textDocument(_ raw: UnsafeRawBufferPointer, html: Bool, offset: Int, extraMetadata: [(key: String, value: JSONValue)], added: String? = nil) -> IngestItem {
        let decoded: Result<String, RejectedItem>
        if html {
            let plain = HTMLText.extract(raw)
            decoded = plain.withUnsafeBytes { decodeText($0, line: line, offset: offset, what: "text") }
        } else {
            decoded = decodeText(raw, line: line, offset: offset, what: "text")
        }
        let text: String
        switch decoded {
        case let .failure(r): return r.item
        case let .success(s): text = s
        }
        if FieldMapping.isBlank(text) {
            return reject(.emptyDocument, "the text is empty or only whitespace", line: line, offset: offset, snippet: raw)
        }
        var metadata = extraMetadata
        if let member { metadata.insert((key: "member", value: .string(member)), at: 0) }
        let id = StableID.make(source: source, relativePath: file.relativePath, member: member, line: line)
        return accept(Document(id: id, text: text, source: source, added: added, metadata: .object(metadata)), line: line, offset: offset)
    }
}

extension FieldMapping {
    static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for b in bytes where !(b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09) { return false }
        return true
    }
}
