/// A `[batchSize × sequenceLength]` block of token ids, row-major, each row padded at its end.
///
/// `lengths[b]` is row `b`'s number of real tokens. For the causal LM, inputs are
/// `tokens[0..<len−1]` and targets `tokens[1..<len]`, so a row has `len − 1` predictions and the
/// model runs on `sequenceLength − 1` positions; the encoder reads all `len` tokens. Padding
/// values are never read.
public struct TokenBatch: Sendable, Hashable {
    public let batchSize: Int
    public let sequenceLength: Int
    public private(set) var tokens: [Int32]
    public private(set) var lengths: [Int]

    public init(tokens: [Int32], lengths: [Int], sequenceLength: Int) throws(ModelError) {
        guard sequenceLength > 0, !lengths.isEmpty else {
            throw ModelError(.invalidBatch, "a batch needs at least one row and a positive sequence length")
        }
        guard tokens.count == lengths.count * sequenceLength else {
            throw ModelError(.invalidBatch,
                "\(tokens.count) tokens do not fill \(lengths.count) rows of \(sequenceLength); pad every row to the same length")
        }
        if let b = lengths.firstIndex(where: { $0 < 0 || $0 > sequenceLength }) {
            throw ModelError(.invalidBatch, "row \(b) has length \(lengths[b]) outside 0...\(sequenceLength)")
        }
        self.batchSize = lengths.count
        self.sequenceLength = sequenceLength
        self.tokens = tokens
        self.lengths = lengths
    }

    /// Packs variable-length rows, padding each with `padding` up to `sequenceLength`.
    public init(rows: [[Int32]], sequenceLength: Int, padding: Int32 = 0) throws(ModelError) {
        var tokens = [Int32]()
        tokens.reserveCapacity(rows.count * sequenceLength)
        for (b, row) in rows.enumerated() {
            guard row.count <= sequenceLength else {
                throw ModelError(.sequenceTooLong, "row \(b) has \(row.count) tokens, more than \(sequenceLength); truncate or chunk it")
            }
            tokens.append(contentsOf: row)
            tokens.append(contentsOf: repeatElement(padding, count: sequenceLength - row.count))
        }
        try self.init(tokens: tokens, lengths: rows.map(\.count), sequenceLength: sequenceLength)
    }

    /// Token `t` of row `b`.
    public subscript(b: Int, t: Int) -> Int32 { tokens[b * sequenceLength + t] }

    /// Overwrites the padding of every row (used by tests to show padding is never read).
    public mutating func fillPadding(with value: Int32) {
        for b in 0..<batchSize {
            for t in lengths[b]..<sequenceLength { tokens[b * sequenceLength + t] = value }
        }
    }
}
