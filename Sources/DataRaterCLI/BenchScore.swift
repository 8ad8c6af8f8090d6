import ArgumentParser
import Curation
import Foundation

extension DataRaterCommand.Bench {
    struct BenchScore: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "score",
            abstract: "Scoring tokens/s and fraction of sgemm peak; the score stage with 1 and 2 workers; write MB/s."
        )

        @Option(name: .customLong("run"), help: "A run with token shards and a model (copied, not changed).")
        var runDirectory: String?

        @Option(name: .customLong("d-model"), help: "DataRater width for the kernel measurement.")
        var dModel: Int = 64

        @Option(help: "DataRater layers.")
        var layers: Int = 2

        @Option(help: "Chunk length.")
        var context: Int = 128

        @Option(name: .customLong("batch-rows"), help: "Chunks per forward pass, in the kernel measurement and the stage.")
        var batchRows: Int = ScoreStage.Options.defaultBatchRows

        @Option(help: "Timed forward passes for the kernel measurement.")
        var steps: Int = 40

        func run() throws {
            setenv("DATARATER_QUIET", "1", 1)
            print(try ScoreBench.run(runDirectory: runDirectory, dModel: dModel, layers: layers, context: context, batchRows: batchRows, steps: steps))
        }
    }
}
