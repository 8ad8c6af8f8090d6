import Foundation
import ShardIO

/// `RUN/manifest.json`: how every output of a run was produced.
///
/// It holds the latest run of each stage in full (command, configuration and its hash, code version, host,
/// times, every input with its size and sha256, every output shard with size, sha256 and record count, and
/// counts that reconcile) and a one-line history of every stage run, including failed ones.
public struct Manifest: Codable, Sendable {
    public var formatVersion: Int = 1
    public var stages: [String: StageRecord] = [:]
    public var history: [HistoryEntry] = []
    /// Set by `datarater run`: the pipeline that drives this run, and where it is.
    public var pipeline: PipelineRecord?

    public init() {}

    /// What `datarater run` is doing with this run directory.
    public struct PipelineRecord: Codable, Sendable {
        public var name: String
        /// The pipeline file, or `(built-in sample)`; its text is saved as RUN/pipeline.yaml.
        public var file: String
        public var sha256: String
        public var executor: String
        /// The stages in order.
        public var stages: [String]
        public var status: StageStatus
        /// The stage being run (or the one that failed).
        public var current: String?
        public var startedAt: String
        public var finishedAt: String?
        public var host: String
        public var pid: Int32
        /// Slurm job ids per stage, resubmissions included.
        public var jobs: [String: [String]]
        public var error: String?
    }

    public struct HistoryEntry: Codable, Sendable {
        public var stage: String
        public var status: StageStatus
        public var startedAt: String
        public var finishedAt: String?
        public var host: String
        public var pid: Int32
    }
}

public enum StageStatus: String, Codable, Sendable {
    case running, complete, failed
}

/// One input file of a stage.
public struct InputRecord: Codable, Sendable, Equatable {
    public var path: String
    public var bytes: Int
    public var sha256: String

    public init(path: String, bytes: Int, sha256: String) {
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
    }
}

/// The latest run of one stage.
public struct StageRecord: Codable, Sendable {
    public var stage: String
    public var status: StageStatus
    public var command: [String]
    /// The settings that determine the outputs, as canonical strings.
    public var configuration: [String: String]
    /// sha256 of the canonical configuration: outputs are reused only while it is unchanged.
    public var configHash: String
    public var code: CodeVersion
    public var host: String
    public var pid: Int32
    public var startedAt: String
    public var finishedAt: String?
    public var inputs: [InputRecord]
    public var outputs: [ShardSummary]
    public var counts: [String: Int]
    public var errors: [String]
}

extension Manifest {
    /// Reads the run's manifest, or an empty one if there is none yet.
    public static func load(_ run: RunDirectory) throws -> Manifest {
        try JSONFiles.read(Manifest.self, from: run.manifestPath) ?? Manifest()
    }

    /// Read-modify-write under an exclusive lock (`RUN/.manifest.lock`), written atomically, so concurrent
    /// stage processes on one machine or across a shared filesystem never lose each other's entries.
    public static func update(_ run: RunDirectory, _ change: (inout Manifest) throws -> Void) throws {
        try FileIO.createDirectory(run.root)
        let lockPath = run.path(".manifest.lock")
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CurationError(.io, "\(lockPath): cannot open the manifest lock (errno \(errno))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw CurationError(.locked, "\(lockPath): cannot lock the manifest (errno \(errno))") }
        defer { flock(fd, LOCK_UN) }
        try AtomicFile.removeStaleTemporaries(in: run.root, named: "manifest.json")
        var manifest = try load(run)
        try change(&manifest)
        try JSONFiles.write(manifest, to: run.manifestPath)
    }
}

extension Manifest {
    /// Records that `stage` has started in this process: its entry (status running, no outputs yet) and an
    /// open history line.
    public static func markRunning(_ run: RunDirectory, stage: String, command: [String],
                                   configuration: StageConfiguration, inputs: [InputRecord]) throws {
        let started = Clock.now()
        try update(run) { manifest in
            manifest.stages[stage] = StageRecord(
                stage: stage, status: .running, command: command, configuration: configuration.values,
                configHash: configuration.hash, code: .current, host: Clock.host, pid: getpid(), startedAt: started,
                finishedAt: nil, inputs: inputs, outputs: [], counts: [:], errors: [])
            manifest.history.append(.init(stage: stage, status: .running, startedAt: started, finishedAt: nil,
                                          host: Clock.host, pid: getpid()))
        }
    }

    /// Marks this process's run of `stage` failed, with its errors.
    public static func markFailed(_ run: RunDirectory, stage: String, errors: [String]) throws {
        try update(run) { manifest in
            manifest.stages[stage]?.status = .failed
            manifest.stages[stage]?.finishedAt = Clock.now()
            manifest.stages[stage]?.errors = errors
            manifest.finishHistory(stage: stage, status: .failed)
        }
    }
}

/// ISO-8601 UTC timestamps with milliseconds.
enum Clock {
    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    static var host: String { ProcessInfo.processInfo.hostName }
}
