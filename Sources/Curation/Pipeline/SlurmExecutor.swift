#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import ShardIO

/// Runs pipeline steps as Slurm jobs: a parallel stage is a job array (array task id = rank, world size =
/// the stage's `workers`) followed by a one-task job that reconciles the shards into the manifest; every
/// job depends `afterok` on the one before, so the whole pipeline is queued at once.
///
/// The executor then follows the jobs (`squeue`, then `sacct` or `scontrol` once they leave the queue),
/// prints each change of state, and when a task fails it resubmits the failed array indices (and the stages
/// after them) up to `max_retries` times; the stages skip every shard already done, so a resubmission redoes
/// only what is missing. Logs go to `RUN/logs/STAGE-JOB_TASK.out`, job scripts to `RUN/logs/STAGE.sbatch`.
/// Jobs left in the queue by an earlier runner of the same run are cancelled first.
public struct SlurmExecutor: PipelineExecutor {
    public let name = "slurm"
    let settings: Pipeline.Slurm
    let control: SlurmControl
    /// The working directory of the jobs (relative paths in the pipeline resolve against it).
    let workingDirectory: String
    /// The `datarater` binary the jobs run; it must be visible on every node.
    let executable: String

    public init(settings: Pipeline.Slurm, control: SlurmControl = SlurmCommands(),
                workingDirectory: String = FileManager.default.currentDirectoryPath,
                executable: String = ProcessLifetime.executable) {
        self.settings = settings
        self.control = control
        self.workingDirectory = workingDirectory
        self.executable = executable
    }

    /// One `sbatch` call: a whole step, one rank-array of a parallel step, or the reconciling job after it.
    struct Submission {
        enum Kind: Equatable { case single, array([Int]), reconcile }
        var step: Int
        var kind: Kind
        var job: String
        /// How progress lines name it: ` tasks 0-3`, ` (reconcile)` or nothing.
        var label: String
    }

    public func execute(_ steps: [PipelineStep], in run: RunDirectory, log: ProgressReporter,
                        onStage: (PipelineStep) throws -> Void) throws {
        let logs = run.path("logs")
        try FileIO.createDirectory(logs)
        try cancelLeftovers(run, log: log)
        var attempts: [String: Int] = [:]
        var queue = try submit(steps, from: 0, arrayIndices: nil, run: run, log: log)
        var lastReport: [String: String] = [:]
        var currentStage = -1

        while !queue.isEmpty {
            let states = try control.states(queue.map(\.job))
            let lastJob = queue.last.map(\.job)
            // Walk the submissions in pipeline order: the first one not complete decides what happens next.
            var index = 0
            while index < queue.count {
                let submission = queue[index]
                let step = steps[submission.step]
                let tasks = Self.tasks(of: submission)
                let taskStates = tasks.map { states[$0 == nil ? submission.job : "\(submission.job)_\($0!)"] ?? states[submission.job] ?? .pending }
                let report = Self.describe(taskStates)
                if lastReport[submission.job] != report {
                    lastReport[submission.job] = report
                    log.log("\(step.stage)\(submission.label) job \(submission.job): \(report)")
                }
                if submission.step != currentStage, taskStates.contains(where: { $0 != .pending }) {
                    currentStage = submission.step
                    try onStage(step)
                }
                if taskStates.allSatisfy({ $0 == .completed }) {
                    queue.remove(at: index)
                    continue
                }
                let failedTasks = zip(tasks, taskStates).filter { if case .failed = $0.1 { return true } else { return false } }
                guard !failedTasks.isEmpty, taskStates.allSatisfy(\.isFinished) else { break }

                // A failure: retry the failed tasks and everything after them, or give up.
                let later = queue[index...].map(\.job)
                try control.cancel(Array(later.dropFirst()))
                var failedIndices: [Int] = []
                for (task, state) in failedTasks {
                    let key = "\(step.stage)/\(submission.kind == .reconcile ? "reconcile" : String(task ?? 0))"
                    attempts[key, default: 0] += 1
                    let logPath = Self.logPath(logs, stage: step.stage + (submission.kind == .reconcile ? "-reconcile" : ""),
                                               job: submission.job, task: task)
                    log.log("\(step.stage)\(task.map { " task \($0)" } ?? "") of job \(submission.job) \(state) (attempt \(attempts[key]!) of \(settings.maxRetries + 1)); log: \(logPath)")
                    guard attempts[key]! <= settings.maxRetries else {
                        throw CurationError(.stageFailed, "stage \(step.stage)\(task.map { " task \($0)" } ?? "") failed \(attempts[key]!) times on Slurm (\(state)); last log: \(logPath)",
                                            hint: "read the log, fix the cause, then rerun the same `datarater run … --executor slurm`: finished shards are skipped")
                    }
                    if let task { failedIndices.append(task) }
                }
                let indices: [Int]? = submission.kind == .reconcile ? nil : (failedIndices.isEmpty ? nil : failedIndices)
                queue = try submit(steps, from: submission.step, arrayIndices: indices, run: run, log: log)
                index = 0
                break
            }
            if !queue.isEmpty { Thread.sleep(forTimeInterval: settings.pollSeconds) }
            if queue.isEmpty, let last = lastJob {
                // What the last stage (audit) printed, as a local run shows it.
                let output = "\(logs)/\(steps[steps.count - 1].stage)-\(last).out"
                if let bytes = try? FileIO.readFile(output) { print(String(decoding: bytes, as: UTF8.self), terminator: "") }
            }
        }
    }

