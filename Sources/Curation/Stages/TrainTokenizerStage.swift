import Foundation
import ShardIO
import Tokenization

/// `datarater train-tokenizer RUN --vocab-size N`: a byte-level BPE learned from a bounded, deterministic
/// sample of the run's documents, written to `RUN/tokenizer/tokenizer.json`.
///
/// The sample: documents are taken in shard order, keeping a document when the first 8 bytes of sha256(id +
/// seed) fall below the sampling rate, until `sampleBytes` of text; the rate is chosen from the corpus size so
/// the sample spreads across the whole corpus.
public enum TrainTokenizerStage {
    public static let name = "train-tokenizer"

    public struct Options: Sendable {
        public var vocabularySize = 4096
        public var sampleBytes = 50_000_000
        public var seed: UInt64 = 0
        public init() {}
    }

    @discardableResult
    public static func run(_ run: RunDirectory, options: Options, command: [String]) throws -> StageRecord {
        let progress = ProgressReporter(label: name)
        let started = Clock.now()
        let shards = try ShardVerification.verifiedOutputs(of: ShardStage.name, prefix: "docs/", in: run)
        let manifest = try Manifest.load(run)
        let configuration = StageConfiguration([
            "vocab_size": String(options.vocabularySize), "sample_bytes": String(options.sampleBytes), "seed": String(options.seed),
        ])
        let inputs = shards.map { InputRecord(path: $0.path, bytes: $0.bytes, sha256: $0.sha256) }
        if let done = manifest.stages[name], done.status == .complete, done.configHash == configuration.hash, done.inputs == inputs,
           let output = done.outputs.first, (try? Checksum.file(run.path(output.path)).sha256) == output.sha256 {
            progress.log("already complete with this configuration and these shards: \(output.path)")
            return done
        }
        let corpusBytes = max(manifest.stages[ShardStage.name]?.counts["text_bytes"] ?? 1, 1)
        let rate = min(1.0, Double(options.sampleBytes) / Double(corpusBytes))
        let threshold = rate >= 1 ? UInt64.max : UInt64(rate * Double(UInt64.max))
        var texts: [String] = []
        var taken = 0
        outer: for shard in shards {
            var reader = try JSONLShardReader(path: run.path(shard.path))
            while let document = try reader.next({ try Document(jsonLine: $0) }) {
                if taken >= options.sampleBytes { break outer }
                if sampleKey(document.id, seed: options.seed) <= threshold {
                    texts.append(document.text)
                    taken += document.text.utf8.count
                }
            }
            progress.tick("sampled \(texts.count) documents, \(ProgressReporter.bytes(Double(taken)))")
        }
        progress.log("training a \(options.vocabularySize)-token BPE on \(texts.count) documents (\(ProgressReporter.bytes(Double(taken))))")
        let tokenizer: Tokenizer
        do { tokenizer = try BPETrainer.train(texts: texts, vocabularySize: options.vocabularySize) } catch {
            throw CurationError(.badArguments, "cannot train the tokenizer: \(error)")
        }
        let path = TokenizeStage.defaultTokenizerPath(run)
        try FileIO.createDirectory(FileIO.split(path).directory)
        try FileIO.writeFileAtomically(path, tokenizer.jsonData())
        FaultInjection.point(name, "before-done", shard: 0)
        let (sha, bytes) = try Checksum.file(path)
        let record = StageRecord(
            stage: name, status: .complete, command: command, configuration: configuration.values, configHash: configuration.hash,
            code: .current, host: Clock.host, pid: getpid(), startedAt: started, finishedAt: Clock.now(),
            inputs: inputs,
            outputs: [ShardSummary(path: run.relative(path), bytes: bytes, sha256: sha, records: tokenizer.vocabularySize)],
            counts: ["sample_documents": texts.count, "sample_text_bytes": taken, "vocab_size": tokenizer.vocabularySize],
            errors: [])
        try Manifest.update(run) { $0.stages[name] = record }
        return record
    }

    static func sampleKey(_ id: String, seed: UInt64) -> UInt64 {
        let digest = Checksum.of(id + "\u{0}" + String(seed))
        return UInt64(digest.prefix(16), radix: 16) ?? 0
    }
}
