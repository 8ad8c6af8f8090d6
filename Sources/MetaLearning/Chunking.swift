/// How a document's tokens become the sequences a DataRater sees — one rule for training and scoring.
///
/// A document of n tokens is cut into consecutive, non-overlapping chunks of `chunkLength` tokens from its
/// start (the last one may be shorter); at most `maxChunks` chunks are used, so only the first
/// `maxChunks × chunkLength` tokens count. At scoring time a document's score is the mean of its chunks'
/// scores; at training time a sampled document contributes one of its chunks, drawn uniformly. A document
/// with no tokens is scored as one chunk holding token 0 (the `shard` stage rejects empty texts, so this
/// only happens for a text that tokenizes to nothing).
public struct ChunkingRule: Codable, Sendable, Hashable {
    public var chunkLength: Int
    public var maxChunks: Int

    enum CodingKeys: String, CodingKey {
        case chunkLength = "chunk_length"
        case maxChunks = "max_chunks"
    }

    public init(chunkLength: Int, maxChunks: Int = 8) {
        precondition(chunkLength >= 2 && maxChunks >= 1, "chunks need at least 2 tokens, and at least one chunk")
        self.chunkLength = chunkLength
        self.maxChunks = maxChunks
    }

    /// Number of chunks of a document of `tokenCount` tokens (at least 1).
    public func chunkCount(tokenCount: Int) -> Int {
        max(1, min(maxChunks, (tokenCount + chunkLength - 1) / chunkLength))
    }

    /// Token range of chunk `k` (empty for a document with no tokens).
    public func chunk(_ k: Int, tokenCount: Int) -> Range<Int> {
        let start = k * chunkLength
        return min(start, tokenCount)..<min(start + chunkLength, tokenCount)
    }
}
