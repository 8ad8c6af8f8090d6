import Foundation
import Testing
@testable import Curation
import MetaLearning
import Models
import ShardIO

/// `datarater eval` on a tiny generated run (stand-in tokens and scores, tiny LMs), and its rules and accounting.
@Suite struct EvalTests {
    static let tiny = EvalScale(name: "tiny", dModel: 16, nLayers: 1, nHeads: 2, contextLength: 16, batchSize: 4, tokens: 40 * 64,
                                learningRate: 3e-3)

    /// A written run: stand-in tokens (bytes) and scores from `CurationFlowTests`, threshold 30%, and a DataRater
    /// configuration file for the scoring FLOPs.
    static func writtenRun(_ dir: TemporaryDirectory) throws -> RunDirectory {
        let run = try CurationFlowTests.scoredRun(dir)
        try ThresholdStage.run(run, options: .init(discardFraction: 0.3), command: ["test"])
        try WriteStage.run(run, options: .init(), command: ["test"])
        let model = DataRaterModelConfig(model: LMConfig(vocabSize: 256, dModel: 8, nLayers: 1, nHeads: 2, contextLength: 32),
                                         chunking: ChunkingRule(chunkLength: 32, maxChunks: 2), tokenizerSHA256: "stand-in",
                                         metaSteps: 1, seed: 0)
        try FileIO.createDirectory(TrainStage.modelDirectory(run))
        try FileIO.writeFileAtomically(Checkpoint.configPath(directory: TrainStage.modelDirectory(run)), Array(try JSONEncoder().encode(model)))
        return run
    }

    static func options(workers: Int = 2) -> EvalStage.Options {
        var options = EvalStage.Options()
        options.scales = [tiny]
        options.arms = [.datarater, .unfiltered, .random, .perplexityLow, .perplexityHigh]
        options.reference = EvalScale(name: "reference", dModel: 16, nLayers: 1, nHeads: 2, contextLength: 16, batchSize: 4,
                                      tokens: 20 * 64, learningRate: 3e-3)
        options.evals = 4
        options.evalTokens = 400
        options.workers = workers
        options.seed = 7
        return options
    }

    @Test func armsTrainTheSameBudgetOnDisjointSplitsAndWriteTheReport() throws {
        let dir = TemporaryDirectory()
        let run = try Self.writtenRun(dir)
        var options = Self.options()
        options.budgets = [0.5]
        let report = try EvalStage.run(run, options: options, command: ["test"])
        let scale = try #require(report.scales.first)
        #expect(scale.arms.map(\.arm) == options.arms)
        // Same budget for every arm, the same evaluation steps, and no arm trained on validation documents.
        for arm in scale.arms {
            #expect(arm.trainedTokens == Self.tiny.trainedTokens)
            #expect(arm.curve.map(\.tokens) == scale.arms[0].curve.map(\.tokens))
            #expect(arm.curve.last?.tokens == Self.tiny.trainedTokens)
            #expect(arm.curve.allSatisfy { $0.loss.isFinite && $0.loss > 0 })
            #expect(arm.reused == false)
        }
        let unfiltered = try #require(scale.arms.first { $0.arm == .unfiltered })
        let datarater = try #require(scale.arms.first { $0.arm == .datarater })
        let random = try #require(scale.arms.first { $0.arm == .random })
        #expect(unfiltered.documents == report.poolDocuments)
        #expect(random.documents == Int((report.keepFraction * Double(report.poolDocuments)).rounded()))
        #expect(datarater.documents == Int((report.keepFraction * Double(report.poolDocuments)).rounded()))
        #expect(abs(report.discardFraction - 0.3) < 0.1)
        // Epochs are tokens drawn over the selection's tokens: a subset of the pool is further through its data.
        #expect(datarater.epochs > unfiltered.epochs)
        // Selection compute is charged only to the arms that score.
        #expect(unfiltered.selectionFixedFlops == 0 && unfiltered.selectionScoringFlops == 0 && random.selectionScoringFlops == 0)
        #expect(datarater.selectionScoringFlops > 0 && datarater.selectionFixedFlops == 0)
        let perplexity = try #require(scale.arms.first { $0.arm == .perplexityLow })
        #expect(perplexity.selectionFixedFlops == report.reference?.trainingFlops)
        #expect(perplexity.totalFlops > unfiltered.totalFlops)
        #expect(scale.peakLearningRate == Self.tiny.learningRate && scale.warmupSteps == Self.tiny.warmupSteps)
        // The budget run: the DataRater set on the most whole steps whose FLOPs (scoring pro rata) fit in half the
        // unfiltered arm's, trained to the end of its own schedule; the budget-matched saving follows from the finals.
        let budget = try #require(scale.budgetRuns?.first)
        #expect(scale.budgetRuns?.count == 1 && budget.fraction == 0.5 && budget.run.arm == .datarater)
        #expect(budget.run.trainedTokens == budget.steps * Self.tiny.tokensPerStep && budget.run.curve.last?.tokens == budget.run.trainedTokens)
        #expect(budget.run.totalFlops <= 0.5 * unfiltered.totalFlops)
        let oneMore = Double(budget.run.trainedTokens + Self.tiny.tokensPerStep)
        #expect(scale.trainingFlopsPerToken * oneMore + budget.run.selectionFlops(atTokens: oneMore) > 0.5 * unfiltered.totalFlops)
        #expect(budget.steps >= Self.tiny.steps / 3 && budget.run.documents == datarater.documents && !budget.run.reused)
        let matched = EvalReport.budgetMatchedSaving(target: unfiltered.finalLoss, budget: unfiltered.totalFlops,
                                                     runs: [(budget.run.totalFlops, budget.run.finalLoss), (datarater.totalFlops, datarater.finalLoss)])
        #expect(scale.budgetMatchedComputeSaved == matched?.saved && scale.budgetMatchedIsLowerBound == matched?.lowerBound)
        #expect(FileManager.default.fileExists(atPath: run.path("eval/runs/tiny-datarater-budget-0.5.json")))
        let markdown = try String(contentsOfFile: EvalStage.directory(run) + "/report.md", encoding: .utf8)
        #expect(markdown.contains("Compute saved, budget-matched: ") && scale.summary.contains("trained to the end of its schedule on "))
        #expect(try String(contentsOfFile: EvalStage.directory(run) + "/report.md", encoding: .utf8)
            .contains("after \(Self.tiny.warmupSteps) warm-up steps"))
        // The summary names every rival once, beaten or not, in a sentence.
        let rivals = scale.arms.filter { $0.arm == .random || $0.arm.usesReference }.map(\.arm.rawValue)
        let verdict = try #require(scale.summary.range(of: "; at equal compute it beats ").map { String(scale.summary[$0.upperBound...]) })
        #expect(rivals.allSatisfy { verdict.contains($0) } && !verdict.contains("none of and"))

