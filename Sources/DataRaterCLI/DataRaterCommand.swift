import ArgumentParser
import Curation

/// The root `datarater` command: one executable, one subcommand per stage and tool.
public struct DataRaterCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "datarater",
        abstract: "Curate LLM pre-training corpora with a meta-learned data scorer.",
        discussion: """
        Stages run in order, each as its own process, talking through shards on disk:
          shard → tokenize → train → score → threshold → write
        """,
        version: BuildInfo.version,
        subcommands: [
            Shard.self, TrainTokenizer.self, Tokenize.self, Train.self, Score.self, Threshold.self, Write.self,
            Run.self, Status.self, Cat.self, Audit.self, Eval.self, Bench.self,
        ]
    )

    public init() {}

    /// The executable's entry point: binds a child process's lifetime to its parent's, then runs the command.
    public static func start() {
        ProcessLifetime.bindToParentIfAsked()
        main()
    }
}
