/// Which part of the corpus a document belongs to, by a hash of its id (so the split never changes with
/// shard layout, order or worker count).
///
/// - `innerTrain`: the inner LMs train on it (weighted by the DataRater).
/// - `outer`: the held-out batches whose loss the DataRater is meta-trained to lower.
/// - `validation`: never used by meta-training; `datarater eval` measures on it.
public enum Split: String, Codable, Sendable, CaseIterable {
    case innerTrain = "inner_train"
    case outer
    case validation
}

public struct SplitRule: Codable, Sendable, Hashable {
    public var outerFraction: Double
    public var validationFraction: Double

    enum CodingKeys: String, CodingKey {
        case outerFraction = "outer_fraction"
        case validationFraction = "validation_fraction"
    }

    public init(outerFraction: Double = 0.1, validationFraction: Double = 0.1) {
        self.outerFraction = outerFraction
        self.validationFraction = validationFraction
    }

    /// u = FNV-1a-64(id) / 2^64: validation if u < v, outer if u < v + o, else inner-train.
    public func split(of id: String) -> Split {
        let u = Double(Self.hash(id) >> 11) / Double(1 << 53)
        if u < validationFraction { return .validation }
        if u < validationFraction + outerFraction { return .outer }
        return .innerTrain
    }

    /// FNV-1a-64 of the id's UTF-8 bytes, finalized with SplitMix64's mixer.
    public static func hash(_ id: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in id.utf8 {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01B3
        }
        // Finalise (SplitMix64's mixer) so that similar ids land far apart.
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }
}
