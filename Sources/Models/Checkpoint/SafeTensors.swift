import Foundation

/// A parsed, validated safetensors file held in memory.
///
/// Layout: an 8-byte little-endian u64 header length `N`, `N` bytes of JSON header
/// `{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}`,
/// then the data section. `init` checks everything that does not depend on what the caller
/// expects: the length prefix, the JSON, every entry's fields, and that the tensors tile the data
/// section exactly (no overlap, no gap, nothing past its end). Values are checked for NaN/∞
/// when read. The whole file is read at once: checkpoints here are megabytes, not gigabytes.
public struct SafeTensors: Sendable {
    /// One tensor's header entry.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var dtype: SafeTensorsDType
        public var shape: [Int]
        /// Byte range relative to the start of the data section.
        public var dataOffsets: Range<Int>
        /// Number of elements (1 for shape `[]`).
        public var count: Int { shape.reduce(1, *) }
    }

    /// Header lengths above this are rejected as corrupt (the reference implementation's limit).
    public static let maximumHeaderLength = 100_000_000

    /// Where the bytes came from, for error messages.
    public let path: String
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Entries in data order.
    public let entries: [Entry]
    @usableFromInline let bytes: [UInt8]
    @usableFromInline let dataStart: Int
    let index: [String: Int]

    /// Reads and validates the file at `path`.
    public init(contentsOf path: String) throws(CheckpointError) {
        try self.init(bytes: FileIO.readAll(path), path: path)
    }

    /// Validates a file's bytes; `path` is used in errors only.
    public init(bytes: [UInt8], path: String) throws(CheckpointError) {
        self.path = path
        self.bytes = bytes
        guard bytes.count >= 8 else {
            throw CheckpointError(.truncated, path: path,
                "the file has \(bytes.count) bytes, fewer than the 8-byte header length",
                hint: "The file is empty or cut off; re-copy it or save the checkpoint again.")
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length >= 2, length <= UInt64(Self.maximumHeaderLength) else {
            throw CheckpointError(.badHeaderLength, path: path,
                "the header length prefix is \(length) (must be 2…\(Self.maximumHeaderLength))",
                hint: "This is not a safetensors file, or its first 8 bytes are damaged; save the checkpoint again.")
        }
        let headerLength = Int(length)
        guard headerLength <= bytes.count - 8 else {
            throw CheckpointError(.badHeaderLength, path: path,
                "the header length prefix says \(headerLength) bytes but only \(bytes.count - 8) follow it",
                hint: "The file is cut off or its first 8 bytes are damaged; re-copy it or save the checkpoint again.")
        }
        dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart

        let object: [String: Any]
        do {
            let header = Data(bytes[8..<dataStart])
            guard let parsed = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
                throw CheckpointError(.headerNotJSON, path: path, "the header is JSON but not an object",
                    hint: "This is not a safetensors file; save the checkpoint again.")
            }
            object = parsed
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError(.headerNotJSON, path: path,
                "the \(headerLength)-byte header is not valid UTF-8 JSON (\(error))",
                hint: "This is not a safetensors file, or its header is damaged; save the checkpoint again.")
        }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw CheckpointError(.badHeaderEntry, path: path, tensor: name, "__metadata__ is not an object",
                        hint: "The header is damaged; save the checkpoint again.")
                }
                for (key, item) in map {
                    guard let text = item as? String else {
                        throw CheckpointError(.badHeaderEntry, path: path, tensor: name,
                            "__metadata__ value for '\(key)' is not a string",
                            hint: "safetensors metadata maps strings to strings; save the checkpoint again.")
                    }
                    metadata[key] = text
                }
                continue
            }
            entries.append(try Self.parseEntry(name: name, value: value, path: path))
        }
        try Self.checkTiling(&entries, dataLength: dataLength, path: path)
        self.metadata = metadata
        self.entries = entries
        var index: [String: Int] = [:]
        for (i, entry) in entries.enumerated() { index[entry.name] = i }
        self.index = index
    }

    /// The entry named `name`, if present.
    public subscript(name: String) -> Entry? {
        index[name].map { entries[$0] }
    }

    /// Tensor names in data order.
    public var names: [String] { entries.map(\.name) }

    /// Copies tensor `name` into `destination`, converting F16/BF16/F32/F64 to `T`.
    ///
    /// Throws `missingTensor`, `wrongDType` (not a floating-point dtype), or `nonFinite` naming the
    /// first NaN/∞ element (after conversion: an F64 value too large for Float is rejected too).
    /// - Precondition: `destination.count` equals the tensor's element count.
    public func read<T: SafeTensorsScalar>(
        _ name: String, into destination: UnsafeMutableBufferPointer<T>, allowNonFinite: Bool = false
    ) throws(CheckpointError) {
        guard let entry = self[name] else {
            throw CheckpointError(.missingTensor, path: path, tensor: name, "no such tensor",
                hint: "The file holds: \(Self.abbreviated(names)).")
        }
        guard entry.dtype.isReadableAsFloatingPoint else {
            throw CheckpointError(.wrongDType, path: path, tensor: name,
                "dtype \(entry.dtype.rawValue) cannot be loaded as \(T.safeTensorsDType.rawValue)",
                hint: "Model tensors must be F32, F64, F16 or BF16; this file was written for another program.")
        }
        let n = entry.count
        precondition(destination.count == n, "destination has \(destination.count) elements, tensor \(name) has \(n)")
        guard n > 0, let out = destination.baseAddress else { return }
        bytes.withUnsafeBytes { raw in
            let base = UnsafeRawBufferPointer(rebasing: raw[(dataStart + entry.dataOffsets.lowerBound)...])
            Self.convert(base, dtype: entry.dtype, count: n, into: out)
        }
        if allowNonFinite { return }
        for i in 0..<n where !out[i].isFinite {
            throw CheckpointError(.nonFinite, path: path, tensor: name,
                "element \(i) of \(n) is \(out[i])",
                hint: "The model diverged before it was saved; resume from an earlier checkpoint or lower the learning rate.")
        }
    }

    /// Tensor `name` as a new array of `T`; see `read(_:into:allowNonFinite:)`.
    public func array<T: SafeTensorsScalar>(_ name: String, as type: T.Type = Float.self, allowNonFinite: Bool = false) throws(CheckpointError) -> [T] {
        let n = self[name]?.count ?? 0
        var result = [T](repeating: 0, count: n)
        var failure: CheckpointError?
        result.withUnsafeMutableBufferPointer { buffer in
            do throws(CheckpointError) { try read(name, into: buffer, allowNonFinite: allowNonFinite) } catch { failure = error }
        }
        if let failure { throw failure }
        return result
    }

    // MARK: - Validation

    static func parseEntry(name: String, value: Any, path: String) throws(CheckpointError) -> Entry {
        func bad(_ what: String) -> CheckpointError {
            CheckpointError(.badHeaderEntry, path: path, tensor: name, what,
                hint: "The header is damaged or was written by a broken tool; save the checkpoint again.")
        }
        guard let fields = value as? [String: Any] else { throw bad("the entry is not an object") }
        guard let dtypeName = fields["dtype"] as? String else { throw bad("'dtype' is missing or not a string") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw CheckpointError(.wrongDType, path: path, tensor: name, "unknown dtype '\(dtypeName)'",
                hint: "Known dtypes: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        guard let shapeValues = fields["shape"] as? [Any] else { throw bad("'shape' is missing or not an array") }
        var shape: [Int] = []
        var count = 1
        for item in shapeValues {
            guard let dimension = Self.integer(item), dimension >= 0 else {
                throw bad("'shape' \(shapeValues) holds something that is not a non-negative integer")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= Int(UInt32.max) * 16 else { throw bad("'shape' \(shapeValues) is absurdly large") }
            count = product
            shape.append(dimension)
        }
        guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
              let begin = Self.integer(offsets[0]), let end = Self.integer(offsets[1]), begin >= 0, end >= 0 else {
            throw bad("'data_offsets' is missing or not two non-negative integers")
        }
        guard begin <= end, end - begin == count * dtype.byteSize else {
            throw CheckpointError(.offsetsInvalid, path: path, tensor: name,
                "data_offsets [\(begin), \(end)] span \(end - begin) bytes, shape \(shape) of \(dtype.rawValue) needs \(count * dtype.byteSize)",
                hint: "The header is damaged; save the checkpoint again.")
        }
        return Entry(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Sorts `entries` by offset and checks that they tile `0..<dataLength` exactly.
    ///
    /// A contiguous tiling that runs past the data's end is a truncated file; any other tensor
    /// past the end is out of range; then overlaps, then gaps or trailing bytes.
    static func checkTiling(_ entries: inout [Entry], dataLength: Int, path: String) throws(CheckpointError) {
        entries.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }
        var contiguous = true
        var position = 0
        for entry in entries {
            if entry.dataOffsets.lowerBound != position { contiguous = false }
            position = entry.dataOffsets.upperBound
        }
        if let beyond = entries.max(by: { $0.dataOffsets.upperBound < $1.dataOffsets.upperBound }),
           beyond.dataOffsets.upperBound > dataLength {
            if contiguous {
                throw CheckpointError(.truncated, path: path, tensor: beyond.name,
                    "the header describes \(beyond.dataOffsets.upperBound) bytes of data, the file has \(dataLength)",
                    hint: "The file was cut off (an interrupted copy or a full disk); re-copy it or save the checkpoint again.")
            }
            throw CheckpointError(.offsetsOutOfRange, path: path, tensor: beyond.name,
                "data_offsets [\(beyond.dataOffsets.lowerBound), \(beyond.dataOffsets.upperBound)] run past the \(dataLength)-byte data section",
                hint: "The header is damaged; save the checkpoint again.")
        }
        position = 0
        var previous: Entry?
        for entry in entries {
            if entry.dataOffsets.lowerBound < position, let previous {
                throw CheckpointError(.offsetsOverlap, path: path, tensor: entry.name,
                    "bytes [\(entry.dataOffsets.lowerBound), \(entry.dataOffsets.upperBound)] overlap tensor '\(previous.name)' [\(previous.dataOffsets.lowerBound), \(previous.dataOffsets.upperBound)]",
                    hint: "The header is damaged; save the checkpoint again.")
            }
            if entry.dataOffsets.lowerBound > position {
                throw CheckpointError(.dataNotCovered, path: path, tensor: entry.name,
                    "bytes [\(position), \(entry.dataOffsets.lowerBound)) of the data section belong to no tensor",
                    hint: "The header is damaged; save the checkpoint again.")
            }
            position = max(position, entry.dataOffsets.upperBound)
            previous = entry
        }
        if position < dataLength {
            throw CheckpointError(.dataNotCovered, path: path,
                "the last \(dataLength - position) bytes of the \(dataLength)-byte data section belong to no tensor",
                hint: "The file has trailing bytes (appended to or written twice); save the checkpoint again.")
        }
    }

    /// A JSON number that is an exact integer.
    static func integer(_ value: Any) -> Int? {
        if let int = value as? Int { return int }
        if let double = value as? Double, double.rounded() == double, abs(double) < 9e15 { return Int(double) }
        return nil
    }

    static func abbreviated(_ names: [String], limit: Int = 8) -> String {
        if names.isEmpty { return "no tensors" }
        let shown = names.prefix(limit).joined(separator: ", ")
        return names.count > limit ? "\(shown), … (\(names.count) in all)" : shown
    }

    // MARK: - Conversion

    /// Decodes `count` little-endian elements of `dtype` from `source` into `out`.
    @usableFromInline
    static func convert<T: SafeTensorsScalar>(_ source: UnsafeRawBufferPointer, dtype: SafeTensorsDType, count: Int, into out: UnsafeMutablePointer<T>) {
        guard let start = source.baseAddress else { return }
        switch dtype {
        case .f32:
            if T.self == Float.self {
                #if _endian(little)
                UnsafeMutableRawPointer(out).copyMemory(from: start, byteCount: count * 4)
                return
                #endif
            }
            for i in 0..<count {
                out[i] = T(Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
            }
        case .f64:
            if T.self == Double.self {
                #if _endian(little)
                UnsafeMutableRawPointer(out).copyMemory(from: start, byteCount: count * 8)
                return
                #endif
            }
            for i in 0..<count {
                out[i] = T(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .f16:
            for i in 0..<count {
                out[i] = T(floatFromHalfBits(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
            }
        case .bf16:
            for i in 0..<count {
                out[i] = T(floatFromBFloat16Bits(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
            }
        default:
            preconditionFailure("convert called with non-float dtype \(dtype)")
        }
    }
}
