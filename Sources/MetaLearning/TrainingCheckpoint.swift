import Foundation
import Models
import Tensor

/// The full meta-training state in one safetensors file (`RUN/train/state.safetensors`): the DataRater,
/// every slot's meta-Adam moments, every inner model's parameters and optimizer moments; the counters
/// (step, ages, resets, moment steps) and the hash of the configuration in its metadata.
public enum TrainingCheckpoint {
    struct Counters: Codable {
        var step: Int
        var ages: [Int]
        var resets: [Int]
        var innerSteps: [Int]
        var metaMomentSteps: [Int]
        var configHash: String
    }

    public static func save(_ state: MetaTrainingState, configHash: String, to path: String) throws {
        var writer = SafeTensorsWriter(metadata: [:])
        writer.add("rater", shape: [state.rater.count], values: state.rater)
        for (i, slot) in state.slots.enumerated() {
            writer.add("meta.\(i).m", shape: [state.metaFirstMoments[i].count], values: state.metaFirstMoments[i])
            writer.add("meta.\(i).v", shape: [state.metaSecondMoments[i].count], values: state.metaSecondMoments[i])
            writer.add("slot.\(i).parameters", shape: [slot.parameters.count], values: slot.parameters)
            if !slot.state.m.isEmpty { writer.add("slot.\(i).m", shape: [slot.state.m.count], values: slot.state.m) }
            if !slot.state.v.isEmpty { writer.add("slot.\(i).v", shape: [slot.state.v.count], values: slot.state.v) }
        }
        let counters = Counters(step: state.step, ages: state.slots.map(\.age), resets: state.slots.map(\.resets),
                                innerSteps: state.slots.map(\.state.step), metaMomentSteps: state.metaMomentSteps,
                                configHash: configHash)
        writer.metadata["counters"] = String(decoding: try JSONEncoder().encode(counters), as: UTF8.self)
        writer.metadata["format"] = "datarater-training-state"
        try writer.write(to: path)
    }

    /// The saved state, checked against the configuration it must continue; nil when there is none.
    public static func load(from path: String, configHash: String, population: Int, kind: InnerOptimizerConfig.Kind) throws -> MetaTrainingState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let file = try SafeTensors(contentsOf: path)
        guard let text = file.metadata["counters"], let counters = try? JSONDecoder().decode(Counters.self, from: Data(text.utf8)) else {
            throw CheckpointError(.badConfig, path: path, tensor: nil, "no training counters in the metadata",
                                  hint: "not a DataRater training state; remove it to start training afresh")
        }
        guard counters.configHash == configHash else {
            throw CheckpointError(.badConfig, path: path, tensor: nil, "written under another training configuration",
                                  hint: "remove \(path) to start afresh with the new configuration, or train with the old one")
        }
        guard counters.ages.count == population else {
            throw CheckpointError(.badConfig, path: path, tensor: nil, "holds \(counters.ages.count) slots, the config asks for \(population)", hint: "remove it to start afresh")
        }
        var slots: [PopulationSlot] = []
        var first: [[Float]] = [], second: [[Float]] = []
        for i in 0..<population {
            var inner = InnerState<Float>(count: 0, kind: kind)
            if kind != .sgd { inner.m = try file.array("slot.\(i).m") }
            if kind == .adam { inner.v = try file.array("slot.\(i).v") }
            inner.step = counters.innerSteps[i]
            slots.append(PopulationSlot(parameters: try file.array("slot.\(i).parameters"), state: inner,
                                        age: counters.ages[i], resets: counters.resets[i]))
            first.append(try file.array("meta.\(i).m"))
            second.append(try file.array("meta.\(i).v"))
        }
        return MetaTrainingState(step: counters.step, rater: try file.array("rater"), metaFirstMoments: first,
                                 metaSecondMoments: second, metaMomentSteps: counters.metaMomentSteps, slots: slots)
    }
}
