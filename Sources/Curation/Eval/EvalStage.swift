import Foundation
import MetaLearning
import Models
import ShardIO
import Tensor

/// `datarater eval RUN`: trains fresh causal LMs on the DataRater's kept set and on baseline selections of the
/// same pool, for the same number of tokens, and measures held-out loss against FLOPs.
///
/// ```
/// RUN/eval/report.json              everything below, per scale and arm, with the settings
/// RUN/eval/report.md                the tables printed at the end
/// RUN/eval/curves.csv               scale,arm,step,tokens,training_flops,selection_flops,total_flops,source,loss
/// RUN/eval/loss-vs-flops-SCALE.svg  validation loss against total FLOPs, one line per arm
/// RUN/eval/runs/*.json              one finished LM (or the reference LM) each, reused by a rerun with the same settings
/// ```
public enum EvalStage {
    public static let name = "eval"

    public struct Options: Sendable {
        public var scales: [EvalScale] = [.small(), .base()]
        public var arms: [EvalArm] = EvalArm.defaults
        /// Worker threads, each training one LM at a time on one BLAS thread.
        public var workers = 2
        public var seed: UInt64 = 0
        /// Evaluations per training run (besides the one at step 0).
        public var evals = 12
        /// Raw-mix validation tokens per evaluation (see `EvalSet`).
        public var evalTokens = 24_576
        public var minRowsPerSource = 4
        /// The reference LM of the perplexity arms: its shape and training tokens (on the outer split).
        public var reference: EvalScale = .small(tokens: 1_000_000)
        /// Shares of the unfiltered arm's total FLOPs at which the DataRater arm is trained again, scoring included,
        /// each LM with its own warm-up and cosine decay over its fewer steps: the direct test of reaching the
        /// unfiltered final loss with fewer FLOPs (an LM given that compute, trained to the end of its schedule).
        public var budgets: [Double] = []
        public var progressInterval = 10.0
        public init() {}
    }

    public static func directory(_ run: RunDirectory) -> String { run.path("eval") }

