#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// Deterministic crash points for resume tests: `DATARATER_FAULT=STAGE:POINT:SHARD` makes the process
/// SIGKILL itself when `stage` reaches `point` for shard `shard` (e.g. `shard:before-done:1` dies after
/// shard 1's outputs are renamed into place but before its completion record is written). Single-process
/// stages (train-tokenizer, threshold) use shard 0; train uses the meta-step of a checkpoint.
enum FaultInjection {
    static let spec: (stage: String, point: String, shard: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["DATARATER_FAULT"] else { return nil }
        let parts = value.split(separator: ":").map(String.init)
        guard parts.count == 3, let shard = Int(parts[2]) else { return nil }
        return (parts[0], parts[1], shard)
    }()

    static func point(_ stage: String, _ point: String, shard: Int) {
        guard let spec, spec.stage == stage, spec.point == point, spec.shard == shard else { return }
        // With DATARATER_FAULT_ONCE=FILE the fault fires once: the first process to reach it creates FILE
        // (retries on a scheduler then succeed).
        if let marker = ProcessInfo.processInfo.environment["DATARATER_FAULT_ONCE"] {
            let fd = open(marker, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard fd >= 0 else { return }
            close(fd)
        }
        kill(getpid(), SIGKILL)
    }
}
