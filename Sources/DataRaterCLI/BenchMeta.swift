import ArgumentParser
import Curation
import Foundation
import MetaLearning

extension DataRaterCommand.Bench {
    struct BenchMeta: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "meta",
            abstract: "Seconds per meta-step (T inner steps + exact meta-gradient) and peak RSS, one thread.",
            discussion: "One inner LM of the small configuration (vocab 4096, d 128, 2 layers, 4 heads, context 128) and a DataRater of d 64 × 2 layers × 4 heads, random chunks of 128 tokens, batches of 16 inner and 16 outer. Run each T in its own process so the peak RSS belongs to that T: scripts/bench/meta_compare.sh does that and runs the JAX reference (scripts/bench/meta_reference.py) beside it."
        )

        @Option(help: "Timed meta-steps.")
        var steps: Int = 5

        @Option(help: "Untimed meta-steps first.")
        var warmup: Int = 2

        @Option(name: .customLong("t"), help: "Inner steps T per meta-step; a comma-separated list runs them one after another in this process (the peak RSS is then the largest T's).")
        var unroll: String = "1"

        @Option(name: .customLong("inner-optimizer"), help: "sgd, momentum or adam.")
        var innerOptimizer: String = "momentum"

        @Flag(help: "One JSON line per T instead of the summary.")
        var json = false

        func run() throws {
            guard let kind = InnerOptimizerConfig.Kind(rawValue: innerOptimizer) else {
                throw ValidationError("unknown --inner-optimizer \(innerOptimizer); use sgd, momentum or adam")
            }
            let values = unroll.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ValidationError("--t takes positive integers, e.g. --t 2 or --t 1,2,3")
            }
            for t in values.compactMap({ $0 }) {
                let report = try MetaBench.run(unrollSteps: t, steps: steps, warmup: warmup, innerOptimizer: kind)
                print(json ? report.json : report.description)
            }
        }
    }
}
