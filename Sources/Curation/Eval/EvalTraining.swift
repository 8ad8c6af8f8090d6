import Foundation
import Ingest
import Models
import Tensor

/// One LM size of `datarater eval` and how every arm trains it.
///
/// Shapes are the tensor issue's *small* (d 128, 2 layers, 4 heads, context 128) and *base* (d 256, 4 layers,
/// 4 heads, context 256) with the run's vocabulary. Training: AdamW (β 0.9/0.95, weight decay on matrices),
/// linear warm-up over `warmupFraction` of the steps (a quarter by default: with 5% about half of the LMs stalled or
/// spiked, see EVAL.md) then cosine decay to a tenth of the peak rate, global gradient clipping at 1, batches of
/// `batchSize` packed rows of `contextLength + 1` tokens, so a step trains `batchSize × contextLength` tokens.
public struct EvalScale: Codable, Sendable, Hashable {
    public var name: String
    public var dModel: Int
    public var nLayers: Int
    public var nHeads: Int
    public var contextLength: Int
    public var batchSize: Int
    /// Training tokens (predicted positions) per arm; rounded down to whole steps.
    public var tokens: Int
    public var learningRate: Double
    public var warmupFraction: Double = 0.25
    public var minLearningRateFraction: Double = 0.1
    public var weightDecay: Double = 0.1
    public var clipNorm: Double = 1.0

    public init(name: String, dModel: Int, nLayers: Int, nHeads: Int, contextLength: Int, batchSize: Int, tokens: Int,
                learningRate: Double) {
        self.name = name
        self.dModel = dModel
        self.nLayers = nLayers
        self.nHeads = nHeads
        self.contextLength = contextLength
        self.batchSize = batchSize
        self.tokens = tokens
        self.learningRate = learningRate
    }

    /// *small*: 1.2 M training tokens, batch 16, peak learning rate 2e-3.
    public static func small(tokens: Int = 1_200_000) -> EvalScale {
        EvalScale(name: "small", dModel: 128, nLayers: 2, nHeads: 4, contextLength: 128, batchSize: 16, tokens: tokens, learningRate: 2e-3)
    }

    /// *base*: 0.5 M training tokens, batch 8, peak learning rate 1e-3.
    public static func base(tokens: Int = 500_000) -> EvalScale {
        EvalScale(name: "base", dModel: 256, nLayers: 4, nHeads: 4, contextLength: 256, batchSize: 8, tokens: tokens, learningRate: 1e-3)
    }

    public func config(vocabularySize: Int) -> LMConfig {
        LMConfig(vocabSize: vocabularySize, dModel: dModel, nLayers: nLayers, nHeads: nHeads, contextLength: contextLength)
    }

    public var tokensPerStep: Int { batchSize * contextLength }
    public var steps: Int { max(1, tokens / tokensPerStep) }
    public var trainedTokens: Int { steps * tokensPerStep }
    /// Steps of linear warm-up to the peak rate.
    public var warmupSteps: Int { Int((Double(steps) * warmupFraction).rounded()) }

    /// The same LM and schedule over `steps` steps: warm-up and cosine decay stretched or shrunk to fit, as for an LM
    /// whose whole budget is that many steps.
    public func withSteps(_ steps: Int) -> EvalScale {
        var scale = self
        scale.tokens = max(1, steps) * tokensPerStep
        return scale
    }
}

/// FLOP conventions of the evaluation (a multiply-add is 2 FLOPs).
///
/// - LM forward, per token: `2·N + 2·d·V + 2·L·n_ctx·d` with `N = 12·L·d²` the non-embedding parameters (attention
///   projections 4d², MLP 8d²), `2·d·V` the tied output projection, and Kaplan et al.'s attention term for rows of
///   `n_ctx` positions. Training: 3 × forward (backward = 2 × forward).
/// - DataRater scoring, per chunk of n tokens: `L·(2·n·12·d² + 4·n²·d)` (projections, MLP, QKᵀ and PV of the
///   non-causal encoder), the same count as `DataRaterScorer.flops`.
public enum EvalFLOPs {
    public static func nonEmbeddingParameters(_ c: LMConfig) -> Double { 12 * Double(c.nLayers) * Double(c.dModel) * Double(c.dModel) }

    public static func lmForwardPerToken(_ c: LMConfig, context: Int) -> Double {
        let d = Double(c.dModel)
        return 2 * nonEmbeddingParameters(c) + 2 * d * Double(c.vocabSize) + 2 * Double(c.nLayers) * Double(context) * d
    }

