import ArgumentParser
import Curation
import Foundation

extension DataRaterCommand {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "eval",
            abstract: "Train fresh LMs on curated and baseline data at equal compute.",
            discussion: """
            Every arm selects documents from the run's inner_train split and trains a fresh causal LM on the same \
            number of tokens (same initialisation; documents packed back to back in one seeded order shared by every arm and \
            cut into rows; each LM trains on rows drawn at random from a whole epoch of its selection, in an order shared by \
            every arm: a row's place is a seeded hash of where its first token sits in the corpus, so a filtered arm reads \
            the unfiltered arm's rows without those of its discarded documents): datarater (the kept set), \
            unfiltered, random (the DataRater's keep fraction), perplexity-low|middle|high (the keep fraction by the \
            perplexity of a reference LM trained on the outer split; after `threshold --per-source`, random and perplexity keep the \
            DataRater's count of every source), c4 and gopher (the published rules). Loss is \
            measured on the validation split, which nothing trains on, overall and per source. With --budgets the datarater arm \
            trains again on shares of the unfiltered arm's FLOPs, each LM to the end of its own schedule, for the budget-matched \
            compute saved. Writes RUN/eval/ \
            (report.json, report.md, curves.csv, loss-vs-flops-SCALE.svg); finished LMs are kept in RUN/eval/runs/ and a \
            rerun with the same settings skips them.
            """
        )

        @Argument(help: "The run directory (after `datarater write`).")
        var runDirectory: String

        @Option(help: "LM sizes: small (d 128 × 2 layers, context 128) and/or base (d 256 × 4 layers, context 256).")
        var scales: String = "small,base"

        @Option(help: "Arms: datarater, unfiltered, random, perplexity-low, perplexity-middle, perplexity-high, c4, gopher.")
        var arms: String = EvalArm.defaults.map(\.rawValue).joined(separator: ",")

        @Option(name: .customLong("small-tokens"), help: "Training tokens per arm of the small LM.")
        var smallTokens: Int = 1_200_000

        @Option(name: .customLong("base-tokens"), help: "Training tokens per arm of the base LM.")
        var baseTokens: Int = 500_000

        @Option(name: .customLong("small-lr"), help: "Peak learning rate of the small LMs and of the reference LM.")
        var smallLearningRate: Double = EvalScale.small().learningRate

        @Option(name: .customLong("base-lr"), help: "Peak learning rate of the base LMs.")
        var baseLearningRate: Double = EvalScale.base().learningRate

        @Option(name: .customLong("small-batch"), help: "Rows per step of the small LMs (and of the reference LM).")
        var smallBatch: Int = EvalScale.small().batchSize

        @Option(name: .customLong("base-batch"), help: "Rows per step of the base LMs.")
        var baseBatch: Int = EvalScale.base().batchSize

        @Option(help: "Linear warm-up of every LM (both scales and the reference LM), as a fraction of its steps.")
        var warmup: Double = EvalScale.small().warmupFraction

        @Option(name: .customLong("reference-tokens"), help: "Training tokens of the reference LM (small shape, outer split).")
        var referenceTokens: Int = 1_000_000

        @Option(help: "Evaluations per LM besides the one at step 0.")
        var evals: Int = 12

        @Option(name: .customLong("eval-tokens"), help: "Validation tokens per evaluation (a raw-mix sample, plus rows so every source has a few).")
        var evalTokens: Int = 24_576

        @Option(help: ArgumentHelp(
            "Shares of the unfiltered arm's FLOPs (scoring included) on which the datarater arm trains again, each LM to the end of its own schedule; 'none' to skip. Default: 0.75 when both arms are evaluated.",
            discussion: "The direct test of compute saved: does an LM given 75% of the compute on the DataRater set reach the unfiltered final loss?"))
        var budgets: String?

        @Option(help: "Seed of initialisation, data order and the random arm.")
        var seed: UInt64 = 0

        @Option(help: "Worker threads, each training one LM at a time on one BLAS thread.")
        var workers: Int = 2

        func validate() throws {
            for name in scales.split(separator: ",") where !["small", "base"].contains(String(name)) {
                throw ValidationError("unknown scale '\(name)'; use small and/or base")
            }
            for name in arms.split(separator: ",") where EvalArm(rawValue: String(name)) == nil {
                throw ValidationError("unknown arm '\(name)'; use \(EvalArm.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard workers >= 1, evals >= 1, evalTokens >= 1 else { throw ValidationError("--workers, --evals and --eval-tokens must be at least 1") }
            guard smallTokens >= 1, baseTokens >= 1, referenceTokens >= 1 else { throw ValidationError("token budgets must be positive") }
            guard smallBatch >= 1, baseBatch >= 1 else { throw ValidationError("--small-batch and --base-batch must be at least 1") }
            guard smallLearningRate > 0, baseLearningRate > 0, smallLearningRate.isFinite, baseLearningRate.isFinite else {
                throw ValidationError("--small-lr and --base-lr must be positive")
            }
            guard warmup >= 0, warmup < 1 else { throw ValidationError("--warmup is a fraction of the steps, at least 0 and below 1") }
            guard let shares = budgetShares, shares.allSatisfy({ $0 > 0 && $0 < 1 }) else {
                throw ValidationError("--budgets takes shares of the unfiltered FLOPs above 0 and below 1, comma-separated (0.6,0.75,0.9), or none")
            }
            guard shares.isEmpty || comparesWithUnfiltered else {
                throw ValidationError("--budgets needs the datarater and unfiltered arms; add them to --arms or pass --budgets none")
            }
        }

        var comparesWithUnfiltered: Bool {
            let names = arms.split(separator: ",")
            return names.contains("datarater") && names.contains("unfiltered")
        }

        /// `--budgets` parsed (by default 0.75 when the datarater and unfiltered arms are evaluated); nil when a
        /// field is not a number.
        var budgetShares: [Double]? {
            guard let budgets else { return comparesWithUnfiltered ? [0.75] : [] }
            if budgets == "none" { return [] }
            let fields = budgets.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            return fields.isEmpty || fields.contains(nil) ? nil : fields.map { $0! }
        }

        func run() throws {
            var options = EvalStage.Options()
            options.scales = scales.split(separator: ",").map { name in
                var scale = name == "small" ? EvalScale.small(tokens: smallTokens) : EvalScale.base(tokens: baseTokens)
                scale.learningRate = name == "small" ? smallLearningRate : baseLearningRate
                scale.batchSize = name == "small" ? smallBatch : baseBatch
                scale.warmupFraction = warmup
                return scale
            }
            options.arms = arms.split(separator: ",").compactMap { EvalArm(rawValue: String($0)) }
            options.reference = .small(tokens: referenceTokens)
            options.reference.learningRate = smallLearningRate
            options.reference.batchSize = smallBatch
            options.reference.warmupFraction = warmup
            options.evals = evals
            options.budgets = budgetShares ?? []
            options.evalTokens = evalTokens
            options.seed = seed
            options.workers = workers
            let directory = RunDirectory(runDirectory)
            let report = try EvalStage.run(directory, options: options, command: CommandLine.arguments)
            let markdown = (try? String(contentsOfFile: EvalStage.directory(directory) + "/report.md", encoding: .utf8)) ?? ""
            print(markdown)
            print("report: \(EvalStage.directory(directory))/report.json, curves.csv, "
                  + report.scales.map { "loss-vs-flops-\($0.name).svg" }.joined(separator: ", "))
        }
    }
}
