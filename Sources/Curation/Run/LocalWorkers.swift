import Foundation

/// Runs a stage in N worker processes on this machine: the same executable, with `--rank R --world-size N`
/// appended, one BLAS thread each. Shard i belongs to rank i mod N, the same rule Slurm array tasks use.
///
/// Workers' stderr is passed through, prefixed by nothing (each worker labels its own progress lines). A worker
/// that exits non-zero or dies from a signal is reported with its rank and the shards it owned; the others
/// finish, and a rerun redoes only what has no completion record.
public enum LocalWorkers {
    public struct Failure: Sendable {
        public var rank: Int
        public var status: Int32
        public var signaled: Bool
    }

    public static func run(arguments: [String], workers: Int) throws -> [Failure] {
        let environment = ["OPENBLAS_NUM_THREADS": "1", "DATARATER_WORKER": "1"]
        let processes = try (0..<workers).map { rank in
            try ProcessLifetime.startChild(arguments + ["--rank", String(rank), "--world-size", String(workers)], environment: environment)
        }
        var failures: [Failure] = []
        for (rank, process) in processes.enumerated() {
            process.waitUntilExit()
            if process.terminationStatus != 0 {
                failures.append(Failure(rank: rank, status: process.terminationStatus,
                                        signaled: process.terminationReason == .uncaughtSignal))
            }
        }
        return failures
    }

    /// The shards rank `rank` of `worldSize` owns.
    public static func owned(_ shardCount: Int, rank: Int, worldSize: Int) -> [Int] {
        Array(stride(from: rank, to: shardCount, by: worldSize))
    }
}
