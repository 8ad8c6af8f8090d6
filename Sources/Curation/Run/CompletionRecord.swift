import ShardIO

/// `RUN/_done/STAGE/NNNNN.json`: proof that one shard of a stage is finished.
///
/// Written after the shard's outputs are renamed into place. A rerun reuses the shard only while the
/// record's config hash and input hash equal the current ones and every output still has its recorded
/// size and sha256; anything else means the shard is redone.
public struct CompletionRecord: Codable, Sendable, Equatable {
    public var stage: String
    public var shard: Int
    public var configHash: String
    public var inputHash: String
    public var outputs: [ShardSummary]
    public var counts: [String: Int]
    /// Stage-specific facts a later stage or a resumed run needs (e.g. where in the input a shard ended).
    public var extra: [String: String]

    public init(stage: String, shard: Int, configHash: String, inputHash: String, outputs: [ShardSummary],
                counts: [String: Int], extra: [String: String] = [:]) {
        self.stage = stage
        self.shard = shard
        self.configHash = configHash
        self.inputHash = inputHash
        self.outputs = outputs
        self.counts = counts
        self.extra = extra
    }

    public func write(in run: RunDirectory) throws {
        try JSONFiles.write(self, to: run.doneRecord(stage, shard))
    }

    /// The record for `shard` if it exists and is still valid for this config and input; nil otherwise.
    public static func valid(in run: RunDirectory, stage: String, shard: Int, configHash: String,
                             inputHash: String) throws -> CompletionRecord? {
        guard let record = try JSONFiles.read(CompletionRecord.self, from: run.doneRecord(stage, shard)),
              record.configHash == configHash, record.inputHash == inputHash
        else { return nil }
        for output in record.outputs {
            let path = run.path(output.path)
            guard let (sha, bytes) = try? Checksum.file(path), sha == output.sha256, bytes == output.bytes else { return nil }
        }
        return record
    }

    /// Every record present for `stage`, by shard index.
    public static func all(in run: RunDirectory, stage: String) throws -> [Int: CompletionRecord] {
        var records: [Int: CompletionRecord] = [:]
        let directory = run.doneDirectory(stage)
        for name in try FileIO.listDirectory(directory) where name.hasSuffix(".json") {
            guard let index = Int(name.dropLast(5)) else { continue }
            if let record = try JSONFiles.read(CompletionRecord.self, from: FileIO.join(directory, name)) {
                records[index] = record
            }
        }
        return records
    }
}
