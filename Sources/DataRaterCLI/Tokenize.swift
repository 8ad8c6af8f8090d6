import ArgumentParser

extension DataRaterCommand {
    struct Tokenize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tokenize",
            abstract: "Turn document shards into token shards aligned one-to-one."
        )

        func run() throws {
            throw NotBuiltYet(command: "tokenize", issue: 4)
        }
    }
}
