import Foundation
import Testing

@testable import Cairn

#if canImport(Glibc)
  import Glibc
#endif

// Helpers for the failure suites (BackupCrashTests, CorruptionTests,
// HostileInputTests, FullDiskTests).

/// Waits at most `timeout` seconds for `process` to end. If it is still
/// running then, kills it (SIGKILL), reaps it and returns false: a test that
/// bounds a wait this way fails instead of hanging.
func waitForExit(_ process: Process, timeout: Double) -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
  guard process.isRunning else {
    process.waitUntilExit()
    return true
  }
  kill(process.processIdentifier, SIGKILL)
  process.waitUntilExit()
  return false
}

/// The ids of the snapshots `cairn snapshots --json` lists, oldest first.
func snapshotIDs(_ repo: String, environment: [String: String] = [:]) throws -> [String] {
  let result = try Cairn.run(["snapshots", "--repo", repo, "--json"], environment: environment)
  guard result.status == 0 else { throw CairnFailure(arguments: ["snapshots", "--repo", repo], result: result) }
  return try jsonArray(result.stdout).compactMap { $0["id"] as? String }
}

/// Runs `python3 -c SCRIPT ARGS…` and requires it to succeed; returns stdout.
@discardableResult
func python(_ script: String, _ arguments: [String] = []) throws -> String {
  let result = try runProcess("/usr/bin/env", ["python3", "-c", script] + arguments)
  if result.status != 0 { throw ShellFailure(script: "python3: \(script)", result: result) }
  return result.stdout
}

/// Runs `cairn ARGS…` as the user nobody (uid and gid 65534, no
/// supplementary groups) with `setpriv`, so that file permissions apply to it
/// even when the test runner is root.
func runCairnAsNobody(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
  try runProcess(
    "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Cairn.binary] + arguments,
    environment: environment)
}

/// Whether the tests run as root (setpriv, mount and chown need it).
let runningAsRoot = getuid() == 0

/// Whether commands can be run as nobody: root, and util-linux's setpriv.
let setprivWorks = runningAsRoot && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

/// Whether `mount -t tmpfs` works here (root in a namespace that allows it).
/// Tried once, on a throwaway directory, and unmounted at once.
let tmpfsMountWorks: Bool = {
  guard runningAsRoot else { return false }
  let probe = TemporaryDirectory("cairn-mount-probe")
  guard (try? shell("mount -t tmpfs -o size=1m tmpfs '\(probe.path)'")) != nil else { return false }
  _ = try? shell("umount '\(probe.path)'")
  return true
}()

/// The number of `blockSize` blocks Cairn cuts the regular files of `listing` into.
func blockCount(of listing: TreeListing, blockSize: Int) -> Int {
  listing.items.values.reduce(0) { total, item in
    item.content == nil ? total : total + (Int(item.size) + blockSize - 1) / blockSize
  }
}

/// Builds a tree of `directories` × `filesPerDirectory` small files, each
/// with distinct content (so each is one distinct block), and one random
/// file of each size in `bigFileSizes` at the top.
func makeManySmallFilesTree(
  at path: String, directories: Int, filesPerDirectory: Int, bigFileSizes: [Int]
) throws {
  var script = """
    set -e
    mkdir -p '\(path)'
    cd '\(path)'
    for d in $(seq -w 1 \(directories)); do
      mkdir "dir-$d"
      for f in $(seq -w 1 \(filesPerDirectory)); do printf 'small file %s/%s\\n' "$d" "$f" > "dir-$d/file-$f"; done
    done

    """
  for (index, size) in bigFileSizes.enumerated() {
    script += "head -c \(size) /dev/urandom > big-\(index)\n"
  }
  try shell(script)
}

/// Every regular file left in `restoredRoot` holds exactly the bytes of the
/// file at the same place in `original`: a restore may leave a file out, but
/// never writes wrong or partial bytes.
func expectNoWrongBytes(
  in restoredRoot: String, comparedTo original: TreeListing, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  guard FileManager.default.fileExists(atPath: restoredRoot) else { return }
  let restored = try TreeListing(restoredRoot)
  for (path, item) in restored.items where item.content != nil {
    #expect(
      item.content == original.items[path]?.content,
      "'\(String(decoding: path, as: UTF8.self))' was restored with wrong bytes", sourceLocation: sourceLocation)
  }
}

