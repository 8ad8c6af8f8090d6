import ArgumentParser

extension DataRaterCommand {
    struct Threshold: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "threshold",
            abstract: "Merge score sketches into a cutoff for a discard fraction."
        )

        func run() throws {
            throw NotBuiltYet(command: "threshold", issue: 6)
        }
    }
}