    @discardableResult
    public static func run(_ run: RunDirectory, options: Options, command: [String]) throws -> EvalReport {
        let progress = ProgressReporter(label: name, interval: options.progressInterval)
        let started = Clock.now()
        guard !options.scales.isEmpty, !options.arms.isEmpty else {
            throw CurationError(.badArguments, "eval needs at least one scale and one arm", hint: "pass --scales small,base and --arms datarater,unfiltered")
        }
        guard options.budgets.allSatisfy({ $0 > 0 && $0 < 1 }) else {
            throw CurationError(.badArguments, "eval budgets are shares of the unfiltered arm's FLOPs, above 0 and below 1: \(options.budgets)",
                                hint: "pass --budgets 0.75 (or several, 0.6,0.75,0.9), or --budgets none")
        }
        guard options.budgets.isEmpty || (options.arms.contains(.datarater) && options.arms.contains(.unfiltered)) else {
            throw CurationError(.badArguments, "eval budgets retrain the datarater arm and compare it with the unfiltered arm's final loss",
                                hint: "add datarater and unfiltered to --arms, or pass --budgets none")
        }
        let manifest = try Manifest.load(run)
        let splits = try splitRule(run, manifest: manifest)
        let raters = options.arms.contains(.datarater) ? try raterModels(run, manifest: manifest) : []
        let maxContext = (options.scales + [options.reference]).map(\.contextLength).max()!
        let heuristics = options.arms.contains(.c4) || options.arms.contains(.gopher)
        let (corpus, tokenShards) = try EvalCorpus.load(run, splits: splits, maxPrefix: maxContext + 1, heuristics: heuristics, progress: progress)
        guard !corpus.pool.isEmpty, corpus.pool.contains(where: \.kept) else {
            throw CurationError(.stageFailed, "\(run.root): the inner-train split holds \(corpus.pool.count) documents, \(corpus.pool.filter(\.kept).count) of them kept",
                                hint: "evaluate a run whose threshold keeps documents (`datarater threshold RUN --discard F` with F < 1)")
        }
        guard corpus.validation.count > 0 else {
            throw CurationError(.stageFailed, "\(run.root): the validation split is empty", hint: "evaluate a larger run")
        }
        let keepFraction = Double(corpus.pool.filter(\.kept).count) / Double(corpus.pool.count)
        // A per-source threshold fixed the mixture; the random and perplexity arms then keep the same mixture.
        // The kept set is `write`'s, so the rule must be the one `write` read.
        let thresholdSHA = FileIO.fileExists(run.thresholdPath) ? try Checksum.file(run.thresholdPath).sha256 : nil
        guard thresholdSHA == manifest.stages[WriteStage.name]?.inputs.first(where: { $0.path == "threshold.json" })?.sha256 else {
            throw CurationError(.shardMismatch, "\(run.thresholdPath) is not the threshold the kept set was written with",
                                hint: "rerun `datarater write \(run.root)` after `datarater threshold`, then evaluate")
        }
        let matchSources = try JSONFiles.read(Threshold.self, from: run.thresholdPath)?.perSource ?? false
        if matchSources {
            progress.log("the threshold was per source: random and perplexity arms keep as many documents of every source as the DataRater")
        }
        progress.log("pool (inner_train) \(corpus.pool.count) documents, \(corpus.poolTokens) tokens; outer \(corpus.outer.count); validation \(corpus.validation.count); DataRater keeps \(String(format: "%.1f%%", keepFraction * 100)) of the pool; vocabulary \(corpus.vocabularySize)")

        let configuration = StageConfiguration([
            "scales": String(decoding: try JSONFiles.encode(options.scales), as: UTF8.self),
            "arms": options.arms.map(\.rawValue).joined(separator: ","), "seed": String(options.seed), "evals": String(options.evals),
            "eval_tokens": String(options.evalTokens), "min_rows_per_source": String(options.minRowsPerSource),
            "reference": String(decoding: try JSONFiles.encode(options.reference), as: UTF8.self),
            "token_shards": Checksum.of(tokenShards.map(\.sha256).joined()), "format_version": "1",
            "budgets": options.budgets.map { String($0) }.joined(separator: ","),
        ])
        try Manifest.markRunning(run, stage: name, command: command, configuration: configuration,
                                 inputs: tokenShards.map { InputRecord(path: $0.path, bytes: $0.bytes, sha256: $0.sha256) })
        do {
            let report = try execute(run, options: options, corpus: corpus, keepFraction: keepFraction, matchSources: matchSources, raters: raters,
                                     tokenHash: configuration.values["token_shards"]!, progress: progress)
            let outputs = try EvalOutput.write(report, to: directory(run), run: run)
            try Manifest.update(run) { manifest in
                var record = manifest.stages[name] ?? StageRecord(
                    stage: name, status: .running, command: command, configuration: configuration.values, configHash: configuration.hash,
                    code: .current, host: Clock.host, pid: getpid(), startedAt: started, finishedAt: nil, inputs: [], outputs: [],
                    counts: [:], errors: [])
                record.status = .complete
                record.finishedAt = Clock.now()
                record.outputs = outputs
                record.counts = ["pool_documents": corpus.pool.count, "validation_documents": corpus.validation.count,
                                 "lm_runs": report.scales.reduce(0) { $0 + $1.arms.count }]
                record.errors = report.scales.map { $0.summary }
                manifest.stages[name] = record
                manifest.finishHistory(stage: name, status: .complete)
            }
            return report
        } catch {
            try? Manifest.markFailed(run, stage: name, errors: ["\(error)"])
            throw error
        }
    }

