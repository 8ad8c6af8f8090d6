import ArgumentParser
import Curation
import Foundation

extension DataRaterCommand {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a pipeline file end to end, skipping finished work.",
            discussion: """
            Runs shard → train-tokenizer → tokenize → train → score → threshold → write → audit as the pipeline \
            file says, each stage as its own process. Without PIPELINE, runs the built-in sample pipeline \
            (pipelines/sample.yaml) on shards/sample. Every stage skips what it has finished, so a run that was \
            stopped or killed resumes when started again and ends with the same outputs.

            --executor slurm submits each stage as a Slurm job (parallel stages as job arrays, array task id = rank) \
            with afterok dependencies, follows them with squeue/sacct, resubmits failed tasks up to \
            slurm.max_retries times, and keeps per-task logs in RUN/logs/. The run directory must be on a \
            filesystem every node sees.
            """
        )

        @Argument(help: "A pipeline YAML file (default: the built-in sample pipeline).")
        var pipeline: String?

        @Option(help: "local (processes on this machine) or slurm (jobs on a Slurm cluster).")
        var executor: String = "local"

        @Option(help: "The run directory (overrides the pipeline's `run`).")
        var out: String?

        @Flag(name: .customLong("dry-run"), help: "Print the stage commands (and sbatch scripts with --executor slurm) without running them.")
        var dryRun = false

        func validate() throws {
            guard ["local", "slurm"].contains(executor) else { throw ValidationError("--executor must be local or slurm") }
        }

        func run() throws {
            let source = try pipeline.map(PipelineFile.source) ?? PipelineRunner.Source(file: "(built-in sample)", text: PipelineFile.sampleText)
            let parsed = try PipelineFile.parse(source.text, file: source.file)
            let runDirectory = out ?? parsed.run
            let steps = parsed.steps(runDirectory: runDirectory)
            if dryRun {
                if executor == "slurm" {
                    print(SlurmExecutor(settings: parsed.slurm).plan(steps, run: RunDirectory(runDirectory)), terminator: "")
                } else {
                    for step in steps { print("datarater " + step.wholeCommand.joined(separator: " ")) }
                }
                return
            }
            let chosen: PipelineExecutor = executor == "slurm" ? SlurmExecutor(settings: parsed.slurm) : LocalExecutor()
            let run = try PipelineRunner.run(parsed, source: source, runDirectory: runDirectory, executor: chosen)
            print("")
            print(try StatusTool.render(StatusTool.states(of: run), run: run))
            print(try PipelineRunner.summary(run, pipeline: parsed))
        }
    }
}
