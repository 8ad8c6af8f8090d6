#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// Runs pipeline steps one after another as child processes of this one (`datarater STAGE …`), each stage
/// splitting its shards over local worker processes itself. Children die with this process
/// (`ProcessLifetime`), so a runner killed at any moment leaves nothing running; rerunning skips what the
/// stages had finished.
public struct LocalExecutor: PipelineExecutor {
    public let name = "local"

    public init() {}

    public func execute(_ steps: [PipelineStep], in run: RunDirectory, log: ProgressReporter,
                        onStage: (PipelineStep) throws -> Void) throws {
        for (n, step) in steps.enumerated() {
            try onStage(step)
            let command = step.wholeCommand
            log.log("[\(n + 1)/\(steps.count)] datarater \(command.joined(separator: " "))")
            let status = try Self.runChild(command)
            guard status == 0 else {
                throw CurationError(.stageFailed, "stage \(step.stage) failed (\(Self.describe(status))); `datarater \(command.joined(separator: " "))`",
                                    hint: "fix the cause reported above, then rerun the same `datarater run` command: finished work is skipped")
            }
        }
    }

    /// Runs `datarater ARGUMENTS` with this process's stdout and stderr; returns the exit status, or 128 + the
    /// signal that killed it.
    static func runChild(_ arguments: [String]) throws -> Int32 {
        let process = try ProcessLifetime.startChild(arguments)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    static func describe(_ status: Int32) -> String {
        status > 128 ? "killed by signal \(status - 128)" : "exit status \(status)"
    }
}

/// Runs a pipeline's steps somewhere: here, or on a cluster.
public protocol PipelineExecutor {
    var name: String { get }
    /// Runs `steps` in order; `onStage` is called as each starts (the runner records it in the manifest).
    func execute(_ steps: [PipelineStep], in run: RunDirectory, log: ProgressReporter,
                 onStage: (PipelineStep) throws -> Void) throws
}