    public static func lmTrainingPerToken(_ c: LMConfig) -> Double { 3 * lmForwardPerToken(c, context: c.contextLength) }

    public static func raterChunk(_ c: LMConfig, tokens n: Int) -> Double {
        let d = Double(c.dModel), n = Double(n)
        return Double(c.nLayers) * (2 * n * 12 * d * d + 4 * n * n * d)
    }
}

/// A token source that cycles through a set of documents in a seeded random order, reshuffled every epoch, and
/// packs them back to back into rows: row k is stream positions `k·T ..< k·T + T + 1`, so every streamed token
/// after the first is a target exactly once. (Training draws its rows from a whole epoch: `ShuffledRows`.)
///
/// The order is common to every arm (common random numbers): a document's place is a hash of the seed, the epoch
/// and the document's position in the shared token array, so two selections from the same pool stream their
/// shared documents in the same relative order. An arm then differs from another by which documents it holds,
/// not by an independent shuffle, and the arms' differences carry less order noise than the arms themselves.
///
/// With `strata` (a label per document: its source), the order is also stratified: each stratum's documents are
/// ordered by that hash and the strata are interleaved in proportion, the k-th of a stratum's n documents at
/// position (k + u)/n of the epoch (u a per-stratum, per-epoch phase). Every prefix of the stream then holds each
/// source in the share the selection holds it, to within a document, instead of a random draw of it. An LM
/// that sees a tenth of an epoch would otherwise see, say, 20 ± 4 documents of a source of 200, and on a
/// multilingual corpus that count alone moves the validation loss of the source's language by a nat; the
/// stratified order takes that noise out of every arm's curve without favouring any arm. Since `ShuffledRows` draws an
/// LM's rows from a whole epoch, the stratification only matters where training reads the stream in order (the
/// rows beyond the first epoch of a selection smaller than the budget); removing it would change every order.
struct PackedStream {
    /// Part of every finished LM's settings hash: LMs trained under another ordering rule are retrained.
    static let orderVersion = "rows-slotted-by-document-block-v8"

    let tokens: [Int32]
    let documents: [Range<Int>]
    /// A stratum key per document (a hash of its source), or empty for an unstratified order.
    let strata: [UInt64]
    let seed: UInt64
    let totalTokens: Int
    private var order: [Int] = []
    private var position = 0
    private var offset = 0
    private(set) var epoch = 0
    private(set) var drawn = 0
    private var carry: Int32?

    /// `strata`, if given, labels every document (its source); see the type's documentation.
    init(tokens: [Int32], documents: [Range<Int>], strata: [String]? = nil, seed: UInt64) {
        precondition(strata == nil || strata!.count == documents.count, "one stratum per document")
        let nonEmpty = documents.indices.filter { !documents[$0].isEmpty }
        self.tokens = tokens
        self.documents = nonEmpty.map { documents[$0] }
        self.strata = strata.map { labels in nonEmpty.map { Self.stratumKey(labels[$0]) } } ?? []
        self.seed = seed
        totalTokens = self.documents.reduce(0) { $0 + $1.count }
        precondition(totalTokens >= 2, "a training stream needs at least 2 tokens")
        shuffle()
    }

    /// FNV-1a of the label: the same source gets the same key in every arm.
    static func stratumKey(_ label: String) -> UInt64 { StableID.fnv1a(label.utf8) }

    /// Sorts by SplitMix64 of (seed, epoch, the document's first token offset); ties (none for distinct offsets)
    /// by index. With strata, that hash orders each stratum, and the strata are interleaved by (rank + phase) / size.
    private mutating func shuffle() {
        let epochSeed = seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15
        let keys = documents.map { range -> UInt64 in
            var rng = SplitMix64(seed: epochSeed ^ (UInt64(range.lowerBound) &* 0xD6E8_FEB8_6659_FD93))
            return rng.next()
        }
        let hashOrder = documents.indices.sorted { (keys[$0], $0) < (keys[$1], $1) }
        if strata.isEmpty {
            order = hashOrder
        } else {
            var rank = [Int](repeating: 0, count: documents.count)
            var size: [UInt64: Int] = [:]
            for i in hashOrder {
                rank[i] = size[strata[i], default: 0]
                size[strata[i], default: 0] += 1
            }
            var phase: [UInt64: Double] = [:]
            for key in size.keys {
                var rng = SplitMix64(seed: epochSeed ^ key)
                phase[key] = Double(rng.next() >> 11) / Double(1 << 53)
            }
            let place = documents.indices.map { i in (Double(rank[i]) + phase[strata[i]]!) / Double(size[strata[i]]!) }
            order = documents.indices.sorted { (place[$0], strata[$0], $0) < (place[$1], strata[$1], $1) }
        }
        position = 0
        offset = 0
    }

