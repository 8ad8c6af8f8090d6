import Testing
import Tensor
import Models

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

/// `‖a − b‖ / ‖b‖`.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    let num = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    let den = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return num / max(den, 1e-300)
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
func axpy(_ a: [Double], _ s: Double, _ b: [Double]) -> [Double] { zip(a, b).map { $0 + s * $1 } }

func normal(_ n: Int, seed: UInt64, std: Double = 1) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in rng.nextNormal() * std }
}

enum Tiny {
    /// vocab 11, d 8, 2 layers, 2 heads, context 6.
    static let config = LMConfig(vocabSize: 11, dModel: 8, nLayers: 2, nHeads: 2, contextLength: 6)

    /// 3 rows of 7 tokens (6 LM positions), two of them padded.
    static func batch(padding: Int32 = 0) -> TokenBatch {
        var b = try! TokenBatch(rows: [[1, 5, 3, 9, 2, 7, 4], [10, 0, 6], [3, 3, 8, 1, 5]], sequenceLength: 7)
        b.fillPadding(with: padding)
        return b
    }

    /// 3 rows of at most 6 tokens for the encoder.
    static func encoderBatch(padding: Int32 = 0) -> TokenBatch {
        var b = try! TokenBatch(rows: [[1, 5, 3, 9, 2, 7], [10, 0], [3, 3, 8, 1]], sequenceLength: 6)
        b.fillPadding(with: padding)
        return b
    }

    /// Initialised parameters plus noise, so every path (attention, LayerNorm gains, the head) is exercised.
    static func parameters(layout: ParameterLayout, initial: [Double], seed: UInt64) -> [Double] {
        axpy(initial, 1, normal(layout.count, seed: seed, std: 0.3))
    }
}
