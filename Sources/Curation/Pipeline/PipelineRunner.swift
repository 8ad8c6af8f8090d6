#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import ShardIO

/// `datarater run PIPELINE`: runs the pipeline's stages in order with an executor, under a lock so two
/// runners never share a run directory, and records the pipeline in the manifest (`status` shows it).
///
/// The runner keeps no state of its own: every stage skips what it finished before, so a runner killed at
/// any moment and started again finishes with the same outputs.
public enum PipelineRunner {
    public struct Source: Sendable {
        /// The file name as given, or `(built-in sample)`.
        public var file: String
        public var text: String

        public init(file: String, text: String) {
            self.file = file
            self.text = text
        }
    }

    public static func run(_ pipeline: Pipeline, source: Source, runDirectory: String? = nil,
                           executor: PipelineExecutor) throws -> RunDirectory {
        let run = RunDirectory(runDirectory ?? pipeline.run)
        let steps = pipeline.steps(runDirectory: run.root)
        let log = ProgressReporter(label: "run")
        try FileIO.createDirectory(run.root)
        let lock = try lockRun(run)
        defer { close(lock) }
        try FileIO.writeFileAtomically(run.path("pipeline.yaml"), Array(source.text.utf8))
        let started = Clock.now()
        try Manifest.update(run) { manifest in
            // Slurm jobs of an earlier runner stay listed until the Slurm executor has cancelled any left in the queue.
            manifest.pipeline = .init(name: pipeline.name, file: source.file, sha256: Checksum.of(source.text),
                                      executor: executor.name, stages: steps.map(\.stage), status: .running, current: nil,
                                      startedAt: started, finishedAt: nil, host: Clock.host, pid: getpid(),
                                      jobs: manifest.pipeline?.jobs ?? [:], error: nil)
        }
        log.log("pipeline \(pipeline.name) (\(source.file)) → \(run.root), \(steps.count) stages, \(executor.name) executor")
        do {
            try executor.execute(steps, in: run, log: log) { step in
                try Manifest.update(run) { $0.pipeline?.current = step.stage }
            }
        } catch {
            try? Manifest.update(run) { manifest in
                manifest.pipeline?.status = .failed
                manifest.pipeline?.finishedAt = Clock.now()
                manifest.pipeline?.error = "\(error)"
            }
            throw error
        }
        try Manifest.update(run) { manifest in
            manifest.pipeline?.status = .complete
            manifest.pipeline?.current = nil
            manifest.pipeline?.finishedAt = Clock.now()
            manifest.pipeline?.error = nil
        }
        return run
    }

    /// Holds `RUN/.run.lock` for this process's lifetime (the kernel drops it when the process dies).
    static func lockRun(_ run: RunDirectory) throws -> Int32 {
        let path = run.path(".run.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CurationError(.io, "\(path): cannot open the run lock (errno \(errno))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? Manifest.load(run).pipeline).flatMap { $0 }.map { " (pid \($0.pid) on \($0.host))" } ?? ""
            close(fd)
            throw CurationError(.locked, "\(run.root): another `datarater run` is working on this run directory\(holder)",
                                hint: "wait for it (`datarater status \(run.root)`) or stop it; two runners must not share a run")
        }
        return fd
    }

    /// The closing summary: what was kept, discarded and rejected, and where the audit page is.
    public static func summary(_ run: RunDirectory, pipeline: Pipeline) throws -> String {
        let manifest = try Manifest.load(run)
        var lines: [String] = []
        if let write = manifest.stages[WriteStage.name], write.status == .complete {
            let c = write.counts
            lines.append("curated \(c["sharded"] ?? 0) documents: \(c["kept"] ?? 0) kept, \(c["discarded"] ?? 0) discarded; "
                         + "\(c["rejected"] ?? 0) input records rejected; \(c["kept_tokens"] ?? 0) training tokens")
            lines.append("kept: \(run.path("kept"))  discarded: \(run.path("discarded"))  rejected: \(run.path("rejected"))")
        }
        lines.append("manifest: \(run.manifestPath)")
        if let html = pipeline.auditHTML { lines.append("audit page: \(run.path(html))") }
        return lines.joined(separator: "\n")
    }
}
