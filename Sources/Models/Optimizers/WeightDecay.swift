import Tensor

/// Which parts of the flat parameter buffer receive decoupled weight decay.
///
/// Stored as consecutive segments covering `0..<count`, each decayed or not, so an update is one
/// loop per segment with the decay factor hoisted out (no per-element branch or mask lookup).
public struct WeightDecayMask: Sendable, Hashable {
    /// Segment ends, ascending; the last is the parameter count.
    @usableFromInline var ends: [Int]
    /// Whether segment `i` (from `ends[i-1]`, or 0, to `ends[i]`) is decayed.
    @usableFromInline var decayed: [Bool]

    /// Every parameter is decayed (PyTorch's `AdamW` default).
    public static func all(count: Int) -> WeightDecayMask {
        WeightDecayMask(count: count, decayed: [0..<count])
    }

    /// Only the parameters in `decayed` are decayed; the ranges may be unsorted or adjacent.
    /// - Precondition: every range lies within `0..<count`.
    public init(count: Int, decayed ranges: [Range<Int>]) {
        var merged: [Range<Int>] = []
        for range in ranges.filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            precondition(range.lowerBound >= 0 && range.upperBound <= count, "decay range \(range) outside 0..<\(count)")
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        var ends: [Int] = []
        var flags: [Bool] = []
        var position = 0
        for range in merged {
            if range.lowerBound > position { ends.append(range.lowerBound); flags.append(false) }
            ends.append(range.upperBound)
            flags.append(true)
            position = range.upperBound
        }
        if position < count { ends.append(count); flags.append(false) }
        self.ends = ends
        self.decayed = flags
    }

    /// The decay mask that decays the parameters `predicate` accepts, e.g. only matrices:
    /// `WeightDecayMask(layout: layout) { $0.shape.count == 2 }`.
    public init(layout: ParameterLayout, where predicate: (ParameterSpec) -> Bool) {
        self.init(count: layout.count, decayed: layout.specs.filter(predicate).map(\.range))
    }

    /// Number of parameters covered.
    public var count: Int { ends.last ?? 0 }

    /// The decayed ranges, merged.
    public var decayedRanges: [Range<Int>] {
        var start = 0
        var result: [Range<Int>] = []
        for (end, flag) in zip(ends, decayed) {
            if flag { result.append(start..<end) }
            start = end
        }
        return result
    }
}
