import ArgumentParser
import Curation
import Foundation

extension DataRaterCommand.Bench {
    struct BenchShard: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shard",
            abstract: "Shard throughput against `zstd -dc | wc -l` and datatrove, measured in one run."
        )

        @Option(help: "A directory of .jsonl.zst files.")
        var corpus: String = "../shared/corpora/dev"

        @Option(help: "Scratch directory for the outputs.")
        var work: String = NSTemporaryDirectory()

        @Flag(name: .customLong("no-datatrove"), help: "Skip the datatrove reference.")
        var noDatatrove = false

        func run() throws {
            let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts").path
            setenv("DATARATER_QUIET", "1", 1)
            let rows = try ShardBenchmark.run(corpus: corpus, workDirectory: work, datatrove: !noDatatrove, scriptsDirectory: scripts)
            print(ShardBenchmark.render(rows))
        }
    }
}
