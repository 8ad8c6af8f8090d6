import ArgumentParser
import Curation

extension DataRaterCommand.Bench {
    struct BenchLM: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lm",
            abstract: "LM training tokens/s (forward, backward, AdamW) and its fraction of the sgemm peak, one thread.",
            discussion: "small: vocab 4096, d 128, 2 layers, 4 heads, sequence 128, batch 16. base: vocab 8192, d 256, 4 layers, 4 heads, sequence 256, batch 16. The PyTorch/JAX references: python3 scripts/bench/lm_reference.py."
        )

        @Option(help: "small, base, or both.")
        var config: String = "both"

        @Option(help: "Timed steps per configuration.")
        var steps: Int = 10

        func run() throws {
            for name in config == "both" ? ["small", "base"] : [config] {
                print(try LMBench.run(configuration: name, steps: steps))
            }
        }
    }
}
