import Foundation
import MetaLearning
import Models
import ShardIO

/// `RUN/eval/report.json`: every arm's curve and its compute, per scale.
public struct EvalReport: Codable, Sendable {
    public struct CurvePoint: Codable, Sendable {
        public var step: Int
        public var tokens: Int
        public var trainingFlops: Double
        /// Selection compute charged by this point (see `ArmReport.selectionFlops(atTokens:)`).
        public var selectionFlops: Double
        public var totalFlops: Double
        public var loss: Double
        public var perSource: [SourceLoss]
    }

    public struct ArmReport: Codable, Sendable {
        public var arm: EvalArm
        public var documents: Int
        /// Share of the pool's documents the arm trains on.
        public var documentFraction: Double
        public var availableTokens: Int
        public var trainedTokens: Int
        public var epochs: Double
        /// Selection compute paid once (the reference LM's training), and scoring the whole pool (DataRater or
        /// reference LM forward passes).
        public var selectionFixedFlops: Double
        public var selectionScoringFlops: Double
        public var finalLoss: Double
        public var finalPerSource: [SourceLoss]
        public var totalFlops: Double
        /// Loss at the unfiltered arm's total FLOPs (interpolated; the last point when the arm ends before it); nil
        /// when the unfiltered arm was not evaluated.
        public var lossAtEqualCompute: Double?
        /// Total FLOPs (training + selection) at which the arm first reaches the unfiltered final loss; nil if never.
        public var flopsToUnfilteredFinal: Double?
        /// 1 − flopsToUnfilteredFinal / unfiltered total FLOPs.
        public var computeSaved: Double?
        public var reused: Bool
        public var seconds: Double
        public var curve: [CurvePoint]

        /// Selection compute charged after training on `t` tokens, as the paper charges online filtering: to
        /// train on t tokens of a selection that keeps K of the pool's tokens, t/K of the pool must be scored.
        public func selectionFlops(atTokens t: Double) -> Double {
            selectionFixedFlops + selectionScoringFlops * min(1, t / Double(max(1, availableTokens)))
        }
    }

    /// The DataRater arm trained again on a share of the unfiltered arm's FLOPs (`EvalStage.Options.budgets`), with
    /// its own warm-up and cosine decay over fewer steps.
    public struct BudgetRun: Codable, Sendable {
        /// The share of the unfiltered arm's total FLOPs it was given (scoring included).
        public var fraction: Double
        public var steps: Int
        /// Its run as an arm: curve, final loss, FLOPs (training plus scoring pro rata).
        public var run: ArmReport
    }

    public struct ScaleReport: Codable, Sendable {
        public var name: String
        public var model: ModelShape
        public var batchSize: Int
        public var steps: Int
        public var trainedTokens: Int
        public var trainingFlopsPerToken: Double
        /// Peak learning rate and warm-up steps (nil in reports written before they were recorded).
        public var peakLearningRate: Double?
        public var warmupSteps: Int?
        public var evalRows: Int
        public var evalTokens: Int
        public var arms: [ArmReport]
        public var unfilteredFinalLoss: Double?
        /// Read off the DataRater arm's curve: the FLOPs at which it first passes the unfiltered final loss, part way
        /// through its schedule. An LM given only those FLOPs would run its own, shorter schedule; on the dev corpus such
        /// LMs end well above the longer run's curve at the same step (EVAL.md), so this overstates the saving; see
        /// `budgetMatchedComputeSaved`.
        public var dataraterComputeSaved: Double?
        /// The DataRater set on smaller budgets, in increasing FLOPs (absent in older reports).
        public var budgetRuns: [BudgetRun]?
        /// Compute saved by LMs trained to the end of their schedules: see `budgetMatchedSaving`. Nil when no
        /// budget, not even the full one, reaches the unfiltered final loss, or no budget was run.
        public var budgetMatchedComputeSaved: Double?
        /// True when the smallest budget already reaches the unfiltered final loss: the saving is at least this.
        public var budgetMatchedIsLowerBound: Bool?
        public var summary: String
    }

    /// An LM's shape (`LMConfig`'s fields, with keys that survive the report's snake-case round trip).
    public struct ModelShape: Codable, Sendable {
        public var vocabSize: Int
        public var dModel: Int
        public var nLayers: Int
        public var nHeads: Int
        public var contextLength: Int

