import Foundation
import ShardIO
import Tokenization

/// `datarater tokenize RUN [--tokenizer PATH]`: token shards aligned one-to-one with the document shards.
///
/// Record i of `tokens/NNNNN.tok.zst` is document i of `docs/NNNNN.jsonl.zst` (its id is repeated), with the
/// document's full text encoded (no special tokens, no truncation: truncating or chunking to a model's
/// context is the consumer's rule). uint16 ids when the vocabulary fits. The tokenizer's sha256 is in the
/// manifest and in every shard's completion record, so a different tokenizer redoes every shard.
public enum TokenizeStage {
    public static let name = "tokenize"

    public struct Options: Sendable {
        public var tokenizerPath: String?
        public var workers: Int = 1
        public var rank: Int?
        public var worldSize: Int?
        public var compressionLevel: Int32 = 3

        public init() {}
    }

    /// The tokenizer a run uses when none is given: the one `train-tokenizer` wrote.
    public static func defaultTokenizerPath(_ run: RunDirectory) -> String { run.path("tokenizer/tokenizer.json") }

    static func stage(_ run: RunDirectory, options: Options) throws -> (ShardedStage, Tokenizer, String) {
        let path = options.tokenizerPath ?? defaultTokenizerPath(run)
        guard FileIO.fileExists(path) else {
            throw CurationError(.inputNotFound, "\(path): no tokenizer",
                                hint: "train one with `datarater train-tokenizer \(run.root) --vocab-size 4096`, or pass --tokenizer PATH to a tokenizer.json")
        }
        let tokenizer = try loadTokenizer(path)
        let (sha, bytes) = try Checksum.file(path)
        let configuration = StageConfiguration([
            "tokenizer_sha256": sha,
            "compression_level": String(options.compressionLevel),
            "format_version": "1",
        ])
        let stage = ShardedStage(name: name, run: run, configuration: configuration,
                                 dependencies: [InputRecord(path: path, bytes: bytes, sha256: sha)])
        return (stage, tokenizer, path)
    }

    @discardableResult
    public static func run(_ run: RunDirectory, options: Options, command: [String]) throws -> StageRecord? {
        let (stage, tokenizer, path) = try stage(run, options: options)
        let process = { (index: Int, _: ShardSummary) throws -> (outputs: [ShardSummary], counts: [String: Int]) in
            try tokenizeShard(index, run: run, tokenizer: tokenizer, level: options.compressionLevel)
        }
        let workerArguments = [name, run.root, "--tokenizer", path, "--compression-level", String(options.compressionLevel)]
        return try stage.execute(workers: options.workers, rank: options.rank, worldSize: options.worldSize,
                                 workerArguments: workerArguments, command: command, process: process)
    }

    static func loadTokenizer(_ path: String) throws -> Tokenizer {
        do { return try Tokenizer(contentsOf: path) } catch {
            throw CurationError(.badArguments, "\(path): cannot load the tokenizer: \(error)",
                                hint: "pass a byte-level BPE tokenizer.json (GPT-2 family), or train one with `datarater train-tokenizer`")
        }
    }

    static func tokenizeShard(_ index: Int, run: RunDirectory, tokenizer: Tokenizer, level: Int32) throws
        -> (outputs: [ShardSummary], counts: [String: Int]) {
        let width = TokenShardFormat.width(forVocabularySize: tokenizer.vocabularySize)
        let writer = try TokenShardWriter(path: run.tokenShard(index), width: width, level: level)
        var reader = try JSONLShardReader(path: run.docsShard(index))
        var ids: [Int32] = []
        var tokens: [UInt32] = []
        var documents = 0, totalTokens = 0, textBytes = 0
        while let document = try reader.next({ try Document(jsonLine: $0) }) {
            ids.removeAll(keepingCapacity: true)
            var text = document.text
            text.withUTF8 { tokenizer.encode(utf8: $0, into: &ids) }
            tokens.removeAll(keepingCapacity: true)
            for id in ids { tokens.append(UInt32(bitPattern: id)) }
            try writer.append(id: document.id, tokens: tokens)
            documents += 1
            totalTokens += ids.count
            textBytes += text.utf8.count
        }
        let summary = try writer.finish()
        return ([summary], ["documents": documents, "tokens": totalTokens, "text_bytes": textBytes])
    }
}
