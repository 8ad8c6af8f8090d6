import Models
import Tensor

/// Scores documents with a trained DataRater under the same chunking rule it was trained with: a
/// document's score is the mean of the scores of its chunks (see `ChunkingRule`).
///
/// Chunks are scored in batches of `batchRows` rows, grouped in document order, so the result for a shard
/// does not depend on how shards are spread over workers.
public final class DataRaterScorer {
    public let encoder: DataRaterEncoder<Float>
    public let parameters: [Float]
    public let rule: ChunkingRule
    public let batchRows: Int
    private var rows: [[Int32]] = []
    private var owners: [Int] = []

    /// 8 chunks of 128 tokens: 1,024 rows whose activations stay in cache between the layers' gemms
    /// (56% of the sgemm peak against 51% with 32 chunks, `datarater bench score --batch-rows`).
    public static let defaultBatchRows = 8

    public init(config: LMConfig, parameters: [Float], rule: ChunkingRule, batchRows: Int = defaultBatchRows) throws(ModelError) {
        guard batchRows >= 1 else {
            throw ModelError(.invalidConfig, "batch rows must be at least 1, got \(batchRows); pass --batch-rows 1 or more")
        }
        encoder = try DataRaterEncoder<Float>(config: config)
        precondition(parameters.count == encoder.layout.count, "parameters do not match the encoder layout")
        guard config.contextLength >= rule.chunkLength else {
            throw ModelError(.invalidConfig, "the model's context_length \(config.contextLength) cannot hold chunks of \(rule.chunkLength)")
        }
        self.parameters = parameters
        self.rule = rule
        self.batchRows = batchRows
    }

    /// FLOPs of scoring one chunk of `tokens` tokens (2 per multiply-add, attention included).
    public func flops(tokens: Int) -> Double {
        let d = Double(encoder.config.dModel), layers = Double(encoder.config.nLayers), n = Double(tokens)
        return layers * (2 * n * 12 * d * d + 4 * n * n * d)
    }

    /// One score per document (in order).
    public func score(documents: [[Int32]]) throws(ModelError) -> [Float] {
        var sums = [Float](repeating: 0, count: documents.count)
        var counts = [Int](repeating: 0, count: documents.count)
        rows.removeAll(keepingCapacity: true)
        owners.removeAll(keepingCapacity: true)
        func flush() throws(ModelError) {
            guard !rows.isEmpty else { return }
            let length = rows.map(\.count).max() ?? 1
            let batch = try TokenBatch(rows: rows, sequenceLength: length)
            let scores = try encoder.scores(parameters: parameters, batch: batch)
            for (row, owner) in owners.enumerated() {
                sums[owner] += scores[row]
                counts[owner] += 1
            }
            rows.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
        }
        for (d, tokens) in documents.enumerated() {
            for k in 0..<rule.chunkCount(tokenCount: tokens.count) {
                let range = rule.chunk(k, tokenCount: tokens.count)
                rows.append(range.isEmpty ? [0] : Array(tokens[range]))
                owners.append(d)
                if rows.count == batchRows { try flush() }
            }
        }
        try flush()
        return (0..<documents.count).map { sums[$0] / Float(max(1, counts[$0])) }
    }
}