    static func splitRule(_ run: RunDirectory, manifest: Manifest) throws -> SplitRule {
        guard let json = manifest.stages[TrainStage.name]?.configuration["config"] else { return SplitRule() }
        do {
            return try JSONDecoder().decode(MetaTrainingConfig.self, from: Data(json.utf8)).splits
        } catch {
            throw CurationError(.manifestCorrupt, "\(run.manifestPath): the train stage's configuration cannot be read: \(error)",
                                hint: "rerun `datarater train \(run.root)`")
        }
    }

    /// The shape and chunking of the DataRater(s) that scored the run, for the scoring FLOPs: the checkpoints the
    /// score stage read (several for an ensemble), or RUN/model when the manifest names none.
    static func raterModels(_ run: RunDirectory, manifest: Manifest) throws -> [DataRaterModelConfig] {
        let weightsName = FileIO.split(Checkpoint.weightsPath(directory: ".")).name
        let scored = manifest.stages[ScoreStage.name]?.inputs.map(\.path).filter { FileIO.split($0).name == weightsName } ?? []
        let directories = scored.isEmpty ? [TrainStage.modelDirectory(run)] : scored.map { FileIO.split($0).directory }
        return try directories.map { directory in
            let path = Checkpoint.configPath(directory: directory)
            do {
                return try Checkpoint.loadConfig(DataRaterModelConfig.self, from: path)
            } catch {
                throw CurationError(.stageNotRun, "\(path): cannot read the configuration of the DataRater that scored the run: \(error)",
                                    hint: "run `datarater train \(run.root)` (and score, threshold, write) first, or put the checkpoint back where `score` read it")
            }
        }
    }

    // MARK: Jobs

    enum Job: Sendable, Hashable {
        case reference
        case arm(scale: Int, arm: EvalArm)
        /// The DataRater arm of a scale trained on a share of the unfiltered arm's FLOPs (`Options.budgets`).
        case budget(scale: Int, fraction: Double)
    }

    /// Steps of an LM on the DataRater set whose total FLOPs (training plus scoring charged pro rata, as
    /// `EvalReport.ArmReport.selectionFlops(atTokens:)` charges them) stay within `fraction` of the full budget's
    /// training FLOPs: the most whole steps n with n·B·f + s·min(1, n·B/K) ≤ fraction · f · (the full budget's tokens),
    /// f the training FLOPs per token, s the pool's scoring FLOPs, K the kept tokens, B the tokens per step. At least one.
    static func budgetSteps(_ fraction: Double, scale: EvalScale, trainingPerToken f: Double, scoringFlops s: Double, keptTokens K: Int) -> Int {
        let allowed = fraction * f * Double(scale.trainedTokens)
        func flops(_ n: Int) -> Double {
            let t = Double(n * scale.tokensPerStep)
            return t * f + s * min(1, t / Double(max(1, K)))
        }
        // Training alone bounds n from above; scoring takes a few steps off that.
        var steps = max(1, Int((allowed / (Double(scale.tokensPerStep) * f)).rounded(.down)))
        while steps > 1 && flops(steps) > allowed { steps -= 1 }
        return steps
    }

    /// How a budget's LM is named in progress lines and in `RUN/eval/runs/` (`base-datarater-budget-0.75.json`).
    static func budgetVariant(_ fraction: Double) -> String { "datarater-budget-\(String(format: "%g", fraction))" }

    /// What one finished LM run stored in `RUN/eval/runs/`.
    struct ArmRun: Codable, Sendable {
        var configHash: String
        var scale: String
        var arm: EvalArm
        var documents: Int
        var availableTokens: Int
        var trainedTokens: Int
        var epochs: Double
        var curve: [LMTraining.Point]
        var seconds: Double
    }

    struct ReferenceRun: Codable, Sendable {
        var configHash: String
        var trainedTokens: Int
        var epochs: Double
        var trainingFlops: Double
        var scoringFlops: Double
        var validationLoss: Double
        /// Mean token loss of the first `context + 1` tokens of every pool document, in pool order.
        var losses: [Float]
        var seconds: Double
    }

