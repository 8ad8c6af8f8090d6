import Foundation
import Tensor

/// Which code produced an output: the release version and, when the binary was built inside a git
/// checkout, the commit and whether the tree had uncommitted changes; and the OpenBLAS build and kernel,
/// since floating-point results (a meta-trained DataRater above all) are bit-identical only under one kernel.
public struct CodeVersion: Codable, Sendable, Equatable {
    public var version: String
    public var gitCommit: String?
    public var gitDirty: Bool?
    public var blas: String? = BLASBuild.description

    public static let version = "0.1.0"

    /// Looks for the checkout that contains the running executable (a SwiftPM build lives in
    /// `CHECKOUT/.build/...`). `DATARATER_GIT_COMMIT` overrides it for installed binaries.
    public static let current: CodeVersion = {
        let env = ProcessInfo.processInfo.environment
        if let commit = env["DATARATER_GIT_COMMIT"], !commit.isEmpty {
            return CodeVersion(version: version, gitCommit: commit, gitDirty: nil)
        }
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(".git").path) {
                let commit = git(["rev-parse", "HEAD"], in: directory.path)
                let status = git(["status", "--porcelain", "--untracked-files=no"], in: directory.path)
                return CodeVersion(version: version, gitCommit: commit, gitDirty: status.map { !$0.isEmpty })
            }
            directory = directory.deletingLastPathComponent()
        }
        return CodeVersion(version: version, gitCommit: nil, gitDirty: nil)
    }()

    private static func git(_ arguments: [String], in directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
