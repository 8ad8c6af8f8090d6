import ArgumentParser

extension DataRaterCommand.Bench {
    struct BenchLM: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lm",
            abstract: "LM training tokens/s and fraction of sgemm peak."
        )

        func run() throws {
            throw NotBuiltYet(command: "bench lm", issue: 3)
        }
    }
}
