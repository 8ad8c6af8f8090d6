import Foundation
import ShardIO

/// `datarater write RUN`: applies `threshold.json` to every scored document.
///
/// ```
/// RUN/kept/docs/NNNNN.jsonl.zst       kept documents, metadata.datarater = {score, quantile}
/// RUN/kept/tokens/NNNNN.tok.zst       their token records (the per-shard, resumable unit)
/// RUN/kept/tokens.bin                 every kept token, flat, little-endian uint16 (or uint32, see tokens.json)
/// RUN/kept/tokens.idx                 uint64 LE offsets into tokens.bin, one per kept document plus the end
/// RUN/kept/tokens.json                dtype, counts, vocabulary, and the order: kept/docs shards in order
/// RUN/discarded/NNNNN.jsonl.zst       every discarded document with score, cutoff, quantile, rank, reason
/// ```
/// Document k of the flat file is the k-th line of the kept shards taken in order; its tokens are
/// `tokens.bin[idx[k]:idx[k+1]]` (`numpy.memmap("tokens.bin", dtype="<u2")`, `numpy.fromfile("tokens.idx", "<u8")`).
public enum WriteStage {
    public static let name = "write"

    public struct Options: Sendable {
        public var workers = 1
        public var rank: Int?
        public var worldSize: Int?
        public var compressionLevel: Int32 = 3
        public init() {}
    }

    static func stage(_ run: RunDirectory) throws -> (ShardedStage, Threshold) {
        guard let threshold = try JSONFiles.read(Threshold.self, from: run.thresholdPath) else {
            throw CurationError(.stageNotRun, "\(run.thresholdPath): no threshold",
                                hint: "run `datarater threshold \(run.root) --discard 0.5` first")
        }
        let scores = try ShardVerification.verifiedOutputs(of: "score", prefix: "scores/", in: run).filter { $0.path.hasSuffix(".jsonl.zst") }
        let tokens = try ShardVerification.verifiedOutputs(of: TokenizeStage.name, prefix: "tokens/", in: run)
        let (sha, bytes) = try Checksum.file(run.thresholdPath)
        let configuration = StageConfiguration(["compression_level": "3", "format_version": "1"])
        let stage = ShardedStage(
            name: name, run: run, configuration: configuration,
            dependencies: [InputRecord(path: "threshold.json", bytes: bytes, sha256: sha)],
            shardInputs: { index in
                (index < scores.count ? [scores[index]] : []) + (index < tokens.count ? [tokens[index]] : [])
            })
        guard scores.count == (try stage.inputs()).count, tokens.count == scores.count else {
            throw CurationError(.shardMismatch, "\(run.root): \(try stage.inputs().count) document shards, \(scores.count) score shards, \(tokens.count) token shards",
                                hint: "rerun `datarater tokenize` and `datarater score` so every document shard has both")
        }
        return (stage, threshold)
    }

    @discardableResult
    public static func run(_ run: RunDirectory, options: Options, command: [String]) throws -> StageRecord? {
        let (stage, threshold) = try stage(run)
        let process = { (index: Int, _: ShardSummary) throws -> (outputs: [ShardSummary], counts: [String: Int]) in
            try writeShard(index, run: run, threshold: threshold, level: options.compressionLevel)
        }
        guard var record = try stage.execute(workers: options.workers, rank: options.rank, worldSize: options.worldSize,
                                             workerArguments: [name, run.root], command: command, process: process)
        else { return nil }  // one rank of an outside scheduler: the leader assembles and reconciles
        let flat = try assembleTokens(run, shards: try stage.inputs().count)
        record.outputs += flat
        let counts = record.counts
        let sharded = try Manifest.load(run).stages[ShardStage.name]?.counts["documents"] ?? -1
        let kept = counts["kept"] ?? 0, discarded = counts["discarded"] ?? 0
        guard kept + discarded == counts["scored"] ?? -1, counts["scored"] == sharded else {
            throw CurationError(.stageFailed, "counts do not reconcile: kept \(kept) + discarded \(discarded), scored \(counts["scored"] ?? -1), sharded \(sharded)",
                                hint: "a stage's outputs changed underneath; rerun `datarater score` and `datarater write`")
        }
        let final = record
        try Manifest.update(run) { manifest in
            manifest.stages[name] = final
            manifest.stages[name]?.counts["sharded"] = sharded
            let rejected = manifest.stages[ShardStage.name]?.counts["rejected"] ?? 0
            manifest.stages[name]?.counts["rejected"] = rejected
        }
        return try Manifest.load(run).stages[name]
    }

