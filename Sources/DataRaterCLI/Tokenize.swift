import ArgumentParser
import Curation

extension DataRaterCommand {
    struct Tokenize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tokenize",
            abstract: "Turn document shards into token shards aligned one-to-one.",
            discussion: "Uses RUN/tokenizer/tokenizer.json (from `datarater train-tokenizer`) unless --tokenizer is given. Finished shards are skipped."
        )

        @Argument(help: "The run directory.")
        var runDirectory: String

        @Option(help: "A byte-level BPE tokenizer.json (GPT-2 family).")
        var tokenizer: String?

        @Option(name: .customLong("compression-level"), help: "zstd level of the token shards.")
        var compressionLevel: Int32 = 3

        @OptionGroup var workers: WorkerOptions

        func run() throws {
            var options = TokenizeStage.Options()
            options.tokenizerPath = tokenizer
            options.workers = workers.workers
            options.rank = workers.rank
            options.worldSize = workers.worldSize
            options.compressionLevel = compressionLevel
            let directory = RunDirectory(runDirectory)
            if let record = try TokenizeStage.run(directory, options: options, command: CommandLine.arguments) {
                print("tokenized \(record.counts["documents"] ?? 0) documents into \(record.counts["tokens"] ?? 0) tokens in \(record.outputs.count) shards under \(directory.tokensDirectory)")
            }
        }
    }

    struct TrainTokenizer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train-tokenizer",
            abstract: "Learn a byte-level BPE tokenizer from the run's documents.",
            discussion: "Writes RUN/tokenizer/tokenizer.json, loadable by Hugging Face `tokenizers`."
        )

        @Argument(help: "The run directory.")
        var runDirectory: String

        @Option(name: .customLong("vocab-size"), help: "Vocabulary size, including the 256 byte tokens.")
        var vocabSize: Int = 4096

        @Option(name: .customLong("sample-size"), help: "How much text to learn from, e.g. 50MB.")
        var sampleSize: String = "50MB"

        @Option(help: "Seed of the document sample.")
        var seed: UInt64 = 0

        func validate() throws {
            guard vocabSize >= 257 && vocabSize <= 1 << 20 else { throw ValidationError("--vocab-size must be 257...1048576") }
            guard (try? ByteSize.parse(sampleSize)) != nil else { throw ValidationError("--sample-size: cannot read '\(sampleSize)'") }
        }

        func run() throws {
            var options = TrainTokenizerStage.Options()
            options.vocabularySize = vocabSize
            options.sampleBytes = try ByteSize.parse(sampleSize)
            options.seed = seed
            let directory = RunDirectory(runDirectory)
            let record = try TrainTokenizerStage.run(directory, options: options, command: CommandLine.arguments)
            print("trained a \(vocabSize)-token BPE on \(record.counts["sample_documents"] ?? 0) documents: \(TokenizeStage.defaultTokenizerPath(directory))")
        }
    }
}