    /// Submits `steps[from...]` chained with afterok; for a parallel first step, only `arrayIndices` if given.
    func submit(_ steps: [PipelineStep], from first: Int, arrayIndices: [Int]?,
                run: RunDirectory, log: ProgressReporter) throws -> [Submission] {
        var submissions: [Submission] = []
        var previous: String?
        for index in first..<steps.count {
            let step = steps[index]
            if let workers = step.workers {
                let indices = (index == first ? arrayIndices : nil) ?? Array(0..<workers)
                let array = try sbatch(step, command: step.rankCommand(rank: "$SLURM_ARRAY_TASK_ID", worldSize: workers),
                                       array: indices, after: previous, run: run, suffix: "")
                submissions.append(Submission(step: index, kind: .array(indices), job: array, label: " tasks \(Self.ranges(indices))"))
                let reconcile = try sbatch(step, command: step.arguments, array: nil, after: array, run: run, suffix: "-reconcile")
                submissions.append(Submission(step: index, kind: .reconcile, job: reconcile, label: " (reconcile)"))
                previous = reconcile
            } else {
                let job = try sbatch(step, command: step.arguments, array: nil, after: previous, run: run, suffix: "")
                submissions.append(Submission(step: index, kind: .single, job: job, label: ""))
                previous = job
            }
        }
        try Manifest.update(run) { manifest in
            for s in submissions { manifest.pipeline?.jobs[steps[s.step].stage, default: []].append(s.job) }
        }
        log.log("submitted \(submissions.count) jobs: " + submissions.map { "\(steps[$0.step].stage)\($0.kind == .reconcile ? "-reconcile" : "")=\($0.job)" }.joined(separator: " "))
        return submissions
    }

    func sbatch(_ step: PipelineStep, command: [String], array: [Int]?, after dependency: String?, run: RunDirectory,
                suffix: String) throws -> String {
        let (arguments, script) = job(step, command: command, array: array, after: dependency, run: run, suffix: suffix)
        try FileIO.writeFileAtomically(run.path("logs/\(step.stage)\(suffix).sbatch"), Array(script.utf8))
        return try control.submit(arguments, script: script)
    }

    /// What `--dry-run` shows: every sbatch command line with its script, dependencies named by stage.
    public func plan(_ steps: [PipelineStep], run: RunDirectory) -> String {
        var text = ""
        var previous: String?
        for step in steps {
            var jobs: [(String, [String], [Int]?, String)] = []
            if let workers = step.workers {
                jobs.append(("", step.rankCommand(rank: "$SLURM_ARRAY_TASK_ID", worldSize: workers), Array(0..<workers), "<\(step.stage)>"))
                jobs.append(("-reconcile", step.arguments, nil, "<\(step.stage)-reconcile>"))
            } else {
                jobs.append(("", step.arguments, nil, "<\(step.stage)>"))
            }
            for (suffix, command, array, name) in jobs {
                let (arguments, script) = job(step, command: command, array: array, after: previous, run: run, suffix: suffix)
                text += "\(name) = sbatch " + arguments.map(Self.shellQuote).joined(separator: " ") + " <<'EOF'\n" + script + "EOF\n\n"
                previous = name
            }
        }
        return text
    }

    func job(_ step: PipelineStep, command: [String], array: [Int]?, after dependency: String?, run: RunDirectory,
             suffix: String) -> (arguments: [String], script: String) {
        let logs = run.path("logs")
        let resources = settings.stages[step.stage]
        let cpus = resources?.cpus ?? step.cpus
        var arguments = ["--parsable", "--job-name=datarater-\(step.stage)\(suffix)", "--chdir=\(workingDirectory)",
                         "--time=\(resources?.time ?? settings.time)", "--mem=\(resources?.memory ?? settings.memory)",
                         "--cpus-per-task=\(cpus)", "--ntasks=1", "--export=ALL"]
        if let array {
            arguments.append("--array=\(Self.ranges(array))")
            arguments += ["--output=\(logs)/\(step.stage)\(suffix)-%A_%a.out", "--error=\(logs)/\(step.stage)\(suffix)-%A_%a.err"]
        } else {
            arguments += ["--output=\(logs)/\(step.stage)\(suffix)-%j.out", "--error=\(logs)/\(step.stage)\(suffix)-%j.err"]
        }
        if let dependency { arguments += ["--dependency=afterok:\(dependency)", "--kill-on-invalid-dep=yes"] }
        if let partition = settings.partition { arguments.append("--partition=\(partition)") }
        if let account = settings.account { arguments.append("--account=\(account)") }
        if let qos = settings.qos { arguments.append("--qos=\(qos)") }
        arguments += settings.extraArguments
        return (arguments, Self.script(executable: executable, command: command, cpus: cpus, workingDirectory: workingDirectory))
    }

