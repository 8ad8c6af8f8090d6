import ArgumentParser

extension DataRaterCommand {
    struct Shard: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shard",
            abstract: "Read raw corpora into balanced, zstd-compressed document shards."
        )

        func run() throws {
            throw NotBuiltYet(command: "shard", issue: 2)
        }
    }
}
