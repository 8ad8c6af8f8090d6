import Foundation

/// The real Slurm: `sbatch`, `squeue`, `sacct` (or `scontrol` where accounting is off) and `scancel`.
public struct SlurmCommands: SlurmControl {
    public init() {}

    public func submit(_ arguments: [String], script: String) throws -> String {
        let result = try Self.command("sbatch", arguments, input: script)
        guard result.status == 0 else {
            throw CurationError(.stageFailed, "sbatch failed (exit \(result.status)): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
                                hint: "check the slurm section of the pipeline (partition, account, time, mem) and `sinfo`")
        }
        // --parsable prints "JOBID" or "JOBID;CLUSTER".
        guard let job = result.stdout.split(whereSeparator: \.isNewline).last?.split(separator: ";").first.map(String.init),
              !job.isEmpty, job.allSatisfy(\.isNumber) else {
            throw CurationError(.stageFailed, "sbatch printed no job id: \(result.stdout)")
        }
        return job
    }

    /// One line per job or array task, finished ones included while the controller remembers them
    /// (`MinJobAge`); jobs it has forgotten come from `sacct` where accounting is on. A job known to
    /// neither is reported failed ("purged"), so the executor resubmits it: the stages skip finished work,
    /// which makes that safe.
    public func states(_ jobs: [String]) throws -> [String: SlurmTaskState] {
        guard !jobs.isEmpty else { return [:] }
        var states: [String: SlurmTaskState] = [:]
        let queued = try Self.command("squeue", ["-h", "-r", "-t", "all", "-j", jobs.joined(separator: ","),
                                                 "-O", "ArrayJobID:|,ArrayTaskID:|,JobID:|,State:|,Reason:|,exit_code:|"])
        if queued.status == 0 { states = Self.parseSqueue(queued.stdout) }
        let known = { (job: String) in states.keys.contains { $0 == job || $0.hasPrefix(job + "_") } }
        let missing = jobs.filter { !known($0) }
        guard !missing.isEmpty else { return states }
        let accounted = try Self.command("sacct", ["-n", "-P", "-X", "-j", missing.joined(separator: ","), "-o", "JobID,State,ExitCode"])
        if accounted.status == 0 { states.merge(Self.parseSacct(accounted.stdout), uniquingKeysWith: { old, _ in old }) }
        for job in missing where !known(job) {
            states[job] = .failed("purged: Slurm no longer knows job \(job)")
        }
        return states
    }

    public func cancel(_ jobs: [String]) throws {
        guard !jobs.isEmpty else { return }
        _ = try Self.command("scancel", jobs)
    }

    /// `squeue -O ArrayJobID:|,ArrayTaskID:|,JobID:|,State:|,Reason:|,exit_code:|` lines → states keyed
    /// `JOB` (plain job) or `JOB_TASK` (array task). exit_code is a raw wait status.
    static func parseSqueue(_ text: String) -> [String: SlurmTaskState] {
        var states: [String: SlurmTaskState] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 6, !f[0].isEmpty else { continue }
            let key = Int(f[1]) == nil ? f[0] : "\(f[0])_\(f[1])"
            var detail: String?
            if let status = Int(f[5]), status != 0 {
                detail = status & 0x7f != 0 ? "signal \(status & 0x7f)" : "exit \((status >> 8) & 0xff)"
            }
            if f[3] == "PENDING", f[4] == "DependencyNeverSatisfied" {
                states[key] = .failed("DependencyNeverSatisfied")
            } else {
                states[key] = SlurmTaskState(slurmState: f[3], detail: [detail, f[4] == "None" ? nil : f[4]].compactMap { $0 }.joined(separator: ", "))
            }
        }
        return states
    }

    /// `sacct -P -o JobID,State,ExitCode` lines (`JOB` or `JOB_TASK`, `FAILED`, `3:0`) → states.
    static func parseSacct(_ text: String) -> [String: SlurmTaskState] {
        var states: [String: SlurmTaskState] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 3, !f[0].isEmpty else { continue }
            states[f[0]] = SlurmTaskState(slurmState: f[1], detail: f[2] == "0:0" ? "" : "exit \(f[2])")
        }
        return states
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a Slurm client command; a missing command is an error that says to install or load Slurm.
    static func command(_ name: String, _ arguments: [String], input: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        if input != nil { process.standardInput = stdin }
        do { try process.run() } catch {
            throw CurationError(.io, "cannot run \(name): \(error)", hint: "install the Slurm client tools or load the Slurm module")
        }
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 127 {
            throw CurationError(.io, "\(name): command not found", hint: "install the Slurm client tools (Debian: slurm-client) or load the Slurm module")
        }
        return Result(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }
}