        let (corpus, _) = try EvalCorpus.load(run, splits: SplitRule(), maxPrefix: 17, heuristics: false, progress: ProgressReporter(label: "t", quiet: true))
        #expect(corpus.pool.allSatisfy { SplitRule().split(of: $0.id) == .innerTrain })
        #expect(corpus.outerIDs.allSatisfy { SplitRule().split(of: $0) == .outer })
        let evalSet = corpus.evalSet(context: 16, tokenBudget: options.evalTokens, minRowsPerSource: options.minRowsPerSource)
        #expect(!evalSet.ids.isEmpty && evalSet.ids.allSatisfy { SplitRule().split(of: $0) == .validation })
        let poolIDs = Set(corpus.pool.map(\.id))
        #expect(poolIDs.isDisjoint(with: evalSet.ids) && poolIDs.isDisjoint(with: corpus.outerIDs))
        let losses = [Float](corpus.pool.indices.map { Float($0 % 13) })
        for arm in EvalArm.allCases where arm != .c4 && arm != .gopher {
            let chosen = corpus.selection(arm, keepFraction: report.keepFraction, seed: 7, referenceLosses: losses)
            #expect(chosen.allSatisfy { corpus.pool.indices.contains($0) }, "\(arm)")
        }
        let low = Set(corpus.selection(.perplexityLow, keepFraction: 0.5, seed: 0, referenceLosses: losses))
        let high = Set(corpus.selection(.perplexityHigh, keepFraction: 0.5, seed: 0, referenceLosses: losses))
        #expect(low.map { losses[$0] }.max()! <= high.map { losses[$0] }.min()!)

