import Foundation
import ShardIO

/// `datarater cat SHARD...`: any shard as JSON Lines on stdout.
///
/// Document, score and rejection shards (`*.jsonl.zst`, or plain `*.jsonl`) are printed line for line;
/// token shards (`*.tok.zst`) print `{"id":…,"tokens":[…]}` per record.
public enum CatTool {
    public static func run(paths: [String], limit: Int?, output: (UnsafeRawBufferPointer) -> Void) throws {
        var remaining = limit ?? Int.max
        var line: [UInt8] = []
        for path in paths {
            guard remaining > 0 else { return }
            do {
                if try isTokenShard(path) {
                    var reader = try TokenShardReader(path: path)
                    while remaining > 0, let record = try reader.next() {
                        line.removeAll(keepingCapacity: true)
                        line.append(contentsOf: "{\"id\":".utf8)
                        JSONWriter.appendString(record.id, to: &line)
                        line.append(contentsOf: ",\"tokens\":[".utf8)
                        for (i, token) in record.tokens.enumerated() {
                            if i > 0 { line.append(0x2C) }
                            line.append(contentsOf: String(token).utf8)
                        }
                        line.append(contentsOf: "]}\n".utf8)
                        line.withUnsafeBytes(output)
                        remaining -= 1
                    }
                } else {
                    try forEachLine(path) { bytes in
                        guard remaining > 0 else { return false }
                        output(bytes)
                        "\n".utf8CString.withUnsafeBytes { output(UnsafeRawBufferPointer(rebasing: $0[0..<1])) }
                        remaining -= 1
                        return true
                    }
                }
            } catch let error as ShardIOError {
                throw CurationError(.io, error.description, hint: "check the path; `datarater status RUN` lists a run's shards")
            }
        }
    }

    /// Calls `body` for each line of a `.zst` shard or a plain file, until it returns false.
    static func forEachLine(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        if path.hasSuffix(".zst") {
            var reader = try JSONLShardReader(path: path)
            while let go = try reader.next(body), go {}
        } else {
            let fd = try FileIO.openForReading(path)
            defer { close(fd) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            var lines = LineReader(path: path) { () throws(ShardIOError) -> UnsafeRawBufferPointer? in
                let n = try FileIO.readBlock(fd, into: buffer, path: path)
                return n == 0 ? nil : UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            }
            while let go = try lines.next(body), go {}
        }
    }

    /// A token shard is recognised by its magic bytes, whatever its name.
    static func isTokenShard(_ path: String) throws -> Bool {
        guard path.hasSuffix(".zst") else { return false }
        if path.hasSuffix(".tok.zst") { return true }
        return (try? TokenShardReader(path: path)) != nil
    }
}
