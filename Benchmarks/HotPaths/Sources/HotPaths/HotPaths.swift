import Cairn
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Measures Cairn's hot paths one at a time, through the library's public API,
/// and prints medians over several runs. See Benchmarks/README.md.
@main
struct HotPaths {
  static let usage = """
    usage: HotPaths [--runs N] [--hash-mib N] [--objects N] [--small-objects N] [--manifest-entries N]
                    [--dir DIR] [--no-openssl] [--no-manifest] [TREE]

      --runs N           timed runs per figure; the table shows their median (default 5)
      --hash-mib N       1 MiB buffers hashed per SHA-256 run (default 256)
      --objects N        1 MiB objects written per put run (default 256)
      --small-objects N  4 KiB objects written per small-put run (default 4096)
      --manifest-entries N  file entries encoded and decoded per manifest run (default 1000000)
      --dir DIR          where the scratch repositories go (default: $TMPDIR or /tmp)
      --no-openssl       skip the `openssl speed` reference
      --no-manifest      skip the manifest encode/decode measurement
      TREE               a directory to stat-walk (skipped when absent)
    """

  struct Options {
    var runs = 5
    var hashMiB = 256
    var objects = 256
    var smallObjects = 4096
    var manifestEntries = 1_000_000
    var manifest = true
    var directory = FileManager.default.temporaryDirectory.path
    var openssl = true
    var tree: String?
  }

  static func main() async throws {
    let options: Options
    do {
      options = try parse(Array(CommandLine.arguments.dropFirst()))
    } catch let error as UsageError {
      FileHandle.standardError.write(Data("HotPaths: \(error.message)\n\(usage)\n".utf8))
      exit(error.message.isEmpty ? 0 : 2)
    }
    var table = Table()

    print("Cairn hot paths: medians of \(options.runs) runs (each run listed in order); MB = 10^6 bytes.")
    print("Warm page cache; one untimed warm-up before each series. Scratch repositories in \(options.directory).\n")

    try measureHashing(options, into: &table)
    if options.openssl { opensslReference(into: &table) }
    // Before the puts, so that even getrusage's whole-life peak (the fallback) is this step's.
    if options.manifest {
      try ManifestBench.measure(entries: options.manifestEntries, runs: options.runs, into: &table)
    }
    try await measurePuts(options, into: &table)
    if let tree = options.tree { try measureWalks(tree, options, into: &table) }

    table.print()
  }

  // MARK: SHA-256

  static func measureHashing(_ options: Options, into table: inout Table) throws {
    let buffer = Random.bytes(count: 1 << 20, seed: 1)
    // SHA256.hash calls into libcrypto through another module: the optimizer cannot drop it.
    let samples = series(runs: options.runs) {
      for _ in 0..<options.hashMiB { _ = SHA256.hash(buffer) }
    }
    let bytes = Double(options.hashMiB << 20)
    table.add(
      "SHA256.hash, 1 MiB buffer", samples.map { bytes / $0 / 1e6 }, "MB/s",
      "Cairn's one-shot hash (OpenSSL EVP via CObjectHash), \(options.hashMiB) x 1 MiB in memory, 1 thread")
  }

