import ArgumentParser

extension DataRaterCommand.Bench {
    struct BenchShard: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shard",
            abstract: "Shard throughput against zstd and datatrove."
        )

        func run() throws {
            throw NotBuiltYet(command: "bench shard", issue: 2)
        }
    }
}
