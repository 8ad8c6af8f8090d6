import Foundation
import MetaLearning
import ShardIO
import Tokenization

/// The arms of `datarater eval`: which documents of the training pool an LM may train on.
public enum EvalArm: String, Codable, Sendable, CaseIterable {
    /// The DataRater's kept set (`kept/` after `write`).
    case datarater
    /// Every document of the pool.
    case unfiltered
    /// A seeded random subset of the DataRater's keep fraction.
    case random
    /// The keep fraction with the lowest / middle / highest perplexity under the reference LM.
    case perplexityLow = "perplexity-low"
    case perplexityMiddle = "perplexity-middle"
    case perplexityHigh = "perplexity-high"
    /// Documents that pass C4's rules, or Gopher's quality rules (`HeuristicFilters`), at their own rate.
    case c4
    case gopher

    public var usesReference: Bool { [.perplexityLow, .perplexityMiddle, .perplexityHigh].contains(self) }

    public static let defaults: [EvalArm] = [.datarater, .unfiltered, .random, .perplexityLow, .c4, .gopher]
}

/// The documents an evaluation reads, split three ways by `SplitRule` (the one meta-training used):
///
/// - **pool** (`inner_train`): what every arm selects from and trains on;
/// - **outer**: where the reference LM of the perplexity baseline trains (the meta-objective's held-out split);
/// - **validation**: never trained on by any arm, by the reference LM or by meta-training; the evaluation set.
struct EvalCorpus: Sendable {
    struct PoolDocument: Sendable {
        var id: String
        var source: String
        var range: Range<Int>
        var kept: Bool
        var c4: Bool
        var gopher: Bool
    }

    /// Tokens of the pool and outer documents, back to back.
    var tokens: [Int32] = []
    var pool: [PoolDocument] = []
    var outer: [Range<Int>] = []
    var outerIDs: [String] = []
    /// Validation documents: id, source and their first tokens (at most `maxPrefix`).
    var validation: [(id: String, source: String, tokens: [Int32])] = []
    var vocabularySize = 0
    var validationDocuments: Int { validation.count }
    var poolTokens: Int { pool.reduce(0) { $0 + $1.range.count } }

    /// Reads docs, tokens and the write stage's kept set; `heuristics` runs the C4 and Gopher rules on pool texts.
    static func load(_ run: RunDirectory, splits: SplitRule, maxPrefix: Int, heuristics: Bool,
                     progress: ProgressReporter) throws -> (EvalCorpus, [ShardSummary]) {
        let manifest = try Manifest.load(run)
        guard let write = manifest.stages[WriteStage.name], write.status == .complete else {
            throw CurationError(.stageNotRun, "\(run.root): the write stage has not completed",
                                hint: "run the pipeline up to `datarater write \(run.root)` first (`datarater status \(run.root)` shows what is done)")
        }
        let docs = try ShardVerification.verifiedOutputs(of: ShardStage.name, prefix: "docs/", in: run)
        let tokenShards = try ShardVerification.verifiedOutputs(of: TokenizeStage.name, prefix: "tokens/", in: run)
        let keptShards = try ShardVerification.verifiedOutputs(of: WriteStage.name, prefix: "kept/tokens/", in: run)
            .filter { $0.path.hasSuffix(".tok.zst") }
        guard docs.count == tokenShards.count else {
            throw CurationError(.shardMismatch, "\(run.root): \(docs.count) document shards but \(tokenShards.count) token shards",
                                hint: "rerun `datarater tokenize \(run.root)`")
        }
        var kept = Set<String>()
        for shard in keptShards {
            var reader = try TokenShardReader(path: run.path(shard.path))
            while let record = try reader.next() { kept.insert(record.id) }
        }
        var corpus = EvalCorpus()
        var maxID: UInt32 = 0
        for (docShard, tokenShard) in zip(docs, tokenShards) {
            var docReader = try JSONLShardReader(path: run.path(docShard.path))
            var tokenReader = try TokenShardReader(path: run.path(tokenShard.path))
            while let document = try docReader.next({ try Document(jsonLine: $0) }) {
                guard let record = try tokenReader.next(), record.id == document.id else {
                    throw CurationError(.shardMismatch, "\(run.path(tokenShard.path)) is not aligned with \(run.path(docShard.path)) at line \(docReader.lineNumber)",
                                        hint: "rerun `datarater tokenize \(run.root)`")
                }
                for t in record.tokens where t > maxID { maxID = t }
                switch splits.split(of: document.id) {
                case .validation:
                    corpus.validation.append((document.id, document.source, record.tokens.prefix(maxPrefix).map { Int32(bitPattern: $0) }))
                case .outer:
                    let start = corpus.tokens.count
                    corpus.tokens.append(contentsOf: record.tokens.lazy.map { Int32(bitPattern: $0) })
                    corpus.outer.append(start..<corpus.tokens.count)
                    corpus.outerIDs.append(document.id)
                case .innerTrain:
                    let start = corpus.tokens.count
                    corpus.tokens.append(contentsOf: record.tokens.lazy.map { Int32(bitPattern: $0) })
                    corpus.pool.append(PoolDocument(
                        id: document.id, source: document.source, range: start..<corpus.tokens.count, kept: kept.contains(document.id),
                        c4: heuristics ? HeuristicFilters.c4(document.text) == nil : true,
                        gopher: heuristics ? HeuristicFilters.gopher(document.text) == nil : true))
                }
                progress.tick("loaded \(corpus.pool.count) pool, \(corpus.outer.count) outer, \(corpus.validation.count) validation documents")
            }
        }
        corpus.vocabularySize = Int(maxID) + 1
        if let tokenize = manifest.stages[TokenizeStage.name], let path = tokenize.inputs.first?.path, tokenize.configuration["tokenizer_sha256"] != nil,
           let tokenizer = try? Tokenizer(contentsOf: path) {
            corpus.vocabularySize = max(corpus.vocabularySize, tokenizer.vocabularySize)
        }
        return (corpus, tokenShards)
    }

