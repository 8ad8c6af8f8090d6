/// A mergeable quantile summary with a deterministic rank-error bound.
///
/// Each shard keeps `k + 1` exact order statistics of its scores: the values at ranks ⌊i·(n−1)/k⌋ for
/// i = 0…k (all values when n ≤ k + 1, which is then exact). For any value v, a shard's count of scores
/// below v is then known to within n/k; summed over shards, the merged rank of v is known to within N/k,
/// whatever the distribution and however many shards are merged. With the default k = 4096 the rank
/// error is at most 0.025% of the corpus (plus ties at v itself, which no cutoff can split).
public struct QuantileSummary: Codable, Sendable, Equatable {
    /// Number of scores summarised.
    public var count: Int
    /// Sorted order statistics; `points[i]` is the value at rank `ranks[i]` (0-based, among `count`).
    public var points: [Float]
    public var ranks: [Int]

    public static let defaultResolution = 4096

    public init(count: Int, points: [Float], ranks: [Int]) {
        self.count = count
        self.points = points
        self.ranks = ranks
    }

    /// Summarises `scores` (any order; NaN is not allowed: scores are checked before this).
    public init(scores: [Float], resolution k: Int = defaultResolution) {
        let sorted = scores.sorted()
        count = sorted.count
        guard !sorted.isEmpty else {
            points = []
            ranks = []
            return
        }
        if sorted.count <= k + 1 {
            points = sorted
            ranks = Array(0..<sorted.count)
        } else {
            ranks = (0...k).map { i in i * (sorted.count - 1) / k }
            points = ranks.map { sorted[$0] }
        }
    }

    /// Bounds on the number of this shard's scores strictly below `value`.
    func countBelow(_ value: Float) -> (low: Int, high: Int) {
        guard count > 0 else { return (0, 0) }
        // j = number of summary points < value.
        var lo = 0, hi = points.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if points[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        let j = lo
        if j == 0 { return (0, 0) }  // the minimum is ≥ value
        if j == points.count { return (count, count) }  // the maximum is < value
        // points[j-1] < value ≤ points[j]: at least ranks[j-1]+1 scores are below, at most ranks[j].
        return (ranks[j - 1] + 1, ranks[j])
    }
}

/// Many shards' summaries merged: global quantiles with a known error bound.
public struct MergedQuantiles: Sendable {
    public let parts: [QuantileSummary]
    public let count: Int
    /// Every distinct summary point, sorted: the candidate cutoffs.
    public let candidates: [Float]

    public init(_ parts: [QuantileSummary]) {
        self.parts = parts
        count = parts.reduce(0) { $0 + $1.count }
        var all: [Float] = []
        for part in parts { all += part.points }
        all.sort()
        var unique: [Float] = []
        unique.reserveCapacity(all.count)
        for v in all where unique.last != v { unique.append(v) }
        candidates = unique
    }

    /// The largest fraction of the corpus that may be misplaced by a rank estimate.
    public var rankErrorBound: Double {
        guard count > 0 else { return 0 }
        let worst = parts.reduce(0) { total, part in
            guard part.points.count < part.count else { return total }  // exact part
            let k = part.points.count - 1
            return total + (part.count + k - 1) / k
        }
        return Double(worst) / Double(count)
    }

    /// Estimated number of scores strictly below `value` (midpoint of the bounds).
    public func estimatedCountBelow(_ value: Float) -> Double {
        var low = 0, high = 0
        for part in parts {
            let bounds = part.countBelow(value)
            low += bounds.low
            high += bounds.high
        }
        return Double(low + high) / 2
    }

    /// The quantile (fraction of the corpus strictly below) of `value`.
    public func quantile(of value: Float) -> Double {
        count == 0 ? 0 : estimatedCountBelow(value) / Double(count)
    }

    /// The cutoff c that makes the fraction of scores strictly below c closest to `fraction`.
    /// Discarding `score < c` then discards that fraction, to within `rankErrorBound` (and ties).
    public func cutoff(discarding fraction: Double) -> Float {
        guard !candidates.isEmpty else { return -Float.infinity }
        if fraction <= 0 { return candidates[0] }
        if fraction >= 1 { return candidates[candidates.count - 1].nextUp }
        let target = fraction * Double(count)
        // Estimated counts below are non-decreasing in the candidate: binary search for the first ≥ target.
        var lo = 0, hi = candidates.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if estimatedCountBelow(candidates[mid]) < target { lo = mid + 1 } else { hi = mid }
        }
        if lo == candidates.count { return candidates[candidates.count - 1].nextUp }
        if lo > 0 {
            let below = estimatedCountBelow(candidates[lo - 1])
            if abs(below - target) <= abs(estimatedCountBelow(candidates[lo]) - target) { return candidates[lo - 1] }
        }
        return candidates[lo]
    }
}
