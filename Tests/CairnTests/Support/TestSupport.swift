import Foundation
import Testing

@testable import Cairn

#if canImport(Glibc)
  import Glibc
#endif

/// A fresh directory under /tmp, removed when the value goes away.
final class TemporaryDirectory: Sendable {
  let path: String

  init(_ label: String = "cairn-test") {
    var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(created != nil, "mkdtemp failed")
    path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  deinit {
    // Make every directory writable first: tests create read-only ones. Done
    // in-process, not with chmod(1): a deinit may run on any thread while
    // other tests spawn processes.
    var directories = [path]
    while let directory = directories.popLast() {
      _ = chmod(directory, 0o700)
      for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
        let child = "\(directory)/\(name)"
        var status = stat()
        if lstat(child, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { directories.append(child) }
      }
    }
    try? FileManager.default.removeItem(atPath: path)
  }

  func sub(_ name: String) -> String { "\(path)/\(name)" }
}

/// The result of running a command.
struct CommandResult {
  let status: Int32
  let stdout: String
  let stderr: String

  var output: String { stdout + stderr }
}

/// Finding and running the real `cairn` binary that `swift build` made next to the test bundle.
enum Cairn {
  static let binary: String = {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = executable.deletingLastPathComponent()
    // The test runner is .build/<triple>/debug/<Package>PackageTests.xctest; cairn is beside it.
    for _ in 0..<3 {
      let candidate = directory.appendingPathComponent("cairn").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return executable.deletingLastPathComponent().appendingPathComponent("cairn").path
  }()

  /// Runs `cairn ARGS…` and waits for it.
  @discardableResult
  static func run(_ arguments: [String], environment: [String: String] = [:]) throws
    -> CommandResult
  {
    try runProcess(binary, arguments, environment: environment)
  }
}

/// Runs a program with extra environment variables; collects stdout and stderr.
func runProcess(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws
  -> CommandResult
{
  let process = Process()
  process.executableURL = URL(fileURLWithPath: program)
  process.arguments = arguments
  var merged = ProcessInfo.processInfo.environment
  merged.removeValue(forKey: "CAIRN_REPO")
  for (key, value) in environment { merged[key] = value }
  process.environment = merged
  let outPipe = Pipe()
  let errPipe = Pipe()
  process.standardOutput = outPipe
  process.standardError = errPipe
  process.standardInput = FileHandle.nullDevice
  try process.run()
  // Read both pipes concurrently so a chatty child cannot block on a full pipe.
  let group = DispatchGroup()
  nonisolated(unsafe) var errData = Data()
  group.enter()
  DispatchQueue.global().async {
    errData = errPipe.fileHandleForReading.readDataToEndOfFile()
    group.leave()
  }
  let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  process.waitUntilExit()
  return CommandResult(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs a shell snippet (bash -c) and requires it to succeed.
@discardableResult
func shell(_ script: String) throws -> String {
  let result = try runProcess("/bin/bash", ["-c", script])
  if result.status != 0 {
    throw ShellFailure(script: script, result: result)
  }
  return result.stdout
}

struct ShellFailure: Error, CustomStringConvertible {
  let script: String
  let result: CommandResult
  var description: String { "shell failed (\(result.status)): \(script)\n\(result.stderr)" }
}

/// Everything `lstat` and a read say about a tree, keyed by path relative to
/// its root (as raw bytes, so non-UTF-8 names compare exactly). Two trees
/// restore "byte for byte and metadata for metadata" when these are equal.
struct TreeListing: Equatable, CustomStringConvertible {
  struct Item: Equatable {
    var type: UInt32
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: Int64
    /// mtime in nanoseconds; nil for directories when `ignoreDirectoryTimes` was asked.
    var mtime: Int64?
    var content: Data?
    var symlinkTarget: Data?
    /// For files with several links: the smallest relative path of the same inode.
    var hardLinkGroup: Data?
  }

  var items: [Data: Item]

  var description: String {
    items.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { key in
      let item = items[key]!
      return
        "\(String(decoding: key, as: UTF8.self)) type=\(String(item.type, radix: 8)) mode=\(String(item.mode, radix: 8)) size=\(item.size) mtime=\(item.mtime.map(String.init) ?? "-") link=\(item.hardLinkGroup.map { String(decoding: $0, as: UTF8.self) } ?? "-")"
    }.joined(separator: "\n")
  }

  /// Lists `root` recursively (the root itself is included as the empty path).
  init(_ root: String, includeRootMetadata: Bool = true) throws {
    var items: [Data: Item] = [:]
    var inodes: [UInt64: [Data]] = [:]
    func visit(_ relative: [UInt8]) throws {
      let full = Array(root.utf8) + (relative.isEmpty ? [] : [UInt8(ascii: "/")] + relative)
      var st = stat()
      let rc = (full + [0]).withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { lstat($0, &st) }
      }
      guard rc == 0 else {
        throw ShellFailure(script: "lstat", result: CommandResult(status: errno, stdout: "", stderr: ""))
      }
      let type = UInt32(st.st_mode & S_IFMT)
      var item = Item(
        type: type, mode: UInt32(st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid,
        size: type == UInt32(S_IFREG) ? Int64(st.st_size) : 0,
        mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec), content: nil,
        symlinkTarget: nil, hardLinkGroup: nil)
      if type == UInt32(S_IFREG) {
        item.content = try readFile(full)
        if st.st_nlink > 1 { inodes[UInt64(st.st_ino), default: []].append(Data(relative)) }
      } else if type == UInt32(S_IFLNK) {
        var buffer = [CChar](repeating: 0, count: 8192)
        let count = (full + [0]).withUnsafeBufferPointer { path in
          path.baseAddress!.withMemoryRebound(to: CChar.self, capacity: path.count) {
            readlink($0, &buffer, buffer.count)
          }
        }
        item.symlinkTarget = Data(buffer.prefix(max(count, 0)).map { UInt8(bitPattern: $0) })
      }
      if !relative.isEmpty || includeRootMetadata { items[Data(relative)] = item }
      if type == UInt32(S_IFDIR) {
        for name in try directoryNames(full) {
          try visit(relative.isEmpty ? name : relative + [UInt8(ascii: "/")] + name)
        }
      }
    }
    try visit([])
    for (_, paths) in inodes {
      let group = paths.min { $0.lexicographicallyPrecedes($1) }!
      for path in paths { items[path]!.hardLinkGroup = group }
    }
    self.items = items
  }

  /// Drops directory mtimes (for comparing trees whose directories were touched after backup).
  func withoutDirectoryTimes() -> TreeListing {
    var copy = self
    for (key, item) in copy.items where item.type == UInt32(S_IFDIR) { copy.items[key]!.mtime = nil }
    return copy
  }

  /// Without the mtime of the entries whose last path component is `name`.
  func withoutTimes(of name: String) -> TreeListing {
    var copy = self
    let suffix = Data("/\(name)".utf8)
    for key in copy.items.keys where key == Data(name.utf8) || key.suffix(suffix.count) == suffix {
      copy.items[key]!.mtime = nil
    }
    return copy
  }
}

private func readFile(_ path: [UInt8]) throws -> Data {
  let fd = (path + [0]).withUnsafeBufferPointer { buffer in
    buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { open($0, O_RDONLY) }
  }
  guard fd >= 0 else {
    throw ShellFailure(script: "open", result: CommandResult(status: errno, stdout: "", stderr: ""))
  }
  defer { close(fd) }
  var result = Data()
  var buffer = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let count = read(fd, &buffer, buffer.count)
    if count <= 0 { break }
    result.append(contentsOf: buffer[0..<count])
  }
  return result
}

private func directoryNames(_ path: [UInt8]) throws -> [[UInt8]] {
  guard
    let dir = (path + [0]).withUnsafeBufferPointer({ buffer in
      buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { opendir($0) }
    })
  else { throw ShellFailure(script: "opendir", result: CommandResult(status: errno, stdout: "", stderr: "")) }
  defer { closedir(dir) }
  var names: [[UInt8]] = []
  while let entry = readdir(dir) {
    let name = DirectoryRecord.name(of: entry)
    if name == [46] || name == [46, 46] { continue }
    names.append(name)
  }
  return names
}

/// Whether the long failure cases run (CI sets CAIRN_LONG_TESTS=1).
let longTestsEnabled = ProcessInfo.processInfo.environment["CAIRN_LONG_TESTS"] == "1"

// MARK: End-to-end helpers

extension TreeListing {
  /// The paths whose items differ, one line each, for failure messages.
  func differences(from other: TreeListing) -> String {
    let keys = Set(items.keys).union(other.items.keys).sorted { $0.lexicographicallyPrecedes($1) }
    var lines: [String] = []
    for key in keys where items[key] != other.items[key] {
      let name = String(decoding: key, as: UTF8.self).debugDescription
      let left = items[key].map(Self.summary) ?? "missing"
      let right = other.items[key].map(Self.summary) ?? "missing"
      let content = items[key]?.content != other.items[key]?.content ? " (contents differ)" : ""
      lines.append("\(name): \(left) | \(right)\(content)")
    }
    return lines.isEmpty ? "no differences" : lines.joined(separator: "\n")
  }

  private static func summary(_ item: Item) -> String {
    "type=\(String(item.type, radix: 8)) mode=\(String(item.mode, radix: 8)) uid=\(item.uid) gid=\(item.gid) "
      + "size=\(item.size) mtime=\(item.mtime.map(String.init) ?? "-") "
      + "target=\(item.symlinkTarget.map { String(decoding: $0, as: UTF8.self) } ?? "-") "
      + "link=\(item.hardLinkGroup.map { String(decoding: $0, as: UTF8.self).debugDescription } ?? "-")"
  }

  /// The contents of the regular files in the listing.
  var fileContents: [Data] { items.values.compactMap(\.content) }
}

/// A snapshot record as `cairn snapshots --json` prints it: the fields the
/// end-to-end tests read, decoded independently of the library's types.
struct SnapshotSummary: Decodable, Equatable {
  struct Statistics: Decodable, Equatable {
    var files: Int
    var bytes: UInt64
    var filesRead: Int
    var bytesRead: UInt64
    var newObjects: Int
    var newBytes: UInt64
  }

  var id: String
  var kind: String
  var base: String?
  var time: String
  var sources: [String]
  var manifest: [String]
  var statistics: Statistics
}

/// A cairn command that was expected to succeed and did not.
struct CairnFailure: Error, CustomStringConvertible {
  let arguments: [String]
  let result: CommandResult
  var description: String {
    "cairn \(arguments.joined(separator: " ")) exited \(result.status)\nstdout: \(result.stdout)\nstderr: \(result.stderr)"
  }
}

/// A temporary directory holding a repository (`repo`) and whatever sources
/// and restore targets a test makes next to it, with shortcuts for running
/// `cairn` against that repository.
final class BackupWorkspace {
  let directory: TemporaryDirectory
  /// What the repository was created as; nil: `cairn init`'s defaults.
  let kind: RepositoryKind?
  /// What every `cairn` command on the repository needs (the password file).
  let environment: [String: String]

  var repo: String { directory.sub("repo") }

  /// The library's view of the repository, for oracles and damage.
  var inspection: RepositoryInspection { RepositoryInspection(path: repo) }

  /// Creates the directory and, unless `initialize` is false, the repository.
  init(blockSize: Int = 65536, initialize: Bool = true, kind: RepositoryKind? = nil) throws {
    directory = TemporaryDirectory("cairn-e2e")
    self.kind = kind
    environment = try kind?.prepare(in: directory) ?? [:]
    if initialize {
      try run(["init", "--repo", repo, "--block-size", String(blockSize)] + (kind?.initOptions ?? []))
    }
  }

  func sub(_ name: String) -> String { directory.sub(name) }

  /// Runs `cairn ARGS…` and requires exit status 0.
  @discardableResult
  func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let result = try cairn(arguments, environment: environment)
    guard result.status == 0 else { throw CairnFailure(arguments: arguments, result: result) }
    return result
  }

  /// Runs `cairn ARGS…` with the repository's environment, whatever its exit status.
  func cairn(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    try Cairn.run(arguments, environment: self.environment.merging(environment) { $1 })
  }

  /// Every snapshot, as `cairn snapshots --json` lists them (oldest first).
  func snapshots() throws -> [SnapshotSummary] {
    let result = try run(["snapshots", "--repo", repo, "--json"])
    return try JSONDecoder().decode([SnapshotSummary].self, from: Data(result.stdout.utf8))
  }

  /// Runs `cairn backup` (requiring success) and returns the one snapshot it added.
  /// `now` becomes `--time`.
  @discardableResult
  func backup(_ sources: [String], _ options: [String] = [], now: String? = nil) throws -> SnapshotSummary {
    let before = Set(try snapshots().map(\.id))
    try run(
      ["backup", "--repo", repo] + options + (now.map { ["--time", $0] } ?? []) + sources)
    let added = try snapshots().filter { !before.contains($0.id) }
    guard added.count == 1 else {
      throw CairnFailure(
        arguments: ["backup"] + sources,
        result: CommandResult(status: 0, stdout: "", stderr: "expected one new snapshot, found \(added.count)"))
    }
    return added[0]
  }

  /// Runs `cairn restore SNAPSHOT TARGET OPTIONS…` without requiring success.
  func restore(_ snapshot: String, to target: String, _ options: [String] = []) throws -> CommandResult {
    try cairn(["restore", "--repo", repo, snapshot, target] + options)
  }
}

/// Distinct `blockSize`-byte blocks over all `contents` (the last block of each may be short).
func distinctBlocks(_ contents: [Data], blockSize: Int) -> Set<Data> {
  var blocks = Set<Data>()
  for content in contents {
    var offset = 0
    while offset < content.count {
      let end = min(offset + blockSize, content.count)
      blocks.insert(content.subdata(in: offset..<end))
      offset = end
    }
  }
  return blocks
}

/// The trimmed text of an error output, for checking it is one line.
func trimmedLines(_ text: String) -> [Substring] {
  text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n", omittingEmptySubsequences: false)
}

/// A repository's files, apart from `backup.log`, which every operation
/// (failed ones included) may create or append to; and that log's contents.
/// The repository directory's own mtime is left out too, since creating the
/// log changes it (any other entry added or removed there shows by name).
struct RepositoryState {
  var listing: TreeListing
  var log: Data

  init(_ repo: String) throws {
    listing = try TreeListing(repo)
    listing.items.removeValue(forKey: Data("backup.log".utf8))
    listing.items[Data()]?.mtime = nil
    log = FileManager.default.contents(atPath: "\(repo)/backup.log") ?? Data()
  }

  /// Expects that nothing changed since `earlier` but lines appended to the log.
  func expectUnchanged(since earlier: RepositoryState, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(
      listing == earlier.listing, "the repository changed: \(earlier.listing.differences(from: listing))",
      sourceLocation: sourceLocation)
    #expect(log.starts(with: earlier.log), "backup.log was rewritten, not appended to", sourceLocation: sourceLocation)
  }
}

extension Cairn {
  /// Runs `cairn` with arguments written as bash words (e.g. `$'src-\xff'`),
  /// for arguments that are not UTF-8 and so cannot be Swift strings.
  static func runViaShell(_ arguments: String) throws -> CommandResult {
    try runProcess("/bin/bash", ["-c", "exec '\(binary)' \(arguments)"])
  }
}
