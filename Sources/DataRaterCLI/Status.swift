import ArgumentParser

extension DataRaterCommand {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show what is done, pending and failed in a run."
        )

        func run() throws {
            throw NotBuiltYet(command: "status", issue: 2)
        }
    }
}
