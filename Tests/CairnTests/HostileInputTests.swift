import Foundation
import Testing

@testable import Cairn

#if canImport(Glibc)
  import Glibc
#endif

/// Sources that fight back during a backup: missing, unreadable, changing
/// while read, special files, directories swapped for files or symlinks,
/// symlink loops, paths beyond PATH_MAX. Each gives a clear report, the right
/// exit status and a snapshot that `check` passes, and loses nothing else.
@Suite struct HostileInputTests {
  /// Lines of stderr that start with `warning: '<path>'`.
  private func warnings(_ stderr: String, naming path: String) -> [Substring] {
    stderr.split(separator: "\n").filter { $0.hasPrefix("warning: '\(path)'") }
  }

  @Test func missingSourceIsWarnedTheRestSavedAndAloneChangesNothing() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && echo kept > '\(source)/kept'")
    try work.backup([source])
    let before = try RepositoryState(work.repo)
    let missing = work.sub("gone/away")

    let alone = try Cairn.run(["backup", "--repo", work.repo, missing])
    #expect(alone.status == 1, "\(alone.output)")
    #expect(trimmedLines(alone.stderr).count == 1, "expected one line: \(alone.stderr)")
    #expect(alone.stderr.contains(missing), "\(alone.stderr)")
    try RepositoryState(work.repo).expectUnchanged(since: before)
    #expect(try work.snapshots().count == 1)

