import ShardIO

/// `scores/NNNNN.sketch.json`: a score shard's quantile summaries, overall and per source.
public struct ScoreSketch: Codable, Sendable, Equatable {
    public var documents: Int
    public var overall: QuantileSummary
    public var perSource: [String: QuantileSummary]

    public init(scores: [Float], sources: [String], resolution: Int = QuantileSummary.defaultResolution) {
        precondition(scores.count == sources.count)
        documents = scores.count
        overall = QuantileSummary(scores: scores, resolution: resolution)
        var bySource: [String: [Float]] = [:]
        for (score, source) in zip(scores, sources) { bySource[source, default: []].append(score) }
        perSource = bySource.mapValues { QuantileSummary(scores: $0, resolution: resolution) }
    }

    public static func path(_ run: RunDirectory, _ index: Int) -> String {
        FileIO.join(run.path("scores"), RunDirectory.shardName(index) + ".sketch.json")
    }
}

extension RunDirectory {
    public var scoresDirectory: String { path("scores") }
    public func scoreShard(_ index: Int) -> String { FileIO.join(scoresDirectory, Self.shardName(index) + ".jsonl.zst") }
    public var thresholdPath: String { path("threshold.json") }
}
