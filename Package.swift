// swift-tools-version: 6.1
import PackageDescription

/// Numeric targets are compiled with optimisation even in debug builds: SIMD loops run
/// 100–2000× slower at -Onone, which would make the test suite unusable. Only `haswell`
/// (AVX2 + FMA) is assumed so the binary runs on every machine of this kind (Zen 2 and Zen 5).
let optimised: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "haswell"])]
/// The numeric core also needs whole-module optimisation in debug builds: its generic kernels
/// are specialised for Float/Double only when every file of the module is visible at once.
let optimisedWholeModule: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "haswell", "-wmo", "-num-threads", "1"])]

let package = Package(
    name: "DataRater",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "datarater", targets: ["datarater"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams", "5.0.1"..<"7.0.0"),
    ],
    targets: [
        // C libraries, found through pkg-config; nothing but module maps and tiny shims.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // Process control the Swift overlay cannot reach (variadic prctl).
        .target(name: "CProcess"),

        // Storage: zstd record streams, JSONL document codec, token records, atomic writers, checksums.
        .target(name: "ShardIO", dependencies: ["CZstd", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: optimised),
        // Input readers: JSON Lines (plain/.zst/.gz), tar archives, WARC/WET.
        .target(name: "Ingest", dependencies: ["ShardIO", "CArchive", "CZstd"], swiftSettings: optimised),
        // Byte-level BPE: training, tokenizer.json load/save, encoding.
        .target(name: "Tokenization", dependencies: [], swiftSettings: optimised),
        // Contiguous buffers, BLAS kernels, reverse and tangent modes.
        .target(name: "Tensor", dependencies: ["CBLAS"], swiftSettings: optimisedWholeModule),
        // Causal LM, DataRater encoder, optimizers, safetensors checkpoints.
        .target(name: "Models", dependencies: ["Tensor"], swiftSettings: optimisedWholeModule),
        // Population of inner models, unrolled inner steps, exact meta-gradient.
        .target(name: "MetaLearning", dependencies: ["Models", "Tensor"], swiftSettings: optimisedWholeModule),
        // Stages, manifest, resume logic, executors.
        .target(name: "Curation", dependencies: ["CProcess", "ShardIO", "Ingest", "Tokenization", "Models", "MetaLearning", "Tensor",
                                                .product(name: "Yams", package: "Yams")]),
        // Command-line interface: parsing and calling Curation, nothing else.
        .target(name: "DataRaterCLI", dependencies: ["Curation", "ShardIO", "Tokenization", "MetaLearning", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "datarater", dependencies: ["DataRaterCLI"]),

        .testTarget(name: "ShardIOTests", dependencies: ["ShardIO"], swiftSettings: optimised),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "ShardIO"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization"], resources: [.copy("Fixtures")], swiftSettings: optimised),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"], swiftSettings: optimised),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tensor"], exclude: ["Reference"], swiftSettings: optimised),
        .testTarget(name: "MetaLearningTests", dependencies: ["MetaLearning", "Models", "Tensor"], swiftSettings: optimisedWholeModule),
        .testTarget(name: "CurationTests", dependencies: ["Curation", "ShardIO", "Ingest", "Tokenization", "Models", "MetaLearning", "Tensor"]),
        .testTarget(name: "DataRaterCLITests", dependencies: ["DataRaterCLI"]),
    ]
)