/// The names in a directory (empty when it does not exist).
func directoryContents(_ path: String) -> [String] {
  ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// A listing of a tree that works below PATH_MAX and beyond it: python's
/// `os.fwalk` opens every directory relative to its parent's descriptor, and
/// files are read by name relative to their directory. One line per entry
/// (path relative to `root`, type, mode, size, SHA-256 of the content or the
/// symlink target), sorted; the last line gives the depth and the longest
/// relative path in bytes.
func descriptorBasedListing(_ root: String) throws -> (entries: [String], depth: Int, longestPath: Int) {
  let script = #"""
    import hashlib, os, stat, sys
    root = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
    lines, depth, longest = [], 0, 0
    for dirpath, dirnames, filenames, dirfd in os.fwalk(".", dir_fd=root, follow_symlinks=False):
        depth = max(depth, dirpath.count("/"))
        for name in dirnames + filenames:
            rel = os.path.join(dirpath, name)[2:]
            longest = max(longest, len(os.fsencode(rel)))
            st = os.lstat(name, dir_fd=dirfd)
            digest = ""
            if stat.S_ISREG(st.st_mode):
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dirfd)
                h = hashlib.sha256()
                while True:
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        break
                    h.update(chunk)
                os.close(fd)
                digest = h.hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                digest = os.readlink(name, dir_fd=dirfd)
            size = st.st_size if stat.S_ISREG(st.st_mode) else 0
            lines.append("%s type=%o mode=%o size=%d mtime=%d %s" % (
                rel, stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), size, st.st_mtime_ns, digest))
    lines.sort()
    print("\n".join(lines))
    print("#depth=%d longest=%d" % (depth, longest))
    """#
  var lines = try python(script, [root]).split(separator: "\n").map(String.init)
  let summary = lines.removeLast()
  let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
  return (lines, numbers.first ?? 0, numbers.last ?? 0)
}

/// Removes a tree of any depth (`rm -rf` does not need whole path names).
func removeDeepTree(_ path: String) {
  _ = try? shell("rm -rf '\(path)'")
}

// MARK: Crafted snapshots

/// Writes snapshots with whatever manifest a test wants, using the library's
/// own encoder and store, the way a malicious or buggy writer could: the
/// entries are encoded exactly as given (sorted into manifest order, so that
/// only the paths themselves can make a reader refuse them).
struct SnapshotForger {
  let repository: Repository

  init(repo: String) async throws {
    repository = try await Repository.open(at: repo)
  }

  static func status(_ kind: EntryKind, mode: UInt32) -> FileStatus {
    let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)
    return FileStatus(
      kind: kind, mode: mode, uid: 0, gid: 0, size: 0, mtime: time, ctime: time, inode: 0, device: 0, linkCount: 1,
      rdev: 0)
  }

  func directory(_ path: [UInt8]) -> ManifestEntry {
    ManifestEntry(path: EntryPath(bytes: path), status: Self.status(.directory, mode: 0o755))
  }

  /// A file entry whose content is stored as one block.
  func file(_ path: [UInt8], content: [UInt8]) async throws -> ManifestEntry {
    var entry = ManifestEntry(path: EntryPath(bytes: path), status: Self.status(.file, mode: 0o644))
    if !content.isEmpty {
      entry.blocks = [try await repository.store.put(content).id]
    }
    entry.size = UInt64(content.count)
    return entry
  }

  func symlink(_ path: [UInt8], target: [UInt8]) -> ManifestEntry {
    var entry = ManifestEntry(path: EntryPath(bytes: path), status: Self.status(.symlink, mode: 0o777))
    entry.symlinkTarget = target
    return entry
  }

  /// Stores the manifest (one part) and writes a full snapshot record for
  /// it; returns the snapshot id.
  func writeSnapshot(_ entries: [ManifestEntry], sources: [String], time: Date) async throws -> String {
    var buffer = ManifestCodec.magic
    for entry in entries.sorted(by: { $0.path < $1.path }) { ManifestCodec.append(entry, to: &buffer) }
    let part = try await repository.store.put(buffer).id
    try await repository.store.commit()
    let record = SnapshotRecord(
      id: Timestamps.snapshotID(at: time), kind: .full, base: nil, time: Timestamps.format(time),
      host: Backup.hostName, sources: sources, blockSize: repository.config.blockSize, manifest: [part],
      statistics: SnapshotStatistics())
    try await repository.writeSnapshot(record)
    return record.id
  }
}

/// Runs `cairn ARGS…` for at most `timeout` seconds (killing it after that);
/// returns whether it ended by itself, its status and its stderr.
func runCairnBounded(_ arguments: [String], environment: [String: String] = [:], timeout: Double) throws
  -> (finished: Bool, status: Int32, stderr: String)
{
  let errors = TemporaryDirectory("cairn-bounded")
  let stderrPath = errors.sub("stderr")
  let process = try startCairn(arguments, environment: environment, stderrPath: stderrPath)
  let finished = waitForExit(process, timeout: timeout)
  let stderr = String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self)
  return (finished, process.terminationStatus, stderr)
}

/// The entries of a snapshot as `cairn ls --json` lists them: path and type.
func snapshotEntries(_ repo: String, _ snapshot: String) throws -> [(path: String, type: String)] {
  let result = try Cairn.run(["ls", "--repo", repo, snapshot, "--json"])
  guard result.status == 0 else { throw CairnFailure(arguments: ["ls", snapshot], result: result) }
  return try jsonArray(result.stdout).map { ($0["path"] as? String ?? "", $0["type"] as? String ?? "") }
}