    /// The batch script: runs one `datarater` command with as many BLAS threads as CPUs allotted.
    static func script(executable: String, command: [String], cpus: Int, workingDirectory: String) -> String {
        let words = command.map { $0 == "$SLURM_ARRAY_TASK_ID" ? "\"$SLURM_ARRAY_TASK_ID\"" : shellQuote($0) }
        return """
        #!/bin/bash
        # Written by `datarater run --executor slurm`.
        set -euo pipefail
        cd \(shellQuote(workingDirectory))
        export OPENBLAS_NUM_THREADS=\(cpus)
        echo "datarater on $(hostname), job ${SLURM_JOB_ID:-?} task ${SLURM_ARRAY_TASK_ID:-none}, $(date -u +%FT%TZ)" >&2
        exec \(shellQuote(executable)) \(words.joined(separator: " "))

        """
    }

    static func shellQuote(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `0-3,5,7-8`
    static func ranges(_ indices: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let sorted = indices.sorted()
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count, sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    static func tasks(of submission: Submission) -> [Int?] {
        if case .array(let indices) = submission.kind { return indices }
        return [nil]
    }

    /// The stderr log of a job or task (its stdout is beside it, `.out`).
    static func logPath(_ logs: String, stage: String, job: String, task: Int?) -> String {
        task.map { "\(logs)/\(stage)-\(job)_\($0).err" } ?? "\(logs)/\(stage)-\(job).err"
    }

    static func describe(_ states: [SlurmTaskState]) -> String {
        if states.count == 1 { return "\(states[0])" }
        var counts: [String: Int] = [:]
        for state in states { counts[state.summary, default: 0] += 1 }
        return counts.keys.sorted().map { "\(counts[$0]!) \($0)" }.joined(separator: ", ")
    }

    /// Cancels jobs an earlier runner of this run submitted that are still queued or running.
    func cancelLeftovers(_ run: RunDirectory, log: ProgressReporter) throws {
        guard let jobs = try Manifest.load(run).pipeline?.jobs.values.flatMap({ $0 }), !jobs.isEmpty else { return }
        let states = try control.states(jobs)
        let active = jobs.filter { job in states.contains { ($0.key == job || $0.key.hasPrefix(job + "_")) && !$0.value.isFinished } }
        if !active.isEmpty {
            log.log("cancelling \(active.count) job(s) an earlier runner left in the queue: \(active.joined(separator: " "))")
            try control.cancel(active)
        }
        try Manifest.update(run) { $0.pipeline?.jobs = [:] }
    }
}

/// A job or array task as the executor sees it.
public enum SlurmTaskState: Equatable, Sendable, CustomStringConvertible {
    case pending, running, completed
    /// FAILED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, CANCELLED…: Slurm's state and exit code.
    case failed(String)

    public var isFinished: Bool { self == .completed || { if case .failed = self { return true } else { return false } }() }

    var summary: String {
        if case .failed = self { return "failed" }
        return description
    }

    public var description: String {
        switch self {
        case .pending: "pending"
        case .running: "running"
        case .completed: "completed"
        case .failed(let why): "failed (\(why))"
        }
    }

    /// Maps a Slurm job state name (`squeue %T`, `sacct State`, `scontrol JobState`).
    public init(slurmState raw: String, detail: String = "") {
        let state = raw.split(separator: " ").first.map(String.init)?.uppercased() ?? raw
        switch state {
        case "PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "SUSPENDED": self = .pending
        case "RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING", "RESIZING": self = .running
        case "COMPLETED": self = .completed
        default: self = .failed(state + (detail.isEmpty ? "" : ", \(detail)"))
        }
    }
}

/// What the executor needs from Slurm; `SlurmCommands` is the real one, tests use a simulator.
public protocol SlurmControl {
    /// Submits `script` with `sbatch ARGUMENTS` and returns the job id.
    func submit(_ arguments: [String], script: String) throws -> String
    /// States of these jobs, keyed by job id for a plain job and `JOB_TASK` for array tasks.
    func states(_ jobs: [String]) throws -> [String: SlurmTaskState]
    func cancel(_ jobs: [String]) throws
}
