import Foundation
import Tensor

/// Saves and loads a model: its flat parameter buffer as `NAME.safetensors` (one tensor per
/// `ParameterSpec`, keyed by its name) and its config as `NAME.json` beside it.
///
/// Loading verifies the file against the layout the caller expects (built from the config):
/// every expected tensor present with the expected shape and a floating-point dtype, no
/// unexpected tensor, every value finite. Any problem is a `CheckpointError`, never a crash.
public enum Checkpoint {
    /// `DIRECTORY/NAME.safetensors`.
    public static func weightsPath(directory: String, name: String = "datarater") -> String {
        "\(directory)/\(name).safetensors"
    }

    /// `DIRECTORY/NAME.json`.
    public static func configPath(directory: String, name: String = "datarater") -> String {
        "\(directory)/\(name).json"
    }

    // MARK: - Model

    /// Writes `NAME.safetensors` then `NAME.json` into `directory`, each atomically.
    ///
    /// The config is also stored in the weights' metadata under `config`, so a weights file that
    /// travels alone still says what it is.
    /// - Precondition: `parameters.count == layout.count`.
    public static func save<C: Encodable, T: SafeTensorsScalar>(
        parameters: UnsafeBufferPointer<T>, layout: ParameterLayout, config: C,
        directory: String, name: String = "datarater", metadata: [String: String] = [:]
    ) throws(CheckpointError) {
        let configPath = configPath(directory: directory, name: name)
        let configBytes = try encodeConfig(config, path: configPath)
        var allMetadata = metadata
        allMetadata["format"] = "datarater"
        allMetadata["config"] = String(decoding: try encodeConfig(config, path: configPath, pretty: false), as: UTF8.self)
        try writeWeights(parameters: parameters, layout: layout, to: weightsPath(directory: directory, name: name), metadata: allMetadata)
        try FileIO.writeAtomically(configPath, parts: [configBytes])
    }

