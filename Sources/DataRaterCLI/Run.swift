import ArgumentParser

extension DataRaterCommand {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a pipeline file end to end, skipping finished work."
        )

        func run() throws {
            throw NotBuiltYet(command: "run", issue: 7)
        }
    }
}