        init(_ c: LMConfig) {
            vocabSize = c.vocabSize
            dModel = c.dModel
            nLayers = c.nLayers
            nHeads = c.nHeads
            contextLength = c.contextLength
        }
    }

    public struct ReferenceSummary: Codable, Sendable {
        public var model: ModelShape
        public var split: String
        public var trainedTokens: Int
        public var epochs: Double
        public var trainingFlops: Double
        public var scoringFlops: Double
        public var validationLoss: Double
    }

    public var run: String
    public var seed: UInt64
    public var splits: String
    public var poolDocuments: Int
    public var poolTokens: Int
    public var outerDocuments: Int
    public var validationDocuments: Int
    /// The DataRater's keep fraction over the pool's documents; the random and perplexity arms keep as many.
    public var keepFraction: Double
    public var discardFraction: Double { 1 - keepFraction }
    /// True when the threshold was per source: the random and perplexity arms then keep as many documents of every
    /// source as the DataRater did (the same mixture in every arm but c4 and gopher). Absent in older reports.
    public var sourcesMatched: Bool?
    public var dataraterScoringFlopsPerToken: Double
    public var flopsConvention: String
    public var reference: ReferenceSummary?
    public var scales: [ScaleReport]

    // MARK: Accounting

    /// Tokens at which a curve of (tokens, loss) first reaches `target` or below, linearly interpolated between the
    /// evaluation before and the first one at or below it; nil when no evaluation reaches it.
    public static func tokensToReach(_ target: Double, curve: [(tokens: Double, loss: Double)]) -> Double? {
        guard let i = curve.firstIndex(where: { $0.loss <= target }) else { return nil }
        guard i > 0 else { return curve[0].tokens }
        let a = curve[i - 1], b = curve[i]
        let u = a.loss == b.loss ? 1 : (a.loss - target) / (a.loss - b.loss)
        return a.tokens + u * (b.tokens - a.tokens)
    }

    /// Loss at `x` on a curve of (x, loss) with x increasing: linear interpolation, the last loss beyond it.
    public static func loss(at x: Double, curve: [(x: Double, loss: Double)]) -> Double {
        guard let first = curve.first else { return .nan }
        if x <= first.x { return first.loss }
        for (a, b) in zip(curve, curve.dropFirst()) where x <= b.x {
            return b.x == a.x ? b.loss : a.loss + (x - a.x) / (b.x - a.x) * (b.loss - a.loss)
        }
        return curve.last!.loss
    }

    /// Compute saved to reach `target` by LMs each trained to the end of its own schedule: `runs` are the final
    /// (total FLOPs, loss) of the DataRater set's LMs on every budget, the full one included. The FLOPs at which the
    /// final losses, in increasing FLOPs, first reach `target` (linear between neighbouring budgets, as
    /// `tokensToReach`), as a saving against `budget`; `lowerBound` when the smallest budget already reaches it.
    public static func budgetMatchedSaving(target: Double, budget: Double, runs: [(flops: Double, loss: Double)]) -> (saved: Double, lowerBound: Bool)? {
        let sorted = runs.sorted { $0.flops < $1.flops }
        guard let flops = tokensToReach(target, curve: sorted.map { ($0.flops, $0.loss) }) else { return nil }
        return (1 - flops / budget, sorted[0].loss <= target)
    }

    static let convention = """
        training FLOPs = 3 × forward per token × tokens trained; forward per token = 2·12·L·d² + 2·d·V + 2·L·n_ctx·d \
        (non-embedding weights, tied output projection, attention). Selection FLOPs: DataRater arm, scoring = \
        L·(2·n·12·d² + 4·n²·d) per chunk over every pool document's chunks; perplexity arms, the reference LM's training \
        plus its forward passes over every pool document's first n_ctx + 1 tokens. Scoring is charged pro rata, \
        as the paper charges online filtering: after t trained tokens of a selection holding K tokens, t/K of the \
        pool's scoring. Meta-training the DataRater is not charged.
        """