    let result = try Cairn.run(["backup", "--repo", work.repo, source, missing])
    #expect(result.status == 3, "\(result.output)")
    #expect(warnings(result.stderr, naming: missing).count == 1, "\(result.stderr)")
    #expect(try work.snapshots().count == 2)
  }

  /// A file and a directory that the backup's user cannot read: exit 3,
  /// both named on stderr and in backup.log, everything else restores.
  @Test(.enabled(if: setprivWorks, "skipped: runs the backup as nobody with setpriv, which needs root and util-linux"))
  func unreadableFilesAreSkippedNamedAndTheRestIsSaved() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    let secret = "\(source)/sub/secret"
    let lockedDirectory = "\(source)/locked-dir"
    try shell(
      """
      set -e
      chmod 0755 '\(work.directory.path)'
      mkdir -p '\(source)/sub' '\(lockedDirectory)'
      head -c 100000 /dev/urandom > '\(source)/sub/readable'
      echo 'top' > '\(source)/top'
      echo 'secret' > '\(secret)' && chmod 000 '\(secret)'
      echo 'inside' > '\(lockedDirectory)/inside' && chmod 000 '\(lockedDirectory)'
      chown -R 65534:65534 '\(work.repo)'
      """)
    // The fixture works as intended: nobody can read neither.
    #expect(
      try runProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "cat", secret]).status
        != 0)

    let result = try runCairnAsNobody(["backup", "--repo", work.repo, source])
    #expect(result.status == 3, "\(result.output)")
    for path in [secret, lockedDirectory] {
      #expect(warnings(result.stderr, naming: path).count == 1, "'\(path)' is not named once: \(result.stderr)")
    }
    let log = String(decoding: FileManager.default.contents(atPath: "\(work.repo)/backup.log") ?? Data(), as: UTF8.self)
    for path in [secret, lockedDirectory] {
      #expect(log.split(separator: "\n").contains { $0.contains("level=warning") && $0.contains(path) }, "\(log)")
    }
    #expect(log.contains("status=3"), "\(log)")

    let ids = try snapshotIDs(work.repo)
    #expect(ids.count == 1, "the backup with skipped files was not saved")
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    let target = work.sub("out")
    let restore = try work.restore("latest", to: target)
    #expect(restore.status == 0, "\(restore.output)")
    var expected = try TreeListing(source)
    expected.items.removeValue(forKey: Data("sub/secret".utf8))
    expected.items.removeValue(forKey: Data("locked-dir/inside".utf8))
    let restored = try TreeListing(target + source)
    #expect(restored == expected, "\(expected.differences(from: restored))")

    // A file the full had, unreadable at the differential: left out, never its stale copy.
    let readable = "\(source)/sub/readable"
    try shell("chmod 000 '\(readable)'")
    let differential = try runCairnAsNobody(["backup", "--repo", work.repo, "--differential", source])
    #expect(differential.status == 3, "\(differential.output)")
    #expect(warnings(differential.stderr, naming: readable).count == 1, "\(differential.stderr)")
    #expect(try snapshotIDs(work.repo).count == 2)
    let latest = work.sub("out-latest")
    let restoreLatest = try work.restore("latest", to: latest)
    #expect(restoreLatest.status == 0, "\(restoreLatest.output)")
    #expect(
      !FileManager.default.fileExists(atPath: latest + readable),
      "the differential kept the base's copy of a file it could not read")
    #expect(FileManager.default.contents(atPath: "\(latest)\(source)/top") == Data("top\n".utf8))
  }

  enum Change: String, CaseIterable, Sendable {
    case grows
    case shrinks
  }

  /// Promise "Bad input" (Docs/PROMISES.md): a file that grows or shrinks
  /// once between its first block and the rest is read again, so the
  /// snapshot holds its new version, consistent: exit 0, no warning, check
  /// passes, and restore gives the bytes the file has now.
  @Test(arguments: Change.allCases)
  func fileChangedOnceWhileReadIsReadAgain(change: Change) throws {
    let work = try BackupWorkspace(blockSize: 65536)
    let source = work.sub("src")
    let file = "\(source)/changing"
    // The only file, so the first block stored (where the backup holds) is this file's.
    try shell("mkdir -p '\(source)' && head -c \(8 * 65536) /dev/urandom > '\(file)'")

    let stderrPath = work.sub("backup.stderr")
    let hold = HoldPoint("backup.block", in: work.directory.path)
    let process = try startCairn(
      ["backup", "--repo", work.repo, source], environment: hold.environment, stderrPath: stderrPath)
    let held = waitForText("holding at", in: stderrPath)
    #expect(held, "the backup never reached backup.block")
    switch change {
    case .grows: try shell("head -c 100000 /dev/urandom >> '\(file)'")
    case .shrinks: try shell("truncate -s 100000 '\(file)'")
    }
    hold.release()
    let final = try Data(contentsOf: URL(fileURLWithPath: file))
    #expect(waitForExit(process, timeout: 60), "the backup did not finish")
    let stderr = String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self)
    #expect(process.terminationStatus == 0, "\(stderr)")
    #expect(warnings(stderr, naming: file).isEmpty, "\(stderr)")

    #expect(try snapshotIDs(work.repo).count == 1, "the snapshot was not saved")
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0 && !check.stderr.contains("warning"), "\(check.output)")
    let target = work.sub("out")
    let restore = try work.restore("latest", to: target)
    #expect(restore.status == 0, "\(restore.output)")
    let restored = try Data(contentsOf: URL(fileURLWithPath: target + file))
    #expect(restored == final, "restored \(restored.count) bytes, the file has \(final.count)")
  }

  /// A FIFO with no writer and a Unix socket: the backup never opens them
  /// (no hang), records both, and they restore as a FIFO and a socket.
  @Test func fifoAndSocketAreRecordedWithoutHanging() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && echo plain > '\(source)/plain' && mkfifo '\(source)/fifo'")
    try python(
      "import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()", ["\(source)/socket"])
    let original = try TreeListing(source)
    #expect(original.items[Data("socket".utf8)]?.type == UInt32(S_IFSOCK))

    let backup = try runCairnBounded(["backup", "--repo", work.repo, source], timeout: 60)
    #expect(backup.finished, "the backup hung on a FIFO or socket")
    #expect(backup.status == 0, "\(backup.stderr)")
    let entries = try snapshotEntries(work.repo, "latest")
    #expect(entries.contains { $0.path == "\(source)/fifo" && $0.type == "fifo" }, "\(entries)")
    #expect(entries.contains { $0.path == "\(source)/socket" && $0.type == "socket" }, "\(entries)")

    let target = work.sub("out")
    let restore = try runCairnBounded(["restore", "--repo", work.repo, "latest", target], timeout: 60)
    #expect(restore.finished, "the restore hung")
    #expect(restore.status == 0, "\(restore.stderr)")
    let restored = try TreeListing(target + source)
    #expect(restored.items[Data("fifo".utf8)]?.type == UInt32(S_IFIFO), "the FIFO did not restore as a FIFO")
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  enum Replacement: String, CaseIterable, Sendable {
    case file
    case symlink
  }

  /// The source directory is swapped for a file, or for a symlink to another
  /// directory, after the walk saw it and before it enters it: the backup
  /// names it and exits 3, never follows the symlink, and check passes.
  @Test(arguments: Replacement.allCases)
  func directoryReplacedDuringTheWalk(replacement: Replacement) throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    let elsewhere = work.sub("elsewhere")
    try shell(
      """
      set -e
      mkdir -p '\(source)/sub' '\(elsewhere)'
      echo 'was in the directory' > '\(source)/sub/moved-away'
      echo 'not part of the source' > '\(elsewhere)/not-yours'
      """)

    let stderrPath = work.sub("backup.stderr")
    let hold = HoldPoint("walk.enter", in: work.directory.path)
    let process = try startCairn(
      ["backup", "--repo", work.repo, source], environment: hold.environment, stderrPath: stderrPath)
    #expect(waitForText("holding at", in: stderrPath), "the backup never reached walk.enter")
    switch replacement {
    case .file: try shell("mv '\(source)' '\(source)-moved' && echo 'now a file' > '\(source)'")
    case .symlink: try shell("mv '\(source)' '\(source)-moved' && ln -s '\(elsewhere)' '\(source)'")
    }
    hold.release()
    #expect(waitForExit(process, timeout: 60), "the backup did not finish")
    let stderr = String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self)
    #expect(process.terminationStatus == 3, "\(stderr)")
    #expect(warnings(stderr, naming: source).count == 1, "\(stderr)")

    let ids = try snapshotIDs(work.repo)
    #expect(ids.count == 1)
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    let entries = try snapshotEntries(work.repo, "latest")
    #expect(
      !entries.contains { $0.path.hasSuffix("not-yours") || $0.path.hasSuffix("moved-away") },
      "the snapshot holds what is not in the source: \(entries)")
    let restore = try work.restore("latest", to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
  }

  /// Symlinks that point at each other, at themselves and at their own
  /// directory are stored as symlinks, never followed, and restore as such.
  @Test func symlinkLoopsAreStoredAsSymlinks() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)/d'
      ln -s b '\(source)/a' && ln -s a '\(source)/b'
      ln -s self '\(source)/self'
      ln -s . '\(source)/d/here' && ln -s .. '\(source)/d/up'
      echo data > '\(source)/d/file'
      """)
    let original = try TreeListing(source)

    let backup = try runCairnBounded(["backup", "--repo", work.repo, source], timeout: 60)
    #expect(backup.finished, "the backup followed a symlink loop")
    #expect(backup.status == 0, "\(backup.stderr)")
    let entries = try snapshotEntries(work.repo, "latest")
    for name in ["a", "b", "self", "d/here", "d/up"] {
      #expect(entries.contains { $0.path == "\(source)/\(name)" && $0.type == "symlink" }, "\(name): \(entries)")
    }
    #expect(entries.count == 8, "\(entries)")
    let target = work.sub("out")
    let restore = try work.restore("latest", to: target)
    #expect(restore.status == 0, "\(restore.output)")
    let restored = try TreeListing(target + source)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  /// A tree deeper than PATH_MAX (4096 bytes), built and checked only with
  /// paths relative to directory descriptors, backs up and restores exactly.
  @Test func pathLongerThanPathMaxBacksUpAndRestores() throws {
    let work = try BackupWorkspace(blockSize: 65536)
    let source = work.sub("src")
    let target = work.sub("out")
    defer {
      removeDeepTree(source)
      removeDeepTree(target)
    }
    try shell("mkdir -p '\(source)'")
    try python(
      #"""
      import os, sys
      fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
      for level in range(18):
          with open(os.open("file-%02d" % level, os.O_WRONLY | os.O_CREAT, 0o640, dir_fd=fd), "wb") as f:
              f.write(b"level %d\n" % level)
          name = "level-%02d-" % level + "x" * 240
          os.mkdir(name, dir_fd=fd)
          child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
          os.close(fd)
          fd = child
      with open(os.open("deepest", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "wb") as f:
          f.write(os.urandom(150000))
      os.symlink("../file-17", "link-up", dir_fd=fd)
      """#, [source])
    let original = try descriptorBasedListing(source)
    #expect(original.longestPath > 4096, "the fixture is not deeper than PATH_MAX")

    let backup = try Cairn.run(["backup", "--repo", work.repo, source])
    #expect(backup.status == 0, "\(backup.output)")
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    let restore = try work.restore("latest", to: target)
    #expect(restore.status == 0, "\(restore.output)")
    let restored = try descriptorBasedListing(target + source)
    #expect(restored.entries.count == original.entries.count)
    #expect(restored.entries == original.entries, "the deep tree did not restore exactly")
  }
}

/// Snapshots crafted to attack the restore target: whatever a manifest says,
/// restore writes nothing outside TARGET.
@Suite struct HostileRepositoryTests {
  enum Attack: String, CaseIterable, Sendable {
    /// `/src/../../outside/evil`: climbs out of the target.
    case dotDot
    /// `side/evil`: no leading slash; glued to "…/out" as text it is "…/outside/evil".
    case relativePath
    /// `/src/./evil`.
    case dotComponent
    /// `/src//evil`.
    case emptyComponent
    /// `/src/link` -> `../../outside`, then `/src/link/evil`.
    case symlinkRelative
    /// `/src/link` -> the sentinel's absolute path, then `/src/link/evil`.
    case symlinkAbsolute
    /// `/src/link` -> the sentinel, then a directory `/src/link/sub` and `/src/link/sub/evil`.
    case symlinkThenDirectory

    /// Whether the manifest holds a path that is malformed on its face
    /// (Docs/FORMAT.md: refused before anything is written).
    var malformedPath: Bool {
      switch self {
      case .dotDot, .relativePath, .dotComponent, .emptyComponent: true
      default: false
      }
    }
  }

  @Test(arguments: Attack.allCases)
  func restoreNeverWritesOutsideTheTarget(attack: Attack) async throws {
    let work = try BackupWorkspace()
    let target = work.sub("out")
    let sentinel = work.sub("outside")
    try shell("mkdir -p '\(sentinel)'")
    let forger = try await SnapshotForger(repo: work.repo)
    let evil = Array("evil bytes\n".utf8)
    var entries = [
      forger.directory(Array("/src".utf8)),
      try await forger.file(Array("/src/-safe".utf8), content: Array("harmless\n".utf8)),
    ]
    let named: String
    switch attack {
    case .dotDot:
      entries.append(try await forger.file(Array("/src/../../outside/evil".utf8), content: evil))
      named = "/src/../../outside/evil"
    case .relativePath:
      entries.append(try await forger.file(Array("side/evil".utf8), content: evil))
      named = "side/evil"
    case .dotComponent:
      entries.append(try await forger.file(Array("/src/./evil".utf8), content: evil))
      named = "/src/./evil"
    case .emptyComponent:
      entries.append(try await forger.file(Array("/src//evil".utf8), content: evil))
      named = "/src//evil"
    case .symlinkRelative:
      entries.append(forger.symlink(Array("/src/link".utf8), target: Array("../../outside".utf8)))
      entries.append(try await forger.file(Array("/src/link/evil".utf8), content: evil))
      named = "/src/link"
    case .symlinkAbsolute:
      entries.append(forger.symlink(Array("/src/link".utf8), target: Array(sentinel.utf8)))
      entries.append(try await forger.file(Array("/src/link/evil".utf8), content: evil))
      named = "/src/link"
    case .symlinkThenDirectory:
      entries.append(forger.symlink(Array("/src/link".utf8), target: Array(sentinel.utf8)))
      entries.append(forger.directory(Array("/src/link/sub".utf8)))
      entries.append(try await forger.file(Array("/src/link/sub/evil".utf8), content: evil))
      named = "/src/link"
    }
    let id = try await forger.writeSnapshot(entries, sources: ["/src"], time: Date())
    let siblings = directoryContents(work.directory.path)

    let restore = try work.restore(id, to: target)
    #expect(restore.status != 0, "restore of a hostile manifest (\(attack)) succeeded: \(restore.output)")
    #expect(restore.stderr.contains(named), "the refusal does not name '\(named)': \(restore.stderr)")
    #expect(directoryContents(sentinel).isEmpty, "restore wrote outside its target: \(directoryContents(sentinel))")
    // The target itself may or may not have been created; nothing else may appear beside it.
    let created = Set(directoryContents(work.directory.path)).subtracting(siblings)
    #expect(created.isSubset(of: ["out"]), "restore created \(created.sorted()) beside its target")
    #expect(
      try shell("find '\(work.directory.path)' -name evil").isEmpty, "a file named 'evil' was written somewhere")
    if attack.malformedPath {
      // Docs/FORMAT.md ("Restoring", step 5) and Docs/PROMISES.md: an unsafe
      // path is refused before anything is written.
      #expect(
        directoryContents(target).isEmpty,
        "restore wrote \(directoryContents(target)) before refusing the unsafe path '\(named)'")
    }
  }

  /// With --overwrite, a symlink already in the target where the snapshot
  /// has a directory is not followed.
  @Test func overwriteDoesNotFollowASymlinkInTheTarget() async throws {
    let work = try BackupWorkspace()
    let target = work.sub("out")
    let sentinel = work.sub("outside")
    try shell("mkdir -p '\(sentinel)' '\(target)' && ln -s ../outside '\(target)/src'")
    let forger = try await SnapshotForger(repo: work.repo)
    let id = try await forger.writeSnapshot(
      [
        forger.directory(Array("/src".utf8)),
        try await forger.file(Array("/src/evil".utf8), content: Array("x\n".utf8)),
      ],
      sources: ["/src"], time: Date())

    let restore = try work.restore(id, to: target, ["--overwrite"])
    #expect(restore.status != 0, "\(restore.output)")
    #expect(restore.stderr.contains("/src"), "\(restore.stderr)")
    #expect(directoryContents(sentinel).isEmpty, "restore followed a symlink out of its target")
  }

  /// How a crafted small file's bundle slice can be wrong.
  enum BadSlice: String, CaseIterable, Sendable {
    /// Three bytes that are not a slice.
    case malformed
    /// A slice of 12 bytes for a file of 11.
    case longerThanTheFile
    /// A slice that ends after its bundle does.
    case beyondTheBundle
    /// A slice whose bytes hash to another address than it names.
    case wrongContent

    /// What the refusal says.
    var reason: String {
      switch self {
      case .malformed: "malformed bundle slice field"
      case .longerThanTheFile: "bundle slice of 12 bytes in 1 objects, for a file of 11 bytes"
      case .beyondTheBundle: "lies at 20..<31"
      case .wrongContent: "hashes to"
      }
    }
  }

  /// A small file whose bundle slice is malformed, does not fit its entry or
  /// its bundle, or names other bytes is not restored and is named with the
  /// reason; the file beside it in the same bundle is restored exactly, and
  /// the restore fails.
  @Test(arguments: BadSlice.allCases)
  func aBadBundleSliceCostsOnlyItsFile(bad: BadSlice) async throws {
    let work = try BackupWorkspace()
    let target = work.sub("out")
    let forger = try await SnapshotForger(repo: work.repo)
    let store = forger.repository.store
    let bundle = Array("first file|victim file".utf8)
    let bundleID = try await store.put(bundle).id
    func smallFile(_ path: String, offset: Int, length: Int, sliceLength: Int? = nil, content: [UInt8]? = nil)
      -> ManifestEntry
    {
      var entry = ManifestEntry(
        path: EntryPath(bytes: Array(path.utf8)), status: SnapshotForger.status(.file, mode: 0o644))
      entry.blocks = [bundleID]
      entry.size = UInt64(length)
      let bytes = content ?? Array(bundle[offset..<min(bundle.count, offset + length)])
      let address = bytes.withUnsafeBytes { store.address(of: $0) }
      let slice = BundleSlice(offset: UInt64(offset), length: UInt64(sliceLength ?? length), content: address)
      entry.setField(.bundleSlice, slice.encoded)
      return entry
    }
    var victim = smallFile("/src/victim", offset: 11, length: 11)
    switch bad {
    case .malformed: victim.setField(.bundleSlice, [1, 2, 3])
    case .longerThanTheFile: victim = smallFile("/src/victim", offset: 11, length: 11, sliceLength: 12)
    case .beyondTheBundle: victim = smallFile("/src/victim", offset: 20, length: 11)
    case .wrongContent: victim = smallFile("/src/victim", offset: 11, length: 11, content: Array("other bytes".utf8))
    }
    let id = try await forger.writeSnapshot(
      [forger.directory(Array("/src".utf8)), smallFile("/src/first", offset: 0, length: 10), victim],
      sources: ["/src"], time: Date())

    let restore = try work.restore(id, to: target)
    #expect(restore.status == 1, "\(restore.output)")
    let refusal = restore.stderr.split(separator: "\n").filter { $0.contains("/src/victim") }
    #expect(
      refusal.contains { $0.contains(bad.reason) }, "no line names '/src/victim' and '\(bad.reason)': \(restore.stderr)"
    )
    #expect(try String(contentsOfFile: target + "/src/first", encoding: .utf8) == "first file")
    #expect(directoryContents(target + "/src") == ["first"])
  }
}