    static func writeShard(_ index: Int, run: RunDirectory, threshold: Threshold, level: Int32) throws
        -> (outputs: [ShardSummary], counts: [String: Int]) {
        let keptDocs = try ShardWriter(path: FileIO.join(run.path("kept/docs"), RunDirectory.shardName(index) + ".jsonl.zst"), level: level)
        var docs = try JSONLShardReader(path: run.docsShard(index))
        var scores = try JSONLShardReader(path: run.scoreShard(index))
        var tokens = try TokenShardReader(path: run.tokenShard(index))
        let keptTokens = try TokenShardWriter(path: FileIO.join(run.path("kept/tokens"), RunDirectory.shardName(index) + ".tok.zst"),
                                              width: tokens.width, level: level)
        let discarded = try ShardWriter(path: FileIO.join(run.path("discarded"), RunDirectory.shardName(index) + ".jsonl.zst"), level: level)
        var line: [UInt8] = []
        var counts: [String: Int] = ["scored": 0, "kept": 0, "discarded": 0, "kept_tokens": 0]
        while var document = try docs.next({ try Document(jsonLine: $0) }) {
            let place = "\(run.docsShard(index)) line \(docs.lineNumber)"
            guard let (scoreID, score) = try scores.next({ try ScoreLine.parse($0) }) else {
                throw CurationError(.shardMismatch, "\(run.scoreShard(index)) ends before \(place)", hint: "rerun `datarater score`")
            }
            guard let record = try tokens.next() else {
                throw CurationError(.shardMismatch, "\(run.tokenShard(index)) ends before \(place)", hint: "rerun `datarater tokenize`")
            }
            guard scoreID == document.id, record.id == document.id else {
                throw CurationError(.shardMismatch, "\(place): document \(document.id) is aligned with score \(scoreID) and tokens \(record.id)",
                                    hint: "rerun `datarater tokenize` and `datarater score`")
            }
            counts["scored", default: 0] += 1
            let decision = threshold.decide(id: document.id, source: document.source, score: score)
            let rank = Int((decision.quantile * Double(threshold.documents)).rounded())
            line.removeAll(keepingCapacity: true)
            if decision.keep {
                var members: [(key: String, value: JSONValue)] = []
                if case let .object(existing) = document.metadata { members = existing }
                members.append((key: "datarater", value: .object([
                    (key: "score", value: .number(formatScore(score))),
                    (key: "quantile", value: .number(String(format: "%.6f", decision.quantile))),
                ])))
                document.metadata = .object(members)
                document.writeJSONLine(into: &line)
                try line.withUnsafeBytes { try keptDocs.append($0) }
                try keptTokens.append(id: record.id, tokens: record.tokens)
                counts["kept", default: 0] += 1
                counts["kept_tokens", default: 0] += record.tokens.count
            } else {
                let entry: JSONValue = .object([
                    (key: "id", value: .string(document.id)),
                    (key: "source", value: .string(document.source)),
                    (key: "score", value: .number(formatScore(score))),
                    (key: "cutoff", value: .number(formatScore(decision.cutoff))),
                    (key: "quantile", value: .number(String(format: "%.6f", decision.quantile))),
                    (key: "rank", value: .number(String(rank))),
                    (key: "reason", value: .string(decision.reason ?? "")),
                    (key: "text", value: .string(document.text)),
                    (key: "metadata", value: document.metadata),
                ])
                entry.write(into: &line)
                line.append(0x0A)
                try line.withUnsafeBytes { try discarded.append($0) }
                counts["discarded", default: 0] += 1
            }
        }
        if try scores.next({ _ in true }) != nil || (try tokens.next()) != nil {
            throw CurationError(.shardMismatch, "\(run.docsShard(index)): score or token shard has more records than the document shard",
                                hint: "rerun `datarater tokenize` and `datarater score`")
        }
        return ([try keptDocs.finish(), try keptTokens.finish(), try discarded.finish()], counts)
    }

