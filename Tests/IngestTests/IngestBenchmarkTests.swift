import CArchive
import Foundation
import Testing
@testable import Ingest
import ShardIO

/// Throughput of `IngestReader` against a bare libarchive read of the same file, in one run.
///
/// Off unless `DATARATER_INGEST_BENCH` names a `.jsonl.zst` (or `.jsonl.gz`) of Dolma documents:
/// `cp corpus/part-0000.jsonl.zst /tmp/ && DATARATER_INGEST_BENCH=/tmp/part-0000.jsonl.zst
///  swift test --filter IngestBenchmark`. (Ingest is compiled with `-O` but not whole-module in
/// debug builds; `swift build -c release` is faster still.)
@Suite struct IngestBenchmarkTests {
    static let path = ProcessInfo.processInfo.environment["DATARATER_INGEST_BENCH"]

    @Test(.enabled(if: path != nil))
    func readerThroughput() throws {
        let path = try #require(Self.path)
        let file = InputFile(path: path, relativePath: (path as NSString).lastPathComponent, kind: .jsonLines)
        var out: [UInt8] = []
        out.reserveCapacity(2 << 20)
        let candidates: [(String, () throws -> Int)] = [
            ("reference: libarchive read only", {
                guard let a = archive_read_new() else { return 0 }
                defer { archive_read_free(a) }
                archive_read_support_filter_all(a)
                archive_read_support_format_raw(a)
                guard archive_read_open_filename(a, path, 1 << 20) == ARCHIVE_OK else { return 0 }
                var entry: OpaquePointer?
                guard archive_read_next_header(a, &entry) == ARCHIVE_OK else { return 0 }
                let buf = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 64)
                defer { buf.deallocate() }
                var total = 0
                while true {
                    let n = archive_read_data(a, buf, 1 << 20)
                    if n <= 0 { break }
                    total += n
                }
                return total
            }),
            ("IngestReader (read, split, parse, map)", {
                let r = try IngestReader(file: file)
                while r.next() != nil {}
                return r.stats.bytesRead
            }),
            ("IngestReader + writeJSONLine", {
                let r = try IngestReader(file: file)
                while let item = r.next() {
                    if case let .document(d, _) = item {
                        d.writeJSONLine(into: &out)
                        if out.count > 1 << 20 { out.removeAll(keepingCapacity: true) }
                    }
                }
                return r.stats.bytesRead
            }),
        ]
        var best = [Double](repeating: .infinity, count: candidates.count)
        var bytes = [Int](repeating: 0, count: candidates.count)
        for _ in 0..<5 {
            for (k, c) in candidates.enumerated() {
                let t0 = DispatchTime.now().uptimeNanoseconds
                bytes[k] = try c.1()
                best[k] = min(best[k], Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
        }
        #expect(bytes.allSatisfy { $0 == bytes[0] && $0 > 0 })
        let reference = Double(bytes[0]) / best[0]
        for (k, c) in candidates.enumerated() {
            let rate = Double(bytes[k]) / best[k]
            print(c.0.padding(toLength: 42, withPad: " ", startingAt: 0) + String(format: " %7.0f MB/s  %.2fx reference", rate / 1e6, rate / reference))
        }
    }
}