    /// FLOPs of scoring every pool document with every DataRater that scored the run (several for an ensemble),
    /// each under its own chunking rule, and the pool tokens read (once, however many DataRaters read them).
    static func scoringFlops(pool: [EvalCorpus.PoolDocument], raters: [DataRaterModelConfig]) -> (Double, Int) {
        var flops = 0.0, tokens = 0
        for rater in raters {
            var read = 0
            for document in pool {
                let n = document.range.count
                for k in 0..<rater.chunking.chunkCount(tokenCount: n) {
                    let length = max(1, rater.chunking.chunk(k, tokenCount: n).count)
                    flops += EvalFLOPs.raterChunk(rater.model, tokens: length)
                    read += length
                }
            }
            tokens = max(tokens, read)
        }
        return (flops, tokens)
    }

    static func assemble(run: RunDirectory, options: EvalStage.Options, corpus: EvalCorpus, keepFraction: Double, matchSources: Bool,
                         raters: [DataRaterModelConfig], evalSets: [EvalSet], runs: [EvalStage.Job: (EvalStage.ArmRun, reused: Bool)],
                         reference: EvalStage.ReferenceRun?) -> EvalReport {
        let (raterPool, scoredTokens) = scoringFlops(pool: corpus.pool, raters: raters)
        var scales: [ScaleReport] = []
        for (s, scale) in options.scales.enumerated() {
            let c = scale.config(vocabularySize: corpus.vocabularySize)
            let perToken = EvalFLOPs.lmTrainingPerToken(c)
            func armReport(_ arm: EvalArm, _ armRun: EvalStage.ArmRun, reused: Bool) -> ArmReport {
                var fixed = 0.0, scoring = 0.0
                if arm == .datarater { scoring = raterPool }
                if arm.usesReference, let reference { fixed = reference.trainingFlops; scoring = reference.scoringFlops }
                var report = ArmReport(
                    arm: arm, documents: armRun.documents, documentFraction: Double(armRun.documents) / Double(corpus.pool.count),
                    availableTokens: armRun.availableTokens, trainedTokens: armRun.trainedTokens, epochs: armRun.epochs,
                    selectionFixedFlops: fixed, selectionScoringFlops: scoring, finalLoss: armRun.curve.last?.loss ?? .nan,
                    finalPerSource: armRun.curve.last?.perSource ?? [], totalFlops: 0, lossAtEqualCompute: nil,
                    flopsToUnfilteredFinal: nil, computeSaved: nil, reused: reused, seconds: armRun.seconds, curve: [])
                report.curve = armRun.curve.map { p in
                    let training = perToken * Double(p.tokens), selection = report.selectionFlops(atTokens: Double(p.tokens))
                    return CurvePoint(step: p.step, tokens: p.tokens, trainingFlops: training, selectionFlops: selection,
                                      totalFlops: training + selection, loss: p.loss, perSource: p.perSource)
                }
                report.totalFlops = report.curve.last?.totalFlops ?? 0
                return report
            }
            var arms: [ArmReport] = []
            for arm in options.arms {
                if let (armRun, reused) = runs[.arm(scale: s, arm: arm)] { arms.append(armReport(arm, armRun, reused: reused)) }
            }
            var budgetRuns = Set(options.budgets).sorted().compactMap { f in
                runs[.budget(scale: s, fraction: f)].map { BudgetRun(fraction: f, steps: $0.0.trainedTokens / scale.tokensPerStep,
                                                                     run: armReport(.datarater, $0.0, reused: $0.reused)) }
            }
            let unfiltered = arms.first { $0.arm == .unfiltered }
            // Every run (the arms and the budget runs) against the unfiltered arm's final loss and FLOPs.
            func compare(_ run: inout ArmReport, with unfiltered: ArmReport) {
                run.lossAtEqualCompute = loss(at: unfiltered.totalFlops, curve: run.curve.map { ($0.totalFlops, $0.loss) })
                if let t = tokensToReach(unfiltered.finalLoss, curve: run.curve.map { (Double($0.tokens), $0.loss) }) {
                    let flops = perToken * t + run.selectionFlops(atTokens: t)
                    run.flopsToUnfilteredFinal = flops
                    run.computeSaved = 1 - flops / unfiltered.totalFlops
                }
            }
            if let unfiltered {
                for i in arms.indices { compare(&arms[i], with: unfiltered) }
                for i in budgetRuns.indices { compare(&budgetRuns[i].run, with: unfiltered) }
            }
            let dr = arms.first { $0.arm == .datarater }
            var matched: (saved: Double, lowerBound: Bool)?
            if let unfiltered, let dr, !budgetRuns.isEmpty {
                matched = budgetMatchedSaving(target: unfiltered.finalLoss, budget: unfiltered.totalFlops,
                                              runs: (budgetRuns.map(\.run) + [dr]).map { ($0.totalFlops, $0.finalLoss) })
            }
            var summary = "\(scale.name): "
            if let dr, let unfiltered {
                if let saved = dr.computeSaved {
                    summary += String(format: "the DataRater set reaches the unfiltered final loss %.4f with %.1f%% %@ FLOPs (scoring included)",
                                      unfiltered.finalLoss, abs(saved) * 100, saved >= 0 ? "fewer" : "more")
                } else {
                    summary += String(format: "the DataRater set never reaches the unfiltered final loss %.4f (its final loss %.4f)",
                                      unfiltered.finalLoss, dr.finalLoss)
                }
                let rivals = arms.filter { $0.arm == .random || $0.arm.usesReference }
                if !rivals.isEmpty {
                    // Both set: the unfiltered arm is present.
                    let beats = { (rival: ArmReport) in dr.lossAtEqualCompute! < rival.lossAtEqualCompute! }
                    let beaten = rivals.filter(beats).map(\.arm.rawValue)
                    let notBeaten = rivals.filter { !beats($0) }.map(\.arm.rawValue)
                    summary += beaten.isEmpty
                        ? "; at equal compute it beats none of " + notBeaten.joined(separator: ", ")
                        : "; at equal compute it beats " + beaten.joined(separator: ", ")
                            + (notBeaten.isEmpty ? "" : ", not " + notBeaten.joined(separator: ", "))
                }
                if !budgetRuns.isEmpty {
                    let shares = budgetRuns.map { String(format: "%.0f%%", $0.run.totalFlops / unfiltered.totalFlops * 100) }.joined(separator: ", ")
                    summary += "; trained to the end of its schedule on \(shares) of the unfiltered FLOPs, it "
                    switch matched {
                    case let (saved, true)?:
                        summary += String(format: "reaches the unfiltered final loss on every budget: at least %.1f%% fewer FLOPs", saved * 100)
                    case let (saved, false)?:
                        summary += String(format: "reaches the unfiltered final loss with %.1f%% %@ FLOPs", abs(saved) * 100, saved >= 0 ? "fewer" : "more")
                    case nil:
                        summary += "does not reach the unfiltered final loss on any budget, the full one included"
                    }
                    summary += " (" + budgetRuns.map { String(format: "%.0f%%: %.4f", $0.fraction * 100, $0.run.finalLoss) }.joined(separator: ", ") + ")"
                }
            } else {
                summary += "the datarater and unfiltered arms are both needed for compute saved"
            }
            scales.append(ScaleReport(
                name: scale.name, model: ModelShape(c), batchSize: scale.batchSize, steps: scale.steps, trainedTokens: scale.trainedTokens,
                trainingFlopsPerToken: perToken, peakLearningRate: scale.learningRate, warmupSteps: scale.warmupSteps,
                evalRows: evalSets[s].rows.count, evalTokens: evalSets[s].tokens, arms: arms,
                unfilteredFinalLoss: unfiltered?.finalLoss, dataraterComputeSaved: dr?.computeSaved,
                budgetRuns: budgetRuns.isEmpty ? nil : budgetRuns, budgetMatchedComputeSaved: matched?.saved,
                budgetMatchedIsLowerBound: matched?.lowerBound, summary: summary))
        }
        let ref = reference.map {
            ReferenceSummary(model: ModelShape(options.reference.config(vocabularySize: corpus.vocabularySize)), split: Split.outer.rawValue,
                             trainedTokens: $0.trainedTokens, epochs: $0.epochs, trainingFlops: $0.trainingFlops, scoringFlops: $0.scoringFlops,
                             validationLoss: $0.validationLoss)
        }
        return EvalReport(
            run: run.root, seed: options.seed,
            splits: "arms select from and train on inner_train; the reference LM trains on outer; evaluation on validation (never trained on)",
            poolDocuments: corpus.pool.count, poolTokens: corpus.poolTokens, outerDocuments: corpus.outer.count,
            validationDocuments: corpus.validation.count, keepFraction: keepFraction, sourcesMatched: matchSources,
            dataraterScoringFlopsPerToken: raterPool / Double(max(1, scoredTokens)), flopsConvention: convention, reference: ref, scales: scales)
    }
}

