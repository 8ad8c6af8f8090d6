import ArgumentParser
import Curation
import Foundation

extension DataRaterCommand {
    struct Cat: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cat",
            abstract: "Print any shard as JSON Lines.",
            discussion: "Document, score and rejection shards print line for line; token shards print {\"id\",\"tokens\"} records. Pipe into jq."
        )

        @Argument(help: "Shard files (.jsonl.zst, .tok.zst, .jsonl).")
        var shards: [String]

        @Option(name: .shortAndLong, help: "Stop after this many records.")
        var limit: Int?

        func run() throws {
            let out = BufferedOutput()
            defer { out.flush() }
            try CatTool.run(paths: shards, limit: limit) { out.write($0) }
        }
    }
}
