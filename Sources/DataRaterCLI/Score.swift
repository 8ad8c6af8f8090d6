import ArgumentParser
import Curation

extension DataRaterCommand {
    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "score",
            abstract: "Score every document with a trained DataRater in parallel workers.",
            discussion: "Shard i belongs to worker i mod N. Finished shards are skipped; a worker that dies is reported with its shards and a rerun redoes only what is missing."
        )

        @Argument(help: "The run directory.")
        var runDirectory: String

        @Option(help: ArgumentHelp("Directory holding datarater.safetensors and datarater.json (default RUN/model).",
                                   discussion: "Repeat to score with an ensemble: each DataRater's scores are standardized on a calibration sample of the run and averaged."))
        var model: [String] = []

        @Option(name: .customLong("batch-rows"), help: "Chunks scored per forward pass (part of the scorer's identity).")
        var batchRows: Int = ScoreStage.Options.defaultBatchRows

        @OptionGroup var workers: WorkerOptions

        func run() throws {
            var options = ScoreStage.Options()
            options.modelDirectories = model
            options.batchRows = batchRows
            options.workers = workers.workers
            options.rank = workers.rank
            options.worldSize = workers.worldSize
            let directory = RunDirectory(runDirectory)
            if let record = try ScoreStage.run(directory, options: options, command: CommandLine.arguments) {
                print("scored \(record.counts["documents"] ?? 0) documents in \(record.counts["shards"] ?? 0) shards under \(directory.scoresDirectory)")
            }
        }
    }
}