// MARK: Output files

enum EvalOutput {
    static func write(_ report: EvalReport, to directory: String, run: RunDirectory) throws -> [ShardSummary] {
        try FileIO.createDirectory(directory)
        var files: [(String, [UInt8], Int)] = [
            ("report.json", try JSONFiles.encode(report), 1),
            ("report.md", Array(markdown(report).utf8), 1),
            ("curves.csv", Array(csv(report).utf8), csvRows(report)),
        ]
        for scale in report.scales { files.append(("loss-vs-flops-\(scale.name).svg", Array(svg(scale).utf8), scale.arms.count)) }
        var outputs: [ShardSummary] = []
        for (name, bytes, records) in files {
            let path = FileIO.join(directory, name)
            try FileIO.writeFileAtomically(path, bytes)
            outputs.append(ShardSummary(path: run.relative(path), bytes: bytes.count, sha256: Checksum.of(bytes), records: records))
        }
        return outputs
    }

    static func csvRows(_ r: EvalReport) -> Int {
        r.scales.reduce(0) { $0 + curves($1).reduce(0) { $0 + $1.1.curve.reduce(0) { $0 + 1 + $1.perSource.count } } }
    }

    /// Every curve of a scale with its name: the arms, then the DataRater's smaller budgets (`datarater-budget-0.75`).
    static func curves(_ scale: EvalReport.ScaleReport) -> [(String, EvalReport.ArmReport)] {
        scale.arms.map { ($0.arm.rawValue, $0) } + (scale.budgetRuns ?? []).map { (EvalStage.budgetVariant($0.fraction), $0.run) }
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// One row per (scale, arm, evaluation, source); source `all` is the overall loss.
    static func csv(_ r: EvalReport) -> String {
        var lines = ["scale,arm,step,tokens,training_flops,selection_flops,total_flops,source,loss"]
        for scale in r.scales {
            for (name, arm) in curves(scale) {
                for p in arm.curve {
                    let head = "\(csvField(scale.name)),\(name),\(p.step),\(p.tokens),\(sci(p.trainingFlops)),\(sci(p.selectionFlops)),\(sci(p.totalFlops))"
                    lines.append(head + ",all," + String(format: "%.6f", p.loss))
                    for s in p.perSource { lines.append(head + ",\(csvField(s.source)),\(String(format: "%.6f", s.loss))") }
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func sci(_ x: Double) -> String { String(format: "%.6e", x) }

    static func pct(_ x: Double?) -> String { x.map { String(format: "%+.1f%%", $0 * 100) } ?? "never" }

    static func markdown(_ r: EvalReport) -> String {
        var out = "# datarater eval: \(r.run)\n\n"
        out += String(format: "Pool (inner_train): %d documents, %d tokens; the DataRater keeps %.1f%% of them (discard %.1f%%). ",
                      r.poolDocuments, r.poolTokens, r.keepFraction * 100, r.discardFraction * 100)
        if r.sourcesMatched == true {
            out += "The threshold was per source: the random and perplexity arms keep as many documents of every source as the DataRater, so they train on its mixture. "
        }
        out += "Validation: \(r.validationDocuments) documents, never trained on. Seed \(r.seed).\n"
        if let ref = r.reference {
            out += String(format: "Reference LM (perplexity arms): d %d × %d layers, trained on the outer split for %d tokens (%.2f epochs), validation loss %.4f.\n",
                          ref.model.dModel, ref.model.nLayers, ref.trainedTokens, ref.epochs, ref.validationLoss)
        }
        for scale in r.scales {
            out += "\n## \(scale.name): d \(scale.model.dModel) × \(scale.model.nLayers) layers, context \(scale.model.contextLength), vocabulary \(scale.model.vocabSize)\n\n"
            out += "\(scale.steps) steps × \(scale.batchSize) rows × \(scale.model.contextLength) = \(scale.trainedTokens) training tokens per arm; "
            if let rate = scale.peakLearningRate, let warmup = scale.warmupSteps {
                out += String(format: "AdamW, peak rate %g after %d warm-up steps, then cosine decay; ", rate, warmup)
            }
            out += String(format: "%.3g training FLOPs per token; evaluated on %d validation rows (%d tokens).\n\n",
                          scale.trainingFlopsPerToken, scale.evalRows, scale.evalTokens)
            out += "| arm | documents | of pool | epochs | final loss | loss at unfiltered's FLOPs | total FLOPs | FLOPs to unfiltered final loss | compute saved |\n"
            out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
            for a in scale.arms {
                out += "| \(a.arm.rawValue) | \(a.documents) | \(String(format: "%.1f%%", a.documentFraction * 100)) | \(String(format: "%.2f", a.epochs)) | "
                out += "\(String(format: "%.4f", a.finalLoss)) | \(a.lossAtEqualCompute.map { String(format: "%.4f", $0) } ?? "—") | \(String(format: "%.3g", a.totalFlops)) | "
                out += "\(a.flopsToUnfilteredFinal.map { String(format: "%.3g", $0) } ?? "never") | \(a.arm == .unfiltered ? "—" : pct(a.computeSaved)) |\n"
            }
            let sources = Array(Set(scale.arms.flatMap { $0.finalPerSource.map(\.source) })).sorted()
            if !sources.isEmpty {
                out += "\nFinal validation loss per source:\n\n| source | " + scale.arms.map(\.arm.rawValue).joined(separator: " | ") + " |\n"
                out += "|---|" + scale.arms.map { _ in "---:" }.joined(separator: "|") + "|\n"
                for source in sources {
                    out += "| \(source) | " + scale.arms.map { a in
                        a.finalPerSource.first { $0.source == source }.map { String(format: "%.4f", $0.loss) } ?? "—"
                    }.joined(separator: " | ") + " |\n"
                }
            }
            if let budgets = scale.budgetRuns, let unfiltered = scale.arms.first(where: { $0.arm == .unfiltered }),
               let dr = scale.arms.first(where: { $0.arm == .datarater }) {
                out += "\nThe DataRater set on smaller budgets, each LM trained to the end of its own schedule (warm-up and cosine decay "
                out += "over its steps), against the unfiltered final loss \(String(format: "%.4f", unfiltered.finalLoss)):\n\n"
                out += "| budget (share of unfiltered's FLOPs) | steps | total FLOPs | of unfiltered's | final loss | − unfiltered's |\n|---|---:|---:|---:|---:|---:|\n"
                for (budget, steps, run) in budgets.map({ (String(format: "%.0f%%", $0.fraction * 100), $0.steps, $0.run) }) + [("the datarater arm", scale.steps, dr)] {
                    out += String(format: "| %@ | %d | %.3g | %.1f%% | %.4f | %+.4f |\n", budget, steps, run.totalFlops,
                                  run.totalFlops / unfiltered.totalFlops * 100, run.finalLoss, run.finalLoss - unfiltered.finalLoss)
                }
                out += "\nCompute saved, budget-matched: " + (scale.budgetMatchedComputeSaved.map {
                    (scale.budgetMatchedIsLowerBound == true ? "at least " : "") + pct($0)
                } ?? "never (no budget reaches the unfiltered final loss)") + "; read off the full run's curve: \(pct(scale.dataraterComputeSaved)).\n"
            }
            out += "\n\(scale.summary).\n"
        }
        return out
    }

    static let colors: [EvalArm: String] = [
        .datarater: "#d62728", .unfiltered: "#1f1f1f", .random: "#7f7f7f", .perplexityLow: "#1f77b4", .perplexityMiddle: "#17becf",
        .perplexityHigh: "#9467bd", .c4: "#2ca02c", .gopher: "#ff7f0e",
    ]

    /// Validation loss against total FLOPs, one polyline per arm (self-contained SVG, no scripts). The y range
    /// starts after the first evaluation so the initial loss does not flatten the curves.
    static func svg(_ scale: EvalReport.ScaleReport) -> String {
        let w = 820.0, h = 440.0, left = 70.0, right = 170.0, top = 30.0, bottom = 50.0
        let points = curves(scale).flatMap { $0.1.curve.dropFirst() }
        let xMax = max(1, points.map(\.totalFlops).max() ?? 1)
        var yLo = points.map(\.loss).min() ?? 0, yHi = points.map(\.loss).max() ?? 1
        if yHi - yLo < 1e-9 { yHi = yLo + 1 }
        let pad = (yHi - yLo) * 0.05
        yLo -= pad; yHi += pad
        func X(_ x: Double) -> Double { left + x / xMax * (w - left - right) }
        func Y(_ y: Double) -> Double { top + (yHi - min(max(y, yLo), yHi)) / (yHi - yLo) * (h - top - bottom) }
        func f(_ x: Double) -> String { String(format: "%.1f", x) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"validation loss against FLOPs, \(scale.name)\">"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        s += "<text x=\"\(f(left))\" y=\"18\" font-size=\"14\" font-family=\"sans-serif\">\(scale.name): validation loss against total FLOPs (training + selection)</text>"
        for k in 0...4 {
            let y = yLo + Double(k) / 4 * (yHi - yLo), x = Double(k) / 4 * xMax
            s += "<line x1=\"\(f(left))\" y1=\"\(f(Y(y)))\" x2=\"\(f(w - right))\" y2=\"\(f(Y(y)))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(Y(y) + 4))\" font-size=\"11\" font-family=\"sans-serif\" text-anchor=\"end\">\(String(format: "%.3f", y))</text>"
            s += "<text x=\"\(f(X(x)))\" y=\"\(f(h - bottom + 16))\" font-size=\"11\" font-family=\"sans-serif\" text-anchor=\"middle\">\(String(format: "%.2g", x))</text>"
        }
        s += "<line x1=\"\(f(left))\" y1=\"\(f(h - bottom))\" x2=\"\(f(w - right))\" y2=\"\(f(h - bottom))\" stroke=\"#333\"/>"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(h - bottom))\" stroke=\"#333\"/>"
        s += "<text x=\"\(f((left + w - right) / 2))\" y=\"\(f(h - 12))\" font-size=\"12\" font-family=\"sans-serif\" text-anchor=\"middle\">FLOPs</text>"
        if let target = scale.unfilteredFinalLoss {
            s += "<line x1=\"\(f(left))\" y1=\"\(f(Y(target)))\" x2=\"\(f(w - right))\" y2=\"\(f(Y(target)))\" stroke=\"#1f1f1f\" stroke-dasharray=\"4 3\"/>"
        }
        for (i, arm) in scale.arms.enumerated() {
            let color = colors[arm.arm] ?? "#000"
            let path = arm.curve.dropFirst().map { "\(f(X($0.totalFlops))),\(f(Y($0.loss)))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(arm.arm == .datarater ? 2.5 : 1.5)\" points=\"\(path)\"/>"
            let ly = top + 16 + Double(i) * 18
            s += "<line x1=\"\(f(w - right + 12))\" y1=\"\(f(ly - 4))\" x2=\"\(f(w - right + 32))\" y2=\"\(f(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2.5\"/>"
            s += "<text x=\"\(f(w - right + 38))\" y=\"\(f(ly))\" font-size=\"12\" font-family=\"sans-serif\">\(arm.arm.rawValue)</text>"
        }
        for (i, budget) in (scale.budgetRuns ?? []).enumerated() {
            let color = colors[.datarater]!
            let path = budget.run.curve.dropFirst().map { "\(f(X($0.totalFlops))),\(f(Y($0.loss)))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\" points=\"\(path)\"/>"
            if let end = budget.run.curve.last {
                s += "<circle cx=\"\(f(X(end.totalFlops)))\" cy=\"\(f(Y(end.loss)))\" r=\"3.5\" fill=\"\(color)\"/>"
            }
            let ly = top + 16 + Double(scale.arms.count + i) * 18
            s += "<line x1=\"\(f(w - right + 12))\" y1=\"\(f(ly - 4))\" x2=\"\(f(w - right + 32))\" y2=\"\(f(ly - 4))\" stroke=\"\(color)\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>"
            s += "<text x=\"\(f(w - right + 38))\" y=\"\(f(ly))\" font-size=\"12\" font-family=\"sans-serif\">datarater, \(String(format: "%.0f%%", budget.fraction * 100)) FLOPs</text>"
        }
        return s + "</svg>\n"
    }
}
