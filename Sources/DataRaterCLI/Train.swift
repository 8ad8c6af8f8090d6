import ArgumentParser
import Curation
import Foundation
import MetaLearning

extension DataRaterCommand {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Meta-learn the DataRater on the run's token shards.",
            discussion: """
            Trains a population of small causal LMs on batches weighted by the DataRater's scores and moves the \
            DataRater along the exact meta-gradient of their held-out loss. Progress (meta-step, outer loss, \
            effective sample size, steps/s, ETA) goes to stderr; the full state is checkpointed every \
            checkpoint_every steps to RUN/train/, and a rerun resumes from it. Writes RUN/model/datarater.safetensors \
            and RUN/model/datarater.json.

            --target: by default the outer loss is measured on a held-out split of the run's own corpus. Pass a \
            clean corpus of the kind you want (another run tokenized with the same tokenizer, or Dolma document \
            shards) to curate toward it: with a corpus that is itself noisy, a clean target teaches the DataRater \
            faster what to down-weight.
            """
        )

        @Argument(help: "The run directory.")
        var runDirectory: String?

        @Option(help: "A meta-training configuration (JSON); see --print-config.")
        var config: String?

        @Option(help: "Meta-steps (overrides the configuration).")
        var steps: Int?

        @Option(help: "Seed (overrides the configuration).")
        var seed: UInt64?

        @Option(help: "A target corpus for the outer loss: a run or a directory of document shards.")
        var target: String?

        @Option(name: .customLong("max-tokens"), help: "Load at most this many tokens of the run for training.")
        var maxTokens: Int = 50_000_000

        @Option(help: "Threads for the population (default from the configuration).")
        var threads: Int?

        @Flag(name: .customLong("print-config"), help: "Print the default configuration for a vocabulary of --vocab-size and exit.")
        var printConfig = false

        @Option(name: .customLong("vocab-size"), help: "With --print-config.")
        var vocabSize: Int = 4096

        func validate() throws {
            guard runDirectory != nil || printConfig else { throw ValidationError("missing the run directory") }
            if let steps { guard steps >= 1 else { throw ValidationError("--steps must be at least 1") } }
            guard maxTokens >= 1000 else { throw ValidationError("--max-tokens must be at least 1000") }
        }

        func run() throws {
            if printConfig {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(MetaTrainingConfig.defaults(vocabularySize: vocabSize)), as: UTF8.self))
                return
            }
            var options = TrainStage.Options()
            options.configPath = config
            options.steps = steps
            options.seed = seed
            options.targetPath = target
            options.maxTokens = maxTokens
            options.threads = threads
            let directory = RunDirectory(runDirectory ?? "")
            let record = try TrainStage.run(directory, options: options, command: CommandLine.arguments)
            print("trained the DataRater for \(record.counts["meta_steps"] ?? 0) meta-steps: \(TrainStage.modelDirectory(directory))/datarater.safetensors"
                  + (record.errors.first.map { " (\($0))" } ?? ""))
        }
    }
}
