// Dev-only driver for the exactness and speed checks in scripts/tokenizer (see README.md there).
// It builds the Tokenization sources (symlinked) in release mode, apart from the main package.
import Foundation
import Tokenization

/// Texts file: per document a little-endian UInt32 byte count, then the UTF-8 bytes.
func readTexts(_ path: String) throws -> [String] {
    let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    var texts: [String] = []
    var i = 0
    while i + 4 <= data.count {
        let n = Int(data[i]) | Int(data[i + 1]) << 8 | Int(data[i + 2]) << 16 | Int(data[i + 3]) << 24
        i += 4
        guard i + n <= data.count else { break }
        texts.append(String(decoding: data[i..<(i + n)], as: UTF8.self))
        i += n
    }
    return texts
}

let usage = """
    runner encode TOKENIZER.json TEXTS.bin IDS.bin   ids per document (UInt32 count, Int32 ids), round-trip check
    runner bench TOKENIZER.json TEXTS.bin [REPEATS]   TokenizerBenchmark.run, one line per repeat
    runner train TEXTS.bin VOCAB OUT.json             BPETrainer.train, writes jsonData()
    runner rewrite IN.json OUT.json                   load and write back with jsonData()
    """
let args = CommandLine.arguments
do {
    switch args.count > 1 ? args[1] : "" {
    case "encode" where args.count == 5:
        let tokenizer = try Tokenizer(contentsOf: args[2])
        let texts = try readTexts(args[3])
        var out: [UInt8] = []
        var failures = 0
        for text in texts {
            let ids = tokenizer.encode(text)
            if tokenizer.decode(ids) != text { failures += 1 }
            withUnsafeBytes(of: UInt32(ids.count).littleEndian) { out += $0 }
            ids.withUnsafeBytes { out += $0 }
        }
        try Data(out).write(to: URL(fileURLWithPath: args[4]))
        print("encoded \(texts.count) docs; decode round-trip failures: \(failures)")
    case "bench" where args.count >= 4:
        let texts = try readTexts(args[3])
        for _ in 0..<(args.count > 4 ? Int(args[4]) ?? 3 : 3) {
            let (tokens, seconds) = try TokenizerBenchmark.run(tokenizerPath: args[2], texts: texts)
            print(String(format: "swift tokens=%d seconds=%.3f tokens/s=%.0f", tokens, seconds, Double(tokens) / seconds))
        }
    case "train" where args.count == 5:
        let texts = try readTexts(args[2])
        let start = Date()
        let tokenizer = try BPETrainer.train(texts: texts, vocabularySize: Int(args[3]) ?? 4096)
        print(String(format: "trained vocab %d in %.2f s", tokenizer.vocabularySize, Date().timeIntervalSince(start)))
        try Data(tokenizer.jsonData()).write(to: URL(fileURLWithPath: args[4]))
    case "rewrite" where args.count == 4:
        try Data(Tokenizer(contentsOf: args[2]).jsonData()).write(to: URL(fileURLWithPath: args[3]))
    default:
        print(usage)
        exit(2)
    }
} catch {
    print("error: \(error)")
    exit(1)
}
