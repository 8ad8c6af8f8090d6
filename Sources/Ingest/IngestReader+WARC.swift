import ShardIO

/// WARC/WET records (ISO 28500): a `WARC/1.x` version line, `Name: value` header lines, a blank
/// line, `Content-Length` bytes of block, then `\r\n\r\n`.
///
/// `conversion` records (WET) become one document each: the block is the text,
/// `WARC-Target-URI` → metadata.url, `WARC-Date` → `added`, `WARC-Record-ID` →
/// metadata.warc_record_id. `response` records whose HTTP payload is `text/html` (tags stripped
/// by `HTMLText`) or another `text/*` type become documents the same way; a non-2xx status,
/// a `Content-Encoding` other than identity, or `Transfer-Encoding: chunked` make the record
/// skipped. All other record types are counted in `IngestStats.skippedRecords`.
extension IngestReader {
    func nextWARCRecord() -> IngestItem? {
        // 1. The version line (blank lines between records are skipped).
        let versionOffset: Int
        switch buffer.nextLine() {
        case .end:
            finishEntry()
            return nil
        case let .failed(message, offset, fatal, partial):
            return readFailure(message: message, offset: offset, fatal: fatal, partial: partial)
        case let .tooLarge(snippet, offset, _):
            line += 1
            return reject(.malformedRecord, "WARC header line longer than \(options.maxRecordBytes) bytes", line: line, offset: offset, snippet: snippet)
        case let .record(bytes, offset):
            let trimmed = trimCR(bytes)
            if trimmed.isEmpty { return nil }
            guard startsWith(trimmed, "WARC/") else {
                if warcResyncing { return nil }
                warcResyncing = true
                line += 1
                return reject(.malformedRecord, "expected a WARC/1.x version line; skipping to the next record", line: line, offset: offset, snippet: bytes)
            }
            warcResyncing = false
            versionOffset = offset
        }
        line += 1
        let recordNumber = line

        // 2. Headers up to the blank line.
        var headers: [String: String] = [:]
        while true {
            switch buffer.nextLine() {
            case .end:
                return reject(.truncatedStream, "WARC record headers end without a blank line", line: recordNumber, offset: versionOffset, snippet: [])
            case let .failed(message, offset, fatal, partial):
                return readFailure(message: message, offset: offset, fatal: fatal, partial: partial)
            case let .tooLarge(snippet, offset, _):
                warcResyncing = true
                return reject(.malformedRecord, "WARC header line too long", line: recordNumber, offset: offset, snippet: snippet)
            case let .record(bytes, _):
                let trimmed = trimCR(bytes)
                if trimmed.isEmpty { break }
                if let colon = trimmed.firstIndex(of: UInt8(ascii: ":")) {
                    let name = String(decoding: UnsafeRawBufferPointer(rebasing: trimmed[..<colon]), as: UTF8.self).lowercased()
                    let value = String(decoding: UnsafeRawBufferPointer(rebasing: trimmed[(colon + 1)...]), as: UTF8.self)
                        .trimmingASCIIWhitespace()
                    if headers[name] == nil { headers[name] = value }
                }
                continue
            }
            break
        }
        guard let lengthText = headers["content-length"], let length = Int(lengthText), length >= 0 else {
            warcResyncing = true
            return reject(.malformedRecord, "WARC record without a valid Content-Length", line: recordNumber, offset: versionOffset, snippet: [])
        }

        // 3. The block.
        switch buffer.take(length) {
        case .end:
            return reject(.truncatedStream, "WARC record block missing", line: recordNumber, offset: versionOffset, snippet: [])
        case let .failed(message, offset, fatal, partial):
            return readFailure(message: message, offset: offset, fatal: fatal, partial: partial)
        case let .tooLarge(snippet, _, got):
            if got < length {
                return reject(.truncatedStream, "WARC record block ends after \(got) of \(length) bytes", line: recordNumber, offset: versionOffset, snippet: snippet)
            }
            return reject(.recordTooLarge, "WARC record block of \(length) bytes exceeds the limit of \(options.maxRecordBytes) bytes; skipped", line: recordNumber, offset: versionOffset, snippet: snippet)
        case let .record(block, _):
            if block.count < length {
                return reject(.truncatedStream, "WARC record block ends after \(block.count) of \(length) bytes", line: recordNumber, offset: versionOffset, snippet: block)
            }
            return warcDocument(headers: headers, block: block, offset: versionOffset)
        }
    }

