import Foundation
import Testing
@testable import Curation
import ShardIO

/// Pipeline files, `datarater run` end to end through the real executable, resume after SIGKILL in every
/// stage, and the Slurm executor against a simulated cluster (the real one: scripts/slurm/test-pipeline.sh).
@Suite(.serialized) struct PipelineTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    // MARK: Pipeline files

    @Test func builtInSampleIsPipelinesSampleYAML() throws {
        let file = try String(contentsOfFile: Self.repositoryRoot + "/pipelines/sample.yaml", encoding: .utf8)
        #expect(PipelineFile.sampleText == file, "Sources/Curation/Pipeline/SamplePipeline.swift is out of step with pipelines/sample.yaml")
        let sample = try PipelineFile.parse(PipelineFile.sampleText, file: "sample")
        #expect(sample.inputs == ["shards/sample"])
        #expect(sample.run == "runs/sample")
        #expect(sample.steps().map(\.stage) == ["shard", "train-tokenizer", "tokenize", "train", "score", "threshold", "write", "audit"])
    }

    @Test func templatesCarryThePapersDiscardFractions() throws {
        let expected = ["pile.yaml": 0.75, "c4-noclean.yaml": 0.5, "c4.yaml": 0.1]
        for (name, fraction) in expected {
            let pipeline = try PipelineFile.load(Self.repositoryRoot + "/pipelines/" + name)
            #expect(pipeline.threshold.discard == fraction, "\(name)")
            #expect(pipeline.slurm.stages["train"]?.cpus == pipeline.train.threads, "\(name)")
        }
        #expect(try PipelineFile.load(Self.repositoryRoot + "/pipelines/pile.yaml").shard.format == "pile")
        #expect(try PipelineFile.load(Self.repositoryRoot + "/pipelines/c4.yaml").shard.format == "c4")
    }

    @Test func stepsAreTheStageCommandLines() throws {
        let pipeline = try PipelineFile.parse("""
            inputs: [in/a, in/b.jsonl.zst]
            run: out
            tokenizer: {path: tok.json}
            model: trained/model
            score: {workers: 3, batch_rows: 8}
            threshold: {discard: 0.25, per_source: yes, rule: batch-top-k, batch_size: 64}
            audit: {html: null}
            """, file: "p.yaml")
        let steps = pipeline.steps()
        #expect(steps.map(\.stage) == ["shard", "tokenize", "score", "threshold", "write", "audit"])
        #expect(steps[0].arguments.prefix(5) == ["shard", "in/a", "in/b.jsonl.zst", "--out", "out"])
        #expect(steps[1].arguments == ["tokenize", "out", "--tokenizer", "tok.json"])
        #expect(steps[2].wholeCommand == ["score", "out", "--model", "trained/model", "--batch-rows", "8", "--workers", "3"])
        #expect(steps[2].rankCommand(rank: "1", worldSize: 3) == ["score", "out", "--model", "trained/model", "--batch-rows", "8", "--rank", "1", "--world-size", "3"])
        #expect(steps[3].arguments == ["threshold", "out", "--discard", "0.25", "--rule", "batch-top-k", "--per-source", "--batch-size", "64"])
        #expect(steps[5].arguments == ["audit", "out"])
        #expect(pipeline.steps(runDirectory: "elsewhere")[0].arguments[4] == "elsewhere")
        // A list of models scores with an ensemble.
        let ensemble = try PipelineFile.parse("""
            inputs: [in/a]
            run: out
            model: [a/model, b/model]
            threshold: {discard: 0.25}
            """, file: "p.yaml")
        #expect(ensemble.steps().first { $0.stage == "score" }?.arguments == ["score", "out", "--model", "a/model", "--model", "b/model"])
    }

    @Test func mistakesAreErrorsWithTheLine() throws {
        func error(_ text: String) -> String {
            do { _ = try PipelineFile.parse(text, file: "bad.yaml"); return "no error" } catch { return "\(error)" }
        }
        #expect(error("inputs: [a]\nthreshold:\n  discard: 0.5\n  discrad: 1\n").contains("bad.yaml:4: threshold: unknown key `discrad`"))
        #expect(error("inputs: [a]\nthreshold: {discard: 1.5}\n").contains("`discard` must be in [0, 1)"))
        #expect(error("threshold: {discard: 0.5}\n").contains("`inputs` is required"))
        #expect(error("inputs: [a]\n").contains("`threshold.discard` is required"))
        #expect(error("inputs: [a]\nthreshold: {discard: 0.5}\nscore: {workers: two}\n").contains("bad.yaml:3: score: `workers` must be an integer, got `two`"))
        #expect(error("inputs: [a]\nthreshold: {discard: 0.5}\ntokenizer: {path: t.json, train: {vocab_size: 300}}\n").contains("not both"))
        #expect(error("inputs: [a]\nthreshold: {discard: 0.5}\nshard: {format: xml}\n").contains("must be one of auto, dolma, pile, c4, text"))
        #expect(error("inputs: [a]\nthreshold: {discard: 0.5}\nslurm: {stages: {scoring: {cpus: 2}}}\n").contains("unknown stage `scoring`"))
        #expect(error("inputs: [a\n").contains("not valid YAML"))
        #expect(error("- a\n- b\n").contains("must be a mapping"))
    }

    // MARK: End to end

    /// A small raw corpus, a tiny meta-training configuration and a pipeline file that uses every stage with
    /// 2 workers, under `dir`; returns the pipeline's path.
    static func tinyPipeline(_ dir: TemporaryDirectory, run: String, extra: String = "") throws -> String {
        if !FileManager.default.fileExists(atPath: dir.file("input")) { _ = try GeneratedCorpus.make(in: dir, documentsPerFile: 40) }
        let config = try TrainStageTests.tinyConfig(dir, steps: 4)
        let text = """
            name: tiny
            run: \(dir.file(run))
            inputs: [\(dir.file("input"))]
            shard: {shard_size: 12KB}
            tokenizer: {train: {vocab_size: 300, sample_size: 1MB}}
            tokenize: {workers: 2}
            train: {config: \(config), threads: 1}
            score: {workers: 2}
            threshold: {discard: 0.3}
            write: {workers: 2}
            audit: {html: audit.html}
            \(extra)
            """
        try dir.write("\(run).yaml", text)
        return dir.file("\(run).yaml")
    }

    /// sha256 of every output a pipeline produces (not the manifest, logs or the pipeline copy, which hold
    /// times, pids and paths).
    static func outputs(_ run: String) throws -> [String: String] {
        try digests(run).filter { key, _ in
            ["docs/", "tokens/", "tokenizer/", "model/", "scores/", "kept/", "discarded/", "rejected/", "threshold.json", "_done/"]
                .contains { key.hasPrefix($0) }
        }
    }

    @Test func runsEndToEndAndResumesAfterSIGKILLInEveryStage() throws {
        let dir = TemporaryDirectory()
        let reference = try Self.tinyPipeline(dir, run: "reference")
        let first = try run([dataraterExecutable, "run", reference])
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.contains("audit page: \(dir.file("reference/audit.html"))"))
        let expected = try Self.outputs(dir.file("reference"))
        #expect(expected.keys.contains("kept/tokens.bin"))
        #expect(expected.keys.filter { $0.hasPrefix("scores/") && $0.hasSuffix(".jsonl.zst") }.count >= 3, "\(expected.keys.sorted())")
        let status = try run([dataraterExecutable, "status", dir.file("reference")])
        #expect(status.output.contains("pipeline: tiny"), "\(status.output)")
        #expect(status.output.contains("complete, started"), "\(status.output)")
        for stage in ["shard", "train-tokenizer", "tokenize", "train", "score", "threshold", "write"] {
            #expect(status.output.split(separator: "\n").contains { $0.contains(" \(stage) ") && $0.contains("complete") },
                    "\(stage): \(status.output)")
        }
        // A rerun of a finished run redoes nothing and changes nothing.
        let again = try run([dataraterExecutable, "run", reference])
        #expect(again.status == 0, "\(again.error)")
        #expect(try Self.outputs(dir.file("reference")) == expected)

        // SIGKILL inside each stage, then the same command again.
        let faults = ["shard:before-done:1", "train-tokenizer:before-done:0", "tokenize:before-done:1", "train:after-checkpoint:2",
                      "score:before-done:0", "threshold:before-done:0", "write:before-done:1"]
        for (n, fault) in faults.enumerated() {
            let pipeline = try Self.tinyPipeline(dir, run: "killed\(n)")
            let killed = try run([dataraterExecutable, "run", pipeline], environment: ["DATARATER_FAULT": fault])
            #expect(killed.status != 0, "\(fault) did not stop the run")
            let stage = String(fault.split(separator: ":")[0])
            #expect(killed.error.contains("stage \(stage) failed"), "\(fault): \(killed.error)")
            let interrupted = try run([dataraterExecutable, "status", dir.file("killed\(n)")])
            #expect(interrupted.output.contains("failed at \(stage)"), "\(fault): \(interrupted.output)")
            let resumed = try run([dataraterExecutable, "run", pipeline])
            #expect(resumed.status == 0, "\(fault): \(resumed.error)")
            #expect(try Self.outputs(dir.file("killed\(n)")) == expected, "\(fault): outputs differ after resume")
        }
    }

    @Test func runnerKilledAtARandomMomentLeavesNoOrphansAndResumes() throws {
        let dir = TemporaryDirectory()
        let reference = try Self.tinyPipeline(dir, run: "reference")
        #expect(try run([dataraterExecutable, "run", reference]).status == 0)
        let expected = try Self.outputs(dir.file("reference"))
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2 {
            let pipeline = try Self.tinyPipeline(dir, run: "random\(round)")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: dataraterExecutable)
            process.arguments = ["run", pipeline]
            var environment = ProcessInfo.processInfo.environment
            environment["DATARATER_QUIET"] = "1"
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let delay = Double.random(in: 0.3...2.5, using: &generator)
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // The stage process (and its workers) die with the runner: nothing still writes into the run.
            Thread.sleep(forTimeInterval: 0.5)
            let survivors = try run(["pgrep", "-f", dir.file("random\(round)")])
            #expect(survivors.output.isEmpty, "processes outlived the runner: \(survivors.output)")
            let resumed = try run([dataraterExecutable, "run", pipeline])
            #expect(resumed.status == 0, "\(resumed.error)")
            let outputs = try Self.outputs(dir.file("random\(round)"))
            let differing = Set(outputs.keys).union(expected.keys).filter { outputs[$0] != expected[$0] }.sorted()
            #expect(differing.isEmpty, "killed after \(String(format: "%.2f", delay)) s, outputs differ after resume: \(differing)")
        }
    }

    @Test func twoRunnersCannotShareARun() throws {
        let dir = TemporaryDirectory()
        let pipeline = try Self.tinyPipeline(dir, run: "shared")
        try FileManager.default.createDirectory(atPath: dir.file("shared"), withIntermediateDirectories: true)
        let holder = open(dir.file("shared/.run.lock"), O_RDWR | O_CREAT, 0o644)
        #expect(flock(holder, LOCK_EX | LOCK_NB) == 0)
        defer { close(holder) }
        let second = try run([dataraterExecutable, "run", pipeline])
        #expect(second.status != 0)
        #expect(second.error.contains("another `datarater run` is working on this run directory"), "\(second.error)")
    }

    // MARK: Slurm executor against a simulated cluster

    @Test func slurmExecutorRetriesFailedTasksAndMatchesTheLocalRun() throws {
        let dir = TemporaryDirectory()
        let local = try Self.tinyPipeline(dir, run: "local")
        #expect(try run([dataraterExecutable, "run", local]).status == 0)
        let expected = try Self.outputs(dir.file("local"))

        let pipeline = try PipelineFile.load(try Self.tinyPipeline(dir, run: "slurm", extra: "slurm: {poll_seconds: 0, max_retries: 1}"))
        // Task 1 of the score array fails on its first attempt, as a node failure would.
        let cluster = SimulatedSlurm(failFirstAttempt: ["datarater-score": 1])
        let executor = SlurmExecutor(settings: pipeline.slurm, control: cluster, workingDirectory: dir.path, executable: dataraterExecutable)
        let source = PipelineRunner.Source(file: "slurm.yaml", text: try String(contentsOfFile: dir.file("slurm.yaml"), encoding: .utf8))
        let runDirectory = try PipelineRunner.run(pipeline, source: source, executor: executor)
        #expect(try Self.outputs(runDirectory.root) == expected)
        let manifest = try Manifest.load(runDirectory)
        #expect(manifest.pipeline?.status == .complete)
        #expect(manifest.pipeline?.executor == "slurm")
        // score: the array, its reconcile job (cancelled with the rest), the retried array and reconcile.
        #expect(manifest.pipeline?.jobs["score"]?.count == 4, "\(manifest.pipeline?.jobs ?? [:])")
        #expect(manifest.pipeline?.jobs["tokenize"]?.count == 2)
        #expect(cluster.submitted.contains { $0.contains("--array=1") }, "only the failed index is resubmitted")
        #expect(FileManager.default.fileExists(atPath: runDirectory.path("logs/score.sbatch")))
        let logs = try FileManager.default.contentsOfDirectory(atPath: runDirectory.path("logs"))
        #expect(logs.contains { $0.hasPrefix("tokenize-") && $0.hasSuffix("_1.err") }, "\(logs.sorted())")

        // A task that keeps failing ends the run after max_retries, naming the stage and its log.
        let failing = SimulatedSlurm(failFirstAttempt: ["datarater-threshold": 0], failAlways: true)
        let pipeline2 = try PipelineFile.load(try Self.tinyPipeline(dir, run: "slurm-failing", extra: "slurm: {poll_seconds: 0, max_retries: 1}"))
        let executor2 = SlurmExecutor(settings: pipeline2.slurm, control: failing, workingDirectory: dir.path, executable: dataraterExecutable)
        #expect {
            _ = try PipelineRunner.run(pipeline2, source: source, executor: executor2)
        } throws: { error in
            "\(error)".contains("stage threshold failed 2 times on Slurm") && "\(error)".contains("logs/threshold-")
        }
        #expect(try Manifest.load(RunDirectory(dir.file("slurm-failing"))).pipeline?.status == .failed)
    }
}

