// swift-tools-version: 6.2
import PackageDescription

/// Upcoming language features, set once for every Swift target.
let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
  name: "Cairn",
  // Linux only: the store relies on syncfs, renameat2, flock on directories,
  // SEEK_DATA/SEEK_HOLE and Linux xattr calls (Glibc throughout). No platform line.
  products: [
    .library(name: "Cairn", targets: ["Cairn"]),
    .library(name: "CairnS3", targets: ["CairnS3"]),
    .executable(name: "cairn", targets: ["CairnCLI"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
  ],
  targets: [
    .target(
      name: "CObjectHash",
      linkerSettings: [.linkedLibrary("crypto")]
    ),
    .target(
      name: "CCipher",
      linkerSettings: [.linkedLibrary("crypto")]
    ),
    .target(
      name: "CZstd",
      linkerSettings: [.linkedLibrary("zstd")]
    ),
    .target(name: "CFileShims"),
    .target(
      name: "Cairn",
      dependencies: [
        "CObjectHash",
        "CCipher",
        "CZstd",
        "CFileShims",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "SystemPackage", package: "swift-system"),
        .product(name: "Yams", package: "Yams"),
      ],
      // The crash and hold points (CrashPoint) exist in debug builds only,
      // the ones `swift test` runs; `swift build -c release` has none.
      swiftSettings: swiftSettings + [.define("CAIRN_TEST_HOOKS", .when(configuration: .debug))]
    ),
    // S3-compatible object storage. A target of its own so that what needs
    // only the core (the fuzzers among them) does not build the HTTP stack.
    .target(
      name: "CairnS3",
      dependencies: [
        "Cairn",
        "CObjectHash",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "CairnCLI",
      dependencies: [
        "Cairn",
        "CairnS3",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "SystemPackage", package: "swift-system"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "CairnTests",
      dependencies: [
        "Cairn",
        "CairnS3",
        "CairnCLI",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "SystemPackage", package: "swift-system"),
      ],
      swiftSettings: swiftSettings
    ),
  ],
  swiftLanguageModes: [.v6]
)