    /// Shared state of the worker threads: the job queue, the reference LM's result and every outcome.
    final class Board: @unchecked Sendable {
        private let condition = NSCondition()
        private var queue: [Job]
        private var reference: Result<ReferenceRun, any Error>?
        private(set) var runs: [Job: (ArmRun, reused: Bool)] = [:]
        private(set) var failures: [String] = []

        init(jobs: [Job]) { queue = jobs }

        func next() -> Job? {
            condition.lock(); defer { condition.unlock() }
            return queue.isEmpty ? nil : queue.removeFirst()
        }

        func setReference(_ result: Result<ReferenceRun, any Error>) {
            condition.lock()
            reference = result
            condition.broadcast()
            condition.unlock()
        }

        func waitForReference() throws -> ReferenceRun {
            condition.lock(); defer { condition.unlock() }
            while reference == nil { condition.wait() }
            return try reference!.get()
        }

        var referenceRun: ReferenceRun? {
            condition.lock(); defer { condition.unlock() }
            return try? reference?.get()
        }

        func finish(_ job: Job, _ run: ArmRun, reused: Bool) {
            condition.lock(); defer { condition.unlock() }
            runs[job] = (run, reused)
        }

        func fail(_ job: Job, _ error: any Error) {
            condition.lock(); defer { condition.unlock() }
            failures.append("\(job): \(error)")
        }
    }

    /// Progress over all jobs in units of training FLOPs, one line every few seconds.
    final class Meter: @unchecked Sendable {
        private let lock = NSLock()
        private let reporter: ProgressReporter
        private let total: Double
        private var done = 0.0
        private var finished = 0
        private let jobs: Int

        init(reporter: ProgressReporter, total: Double, jobs: Int) {
            self.reporter = reporter
            self.total = max(total, 1)
            self.jobs = jobs
        }

        func advance(_ work: Double, _ message: @autoclosure () -> String) {
            lock.lock(); defer { lock.unlock() }
            done += work
            reporter.tick("\(message()) | \(finished)/\(jobs) LMs done", fraction: min(1, done / total))
        }

        func jobDone(_ work: Double, _ message: String) {
            lock.lock(); defer { lock.unlock() }
            done += work
            finished += 1
            reporter.log("\(message) (\(finished)/\(jobs) LMs done)")
        }
    }