    /// Where the next token of the stream sits in `tokens` (and advances past it).
    private mutating func nextIndex() -> Int {
        while offset >= documents[order[position]].count {
            position += 1
            offset = 0
            if position == order.count {
                epoch += 1
                shuffle()
            }
        }
        let index = documents[order[position]].lowerBound + offset
        offset += 1
        drawn += 1
        return index
    }

    private mutating func next() -> Int32 { tokens[nextIndex()] }

    /// Where a token of the stream came from: its index in `tokens`, where its document starts there, and the epoch
    /// that streamed it.
    struct Origin: Equatable {
        var index: Int
        var document: Int
        var epoch: Int
    }

    /// Appends the next `count` tokens and, for every `stride`-th of them (the first included), its origin.
    mutating func append(_ count: Int, to buffer: inout [Int32], origins: inout [Origin], every stride: Int) {
        precondition(stride >= 1, "stride ≥ 1")
        buffer.reserveCapacity(buffer.count + count)
        origins.reserveCapacity(origins.count + (count + stride - 1) / stride)
        for i in 0..<count {
            let index = nextIndex()
            if i % stride == 0 {
                origins.append(Origin(index: index, document: documents[order[position]].lowerBound, epoch: epoch))
            }
            buffer.append(tokens[index])
        }
    }

    /// Appends the next row of `length` tokens (its first token is the previous row's last).
    mutating func appendRow(length: Int, to row: inout [Int32]) {
        var n = 0
        if let carry {
            row.append(carry)
            n = 1
        }
        while n < length {
            row.append(next())
            n += 1
        }
        carry = row.last
    }

    /// Epochs consumed: tokens drawn over the tokens of the set.
    var epochs: Double { Double(drawn) / Double(totalTokens) }
}

/// The rows of a training run: `rows` rows drawn without replacement, in a seeded random order, from all the rows of
/// one epoch of a `PackedStream` (of as many epochs as `rows` needs when the selection is smaller than the budget).
/// The epoch is cut into rows of `rowLength` tokens (row r is positions `r·T ..< r·T + T + 1`), so every token an LM
/// trains on is a target once, and a step's `batch` rows come from documents all over the selection.
///
/// **The order is shared by every arm (common random numbers), step for step.** Each row gets a key, a hash of the
/// seed, its epoch, the document its first token comes from (where the document starts in the run's token file) and
/// the *block* of that document the token falls in (its offset in the document divided by T). Neither depends on the
/// arm, so a stretch of a document that two arms both hold gets the same key in both; and no two rows of one epoch
/// share a key (until v8 the block was the token's index in the file divided by T, so rows starting in short
/// neighbouring documents tied and shared a step: 6–7% of the unfiltered arm's rows at *base*, half that for the
/// subsets). The key also fixes the step: a row whose key is the fraction u of the key space goes to slot
/// ⌊u · `referenceRows`⌋, where `referenceRows` is the row count of the whole pool (the unfiltered arm's). An arm
/// trains on its rows with the lowest keys: those that fall in the run's slots keep them, and its other rows (the next
/// keys) fill the slots whose pool rows it does not hold, in key order. So a filtered arm trains on the unfiltered
/// arm's batches, step for step, with the rows of its discarded documents replaced by rows of its own. Each arm still
/// trains on a uniformly random sample of its rows in a random order (distinct blocks get independent keys, and which
/// slots are vacant does not depend on the rows that fill them), so no arm is favoured; what the coupling removes is
/// the noise of two arms drawing unrelated batches. Row boundaries are the arm's own (its documents packed back to
/// back), so a row's block may be off by part of a row between arms; rows of one document are T apart and fall in
/// distinct blocks, which keeps them apart in the order.
///
/// Why rows from the whole epoch (measured on the dev corpus, *small*, 1.2 M tokens, a tenth of an epoch; EVAL.md):
/// until 2026-12-07 each batch was read off the stream, 16 consecutive rows, one or two documents a step, and the LM
/// ended about half a nat worse at equal tokens (unfiltered, seeds 0–2: 6.007, 6.124, 6.065 against 5.449, 5.681,
/// 5.534 with rows drawn from the epoch; a PyTorch replica of the LM, `scripts/eval/torch_replica.py`, showed the same
/// gap). Drawn independently per arm, the final loss of one LM then moved by about 0.1 nats with which rows it drew,
/// between two arms of one seed as much as between seeds, hence the shared order.
struct ShuffledRows {
    let rows: Int
    let rowLength: Int
    private let tokens: [Int32]
    private let order: [Int]

