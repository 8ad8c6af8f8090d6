// swift-tools-version: 6.1
import PackageDescription
let opt: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "haswell"])]
let package = Package(name: "runner", targets: [
  .target(name: "Tokenization", swiftSettings: opt),
  .executableTarget(name: "runner", dependencies: ["Tokenization"], swiftSettings: opt),
])
