import Foundation
import Testing
import Tensor
@testable import Models

/// A config shaped like the model configs (snake_case keys), with a layout derived from it.
struct TinyConfig: Codable, Equatable {
    var vocabSize: Int
    var dModel: Int
    var nLayers: Int

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case dModel = "d_model"
        case nLayers = "n_layers"
    }

    var layout: ParameterLayout {
        var layout = ParameterLayout()
        layout.add("tok_emb", shape: [vocabSize, dModel])
        for i in 0..<nLayers {
            layout.add("blocks.\(i).ln1.weight", shape: [dModel])
            layout.add("blocks.\(i).attn.wq", shape: [dModel, dModel])
        }
        layout.add("ln_f.bias", shape: [dModel])
        return layout
    }
}

/// A fresh empty directory under the system temporary directory, removed by `cleanup`.
private struct Scratch {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { "\(path)/\(name)" }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Deterministic non-trivial values (including negatives, tiny and large magnitudes).
private func values(_ count: Int, seed: Int = 1) -> [Float] {
    (0..<count).map { i in
        let x = Float((i &* 7919 &+ seed &* 104_729) % 2001 - 1000) / 997
        return i % 13 == 0 ? x * 1e-30 : (i % 17 == 0 ? x * 1e30 : x)
    }
}

/// Bytes of a safetensors file with the given header text (padded to 8) and data.
private func rawFile(header: String, data: [UInt8], lengthOverride: UInt64? = nil) -> [UInt8] {
    var headerBytes = Array(header.utf8)
    while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
    let length = lengthOverride ?? UInt64(headerBytes.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + headerBytes + data
}

private func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

/// The code of the `CheckpointError` that `body` throws, nil when it does not throw.
private func checkpointError(_ body: () throws -> Void) -> CheckpointError? {
    do { try body(); return nil } catch { return error as? CheckpointError }
}

private func parse(_ bytes: [UInt8]) -> CheckpointError? {
    checkpointError { _ = try SafeTensors(bytes: bytes, path: "/virtual/test.safetensors") }
}

@Suite struct SafeTensorsFormatTests {
    @Test func writerProducesThePublishedLayout() throws {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        writer.add("a", shape: [2], values: [Float(1), 2])
        writer.add("b", shape: [1, 1], values: [Double(-3)])
        let bytes = writer.serialized()
        let n = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        #expect(n % 8 == 0)
        #expect(bytes[8] == UInt8(ascii: "{"))
        #expect(bytes.count == 8 + Int(n) + 8 + 8)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + Int(n))])) as? [String: Any])
        let a = try #require(header["a"] as? [String: Any])
        #expect(a["dtype"] as? String == "F32")
        #expect((a["data_offsets"] as? [Int]) == [0, 8])
        let b = try #require(header["b"] as? [String: Any])
        #expect(b["dtype"] as? String == "F64")
        #expect((b["shape"] as? [Int]) == [1, 1])
        #expect((b["data_offsets"] as? [Int]) == [8, 16])
        #expect((header["__metadata__"] as? [String: String]) == ["format": "pt"])
        // Data is raw little-endian.
        #expect(Array(bytes[(8 + Int(n))..<(8 + Int(n) + 4)]) == floatBytes([1]))
    }

    @Test func readsBackEveryFloatDType() throws {
        var writer = SafeTensorsWriter()
        writer.add("f32", shape: [3], values: [Float(1.5), -2, 1e-38])
        writer.add("f64", shape: [2], values: [Double(0.1), -1e300])
        let file = try SafeTensors(bytes: writer.serialized(), path: "/virtual")
        #expect(try file.array("f32", as: Float.self) == [1.5, -2, 1e-38])
        #expect(try file.array("f64", as: Double.self) == [0.1, -1e300])
        #expect(try file.array("f32", as: Double.self) == [1.5, -2, Double(Float(1e-38))])
        // −1e300 does not fit a Float: reading it as Float is rejected as non-finite.
        #expect(checkpointError { _ = try file.array("f64", as: Float.self) }?.code == .nonFinite)
        #expect(try file.array("f64", as: Float.self, allowNonFinite: true)[0] == Float(0.1))
    }

    @Test func readsHalfAndBFloat16() throws {
        // F16: 1.0 = 0x3C00, −2.5 = 0xC100, smallest subnormal 0x0001 = 2⁻²⁴, 65504 = 0x7BFF.
        // BF16: 1.0 = 0x3F80, −0.5 = 0xBF00.
        let half: [UInt16] = [0x3C00, 0xC100, 0x0001, 0x7BFF]
        let bf16: [UInt16] = [0x3F80, 0xBF00]
        let data = (half + bf16).flatMap { v in [UInt8(v & 0xFF), UInt8(v >> 8)] }
        let header = #"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}}"#
        let file = try SafeTensors(bytes: rawFile(header: header, data: data), path: "/virtual")
        #expect(try file.array("h") == [1, -2.5, 1.0 / 16_777_216, 65504])
        #expect(try file.array("b") == [1, -0.5])
        #expect(file.entries.map(\.name) == ["h", "b"])
    }

    /// Written by Python's `safetensors.torch.save` (`python3 scripts/check_safetensors.py golden`):
    /// tensors sorted by dtype alignment, not by name or insertion, with F16 and BF16.
    static let pythonWrittenFile = "MAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCIsIndyaXR0ZW5fYnkiOiJweXRob24gc2FmZXRlbnNvcnMifSwiZjY0Ijp7ImR0eXBlIjoiRjY0Iiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbMCwxNl19LCJmMzIiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzIsM10sImRhdGFfb2Zmc2V0cyI6WzE2LDQwXX0sImJmMTYiOnsiZHR5cGUiOiJCRjE2Iiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbNDAsNDZdfSwiZjE2Ijp7ImR0eXBlIjoiRjE2Iiwic2hhcGUiOls0XSwiZGF0YV9vZmZzZXRzIjpbNDYsNTRdfX0gICAgICAgmpmZmZmZuT+cdQCIPOQ3/gAAwD8AAADAAABQQM3MzD1gQqKNyvJJcYA/AL9ifwA8AMH/ewEA"

    @Test func readsAFileWrittenByPythonSafetensors() throws {
        let bytes = try #require(Data(base64Encoded: Self.pythonWrittenFile))
        let file = try SafeTensors(bytes: Array(bytes), path: "python.safetensors")
        #expect(file.metadata == ["format": "pt", "written_by": "python safetensors"])
        #expect(file.names == ["f64", "f32", "bf16", "f16"])
        #expect(file["f32"]?.shape == [2, 3])
        #expect(try file.array("f32") == [1.5, -2, 3.25, 0.1, -1e-30, 1e30])
        #expect(try file.array("f64", as: Double.self) == [0.1, -1e300])
        #expect(try file.array("f16") == [1, -2.5, 65504, 1.0 / 16_777_216])
        #expect(try file.array("bf16") == [1, -0.5, Float(3.00405527047391e+38)])
    }

    @Test func emptyTensorsAndEmptyFilesAreValid() throws {
        let file = try SafeTensors(bytes: rawFile(header: #"{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}"#, data: []), path: "/v")
        #expect(try file.array("e").isEmpty)
        let none = try SafeTensors(bytes: rawFile(header: "{}", data: []), path: "/v")
        #expect(none.entries.isEmpty && none.metadata.isEmpty)
    }

    @Test func namesWithQuotesAndControlCharactersRoundTrip() throws {
        var writer = SafeTensorsWriter(metadata: ["note": "line\n\"quoted\"\t\u{1}"])
        writer.add("we\"ird\\name", shape: [1], values: [Float(4)])
        let file = try SafeTensors(bytes: writer.serialized(), path: "/v")
        #expect(try file.array("we\"ird\\name") == [4])
        #expect(file.metadata["note"] == "line\n\"quoted\"\t\u{1}")
    }
}

@Suite struct SafeTensorsCorruptionTests {
    static let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
    static let data = floatBytes([1, 2, 3, 4])

    @Test func theUncorruptedFileParses() throws {
        let file = try SafeTensors(bytes: rawFile(header: Self.good, data: Self.data), path: "/v")
        #expect(try file.array("b") == [3, 4])
    }

    @Test func badHeaderLength() {
        #expect(parse(rawFile(header: Self.good, data: Self.data, lengthOverride: 0))?.code == .badHeaderLength)
        #expect(parse(rawFile(header: Self.good, data: Self.data, lengthOverride: 1 << 40))?.code == .badHeaderLength)
        #expect(parse(rawFile(header: Self.good, data: Self.data, lengthOverride: 10_000))?.code == .badHeaderLength)
    }

    @Test func headerNotJSON() {
        #expect(parse(rawFile(header: "this is not json", data: []))?.code == .headerNotJSON)
        #expect(parse(rawFile(header: "[1, 2]", data: []))?.code == .headerNotJSON)
        #expect(parse(rawFile(header: #"{"a": "#, data: []))?.code == .headerNotJSON)
        // Invalid UTF-8 inside the header.
        var bytes = rawFile(header: Self.good, data: Self.data)
        bytes[10] = 0xFF
        #expect(parse(bytes)?.code == .headerNotJSON)
    }

    @Test func badHeaderEntries() {
        let cases = [
            #"{"a":{"shape":[2],"data_offsets":[0,8]}}"#,
            #"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#,
            #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
            #"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#,
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#,
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":"0,8"}}"#,
            #"{"a":[1,2]}"#,
            #"{"__metadata__":{"k":1}}"#,
        ]
        for header in cases {
            let error = parse(rawFile(header: header, data: floatBytes([1, 2])))
            #expect(error?.code == .badHeaderEntry, "\(header)")
        }
    }

    @Test func unknownDType() {
        let error = parse(rawFile(header: #"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, data: floatBytes([1, 2])))
        #expect(error?.code == .wrongDType)
        #expect(error?.tensor == "a")
    }

    @Test func offsetsDisagreeingWithShape() {
        let error = parse(rawFile(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: floatBytes([1, 2])))
        #expect(error?.code == .offsetsInvalid)
        #expect(parse(rawFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: floatBytes([1, 2])))?.code == .offsetsInvalid)
    }

    @Test func offsetsOverlapping() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let error = parse(rawFile(header: header, data: floatBytes([1, 2, 3])))
        #expect(error?.code == .offsetsOverlap)
        #expect(error?.tensor == "b")
    }

    @Test func offsetsOutOfRange() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}"#
        let error = parse(rawFile(header: header, data: floatBytes([1, 2, 3, 4])))
        #expect(error?.code == .offsetsOutOfRange)
        #expect(error?.tensor == "b")
    }

    @Test func offsetsNotCoveringTheData() {
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        #expect(parse(rawFile(header: gap, data: floatBytes([1, 2, 3, 4])))?.code == .dataNotCovered)
        let trailing = rawFile(header: Self.good, data: Self.data + [0, 0, 0, 0])
        #expect(parse(trailing)?.code == .dataNotCovered)
        let leading = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        #expect(parse(rawFile(header: leading, data: floatBytes([1, 2])))?.code == .dataNotCovered)
    }

    @Test func truncatedFiles() {
        let full = rawFile(header: Self.good, data: Self.data)
        for cut in [1, 4, 9] {
            let error = parse(Array(full.dropLast(cut)))
            #expect(error?.code == .truncated, "cut \(cut)")
            #expect(error?.tensor == "b")
        }
        #expect(parse(Array(full.prefix(5)))?.code == .truncated)
        #expect(parse([])?.code == .truncated)
        // Cut inside the header: the length prefix promises more than there is.
        #expect(parse(Array(full.prefix(20)))?.code == .badHeaderLength)
    }

    @Test func nonFiniteValues() throws {
        for bad in [Float.nan, .infinity, -.infinity] {
            let file = try SafeTensors(bytes: rawFile(header: Self.good, data: floatBytes([1, 2, 3, bad])), path: "/v")
            let error = checkpointError { _ = try file.array("b") }
            #expect(error?.code == .nonFinite)
            #expect(error?.tensor == "b")
            #expect(error?.message.contains("element 1") == true)
        }
    }

    @Test func everyErrorNamesItsFileAndSaysWhatToDo() {
        let error = parse(rawFile(header: "nope", data: []))
        #expect(error?.path == "/virtual/test.safetensors")
        #expect(error?.description.contains("/virtual/test.safetensors") == true)
        #expect(error?.hint.isEmpty == false)
    }
}

@Suite struct CheckpointTests {
    static let config = TinyConfig(vocabSize: 11, dModel: 4, nLayers: 2)

    @Test func modelRoundTripIsBitExact() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let layout = Self.config.layout
        let parameters = values(layout.count)
        try Checkpoint.save(parameters: parameters, layout: layout, config: Self.config, directory: scratch.path, name: "datarater")
        let loaded = try Checkpoint.load(directory: scratch.path, name: "datarater", as: Float.self) { (c: TinyConfig) in c.layout }
        #expect(loaded.config == Self.config)
        #expect(loaded.layout == layout)
        #expect(loaded.parameters.map(\.bitPattern) == parameters.map(\.bitPattern))
        // The config file is plain snake_case JSON, and travels in the weights' metadata too.
        let json = try String(contentsOfFile: Checkpoint.configPath(directory: scratch.path), encoding: .utf8)
        #expect(json.contains("\"d_model\" : 4"))
        let file = try SafeTensors(contentsOf: Checkpoint.weightsPath(directory: scratch.path))
        #expect(file.metadata["config"] == #"{"d_model":4,"n_layers":2,"vocab_size":11}"#)
        #expect(file.names == layout.specs.map(\.name))
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == ["datarater.json", "datarater.safetensors"])
    }

    @Test func doubleRoundTripAndOverwrite() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let layout = Self.config.layout
        let path = scratch.file("w.safetensors")
        try [Double](repeating: 1, count: layout.count).withUnsafeBufferPointer { try Checkpoint.writeWeights(parameters: $0, layout: layout, to: path) }
        let parameters = values(layout.count).map { Double($0) / 3 }
        try parameters.withUnsafeBufferPointer { try Checkpoint.writeWeights(parameters: $0, layout: layout, to: path) }
        #expect(try Checkpoint.loadWeights(from: path, expecting: layout, as: Double.self) == parameters)
        #expect(try SafeTensors(contentsOf: path)["tok_emb"]?.dtype == .f64)
    }