/// A queue whose jobs never finish, to see what a new runner does with an earlier runner's jobs.
final class StuckSlurm: SlurmControl, @unchecked Sendable {
    var cancelled: [String] = []
    func submit(_ arguments: [String], script: String) throws -> String { "1" }
    func states(_ jobs: [String]) throws -> [String: SlurmTaskState] {
        Dictionary(uniqueKeysWithValues: jobs.map { ($0, $0 == "7" ? SlurmTaskState.running : .completed) })
    }
    func cancel(_ jobs: [String]) throws { cancelled += jobs }
}

extension PipelineTests {
    @Test func aNewRunnerCancelsJobsAnEarlierOneLeftInTheQueue() throws {
        let dir = TemporaryDirectory()
        let run = RunDirectory(dir.file("run"))
        try Manifest.update(run) { manifest in
            manifest.pipeline = .init(name: "p", file: "p.yaml", sha256: "", executor: "slurm", stages: ["score"], status: .running,
                                      current: "score", startedAt: "", finishedAt: nil, host: "h", pid: 1,
                                      jobs: ["score": ["6", "7"]], error: nil)
        }
        let control = StuckSlurm()
        try SlurmExecutor(settings: Pipeline.Slurm(), control: control).cancelLeftovers(run, log: ProgressReporter(label: "test", quiet: true))
        #expect(control.cancelled == ["7"])
        #expect(try Manifest.load(run).pipeline?.jobs.isEmpty == true)
    }
}

