import ArgumentParser

extension DataRaterCommand {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Meta-learn the DataRater on the run's token shards."
        )

        func run() throws {
            throw NotBuiltYet(command: "train", issue: 5)
        }
    }
}
