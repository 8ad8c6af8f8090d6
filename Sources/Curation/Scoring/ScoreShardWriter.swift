import ShardIO

/// Writes one score shard (`scores/NNNNN.jsonl.zst`, Dolma attribute lines in document order) and its
/// sketch (`scores/NNNNN.sketch.json`), both atomically.
public final class ScoreShardWriter {
    private let run: RunDirectory
    private let index: Int
    private let writer: ShardWriter
    private var line: [UInt8] = []
    private var scores: [Float] = []
    private var sources: [String] = []

    public init(run: RunDirectory, index: Int, level: Int32 = 3) throws {
        self.run = run
        self.index = index
        writer = try ShardWriter(path: run.scoreShard(index), level: level)
    }

    /// `characters` is the length of the document's text in Unicode scalars (Dolma spans count characters).
    public func append(id: String, source: String, characters: Int, score: Float) throws {
        guard score.isFinite else {
            throw CurationError(.stageFailed, "document \(id): the DataRater produced a non-finite score (\(score))",
                                hint: "the checkpoint is damaged or diverged; retrain or use another checkpoint")
        }
        line.removeAll(keepingCapacity: true)
        ScoreLine.write(id: id, characters: characters, score: score, into: &line)
        try line.withUnsafeBytes { try writer.append($0) }
        scores.append(score)
        sources.append(source)
    }

    public func finish() throws -> [ShardSummary] {
        let shard = try writer.finish()
        let sketchPath = ScoreSketch.path(run, index)
        try JSONFiles.write(ScoreSketch(scores: scores, sources: sources), to: sketchPath)
        let (sha, bytes) = try Checksum.file(sketchPath)
        return [shard, ShardSummary(path: sketchPath, bytes: bytes, sha256: sha, records: scores.count)]
    }
}
