import Testing
import Tensor

/// Elementwise `|a − b| ≤ atol + rtol·|b|`; on failure names the worst index and both values.
func assertClose(
    _ a: [Double], _ b: [Double], rtol: Double = 1e-6, atol: Double = 1e-9,
    _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(a.count == b.count, "\(what): sizes \(a.count) vs \(b.count)", sourceLocation: sourceLocation)
    var worst = -1, worstExcess = 0.0
    for i in 0..<min(a.count, b.count) {
        let excess = abs(a[i] - b[i]) - (atol + rtol * abs(b[i]))
        if excess > worstExcess || a[i].isNaN || b[i].isNaN { worst = i; worstExcess = a[i].isNaN || b[i].isNaN ? .infinity : excess }
    }
    #expect(worst < 0, "\(what): index \(worst): \(worst >= 0 ? a[worst] : 0) vs \(worst >= 0 ? b[worst] : 0)",
            sourceLocation: sourceLocation)
}

/// Deterministic test data.
struct Gen {
    var rng: SplitMix64
    init(_ seed: UInt64) { rng = SplitMix64(seed: seed) }
    mutating func normal(_ n: Int, std: Double = 1) -> [Double] { (0..<n).map { _ in rng.nextNormal() * std } }
    mutating func uniform(_ n: Int, _ lo: Double, _ hi: Double) -> [Double] {
        (0..<n).map { _ in lo + (hi - lo) * rng.nextUnitOpen() }
    }
}

/// Central-difference gradient of `f` at `x`.
func numericGradient(_ x: [Double], h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var x = x
    var g = [Double](repeating: 0, count: x.count)
    for i in 0..<x.count {
        let x0 = x[i]
        x[i] = x0 + h; let fp = f(x)
        x[i] = x0 - h; let fm = f(x)
        x[i] = x0
        g[i] = (fp - fm) / (2 * h)
    }
    return g
}

/// Central-difference derivative of a vector function of one scalar at 0.
func numericDirectional(h: Double = 1e-5, _ f: (Double) -> [Double]) -> [Double] {
    let p = f(h), m = f(-h)
    return zip(p, m).map { ($0 - $1) / (2 * h) }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

func axpy(_ a: [Double], _ s: Double, _ b: [Double]) -> [Double] { zip(a, b).map { $0 + s * $1 } }
