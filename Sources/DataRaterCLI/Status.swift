import ArgumentParser
import Curation

extension DataRaterCommand {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show what is done, pending and failed in a run."
        )

        @Argument(help: "The run directory.")
        var runDirectory: String

        func run() throws {
            let directory = RunDirectory(runDirectory)
            print(StatusTool.render(try StatusTool.states(of: directory), run: directory))
        }
    }
}
