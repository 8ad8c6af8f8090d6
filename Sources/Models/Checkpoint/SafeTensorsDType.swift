/// The element types a safetensors header can name (its `dtype` strings).
public enum SafeTensorsDType: String, Sendable, Hashable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32"
    case u64 = "U64", i64 = "I64", f64 = "F64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e4m3, .f8e5m2: 1
        case .u16, .i16, .f16, .bf16: 2
        case .u32, .i32, .f32: 4
        case .u64, .i64, .f64: 8
        }
    }

    /// Whether `SafeTensors.read` converts this dtype into Float or Double buffers.
    public var isReadableAsFloatingPoint: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64: true
        default: false
        }
    }
}

/// A scalar type that safetensors files store natively and model buffers use: `Float` (F32), `Double` (F64).
public protocol SafeTensorsScalar: BinaryFloatingPoint, Sendable {
    static var safeTensorsDType: SafeTensorsDType { get }
}

extension Float: SafeTensorsScalar {
    public static var safeTensorsDType: SafeTensorsDType { .f32 }
}

extension Double: SafeTensorsScalar {
    public static var safeTensorsDType: SafeTensorsDType { .f64 }
}

/// IEEE binary16 bits to Float (exact: every half value is a float).
@inlinable
func floatFromHalfBits(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0x1F {  // ∞ or NaN
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent == 0 {  // zero or subnormal: mantissa · 2⁻²⁴
        let magnitude = Float(mantissa) * (1.0 / 16_777_216.0)
        return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// bfloat16 bits to Float: the upper half of a float's bits.
@inlinable
func floatFromBFloat16Bits(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}
