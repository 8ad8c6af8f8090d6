import Models
import Tensor

/// Documents' tokens held in one flat buffer with offsets: the data meta-training samples from.
public struct TokenCorpus: Sendable {
    public private(set) var tokens: [Int32] = []
    /// `offsets[i]..<offsets[i+1]` are document i's tokens.
    public private(set) var offsets: [Int] = [0]
    public private(set) var ids: [String] = []

    public init() {}

    public var count: Int { ids.count }
    public var tokenCount: Int { tokens.count }

    public mutating func append(id: String, tokens documentTokens: some Collection<Int32>) {
        ids.append(id)
        tokens.append(contentsOf: documentTokens)
        offsets.append(tokens.count)
    }

    public func documentTokens(_ i: Int) -> ArraySlice<Int32> { tokens[offsets[i]..<offsets[i + 1]] }

    /// A batch of `rows` documents drawn uniformly with replacement, each contributing one uniformly drawn
    /// chunk under `rule`; rows are padded with 0 to the longest.
    public func sampleBatch(rows: Int, rule: ChunkingRule, rng: inout SplitMix64) throws(ModelError) -> TokenBatch {
        precondition(count > 0, "sampling from an empty corpus")
        var chunks: [[Int32]] = []
        chunks.reserveCapacity(rows)
        for _ in 0..<rows {
            let document = Int(rng.next() % UInt64(count))
            let n = offsets[document + 1] - offsets[document]
            let k = Int(rng.next() % UInt64(rule.chunkCount(tokenCount: n)))
            let range = rule.chunk(k, tokenCount: n)
            let chunk = Array(tokens[(offsets[document] + range.lowerBound)..<(offsets[document] + range.upperBound)])
            chunks.append(chunk.isEmpty ? [0] : chunk)
        }
        let length = chunks.map(\.count).max() ?? 1
        return try TokenBatch(rows: chunks, sequenceLength: max(length, 2))
    }
}