  /// `openssl speed -evp sha256` on 1 MiB blocks: the same library without Cairn around it.
  static func opensslReference(into table: inout Table) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "speed", "-seconds", "3", "-bytes", "1048576", "-evp", "sha256"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      table.note("openssl speed could not be run (\(error)); no reference figure")
      return
    }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    // last line: "sha256   1381912.79k" (1000s of bytes per second)
    let fields = output.split(separator: "\n").last { $0.lowercased().hasPrefix("sha256") }?
      .split(separator: " ")
    guard process.terminationStatus == 0, let value = fields?.last, value.hasSuffix("k"),
      let thousands = Double(value.dropLast())
    else {
      table.note("openssl speed gave no figure; output was: \(output.suffix(200))")
      return
    }
    table.add(
      "openssl speed -evp sha256", [thousands * 1e3 / 1e6], "MB/s",
      "reference, not Cairn: the openssl CLI on 1 MiB blocks for 3 s, 1 thread (one run)")
  }

  // MARK: Object store

  static func measurePuts(_ options: Options, into table: inout Table) async throws {
    let scratch = "\(options.directory)/cairn-hotpaths-\(getpid())"
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }

    var runNumber = 0
    /// A fresh repository per run, made outside the timing. They are all removed
    /// at the end, not between runs: on ext4 without a journal (this VM's root
    /// file system) inodes freed in the last minutes are skipped one by one when
    /// new ones are allocated, so a delete right before a run slows its file creation.
    /// Plain (no compression, no encryption) 1 MiB blocks: the storage and addressing costs alone.
    func newRepository() async throws -> Repository {
      runNumber += 1
      let repository = try await Repository.initialize(
        at: "\(scratch)/repo-\(runNumber)", options: Repository.Options(blockSize: 1 << 20, compression: .none))
      sync()
      return repository
    }

    // 1 MiB objects: new ones, the syncfs that makes them durable, then the same again (all present).
    let large = options.objects
    var block = Random.bytes(count: 1 << 20, seed: 2)
    var putNew: [Double] = []
    var durable: [Double] = []
    var putPresent: [Double] = []
    var newCount = 0
    var presentCount = 0
    for run in 0...options.runs {  // run 0 is the warm-up
      let store = try await newRepository().store
      var created = 0
      var found = 0
      let write = try await asyncSeconds {
        for index in 0..<large {
          Random.stamp(&block, UInt64(index))
          if try await store.put(block).isNew { created += 1 }
        }
      }
      let flush = try await asyncSeconds { try await store.commit() }
      let again = try await asyncSeconds {
        for index in 0..<large {
          Random.stamp(&block, UInt64(index))
          if try await !store.put(block).isNew { found += 1 }
        }
      }
      if run > 0 {
        putNew.append(write)
        durable.append(flush)
        putPresent.append(again)
        newCount = created
        presentCount = found
      }
    }
    let largeBytes = Double(large << 20)
    table.add(
      "put new 1 MiB objects", putNew.map { largeBytes / $0 / 1e6 }, "MB/s",
      "store.put([UInt8]): hash + envelope + write of a pending file, which waits for commit(); no fsync; "
        + "\(newCount) new of \(large)")
    table.add(
      "put new 1 MiB objects, count", putNew.map { Double(large) / $0 }, "obj/s", "the same runs counted in objects")
    table.add(
      "commit after those puts", durable, "s",
      "store.commit() right after those puts: syncfs, then every pending object renamed into place, syncfs; "
        + "what a backup does once per batch of published objects")
    table.add(
      "put new 1 MiB objects + syncfs", zip(putNew, durable).map { largeBytes / ($0 + $1) / 1e6 }, "MB/s",
      "durable object write rate (compare with limits.txt's dd conv=fdatasync)")
    table.add(
      "put present 1 MiB objects", putPresent.map { largeBytes / $0 / 1e6 }, "MB/s",
      "the same bytes again: hash + existence check finds it, nothing written; \(presentCount) present of \(large)")

    // 4 KiB objects: the per-object cost (one small file per object, as for small source files).
    let small = options.smallObjects
    var smallBlock = Random.bytes(count: 4096, seed: 3)
    var putSmall: [Double] = []
    var smallDurable: [Double] = []
    for run in 0...options.runs {
      let store = try await newRepository().store
      let write = try await asyncSeconds {
        for index in 0..<small {
          Random.stamp(&smallBlock, UInt64(index))
          _ = try await store.put(smallBlock)
        }
      }
      let flush = try await asyncSeconds { try await store.commit() }
      if run > 0 {
        putSmall.append(write)
        smallDurable.append(flush)
      }
    }
    table.add(
      "put new 4 KiB objects", putSmall.map { Double(small) / $0 }, "obj/s",
      "\(small) x 4 KiB per run, no fsync: per-object overhead (create, write, close of a pending file)")
    table.add(
      "put new 4 KiB objects + syncfs", zip(putSmall, smallDurable).map { Double(small) / ($0 + $1) }, "obj/s",
      "including the commit() after them (syncfs, one rename per object, syncfs)")
  }

  // MARK: Stat walk

  static func measureWalks(_ tree: String, _ options: Options, into table: inout Table) throws {
    var posixCount = TreeCount()
    let posix = series(runs: options.runs) { posixCount = StatWalk.posix(tree) }
    guard posixCount.entries > 0 else {
      table.note("stat walk: '\(tree)' has no entries or cannot be read; skipped")
      return
    }
    table.add(
      "stat walk, openat+fstatat", posix, "s",
      "\(posixCount.entries) entries (\(posixCount.directories) dirs) under \(tree): sorted readdir + "
        + "fstatat(AT_SYMLINK_NOFOLLOW), as Cairn's internal TreeWalker does; 1 thread")
    table.add(
      "stat walk, openat+fstatat, rate", posix.map { Double(posixCount.entries) / $0 }, "entries/s",
      "the same runs per entry")
    var foundationCount = TreeCount()
    // at most 3 runs: this one is slow (seconds on a large tree) and only a point of comparison
    let foundation = series(runs: min(options.runs, 3)) { foundationCount = StatWalk.foundation(tree) }
    table.add(
      "stat walk, FileManager", foundation, "s",
      "\(foundationCount.entries) entries: FileManager.enumerator(at:includingPropertiesForKeys:) + "
        + "resourceValues (size, mtime, type); what a plain Foundation walk costs")
  }

  // MARK: Helpers

  /// Runs `body` once untimed, then `runs` times timed; returns the durations in seconds.
  static func series(runs: Int, _ body: () throws -> Void) rethrows -> [Double] {
    try body()
    var samples: [Double] = []
    for _ in 0..<runs { samples.append(try seconds(body)) }
    return samples
  }

  static func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return (ContinuousClock.now - start).inSeconds
  }

  static func asyncSeconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return (ContinuousClock.now - start).inSeconds
  }

  struct UsageError: Error {
    let message: String
  }

  static func parse(_ arguments: [String]) throws -> Options {
    var options = Options()
    var index = 0
    func value(_ name: String) throws -> String {
      index += 1
      guard index < arguments.count else { throw UsageError(message: "\(name) needs a value") }
      return arguments[index]
    }
    func count(_ name: String) throws -> Int {
      guard let number = Int(try value(name)), number > 0 else {
        throw UsageError(message: "\(name) needs a positive number")
      }
      return number
    }
    while index < arguments.count {
      switch arguments[index] {
      case "--runs": options.runs = try count("--runs")
      case "--hash-mib": options.hashMiB = try count("--hash-mib")
      case "--objects": options.objects = try count("--objects")
      case "--small-objects": options.smallObjects = try count("--small-objects")
      case "--manifest-entries": options.manifestEntries = try count("--manifest-entries")
      case "--no-manifest": options.manifest = false
      case "--dir": options.directory = try value("--dir")
      case "--no-openssl": options.openssl = false
      case "-h", "--help": throw UsageError(message: "")
      case let argument where argument.hasPrefix("-"): throw UsageError(message: "unknown option \(argument)")
      case let argument:
        guard options.tree == nil else { throw UsageError(message: "give one TREE") }
        options.tree = argument
      }
      index += 1
    }
    if let tree = options.tree {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: tree, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw UsageError(message: "TREE '\(tree)' is not a directory")
      }
    }
    return options
  }
}

