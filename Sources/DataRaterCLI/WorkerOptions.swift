import ArgumentParser

/// Flags shared by stages that run per shard in parallel worker processes.
struct WorkerOptions: ParsableArguments {
    @Option(help: "Number of local worker processes (one BLAS thread each).")
    var workers: Int = 1

    @Option(help: "Run only the shards of this rank (with --world-size), for outside schedulers such as Slurm.")
    var rank: Int?

    @Option(name: .customLong("world-size"), help: "Number of ranks sharing the shards: shard i belongs to rank i mod world-size.")
    var worldSize: Int?

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard (rank == nil) == (worldSize == nil) else { throw ValidationError("--rank and --world-size go together") }
        if let rank, let worldSize {
            guard worldSize >= 1, (0..<worldSize).contains(rank) else { throw ValidationError("--rank must be in 0..<--world-size") }
        }
    }
}
