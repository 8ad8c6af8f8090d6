import ArgumentParser
import Testing
@testable import DataRaterCLI

@Suite struct CommandLineTests {
    @Test func helpListsEveryStageAndTool() {
        let help = DataRaterCommand.helpMessage(columns: 200)
        for name in ["shard", "tokenize", "train", "score", "threshold", "write", "run", "status", "cat", "audit"] {
            #expect(help.contains("\n  \(name) "), "help does not list \(name)")
        }
    }

    @Test func shardHelpDocumentsItsFlags() {
        let help = DataRaterCommand.helpMessage(for: DataRaterCommand.Shard.self, columns: 200)
        for flag in ["--out", "--shard-size", "--format", "--invalid-utf8", "--max-record-size", "--source"] {
            #expect(help.contains(flag), "shard help lacks \(flag)")
        }
    }

    @Test func shardNeedsAnOutputDirectory() {
        #expect(throws: (any Error).self) { try DataRaterCommand.parseAsRoot(["shard", "input.jsonl"]) }
    }

    @Test func badSizeIsAValidationError() {
        #expect(throws: (any Error).self) {
            try DataRaterCommand.parseAsRoot(["shard", "in.jsonl", "--out", "run", "--shard-size", "lots"])
        }
        #expect(throws: (any Error).self) {
            try DataRaterCommand.parseAsRoot(["shard", "in.jsonl", "--out", "run", "--invalid-utf8", "maybe"])
        }
    }

    @Test func goodArgumentsParse() throws {
        let command = try DataRaterCommand.parseAsRoot(["shard", "a.jsonl", "b/", "--out", "run", "--shard-size", "64MB"])
        let shard = try #require(command as? DataRaterCommand.Shard)
        #expect(shard.inputs == ["a.jsonl", "b/"])
        #expect(shard.out == "run")
    }

    @Test func runParsesWithoutAPipelineAndChecksTheExecutor() throws {
        let command = try DataRaterCommand.parseAsRoot(["run", "--dry-run"])
        #expect((command as? DataRaterCommand.Run)?.pipeline == nil)
        #expect(throws: (any Error).self) { try DataRaterCommand.parseAsRoot(["run", "--executor", "kubernetes"]) }
    }

    @Test func evalArgumentsAreChecked() throws {
        let command = try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--scales", "small", "--arms", "datarater,unfiltered,perplexity-middle"])
        let eval = try #require(command as? DataRaterCommand.Eval)
        #expect(eval.scales == "small" && eval.workers == 2)
        #expect(eval.smallBatch == 16 && eval.baseBatch == 8)
        let batches = try #require(try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--small-batch", "4", "--base-batch", "2"]) as? DataRaterCommand.Eval)
        #expect(batches.smallBatch == 4 && batches.baseBatch == 2)
        #expect(throws: (any Error).self) { try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--small-batch", "0"]) }
        #expect(eval.warmup == 0.25)
        let warm = try #require(try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--warmup", "0.1"]) as? DataRaterCommand.Eval)
        #expect(warm.warmup == 0.1)
        #expect(throws: (any Error).self) { try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--warmup", "1"]) }
        #expect(throws: (any Error).self) { try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--warmup", "-0.1"]) }
        #expect(throws: (any Error).self) { try DataRaterCommand.parseAsRoot(["eval"]) }
        #expect(throws: (any Error).self) { try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--arms", "datarater,bogus"]) }
        #expect(throws: (any Error).self) { try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--scales", "huge"]) }
        // Budgets: 0.75 by default when datarater and unfiltered are both evaluated, none otherwise; explicit ones checked.
        #expect(eval.budgetShares == [0.75])
        let subset = try #require(try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--arms", "datarater,random"]) as? DataRaterCommand.Eval)
        #expect(subset.budgetShares == [])
        let shares = try #require(try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--budgets", "0.6, 0.9"]) as? DataRaterCommand.Eval)
        #expect(shares.budgetShares == [0.6, 0.9])
        #expect((try DataRaterCommand.parseAsRoot(["eval", "runs/x", "--budgets", "none"]) as? DataRaterCommand.Eval)?.budgetShares == [])
        for bad in [["--budgets", "1"], ["--budgets", "0"], ["--budgets", "x"], ["--budgets", "0.5", "--arms", "datarater,random"]] {
            #expect(throws: (any Error).self, "\(bad)") { try DataRaterCommand.parseAsRoot(["eval", "runs/x"] + bad) }
        }
    }
}
