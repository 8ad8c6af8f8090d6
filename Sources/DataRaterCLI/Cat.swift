import ArgumentParser

extension DataRaterCommand {
    struct Cat: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cat",
            abstract: "Print any shard as JSON Lines."
        )

        func run() throws {
            throw NotBuiltYet(command: "cat", issue: 2)
        }
    }
}
