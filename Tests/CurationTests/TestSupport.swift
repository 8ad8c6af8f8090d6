import Foundation

/// A fresh temporary directory per test, removed when the value is dropped.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "datarater-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) throws {
        let url = URL(fileURLWithPath: file(name))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func write(_ name: String, bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: file(name))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a program; returns its exit status, stdout and stderr.
@discardableResult
func run(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["DATARATER_QUIET"] = "1"
    for (k, v) in environment { env[k] = v }
    process.environment = env
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let status = process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
    return (status, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// The `datarater` executable built beside the test bundle.
var dataraterExecutable: String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("datarater").path
}

/// sha256 of every file under `directory` (relative path → digest), skipping `manifest.json` (it holds times).
func digests(_ directory: String) throws -> [String: String] {
    var result: [String: String] = [:]
    let enumerator = FileManager.default.enumerator(atPath: directory)
    while let relative = enumerator?.nextObject() as? String {
        let path = directory + "/" + relative
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
        if relative == "manifest.json" || relative.hasSuffix(".lock") { continue }
        let (status, output, _) = try run(["sha256sum", path])
        precondition(status == 0)
        result[relative] = String(output.prefix(64))
    }
    return result
}

/// A generated raw corpus in several formats with a known number of good and bad records.
struct GeneratedCorpus {
    let documents: Int
    let rejected: Int
    let empty: Int

    /// Writes it under `dir/input` and returns what it holds.
    static func make(in dir: TemporaryDirectory, documentsPerFile: Int = 60) throws -> GeneratedCorpus {
        var docs = 0, bad = 0
        func text(_ i: Int) -> String {
            let words = ["alpha", "beta", "gamma", "delta", "épsilon", "ζῆτα", "日本語", "tab\there", "quote\"d", "back\\slash"]
            return (0..<(5 + i % 40)).map { words[($0 * 7 + i) % words.count] }.joined(separator: i % 3 == 0 ? "\n" : " ")
        }
        func jsonString(_ s: String) -> String {
            let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        }
        // Dolma JSON Lines, plain and zstd-compressed.
        var dolma = ""
        for i in 0..<documentsPerFile {
            dolma += "{\"id\":\"d\(i)\",\"text\":\(jsonString(text(i))),\"source\":\"dolma-src\",\"metadata\":{\"n\":\(i)}}\n"
            docs += 1
        }
        dolma += "\n"  // an empty line
        dolma += "{\"id\":\"broken\",\"text\": \"unterminated\n"; bad += 1
        dolma += "{\"id\":\"notext\",\"source\":\"x\"}\n"; bad += 1
        dolma += "{\"id\":\"numtext\",\"text\":42}\n"; bad += 1
        try dir.write("input/a/dolma.jsonl", dolma)
        try dir.write("input/b/dolma2.jsonl", dolma.replacingOccurrences(of: "\"id\":\"d", with: "\"id\":\"e"))
        docs += documentsPerFile; bad += 3
        _ = try run(["zstd", "-q", "--rm", dir.file("input/b/dolma2.jsonl"), "-o", dir.file("input/b/dolma2.jsonl.zst")])
        // Pile style, gzipped, with one invalid UTF-8 record.
        var pile: [UInt8] = []
        for i in 0..<documentsPerFile {
            pile += Array("{\"text\":\(jsonString(text(i + 1000))),\"meta\":{\"pile_set_name\":\"Pile-CC\"}}\n".utf8)
            docs += 1
        }
        pile += Array("{\"text\":\"bad bytes ".utf8) + [0xC3, 0x28, 0xFF] + Array("\",\"meta\":{\"pile_set_name\":\"Pile-CC\"}}\n".utf8)
        bad += 1
        try dir.write("input/c/pile.jsonl", bytes: pile)
        _ = try run(["gzip", "-n", dir.file("input/c/pile.jsonl")])
        // C4 style .json.gz
        var c4 = ""
        for i in 0..<documentsPerFile {
            c4 += "{\"text\":\(jsonString(text(i + 2000))),\"url\":\"https://example.org/\(i)\",\"timestamp\":\"2019-04-25T12:57:54Z\"}\n"
            docs += 1
        }
        try dir.write("input/c/c4.json", c4)
        _ = try run(["gzip", "-n", dir.file("input/c/c4.json")])
        // A tar.gz of plain text files.
        for i in 0..<5 {
            try dir.write("tarsrc/page\(i).txt", "Plain text page \(i).\n\n" + text(i + 3000))
            docs += 1
        }
        try FileManager.default.createDirectory(atPath: dir.file("input/d"), withIntermediateDirectories: true)
        _ = try run(["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-czf",
                     dir.file("input/d/pages.tar.gz"), "-C", dir.file("tarsrc"), "."])
        return GeneratedCorpus(documents: docs, rejected: bad, empty: 2)
    }
}
