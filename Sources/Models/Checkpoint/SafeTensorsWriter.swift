/// Builds a safetensors file from named F32/F64 tensors and writes it atomically.
///
/// Tensors are laid out in the order they are added, back to back from data offset 0. The
/// header is padded with spaces to a multiple of 8 bytes, so the data section starts 8-aligned
/// (as the reference implementation writes it). Values are copied in when added.
public struct SafeTensorsWriter: Sendable {
    /// Written as `__metadata__` when not empty.
    public var metadata: [String: String]
    private var entries: [SafeTensors.Entry] = []
    private var names: Set<String> = []
    private var data: [UInt8] = []

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Appends a tensor.
    /// - Precondition: `name` is new and not `__metadata__`, and `shape`'s product equals
    ///   `values.count` (programmer errors).
    public mutating func add<T: SafeTensorsScalar>(_ name: String, shape: [Int], values: UnsafeBufferPointer<T>) {
        precondition(name != "__metadata__" && !names.contains(name), "duplicate or reserved tensor name \(name)")
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "tensor \(name): shape \(shape) does not hold \(values.count) values")
        let begin = data.count
        let byteCount = values.count * T.safeTensorsDType.byteSize
        data.reserveCapacity(begin + byteCount)
        #if _endian(little)
        data.append(contentsOf: UnsafeRawBufferPointer(values))
        #else
        for value in values {
            switch T.safeTensorsDType {
            case .f64: withUnsafeBytes(of: Double(value).bitPattern.littleEndian) { data.append(contentsOf: $0) }
            default: withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        #endif
        names.insert(name)
        entries.append(SafeTensors.Entry(name: name, dtype: T.safeTensorsDType, shape: shape, dataOffsets: begin..<(begin + byteCount)))
    }

    /// Appends a tensor from an array.
    public mutating func add<T: SafeTensorsScalar>(_ name: String, shape: [Int], values: [T]) {
        values.withUnsafeBufferPointer { add(name, shape: shape, values: $0) }
    }

    /// The 8-byte length prefix followed by the space-padded JSON header.
    public func headerBytes() -> [UInt8] {
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            json += metadata.keys.sorted().map { "\(safeTensorsJSONString($0)):\(safeTensorsJSONString(metadata[$0] ?? ""))" }.joined(separator: ",")
            json += "}"
            first = false
        }
        for entry in entries {
            if !first { json += "," }
            first = false
            let shape = entry.shape.map(String.init).joined(separator: ",")
            json += "\(safeTensorsJSONString(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],"
            json += "\"data_offsets\":[\(entry.dataOffsets.lowerBound),\(entry.dataOffsets.upperBound)]}"
        }
        json += "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count)
        let length = UInt64(header.count)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        bytes.append(contentsOf: header)
        return bytes
    }

    /// The complete file.
    public func serialized() -> [UInt8] {
        headerBytes() + data
    }

    /// Writes the file to `path` atomically (temporary file, fsync, rename, directory fsync).
    public func write(to path: String) throws(CheckpointError) {
        try FileIO.writeAtomically(path, parts: [headerBytes(), data])
    }
}

/// `text` as a JSON string literal.
func safeTensorsJSONString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
