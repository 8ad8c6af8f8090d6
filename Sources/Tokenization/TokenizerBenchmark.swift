#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Measures single-threaded encoding speed, for comparison with `scripts/tokenizer/bench_hf.py`.
public enum TokenizerBenchmark {
    /// Loads the tokenizer (not timed), warms the word cache with one pass, then times a second pass
    /// encoding every text on the calling thread.
    ///
    /// Returns the number of tokens produced and the seconds spent encoding (monotonic clock).
    /// Warming mirrors a long-running `tokenize` stage, where the cache is always warm.
    public static func run(tokenizerPath: String, texts: [String], warm: Bool = true) throws -> (tokens: Int, seconds: Double) {
        let tokenizer = try Tokenizer(contentsOf: tokenizerPath)
        return run(tokenizer: tokenizer, texts: texts, warm: warm)
    }

    /// As `run(tokenizerPath:texts:)` for an already loaded tokenizer.
    public static func run(tokenizer: Tokenizer, texts: [String], warm: Bool = true) -> (tokens: Int, seconds: Double) {
        var ids: [Int32] = []
        ids.reserveCapacity(1 << 20)
        if warm {
            for var text in texts {
                ids.removeAll(keepingCapacity: true)
                text.withUTF8 { tokenizer.encode(utf8: $0, into: &ids) }
            }
        }
        var tokens = 0
        let start = now()
        for var text in texts {
            ids.removeAll(keepingCapacity: true)
            text.withUTF8 { tokenizer.encode(utf8: $0, into: &ids) }
            tokens += ids.count
        }
        return (tokens, now() - start)
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
