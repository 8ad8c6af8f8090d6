import Foundation
import Ingest
import ShardIO

/// `datarater shard INPUT... --out RUN`: raw corpora in, balanced Dolma document shards out.
///
/// Inputs are read in a deterministic order (sorted paths) and documents are packed greedily into
/// shards of about `targetShardBytes` of JSON Lines (every shard but the last reaches the target).
/// Every input record ends in exactly one place: a document in `docs/NNNNN.jsonl.zst` or a rejection in
/// `rejected/NNNNN.jsonl.zst` (same NNNNN: the shard being filled when it was read). Each finished shard
/// gets a completion record; a rerun with the same inputs and settings re-reads the input to find the shard
/// boundaries but rewrites nothing that is already complete, so a run killed at any point and rerun ends
/// byte-identical to an uninterrupted one.
public enum ShardStage {
    public static let name = "shard"
    /// Bumped whenever the bytes this stage writes change for the same input.
    static let outputFormatVersion = "1"

    public struct Options: Sendable {
        public var inputs: [String]
        public var targetShardBytes: Int = 128_000_000
        public var format: InputFormat = .auto
        public var compressionLevel: Int32 = 3
        public var maxRecordBytes: Int = 64 << 20
        public var invalidUTF8: InvalidUTF8Policy = .reject
        public var defaultSource: String?

        public init(inputs: [String]) { self.inputs = inputs }

        var configuration: StageConfiguration {
            StageConfiguration([
                "target_shard_bytes": String(targetShardBytes),
                "format": format.rawValue,
                "compression_level": String(compressionLevel),
                "max_record_bytes": String(maxRecordBytes),
                "invalid_utf8": invalidUTF8.rawValue,
                "default_source": defaultSource ?? "",
                "output_format_version": outputFormatVersion,
            ])
        }
    }

