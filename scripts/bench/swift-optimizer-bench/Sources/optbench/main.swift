// Times AdamW<Float>, SGD<Float> with momentum and the global gradient norm on n parameters (default: the base LM).
import Models
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }
let n = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 5_313_024 : 5_313_024  // default: base LM parameter count
var theta = (0..<n).map { Float($0 % 1000) * 1e-3 }
let grad = (0..<n).map { Float(($0 * 7) % 1000) * 1e-4 - 0.05 }
var copyDst = [Float](repeating: 0, count: n)
var adam = try AdamW<Float>(config: AdamWConfig(), count: n)
var sgd = try SGD<Float>(config: SGDConfig(learningRate: 0.01, momentum: 0.9), count: n)
func time(_ label: String, reps: Int = 30, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    var samples: [Double] = []
    for _ in 0..<reps { let t0 = now(); body(); let dt = now() - t0; samples.append(dt); best = min(best, dt) }
    samples.sort()
    let median = samples[samples.count / 2]
    print("\(label): median \(String(format: "%.3f", median * 1e3)) ms, min \(String(format: "%.3f", best * 1e3)) ms, \(String(format: "%.2f", median * 1e9 / Double(n))) ns/param")
    return median
}
let copy = time("memcpy 4 B/param (reference)") { copyDst.withUnsafeMutableBufferPointer { d in theta.withUnsafeBufferPointer { s in d.baseAddress!.update(from: s.baseAddress!, count: n) } } }
let a = time("AdamW<Float> update") { theta.withUnsafeMutableBufferPointer { p in grad.withUnsafeBufferPointer { g in adam.update(parameters: p, gradients: g, learningRate: 1e-6) } } }
let s = time("SGD<Float> momentum update") { theta.withUnsafeMutableBufferPointer { p in grad.withUnsafeBufferPointer { g in sgd.update(parameters: p, gradients: g, learningRate: 1e-6) } } }
var gcopy = grad
let c = time("clipGlobalNorm (norm only, no scaling)") { _ = GradientClipping.clipGlobalNorm(&gcopy, maxNorm: 1e9) }
print("ratios to memcpy: adamw \(String(format: "%.2f", a / copy)) (moves 28 B/param, memcpy 8: 3.5x), sgd \(String(format: "%.2f", s / copy)) (20 B: 2.5x), norm \(String(format: "%.2f", c / copy)) (4 B: 0.5x)")
