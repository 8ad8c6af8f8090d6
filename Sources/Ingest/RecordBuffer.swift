import CArchive
@preconcurrency import Glibc

/// Splits one archive entry's byte stream into records with bounded memory.
///
/// Holds at most `maxRecordBytes + blockSize` bytes: a record longer than `maxRecordBytes` is
/// drained block by block, keeping only its first `snippetBytes` for the rejection.
/// Offsets count bytes of the decompressed entry data from 0.
final class RecordBuffer {
    enum Chunk {
        /// A record's bytes (valid until the next call), its stream offset.
        case record(UnsafeRawBufferPointer, offset: Int)
        /// A record longer than the limit: its first bytes, its offset, its length so far.
        case tooLarge(snippet: [UInt8], offset: Int, length: Int)
        /// The entry's data ended cleanly.
        case end
        /// The data stream failed at `offset` (truncated or corrupt); `partial` bytes of an
        /// unfinished record were pending.
        case failed(message: String, offset: Int, fatal: Bool, partial: [UInt8])
    }

    static let snippetBytes = 200

    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private let maxCapacity: Int
    private let blockSize: Int
    let maxRecordBytes: Int
    /// Valid data is `storage[start..<end]`; `base` is the stream offset of `storage[0]`.
    private var start = 0
    private var end = 0
    private var base = 0
    private var scanned = 0
    private var eof = false
    private var failure: (message: String, fatal: Bool)?
    private var stream: ArchiveStream?

    init(maxRecordBytes: Int, blockSize: Int) {
        precondition(maxRecordBytes > 0 && blockSize > 0)
        self.maxRecordBytes = maxRecordBytes
        self.blockSize = blockSize
        maxCapacity = maxRecordBytes + blockSize + 1
        capacity = min(max(4 * blockSize, 1 << 20), maxCapacity)
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { storage.deallocate() }

    /// Starts reading the current entry of `stream`.
    func reset(_ stream: ArchiveStream) {
        self.stream = stream
        start = 0; end = 0; base = 0; scanned = 0
        eof = false
        failure = nil
    }

    /// Total bytes of the entry read so far.
    var bytesRead: Int { base + end }

    /// Reads more data at `end`; returns false at end of data or on failure.
    private func fill() -> Bool {
        if eof || failure != nil { return false }
        if end == capacity {
            if start > 0 {
                let n = end - start
                storage.copyMemory(from: storage + start, byteCount: n)
                base += start; scanned -= start; end = n; start = 0
            }
            if end == capacity {
                if capacity >= maxCapacity { return false }
                let newCapacity = min(capacity * 2, maxCapacity)
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 64)
                bigger.copyMemory(from: storage, byteCount: end)
                storage.deallocate()
                storage = bigger
                capacity = newCapacity
            }
        }
        guard let stream else { eof = true; return false }
        switch stream.read(into: storage + end, count: min(capacity - end, max(blockSize, 1 << 16))) {
        case let .bytes(n): end += n; return true
        case .end: eof = true; return false
        case let .failed(message, fatal): failure = (message, fatal); return false
        }
    }

    private func failedChunk() -> Chunk {
        let partial = Array(UnsafeRawBufferPointer(start: storage + start, count: min(end - start, RecordBuffer.snippetBytes)))
        let f = failure ?? (message: "read failed", fatal: true)
        let chunk = Chunk.failed(message: f.message, offset: base + end, fatal: f.fatal, partial: partial)
        start = end
        return chunk
    }

    /// Discards the rest of an oversized record up to (and including) the next `\n` when
    /// `untilNewline`, else to the end of the entry; returns the record's total length.
    private func drain(untilNewline: Bool) -> Int {
        var length = end - start
        start = end
        while true {
            // Reuse the buffer from its beginning: nothing before is needed any more.
            base += end; start = 0; end = 0; scanned = 0
            guard fill() else { return length }
            if untilNewline, let nl = memchr(storage, 0x0A, end) {
                let k = storage.distance(to: nl)
                length += k
                start = k + 1
                scanned = start
                return length
            }
            length += end
            start = end
        }
    }

    /// The next `\n`-terminated line (without the `\n`; the last line may lack it).
    func nextLine() -> Chunk {
        while true {
            if scanned < end, let nl = memchr(storage + scanned, 0x0A, end - scanned) {
                let k = storage.distance(to: nl)
                if k - start > maxRecordBytes {
                    return oversized(untilNewline: true, knownEnd: k)
                }
                let line = UnsafeRawBufferPointer(start: storage + start, count: k - start)
                let offset = base + start
                start = k + 1
                scanned = start
                return .record(line, offset: offset)
            }
            scanned = end
            if end - start > maxRecordBytes {
                return oversized(untilNewline: true, knownEnd: nil)
            }
            if !fill() {
                if failure != nil { return failedChunk() }
                if start < end {
                    let line = UnsafeRawBufferPointer(start: storage + start, count: end - start)
                    let offset = base + start
                    start = end
                    scanned = end
                    return .record(line, offset: offset)
                }
                return .end
            }
        }
    }

    private func oversized(untilNewline: Bool, knownEnd: Int?) -> Chunk {
        let offset = base + start
        let snippet = Array(UnsafeRawBufferPointer(start: storage + start, count: min(RecordBuffer.snippetBytes, end - start)))
        let length: Int
        if let knownEnd {
            length = knownEnd - start
            start = knownEnd + 1
            scanned = start
        } else {
            length = drain(untilNewline: untilNewline)
        }
        return .tooLarge(snippet: snippet, offset: offset, length: length)
    }

    /// The rest of the entry as one record (a whole text file). Call once per entry.
    func rest() -> Chunk {
        while true {
            if end - start > maxRecordBytes {
                return oversized(untilNewline: false, knownEnd: nil)
            }
            if !fill() { break }
        }
        if failure != nil { return failedChunk() }
        let record = UnsafeRawBufferPointer(start: storage + start, count: end - start)
        let offset = base + start
        start = end
        scanned = end
        return .record(record, offset: offset)
    }

    /// Exactly `count` bytes (a WARC record body), or fewer if the data ends first.
    func take(_ count: Int) -> Chunk {
        if count > maxRecordBytes {
            let offset = base + start
            var remaining = count
            var snippet: [UInt8] = []
            while remaining > 0 {
                if start == end {
                    base += end; start = 0; end = 0; scanned = 0
                    if !fill() { break }
                }
                let n = min(remaining, end - start)
                if snippet.count < RecordBuffer.snippetBytes {
                    snippet.append(contentsOf: UnsafeRawBufferPointer(start: storage + start, count: min(n, RecordBuffer.snippetBytes - snippet.count)))
                }
                start += n
                remaining -= n
            }
            scanned = start
            if remaining > 0 && failure != nil { return failedChunk() }
            return .tooLarge(snippet: snippet, offset: offset, length: count - remaining)
        }
        while end - start < count {
            if !fill() {
                if failure != nil { return failedChunk() }
                break
            }
        }
        let n = min(count, end - start)
        let record = UnsafeRawBufferPointer(start: storage + start, count: n)
        let offset = base + start
        start += n
        scanned = max(scanned, start)
        return .record(record, offset: offset)
    }
}
