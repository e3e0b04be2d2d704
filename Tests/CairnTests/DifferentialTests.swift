import Foundation
import Testing

@Suite struct DifferentialTests {
  /// A full snapshot, then every kind of change, then a differential: the
  /// differential restores the later tree, the full still restores the
  /// earlier one, and only the changed or new files were read.
  @Test func differentialRestoresLaterStateAndFullKeepsEarlierOne() throws {
    let blockSize = 65536
    let work = try BackupWorkspace(blockSize: blockSize)
    let source = work.sub("src")
    try shell(
      #"""
      set -euo pipefail
      mkdir -p '\#(source)' && cd '\#(source)'
      mkdir -p olddir/sub gone stable/deep
      head -c $((3 * \#(blockSize) + 5)) /dev/urandom > keep-big
      echo keep > keep-small
      head -c 4096 /dev/zero | tr '\0' a > modify
      head -c $((\#(blockSize) + 10)) /dev/urandom > append
      echo bye > delete-me
      echo mode > perm && chmod 0644 perm
      echo moving > old-name
      ln -s keep-big link
      echo 1 > olddir/file1 && echo 2 > olddir/sub/file2
      echo x > gone/x && echo y > gone/y
      echo 3 > stable/deep/file3
      find . -print0 | xargs -0 touch -h -d '2020-01-02 03:04:05.123456789'
      """#)
    let full = try work.backup([source], now: "2026-01-01T00:00:00Z")
    #expect(full.kind == "full")
    let earlier = work.sub("earlier")
    try shell("cp -a '\(source)' '\(earlier)'")

    try shell(
      #"""
      set -euo pipefail
      cd '\#(source)'
      # Same size, other bytes, and the old mtime back: only the ctime tells.
      head -c 4096 /dev/zero | tr '\0' b > modify && touch -r '\#(earlier)/modify' modify
      head -c 100 /dev/urandom >> append
      echo new > added
      mkdir -p newdir/inner && echo 4 > newdir/inner/file4
      rm delete-me
      rm -r gone
      chmod 0600 perm
      mv old-name new-name
      mv olddir renamed-dir
      ln -sfn keep-small link
      """#)
    let differential = try work.backup([source], ["--differential"], now: "2026-01-01T01:00:00Z")
    #expect(differential.kind == "differential")
    #expect(differential.base == full.id)
    // What `snapshots --json` says, independently of the backup that made them.
    let listed = try work.snapshots()
    #expect(listed.map(\.id) == [full.id, differential.id])
    #expect(listed.map(\.kind) == ["full", "differential"])
    #expect(listed.last?.base == full.id)
    #expect(listed.first?.base == nil)

    // Files: keep-big, keep-small, modify, append, perm, new-name, renamed-dir/file1,
    // renamed-dir/sub/file2, stable/deep/file3, added, newdir/inner/file4. Unchanged
    // (not read): keep-big, keep-small, stable/deep/file3.
    #expect(differential.statistics.files == 11)
    #expect(differential.statistics.filesRead == 8)
    #expect(differential.statistics.bytesRead < UInt64(3 * blockSize))

    let later = work.sub("out-later")
    let restoreLater = try work.restore("latest", to: later)
    #expect(restoreLater.status == 0, "\(restoreLater.output)")
    let current = try TreeListing(source)
    let restoredLater = try TreeListing(later + source)
    #expect(restoredLater == current, "\(current.differences(from: restoredLater))")

    let earlierTarget = work.sub("out-earlier")
    let restoreEarlier = try work.restore(full.id, to: earlierTarget)
    #expect(restoreEarlier.status == 0, "\(restoreEarlier.output)")
    let expectedEarlier = try TreeListing(earlier)
    let restoredEarlier = try TreeListing(earlierTarget + source)
    #expect(restoredEarlier == expectedEarlier, "\(expectedEarlier.differences(from: restoredEarlier))")
  }

  /// A differential of an unchanged tree reads no file and adds no data.
  @Test func differentialOfUnchangedTreeReadsNothing() async throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p \(source)/d && head -c 200000 /dev/urandom > \(source)/d/f && echo x > \(source)/g")
    let full = try work.backup([source], now: "2026-01-01T00:00:00Z")
    let objects = try await work.inspection.objectNames()
    let differential = try work.backup([source], ["--differential"], now: "2026-01-02T00:00:00Z")
    #expect(differential.kind == "differential")
    #expect(differential.base == full.id)
    #expect(differential.statistics.filesRead == 0)
    #expect(differential.statistics.bytesRead == 0)
    #expect(differential.statistics.files == 2)
    // At most the (empty) differential manifest is new.
    let added = try await work.inspection.objectNames().subtracting(objects)
    #expect(added.isSubset(of: differential.manifest))
    let restore = try work.restore(differential.id, to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(source)
    let restored = try TreeListing(work.sub("out") + source)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  /// Two differentials in a row both diff against the full, not against each
  /// other: each restores its own state.
  @Test func successiveDifferentialsShareTheFullAsBase() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p \(source) && echo one > \(source)/a && echo keep > \(source)/b")
    let full = try work.backup([source], now: "2026-01-01T00:00:00Z")
    try shell("echo two > \(source)/a && rm \(source)/b")
    let second = work.sub("second")
    try shell("cp -a \(source) \(second)")
    let first = try work.backup([source], ["--differential"], now: "2026-01-01T01:00:00Z")
    try shell("echo three > \(source)/a && echo back > \(source)/b && echo c > \(source)/c")
    let latest = try work.backup([source], ["--differential"], now: "2026-01-01T02:00:00Z")
    #expect(first.base == full.id)
    #expect(latest.base == full.id)

    let restoreFirst = try work.restore(first.id, to: work.sub("out1"))
    #expect(restoreFirst.status == 0, "\(restoreFirst.output)")
    let expectedFirst = try TreeListing(second)
    let restoredFirst = try TreeListing(work.sub("out1") + source)
    #expect(restoredFirst == expectedFirst, "\(expectedFirst.differences(from: restoredFirst))")

    let restoreLatest = try work.restore("latest", to: work.sub("out2"))
    #expect(restoreLatest.status == 0, "\(restoreLatest.output)")
    let expectedLatest = try TreeListing(source)
    let restoredLatest = try TreeListing(work.sub("out2") + source)
    #expect(restoredLatest == expectedLatest, "\(expectedLatest.differences(from: restoredLatest))")
  }

  /// --full-every with a faked clock: the first backup is full, one a day
  /// later differential, one fifteen days later (every 14 days) full again,
  /// and the next day's differential takes that new full as its base.
  @Test func fullEveryChoosesTheKindByAge() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p \(source) && echo a > \(source)/a")
    let options = ["--full-every", "14"]
    let first = try work.backup([source], options, now: "2026-01-01T00:00:00Z")
    try shell("echo b > \(source)/b")
    let second = try work.backup([source], options, now: "2026-01-02T00:00:00Z")
    try shell("echo c > \(source)/c")
    let third = try work.backup([source], options, now: "2026-01-16T00:00:00Z")
    try shell("echo d > \(source)/d")
    let fourth = try work.backup([source], options, now: "2026-01-17T00:00:00Z")

    #expect(first.kind == "full")
    #expect(first.base == nil)
    #expect(second.kind == "differential")
    #expect(second.base == first.id)
    #expect(third.kind == "full")
    #expect(third.base == nil)
    #expect(fourth.kind == "differential")
    #expect(fourth.base == third.id)
    // The records carry the faked time.
    #expect(first.time.hasPrefix("2026-01-01T00:00:00"))
    #expect(third.time.hasPrefix("2026-01-16T00:00:00"))
    #expect(try work.snapshots().map(\.kind) == ["full", "differential", "full", "differential"])
  }

  /// A shorter interval makes a backup full sooner: with --full-every 1, a
  /// backup two days after the full is full.
  @Test func shorterFullIntervalTakesFullSooner() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p \(source) && echo a > \(source)/a")
    try work.backup([source], now: "2026-03-01T00:00:00Z")
    let next = try work.backup([source], now: "2026-03-03T00:00:00Z")
    #expect(next.kind == "differential")
    let forced = try work.backup([source], ["--full-every", "1"], now: "2026-03-05T00:00:00Z")
    #expect(forced.kind == "full")
  }

  /// Entries that change type between the full and the differential (file to
  /// directory, directory to file, symlink to directory, directory to
  /// symlink, file to symlink) restore as their new selves, and the old
  /// directories' children are gone.
  @Test func typeChangesRestoreAsTheNewType() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p \(source)/was-dir/child \(source)/was-dir-now-link && cd \(source)
      echo a > was-dir/child/a && echo b > was-dir-now-link/b
      echo f > was-file && echo l > was-file-now-link && ln -s nowhere was-link
      """)
    let full = try work.backup([source], now: "2026-01-01T00:00:00Z")
    let earlier = work.sub("earlier")
    try shell("cp -a \(source) \(earlier)")
    try shell(
      """
      set -e
      cd \(source)
      rm -r was-dir && echo now-a-file > was-dir
      rm was-file && mkdir was-file && echo inside > was-file/inside
      rm was-link && mkdir was-link && echo x > was-link/x
      rm -r was-dir-now-link && ln -s was-file was-dir-now-link
      rm was-file-now-link && ln -s was-dir was-file-now-link
      """)
    let differential = try work.backup([source], ["--differential"], now: "2026-01-01T01:00:00Z")
    #expect(differential.base == full.id)

    let restoreLater = try work.restore(differential.id, to: work.sub("out-later"))
    #expect(restoreLater.status == 0, "\(restoreLater.output)")
    let current = try TreeListing(source)
    let restoredLater = try TreeListing(work.sub("out-later") + source)
    #expect(restoredLater == current, "\(current.differences(from: restoredLater))")

    let restoreEarlier = try work.restore(full.id, to: work.sub("out-earlier"))
    #expect(restoreEarlier.status == 0, "\(restoreEarlier.output)")
    let expectedEarlier = try TreeListing(earlier)
    let restoredEarlier = try TreeListing(work.sub("out-earlier") + source)
    #expect(restoredEarlier == expectedEarlier, "\(expectedEarlier.differences(from: restoredEarlier))")
  }

  /// A base whose manifest spans several parts (long paths make it pass the
  /// part size with a couple of thousand entries) merges with a differential
  /// that changes, removes and adds entries on both sides of the part boundary.
  @Test func multiPartManifestMergesWithDifferential() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    // Twelve nested 251-byte directory names, then 2200 files with 255-byte names:
    // about 3.3 KB of path per entry, 7 MB of manifest.
    let deep = try shell(
      #"""
      set -euo pipefail
      long=$(printf '%0250d' 0 | tr 0 d)
      p='\#(source)'
      for i in 1 2 3 4 5 6 7 8 9 10 11 12; do p="$p/$((i % 10))$long"; done
      mkdir -p "$p" && cd "$p"
      for i in $(seq 1 2200); do echo "$i" > "$(printf '%05d' "$i")$long"; done
      printf '%s' "$p"
      """#)
    let full = try work.backup([source], now: "2026-01-01T00:00:00Z")
    #expect(full.manifest.count >= 2, "the manifest has \(full.manifest.count) part(s); the test wants several")
    #expect(full.statistics.files == 2200)
    let earlier = work.sub("earlier")
    try shell("cp -a '\(source)' '\(earlier)'")

    try shell(
      #"""
      set -euo pipefail
      long=$(printf '%0250d' 0 | tr 0 d)
      cd '\#(deep)'
      # The part boundary falls near entry 1270 (4 MiB of 3.3 KB entries).
      for i in 00001 $(seq -f '%05g' 1250 5 1300) 02200; do echo changed >> "$i$long"; done
      rm "00002$long" "01262$long" "01263$long" "02199$long"
      echo added > "0126a$long" && echo added > "99999$long"
      """#)
    let differential = try work.backup([source], ["--differential"], now: "2026-01-01T01:00:00Z")
    #expect(differential.base == full.id)
    #expect(differential.statistics.files == 2198)
    #expect(differential.statistics.filesRead == 15)

    let restoreLater = try work.restore("latest", to: work.sub("out-later"))
    #expect(restoreLater.status == 0, "\(restoreLater.output)")
    let current = try TreeListing(source)
    let restoredLater = try TreeListing(work.sub("out-later") + source)
    #expect(restoredLater == current, "\(current.differences(from: restoredLater))")

    let restoreEarlier = try work.restore(full.id, to: work.sub("out-earlier"))
    #expect(restoreEarlier.status == 0, "\(restoreEarlier.output)")
    let expectedEarlier = try TreeListing(earlier)
    let restoredEarlier = try TreeListing(work.sub("out-earlier") + source)
    #expect(restoredEarlier == expectedEarlier, "\(expectedEarlier.differences(from: restoredEarlier))")
  }

  /// The base of a differential is the newest full of the same sources: a
  /// full of another source set in between is not taken as the base, and a
  /// first backup of a new source set is full.
  @Test func baseIsTheNewestFullOfTheSameSources() throws {
    let work = try BackupWorkspace()
    let first = work.sub("first")
    let second = work.sub("second")
    try shell("mkdir -p \(first) \(second) && echo 1 > \(first)/f && echo 2 > \(second)/g")
    let fullOfFirst = try work.backup([first], now: "2026-01-01T00:00:00Z")
    let fullOfSecond = try work.backup([second], now: "2026-01-01T01:00:00Z")
    #expect(fullOfSecond.kind == "full")
    try shell("echo more > \(first)/h")
    let differential = try work.backup([first], now: "2026-01-01T02:00:00Z")
    #expect(differential.kind == "differential")
    #expect(differential.base == fullOfFirst.id)
    let both = try work.backup([first, second], now: "2026-01-01T03:00:00Z")
    #expect(both.kind == "full")

    let restore = try work.restore(differential.id, to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(first)
    let restored = try TreeListing(work.sub("out") + first)
    #expect(restored == original, "\(original.differences(from: restored))")
    #expect(!FileManager.default.fileExists(atPath: work.sub("out") + second))
  }

  /// A single file named as a source backs up and restores, in a full and a differential.
  @Test func singleFileSource() throws {
    let work = try BackupWorkspace()
    let file = work.sub("lonely")
    try shell("head -c 70000 /dev/urandom > \(file) && chmod 0640 \(file)")
    let full = try work.backup([file], now: "2026-01-01T00:00:00Z")
    #expect(full.statistics.files == 1)
    try shell("echo more >> \(file)")
    let differential = try work.backup([file], ["--differential"], now: "2026-01-01T01:00:00Z")
    #expect(differential.base == full.id)
    let restore = try work.restore("latest", to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(file)
    let restored = try TreeListing(work.sub("out") + file)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  /// Hard links across a differential: an untouched pair, a pair losing one
  /// name, a pair gaining a third name and a file gaining a second one all
  /// restore with the right link groups, in both snapshots.
  @Test func hardLinksSurviveDifferentials() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p \(source)/d && cd \(source)
      echo untouched > p && ln p d/q
      echo loses > u && ln u d/v
      echo gains > w && ln w d/x
      echo single > y
      """)
    let full = try work.backup([source], now: "2026-01-01T00:00:00Z")
    let earlier = work.sub("earlier")
    try shell("cp -a \(source) \(earlier)")
    try shell("cd \(source) && rm d/v && ln w d/x2 && ln y d/y2")
    let differential = try work.backup([source], ["--differential"], now: "2026-01-01T01:00:00Z")
    #expect(differential.base == full.id)

    let restoreLater = try work.restore("latest", to: work.sub("out-later"))
    #expect(restoreLater.status == 0, "\(restoreLater.output)")
    let current = try TreeListing(source)
    #expect(current.items[Data("d/x2".utf8)]?.hardLinkGroup == Data("d/x".utf8))
    let restoredLater = try TreeListing(work.sub("out-later") + source)
    #expect(restoredLater == current, "\(current.differences(from: restoredLater))")

    let restoreEarlier = try work.restore(full.id, to: work.sub("out-earlier"))
    #expect(restoreEarlier.status == 0, "\(restoreEarlier.output)")
    let expectedEarlier = try TreeListing(earlier)
    let restoredEarlier = try TreeListing(work.sub("out-earlier") + source)
    #expect(restoredEarlier == expectedEarlier, "\(expectedEarlier.differences(from: restoredEarlier))")
  }

  /// Asking for a differential when no full of these sources exists takes a full.
  @Test func differentialWithoutAFullIsFull() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p \(source) && echo a > \(source)/a")
    let first = try work.backup([source], ["--differential"], now: "2026-01-01T00:00:00Z")
    #expect(first.kind == "full")
    #expect(first.base == nil)
  }
}