    @Test func failedWriteLeavesTheOldFileIntact() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let layout = Self.config.layout
        let path = scratch.file("keep.safetensors")
        let old = values(layout.count)
        try old.withUnsafeBufferPointer { try Checkpoint.writeWeights(parameters: $0, layout: layout, to: path) }
        // A directory squatting on the temporary name makes the new write fail before any rename.
        try FileManager.default.createDirectory(atPath: "\(path).tmp-\(getpid())", withIntermediateDirectories: false)
        let error = checkpointError {
            try [Float](repeating: 7, count: layout.count).withUnsafeBufferPointer { try Checkpoint.writeWeights(parameters: $0, layout: layout, to: path) }
        }
        #expect(error?.code == .io)
        #expect(error?.path.hasSuffix(".tmp-\(getpid())") == true)
        #expect(try Checkpoint.loadWeights(from: path, expecting: layout) == old)
    }

    @Test func layoutMismatchesAreTyped() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let layout = Self.config.layout
        let path = scratch.file("m.safetensors")
        try values(layout.count).withUnsafeBufferPointer { try Checkpoint.writeWeights(parameters: $0, layout: layout, to: path) }

        let deeper = TinyConfig(vocabSize: 11, dModel: 4, nLayers: 3).layout
        let missing = checkpointError { _ = try Checkpoint.loadWeights(from: path, expecting: deeper) }
        #expect(missing?.code == .missingTensor)
        #expect(missing?.tensor == "blocks.2.ln1.weight")
        #expect(missing?.message.contains("blocks.2.attn.wq") == true)

        let shallower = TinyConfig(vocabSize: 11, dModel: 4, nLayers: 1).layout
        let unused = checkpointError { _ = try Checkpoint.loadWeights(from: path, expecting: shallower) }
        #expect(unused?.code == .unusedTensor)
        #expect(unused?.tensor == "blocks.1.ln1.weight")

        let wider = TinyConfig(vocabSize: 12, dModel: 4, nLayers: 2).layout
        let shape = checkpointError { _ = try Checkpoint.loadWeights(from: path, expecting: wider) }
        #expect(shape?.code == .shapeMismatch)
        #expect(shape?.tensor == "tok_emb")
        #expect(shape?.path == path)
    }

    @Test func wrongDTypeInAModelFile() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        var layout = ParameterLayout()
        layout.add("w", shape: [2])
        let path = scratch.file("i.safetensors")
        try Data(rawFile(header: #"{"w":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}"#, data: floatBytes([1, 2]))).write(to: URL(fileURLWithPath: path))
        let error = checkpointError { _ = try Checkpoint.loadWeights(from: path, expecting: layout) }
        #expect(error?.code == .wrongDType)
        #expect(error?.tensor == "w")
        // Reading it directly is refused the same way.
        let file = try SafeTensors(contentsOf: path)
        #expect(checkpointError { _ = try file.array("w") }?.code == .wrongDType)
    }

    @Test func nonFiniteParametersAreRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let layout = Self.config.layout
        var parameters = values(layout.count)
        let spec = try #require(layout["blocks.1.attn.wq"])
        parameters[spec.offset + 5] = .nan
        let path = scratch.file("nan.safetensors")
        try parameters.withUnsafeBufferPointer { try Checkpoint.writeWeights(parameters: $0, layout: layout, to: path) }
        let error = checkpointError { _ = try Checkpoint.loadWeights(from: path, expecting: layout) }
        #expect(error?.code == .nonFinite)
        #expect(error?.tensor == "blocks.1.attn.wq")
    }

    @Test func truncatedCheckpointOnDisk() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let layout = Self.config.layout
        let path = scratch.file("t.safetensors")
        try values(layout.count).withUnsafeBufferPointer { try Checkpoint.writeWeights(parameters: $0, layout: layout, to: path) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path))
        let error = checkpointError { _ = try Checkpoint.loadWeights(from: path, expecting: layout) }
        #expect(error?.code == .truncated)
    }

    @Test func missingFilesAndBadConfigs() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let absent = checkpointError { _ = try Checkpoint.loadWeights(from: scratch.file("absent.safetensors"), expecting: Self.config.layout) }
        #expect(absent?.code == .io)
        #expect(absent?.errno == ENOENT)

        try Data(#"{"vocab_size": 11, "d_model": "four", "n_layers": 2}"#.utf8).write(to: URL(fileURLWithPath: scratch.file("datarater.json")))
        let bad = checkpointError { _ = try Checkpoint.loadConfig(TinyConfig.self, from: scratch.file("datarater.json")) }
        #expect(bad?.code == .badConfig)

        struct InvalidConfig: Error {}
        try Checkpoint.save(parameters: [Float](repeating: 0, count: Self.config.layout.count), layout: Self.config.layout,
                            config: Self.config, directory: scratch.path)
        let rejected = checkpointError {
            _ = try Checkpoint.load(directory: scratch.path, as: Float.self) { (_: TinyConfig) throws -> ParameterLayout in throw InvalidConfig() }
        }
        #expect(rejected?.code == .badConfig)
        #expect(rejected?.path == Checkpoint.configPath(directory: scratch.path))

        let unwritable = checkpointError {
            try Checkpoint.save(parameters: [Float](repeating: 0, count: Self.config.layout.count), layout: Self.config.layout,
                                config: Self.config, directory: scratch.file("no/such/dir"))
        }
        #expect(unwritable?.code == .io)
    }

    @Test func optimizerStateRoundTripContinuesIdentically() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let layout = Self.config.layout
        let n = layout.count
        var theta = values(n).map { $0 / 1e3 }.map { $0.isFinite ? $0 : 0 }
        var adam = try AdamW<Float>(config: AdamWConfig(learningRate: 1e-2), count: n)
        let gradient = values(n, seed: 2).map { max(-1, min(1, $0)) }
        adam.update(parameters: &theta, gradients: gradient)
        adam.update(parameters: &theta, gradients: gradient.map { -$0 / 2 })
        let path = scratch.file("optimizer.safetensors")
        try Checkpoint.saveOptimizerState(adam.exportState(), layout: layout, to: path)
        let file = try SafeTensors(contentsOf: path)
        #expect(file.metadata["optimizer"] == "adamw" && file.metadata["step"] == "2")
        #expect(file["exp_avg_sq.blocks.0.attn.wq"]?.shape == [4, 4])

        var restored = try AdamW<Float>(config: AdamWConfig(learningRate: 1e-2), count: n)
        try Checkpoint.restore(&restored, from: path, layout: layout)
        var thetaA = theta, thetaB = theta
        adam.update(parameters: &thetaA, gradients: gradient)
        restored.update(parameters: &thetaB, gradients: gradient)
        #expect(thetaA == thetaB)

        // Restoring into another optimizer kind, or against another layout, is a typed error.
        var sgd = try SGD<Float>(config: SGDConfig(momentum: 0.9), count: n)
        #expect(checkpointError { try Checkpoint.restore(&sgd, from: path, layout: layout) }?.code == .badOptimizerState)
        let other = TinyConfig(vocabSize: 11, dModel: 4, nLayers: 1).layout
        #expect(checkpointError { _ = try Checkpoint.loadOptimizerState(from: path, layout: other) }?.code == .unusedTensor)
        // A model weights file is not an optimizer state.
        let weights = scratch.file("w.safetensors")
        try theta.withUnsafeBufferPointer { try Checkpoint.writeWeights(parameters: $0, layout: layout, to: weights) }
        #expect(checkpointError { _ = try Checkpoint.loadOptimizerState(from: weights, layout: layout) }?.code == .badOptimizerState)
    }

    @Test func plainSGDStateHasNoBuffersButKeepsItsStep() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let layout = Self.config.layout
        var sgd = try SGD<Float>(config: SGDConfig(), count: layout.count)
        var theta = [Float](repeating: 0, count: layout.count)
        sgd.update(parameters: &theta, gradients: theta)
        let path = scratch.file("sgd.safetensors")
        try Checkpoint.saveOptimizerState(sgd.exportState(), layout: layout, to: path)
        var restored = try SGD<Float>(config: SGDConfig(), count: layout.count)
        try Checkpoint.restore(&restored, from: path, layout: layout)
        #expect(restored.step == 1)
    }
}
