import ArgumentParser

/// Thrown by subcommands whose stage is not implemented yet: a clear message and a non-zero exit,
/// never fake output.
struct NotBuiltYet: Error, CustomStringConvertible {
    let command: String
    let issue: Int
    var description: String {
        "`datarater \(command)` is not built yet (tracked in issue #\(issue)); nothing was done."
    }
}
