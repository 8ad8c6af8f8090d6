import Tensor

extension Checkpoint {
    /// Writes an optimizer state as one safetensors file, atomically.
    ///
    /// Each buffer is split by the parameter layout into tensors `BUFFER.PARAM` (e.g.
    /// `exp_avg.blocks.0.attn.wq`), so PyTorch-style tools can read moments by name; the metadata
    /// holds `optimizer` (the kind), `step` and `buffers` (comma-separated names, possibly empty).
    /// - Precondition: every buffer has `layout.count` elements and no buffer name holds `.` or `,`.
    public static func saveOptimizerState<T: SafeTensorsScalar>(
        _ state: OptimizerState<T>, layout: ParameterLayout, to path: String, metadata: [String: String] = [:]
    ) throws(CheckpointError) {
        let names = state.buffers.keys.sorted()
        var allMetadata = metadata
        allMetadata["optimizer"] = state.kind
        allMetadata["step"] = String(state.step)
        allMetadata["buffers"] = names.joined(separator: ",")
        var writer = SafeTensorsWriter(metadata: allMetadata)
        for name in names {
            precondition(!name.contains(".") && !name.contains(","), "optimizer buffer name \(name) holds '.' or ','")
            guard let buffer = state.buffers[name] else { continue }
            precondition(buffer.count == layout.count, "optimizer buffer \(name) has \(buffer.count) values for a layout of \(layout.count)")
            buffer.withUnsafeBufferPointer { values in
                for spec in layout.specs {
                    writer.add("\(name).\(spec.name)", shape: spec.shape, values: UnsafeBufferPointer(rebasing: values[spec.range]))
                }
            }
        }
        try writer.write(to: path)
    }

    /// Reads an optimizer state written by `saveOptimizerState`, verified against `layout`.
    public static func loadOptimizerState<T: SafeTensorsScalar>(
        from path: String, layout: ParameterLayout, as type: T.Type = Float.self
    ) throws(CheckpointError) -> OptimizerState<T> {
        let file = try SafeTensors(contentsOf: path)
        guard let kind = file.metadata["optimizer"], let stepText = file.metadata["step"],
              let step = Int(stepText), step >= 0, let bufferList = file.metadata["buffers"] else {
            throw CheckpointError(.badOptimizerState, path: path,
                "the metadata lacks a valid 'optimizer', 'step' or 'buffers' entry",
                hint: "This is not an optimizer state written by datarater; start without it or use the right file.")
        }
        let names = bufferList.isEmpty ? [] : bufferList.split(separator: ",").map(String.init)
        var expected: [(name: String, shape: [Int])] = []
        for name in names {
            for spec in layout.specs { expected.append(("\(name).\(spec.name)", spec.shape)) }
        }
        try verify(file, expecting: expected)
        var buffers: [String: [T]] = [:]
        for name in names {
            var values = [T](repeating: 0, count: layout.count)
            var failure: CheckpointError?
            values.withUnsafeMutableBufferPointer { buffer in
                for spec in layout.specs where failure == nil {
                    do throws(CheckpointError) { try file.read("\(name).\(spec.name)", into: UnsafeMutableBufferPointer(rebasing: buffer[spec.range])) }
                    catch { failure = error }
                }
            }
            if let failure { throw failure }
            buffers[name] = values
        }
        return OptimizerState(kind: kind, step: step, buffers: buffers)
    }

    /// Loads the state at `path` into `optimizer`; an optimizer mismatch becomes `badOptimizerState`.
    public static func restore<O: Optimizer>(_ optimizer: inout O, from path: String, layout: ParameterLayout) throws(CheckpointError)
    where O.Scalar: SafeTensorsScalar {
        let state = try loadOptimizerState(from: path, layout: layout, as: O.Scalar.self)
        do {
            try optimizer.importState(state)
        } catch {
            throw CheckpointError(.badOptimizerState, path: path, error.message,
                hint: "Resume with the optimizer settings the state was saved with, or start without the saved state.")
        }
    }
}