    /// The evaluation rows for a context of `context` positions (see `EvalSet`).
    func evalSet(context: Int, tokenBudget: Int, minRowsPerSource: Int) -> EvalSet {
        let order = validation.indices.filter { validation[$0].tokens.count >= 2 }
            .sorted { (SplitRule.hashForSampling(validation[$0].id), validation[$0].id) < (SplitRule.hashForSampling(validation[$1].id), validation[$1].id) }
        var set = EvalSet()
        var used = Set<Int>()
        var perSource: [String: Int] = [:]
        func add(_ i: Int, primary: Bool) {
            set.rows.append(Array(validation[i].tokens.prefix(context + 1)))
            set.sources.append(validation[i].source)
            set.primary.append(primary)
            set.ids.append(validation[i].id)
            used.insert(i)
            perSource[validation[i].source, default: 0] += 1
        }
        for i in order where set.tokens < tokenBudget { add(i, primary: true) }
        for i in order where !used.contains(i) && perSource[validation[i].source, default: 0] < minRowsPerSource { add(i, primary: false) }
        return set
    }

    /// The pool documents each arm trains on (indices into `pool`, in pool order).
    ///
    /// `keepFraction` (the DataRater's, over the pool) sizes the random and perplexity arms: n = round(f·|pool|).
    /// Random: the n smallest values of a hash of (seed, id). Perplexity: pool documents sorted by the reference
    /// LM's mean token loss (ties by id); low keeps the first n, high the last n, middle drops ⌊(|pool|−n)/2⌋ from
    /// the bottom and the rest from the top.
    ///
    /// `matchSources` (set when the threshold was per source, so the DataRater only chose *within* each source):
    /// random and perplexity apply the same rules inside every source, keeping as many of its documents as the
    /// DataRater kept, so every arm trains on the same mixture and only the choice within sources differs.
    func selection(_ arm: EvalArm, keepFraction: Double, seed: UInt64, referenceLosses: [Float]?, matchSources: Bool = false) -> [Int] {
        let all = Array(pool.indices)
        switch arm {
        case .unfiltered: return all
        case .datarater: return all.filter { pool[$0].kept }
        case .c4: return all.filter { pool[$0].c4 }
        case .gopher: return all.filter { pool[$0].gopher }
        case .random, .perplexityLow, .perplexityMiddle, .perplexityHigh:
            guard matchSources else {
                return Self.choose(arm, from: all, count: Int((keepFraction * Double(pool.count)).rounded()), pool: pool, seed: seed,
                                   referenceLosses: referenceLosses)
            }
            let bySource = Dictionary(grouping: all) { pool[$0].source }
            return bySource.keys.sorted().flatMap { source in
                let members = bySource[source]!
                return Self.choose(arm, from: members, count: members.filter { pool[$0].kept }.count, pool: pool, seed: seed,
                                   referenceLosses: referenceLosses)
            }.sorted()
        }
    }

    /// `count` of `candidates` (pool indices, ascending) by the random or a perplexity rule; ascending.
    private static func choose(_ arm: EvalArm, from candidates: [Int], count n: Int, pool: [PoolDocument], seed: UInt64,
                               referenceLosses: [Float]?) -> [Int] {
        switch arm {
        case .random:
            let keys = Dictionary(uniqueKeysWithValues: candidates.map { ($0, Checksum.of("random\u{0}\(seed)\u{0}" + pool[$0].id)) })
            return candidates.sorted { (keys[$0]!, $0) < (keys[$1]!, $1) }.prefix(n).sorted()
        case .perplexityLow, .perplexityMiddle, .perplexityHigh:
            guard let losses = referenceLosses else { preconditionFailure("perplexity arms need the reference LM's losses") }
            let ranked = candidates.sorted { (losses[$0], pool[$0].id) < (losses[$1], pool[$1].id) }
            let start: Int
            switch arm {
            case .perplexityLow: start = 0
            case .perplexityHigh: start = candidates.count - n
            default: start = (candidates.count - n) / 2
            }
            return ranked[start..<(start + n)].sorted()
        default:
            preconditionFailure("\(arm) is not chosen by count")
        }
    }
}
