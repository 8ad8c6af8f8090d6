import ArgumentParser

extension DataRaterCommand {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Benchmarks: measure the hot paths against references."
        )

        func run() throws {
            throw NotBuiltYet(command: "bench", issue: 2)
        }
    }
}
