import Foundation
import Testing

/// A repository on a small tmpfs that a backup overfills: a clear error that
/// says it is about space, exit 1, no snapshot, `check` passes; `forget` and
/// `gc` still work with not one byte free; after space is freed the next
/// backup works. Needs root for the tmpfs. What a failing write does to a
/// backup, and that forget and gc need no write, are also proved in
/// process without root (StorageFaultTests); this suite proves the real
/// ENOSPC: its message, and forget and gc with not one byte free.
@Suite struct FullDiskTests {
  /// Free bytes for unprivileged writers on the file system holding `path`.
  private func freeBytes(_ path: String) throws -> Int {
    let output = try shell("stat -f -c '%a %S' '\(path)'")
    let numbers = output.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
    return numbers.count == 2 ? numbers[0] * numbers[1] : -1
  }

  @Test(.enabled(if: tmpfsMountWorks, "skipped: needs root and a working 'mount -t tmpfs' to make a small disk"))
  func fullDiskFailsCleanlyAndTheRepositoryStaysUsable() async throws {
    let work = TemporaryDirectory("cairn-full-disk")
    let mount = work.sub("disk")
    try shell("mkdir -p '\(mount)' && mount -t tmpfs -o size=8m tmpfs '\(mount)'")
    defer { _ = try? shell("umount '\(mount)' || umount -l '\(mount)'") }
    try await body(work: work, mount: mount)
  }

  private func body(work: TemporaryDirectory, mount: String) async throws {
    let repo = "\(mount)/repo"
    let small = work.sub("small")
    let big = work.sub("big")
    try shell(
      """
      set -e
      mkdir -p '\(small)' '\(big)'
      head -c 200000 /dev/urandom > '\(small)/first'
      for i in 1 2 3 4; do head -c 3000000 /dev/urandom > '\(big)/part-'$i; done
      """)
    #expect(try Cairn.run(["init", "--repo", repo, "--block-size", "65536"]).status == 0)
    // Two snapshots, so that forget has one to remove later.
    #expect(try Cairn.run(["backup", "--repo", repo, small]).status == 0)
    try shell("head -c 200000 /dev/urandom > '\(small)/second'")
    #expect(try Cairn.run(["backup", "--repo", repo, "--full", small]).status == 0)
    let before = try snapshotIDs(repo)
    #expect(before.count == 2)

    // 12 MB into an 8 MB file system.
    let overfull = try Cairn.run(["backup", "--repo", repo, big])
    #expect(overfull.status == 1, "\(overfull.output)")
    #expect(
      overfull.stderr.lowercased().contains("space"), "the error does not say it is about space: \(overfull.stderr)")
    #expect(trimmedLines(overfull.stderr).count == 1, "expected a one-line error: \(overfull.stderr)")
    #expect(try snapshotIDs(repo) == before, "a snapshot was recorded on a full disk")
    // The failed run removed its own pending files (they would fill the disk).
    #expect(try RepositoryInspection(path: repo).leftovers().isEmpty, "the failed backup left pending files")
    let check = try Cairn.run(["check", "--repo", repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")

    // Not one byte left.
    _ = try? shell("dd if=/dev/zero of='\(mount)/filler' bs=65536 2>/dev/null")
    _ = try? shell("dd if=/dev/zero of='\(mount)/filler-2' bs=4096 2>/dev/null")
    #expect(try freeBytes(mount) == 0, "the disk is not full")

    let forget = try Cairn.run(["forget", "--repo", repo, "--keep", "1"])
    #expect(forget.status == 0, "forget on a full disk: \(forget.output)")
    #expect(try snapshotIDs(repo) == [before[1]])
    let gc = try Cairn.run(["gc", "--repo", repo])
    #expect(gc.status == 0, "gc on a full disk: \(gc.output)")
    #expect(try RepositoryInspection(path: repo).leftovers().isEmpty, "gc left the failed backup's pending files")
    let freed = try freeBytes(mount)
    #expect(freed > 0, "gc freed nothing: \(freed) bytes free")
    let recheck = try Cairn.run(["check", "--repo", repo, "--read-data"])
    #expect(recheck.status == 0, "\(recheck.output)")

    // With space again, a backup that fits works and restores exactly.
    try shell("rm -f '\(mount)/filler' '\(mount)/filler-2' '\(big)/part-2' '\(big)/part-3' '\(big)/part-4'")
    let retry = try Cairn.run(["backup", "--repo", repo, big])
    #expect(retry.status == 0, "\(retry.output)")
    let target = work.sub("out")
    let restore = try Cairn.run(["restore", "--repo", repo, "latest", target])
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(big)
    let restored = try TreeListing(target + big)
    #expect(restored == original, "\(original.differences(from: restored))")
    // The snapshot kept through all this is intact too.
    let kept = try Cairn.run(["restore", "--repo", repo, before[1], work.sub("kept")])
    #expect(kept.status == 0, "\(kept.output)")
    #expect(try TreeListing(work.sub("kept") + small) == TreeListing(small))
  }
}
