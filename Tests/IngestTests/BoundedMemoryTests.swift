import Foundation
import Testing
@testable import Ingest
import ShardIO

@Suite struct BoundedMemoryTests {
    /// ~200 MB of decompressed input (100 MB of 4 KB documents around one 100 MB line) is read
    /// with resident memory growing by far less than the input: the reader holds one block and
    /// one record, and the oversized line is drained, not buffered.
    @Test func residentMemoryStaysBounded() throws {
        let dir = try TempDir()
        let path = dir.url("big.jsonl")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let body = String(repeating: "lorem ipsum dolor sit amet ", count: 150)  // ~4 KB
        var chunk: [UInt8] = []
        var lines = 0
        func flush() { out.write(Data(chunk)); chunk.removeAll(keepingCapacity: true) }
        func addDocuments(_ n: Int) {
            for _ in 0..<n {
                lines += 1
                chunk.append(contentsOf: dolmaLine(id: "d\(lines)", text: body).utf8)
                if chunk.count > 1 << 20 { flush() }
            }
        }
        addDocuments(12_500)
        // One 100 MB line.
        lines += 1
        chunk.append(contentsOf: Array(#"{"id":"huge","source":"s","text":""#.utf8))
        flush()
        let filler = [UInt8](repeating: UInt8(ascii: "h"), count: 1 << 20)
        for _ in 0..<100 { out.write(Data(filler)) }
        chunk.append(contentsOf: Array("\"}\n".utf8))
        addDocuments(12_500)
        flush()
        try out.close()
        try run("zstd", ["-q", "-1", "--rm", "big.jsonl"], in: dir.path)

        let before = residentMemory()
        let reader = try IngestReader(file: InputFile(path: path + ".zst", relativePath: "big.jsonl.zst", kind: .jsonLines),
                                      options: IngestOptions(maxRecordBytes: 8 << 20))
        var peakRSS = before.rss
        var documents = 0
        var rejected: [Rejection] = []
        while let item = reader.next() {
            switch item {
            case .document: documents += 1
            case let .rejected(r): rejected.append(r)
            }
            if (documents + rejected.count) % 500 == 0 { peakRSS = max(peakRSS, residentMemory().rss) }
        }
        let after = residentMemory()
        peakRSS = max(peakRSS, after.rss)
        let stats = reader.stats
        #expect(documents == 25_000)
        #expect(rejected.map(\.code) == [.recordTooLarge] && rejected.first?.line == 12_501)
        #expect(stats.bytesRead > 200_000_000)
        let growth = peakRSS - before.rss
        let hwmGrowth = after.hwm - before.hwm
        print("bounded memory: read \(stats.bytesRead / 1_000_000) MB; RSS before \(before.rss >> 20) MiB, peak sampled \(peakRSS >> 20) MiB, VmHWM +\(hwmGrowth >> 20) MiB")
        #expect(growth < 48 << 20, "resident memory grew by \(growth >> 20) MiB")
        #expect(hwmGrowth < 48 << 20, "peak resident memory grew by \(hwmGrowth >> 20) MiB")
    }
}