    /// `save` from an array.
    public static func save<C: Encodable, T: SafeTensorsScalar>(
        parameters: [T], layout: ParameterLayout, config: C,
        directory: String, name: String = "datarater", metadata: [String: String] = [:]
    ) throws(CheckpointError) {
        var failure: CheckpointError?
        parameters.withUnsafeBufferPointer { buffer in
            do throws(CheckpointError) { try save(parameters: buffer, layout: layout, config: config, directory: directory, name: name, metadata: metadata) }
            catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Reads `NAME.json`, builds the layout it implies with `layout`, and loads `NAME.safetensors` against it.
    ///
    /// `layout` should validate the config (e.g. `d_model` divisible by `n_heads`, every size > 0)
    /// and throw rather than trap: the config is user data. Its error becomes `badConfig`.
    public static func load<C: Decodable, T: SafeTensorsScalar>(
        directory: String, name: String = "datarater", as type: T.Type = Float.self,
        layout: (C) throws -> ParameterLayout
    ) throws(CheckpointError) -> (config: C, layout: ParameterLayout, parameters: [T]) {
        let path = configPath(directory: directory, name: name)
        let config = try loadConfig(C.self, from: path)
        let expected: ParameterLayout
        do {
            expected = try layout(config)
        } catch {
            throw CheckpointError(.badConfig, path: path, "the config is not a valid model: \(error)",
                hint: "Fix the config (or use the one saved with the weights).")
        }
        let parameters = try loadWeights(from: weightsPath(directory: directory, name: name), expecting: expected, as: T.self)
        return (config, expected, parameters)
    }

    /// Writes the parameters as one tensor per spec, in layout order, atomically.
    /// - Precondition: `parameters.count == layout.count`.
    public static func writeWeights<T: SafeTensorsScalar>(
        parameters: UnsafeBufferPointer<T>, layout: ParameterLayout, to path: String, metadata: [String: String] = [:]
    ) throws(CheckpointError) {
        precondition(parameters.count == layout.count, "buffer of \(parameters.count) for a layout of \(layout.count)")
        var writer = SafeTensorsWriter(metadata: metadata)
        for spec in layout.specs {
            writer.add(spec.name, shape: spec.shape, values: UnsafeBufferPointer(rebasing: parameters[spec.range]))
        }
        try writer.write(to: path)
    }

    /// Loads a weights file into `parameters`, verifying it against `layout` first.
    /// - Precondition: `parameters.count == layout.count`.
    public static func loadWeights<T: SafeTensorsScalar>(
        from path: String, expecting layout: ParameterLayout, into parameters: UnsafeMutableBufferPointer<T>
    ) throws(CheckpointError) {
        precondition(parameters.count == layout.count, "buffer of \(parameters.count) for a layout of \(layout.count)")
        let file = try SafeTensors(contentsOf: path)
        try verify(file, expecting: layout.specs.map { ($0.name, $0.shape) })
        for spec in layout.specs {
            try file.read(spec.name, into: UnsafeMutableBufferPointer(rebasing: parameters[spec.range]))
        }
    }

    /// `loadWeights` into a new array.
    public static func loadWeights<T: SafeTensorsScalar>(
        from path: String, expecting layout: ParameterLayout, as type: T.Type = Float.self
    ) throws(CheckpointError) -> [T] {
        var result = [T](repeating: 0, count: layout.count)
        var failure: CheckpointError?
        result.withUnsafeMutableBufferPointer { buffer in
            do throws(CheckpointError) { try loadWeights(from: path, expecting: layout, into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return result
    }

    /// Checks that `file` holds exactly the tensors `expected` (name, shape), each of a floating-point dtype.
    ///
    /// Missing tensors are reported before unused ones, then shape and dtype mismatches; the
    /// message lists every missing or unused name (abbreviated past 8).
    public static func verify(_ file: SafeTensors, expecting expected: [(name: String, shape: [Int])]) throws(CheckpointError) {
        let expectedNames = Set(expected.map(\.name))
        let missing = expected.map(\.name).filter { file[$0] == nil }
        if let first = missing.first {
            throw CheckpointError(.missingTensor, path: file.path, tensor: first,
                "\(missing.count) expected tensor(s) missing: \(SafeTensors.abbreviated(missing))",
                hint: "The checkpoint was saved from another model architecture or config; check the config beside it (e.g. n_layers).")
        }
        let unused = file.names.filter { !expectedNames.contains($0) }
        if let first = unused.first {
            throw CheckpointError(.unusedTensor, path: file.path, tensor: first,
                "\(unused.count) tensor(s) not in the model: \(SafeTensors.abbreviated(unused))",
                hint: "The checkpoint was saved from another model architecture or config; check the config beside it.")
        }
        for (name, shape) in expected {
            guard let entry = file[name] else { continue }
            guard entry.shape == shape else {
                throw CheckpointError(.shapeMismatch, path: file.path, tensor: name,
                    "shape \(entry.shape) in the file, the model expects \(shape)",
                    hint: "The config does not match the weights (e.g. d_model, vocab_size or context_length differ); use the config saved with them.")
            }
            guard entry.dtype.isReadableAsFloatingPoint else {
                throw CheckpointError(.wrongDType, path: file.path, tensor: name,
                    "dtype \(entry.dtype.rawValue) is not a floating-point type",
                    hint: "Model tensors must be F32, F64, F16 or BF16; this file was written for another program.")
            }
        }
    }

    // MARK: - Config

    /// Decodes a JSON config file.
    public static func loadConfig<C: Decodable>(_ type: C.Type, from path: String) throws(CheckpointError) -> C {
        let bytes = try FileIO.readAll(path)
        do {
            return try JSONDecoder().decode(C.self, from: Data(bytes))
        } catch {
            throw CheckpointError(.badConfig, path: path, "cannot decode \(C.self): \(error)",
                hint: "Fix the JSON (keys are snake_case, e.g. d_model) or save the checkpoint again.")
        }
    }

    /// Writes a config as pretty, key-sorted JSON, atomically.
    public static func writeConfig<C: Encodable>(_ config: C, to path: String) throws(CheckpointError) {
        try FileIO.writeAtomically(path, parts: [encodeConfig(config, path: path)])
    }

    static func encodeConfig<C: Encodable>(_ config: C, path: String, pretty: Bool = true) throws(CheckpointError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(config)) + (pretty ? [0x0A] : [])
        } catch {
            throw CheckpointError(.badConfig, path: path, "cannot encode \(C.self): \(error)",
                hint: "The config holds a value JSON cannot represent (NaN or ∞); fix it before saving.")
        }
    }
}
