// swift-tools-version: 6.2
import PackageDescription

// libFuzzer harnesses for the decoders of untrusted repository content
// (Docs/FUZZING.md). Build and run them with Tests/Fuzz/run.sh; the build needs
// `-sanitize=fuzzer -parse-as-library`, which run.sh passes with -Xswiftc.
let package = Package(
  name: "CairnFuzz",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "ManifestFuzzer", targets: ["ManifestFuzzer"]),
    .executable(name: "RecordFuzzer", targets: ["RecordFuzzer"]),
    .executable(name: "ConfigFuzzer", targets: ["ConfigFuzzer"]),
  ],
  dependencies: [
    .package(name: "Cairn", path: "../..")
  ],
  targets: [
    .target(name: "CFuzzerDriver", path: "FuzzerDriver"),
    .executableTarget(
      name: "ManifestFuzzer",
      dependencies: ["CFuzzerDriver", .product(name: "Cairn", package: "Cairn")],
      path: "ManifestFuzzer"
    ),
    .executableTarget(
      name: "RecordFuzzer",
      dependencies: ["CFuzzerDriver", .product(name: "Cairn", package: "Cairn")],
      path: "RecordFuzzer"
    ),
    .executableTarget(
      name: "ConfigFuzzer",
      dependencies: ["CFuzzerDriver", .product(name: "Cairn", package: "Cairn")],
      path: "ConfigFuzzer"
    ),
  ],
  swiftLanguageModes: [.v6]
)
