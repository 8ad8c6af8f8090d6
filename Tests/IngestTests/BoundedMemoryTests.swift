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

        // What the reader yields, in this process.
        let reader = try IngestReader(file: InputFile(path: path + ".zst", relativePath: "big.jsonl.zst", kind: .jsonLines),
                                      options: IngestOptions(maxRecordBytes: 8 << 20))
        var documents = 0
        var rejected: [Rejection] = []
        while let item = reader.next() {
            switch item {
            case .document: documents += 1
            case let .rejected(r): rejected.append(r)
            }
        }
        #expect(documents == 25_000)
        #expect(rejected.map(\.code) == [.recordTooLarge] && rejected.first?.line == 12_501)
        #expect(reader.stats.bytesRead > 200_000_000)

        // Its memory, in a process of its own (`datarater shard` reads through the same reader): the test process's
        // resident memory also holds whatever the tests running beside this one allocate (63 MiB of growth in one CI
        // run against 17 MiB alone). Peak resident memory of sharding this input, minus that of sharding a tiny one.
        let tiny = dir.url("tiny.jsonl")
        #expect(FileManager.default.createFile(atPath: tiny, contents: Data((1...10).map { dolmaLine(id: "t\($0)", text: body) }.joined().utf8)))
        let (bigPeak, bigOutput) = try peakResidentMemory(["shard", path + ".zst", "--out", dir.url("big-run"), "--max-record-size", String(8 << 20)])
        let (tinyPeak, _) = try peakResidentMemory(["shard", tiny, "--out", dir.url("tiny-run"), "--max-record-size", String(8 << 20)])
        #expect(bigOutput.contains("input records: 25001 = documents 25000 + rejected 1"), "\(bigOutput)")
        let growth = bigPeak - tinyPeak
        print("bounded memory: sharding 207 MB peaks at \(bigPeak >> 20) MiB resident, a tiny input at \(tinyPeak >> 20) MiB")
        #expect(tinyPeak > 0 && growth < 48 << 20, "peak resident memory grew by \(growth >> 20) MiB")
    }
}

/// Runs the `datarater` executable built beside the test bundle and samples its peak resident memory (VmHWM, which
/// only grows) until it exits; returns the last sample and its standard output.
func peakResidentMemory(_ arguments: [String]) throws -> (Int, String) {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let process = Process()
    process.executableURL = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("datarater")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    var peak = 0
    while process.isRunning {
        peak = max(peak, residentMemory(of: String(process.processIdentifier)).hwm)
        usleep(10_000)
    }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 0, "datarater \(arguments.joined(separator: " ")) failed")
    return (peak, text)
}