    /// Reads one epoch of `stream` (or `rows · (rowLength − 1) + 1` tokens if that is more) and draws `rows` of its
    /// rows with `seed`: those whose keys are lowest, in the slots their keys give among `referenceRows`
    /// (default: the rows read).
    init(stream: inout PackedStream, rows: Int, rowLength: Int, seed: UInt64, referenceRows: Int? = nil) {
        precondition(rows >= 1 && rowLength >= 2, "rows need at least one row of ≥ 2 tokens")
        self.rows = rows
        self.rowLength = rowLength
        let stride = rowLength - 1
        var tokens: [Int32] = []
        var origins: [PackedStream.Origin] = []
        stream.append(max(rows * stride + 1, stream.totalTokens), to: &tokens, origins: &origins, every: stride)
        self.tokens = tokens
        let count = (tokens.count - 1) / stride
        let keys = (0..<count).map { Self.key(origins[$0], blockLength: stride, seed: seed) }
        let byKey = (0..<count).sorted { (keys[$0], $0) < (keys[$1], $1) }
        let slots = Double(max(1, referenceRows ?? count))
        func slot(_ row: Int) -> Double { (Double(keys[row]) / 0x1p64 * slots).rounded(.down) }
        // Rows whose slot is one of the run's take it (or the next free one); the rows after them in key order fill
        // the vacant slots, never so many that a row of a run slot is left out.
        let early = byKey.prefix { slot($0) < Double(rows) }.count
        var order: [Int] = []
        order.reserveCapacity(rows)
        var e = 0, f = early
        for s in 0..<rows {
            let due = e < early && (slot(byKey[e]) <= Double(s) || rows - s <= early - e)
            if due || f == count {
                order.append(byKey[e]); e += 1
            } else {
                order.append(byKey[f]); f += 1
            }
        }
        self.order = order
    }

    /// The place of a row in the shared order: SplitMix64 of (seed, epoch, the document of its first token and the
    /// block of the document that token falls in).
    static func key(_ origin: PackedStream.Origin, blockLength: Int, seed: UInt64) -> UInt64 {
        let block = UInt64((origin.index - origin.document) / blockLength)
        var document = SplitMix64(seed: seed ^ 0x0123_4567_89AB_CDEF ^ (UInt64(origin.epoch) &* 0x9E37_79B9_7F4A_7C15)
                                      ^ (UInt64(origin.document) &* 0xD6E8_FEB8_6659_FD93))
        var row = SplitMix64(seed: document.next() ^ (block &* 0xA24B_AED4_963E_E407))
        return row.next()
    }

    /// Appends rows `first ..< first + count` of the visiting order.
    func append(first: Int, count: Int, to batch: inout [Int32]) {
        precondition(first >= 0 && count >= 0 && first + count <= rows, "rows \(first)..<\(first + count) of \(rows)")
        for r in order[first..<(first + count)] {
            let start = r * (rowLength - 1)
            batch.append(contentsOf: tokens[start..<(start + rowLength)])
        }
    }
}

/// The validation rows every arm is measured on: the first `T + 1` tokens of each chosen validation document.
///
/// `primary` rows are a raw-mix sample (validation documents in the order of a hash of their id, until the token
/// budget is reached): the overall loss is their token-weighted mean. Rows added afterwards give every source
/// at least a minimum number of rows; per-source losses use all rows of the source.
struct EvalSet: Sendable {
    var rows: [[Int32]] = []
    var sources: [String] = []
    var primary: [Bool] = []
    var ids: [String] = []

    var sourceNames: [String] { Array(Set(sources)).sorted() }
    var tokens: Int { rows.reduce(0) { $0 + $1.count - 1 } }
}

/// Loss of one evaluation: overall (token-weighted over primary rows) and per source.
public struct SourceLoss: Codable, Sendable, Hashable {
    public var source: String
    public var loss: Double
}

struct Evaluation {
    var overall: Double
    var perSource: [SourceLoss]
}

/// Trains one causal LM on a stream and measures it on the evaluation set at regular steps.
struct LMTraining {
    struct Point: Codable, Sendable {
        var step: Int
        var tokens: Int
        var loss: Double
        var perSource: [SourceLoss]
    }

