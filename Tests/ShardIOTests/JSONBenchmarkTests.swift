import Foundation
import Testing
@testable import ShardIO

/// Throughput of the document codec on a real JSON Lines file, against Foundation in the same run.
///
/// Off unless `DATARATER_JSON_BENCH` names an uncompressed `.jsonl` file of Dolma documents, e.g.
/// `zstd -dc corpus/part-0000.jsonl.zst > /tmp/dev.jsonl &&
///  DATARATER_JSON_BENCH=/tmp/dev.jsonl swift test --filter JSONBenchmark`
/// (ShardIO and its tests are compiled with `-O` even in debug builds).
@Suite struct JSONBenchmarkTests {
    static let path = ProcessInfo.processInfo.environment["DATARATER_JSON_BENCH"]

    struct FoundationDoc: Codable {
        var id: String
        var text: String
        var source: String
        var added: String?
    }

    @Test(.enabled(if: path != nil))
    func documentCodecThroughput() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: try #require(Self.path)))
        let bytes = [UInt8](data)
        var lines: [Range<Int>] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            if i > start { lines.append(start..<(i + 1)) }
            start = i + 1
        }
        let total = Double(lines.reduce(0) { $0 + $1.count })
        var docs: [Document] = []
        docs.reserveCapacity(lines.count)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 1024)
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        let slices = lines.map { data[$0] }

        // The machine is shared: every repeat runs each candidate once, interleaved, and the best
        // time of each is kept, so that ratios compare runs made under the same load.
        let candidates: [(String, () throws -> Void)] = [
            ("parse", {
                try bytes.withUnsafeBytes { raw in
                    docs.removeAll(keepingCapacity: true)
                    for r in lines { docs.append(try Document(jsonLine: UnsafeRawBufferPointer(rebasing: raw[r]))) }
                }
            }),
            ("encode", {
                out.removeAll(keepingCapacity: true)
                for d in docs { d.writeJSONLine(into: &out) }
            }),
            ("generic", {
                try bytes.withUnsafeBytes { raw in
                    var parser = JSONParser()
                    for r in lines { _ = try parser.parseValue(UnsafeRawBufferPointer(rebasing: raw[r])) }
                }
            }),
            ("roundTrip", {
                try bytes.withUnsafeBytes { raw in
                    out.removeAll(keepingCapacity: true)
                    for r in lines {
                        let d = try Document(jsonLine: UnsafeRawBufferPointer(rebasing: raw[r]))
                        d.writeJSONLine(into: &out)
                    }
                }
            }),
            ("foundationDecode", {
                for s in slices { _ = try decoder.decode(FoundationDoc.self, from: s) }
            }),
            ("foundationRoundTrip", {
                for s in slices { _ = try encoder.encode(try decoder.decode(FoundationDoc.self, from: s)) }
            }),
        ]
        var bestSeconds = [Double](repeating: .infinity, count: candidates.count)
        for _ in 0..<7 {
            for (k, c) in candidates.enumerated() {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try c.1()
                let t1 = DispatchTime.now().uptimeNanoseconds
                bestSeconds[k] = min(bestSeconds[k], Double(t1 - t0) / 1e9)
            }
        }
        let rate = bestSeconds.map { total / $0 / 1e6 }
        let (parse, encode, generic, roundTrip, foundationDecode, foundationRoundTrip) = (rate[0], rate[1], rate[2], rate[3], rate[4], rate[5])
        print(String(format: "JSON bench: %d lines, %.1f MB", lines.count, total / 1e6))
        print(String(format: "  Document(jsonLine:)      %7.0f MB/s  (%.2fx Foundation JSONDecoder %.0f MB/s)", parse, parse / foundationDecode, foundationDecode))
        print(String(format: "  JSONParser.parseValue    %7.0f MB/s", generic))
        print(String(format: "  writeJSONLine            %7.0f MB/s", encode))
        print(String(format: "  parse + write round trip %7.0f MB/s  (%.2fx Foundation decode+encode %.0f MB/s)", roundTrip, roundTrip / foundationRoundTrip, foundationRoundTrip))
        // The re-encoded corpus must parse back to the same documents.
        #expect(out.count > 0)
        let again = try out.withUnsafeBytes { raw in
            try Document(jsonLine: UnsafeRawBufferPointer(rebasing: raw[0..<(raw.firstIndex(of: 0x0A) ?? raw.count)]))
        }
        #expect(again == docs.first)
    }
}
