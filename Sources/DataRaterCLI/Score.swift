import ArgumentParser

extension DataRaterCommand {
    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "score",
            abstract: "Score every document with a trained DataRater in parallel workers."
        )

        func run() throws {
            throw NotBuiltYet(command: "score", issue: 6)
        }
    }
}
