#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import CProcess
import Foundation

/// Child processes (stage processes of `datarater run`, local workers of a stage) die with the process that
/// started them: a parent killed with SIGKILL leaves no orphan still writing into the run directory, so a
/// restarted run never races an old one.
///
/// The parent puts its pid in `DATARATER_PARENT_PID`; the child, first thing, asks the kernel for SIGKILL when
/// its parent exits, then checks that the parent is still the one named (it may have died before that).
public enum ProcessLifetime {
    static let variable = "DATARATER_PARENT_PID"

    /// Call once at start-up, before any work.
    public static func bindToParentIfAsked() {
        guard let value = ProcessInfo.processInfo.environment[variable], let parent = Int32(value) else { return }
        _ = datarater_set_parent_death_signal(SIGKILL)
        if getppid() != parent {
            fputs("datarater: the process that started this one (pid \(parent)) has exited; stopping\n", stderr)
            exit(1)
        }
    }

    /// Starts `datarater ARGUMENTS` (this executable) as a child that dies with this process, with this
    /// process's environment plus `environment`; its output goes to this process's stdout and stderr.
    public static func startChild(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Process {
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment[variable] = String(getpid())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        do { try process.run() } catch {
            throw CurationError(.io, "cannot start \(executable): \(error)")
        }
        return process
    }

    /// This executable, for spawning stage and worker processes (and for Slurm job scripts).
    public static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