    /// Runs the stage and returns its manifest record.
    @discardableResult
    public static func run(_ run: RunDirectory, options: Options, command: [String]) throws -> StageRecord {
        let progress = ProgressReporter(label: name)
        let started = Clock.now()
        let configuration = options.configuration
        let configHash = configuration.hash

        let found: [InputFile]
        do {
            found = try InputDiscovery.files(paths: options.inputs)
        } catch {
            throw CurationError(.inputNotFound, "\(error)", hint: "check the input paths; directories are read recursively")
        }
        let discovery = (files: found.filter { $0.kind != .skipped }, skipped: found.filter { $0.kind == .skipped }.map(\.path))
        guard !discovery.files.isEmpty else {
            throw CurationError(.inputNotFound, "no readable input files in \(options.inputs.joined(separator: " "))"
                + (discovery.skipped.isEmpty ? "" : " (skipped, unknown type: \(discovery.skipped.prefix(5).joined(separator: ", ")))"),
                hint: "inputs are .jsonl, .jsonl.zst, .jsonl.gz, .json.gz, .tar, .tar.gz, .tar.zst, .warc(.gz), .wet(.gz), .txt (a plain .json only when named explicitly)")
        }

        // Checksums of every input: recorded in the manifest and hashed into the completion records.
        var inputs: [InputRecord] = []
        var totalInputBytes = 0
        for file in discovery.files {
            let (sha, bytes) = try Checksum.file(file.path)
            inputs.append(InputRecord(path: file.path, bytes: bytes, sha256: sha))
            totalInputBytes += bytes
            progress.tick("checksummed \(inputs.count)/\(discovery.files.count) inputs")
        }
        let inputHash = Checksum.of(inputs.map { "\($0.path)\t\($0.sha256)\n" }.joined())

        try FileIO.createDirectory(run.docsDirectory)
        try FileIO.createDirectory(run.rejectedDirectory)
        try AtomicFile.removeStaleTemporaries(in: run.docsDirectory)
        try AtomicFile.removeStaleTemporaries(in: run.rejectedDirectory)
        try AtomicFile.removeStaleTemporaries(in: run.doneDirectory(name))
        try Manifest.markRunning(run, stage: name, command: command, configuration: configuration, inputs: inputs)

        var packer = ShardPacker(run: run, options: options, configHash: configHash, inputHash: inputHash)
        var line: [UInt8] = []
        var finishedInputBytes = 0
        do {
            for (fileIndex, file) in discovery.files.enumerated() {
                let reader: IngestReader
                do { reader = try IngestReader(file: file, options: readerOptions(options)) } catch {
                    throw CurationError(.inputNotFound, "\(error)", hint: "check that the file is readable and of the type its name says")
                }
                while let item = reader.next() {
                    switch item {
                    case let .document(document, _):
                        line.removeAll(keepingCapacity: true)
                        document.writeJSONLine(into: &line)
                        try packer.addDocument(line, textBytes: document.text.utf8.count)
                    case let .rejected(rejection):
                        line.removeAll(keepingCapacity: true)
                        rejection.writeJSONLine(into: &line)
                        try packer.addRejection(line)
                    }
                    progress.tick(packer.progressLine(elapsed: progress.elapsed),
                                  fraction: Double(finishedInputBytes) / Double(max(totalInputBytes, 1)))
                }
                packer.addSkippedEmptyLines(reader.stats.emptyLines)
                finishedInputBytes += inputs[fileIndex].bytes
            }
            try packer.finish()
        } catch {
            try? Manifest.markFailed(run, stage: name, errors: ["\(error)"])
            throw error
        }

        let records = try CompletionRecord.all(in: run, stage: name)
        let shardCount = packer.shardCount
        try removeShards(in: run, from: shardCount)
        var outputs: [ShardSummary] = []
        var counts: [String: Int] = ["skipped_files": discovery.skipped.count]
        for index in 0..<shardCount {
            guard let record = records[index] else {
                throw CurationError(.stageFailed, "shard \(index) has no completion record after the stage ran",
                                    hint: "another process may be writing the same run; rerun `datarater shard`")
            }
            outputs += record.outputs
            for (key, value) in record.counts { counts[key, default: 0] += value }
        }
        counts["shards"] = shardCount
        counts["empty_lines"] = packer.emptyLines
        counts["input_records"] = (counts["documents"] ?? 0) + (counts["rejected"] ?? 0)
        let record = StageRecord(
            stage: name, status: .complete, command: command, configuration: configuration.values, configHash: configHash,
            code: .current, host: Clock.host, pid: getpid(), startedAt: started, finishedAt: Clock.now(),
            inputs: inputs, outputs: outputs, counts: counts,
            errors: discovery.skipped.map { "skipped input of unknown type: \($0)" })
        try Manifest.update(run) { manifest in
            manifest.stages[name] = record
            manifest.finishHistory(stage: name, status: .complete)
        }
        progress.log(String(format: "%d documents, %d rejected, %d shards, %@ of text in %@ (%.1f MB/s)",
                            counts["documents"] ?? 0, counts["rejected"] ?? 0, shardCount,
                            ProgressReporter.bytes(Double(counts["text_bytes"] ?? 0)), ProgressReporter.duration(progress.elapsed),
                            Double(counts["text_bytes"] ?? 0) / 1e6 / max(progress.elapsed, 1e-9)))
        return record
    }

    static func readerOptions(_ options: Options) -> IngestOptions {
        IngestOptions(format: options.format, invalidUTF8: options.invalidUTF8, maxRecordBytes: options.maxRecordBytes,
                      defaultSource: options.defaultSource)
    }

    /// Removes shards and completion records numbered `from` and above, left by an earlier run with other
    /// inputs or settings.
    static func removeShards(in run: RunDirectory, from count: Int) throws {
        for (directory, suffix) in [(run.docsDirectory, ".jsonl.zst"), (run.rejectedDirectory, ".jsonl.zst"),
                                    (run.doneDirectory(name), ".json")] {
            for file in try FileIO.listDirectory(directory) where file.hasSuffix(suffix) {
                if let index = Int(file.dropLast(suffix.count)), index >= count {
                    try FileIO.removeFile(FileIO.join(directory, file))
                }
            }
        }
    }
}

extension Manifest {
    /// Closes the newest open history entry of `stage` run by this process.
    mutating func finishHistory(stage: String, status: StageStatus) {
        if let i = history.lastIndex(where: { $0.stage == stage && $0.pid == getpid() && $0.finishedAt == nil }) {
            history[i].status = status
            history[i].finishedAt = Clock.now()
        }
    }
}

/// Packs encoded documents into shards of the target size and writes the ones not already complete.
struct ShardPacker {
    let run: RunDirectory
    let options: ShardStage.Options
    let configHash: String
    let inputHash: String

