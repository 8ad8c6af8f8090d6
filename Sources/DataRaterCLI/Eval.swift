import ArgumentParser

extension DataRaterCommand {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "eval",
            abstract: "Train fresh LMs on curated and baseline data at equal compute."
        )

        func run() throws {
            throw NotBuiltYet(command: "eval", issue: 8)
        }
    }
}