    static func evaluate(model: CausalLM<Float>, parameters: [Float], set: EvalSet, batchRows: Int = 32) throws -> Evaluation {
        var sum = 0.0, count = 0
        var perSum: [String: Double] = [:], perCount: [String: Int] = [:]
        var start = 0
        while start < set.rows.count {
            let end = min(set.rows.count, start + batchRows)
            let rows = Array(set.rows[start..<end])
            let length = rows.map(\.count).max() ?? 2
            let batch = try TokenBatch(rows: rows, sequenceLength: length)
            let result = try model.loss(parameters: parameters, batch: batch)
            for (j, row) in rows.enumerated() {
                let n = row.count - 1
                let l = Double(result.perExample[j]) * Double(n)
                if set.primary[start + j] { sum += l; count += n }
                perSum[set.sources[start + j], default: 0] += l
                perCount[set.sources[start + j], default: 0] += n
            }
            start = end
        }
        let per = perSum.keys.sorted().map { SourceLoss(source: $0, loss: perSum[$0]! / Double(max(1, perCount[$0]!))) }
        return Evaluation(overall: sum / Double(max(1, count)), perSource: per)
    }

    /// Steps at which the model is evaluated: 0 and `k·steps/evals` for k = 1…evals.
    static func evaluationSteps(steps: Int, evals: Int) -> [Int] {
        Array(Set([0] + (1...max(1, evals)).map { Int((Double($0) * Double(steps) / Double(max(1, evals))).rounded()) })).sorted()
    }

    /// Trains `scale` from the initialisation drawn from `seed` on `steps · batch` rows drawn from an epoch of
    /// `stream` by `ShuffledRows` (their steps aligned to the rows of `referenceTokens`, the pool's tokens, if given);
    /// returns the curve and the final parameters.
    /// `onStep(step, steps, trainLoss)` is called after every step.
    static func train(
        scale: EvalScale, vocabularySize: Int, stream: inout PackedStream, referenceTokens: Int? = nil, evalSet: EvalSet?, evals: Int,
        seed: UInt64, onStep: (Int, Int, Float) -> Void
    ) throws -> (curve: [Point], parameters: [Float], model: CausalLM<Float>) {
        let config = scale.config(vocabularySize: vocabularySize)
        let model = try CausalLM<Float>(config: config)
        var theta: [Float] = []
        model.initialize(parameters: &theta, seed: seed)
        var gradient = [Float](repeating: 0, count: theta.count)
        let mask = WeightDecayMask(layout: model.layout) { $0.shape.count == 2 }
        var optimizer = try AdamW<Float>(config: AdamWConfig(learningRate: scale.learningRate, beta1: 0.9, beta2: 0.95,
                                                             epsilon: 1e-8, weightDecay: scale.weightDecay),
                                         count: theta.count, decayMask: mask)
        let steps = scale.steps
        let schedule = CosineSchedule(learningRate: scale.learningRate, minLearningRate: scale.learningRate * scale.minLearningRateFraction,
                                      warmupSteps: scale.warmupSteps, totalSteps: steps)
        let evalAt = Set(evaluationSteps(steps: steps, evals: evals))
        var curve: [Point] = []
        func measure(_ step: Int) throws {
            guard let evalSet, evalAt.contains(step) else { return }
            let e = try evaluate(model: model, parameters: theta, set: evalSet)
            curve.append(Point(step: step, tokens: step * scale.tokensPerStep, loss: e.overall, perSource: e.perSource))
        }
        try measure(0)
        let rowLength = scale.contextLength + 1
        let rowOrder = ShuffledRows(stream: &stream, rows: steps * scale.batchSize, rowLength: rowLength, seed: seed,
                                    referenceRows: referenceTokens.map { max(1, ($0 - 1) / scale.contextLength) })
        var rows: [Int32] = []
        rows.reserveCapacity(scale.batchSize * rowLength)
        let lengths = [Int](repeating: rowLength, count: scale.batchSize)
        for step in 0..<steps {
            rows.removeAll(keepingCapacity: true)
            rowOrder.append(first: step * scale.batchSize, count: scale.batchSize, to: &rows)
            let batch = try TokenBatch(tokens: rows, lengths: lengths, sequenceLength: rowLength)
            let result = try model.lossAndGradient(parameters: theta, batch: batch, gradient: &gradient)
            guard result.loss.isFinite else {
                throw CurationError(.stageFailed, "eval: \(scale.name) training diverged at step \(step + 1) (loss \(result.loss))",
                                    hint: "lower the learning rate of the \(scale.name) configuration")
            }
            _ = GradientClipping.clipGlobalNorm(&gradient, maxNorm: scale.clipNorm)
            optimizer.update(parameters: &theta, gradients: gradient, learningRate: Float(schedule.learningRate(at: optimizer.step)))
            onStep(step + 1, steps, result.loss)
            try measure(step + 1)
        }
        return (curve, theta, model)
    }
}
