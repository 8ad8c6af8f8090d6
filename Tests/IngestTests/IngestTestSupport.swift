import Foundation
import Testing
@testable import Ingest
import ShardIO

/// A fresh temporary directory, removed when the value is released.
final class TempDir {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/ingest-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let full = url(name)
        let dir = (full as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: url(name)))) }
}

struct ToolFailed: Error, CustomStringConvertible {
    var description: String
}

/// Runs a command-line tool (zstd, gzip, tar) and waits for it.
func run(_ tool: String, _ arguments: [String], in directory: String? = nil) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [tool] + arguments
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    if p.terminationStatus != 0 {
        throw ToolFailed(description: "\(tool) \(arguments.joined(separator: " ")) exited with \(p.terminationStatus)")
    }
}

/// Reads every item of one file.
func readAll(_ path: String, relativePath: String? = nil, kind: InputFile.Kind? = nil, options: IngestOptions = IngestOptions()) throws -> (items: [IngestItem], stats: IngestStats) {
    let name = (path as NSString).lastPathComponent
    let file = InputFile(path: path, relativePath: relativePath ?? name, kind: kind ?? InputDiscovery.kind(ofName: name))
    let reader = try IngestReader(file: file, options: options)
    var items: [IngestItem] = []
    while let item = reader.next() { items.append(item) }
    return (items, reader.stats)
}

extension IngestItem {
    var document: Document? {
        if case let .document(d, _) = self { return d }
        return nil
    }
    var provenance: Provenance? {
        if case let .document(_, p) = self { return p }
        return nil
    }
    var rejection: Rejection? {
        if case let .rejected(r) = self { return r }
        return nil
    }
}

extension Array where Element == IngestItem {
    var documents: [Document] { compactMap(\.document) }
    var rejections: [Rejection] { compactMap(\.rejection) }
}

/// A Dolma line.
func dolmaLine(id: String, text: String, source: String = "src", extra: String = "") -> String {
    var out: [UInt8] = []
    Document(id: id, text: text, source: source).writeJSONLine(into: &out)
    var s = String(decoding: out, as: UTF8.self)
    if !extra.isEmpty {
        s = String(s.dropLast(2)) + "," + extra + "}\n"
    }
    return s
}

/// Current and peak resident memory of a process (this one by default), in bytes, from /proc/PID/status; zeros
/// when it cannot be read (the process has exited).
func residentMemory(of pid: String = "self") -> (rss: Int, hwm: Int) {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
    var rss = 0
    var hwm = 0
    for line in status.split(separator: "\n") {
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count >= 2, let kb = Int(parts[1]) else { continue }
        if parts[0] == "VmRSS:" { rss = kb * 1024 }
        if parts[0] == "VmHWM:" { hwm = kb * 1024 }
    }
    return (rss, hwm)
}
