// swift-tools-version: 6.2
import PackageDescription

/// Hot paths of Cairn measured in isolation, against the library's public API only.
/// Kept out of the main package so that `swift build` there does not build it;
/// build and run with `swift build -c release && .build/release/HotPaths --help` in this folder.
let package = Package(
  name: "HotPaths",
  platforms: [.macOS(.v15)],
  dependencies: [
    .package(name: "Cairn", path: "../..")
  ],
  targets: [
    .executableTarget(
      name: "HotPaths",
      dependencies: [.product(name: "Cairn", package: "Cairn")]
    )
  ],
  swiftLanguageModes: [.v6]
)
