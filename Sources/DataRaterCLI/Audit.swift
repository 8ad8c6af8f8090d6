import ArgumentParser

extension DataRaterCommand {
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "Report what was kept and discarded, and why."
        )

        func run() throws {
            throw NotBuiltYet(command: "audit", issue: 6)
        }
    }
}
