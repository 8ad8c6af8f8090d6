import ArgumentParser
import Curation
import Ingest
import ShardIO

extension DataRaterCommand {
    struct Shard: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shard",
            abstract: "Read raw corpora into balanced, zstd-compressed document shards.",
            discussion: """
            INPUT is a file or a directory (read recursively) of JSON Lines (.jsonl, .json, .jsonl.zst, .jsonl.gz, \
            .json.gz), tar archives (.tar, .tar.gz, .tgz, .tar.zst) of text or JSONL files, or WARC/WET (.warc.gz, \
            .wet.gz). Records that cannot be read go to RUN/rejected/ with their file, line, byte offset and error; \
            the stage carries on. Rerunning skips finished shards.
            """
        )

        @Argument(help: "Input files or directories.")
        var inputs: [String]

        @Option(name: .long, help: "The run directory to create or resume.")
        var out: String

        @Option(name: .customLong("shard-size"), help: "Target uncompressed size of a document shard, e.g. 128MB, 512KB.")
        var shardSize: String = "128MB"

        @Option(help: "How to map input fields: auto, dolma, pile, c4, text.")
        var format: String = "auto"

        @Option(name: .customLong("invalid-utf8"), help: "reject: send records with invalid UTF-8 to rejected/; repair: replace bad bytes with U+FFFD and count them.")
        var invalidUTF8: String = "reject"

        @Option(name: .customLong("max-record-size"), help: "Records larger than this are rejected without being buffered.")
        var maxRecordSize: String = "64MB"

        @Option(name: .customLong("compression-level"), help: "zstd level of the output shards.")
        var compressionLevel: Int32 = 3

        @Option(help: "Source name for documents that carry none (plain text files, WET records).")
        var source: String?

        func validate() throws {
            guard (try? ByteSize.parse(shardSize)) != nil else { throw ValidationError("--shard-size: cannot read '\(shardSize)'; use e.g. 128MB") }
            guard (try? ByteSize.parse(maxRecordSize)) != nil else { throw ValidationError("--max-record-size: cannot read '\(maxRecordSize)'") }
            guard InputFormat(rawValue: format) != nil else { throw ValidationError("--format must be one of auto, dolma, pile, c4, text") }
            guard InvalidUTF8Policy(rawValue: invalidUTF8) != nil else { throw ValidationError("--invalid-utf8 must be reject or repair") }
            guard (1...19).contains(compressionLevel) else { throw ValidationError("--compression-level must be 1...19") }
        }

        func run() throws {
            var options = ShardStage.Options(inputs: inputs)
            options.targetShardBytes = try ByteSize.parse(shardSize)
            options.maxRecordBytes = try ByteSize.parse(maxRecordSize)
            options.format = InputFormat(rawValue: format) ?? .auto
            options.invalidUTF8 = InvalidUTF8Policy(rawValue: invalidUTF8) ?? .reject
            options.compressionLevel = compressionLevel
            options.defaultSource = source
            let run = RunDirectory(out)
            let record = try ShardStage.run(run, options: options, command: CommandLine.arguments)
            print(ShardStage.summary(record, run: run))
        }
    }
}
