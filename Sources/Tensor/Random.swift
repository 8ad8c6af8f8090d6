#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, seedable generator whose stream is fixed by
/// its seed on every platform, so model initialisation is reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in the open interval (0, 1), 53 random bits.
    @inlinable
    public mutating func nextUnitOpen() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1p-53
    }

    /// Standard normal by Box–Muller (one value per call; the second is dropped to keep the stream simple).
    @inlinable
    public mutating func nextNormal() -> Double {
        let u1 = nextUnitOpen()
        let u2 = nextUnitOpen()
        return (-2 * Double.log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Fills `p[0..<n]` with N(0, std²) samples.
    @inlinable
    public mutating func fillNormal<T: BLASScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int, std: Double) {
        for i in 0..<n { p[i] = T(nextNormal() * std) }
    }
}