    private(set) var shardIndex = 0
    private var shardBytes = 0
    private var counts: [String: Int] = [:]
    /// Writers for the shard being filled; nil while replaying a shard that is already complete.
    private var docs: ShardWriter?
    private var rejected: ShardWriter?
    private var opened = false
    private var totalDocuments = 0
    private var totalTextBytes = 0

    init(run: RunDirectory, options: ShardStage.Options, configHash: String, inputHash: String) {
        self.run = run
        self.options = options
        self.configHash = configHash
        self.inputHash = inputHash
    }

    var shardCount: Int { shardIndex }

    private mutating func open() throws {
        guard !opened else { return }
        opened = true
        counts = [:]
        shardBytes = 0
        if try CompletionRecord.valid(in: run, stage: ShardStage.name, shard: shardIndex, configHash: configHash, inputHash: inputHash) != nil {
            docs = nil
            rejected = nil
        } else {
            docs = try ShardWriter(path: run.docsShard(shardIndex), level: options.compressionLevel)
            rejected = try ShardWriter(path: run.rejectedShard(shardIndex), level: options.compressionLevel)
        }
    }

    mutating func addDocument(_ line: [UInt8], textBytes: Int) throws {
        try open()
        try line.withUnsafeBytes { bytes in try docs?.append(bytes) }
        shardBytes += line.count
        counts["documents", default: 0] += 1
        counts["text_bytes", default: 0] += textBytes
        totalDocuments += 1
        totalTextBytes += textBytes
        if shardBytes >= options.targetShardBytes { try close() }
    }

    mutating func addRejection(_ line: [UInt8]) throws {
        try open()
        try line.withUnsafeBytes { bytes in try rejected?.append(bytes) }
        counts["rejected", default: 0] += 1
    }

    /// Empty input lines are not records; they are counted for the whole stage (every run re-reads all
    /// input, so the count is the same after a resume).
    private(set) var emptyLines = 0

    mutating func addSkippedEmptyLines(_ n: Int) {
        emptyLines += n
    }

    mutating func finish() throws {
        if opened { try close() }
    }

    private mutating func close() throws {
        defer {
            opened = false
            shardIndex += 1
        }
        guard let docs, let rejected else { return }  // already complete: nothing to write
        var outputs = [try docs.finish(), try rejected.finish()]
        for i in outputs.indices { outputs[i].path = run.relative(outputs[i].path) }
        FaultInjection.point(ShardStage.name, "before-done", shard: shardIndex)
        try CompletionRecord(stage: ShardStage.name, shard: shardIndex, configHash: configHash, inputHash: inputHash,
                             outputs: outputs, counts: counts).write(in: run)
        FaultInjection.point(ShardStage.name, "after-done", shard: shardIndex)
        self.docs = nil
        self.rejected = nil
    }

    func progressLine(elapsed: Double) -> String {
        String(format: "%d documents, %@ text, %.1f MB/s, shard %d", totalDocuments,
               ProgressReporter.bytes(Double(totalTextBytes)), Double(totalTextBytes) / 1e6 / max(elapsed, 1e-9), shardIndex)
    }
}

extension ShardStage {
    /// The human summary printed at the end of `datarater shard`.
    public static func summary(_ record: StageRecord, run: RunDirectory) -> String {
        let c = record.counts
        let docs = record.outputs.filter { $0.path.hasPrefix("docs/") }
        let compressed = docs.reduce(0) { $0 + $1.bytes }
        var lines = [
            "sharded \(record.inputs.count) input files into \(docs.count) document shards in \(run.root)/docs",
            "  input records: \(c["input_records"] ?? 0) = documents \(c["documents"] ?? 0) + rejected \(c["rejected"] ?? 0)"
                + ((c["empty_lines"] ?? 0) > 0 ? "  (\(c["empty_lines"]!) empty lines skipped)" : ""),
            "  text: \(ProgressReporter.bytes(Double(c["text_bytes"] ?? 0))), shards: \(ProgressReporter.bytes(Double(compressed))) zstd",
        ]
        if (c["rejected"] ?? 0) > 0 {
            lines.append("  rejected records: \(run.root)/rejected/ (see `datarater cat \(run.root)/rejected/*.jsonl.zst`)")
        }
        for error in record.errors.prefix(10) { lines.append("  note: \(error)") }
        lines.append("  manifest: \(run.manifestPath)")
        return lines.joined(separator: "\n")
    }
}
