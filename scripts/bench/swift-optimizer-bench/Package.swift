// swift-tools-version: 6.1
// Dev-only: times the Swift optimizers on one flat buffer of the base LM's size against a memcpy
// measured in the same run (compare scripts/bench/optimizer_reference.py). The Models, Tensor and
// CBLAS sources are symlinks into the main package, built here with the same flags.
//
//     swift build -c release --package-path scripts/bench/swift-optimizer-bench
//     scripts/bench/swift-optimizer-bench/.build/release/optbench
import PackageDescription

let optimised: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "haswell"])]

let package = Package(
    name: "swift-optimizer-bench",
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Tensor", dependencies: ["CBLAS"], swiftSettings: optimised),
        .target(name: "Models", dependencies: ["Tensor"], swiftSettings: optimised),
        .executableTarget(name: "optbench", dependencies: ["Models"], swiftSettings: optimised),
    ]
)
