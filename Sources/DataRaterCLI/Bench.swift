import ArgumentParser

extension DataRaterCommand {
    /// Benchmarks are not tests: each measures a hot path against a reference taken in the same run.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Benchmarks: measure the hot paths against references taken in the same run.",
            subcommands: [BenchShard.self, BenchLM.self, BenchTokenize.self, BenchScore.self, BenchMeta.self]
        )
    }
}
