import ArgumentParser

extension DataRaterCommand {
    struct TrainTokenizer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train-tokenizer",
            abstract: "Learn a byte-level BPE tokenizer from the run's documents."
        )

        func run() throws {
            throw NotBuiltYet(command: "train-tokenizer", issue: 4)
        }
    }
}