    static func execute(_ run: RunDirectory, options: Options, corpus: EvalCorpus, keepFraction: Double, matchSources: Bool,
                        raters: [DataRaterModelConfig], tokenHash: String, progress: ProgressReporter) throws -> EvalReport {
        try FileIO.createDirectory(run.path("eval/runs"))
        try AtomicFile.removeStaleTemporaries(in: run.path("eval/runs"))
        let V = corpus.vocabularySize
        let evalSets = options.scales.map { corpus.evalSet(context: $0.contextLength, tokenBudget: options.evalTokens, minRowsPerSource: options.minRowsPerSource) }
        let needsReference = options.arms.contains(where: \.usesReference)
        // The reference LM is validated on rows of its own context, whichever scales are evaluated.
        let referenceSet = needsReference
            ? options.scales.firstIndex { $0.contextLength == options.reference.contextLength }.map { evalSets[$0] }
                ?? corpus.evalSet(context: options.reference.contextLength, tokenBudget: options.evalTokens, minRowsPerSource: options.minRowsPerSource)
            : nil
        // Heaviest first so two workers finish together; arms that wait for the reference LM last.
        var jobs: [Job] = needsReference ? [.reference] : []
        let order = options.scales.indices.sorted { EvalFLOPs.lmTrainingPerToken(options.scales[$0].config(vocabularySize: V)) * Double(options.scales[$0].trainedTokens)
            > EvalFLOPs.lmTrainingPerToken(options.scales[$1].config(vocabularySize: V)) * Double(options.scales[$1].trainedTokens) }
        for s in order { for arm in options.arms where !arm.usesReference { jobs.append(.arm(scale: s, arm: arm)) } }
        for s in order { for f in Set(options.budgets).sorted(by: >) { jobs.append(.budget(scale: s, fraction: f)) } }
        for s in order { for arm in options.arms where arm.usesReference { jobs.append(.arm(scale: s, arm: arm)) } }
        let scoring = EvalReport.scoringFlops(pool: corpus.pool, raters: raters).0
        let keptTokens = corpus.pool.filter(\.kept).reduce(0) { $0 + $1.range.count }
        let budgetScales = Dictionary(uniqueKeysWithValues: jobs.compactMap { job -> (Job, EvalScale)? in
            guard case let .budget(s, f) = job else { return nil }
            let scale = options.scales[s], perToken = EvalFLOPs.lmTrainingPerToken(scale.config(vocabularySize: V))
            return (job, scale.withSteps(budgetSteps(f, scale: scale, trainingPerToken: perToken, scoringFlops: scoring, keptTokens: keptTokens)))
        })
        func lmWork(_ scale: EvalScale, _ evalSet: EvalSet) -> Double {
            let c = scale.config(vocabularySize: V)
            return EvalFLOPs.lmTrainingPerToken(c) * Double(scale.trainedTokens)
                + EvalFLOPs.lmForwardPerToken(c, context: c.contextLength) * Double(evalSet.tokens * (options.evals + 1))
        }
        func work(_ job: Job) -> Double {
            switch job {
            case .reference:
                let c = options.reference.config(vocabularySize: V)
                return EvalFLOPs.lmTrainingPerToken(c) * Double(options.reference.trainedTokens)
                    + EvalFLOPs.lmForwardPerToken(c, context: c.contextLength) * Double(corpus.pool.count * (c.contextLength))
            case let .arm(s, _): return lmWork(options.scales[s], evalSets[s])
            case let .budget(s, _): return lmWork(budgetScales[job]!, evalSets[s])
            }
        }
        let workOf = Dictionary(uniqueKeysWithValues: jobs.map { ($0, work($0)) })
        let meter = Meter(reporter: progress, total: workOf.values.reduce(0, +), jobs: jobs.count)
        let board = Board(jobs: jobs)
        BLASThreads.set(1)
        let workers = max(1, min(options.workers, jobs.count))
        progress.log("\(jobs.count) LMs to train (\(options.scales.map { "\($0.name): \($0.steps) steps × \($0.tokensPerStep) tokens" }.joined(separator: ", "))) on \(workers) worker thread(s)")
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let job = board.next() {
                do {
                    switch job {
                    case .reference:
                        board.setReference(.success(try referenceJob(run, options: options, corpus: corpus, tokenHash: tokenHash,
                                                                     evalSet: referenceSet!, meter: meter, work: workOf[job]!)))
                    case let .arm(s, arm):
                        let losses = arm.usesReference ? try board.waitForReference().losses : nil
                        let (result, reused) = try armJob(run, options: options, scale: options.scales[s], arm: arm, corpus: corpus,
                                                          keepFraction: keepFraction, matchSources: matchSources, referenceLosses: losses, evalSet: evalSets[s],
                                                          tokenHash: tokenHash, meter: meter, work: workOf[job]!)
                        board.finish(job, result, reused: reused)
                    case let .budget(s, f):
                        let (result, reused) = try armJob(run, options: options, scale: budgetScales[job]!, arm: .datarater, corpus: corpus,
                                                          keepFraction: keepFraction, matchSources: matchSources, referenceLosses: nil, evalSet: evalSets[s],
                                                          tokenHash: tokenHash, meter: meter, work: workOf[job]!, variant: budgetVariant(f))
                        board.finish(job, result, reused: reused)
                    }
                } catch {
                    if job == .reference { board.setReference(.failure(error)) }
                    board.fail(job, error)
                }
            }
        }
        guard board.failures.isEmpty else {
            throw CurationError(.stageFailed, "eval: " + board.failures.joined(separator: "; "),
                                hint: "rerun `datarater eval \(run.root)` with the same settings: finished LMs are kept in \(run.path("eval/runs")) and skipped")
        }
        return EvalReport.assemble(run: run, options: options, corpus: corpus, keepFraction: keepFraction, matchSources: matchSources, raters: raters,
                                   evalSets: evalSets, runs: board.runs.mapValues { $0 }, reference: board.referenceRun)
    }

    static func runPath(_ run: RunDirectory, _ name: String) -> String { run.path("eval/runs/\(name).json") }

    static func referenceJob(_ run: RunDirectory, options: Options, corpus: EvalCorpus, tokenHash: String, evalSet: EvalSet,
                             meter: Meter, work: Double) throws -> ReferenceRun {
        let scale = options.reference
        let hash = StageConfiguration([
            "scale": String(decoding: try JSONFiles.encode(scale), as: UTF8.self), "seed": String(options.seed), "tokens": tokenHash,
            "data_order": PackedStream.orderVersion,
            "outer": Checksum.of(corpus.outerIDs.joined(separator: "\n")),
            "pool": Checksum.of(corpus.pool.map(\.id).joined(separator: "\n")), "vocabulary": String(corpus.vocabularySize),
        ]).hash
        let path = runPath(run, "reference")
        if let saved = try JSONFiles.read(ReferenceRun.self, from: path), saved.configHash == hash, saved.losses.count == corpus.pool.count {
            meter.jobDone(work, "reference LM: reused \(path)")
            return saved
        }
        guard !corpus.outer.isEmpty else {
            throw CurationError(.stageFailed, "the outer split is empty: no data for the perplexity baseline's reference LM",
                                hint: "evaluate a larger run, or leave the perplexity arms out (--arms)")
        }
        let clock = ProgressReporter(label: "", quiet: true)
        let c = scale.config(vocabularySize: corpus.vocabularySize)
        let perStep = EvalFLOPs.lmTrainingPerToken(c) * Double(scale.tokensPerStep)
        var stream = PackedStream(tokens: corpus.tokens, documents: corpus.outer, seed: options.seed &+ 0x5EED)
        let (_, theta, model) = try LMTraining.train(
            scale: scale, vocabularySize: corpus.vocabularySize, stream: &stream, evalSet: nil, evals: 0, seed: options.seed
        ) { step, steps, loss in
            meter.advance(perStep, String(format: "reference LM step %d/%d loss %.3f", step, steps, loss))
        }
        let validation = try LMTraining.evaluate(model: model, parameters: theta, set: evalSet).overall
        // Perplexity of each pool document: mean token loss of its first context + 1 tokens.
        var losses = [Float](repeating: 0, count: corpus.pool.count)
        var scored = 0
        var start = 0
        let forward = EvalFLOPs.lmForwardPerToken(c, context: c.contextLength)
        while start < corpus.pool.count {
            let end = min(corpus.pool.count, start + 32)
            let rows = (start..<end).map { i -> [Int32] in
                let r = corpus.pool[i].range
                let row = Array(corpus.tokens[r.lowerBound..<min(r.upperBound, r.lowerBound + c.contextLength + 1)])
                return row.count >= 2 ? row : row + [Int32](repeating: 0, count: 2 - row.count)
            }
            let batch = try TokenBatch(rows: rows, sequenceLength: rows.map(\.count).max()!)
            let result = try model.loss(parameters: theta, batch: batch)
            for (j, row) in rows.enumerated() {
                losses[start + j] = result.perExample[j]
                scored += row.count - 1
            }
            meter.advance(forward * Double(rows.map { $0.count - 1 }.reduce(0, +)), "reference LM scoring \(end)/\(corpus.pool.count) pool documents")
            start = end
        }
        let epochs = Double(scale.trainedTokens) / Double(stream.totalTokens)
        let result = ReferenceRun(configHash: hash, trainedTokens: scale.trainedTokens, epochs: epochs,
                                  trainingFlops: perStep * Double(scale.steps), scoringFlops: forward * Double(scored),
                                  validationLoss: validation, losses: losses, seconds: clock.elapsed)
        try JSONFiles.write(result, to: path)
        meter.jobDone(0, String(format: "reference LM (outer split, %d tokens, %.2f epochs): validation loss %.4f, %.0f s", scale.trainedTokens,
                                epochs, validation, clock.elapsed))
        return result
    }

    static func armJob(_ run: RunDirectory, options: Options, scale: EvalScale, arm: EvalArm, corpus: EvalCorpus, keepFraction: Double,
                       matchSources: Bool, referenceLosses: [Float]?, evalSet: EvalSet, tokenHash: String, meter: Meter, work: Double,
                       variant: String? = nil) throws -> (ArmRun, Bool) {
        let selected = corpus.selection(arm, keepFraction: keepFraction, seed: options.seed, referenceLosses: referenceLosses,
                                        matchSources: matchSources)
        let label = "\(scale.name)/\(variant ?? arm.rawValue)"
        guard !selected.isEmpty else {
            throw CurationError(.stageFailed, "\(label): no pool document passes this arm's selection",
                                hint: "leave the arm out with --arms, or evaluate a larger run")
        }
        let hash = StageConfiguration([
            "scale": String(decoding: try JSONFiles.encode(scale), as: UTF8.self), "arm": arm.rawValue, "seed": String(options.seed),
            "evals": String(options.evals), "tokens": tokenHash, "vocabulary": String(corpus.vocabularySize),
            "data_order": PackedStream.orderVersion,
            "selection": Checksum.of(selected.map { corpus.pool[$0].id }.joined(separator: "\n")),
            "eval_set": Checksum.of(evalSet.ids.joined(separator: "\n") + "\n" + evalSet.rows.map { String($0.count) }.joined(separator: ",")),
        ]).hash
        let path = runPath(run, "\(scale.name)-\(variant ?? arm.rawValue)")
        if let saved = try JSONFiles.read(ArmRun.self, from: path), saved.configHash == hash {
            meter.jobDone(work, "\(label): reused \(path)")
            return (saved, true)
        }
        let clock = ProgressReporter(label: "", quiet: true)
        let c = scale.config(vocabularySize: corpus.vocabularySize)
        let perStep = EvalFLOPs.lmTrainingPerToken(c) * Double(scale.tokensPerStep)
        let perEval = EvalFLOPs.lmForwardPerToken(c, context: c.contextLength) * Double(evalSet.tokens)
        var stream = PackedStream(tokens: corpus.tokens, documents: selected.map { corpus.pool[$0].range },
                                  strata: selected.map { corpus.pool[$0].source }, seed: options.seed &+ 1)
        let evalSteps = Set(LMTraining.evaluationSteps(steps: scale.steps, evals: options.evals))
        let (curve, _, _) = try LMTraining.train(
            scale: scale, vocabularySize: corpus.vocabularySize, stream: &stream, referenceTokens: corpus.poolTokens, evalSet: evalSet,
            evals: options.evals, seed: options.seed
        ) { step, steps, loss in
            meter.advance(perStep + (evalSteps.contains(step) ? perEval : 0), String(format: "%@ step %d/%d loss %.3f", label, step, steps, loss))
        }
        let epochs = Double(scale.trainedTokens) / Double(stream.totalTokens)
        let result = ArmRun(configHash: hash, scale: scale.name, arm: arm, documents: selected.count, availableTokens: stream.totalTokens,
                            trainedTokens: scale.trainedTokens, epochs: epochs, curve: curve, seconds: clock.elapsed)
        try JSONFiles.write(result, to: path)
        meter.jobDone(perEval, String(format: "%@: %d documents, %.2f epochs, validation loss %.4f, %.0f s", label, selected.count,
                                      epochs, curve.last?.loss ?? .nan, clock.elapsed))
        return (result, false)
    }
}
