import Ingest
import ShardIO

extension Rejection {
    /// `{"file","member","line","byte_offset","code","message","snippet"}` and a newline: one line of
    /// `RUN/rejected/NNNNN.jsonl.zst`.
    func writeJSONLine(into out: inout [UInt8]) {
        let value: JSONValue = .object([
            (key: "file", value: .string(file)),
            (key: "member", value: member.map(JSONValue.string) ?? .null),
            (key: "line", value: .number(String(line))),
            (key: "byte_offset", value: .number(String(byteOffset))),
            (key: "code", value: .string(code.rawValue)),
            (key: "message", value: .string(message)),
            (key: "snippet", value: .string(snippet)),
        ])
        value.write(into: &out)
        out.append(0x0A)
    }
}
