import Foundation
import ShardIO

/// `datarater bench shard`: the shard stage's throughput on a corpus, against `zstd -dc | wc -l` (the floor:
/// just decompressing and splitting lines) and datatrove's JsonlReader → JsonlWriter, all in one run.
public enum ShardBenchmark {
    public struct Row: Sendable {
        public var tool: String
        public var seconds: Double
        public var documents: Int
        public var textBytes: Int
    }

    public static func run(corpus: String, workDirectory: String, datatrove: Bool, scriptsDirectory: String) throws -> [Row] {
        let files = try FileIO.listDirectory(corpus).filter { $0.hasSuffix(".jsonl.zst") }.map { FileIO.join(corpus, $0) }
        guard !files.isEmpty else {
            throw CurationError(.inputNotFound, "\(corpus): no .jsonl.zst files to benchmark on")
        }
        var rows: [Row] = []

        // Reference 1: decompress and count lines.
        let quoted = files.map { "'\($0)'" }.joined(separator: " ")
        var start = Date()
        let lines = try shell("zstd -dc \(quoted) | wc -l")
        rows.append(Row(tool: "zstd -dc | wc -l", seconds: Date().timeIntervalSince(start),
                        documents: Int(lines.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, textBytes: 0))

        // DataRater's shard stage, one process, one core.
        let out = FileIO.join(workDirectory, "bench-shard-\(getpid())")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var options = ShardStage.Options(inputs: files)
        options.targetShardBytes = 128_000_000
        start = Date()
        let record = try ShardStage.run(RunDirectory(out), options: options, command: ["bench"])
        let ours = Date().timeIntervalSince(start)
        rows.append(Row(tool: "datarater shard", seconds: ours, documents: record.counts["documents"] ?? 0,
                        textBytes: record.counts["text_bytes"] ?? 0))

        if datatrove {
            let script = FileIO.join(scriptsDirectory, "bench/datatrove_shard.py")
            let output = try shell("python3 '\(script)' '\(corpus)' 2>/dev/null | tail -1")
            guard let data = output.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let seconds = object["seconds"] as? Double
            else {
                throw CurationError(.stageFailed, "datatrove reference did not run: \(output.prefix(300))",
                                    hint: "pip install datatrove zstandard, or pass --no-datatrove")
            }
            rows.append(Row(tool: "datatrove JsonlReader→JsonlWriter", seconds: seconds,
                            documents: object["documents"] as? Int ?? 0, textBytes: object["text_bytes"] as? Int ?? 0))
        }
        // The text size is the same for every tool; fill it in where a reference did not measure it.
        for i in rows.indices where rows[i].textBytes == 0 { rows[i].textBytes = record.counts["text_bytes"] ?? 0 }
        return rows
    }

    public static func render(_ rows: [Row]) -> String {
        guard let ours = rows.first(where: { $0.tool == "datarater shard" }) else { return "" }
        var lines = ["tool                                 seconds     docs/s   text MB/s   ours vs this"]
        for row in rows {
            let docsPerSecond = Double(row.documents) / row.seconds
            let mbPerSecond = Double(row.textBytes) / 1e6 / row.seconds
            lines.append(String(format: "%-36@ %7.2f %10.0f %11.1f %10.2fx", row.tool as NSString, row.seconds, docsPerSecond,
                                mbPerSecond, row.seconds / ours.seconds))
        }
        return lines.joined(separator: "\n")
    }

    static func shell(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
