/// Sizes on the command line: `128MB`, `512KiB`, `1G`, `4096`.
public enum ByteSize {
    public static func parse(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let multipliers: [String: Double] = [
            "": 1, "B": 1, "K": 1e3, "KB": 1e3, "KIB": 1024, "M": 1e6, "MB": 1e6, "MIB": 1_048_576,
            "G": 1e9, "GB": 1e9, "GIB": 1_073_741_824,
        ]
        guard let value = Double(digits), let multiplier = multipliers[unit], value * multiplier >= 1 else {
            throw CurationError(.badArguments, "cannot read '\(text)' as a size", hint: "write e.g. 128MB, 512KiB or 4096")
        }
        return Int(value * multiplier)
    }
}

import Foundation