    private func warcDocument(headers: [String: String], block: UnsafeRawBufferPointer, offset: Int) -> IngestItem? {
        var metadata: [(key: String, value: JSONValue)] = []
        if let uri = headers["warc-target-uri"] { metadata.append((key: "url", value: .string(uri))) }
        if let rid = headers["warc-record-id"] { metadata.append((key: "warc_record_id", value: .string(rid))) }
        var added: String?
        if let date = headers["warc-date"] {
            if let iso = Timestamp.normalizedISO8601(date) { added = iso } else { metadata.append((key: "warc_date", value: .string(date))) }
        }
        switch headers["warc-type"]?.lowercased() {
        case "conversion":
            return textDocument(block, html: false, offset: offset, extraMetadata: metadata, added: added)
        case "response":
            guard let payload = HTTPPayload(block) else {
                counters.skippedRecords += 1
                return nil
            }
            let body = UnsafeRawBufferPointer(rebasing: block[payload.bodyStart...])
            if payload.contentType.contains("html") {
                return textDocument(body, html: true, offset: offset, extraMetadata: metadata, added: added)
            }
            return textDocument(body, html: false, offset: offset, extraMetadata: metadata, added: added)
        default:
            counters.skippedRecords += 1
            return nil
        }
    }

    private func trimCR(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var n = bytes.count
        while n > 0 && (bytes[n - 1] == 0x0D || bytes[n - 1] == 0x20) { n -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[0..<n])
    }

    private func startsWith(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        for k in 0..<n where bytes[k] != prefix.utf8Start[k] { return false }
        return true
    }
}

/// The parts of an HTTP/1.x response a WARC `response` record needs; nil when the record
/// should be skipped (not 2xx, compressed or chunked, not `text/*`, no header end).
struct HTTPPayload {
    var contentType: String
    var bodyStart: Int

    init?(_ block: UnsafeRawBufferPointer) {
        // Find the end of the header: \r\n\r\n or \n\n.
        var end = -1
        var k = 0
        while k < block.count {
            if block[k] == 0x0A {
                if k + 1 < block.count && block[k + 1] == 0x0A { end = k + 2; break }
                if k + 2 < block.count && block[k + 1] == 0x0D && block[k + 2] == 0x0A { end = k + 3; break }
            }
            k += 1
        }
        guard end > 0 else { return nil }
        let head = String(decoding: UnsafeRawBufferPointer(rebasing: block[0..<end]), as: UTF8.self)
        var lines = head.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { $0.trimmingCharacters() }
        guard !lines.isEmpty else { return nil }
        let status = lines.removeFirst().split(separator: " ")
        guard status.count >= 2, status[0].hasPrefix("HTTP/"), let code = Int(status[1]), (200..<300).contains(code) else { return nil }
        var type = ""
        for l in lines {
            guard let colon = l.firstIndex(of: ":") else { continue }
            let name = l[..<colon].lowercased()
            let value = String(l[l.index(after: colon)...]).trimmingASCIIWhitespace().lowercased()
            switch name {
            case "content-type": type = value
            case "content-encoding": if value != "identity" && !value.isEmpty { return nil }
            case "transfer-encoding": if value.contains("chunked") { return nil }
            default: break
            }
        }
        guard type.hasPrefix("text/") || type.contains("html") || type.isEmpty else { return nil }
        contentType = type.isEmpty ? "text/html" : type
        bodyStart = end
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String { String(self).trimmingASCIIWhitespace() }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let u = Array(utf8)
        var a = 0
        var b = u.count
        while a < b && (u[a] == 0x20 || u[a] == 0x09 || u[a] == 0x0D || u[a] == 0x0A) { a += 1 }
        while b > a && (u[b - 1] == 0x20 || u[b - 1] == 0x09 || u[b - 1] == 0x0D || u[b - 1] == 0x0A) { b -= 1 }
        return String(decoding: u[a..<b], as: UTF8.self)
    }
}