extension Duration {
  var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Deterministic incompressible bytes (splitmix64), and a per-object stamp that makes every object distinct.
enum Random {
  static func bytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15
    var result = [UInt8](repeating: 0, count: count)
    result.withUnsafeMutableBytes { raw in
      for offset in stride(from: 0, to: count, by: 8) {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        withUnsafeBytes(of: mixed.littleEndian) { word in
          for byte in 0..<min(8, count - offset) { raw[offset + byte] = word[byte] }
        }
      }
    }
    return result
  }

  /// Writes `value` into the first 8 bytes, so that object `value` differs from every other.
  static func stamp(_ bytes: inout [UInt8], _ value: UInt64) {
    withUnsafeBytes(of: value.littleEndian) { word in
      for index in 0..<8 { bytes[index] = word[index] }
    }
  }
}

/// The rows of the result table, printed at the end.
struct Table {
  struct Row {
    let name: String
    let samples: [Double]
    let unit: String
    let meaning: String
  }

  private var rows: [Row] = []
  private var notes: [String] = []

  mutating func add(_ name: String, _ samples: [Double], _ unit: String, _ meaning: String) {
    rows.append(Row(name: name, samples: samples, unit: unit, meaning: meaning))
  }

  mutating func note(_ text: String) { notes.append(text) }

  func print() {
    Swift.print("| figure | median | each run, in order | unit | what it is |")
    Swift.print("|---|---:|---:|---|---|")
    for row in rows {
      let sorted = row.samples.sorted()
      let median =
        sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
      let each = row.samples.count > 1 ? row.samples.map(Self.format).joined(separator: " ") : ""
      Swift.print("| \(row.name) | \(Self.format(median)) | \(each) | \(row.unit) | \(row.meaning) |")
    }
    for text in notes { Swift.print("\nnote: \(text)") }
  }

  /// Three significant digits, without exponent notation.
  static func format(_ value: Double) -> String {
    switch abs(value) {
    case 1000...: String(format: "%.0f", value)
    case 100..<1000: String(format: "%.1f", value)
    case 10..<100: String(format: "%.2f", value)
    default: String(format: "%.3f", value)
    }
  }
}