/// A Slurm stand-in for tests: runs each submitted batch script with bash at once (array tasks one by one,
/// with SLURM_ARRAY_TASK_ID set), honours afterok dependencies with --kill-on-invalid-dep, writes --output
/// and --error files, and can fail chosen tasks without running them.
final class SimulatedSlurm: SlurmControl, @unchecked Sendable {
    private var states: [String: SlurmTaskState] = [:]
    private var nextJob = 100
    private var failFirstAttempt: [String: Int]
    private let failAlways: Bool
    private(set) var submitted: [[String]] = []

    init(failFirstAttempt: [String: Int] = [:], failAlways: Bool = false) {
        self.failFirstAttempt = failFirstAttempt
        self.failAlways = failAlways
    }

    func submit(_ arguments: [String], script: String) throws -> String {
        submitted.append(arguments)
        let job = String(nextJob)
        nextJob += 1
        func value(_ flag: String) -> String? {
            arguments.first { $0.hasPrefix(flag + "=") }.map { String($0.dropFirst(flag.count + 1)) }
        }
        let name = value("--job-name") ?? "job"
        let tasks: [Int?] = value("--array").map { spec in
            spec.split(separator: ",").flatMap { part -> [Int?] in
                let bounds = part.split(separator: "-").compactMap { Int($0) }
                return Array(bounds[0]...(bounds.last ?? bounds[0])).map { Optional($0) }
            }
        } ?? [nil]
        let dependencyMet = value("--dependency").map { dependency in
            let parent = String(dependency.dropFirst("afterok:".count))
            return states.filter { $0.key == parent || $0.key.hasPrefix(parent + "_") }.allSatisfy { $0.value == .completed }
        } ?? true
        for task in tasks {
            let key = task.map { "\(job)_\($0)" } ?? job
            guard dependencyMet else { states[key] = .failed("CANCELLED, DependencyNeverSatisfied"); continue }
            if let failing = failFirstAttempt[name], failing == (task ?? 0) {
                if !failAlways { failFirstAttempt[name] = nil }
                states[key] = .failed("NODE_FAIL")
                continue
            }
            func expand(_ pattern: String) -> String {
                pattern.replacingOccurrences(of: "%A", with: job).replacingOccurrences(of: "%a", with: task.map(String.init) ?? "")
                    .replacingOccurrences(of: "%j", with: job)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", script]
            var environment = ProcessInfo.processInfo.environment
            environment["SLURM_JOB_ID"] = job
            environment["DATARATER_QUIET"] = "1"
            if let task { environment["SLURM_ARRAY_TASK_ID"] = String(task) }
            process.environment = environment
            func log(_ flag: String) throws -> FileHandle {
                let path = expand(value(flag)!)
                guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                    throw CurationError(.io, "\(path): cannot create the job's log (as Slurm's JobLaunchFailure)")
                }
                return handle
            }
            process.standardOutput = try log("--output")
            process.standardError = try log("--error")
            try process.run()
            process.waitUntilExit()
            states[key] = process.terminationStatus == 0 ? .completed : .failed("FAILED, exit \(process.terminationStatus)")
        }
        return job
    }

    func states(_ jobs: [String]) throws -> [String: SlurmTaskState] {
        states.filter { entry in jobs.contains { entry.key == $0 || entry.key.hasPrefix($0 + "_") } }
    }

    func cancel(_ jobs: [String]) throws {
        for key in states.keys where jobs.contains(where: { key == $0 || key.hasPrefix($0 + "_") }) && !states[key]!.isFinished {
            states[key] = .failed("CANCELLED")
        }
    }
}