        // Files: the report, the CSV (parses, one row per arm × evaluation × (overall + sources)), one SVG, the manifest.
        let eval = EvalStage.directory(run)
        for name in ["report.json", "report.md", "curves.csv", "loss-vs-flops-tiny.svg"] {
            #expect(FileManager.default.fileExists(atPath: eval + "/" + name), "\(name)")
        }
        let lines = try String(contentsOfFile: eval + "/curves.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "scale,arm,step,tokens,training_flops,selection_flops,total_flops,source,loss")
        var overall = 0
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(fields.count == 9, "\(line)")
            #expect(Int(fields[2]) != nil && Int(fields[3]) != nil)
            #expect([4, 5, 6, 8].allSatisfy { Double(fields[$0]) != nil }, "\(line)")
            if fields[7] == "all" { overall += 1 }
        }
        #expect(overall == scale.arms.reduce(0) { $0 + $1.curve.count } + budget.run.curve.count)
        #expect(lines.contains { $0.hasPrefix("tiny,datarater-budget-0.5,\(budget.steps),") })
        let svg = try String(contentsOfFile: eval + "/loss-vs-flops-tiny.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<polyline").count == options.arms.count + 1 + 1)
        let record = try #require(try Manifest.load(run).stages[EvalStage.name])
        #expect(record.status == .complete && record.outputs.contains { $0.path == "eval/report.json" })
        // The audit page links the evaluation.
        let page = AuditTool.html(try AuditTool.report(run))
        #expect(page.contains("<h2>Evaluation</h2>") && page.contains("<polyline") && page.contains("eval/report.md"))
    }

    /// After a per-source threshold the DataRater only chose within sources; random and perplexity then keep its
    /// mixture exactly, so the comparison is about the choice within sources.
    @Test func perSourceThresholdMatchesTheMixtureOfRandomAndPerplexityArms() throws {
        let dir = TemporaryDirectory()
        let run = try Self.writtenRun(dir)
        var threshold = ThresholdStage.Options(discardFraction: 0.4)
        threshold.perSource = true
        try ThresholdStage.run(run, options: threshold, command: ["test"])
        // The kept set on disk is still the old threshold's: eval refuses until `write` has run again.
        #expect(throws: CurationError.self) { try EvalStage.run(run, options: Self.options(), command: ["test"]) }
        try WriteStage.run(run, options: .init(), command: ["test"])
        let (corpus, _) = try EvalCorpus.load(run, splits: SplitRule(), maxPrefix: 17, heuristics: false, progress: ProgressReporter(label: "t", quiet: true))
        func counts(_ indices: [Int]) -> [String: Int] { Dictionary(grouping: indices) { corpus.pool[$0].source }.mapValues(\.count) }
        let kept = counts(corpus.selection(.datarater, keepFraction: 0, seed: 0, referenceLosses: nil))
        #expect(kept.count >= 2, "the stand-in run has several sources")
        let losses = [Float](corpus.pool.indices.map { Float(($0 * 7) % 11) })
        for arm in [EvalArm.random, .perplexityLow, .perplexityMiddle, .perplexityHigh] {
            let chosen = corpus.selection(arm, keepFraction: 0.6, seed: 3, referenceLosses: losses, matchSources: true)
            #expect(counts(chosen) == kept, "\(arm)")
            #expect(chosen == chosen.sorted() && Set(chosen).count == chosen.count)
        }
        // perplexity-low keeps the lowest losses of every source.
        let low = Set(corpus.selection(.perplexityLow, keepFraction: 0.6, seed: 0, referenceLosses: losses, matchSources: true))
        for (source, members) in Dictionary(grouping: corpus.pool.indices, by: { corpus.pool[$0].source }) {
            let inside = members.filter(low.contains), outside = members.filter { !low.contains($0) }
            if let worstKept = inside.map({ losses[$0] }).max(), let bestDropped = outside.map({ losses[$0] }).min() {
                #expect(worstKept <= bestDropped, "\(source)")
            }
        }
        // The stage reads the threshold's rule and says so in the report.
        var options = Self.options()
        options.arms = [.datarater, .random]
        let report = try EvalStage.run(run, options: options, command: ["test"])
        #expect(report.sourcesMatched == true)
        #expect(report.scales[0].arms.map(\.documents) == [kept.values.reduce(0, +), kept.values.reduce(0, +)])
        #expect(try String(contentsOfFile: EvalStage.directory(run) + "/report.md", encoding: .utf8).contains("threshold was per source"))
    }

    @Test func perplexityArmsWorkWhenNoScaleSharesTheReferencesContext() throws {
        // `eval --scales base --arms perplexity-low`: the reference LM (context 16 here) is validated on rows of its
        // own context, not on the scale's longer rows (it used to fail with "sequenceTooLong").
        let dir = TemporaryDirectory()
        let run = try Self.writtenRun(dir)
        var options = Self.options()
        options.scales = [EvalScale(name: "wide", dModel: 16, nLayers: 1, nHeads: 2, contextLength: 24, batchSize: 4, tokens: 20 * 96,
                                    learningRate: 3e-3)]
        options.arms = [.unfiltered, .perplexityLow]
        let report = try EvalStage.run(run, options: options, command: ["test"])
        let reference = try #require(report.reference)
        #expect(reference.validationLoss.isFinite && reference.validationLoss > 0)
        #expect(report.scales[0].arms.map(\.arm) == [.unfiltered, .perplexityLow])
    }

    @Test func rerunsReuseFinishedLMsAndResultsAreDeterministic() throws {
        let dir = TemporaryDirectory()
        let run = try Self.writtenRun(dir)
        var options = Self.options()
        options.arms = [.datarater, .unfiltered, .random]
        options.budgets = [0.6]
        let first = try EvalStage.run(run, options: options, command: ["test"])
        let again = try EvalStage.run(run, options: options, command: ["test"])
        #expect(again.scales[0].arms.allSatisfy { $0.reused } && again.scales[0].budgetRuns?.allSatisfy { $0.run.reused } == true)
        #expect(again.scales[0].budgetRuns?.first?.run.curve.map(\.loss) == first.scales[0].budgetRuns?.first?.run.curve.map(\.loss))
        // Budgets compare with the unfiltered arm and retrain the datarater arm: without them, a clear error.
        var lone = options
        lone.arms = [.datarater, .random]
        #expect(throws: CurationError.self) { try EvalStage.run(run, options: lone, command: ["test"]) }
        lone.arms = options.arms
        lone.budgets = [1]
        #expect(throws: CurationError.self) { try EvalStage.run(run, options: lone, command: ["test"]) }
        // Redone from scratch on one worker: identical curves.
        try FileManager.default.removeItem(atPath: run.path("eval/runs"))
        options.workers = 1
        let fresh = try EvalStage.run(run, options: options, command: ["test"])
        #expect(fresh.scales[0].arms.allSatisfy { !$0.reused })
        for (a, b) in zip(first.scales[0].arms, fresh.scales[0].arms) {
            #expect(a.curve.map(\.loss) == b.curve.map(\.loss), "\(a.arm)")
            #expect(a.curve.flatMap { $0.perSource.map(\.loss) } == b.curve.flatMap { $0.perSource.map(\.loss) })
        }
        // Another seed changes them; a changed setting retrains.
        options.seed = 8
        let other = try EvalStage.run(run, options: options, command: ["test"])
        #expect(other.scales[0].arms.allSatisfy { !$0.reused })
        #expect(other.scales[0].arms[1].curve.map(\.loss) != first.scales[0].arms[1].curve.map(\.loss))
    }

    @Test func packedStreamCoversEveryTokenOncePerEpoch() {
        let tokens = (0..<50).map { Int32($0) }
        let documents = [0..<10, 10..<25, 25..<26, 26..<50]
        var stream = PackedStream(tokens: tokens, documents: documents, seed: 3)
        var rows: [Int32] = []
        for _ in 0..<7 { stream.appendRow(length: 8, to: &rows) }
        // Consecutive rows share one token; the 7·7 + 1 = 50 streamed tokens are one epoch, each token once.
        for r in 1..<7 { #expect(rows[r * 8] == rows[r * 8 - 1]) }
        var streamed = [rows[0]]
        for r in 0..<7 { streamed += rows[(r * 8 + 1)..<(r * 8 + 8)] }
        #expect(streamed.count == 50 && Set(streamed).count == 50)
        #expect(stream.epochs == 1.0)
        // Documents stay contiguous.
        let start = streamed.firstIndex(of: 10)!
        #expect(Array(streamed[start..<(start + 15)]) == (10..<25).map { Int32($0) })
        var again = PackedStream(tokens: tokens, documents: documents, seed: 3)
        var rows2: [Int32] = []
        for _ in 0..<7 { again.appendRow(length: 8, to: &rows2) }
        #expect(rows == rows2)
        stream.appendRow(length: 8, to: &rows)
        #expect(stream.epoch == 1 && stream.epochs > 1)

        // Common random numbers: a subset streams its documents in the order the full set does.
        func documentOrder(_ documents: [Range<Int>], seed: UInt64) -> [Int32] {
            var s = PackedStream(tokens: tokens, documents: documents, seed: seed)
            var row: [Int32] = []
            s.appendRow(length: documents.reduce(0) { $0 + $1.count } - 1, to: &row)
            return row.filter { t in documents.contains { $0.lowerBound == Int(t) } }
        }
        let many = (0..<25).map { 2 * $0 ..< 2 * $0 + 2 }
        let subset = many.enumerated().filter { $0.offset % 3 != 1 }.map(\.element)
        let fullOrder = documentOrder(many, seed: 5)
        #expect(documentOrder(subset, seed: 5) == fullOrder.filter { t in subset.contains { $0.lowerBound == Int(t) } })
        #expect(fullOrder != many.map { Int32($0.lowerBound) }, "shuffled")
        #expect(documentOrder(many, seed: 6) != fullOrder, "the seed changes the order")
    }

    @Test func shuffledRowsDrawTheirRowsFromAWholeEpoch() {
        let tokens = (0..<200).map { Int32($0) }
        let documents = (0..<20).map { 10 * $0 ..< 10 * $0 + 10 }
        func rows(_ values: [Int32]) -> [[Int32]] { stride(from: 0, to: values.count, by: 9).map { Array(values[$0..<($0 + 9)]) } }
        // The rows the stream yields one after another: 24 rows of 8 targets are one epoch of 200 tokens.
        func sequential(_ count: Int) -> [[Int32]] {
            var stream = PackedStream(tokens: tokens, documents: documents, seed: 4)
            var values: [Int32] = []
            for _ in 0..<count { stream.appendRow(length: 9, to: &values) }
            return rows(values)
        }
        func drawn(_ count: Int, seed: UInt64, split: Int) -> [[Int32]] {
            var stream = PackedStream(tokens: tokens, documents: documents, seed: 4)
            let order = ShuffledRows(stream: &stream, rows: count, rowLength: 9, seed: seed)
            var batch: [Int32] = []
            order.append(first: 0, count: split, to: &batch)
            order.append(first: split, count: count - split, to: &batch)
            return rows(batch)
        }
        let a = drawn(12, seed: 7, split: 4)
        // Half an epoch's worth: 12 distinct rows of the epoch, from all over it, not its first 12.
        #expect(Set(a).count == 12 && Set(a).isSubset(of: Set(sequential(24))))
        #expect(Set(a) != Set(sequential(12)))
        // More rows than an epoch holds: the stream runs on into the next epoch and every row is used once.
        func sorted(_ rows: [[Int32]]) -> [[Int32]] { rows.sorted { $0.lexicographicallyPrecedes($1) } }
        #expect(sorted(drawn(30, seed: 7, split: 10)) == sorted(sequential(30)))
        // Deterministic for a seed, however the batches are cut; another seed draws other rows or another order.
        #expect(drawn(12, seed: 7, split: 6) == a)
        #expect(drawn(12, seed: 8, split: 4) != a)
    }

    @Test func shuffledRowsVisitTheStretchesTwoArmsShareInOneOrder() {
        // Token values are their own corpus indices, so a row's first token names its corpus block (index / 8).
        let tokens = (0..<800).map { Int32($0) }
        let documents = (0..<20).map { 40 * $0 ..< 40 * $0 + 40 }
        let kept = documents.indices.filter { $0 % 4 != 3 }.map { documents[$0] }
        func blocks(_ documents: [Range<Int>], seed: UInt64, rows: Int? = nil) -> [Int] {
            var stream = PackedStream(tokens: tokens, documents: documents, seed: 4)
            let count = rows ?? (documents.count * 40 - 1) / 8
            let order = ShuffledRows(stream: &stream, rows: count, rowLength: 9, seed: seed)
            var batch: [Int32] = []
            order.append(first: 0, count: count, to: &batch)
            return stride(from: 0, to: batch.count, by: 9).map { Int(batch[$0]) / 8 }
        }
        func sharedOrder(_ a: [Int], _ b: [Int]) -> ([Int], [Int]) {
            func once(_ x: [Int]) -> Set<Int> { Set(x.filter { v in x.filter { $0 == v }.count == 1 }) }
            let common = once(a).intersection(once(b))
            return (a.filter(common.contains), b.filter(common.contains))
        }
        let full = blocks(documents, seed: 7), part = blocks(kept, seed: 7)
        let (f, p) = sharedOrder(full, part)
        #expect(3 * f.count >= 2 * part.count, "most of the kept arm's rows start in blocks the full arm's rows start in too")
        #expect(f == p, "the blocks both arms hold are visited in one order")
        // Each arm's order is still a random one: another seed reorders it, and an order drawn with another seed
        // does not follow the full arm's.
        #expect(blocks(kept, seed: 8) != part)
        let (f2, p2) = sharedOrder(full, blocks(kept, seed: 8))
        #expect(f2 != p2)
    }

    @Test func rowsOfShortNeighbouringDocumentsGetDistinctKeys() {
        // 100 documents of 1–4 tokens: a block of 8 tokens of the file holds the first tokens of several rows. Keyed
        // by that block (order v7), rows tied and shared a step; keyed by document and block in it, no two rows tie.
        let lengths = (0..<100).map { 1 + ($0 * 7) % 4 }
        var documents: [Range<Int>] = [], start = 0
        for n in lengths { documents.append(start ..< start + n); start += n }
        let tokens = (0..<start).map { Int32($0) }
        var stream = PackedStream(tokens: tokens, documents: documents, seed: 4)
        var values: [Int32] = [], origins: [PackedStream.Origin] = []
        stream.append(2 * start, to: &values, origins: &origins, every: 8)
        #expect(origins.count == (2 * start + 7) / 8 && Set(origins.map(\.epoch)) == [0, 1])
        for origin in origins { #expect(documents.contains { $0.lowerBound == origin.document && $0.contains(origin.index) }) }
        let keys = origins.map { ShuffledRows.key($0, blockLength: 8, seed: 7) }
        #expect(Set(keys).count == keys.count, "\(keys.count - Set(keys).count) rows share a key")
        let corpusBlocks = origins.map { [$0.epoch, $0.index / 8] }
        #expect(Set(corpusBlocks).count < corpusBlocks.count, "the old key, the corpus block, would tie")
        // A key depends on the origin alone (so two arms holding a stretch agree on it), and the epoch reorders.
        var moved = origins[0]
        #expect(ShuffledRows.key(moved, blockLength: 8, seed: 7) == keys[0])
        moved.epoch += 1
        #expect(ShuffledRows.key(moved, blockLength: 8, seed: 7) != keys[0])
    }

    @Test func shuffledRowsKeepTheSharedRowsInTheirSteps() {
        // Aligned to the pool's rows, a filtered arm trains on the unfiltered arm's batches step for step, with the
        // rows of its dropped documents replaced. Token values are their corpus indices (blocks of 8 tokens).
        let tokens = (0..<4000).map { Int32($0) }
        let documents = (0..<50).map { 80 * $0 ..< 80 * $0 + 80 }
        let kept = documents.indices.filter { $0 % 4 != 3 }.map { documents[$0] }
        let poolRows = (4000 - 1) / 8
        func slots(_ documents: [Range<Int>], rows: Int, aligned: Bool, seed: UInt64 = 7) -> [Int] {
            var stream = PackedStream(tokens: tokens, documents: documents, seed: 4)
            let order = ShuffledRows(stream: &stream, rows: rows, rowLength: 9, seed: seed, referenceRows: aligned ? poolRows : nil)
            var batch: [Int32] = []
            order.append(first: 0, count: rows, to: &batch)
            return stride(from: 0, to: batch.count, by: 9).map { Int(batch[$0]) / 8 }
        }
        // Rows of `b` whose block `a` visits in the same step of 8 rows.
        func sameSlot(_ a: [Int], _ b: [Int]) -> Int {
            var stepOf: [Int: Int] = [:]
            for (i, block) in a.enumerated() { stepOf[block] = i / 8 }
            return b.enumerated().filter { stepOf[$0.element] == $0.offset / 8 }.count
        }
        let full = slots(documents, rows: 120, aligned: true), part = slots(kept, rows: 120, aligned: true)
        // The kept arm holds 3/4 of the documents; 72 of its 120 rows start in a block the full arm visits in the
        // same step (a row straddling two documents may start a block off, a slot taken twice moves a row on).
        #expect(sameSlot(full, part) >= 60, "\(sameSlot(full, part)) of 120 rows in the same step")
        // Unaligned, the kept arm runs ahead of the full arm through the shared order: 17 match.
        #expect(sameSlot(full, slots(kept, rows: 120, aligned: false)) < 30)
        // The same set of rows as the unaligned order: the arm's 120 lowest keys, each once.
        #expect(Set(part) == Set(slots(kept, rows: 120, aligned: false)) && Set(part).count == 120)
        // Another seed draws other rows (2 match).
        #expect(sameSlot(full, slots(kept, rows: 120, aligned: true, seed: 8)) < 30)
    }

    @Test func stratifiedStreamKeepsEverySourcesShareInEveryPrefix() {
        // 60 one-token documents of source "a", 30 of "b", 10 of "c": every prefix of the stream holds each source
        // in its share of the set, to within about a document (≤ 1.2 over 2,000 random phases in a simulation; a
        // hash order alone drifts by 4 at the median).
        let documents = (0..<100).map { $0 ..< $0 + 1 }
        let sources = (0..<100).map { $0 < 60 ? "a" : $0 < 90 ? "b" : "c" }
        let tokens = (0..<100).map { Int32($0) }
        func streamed(_ documents: [Range<Int>], _ sources: [String]?, seed: UInt64) -> [Int32] {
            var s = PackedStream(tokens: tokens, documents: documents, strata: sources, seed: seed)
            var row: [Int32] = []
            s.appendRow(length: documents.count, to: &row)
            return Array(row.prefix(documents.count))
        }
        func worstDrift(_ order: [Int32]) -> Double {
            var seen: [String: Int] = [:], worst = 0.0
            for (k, t) in order.enumerated() {
                seen[sources[Int(t)], default: 0] += 1
                for (source, share) in [("a", 0.6), ("b", 0.3), ("c", 0.1)] {
                    worst = max(worst, abs(Double(seen[source, default: 0]) - share * Double(k + 1)))
                }
            }
            return worst
        }
        for seed: UInt64 in 0..<5 {
            let order = streamed(documents, sources, seed: seed)
            #expect(Set(order).count == 100, "every document once per epoch")
            #expect(worstDrift(order) <= 1.5, "seed \(seed): drift \(worstDrift(order))")
        }
        #expect(streamed(documents, sources, seed: 1) != streamed(documents, sources, seed: 2), "the seed changes the order")
        #expect((0..<5).map { worstDrift(streamed(documents, nil, seed: $0)) }.max()! > 2, "unstratified drifts")
        // Common random numbers within a source: a subset streams each source's documents in the full set's order.
        let subset = documents.indices.filter { $0 % 4 != 3 }
        let full = streamed(documents, sources, seed: 7)
        let part = streamed(subset.map { documents[$0] }, subset.map { sources[$0] }, seed: 7)
        for source in ["a", "b", "c"] {
            #expect(part.filter { sources[Int($0)] == source } == full.filter { sources[Int($0)] == source && Int($0) % 4 != 3 })
        }
    }

    @Test func flopsAccountingAndComputeSaved() throws {
        let small = EvalScale.small().config(vocabularySize: 4096)
        // 12·L·d² = 393,216; forward = 2·393,216 + 2·128·4096 + 2·2·128·128 = 1,900,544; training = 3×.
        #expect(EvalFLOPs.nonEmbeddingParameters(small) == 393_216)
        #expect(EvalFLOPs.lmForwardPerToken(small, context: 128) == 1_900_544)
        #expect(EvalFLOPs.lmTrainingPerToken(small) == 5_701_632)
        let rater = LMConfig(vocabSize: 4096, dModel: 64, nLayers: 2, nHeads: 4, contextLength: 128)
        let expected: Double = 2 * (2 * 128 * 12 * 64 * 64 + 4 * 128 * 128 * 64)
        #expect(EvalFLOPs.raterChunk(rater, tokens: 128) == expected)

        // First crossing, interpolated linearly in tokens; never reached → nil.
        let curve: [(tokens: Double, loss: Double)] = [(0, 8), (100, 6), (200, 5), (300, 4.5), (400, 4.8)]
        #expect(EvalReport.tokensToReach(5.5, curve: curve) == 150)
        #expect(EvalReport.tokensToReach(4.5, curve: curve) == 300)
        #expect(EvalReport.tokensToReach(4.0, curve: curve) == nil)
        #expect(EvalReport.loss(at: 250, curve: curve.map { ($0.tokens, $0.loss) }) == 4.75)
        #expect(EvalReport.loss(at: 900, curve: curve.map { ($0.tokens, $0.loss) }) == 4.8)

        // Pro-rata selection charge: half the kept tokens trained → half the pool's scoring, plus the fixed part.
        let arm = EvalReport.ArmReport(
            arm: .perplexityLow, documents: 1, documentFraction: 0.5, availableTokens: 1000, trainedTokens: 2000, epochs: 2,
            selectionFixedFlops: 10, selectionScoringFlops: 100, finalLoss: 0, finalPerSource: [], totalFlops: 0,
            lossAtEqualCompute: 0, flopsToUnfilteredFinal: nil, computeSaved: nil, reused: false, seconds: 0, curve: [])
        #expect(arm.selectionFlops(atTokens: 500) == 60)
        #expect(arm.selectionFlops(atTokens: 2000) == 110)

        // Budget-matched saving: final losses of LMs on several budgets, in FLOPs order whatever the input order;
        // interpolated between the last budget above the target and the first at or below it.
        let finals: [(flops: Double, loss: Double)] = [(100, 5.0), (60, 5.4), (80, 5.2)]
        let between = try #require(EvalReport.budgetMatchedSaving(target: 5.1, budget: 100, runs: finals))
        #expect(abs(between.saved - 0.1) < 1e-12 && !between.lowerBound)
        let bound = try #require(EvalReport.budgetMatchedSaving(target: 5.5, budget: 100, runs: finals))
        #expect(abs(bound.saved - 0.4) < 1e-12 && bound.lowerBound)
        #expect(EvalReport.budgetMatchedSaving(target: 4.9, budget: 100, runs: finals) == nil)

        // Budget steps: the most whole steps whose training plus pro-rata scoring fit in the share; past the kept
        // tokens scoring stops growing.
        let scale = EvalScale(name: "t", dModel: 8, nLayers: 1, nHeads: 2, contextLength: 10, batchSize: 1, tokens: 100, learningRate: 1e-3)
        // 10 steps of 10 tokens at 1 FLOP/token = 100; half = 50; with scoring 20 over 100 kept tokens: n·10·1.2 ≤ 50 → 4.
        #expect(EvalStage.budgetSteps(0.5, scale: scale, trainingPerToken: 1, scoringFlops: 20, keptTokens: 100) == 4)
        // Kept tokens 20: scoring 20 is all charged after 2 steps; n·10 + 20 ≤ 50 → 3.
        #expect(EvalStage.budgetSteps(0.5, scale: scale, trainingPerToken: 1, scoringFlops: 20, keptTokens: 20) == 3)
        #expect(EvalStage.budgetSteps(0.5, scale: scale, trainingPerToken: 1, scoringFlops: 0, keptTokens: 1) == 5)
        #expect(scale.withSteps(4).steps == 4 && scale.withSteps(4).warmupSteps == 1)
    }

    @Test func heuristicRulesOnHandMadeDocuments() {
        let sentence = "The quick brown fox jumps over the lazy dog and runs to the river with the other animals."
        let prose = Array(repeating: sentence, count: 8).joined(separator: " ") + "\n" + Array(repeating: sentence, count: 4).joined(separator: "\n")
        #expect(HeuristicFilters.gopher(prose) == nil)
        #expect(HeuristicFilters.c4(prose) == nil)

        #expect(HeuristicFilters.gopher("Too short to be a document of any kind.")?.contains("words") == true)
        let code = Array(repeating: "x = f(1) + g(2) # 3 4 5 6 7", count: 20).joined(separator: "\n")
        #expect(HeuristicFilters.gopher(code) != nil)
        #expect(HeuristicFilters.gopher(String(repeating: "日本語の文章です。これはテストです。 ", count: 60)) != nil)
        let hashes = Array(repeating: "#tag the and of to with #more #again words here", count: 10).joined(separator: " ")
        #expect(HeuristicFilters.gopher(hashes)?.contains("symbol") == true)
        let bullets = Array(repeating: "- the item and the other item of the list to have with", count: 12).joined(separator: "\n")
        #expect(HeuristicFilters.gopher(bullets)?.contains("bullet") == true)
        let ellipses = Array(repeating: "the story and the end of that which we have with us...", count: 12).joined(separator: "\n")
        #expect(HeuristicFilters.gopher(ellipses) != nil)
        let noStopWords = Array(repeating: "quick brown foxes jump over lazy dogs near rivers.", count: 10).joined(separator: " ")
        #expect(HeuristicFilters.gopher(noStopWords)?.contains("stop words") == true)
        let longWords = Array(repeating: "the supercalifragilistic and extraordinarily incomprehensibilities", count: 15).joined(separator: " ")
        #expect(HeuristicFilters.gopher(longWords)?.contains("mean word length") == true)

        #expect(HeuristicFilters.c4(prose + "\nLorem ipsum dolor sit amet.") == "c4: lorem ipsum")
        #expect(HeuristicFilters.c4(prose + "\nfunction f() { return 1; }") == "c4: curly bracket")
        // Lines without terminal punctuation, with fewer than 3 words, or about javascript do not count.
        let unpunctuated = Array(repeating: "The quick brown fox jumps over the lazy dog", count: 10).joined(separator: "\n")
        #expect(HeuristicFilters.c4(unpunctuated) != nil)
        #expect(HeuristicFilters.c4(Array(repeating: "Yes. No.", count: 10).joined(separator: "\n")) != nil)
        #expect(HeuristicFilters.c4(Array(repeating: "Please enable JavaScript in your browser to see this.", count: 10).joined(separator: "\n")) != nil)
        #expect(HeuristicFilters.sentenceCount("One. Two! Three? Four.") == 4)
        #expect(HeuristicFilters.sentenceCount("Version 3.11 is out.") == 1)
    }
}
