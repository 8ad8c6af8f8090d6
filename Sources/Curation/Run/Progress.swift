import Foundation

/// Progress lines on stderr for long work: counts, rate and ETA, at most one line every `interval` seconds.
///
/// Lines end in `\n` (not `\r`) so they read well in log files, Slurm outputs and CI.
public final class ProgressReporter: @unchecked Sendable {
    private let label: String
    private let interval: Double
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lastPrint: UInt64 = 0
    private let quiet: Bool

    public init(label: String, interval: Double = 2.0, quiet: Bool = false) {
        self.label = label
        self.interval = interval
        self.quiet = quiet || ProcessInfo.processInfo.environment["DATARATER_QUIET"] != nil
    }

    public var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// Prints `message` if `interval` has passed since the last line; `fraction` (0...1) adds an ETA.
    public func tick(_ message: @autoclosure () -> String, fraction: Double? = nil) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard Double(now - lastPrint) / 1e9 >= interval else { return }
        lastPrint = now
        var line = "\(label): \(message())"
        if let fraction, fraction > 0.001 {
            let eta = elapsed * (1 - fraction) / fraction
            line += String(format: " | %.1f%% | elapsed %@ | ETA %@", fraction * 100, Self.duration(elapsed), Self.duration(eta))
        } else {
            line += " | elapsed \(Self.duration(elapsed))"
        }
        emit(line)
    }

    /// Prints unconditionally.
    public func log(_ message: String) { emit("\(label): \(message)") }

    private func emit(_ line: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return String(format: "%.1fs", seconds)
    }

    /// `12.3 MB`, decimal units.
    public static func bytes(_ n: Double) -> String {
        if n >= 1e9 { return String(format: "%.2f GB", n / 1e9) }
        if n >= 1e6 { return String(format: "%.1f MB", n / 1e6) }
        if n >= 1e3 { return String(format: "%.1f kB", n / 1e3) }
        return "\(Int(n)) B"
    }
}
