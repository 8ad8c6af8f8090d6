import ArgumentParser

extension DataRaterCommand.Bench {
    struct BenchTokenize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tokenize",
            abstract: "Tokenizer throughput against Hugging Face tokenizers."
        )

        func run() throws {
            throw NotBuiltYet(command: "bench tokenize", issue: 4)
        }
    }
}
