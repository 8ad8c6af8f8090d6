import ArgumentParser
import Curation
import Foundation
import ShardIO
import Tokenization

extension DataRaterCommand.Bench {
    struct BenchTokenize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tokenize",
            abstract: "Tokenizer throughput on one core (tokens/s).",
            discussion: "Reference in the same session: scripts/tokenizer/bench_hf.py (Hugging Face tokenizers, RAYON_NUM_THREADS=1); see scripts/tokenizer/README.md."
        )

        @Option(help: "A tokenizer.json.")
        var tokenizer: String

        @Option(help: "A directory of Dolma .jsonl.zst document shards.")
        var corpus: String = "../shared/corpora/dev"

        func run() throws {
            var texts: [String] = []
            for name in try FileIO.listDirectory(corpus) where name.hasSuffix(".jsonl.zst") {
                var reader = try JSONLShardReader(path: FileIO.join(corpus, name))
                while let document = try reader.next({ try Document(jsonLine: $0) }) { texts.append(document.text) }
            }
            let bytes = texts.reduce(0) { $0 + $1.utf8.count }
            let (tokens, seconds) = try TokenizerBenchmark.run(tokenizerPath: tokenizer, texts: texts)
            print(String(format: "%d documents, %.1f MB, %d tokens in %.2f s: %.0f tokens/s, %.1f MB/s (one core)",
                         texts.count, Double(bytes) / 1e6, tokens, seconds, Double(tokens) / seconds, Double(bytes) / 1e6 / seconds))
        }
    }
}
