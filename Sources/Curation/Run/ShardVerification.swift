import ShardIO

/// Checks, before a stage consumes them, that the shards a previous stage produced are the ones its
/// manifest entry describes (size and sha256), so a shard edited, truncated or swapped after the fact is
/// caught with a clear error instead of silently feeding later stages.
public enum ShardVerification {
    /// The verified outputs of `stage` whose manifest path starts with `prefix` (e.g. `docs/`).
    public static func verifiedOutputs(of stage: String, prefix: String, in run: RunDirectory) throws -> [ShardSummary] {
        let manifest = try Manifest.load(run)
        guard let record = manifest.stages[stage], record.status == .complete else {
            throw CurationError(.stageNotRun, "\(run.root): the `\(stage)` stage has not completed",
                                hint: "run `datarater \(stage)` on this run first (`datarater status \(run.root)` shows what is done)")
        }
        let outputs = record.outputs.filter { $0.path.hasPrefix(prefix) }
        for output in outputs {
            let path = run.path(output.path)
            let actual: (sha256: String, bytes: Int)
            do { actual = try Checksum.file(path) } catch {
                throw CurationError(.shardMismatch, "\(path): recorded by the `\(stage)` stage but cannot be read: \(error)",
                                    hint: "rerun `datarater \(stage)` to recreate it")
            }
            guard actual.sha256 == output.sha256, actual.bytes == output.bytes else {
                throw CurationError(.shardMismatch,
                    "\(path): does not match the manifest (sha256 \(actual.sha256.prefix(12))… \(actual.bytes) bytes, expected \(output.sha256.prefix(12))… \(output.bytes) bytes, \(output.records) records)",
                    hint: "the shard changed after `datarater \(stage)` wrote it; rerun that stage to recreate it")
            }
        }
        return outputs
    }
}
