import ArgumentParser

extension DataRaterCommand {
    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "write",
            abstract: "Write kept, discarded and rejected documents."
        )

        func run() throws {
            throw NotBuiltYet(command: "write", issue: 6)
        }
    }
}