    static func formatScore(_ score: Float) -> String {
        score.isFinite ? "\(score)" : "null"
    }

    /// Concatenates the per-shard kept token records into `kept/tokens.bin` + `kept/tokens.idx` + `kept/tokens.json`.
    static func assembleTokens(_ run: RunDirectory, shards: Int) throws -> [ShardSummary] {
        let bin = try AtomicFile(path: run.path("kept/tokens.bin"))
        let idx = try AtomicFile(path: run.path("kept/tokens.idx"))
        var binSum = Checksum(), idxSum = Checksum()
        var offset: UInt64 = 0
        var documents = 0
        var width = 2
        var buffer: [UInt8] = []
        func writeIndex(_ value: UInt64) throws {
            var le = value.littleEndian
            try withUnsafeBytes(of: &le) { raw in
                idxSum.update(raw)
                try idx.write(raw)
            }
        }
        try writeIndex(0)
        for index in 0..<shards {
            var reader = try TokenShardReader(path: FileIO.join(run.path("kept/tokens"), RunDirectory.shardName(index) + ".tok.zst"))
            width = reader.width
            while let record = try reader.next() {
                buffer.removeAll(keepingCapacity: true)
                for token in record.tokens {
                    buffer.append(UInt8(truncatingIfNeeded: token))
                    buffer.append(UInt8(truncatingIfNeeded: token >> 8))
                    if width == 4 {
                        buffer.append(UInt8(truncatingIfNeeded: token >> 16))
                        buffer.append(UInt8(truncatingIfNeeded: token >> 24))
                    }
                }
                try buffer.withUnsafeBytes { raw in
                    binSum.update(raw)
                    try bin.write(raw)
                }
                offset += UInt64(record.tokens.count)
                documents += 1
                try writeIndex(offset)
            }
        }
        try bin.commit()
        try idx.commit()
        let description = KeptTokens(dtype: width == 2 ? "<u2" : "<u4", indexDtype: "<u8", documents: documents, tokens: Int(offset),
                                     order: "kept/docs/*.jsonl.zst in shard order, line order within a shard")
        try JSONFiles.write(description, to: run.path("kept/tokens.json"))
        return [
            ShardSummary(path: "kept/tokens.bin", bytes: Int(offset) * width, sha256: binSum.hex(), records: documents),
            ShardSummary(path: "kept/tokens.idx", bytes: (documents + 1) * 8, sha256: idxSum.hex(), records: documents + 1),
        ]
    }
}

/// `kept/tokens.json`: how to read `kept/tokens.bin` and `kept/tokens.idx`.
struct KeptTokens: Codable {
    var dtype: String
    var indexDtype: String
    var documents: Int
    var tokens: Int
    var order: String
}

/// One line of a score shard: `{"id":…,"attributes":{"datarater__score":[[0,len,score]]}}`.
public enum ScoreLine {
    public static let attribute = "datarater__score"

    public static func write(id: String, characters: Int, score: Float, into out: inout [UInt8]) {
        out.append(contentsOf: "{\"id\":".utf8)
        JSONWriter.appendString(id, to: &out)
        out.append(contentsOf: ",\"attributes\":{\"\(attribute)\":[[0,\(characters),\(WriteStage.formatScore(score))]]}}\n".utf8)
    }

    public static func parse(_ line: UnsafeRawBufferPointer) throws -> (id: String, score: Float) {
        let value = try JSONParser.parse(line)
        guard let id = value["id"]?.stringValue,
              case let .array(spans)? = value["attributes"]?[attribute],
              case let .array(span)? = spans.first, span.count == 3,
              case let .number(text) = span[2], let score = Float(text)
        else {
            throw CurationError(.shardMismatch, "not a DataRater score line: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        return (id, score)
    }
}
