import Foundation
import ShardIO

/// Small JSON files (manifest, completion records, configs): Codable, sorted keys, written atomically.
enum JSONFiles {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var bytes = Array(try encoder.encode(value))
        bytes.append(0x0A)
        return bytes
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], path: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: Data(bytes))
        } catch {
            throw CurationError(.manifestCorrupt, "\(path): cannot be read as \(T.self): \(error)",
                                hint: "the file is damaged or from an incompatible version; remove it to redo the work it records")
        }
    }

    static func write<T: Encodable>(_ value: T, to path: String) throws {
        try FileIO.writeFileAtomically(path, try encode(value))
    }

    /// The decoded file, or nil when it does not exist.
    static func read<T: Decodable>(_ type: T.Type, from path: String) throws -> T? {
        let bytes: [UInt8]
        do { bytes = try FileIO.readFile(path) } catch where error.code == .notFound { return nil }
        return try decode(type, from: bytes, path: path)
    }
}
